"""Which labels and discussion posts a member may see, and the label filter every list shares.

A private label is its maker's alone (whatever the reader's role), and a label put on, or a post
written on, a reference while it was open at a stage is hidden as the votes there are
(VoteView.notes). The rule lives here, beside blinding, so that every list of the review (the
reference list, conflicts, My decisions, retrieval, studies) filters through the same one,
whichever layer it sits in."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from screening.models import Label, Post, ReferenceLabel, Review
from screening.permissions.blinding import VoteView

NO_LABEL = "none"  # the label filter's choice for references without a label


def labels_for(review: Review, user_id: int) -> QuerySet[Label]:
    """The labels a member may see and use: the shared ones and their own private ones."""
    return Label.objects.in_review(review).filter(Q(private=False) | Q(created_by_id=user_id))


def uses_visible(review: Review, view: VoteView) -> QuerySet[ReferenceLabel]:
    """The labels on references the member may see (of labels they may see, not hidden)."""
    uses = ReferenceLabel.objects.in_review(review).filter(
        Q(label__private=False) | Q(label__created_by_id=view.user_id)
    )
    return view.notes(uses, author="applied_by_id")


def posts_visible(review: Review, view: VoteView) -> QuerySet[Post]:
    """The discussion posts the member may see."""
    return view.notes(Post.objects.in_review(review), author="author_id")


def labels_on(review: Review, view: VoteView, reference_ids: list[int]) -> dict[int, list[Label]]:
    """reference id -> the labels the member sees on it, by name (one query for the lot)."""
    found: dict[int, dict[int, Label]] = {}
    for use in (
        uses_visible(review, view)
        .filter(reference_id__in=reference_ids)
        .select_related("label")
        .order_by("label__name", "label_id")
    ):
        found.setdefault(use.reference_id, {}).setdefault(use.label_id, use.label)
    return {pk: list(labels.values()) for pk, labels in found.items()}


def label_choices(labels: list[Label]) -> list[tuple[str, str]]:
    """The label filter's choices: "No label", then the labels the member may use."""
    return [(NO_LABEL, "No label"), *((str(label.pk), label.name) for label in labels)]


def with_label(
    queryset: QuerySet, review: Review, view: VoteView, value: str, reference: str = "pk"
) -> QuerySet:
    """The rows whose reference (the field `reference` names) carries the label `value` (a
    label id, or NO_LABEL for none) as the member sees it: under blind screening a teammate's
    label on an open reference neither matches nor counts, and another member's private label
    matches nothing. An unknown value leaves the rows as they are."""
    uses = uses_visible(review, view).filter(reference=OuterRef(reference))
    if value == NO_LABEL:
        return queryset.exclude(Exists(uses))
    if not value.isdigit():
        return queryset
    return queryset.filter(Exists(uses.filter(label_id=int(value))))
