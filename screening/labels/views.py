"""The labels page: a review's labels (the shared ones and the member's private ones) with how
many references each is on, as far as the member sees; making, renaming and deleting them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from screening.constants import EDITOR_ROLES, Role
from screening.labels.forms import LabelForm, NewLabelForm
from screening.labels.selectors import label_counts
from screening.labels.services import label_create, label_delete, label_update
from screening.models import Label, Membership, Review
from screening.permissions.access import review_for_user, role_refusal
from screening.permissions.actions import attempt
from screening.permissions.blinding import VoteView
from screening.permissions.labels import labels_for


def may_manage(label: Label, membership: Membership) -> bool:
    """Whether the member may rename or delete the label (the services' rule, for the page)."""
    if membership.role not in EDITOR_ROLES:
        return False
    if label.created_by_id == membership.user_id:
        return True
    return not label.private and membership.role == Role.OWNER


def _label(review: Review, membership: Membership, pk: int) -> Label:
    """A label the member may see (another's private label is not found, as if it did not
    exist), with the review already attached."""
    label = labels_for(review, membership.user_id).filter(pk=pk).first()
    if label is None:
        raise Http404("No such label.")
    label.review = review
    return label


def _managed(review: Review, membership: Membership, pk: int) -> Label:
    label = _label(review, membership, pk)
    if not may_manage(label, membership):
        if membership.role not in EDITOR_ROLES:
            raise PermissionDenied(role_refusal(EDITOR_ROLES, membership.role))
        raise PermissionDenied("Only the label's maker or an owner can rename or delete it.")
    return label


def label_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    form = NewLabelForm()
    if request.method == "POST":
        if membership.role not in EDITOR_ROLES:
            raise PermissionDenied(role_refusal(EDITOR_ROLES, membership.role))
        form = NewLabelForm(request.POST)

        def create() -> str:
            label = label_create(review=review, user=request.user, **form.cleaned_data)
            return f"The label ‘{label.name}’ was made."

        if form.is_valid() and attempt(request, create):
            return redirect("screening:label-list", review.slug)
    counts = label_counts(review, VoteView.of(review, membership))
    labels = labels_for(review, membership.user_id).select_related("created_by")
    context = {
        "review": review,
        "membership": membership,
        "rows": [
            (label, counts.get(label.pk, 0), may_manage(label, membership)) for label in labels
        ],
        "form": form,
        "can_edit": membership.role in EDITOR_ROLES,
    }
    return render(request, "screening/labels/label_list.html", context)


def label_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    label = _managed(review, membership, pk)
    form = LabelForm(initial={"name": label.name, "colour": label.colour})
    if request.method == "POST":
        form = LabelForm(request.POST)

        def rename() -> str:
            label_update(label=label, user=request.user, **form.cleaned_data)
            return f"The label is now ‘{label.name}’."

        if form.is_valid() and attempt(request, rename):
            return redirect("screening:label-list", review.slug)
    context = {"review": review, "membership": membership, "label": label, "form": form}
    return render(request, "screening/labels/label_edit.html", context)


def label_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A confirmation first (GET); the deletion takes the label off every reference (POST)."""
    review, membership = review_for_user(request, slug)
    label = _managed(review, membership, pk)
    if request.method == "POST":

        def delete() -> str:
            name = label.name
            label_delete(label=label, user=request.user)
            return f"The label ‘{name}’ was deleted."

        if attempt(request, delete):
            return redirect("screening:label-list", review.slug)
    context = {
        "review": review,
        "membership": membership,
        "label": label,
        "uses": label_counts(review, VoteView.of(review, membership)).get(label.pk, 0),
    }
    return render(request, "screening/labels/label_delete.html", context)
