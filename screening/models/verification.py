"""Verification of single-reviewer exclusions: a seeded random sample, re-screened blind by
another reviewer; how many were wrongly excluded, with a confidence interval."""

from django.conf import settings
from django.db import models

from references.models import Reference
from screening.constants import Stage, Verdict
from screening.models.reviews import Review
from screening.models.scoped import InReviewManager


class VerificationSample(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="samples")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    percent = models.PositiveSmallIntegerField()
    seed = models.PositiveIntegerField()
    # Who re-screens the sample: never the reviewer who excluded a sampled reference.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    population = models.PositiveIntegerField()  # single-reviewer exclusions it was drawn from
    references = models.JSONField(default=list)  # the sampled reference ids, in draw order
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.percent}% of {self.population} exclusions at {self.stage}"


class VerificationCheck(models.Model):
    """One sampled reference re-screened: append-only, once per reference of a sample."""

    sample = models.ForeignKey(VerificationSample, on_delete=models.CASCADE, related_name="checks")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sample", "reference"], name="check_once_per_sample")
        ]

    def __str__(self) -> str:
        return f"{self.reference_id}: {self.verdict}"

    @property
    def wrongly_excluded(self) -> bool:
        return self.verdict != Verdict.EXCLUDE
