"""The screening pages: one reference at a time with its decision form (keyboard-first, htmx,
usable without JavaScript), undo, conflicts and their resolution, reopening, agreement."""

from __future__ import annotations

import csv
import uuid

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from references.spreadsheet import spreadsheet_cell
from screening.constants import EDITOR_ROLES, OWNER_ROLES, ItemState, Stage
from screening.decisions.agreement import CSV_HEADER, agreement_by_pair, csv_row, overall
from screening.decisions.forms import ResolveForm

# Stages in URLs, and back.
from screening.decisions.highlight import highlighter_for
from screening.decisions.queue import next_item, rank_for
from screening.decisions.selectors import (
    agreement_judgements,
    conflicts,
    item_for_screening,
    latest_full_text,
    reasons_for,
    revision_check,
    screening_progress,
    votes_on,
)
from screening.decisions.services import (
    ScreeningRefused,
    conflict_resolve,
    decision_record,
    decision_undo_last,
    stage_reopen,
)
from screening.models import ExclusionReason, ScreeningItem
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt, show_form_errors
from screening.permissions.blinding import VoteView

STAGE_SLUGS = {"title-abstract": Stage.TITLE_ABSTRACT, "full-text": Stage.FULL_TEXT}
SLUG_OF = {stage: slug for slug, stage in STAGE_SLUGS.items()}
CONFLICTS_PER_PAGE = 25


def _stage(stage_slug: str) -> str:
    try:
        return STAGE_SLUGS[stage_slug]
    except KeyError:
        raise Http404("No such stage.") from None


# --- The screening page -------------------------------------------------------------------


def _screening_context(
    request, review, membership, stage, *, reference_id=None, error="", after_rank=None
):
    """The reference to show (the next in the reviewer's queue, or the one asked for), with
    everything the page shows beside it."""
    if reference_id is not None:
        item = item_for_screening(review, stage, reference_id)
        if item is None:
            raise Http404("That reference is not at this stage.")
    else:
        item = next_item(review, request.user, stage, after_rank=after_rank)
    votes = votes_on(item) if item else []
    mine = next((v for v in votes if v.reviewer_id == request.user.pk), None)
    # A first vote while it waits; a revision of one's own by the one rule (revision_check).
    can_vote, why_not = item is not None and item.state in ItemState.pending(), ""
    if mine is not None:
        can_vote, why_not = revision_check(item, request.user.pk)
    # Blind screening (screening/permissions/blinding.py): others' votes show once this reviewer has
    # voted or the reference is settled.
    others_visible = item is not None and (
        mine is not None
        or not VoteView.while_screening(review, membership).hides(item.reference_id, stage)
    )
    return {
        "review": review,
        "membership": membership,
        "stage": stage,
        "stage_slug": SLUG_OF[stage],
        "stage_label": Stage(stage).label,
        "item": item,
        "reference": item.reference if item else None,
        "votes": votes,
        "mine": mine,
        "others": [v for v in votes if v.reviewer_id != request.user.pk] if others_visible else [],
        "can_vote": can_vote,
        "why_not_revisable": why_not,
        "reasons": reasons_for(review, stage),
        "reason_required": review.reason_required(stage),
        "progress": screening_progress(review, request.user, stage),
        "highlighter": highlighter_for(review),
        "full_text": latest_full_text(review, item.reference_id)
        if item and stage == Stage.FULL_TEXT
        else None,
        "token": uuid.uuid4().hex,
        "error": error,
    }


def _render_screen(request, context, status=200) -> HttpResponse:
    template = "screening/decisions/screen.html"
    if request.htmx:
        template = "screening/decisions/_screen_item.html"
    return render(request, template, context, status=status)


