"""Prioritisation and stopping: the model's current order of a review's unscreened records (one
compact row per review and stage, not a rank on every reference), and the random samples the
stopping rule is tested on."""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import models

from screening.constants import Stage
from screening.models.reviews import Review
from screening.models.scoped import InReviewManager


def pack_ids(ids) -> bytes:
    """Reference ids as little-endian 64-bit integers: 200 KB at 25,000 records."""
    return np.asarray(ids, dtype="<i8").tobytes()


def unpack_ids(blob: bytes | memoryview | None) -> np.ndarray:
    return np.frombuffer(bytes(blob or b""), dtype="<i8")


class Ranking(models.Model):
    """The latest ranking of a review's records at a stage, and the bookkeeping that decides
    when to retrain. Written by the retrain (screening/prioritisation/retrain.py) with one UPDATE; a
    decision only bumps `decisions_since`, so neither waits for the other."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="rankings")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TITLE_ABSTRACT)
    version = models.PositiveIntegerField(default=0)  # 0: never trained
    # The records waiting at training time, most likely relevant first (pack_ids).
    order = models.BinaryField(default=b"")
    trained_at = models.DateTimeField(null=True, blank=True)
    train_seconds = models.FloatField(default=0.0)
    # What the model learned from: labelled records of each kind when it was trained.
    includes = models.PositiveIntegerField(default=0)
    excludes = models.PositiveIntegerField(default=0)
    # The model's estimate of relevant records among those still unscreened then, with its
    # 95% interval (screening/prioritisation/estimate.py).
    estimate_left = models.FloatField(null=True, blank=True)
    estimate_left_low = models.FloatField(null=True, blank=True)
    estimate_left_high = models.FloatField(null=True, blank=True)
    # The rankers' shares of this order (screening/prioritisation/chooser.py): the leading
    # ranker, each ranker's decayed hits and misses in this review, the places each filled,
    # and for each drawn place the rankers credited with it (a bit per ranker, one byte per
    # place), for the next retrain to score once those records are screened.
    ranker = models.CharField(max_length=20, blank=True)
    ranker_record = models.JSONField(default=dict, blank=True)
    order_credit = models.BinaryField(default=b"")
    # Decisions since the training started; the retrain subtracts what it saw, so a decision
    # made while it runs still counts towards the next one.
    decisions_since = models.PositiveIntegerField(default=0)
    # Set when a retrain is asked for, cleared when it ends: one at a time per review.
    requested_at = models.DateTimeField(null=True, blank=True)
    # Set when the review's missing sentence embeddings are asked for, cleared when done.
    embeddings_requested_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = InReviewManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "stage"], name="ranking_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"Ranking v{self.version} of {self.review_id} at {self.stage}"

    @property
    def ids(self) -> np.ndarray:
        return unpack_ids(self.order)

    def position_of(self, reference_id: int) -> int | None:
        """The reference's 1-based place in this ranking, or None if it was not ranked."""
        found = np.flatnonzero(self.ids == reference_id)
        return int(found[0]) + 1 if len(found) else None


class StoppingSample(models.Model):
    """A simple random sample of the records still unscreened at title and abstract, drawn for
    the stopping rule (screening/stopping/rule.py). The queue serves its records first; once they
    are screened the test says whether the team may stop, and applying it marks the records
    left unscreened as ineligible by automation tools."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="stopping_samples")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.TITLE_ABSTRACT)
    target = models.FloatField(default=0.95)  # recall
    confidence = models.FloatField(default=0.95)
    # The state of screening when it was drawn: what the test conditions on.
    pool_size = models.PositiveIntegerField()  # unscreened records then
    screened_before = models.PositiveIntegerField()
    found_before = models.PositiveIntegerField()
    reference_ids = models.BinaryField()  # the sample, in draw order (pack_ids)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Applying the rule: the test as it stood, and how many records it marked.
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    p_value = models.FloatField(null=True, blank=True)
    found_in_sample = models.PositiveIntegerField(null=True, blank=True)
    sample_screened = models.PositiveIntegerField(null=True, blank=True)
    marked = models.PositiveIntegerField(null=True, blank=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"Stopping sample of {self.size} in {self.review_id}"

    @property
    def ids(self) -> np.ndarray:
        return unpack_ids(self.reference_ids)

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None and self.applied_at is None


class Embedding(models.Model):
    """One record's sentence embedding by one model, computed once in a background task of its
    own (screening/prioritisation/embeddings.py) and kept here, not in any process's memory:
    the retrain reads a review's embeddings through a file mapped from disk."""

    reference = models.ForeignKey(
        "references.Reference", on_delete=models.CASCADE, related_name="embeddings"
    )
    model = models.CharField(max_length=200)  # the model's name and the digest of its files
    vector = models.BinaryField()  # float32, little-endian, L2-normalised

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reference", "model"], name="embedding_once_per_model")
        ]

    def __str__(self) -> str:
        return f"Embedding of {self.reference_id} by {self.model}"
