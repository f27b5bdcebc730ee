"""Agreement between reviewers: kappa per pair and overall, on a page and as CSV (kappa left
out, with the reason in a note, where it is not estimable: agreement.py)."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from references.spreadsheet import spreadsheet_cell
from screening.constants import Stage
from screening.decisions.agreement import (
    CSV_HEADER,
    MIN_REFERENCES,
    agreement_by_pair,
    csv_row,
    overall,
)
from screening.decisions.selectors import agreement_judgements
from screening.permissions.access import review_for_user
from screening.permissions.blinding import VoteView


def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    view = VoteView.of(review, membership)
    by_stage = []
    for stage in Stage.screened():
        pairs = agreement_by_pair(agreement_judgements(review, stage, view))
        by_stage.append((stage, Stage(stage).label, pairs, overall(pairs) if pairs else None))
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{review.slug}-agreement.csv"'
        writer = csv.writer(response)
        writer.writerow(["stage", *CSV_HEADER])
        for stage, _, pairs, pooled in by_stage:
            for pair in [*pairs, *([pooled] if pooled else [])]:
                writer.writerow([stage, *(spreadsheet_cell(c) for c in csv_row(pair))])
        return response
    context = {
        "review": review,
        "membership": membership,
        "by_stage": by_stage,
        "min_references": MIN_REFERENCES,
    }
    return render(request, "screening/decisions/agreement.html", context)
