"""Blind screening: the one rule for what a member may see of other reviewers' votes.

While a review screens blind, a member learns nothing of another reviewer's vote on a
reference at a stage (verdict, reason, note, even that it was an include) until the member has
a vote of their own there, or the stage has settled the reference (included, excluded, removed:
no longer open). Owners and members who resolve conflicts see everything elsewhere (they settle
conflicts), but not on the screening page while they vote themselves; everyone sees everything
on a review that does not screen blind. A member's own decisions are always theirs to see.

Every page, fragment, export, filter and figure that shows or counts votes reads them through
`VoteView` (a review's decisions, live votes, audit events, or (reference, stage) pairs), so
that the rule lives here and nowhere else. Labels put on references and discussion posts
(screening/labels) follow it too, through `notes`: one made while the reference was open at a
stage is hidden from a member exactly while that member may not see the votes there.
`tests/screening/blinding/test_crawl.py` requests every URL as a blind reviewer, a viewer and
an outsider, and fails on any planted vote text it finds.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, Exists, IntegerField, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from screening.constants import AuditAction, ItemState, Stage
from screening.models import AuditEvent, Decision, Membership, Review, ScreeningItem, Vote

DECISION_OBJECT = Decision._meta.label_lower  # audit events of decisions name it
# Audit events of labels and discussion posts (screening/labels). Those of a label put on or
# taken off a reference, and of a post, carry the reference and the stage it was open at in
# their `after`, as the rows themselves do; those of a private label say so in theirs.
NOTE_ACTIONS = (
    AuditAction.LABEL_APPLY,
    AuditAction.LABEL_REMOVE,
    AuditAction.POST_CREATE,
    AuditAction.POST_EDIT,
    AuditAction.POST_DELETE,
)
LABEL_ACTIONS = (
    AuditAction.LABEL_CREATE,
    AuditAction.LABEL_EDIT,
    AuditAction.LABEL_DELETE,
    AuditAction.LABEL_APPLY,
    AuditAction.LABEL_REMOVE,
)


@dataclass(frozen=True)
class VoteView:
    """What one member may see of the review's votes."""

    review: Review
    user_id: int
    sees_all: bool

    @classmethod
    def of(cls, review: Review, membership: Membership) -> VoteView:
        return cls(
            review=review,
            user_id=membership.user_id,
            sees_all=not review.blind or membership.resolves,
        )

    @classmethod
    def while_screening(cls, review: Review, membership: Membership) -> VoteView:
        """On the screening page everyone who votes is blind, owners and resolvers included:
        they see others' votes on a reference once they have voted on it or it is settled."""
        return cls(review=review, user_id=membership.user_id, sees_all=not review.blind)

    # --- the rule ------------------------------------------------------------------------------

    def hidden_items(self) -> QuerySet[ScreeningItem]:
        """The references (at a stage) on which others' votes are hidden from this member:
        still open, and the member has no vote there. Empty for a member who sees all."""
        if self.sees_all:
            return ScreeningItem.objects.none()
        mine = Vote.objects.filter(item=OuterRef("pk"), reviewer_id=self.user_id)
        return (
            ScreeningItem.objects.in_review(self.review)
            .filter(stage__in=Stage.screened(), state__in=ItemState.open())
            .exclude(Exists(mine))
        )

    def hides(self, reference_id: int, stage: str) -> bool:
        """Whether others' votes on this reference at this stage are hidden (one query)."""
        if self.sees_all:
            return False
        return self.hidden_items().filter(reference_id=reference_id, stage=stage).exists()

    # --- applied to each kind of row -------------------------------------------------------------

    def decisions(self, queryset: QuerySet[Decision]) -> QuerySet[Decision]:
        """The decisions this member may see: their own, and others' where not hidden."""
        if self.sees_all:
            return queryset
        hidden = self.hidden_items().filter(
            reference_id=OuterRef("reference_id"), stage=OuterRef("stage")
        )
        return queryset.filter(Q(reviewer_id=self.user_id) | ~Exists(hidden))

    def votes(self, queryset: QuerySet[Vote]) -> QuerySet[Vote]:
        """The live votes this member may see."""
        if self.sees_all:
            return queryset
        hidden = self.hidden_items().filter(pk=OuterRef("item_id"))
        return queryset.filter(Q(reviewer_id=self.user_id) | ~Exists(hidden))

    def notes(self, queryset: QuerySet, *, author: str) -> QuerySet:
        """Labels put on references and discussion posts (rows with `reference_id` and the
        `stage` the reference was open at when written) this member may see: their own (their
        `author` field), and others' unless the reference is still open at that stage and
        others' votes there are hidden from this member. A reviewer's label or post on an open
        reference could tell their vote, so it is hidden exactly as long as the vote is."""
        if self.sees_all:
            return queryset
        hidden = self.hidden_items().filter(
            reference_id=OuterRef("reference_id"), stage=OuterRef("stage")
        )
        return queryset.filter(Q(**{author: self.user_id}) | ~Exists(hidden))

    def events(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """The audit events this member may see: all but those of hidden decisions (a vote, its
        change or withdrawal, a reopening of a reference that is open again), of labels and
        posts hidden as `notes` hides them, and of other members' private labels (which no one
        else sees, whatever their role)."""
        others = AuditEvent.objects.in_review(self.review).exclude(actor_id=self.user_id)
        private = others.filter(action__in=LABEL_ACTIONS, after__private=True)
        queryset = queryset.exclude(pk__in=private.values("pk"))
        if self.sees_all:
            return queryset
        hidden_decisions = (
            self.decisions_hidden()
            .annotate(pk_text=Cast("pk", output_field=CharField()))
            .values("pk_text")
        )
        hidden_notes = (
            others.filter(action__in=NOTE_ACTIONS)
            .annotate(
                note_reference=Cast(KeyTextTransform("reference", "after"), IntegerField()),
                note_stage=KeyTextTransform("stage", "after"),
            )
            .filter(
                Exists(
                    self.hidden_items().filter(
                        reference_id=OuterRef("note_reference"), stage=OuterRef("note_stage")
                    )
                )
            )
        )
        return queryset.exclude(
            Q(object_type=DECISION_OBJECT) & Q(object_id__in=hidden_decisions)
        ).exclude(pk__in=hidden_notes.values("pk"))

    def decisions_hidden(self) -> QuerySet[Decision]:
        """Others' decisions in the review that this member may not see."""
        hidden = self.hidden_items().filter(
            reference_id=OuterRef("reference_id"), stage=OuterRef("stage")
        )
        return (
            Decision.objects.in_review(self.review)
            .exclude(reviewer_id=self.user_id)
            .filter(Exists(hidden))
        )

    def hides_votes_on(self, reference_id: int) -> bool:
        """Whether any of others' decisions on this reference are hidden from this member: the
        reference's page (and the API's) says that votes are hidden."""
        if self.sees_all:
            return False
        return self.decisions_hidden().filter(reference_id=reference_id).exists()

    def hidden_pairs(self) -> set[tuple[int, str]]:
        """(reference, stage) pairs whose others' votes are hidden: for figures computed in
        Python from many references at once."""
        return set(self.hidden_items().values_list("reference_id", "stage"))
