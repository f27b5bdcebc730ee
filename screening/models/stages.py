"""Screening: exclusion reasons, the append-only decision log, full texts, removals before
screening, and the cached state of each reference at each stage.

The decision log (Decision, FullText, Removal) is the record: rows are only ever added. The rest
(ScreeningItem, Vote, StageCount, ReviewerCount) is a cache computed from it by
screening/decisions/states.py, updated in the same transaction as each change, so that queues and
counts stay fast; `screening_state --check` recomputes it and reports any difference. RecordCount
counts the records of each search the same way (screening/decisions/counters.py writes every
counter).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from references.models import Reference
from screening.constants import (
    DecisionKind,
    FullTextStatus,
    ItemState,
    ReasonStages,
    RemovalReason,
    Stage,
    Verdict,
)
from screening.models.identification import Search
from screening.models.reviews import Review
from screening.models.scoped import InReviewManager


class ExclusionReason(models.Model):
    """One of a review's reasons to exclude, in the review's order, with a hotkey 1-9. Editing
    or retiring a reason never rewrites a past decision: decisions keep the label they chose."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reasons")
    label = models.CharField(max_length=200)
    stages = models.CharField(
        max_length=20, choices=ReasonStages.choices, default=ReasonStages.BOTH
    )
    hotkey = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    retired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    def usable_at(self, stage: str) -> bool:
        return not self.retired and self.stages in (ReasonStages.BOTH, stage)


