"""Conflicts and their resolution (the open ones with the form, the resolved ones with what
settled them), and an owner's reopening of a settled reference."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.constants import EDITOR_ROLES, OWNER_ROLES, Stage
from screening.decisions.forms import ResolveForm
from screening.decisions.highlight import highlighter_for
from screening.decisions.selectors import (
    conflicts,
    latest_full_texts,
    reasons_for,
    with_resolutions,
)
from screening.decisions.services import conflict_resolve, stage_reopen
from screening.decisions.stages import stage_from_slug
from screening.models import ScreeningItem
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt, show_form_errors
from screening.permissions.blinding import VoteView
from screening.permissions.labels import label_choices, labels_for, labels_on, with_label

CONFLICTS_PER_PAGE = 25
# The page's two lists (?status=): the conflicts waiting for a resolver, and those settled.
STATUSES = [("open", "Open"), ("resolved", "Resolved")]


def conflict_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    stage = request.GET.get("stage") or None
    if stage not in (None, *Stage.screened()):
        stage = None
    status = "resolved" if request.GET.get("status") == "resolved" else "open"
    label = request.GET.get("label", "").strip()
    view = VoteView.of(review, membership)
    items = conflicts(review, view, stage, resolved=status == "resolved")
    if label:
        items = with_label(items, review, view, label, reference="reference")
    page = Paginator(items, CONFLICTS_PER_PAGE).get_page(request.GET.get("page"))
    listed = list(page)
    with_resolutions(review, view, listed)
    full_texts = latest_full_texts(
        review, [item.reference_id for item in listed if item.stage == Stage.FULL_TEXT]
    )
    labels = labels_on(review, view, [item.reference_id for item in listed])
    for item in listed:
        item.full_text = full_texts.get(item.reference_id)
        item.shown_labels = labels.get(item.reference_id, [])
    chosen = (("status", status), ("stage", stage), ("label", label))
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "stage": stage,
        "status": status,
        "statuses": STATUSES,
        "label": label,
        "label_choices": label_choices(list(labels_for(review, membership.user_id))),
        "query": urlencode({k: v for k, v in chosen if v}),
        "stages": [(s, Stage(s).label) for s in Stage.screened()],
        "can_resolve": membership.resolves and status == "open",
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
    # Back to the list as it was filtered: the stage, and the label if one was chosen.
    back = {"stage": item.stage, "label": request.POST.get("label", "").strip()}
    query = urlencode({key: value for key, value in back.items() if value})
    return redirect(f"{reverse('screening:conflict-list', args=[review.slug])}?{query}")


@require_POST
def reference_reopen(request: HttpRequest, slug: str, pk: int, stage_slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    reference = get_object_or_404(Reference, pk=pk)
    stage = stage_from_slug(stage_slug)

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
