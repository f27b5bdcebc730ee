"""The audit log: one hash chain per review."""

from django.conf import settings
from django.db import models

from screening.constants import AuditAction
from screening.models.reviews import Review
from screening.models.scoped import InReviewManager


class AuditEvent(models.Model):
    """Append-only: who did what, when, to which object, with the state before and after.

    Each review's events form one chain: `seq` counts them from 1, and `hash` is an HMAC, with
    the key named by `key_id` (settings.AUDIT_KEY, never stored here), of the event's own fields
    and the previous event's hash. Changing, removing or inserting an event breaks every link
    after it, and without the key nobody can recompute the links; the review's AuditHead seals
    the count and the last hash, so that deleting the last events shows too (`audit_verify`).
    On PostgreSQL a trigger refuses UPDATE and DELETE on the table; in the application, `save`
    refuses to write an existing row."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="audit_events")
    # PROTECT: a person who acted stays on record (a user is deactivated, not deleted).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    seq = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16, blank=True)  # "": written before keyed hashes

    objects = InReviewManager()

    class Meta:
        ordering = ["review_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["review", "seq"], name="audit_seq_once_per_review")
        ]
        indexes = [models.Index(fields=["review", "created_at"], name="audit_review_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events are never changed.")
        super().save(*args, **kwargs)


class AuditHead(models.Model):
    """A review's sealed running count: how many events its chain holds and the last one's
    hash, signed with the audit key. Written with each event, in its transaction (the review's
    row is locked). Someone who deletes the last events, or rolls this row back, without the
    key leaves a seal that no longer matches; receipts anchor it outside the database."""

    review = models.OneToOneField(
        Review, on_delete=models.CASCADE, primary_key=True, related_name="audit_head"
    )
    events = models.PositiveIntegerField()
    head = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    seal = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    objects = InReviewManager()

    def __str__(self) -> str:
        return f"{self.review_id}: {self.events} events, head {self.head[:12]}"
