"""Reads of labels and discussion posts, each through what the member may see: a private label
is its maker's alone (whatever the reader's role), and a label put on, or a post written on, a
reference while it was open at a stage is hidden as the votes there are (VoteView.notes). Every
list, count, filter and export of labels reads them from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from screening.models import Label, Post, ReferenceLabel, Review
from screening.permissions.blinding import VoteView


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


def label_counts(review: Review, view: VoteView) -> dict[int, int]:
    """label id -> on how many references the member sees it."""
    return dict(
        uses_visible(review, view)
        .order_by()
        .values("label")
        .annotate(n=Count("reference", distinct=True))
        .values_list("label", "n")
    )


@dataclass(frozen=True)
class LabelChoice:
    """A label beside one reference: whether the member sees it there."""

    label: Label
    on: bool


@dataclass
class ReferenceNotes:
    """A reference's labels and discussion, as one member sees them."""

    choices: list[LabelChoice] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    # Blind screening hides teammates' labels and posts on this reference from the member
    # (said on the page; it depends on the member's own votes, not on what others wrote).
    blind: bool = False

    @property
    def labels(self) -> list[Label]:
        return [choice.label for choice in self.choices if choice.on]


def reference_notes(review: Review, view: VoteView, reference_id: int) -> ReferenceNotes:
    """The labels (each marked on or not) and the posts of one reference, in four queries."""
    on = set(
        uses_visible(review, view)
        .filter(reference_id=reference_id)
        .values_list("label_id", flat=True)
    )
    posts = list(
        posts_visible(review, view)
        .filter(reference_id=reference_id)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return ReferenceNotes(
        choices=[LabelChoice(label, label.pk in on) for label in labels_for(review, view.user_id)],
        posts=posts,
        blind=not view.sees_all and view.hidden_items().filter(reference_id=reference_id).exists(),
    )