def screen(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = _stage(stage_slug)
    reference_id = request.GET.get("reference")
    context = _screening_context(
        request,
        review,
        membership,
        stage,
        reference_id=int(reference_id) if reference_id and reference_id.isdigit() else None,
    )
    return _render_screen(request, context)


@require_POST
def screen_decide(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = _stage(stage_slug)
    reference = get_object_or_404(Reference, pk=request.POST.get("reference") or 0)
    reason = None
    if request.POST.get("reason"):
        reason = ExclusionReason.objects.in_review(review).filter(pk=request.POST["reason"]).first()
    try:
        decision = decision_record(
            review=review,
            reference=reference,
            stage=stage,
            reviewer=request.user,
            verdict=request.POST.get("verdict", ""),
            reason=reason,
            note=request.POST.get("note", ""),
            token=request.POST.get("token") or None,
            membership=membership,
        )
    except ScreeningRefused as error:
        context = _screening_context(
            request, review, membership, stage, reference_id=reference.pk, error=str(error)
        )
        return _render_screen(request, context)
    if request.htmx:
        # The queue carries on after the reference just decided (no need to look it up).
        context = _screening_context(
            request,
            review,
            membership,
            stage,
            after_rank=rank_for(review.pk, decision.reference_id),
        )
        return _render_screen(request, context)
    return redirect("screening:screen", review.slug, SLUG_OF[stage])


@require_POST
def screen_undo(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = _stage(stage_slug)
    try:
        reference = decision_undo_last(review=review, stage=stage, reviewer=request.user)
    except ScreeningRefused as error:
        context = _screening_context(request, review, membership, stage, error=str(error))
        return _render_screen(request, context)
    if request.htmx:
        context = _screening_context(request, review, membership, stage, reference_id=reference.pk)
        context["notice"] = "Your last decision was undone: decide this reference again."
        return _render_screen(request, context)
    url = reverse("screening:screen", args=[review.slug, SLUG_OF[stage]])
    return redirect(f"{url}?reference={reference.pk}")


# --- Conflicts -----------------------------------------------------------------------------------


def conflict_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    stage = request.GET.get("stage") or None
    if stage not in (None, *Stage.screened()):
        stage = None
    view = VoteView.of(review, membership)
    page = Paginator(conflicts(review, view, stage).order_by("rank"), CONFLICTS_PER_PAGE)
    context = {
        "review": review,
        "membership": membership,
        "page": page.get_page(request.GET.get("page")),
        "stage": stage,
        "stages": [(s, Stage(s).label) for s in Stage.screened()],
        "can_resolve": membership.resolves,
        "reasons": {s: reasons_for(review, s) for s in Stage.screened()},
        "highlighter": highlighter_for(review),
    }
    return render(request, "screening/decisions/conflict_list.html", context)


@require_POST
def conflict_resolve_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    item = get_object_or_404(
        ScreeningItem.objects.select_related("reference"), review=review, pk=pk
    )
    form = ResolveForm(request.POST, review=review, stage=item.stage)

    def resolve() -> str:
        conflict_resolve(
            review=review,
            reference=item.reference,
            stage=item.stage,
            resolver=request.user,
            verdict=form.cleaned_data["verdict"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        return f"Resolved: {item.reference.citation[:80]}"

    if form.is_valid():
        attempt(request, resolve)
    else:
        show_form_errors(request, form)
    return redirect(f"{reverse('screening:conflict-list', args=[review.slug])}?stage={item.stage}")


@require_POST
def reference_reopen(request: HttpRequest, slug: str, pk: int, stage_slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    reference = get_object_or_404(Reference, pk=pk)
    stage = _stage(stage_slug)

    def reopen() -> str:
        stage_reopen(
            review=review,
            reference=reference,
            stage=stage,
            owner=request.user,
            note=request.POST.get("note", ""),
        )
        return "Reopened: it waits to be screened again at that stage."

    attempt(request, reopen)
    return redirect("screening:reference-detail", review.slug, reference.pk)


# --- Agreement -----------------------------------------------------------------------------------


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
    context = {"review": review, "membership": membership, "by_stage": by_stage}
    return render(request, "screening/decisions/agreement.html", context)
