"""The screening page: one reference at a time with its decision form (keyboard-first, htmx,
usable without JavaScript), and undo. Conflicts are in conflict_views, agreement in
agreement_views."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.constants import EDITOR_ROLES, ItemState, Stage
from screening.decisions.highlight import highlighter_for
from screening.decisions.mine import decided_after, decided_before, queue_end, verdict_counts
from screening.decisions.queue import next_item, place_in_queue, rank_for
from screening.decisions.selectors import (
    item_for_screening,
    latest_full_text,
    reasons_for,
    revision_check,
    screening_progress,
    votes_on,
)
from screening.decisions.services import (
    ScreeningRefused,
    decision_record,
    decision_undo_last,
)
from screening.decisions.stages import SLUG_OF, stage_context, stage_from_slug
from screening.models import ExclusionReason
from screening.permissions.access import review_for_user
from screening.permissions.blinding import VoteView

# --- The screening page -------------------------------------------------------------------


def _moving_around(request, review, stage, item, *, opened: bool, just_decided=None) -> dict:
    """Where the record shown stands in the queue (the model's rank, or why the order is
    random), and the reviewer's decisions either side of it (the previous- and next-record
    keys)."""
    user = request.user
    if opened:
        return {
            "opened": True,
            "queue_place": place_in_queue(review, stage, item.reference_id),
            "previous_reference": decided_before(review, user, stage, item.reference_id),
            "next_reference": decided_after(review, user, stage, item.reference_id),
        }
    # Right after a decision its record is the previous one: no need to look it up.
    previous = just_decided or decided_before(review, user, stage, None)
    return {
        "opened": False,
        "queue_place": getattr(item, "queue_place", None),
        "previous_reference": previous,
        "next_reference": None,
    }


def _screening_context(
    request,
    review,
    membership,
    stage,
    *,
    reference_id=None,
    error="",
    after_rank=None,
    just_decided=None,
):
    """The reference to show (the next in the reviewer's queue, or the one asked for), with
    everything the page shows beside it."""
    if reference_id is not None:
        item = item_for_screening(review, stage, reference_id)
        if item is None:
            raise Http404("That reference is not at this stage.")
    else:
        item = next_item(review, request.user, stage, after_rank=after_rank)
    # The item's cached count of live votes spares the query on a reference no one has voted
    # on yet: at dual screening, half of those the queue serves.
    votes = votes_on(item) if item and item.votes else []
    mine = next((v for v in votes if v.reviewer_id == request.user.pk), None)
    # A first vote while it waits; a revision of one's own by the one rule (revision_check).
    can_vote, why_not = item is not None and item.state in ItemState.pending(), ""
    if mine is not None:
        can_vote, why_not = revision_check(item, request.user.pk)
    # Blind screening (screening/permissions/blinding.py): others' votes show once this reviewer has
    # voted or the reference is settled. Asked only when there are others' votes to hide.
    others = [v for v in votes if v.reviewer_id != request.user.pk]
    if (
        others
        and mine is None
        and VoteView.while_screening(review, membership).hides(item.reference_id, stage)
    ):
        others = []
    progress = screening_progress(review, request.user, stage)
    moving = _moving_around(
        request, review, stage, item, opened=reference_id is not None, just_decided=just_decided
    )
    if item is None:
        moving["end"] = queue_end(
            review, request.user, stage, progress["conflicts"], progress["moved_on"]
        )
        moving["verdict_counts"] = verdict_counts(moving["end"])
    return {
        **moving,
        **stage_context(review, membership, stage),
        "item": item,
        "reference": item.reference if item else None,
        "votes": votes,
        "mine": mine,
        "others": others,
        "can_vote": can_vote,
        "why_not_revisable": why_not,
        "reasons": reasons_for(review, stage),
        "reason_required": review.reason_required(stage),
        "progress": progress,
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
    stage = stage_from_slug(stage_slug)
    reference_id = request.GET.get("reference")
    context = _screening_context(
        request,
        review,
        membership,
        stage,
        reference_id=int(reference_id) if reference_id and reference_id.isdecimal() else None,
    )
    return _render_screen(request, context)


@require_POST
def screen_decide(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = stage_from_slug(stage_slug)
    reference_id = request.POST.get("reference", "")
    if not reference_id.isdecimal():  # int() takes it; isdigit() also passes "²"
        raise Http404("No such reference.")
    # Known by its id alone: the decision's locked item is the check that it is at this stage
    # of this review (a refusal, then a 404 below, if not), so the row, with the source entry
    # it was imported from, is never read on the way.
    reference = Reference(pk=int(reference_id))
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
            just_decided=decision.reference_id,
        )
        response = _render_screen(request, context)
        # The address bar may hold ?reference= of a record walked back to: after its decision
        # the page shows the queue again, and a reload should too.
        response["HX-Replace-Url"] = reverse("screening:screen", args=[review.slug, stage_slug])
        return response
    return redirect("screening:screen", review.slug, SLUG_OF[stage])


@require_POST
def screen_undo(request: HttpRequest, slug: str, stage_slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    stage = stage_from_slug(stage_slug)
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
