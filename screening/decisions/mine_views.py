"""The reviewer's own pages inside a stage: "My decisions" (what I decided here, filtered and
searched, each opening the record on the screening page, editable under the revision rule) and
finding a record by words, PMID or DOI without leaving the stage."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from screening.constants import EDITOR_ROLES, Verdict
from screening.decisions.mine import FOUND_AT_MOST, find_at_stage, my_decisions
from screening.decisions.selectors import reasons_for
from screening.decisions.stages import stage_context, stage_from_slug
from screening.permissions.access import review_for_user
from screening.permissions.blinding import VoteView
from screening.permissions.labels import label_choices, labels_for, labels_on, with_label

DECISIONS_PER_PAGE = 50


def my_decision_list(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = stage_from_slug(stage_slug)
    chosen = {key: request.GET.get(key, "").strip() for key in ("verdict", "reason", "label", "q")}
    votes = my_decisions(
        review,
        request.user,
        stage,
        verdict=chosen["verdict"],
        reason=chosen["reason"],
        words=chosen["q"],
    )
    view = VoteView.of(review, membership)
    if chosen["label"]:
        votes = with_label(votes, review, view, chosen["label"], reference="item__reference")
    page = Paginator(votes, DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    labels = labels_on(review, view, [vote.item.reference_id for vote in page])
    for vote in page:
        vote.shown_labels = labels.get(vote.item.reference_id, [])
    context = {
        **stage_context(review, membership, stage),
        "page": page,
        "chosen": chosen,
        "filtered": any(chosen.values()),
        # For the pagination links: the filters, without the page.
        "query": urlencode({key: value for key, value in chosen.items() if value}),
        "verdicts": Verdict.choices,
        "reasons": reasons_for(review, stage),
        "label_choices": label_choices(list(labels_for(review, membership.user_id))),
    }
    return render(request, "screening/decisions/my_decisions.html", context)


def find_in_stage(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = stage_from_slug(stage_slug)
    query = request.GET.get("q", "").strip()
    context = {
        **stage_context(review, membership, stage),
        "query": query,
        "found": find_at_stage(review, stage, query),
        "at_most": FOUND_AT_MOST,
    }
    template = "screening/decisions/find.html"
    if request.htmx:
        template = "screening/decisions/_found.html"
    return render(request, template, context)
