"""Reads of labels and discussion posts, each through what the member may see (the rule is
`screening.permissions.labels`): the labels on a page of references, their counts, and one
reference's labels and thread."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from screening.models import Label, Post, Review
from screening.permissions.blinding import VoteView
from screening.permissions.labels import labels_for, posts_visible, uses_visible


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
