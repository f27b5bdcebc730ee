"""Audit pages: the review's log (filtered, downloadable), the exclusion audit with each
reviewer's reasons, and verification samples of single-reviewer exclusions."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from references.models import Reference
from references.spreadsheet import spreadsheet_cell

from screening.selectors import exclusions, reason_distribution
from screening.access import CAN_EDIT, CAN_MANAGE, review_for_user
from screening.blinding import VoteView
from screening.constants import Role, Stage
from screening.filters import AuditFilter
from screening.models import AuditEvent, VerificationSample
from screening.screening_views import highlighter_for
from screening.services.audit_verify import audit_receipt, audit_verify
from screening.services.screening import ScreeningRefused
from screening.services.verification import (
    next_to_verify,
    single_reviewer_exclusions,
    verification_check,
    verification_draw,
    verification_result,
)

EVENTS_PER_PAGE = 100
EXCLUSIONS_PER_PAGE = 50


def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    query = request.GET.copy()
    wanted = query.pop("format", [None])[0]
    view = VoteView.of(review, membership)
    events = view.events(
        AuditEvent.objects.filter(review=review).select_related("actor").order_by("-seq")
    )
    filterset = AuditFilter(query or None, queryset=events, review=review)
    if wanted == "csv":
        return _log_csv(review, filterset.qs.order_by("seq"))
    page = Paginator(filterset.qs, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query.pop("page", None)
    report = audit_verify(review) if request.GET.get("verify") else None
    context = {
        "review": review,
        "membership": membership,
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "sees_all": view.sees_all,
        "report": report,
    }
    return render(request, "screening/audit_log.html", context)


def audit_receipt_download(request: HttpRequest, slug: str) -> HttpResponse:
    """A signed receipt of the log as it stands (count, head hash, time), to keep outside the
    application; `audit_verify --receipt FILE` later proves the log still holds it."""
    review, _ = review_for_user(request, slug)
    receipt = audit_receipt(review)
    response = HttpResponse(
        json.dumps(receipt, indent=2) + "\n", content_type="application/json; charset=utf-8"
    )
    name = f"{review.slug}-audit-receipt-{receipt['events']}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _log_csv(review, events) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    header = ["seq", "time", "actor", "action", "object", "before", "after", "hash"]

    def rows():
        yield "\ufeff" + writer.writerow(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.seq,
                    event.created_at.isoformat(),
                    event.actor.get_username() if event.actor else "",
                    event.action,
                    f"{event.object_type}:{event.object_id}",
                    _cell(event.before),
                    _cell(event.after),
                    event.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{review.slug}-audit.csv"'
    return response


def _cell(value) -> str:
    return spreadsheet_cell(
        "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )


def exclusion_audit(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    view = VoteView.of(review, membership)
    page = Paginator(exclusions(review), EXCLUSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    samples = [
        (sample, verification_result(sample))
        for sample in review.samples.select_related("reviewer", "drawn_by").prefetch_related(
            "checks"
        )
    ]
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "distributions": [
            (Stage(stage).label, reason_distribution(review, stage, view))
            for stage in Stage.screened()
        ],
        "single": {
            Stage(stage).label: single_reviewer_exclusions(review, stage).count()
            for stage in Stage.screened()
        },
        "samples": samples,
        "can_manage": membership.role in CAN_MANAGE,
        "screeners": get_user_model()
        .objects.filter(
            memberships__review=review, memberships__role__in=[Role.OWNER, Role.REVIEWER]
        )
        .order_by("username"),
        "stages": [(s, Stage(s).label) for s in Stage.screened()],
    }
    return render(request, "screening/exclusion_audit.html", context)


@require_POST
def verification_draw_view(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=CAN_MANAGE)
    reviewer = get_user_model().objects.filter(pk=request.POST.get("reviewer") or 0).first()
    try:
        sample = verification_draw(
            review=review,
            stage=request.POST.get("stage", ""),
            percent=int(request.POST.get("percent") or 0),
            seed=int(request.POST.get("seed") or 0),
            reviewer=reviewer,
            user=request.user,
        )
        messages.success(
            request,
            f"Drew {len(sample.references)} of {sample.population} single-reviewer exclusions "
            f"for {reviewer.get_username()} to re-screen.",
        )
    except (ScreeningRefused, ValueError, AttributeError) as error:
        messages.error(request, str(error) or "Choose a reviewer, a stage and a percentage.")
    return redirect("screening:exclusion-audit", review.slug)


def verification_screen(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The assigned reviewer re-screens the sample one reference at a time, blind: the earlier
    decision is not shown."""
    review, membership = review_for_user(request, slug, roles=CAN_EDIT)
    sample = get_object_or_404(VerificationSample, review=review, pk=pk)
    if request.method == "POST":
        reference = get_object_or_404(Reference, pk=request.POST.get("reference") or 0)
        try:
            verification_check(
                sample=sample,
                reference=reference,
                verdict=request.POST.get("verdict", ""),
                reviewer=request.user,
            )
        except ScreeningRefused as error:
            messages.error(request, str(error))
        return redirect("screening:verification-screen", review.slug, sample.pk)
    context = {
        "review": review,
        "membership": membership,
        "sample": sample,
        "reference": next_to_verify(sample),
        "result": verification_result(sample),
        "mine": request.user.pk == sample.reviewer_id,
        "highlighter": highlighter_for(review),
    }
    return render(request, "screening/verification_screen.html", context)