class Decision(models.Model):
    """One entry of the decision log: a reviewer's vote, its withdrawal, a resolution, or a
    reopening. Never changed or deleted: a changed mind is a new decision."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    kind = models.CharField(max_length=20, choices=DecisionKind.choices, default=DecisionKind.VOTE)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    reason = models.ForeignKey(
        ExclusionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason_label = models.CharField(max_length=200, blank=True)  # as it read when chosen
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="screening_decisions"
    )
    # The decision this one replaces (the reviewer's earlier vote, for a withdrawal or a
    # changed mind); for the history page.
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The rules the decision was made under (the review's settings then).
    reviewers_required = models.PositiveSmallIntegerField(default=2)
    reasons_conflict = models.BooleanField(default=True)
    # The form's one-off token: a decision submitted twice is recorded once. NULL, not "", when
    # there is none, so that the unique constraint leaves those alone.
    token = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The order the reference was in when voted on: the model version that ranked it and its
    # place in that ranking (1 = most likely relevant), or neither for random order.
    ranking_version = models.PositiveIntegerField(null=True, blank=True)
    ranking_position = models.PositiveIntegerField(null=True, blank=True)
    # A decision moved in from another tool (Rayyan, Covidence, ASReview): the file import that
    # brought it. Its reviewer is the member the importer mapped the file's reviewer to.
    imported_from = models.ForeignKey(
        "Search", null=True, blank=True, on_delete=models.PROTECT, related_name="imported_decisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["review", "reference", "stage"], name="decision_reference_stage"),
            models.Index(fields=["review", "stage", "kind"], name="decision_stage_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "token"],
                condition=models.Q(token__isnull=False),
                name="decision_token_once_per_reviewer",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.verdict} by {self.reviewer_id} on {self.reference_id}"
        )

    def save(self, *args, **kwargs):
        # The log is append-only: an existing row is never written again.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Decisions are never changed; record a new one.")
        super().save(*args, **kwargs)

    @property
    def summary(self) -> str:
        """What the decision was, in a few words: "Vote: Include", "Vote withdrawn"."""
        kind = self.get_kind_display()
        return f"{kind}: {self.get_verdict_display()}" if self.verdict else kind


class FullText(models.Model):
    """One step of a reference's retrieval, append-only; the latest one holds. A PDF is kept
    under MEDIA_ROOT and served only to the review's members."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="full_texts")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=FullTextStatus.choices)
    file = models.FileField(upload_to="fulltexts/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    # The file's SHA-256 (hex): the same PDF uploaded again, to this reference or another, is
    # told apart by it. Blank without a file.
    sha256 = models.CharField(max_length=64, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    reason = models.CharField(max_length=300, blank=True)  # why it could not be retrieved
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["review", "reference"], name="fulltext_reference"),
            models.Index(fields=["review", "sha256"], name="fulltext_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.reference_id}"

    def get_absolute_url(self) -> str:
        return reverse("screening:fulltext-file", args=[self.review.slug, self.pk])


class Removal(models.Model):
    """A reference removed before screening, or restored: append-only; the latest one holds.
    Removed references count as "removed for other reasons" in PRISMA."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="removals")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    removed = models.BooleanField(default=True)  # False: restored
    reason = models.CharField(max_length=20, choices=RemovalReason.choices, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["review", "reference"], name="removal_reference")]

    def __str__(self) -> str:
        return f"{'Removed' if self.removed else 'Restored'}: {self.reference_id}"


class ScreeningItem(models.Model):
    """Cache: a reference's state at one stage it has reached, computed from the log."""

    # No index of its own: the unique constraint and the indexes below start with it.
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    state = models.CharField(max_length=20, choices=ItemState.choices)
    # Where the reference entered screening: title_abstract (a database or register record),
    # or retrieval (found by other methods only). PRISMA's two columns.
    entry = models.CharField(max_length=20, choices=Stage.choices)
    # The outcome once settled: the verdict and reason that count (a resolver's, if resolved).
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    # Indexed only where set (Meta.indexes): an item has no reason until it is excluded.
    reason = models.ForeignKey(
        ExclusionReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    resolved = models.BooleanField(default=False)
    votes = models.PositiveSmallIntegerField(default=0)  # live votes
    # The queue's order: a fixed pseudo-random rank per reference (screening/decisions/queue.py).
    rank = models.PositiveIntegerField()
    # state in ItemState.pending(): the queue's index starts with it. A flag rather than a
    # partial index on the state, which SQLite cannot use for a query with bound parameters.
    waiting = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InReviewManager()

    class Meta:
        # No default ordering: an ORDER BY on every lookup by reference made PostgreSQL prefer
        # an index that serves the order over the one that finds the row.
        constraints = [
            models.UniqueConstraint(
                fields=["review", "reference", "stage"], name="item_once_per_stage"
            )
        ]
        indexes = [
            # With the column: PRISMA's counts by stage, state and column from the index alone.
            models.Index(
                fields=["review", "stage", "state", "entry"], name="item_stage_state_entry"
            ),
            # The queue: waiting references in rank order.
            models.Index(fields=["review", "stage", "waiting", "rank"], name="item_queue"),
            models.Index(fields=["reason"], name="item_reason", condition=Q(reason__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.reference_id} at {self.stage}: {self.state}"


class Vote(models.Model):
    """Cache: a reviewer's live vote on a reference at a stage (their latest, not withdrawn)."""

    item = models.ForeignKey(ScreeningItem, on_delete=models.CASCADE, related_name="live_votes")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)

    objects = InReviewManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "reviewer"], name="vote_once_per_reviewer")
        ]
        indexes = [
            models.Index(fields=["review", "stage", "reviewer", "decision"], name="vote_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.verdict} on item {self.item_id}"


class StageCount(models.Model):
    """Cache: how many references are in each state at each stage, by PRISMA column (the
    items' entry) and settled reason, for pages that must not count 100,000 rows. The screening
    pages add up the columns and reasons; PRISMA reads each one."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="stage_counts")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    state = models.CharField(max_length=20, choices=ItemState.choices)
    entry = models.CharField(max_length=20, choices=Stage.choices)
    # The items' reason (an exclusion's, once settled), or none. A reason in use cannot be
    # deleted (the items protect it), so a row that goes with its reason counts nothing.
    reason = models.ForeignKey(
        ExclusionReason, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    n = models.IntegerField(default=0)

    objects = InReviewManager()

    class Meta:
        constraints = [
            # No reason counts as reason 0: one row for it, as NULLs would not be equal.
            models.UniqueConstraint(
                "review",
                "stage",
                "state",
                "entry",
                Coalesce("reason", models.Value(0)),
                name="stage_count_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.state} ({self.entry}, reason {self.reason_id}): {self.n}"


class ReviewerCount(models.Model):
    """Cache: how many live votes a reviewer has at a stage."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    n = models.IntegerField(default=0)

    objects = InReviewManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "stage", "reviewer"], name="reviewer_count_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id} at {self.stage}: {self.n}"


class RecordCount(models.Model):
    """Cache: how many records a search holds (PRISMA's records identified, per source), kept
    by the import that inserts them, so that PRISMA does not count a million record rows."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="+")
    n = models.IntegerField(default=0)

    objects = InReviewManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "search"], name="record_count_once")
        ]

    def __str__(self) -> str:
        return f"search {self.search_id}: {self.n} records"
