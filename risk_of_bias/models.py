"""Risk-of-bias assessments of a study's results.

RoB 2 judges a result, not a study: an assessment belongs to one outcome of a study (and,
optionally, one comparison of that outcome). Each result is assessed by `assessors` people
(RobSettings, default 2), each on their own assessment, blind to the others' until all have
submitted; then an owner or resolver makes the consensus assessment, the one reported. All are
kept. An assessment holds the answers to the tool's signalling questions (each with its
evidence: a comment, a quote, its report and page) and the judgements; a judgement left blank
is the algorithm's proposal (risk_of_bias/tool.py), a judgement set is an override, which needs
a justification. A submitted assessment is frozen, and its content's digest is in the audit log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from extraction.models import Comparison, Outcome
from references.models import Reference
from screening.models import Review
from screening.models.scoped import InReviewManager

JUDGEMENT_CHOICES = [("low", "Low"), ("some concerns", "Some concerns"), ("high", "High")]
RESPONSE_CHOICES = [
    ("Y", "Yes"),
    ("PY", "Probably yes"),
    ("PN", "Probably no"),
    ("N", "No"),
    ("NI", "No information"),
    ("NA", "Not applicable"),  # only where the guidance offers it (D2, effect of adhering)
]


class RobSettings(models.Model):
    """A review's risk-of-bias settings (one row, made when first needed)."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="rob_settings")
    assessors = models.PositiveSmallIntegerField(
        default=2, help_text="How many people assess each result independently (1 to 3)."
    )
    tool = models.CharField(max_length=40, default="rob2-assignment")
    # Assessments made up for a demonstration (the demo review's): every page, plot and export
    # of the review's risk of bias says so.
    demo_data = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.assessors} assessor(s), {self.tool}"

    @classmethod
    def for_review(cls, review: Review) -> RobSettings:
        """The review's settings; the defaults, unsaved, while no owner has changed them (a
        page that reads them writes nothing)."""
        return cls.objects.filter(review=review).first() or cls(review=review)


class Assessment(models.Model):
    ASSESSOR, CONSENSUS = "assessor", "consensus"
    KINDS = [(ASSESSOR, "Assessor"), (CONSENSUS, "Consensus")]

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="rob_assessments")
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tool = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=KINDS, default=ASSESSOR)
    # The assessor; for the consensus, the owner or resolver who made it.
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    overall = models.CharField(max_length=16, choices=JUDGEMENT_CHOICES, blank=True)
    overall_justification = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # None: a draft
    digest = models.CharField(max_length=64, blank=True)  # of the content, as submitted
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["outcome_id", "comparison_id", "kind", "id"]
        indexes = [models.Index(fields=["review", "outcome"], name="rob_assessment_result")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} assessment {self.pk} of outcome {self.outcome_id}"

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class DomainJudgement(models.Model):
    """An override of the algorithm's proposal for one domain (no row: the proposal stands)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=4)  # "D1".."D5"
    judgement = models.CharField(max_length=16, choices=JUDGEMENT_CHOICES)
    justification = models.TextField()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="rob_domain_once")
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.judgement}"


class Answer(models.Model):
    """The answer to one signalling question, with its evidence."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.CharField(max_length=8)  # "1.1"
    response = models.CharField(max_length=2, choices=RESPONSE_CHOICES)
    comment = models.TextField(blank=True)
    quote = models.TextField(blank=True)
    report = models.ForeignKey(
        Reference, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    page = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="rob_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.response}"
