"""An analysis: an outcome and comparison pooled across the review's studies with an effect
measure and a model, from the consensus extracted data; and the studies a person left out of
it, each with the reason."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from extraction.models import Study
from screening.models import Review

from .results import MEASURES, RATIOS

# Each model's methods: the first is its default.
METHODS = {"fixed": ("IV", "MH"), "random": ("DL", "PM", "REML")}
METHOD_LABELS = {
    "IV": "Inverse variance",
    "MH": "Mantel-Haenszel",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "REML": "Restricted maximum likelihood",
}


class Analysis(models.Model):
    FIXED, RANDOM = "fixed", "random"
    MODELS = [(FIXED, "Fixed effect"), (RANDOM, "Random effects")]

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="analyses")
    outcome = models.CharField(
        max_length=200,
        help_text="The outcome as the studies name it (case and spacing aside), e.g. "
        "Objective response rate",
    )
    comparison = models.CharField(
        max_length=200, blank=True, help_text="In words, e.g. Ivonescimab vs control"
    )
    measure = models.CharField(max_length=4, choices=list(MEASURES.items()))
    model = models.CharField(max_length=8, choices=MODELS, default=RANDOM)
    method = models.CharField(max_length=4, choices=list(METHOD_LABELS.items()), default="DL")
    hksj = models.BooleanField(
        "Hartung-Knapp-Sidik-Jonkman", default=False, help_text="Random effects only"
    )
    subgroup_by = models.CharField(max_length=60, blank=True)  # see inputs.SUBGROUPS
    benefit = models.BooleanField(
        "The outcome is a benefit",
        default=False,
        help_text="A response, say: more favours the experimental arm (the forest plot's "
        "labels follow)",
    )
    convert_medians = models.BooleanField(
        default=False,
        help_text="For MD and SMD: estimate a mean and SD from a median and quartiles "
        "(Wan et al. 2014) where no SD is given",
    )
    note = models.TextField(blank=True, help_text="Shown with every result of the analysis")
    position = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.outcome}: {self.comparison}" if self.comparison else self.outcome

    def get_absolute_url(self) -> str:
        return reverse("meta_analysis:detail", args=[self.review.slug, self.pk])

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.method not in METHODS.get(self.model, ()):
            allowed = ", ".join(METHOD_LABELS[m] for m in METHODS.get(self.model, ()))
            errors["method"] = [f"A {self.get_model_display().lower()} model takes: {allowed}."]
        if self.method == "MH" and self.measure not in {"RR", "OR", "RD"}:
            errors["method"] = ["Mantel-Haenszel pools risk ratios, odds ratios or differences."]
        if self.hksj and self.model != self.RANDOM:
            errors["hksj"] = ["The Hartung-Knapp-Sidik-Jonkman adjustment is for random effects."]
        if not self.outcome.strip():
            errors["outcome"] = ["Name the outcome."]
        if errors:
            raise ValidationError(errors)

    @property
    def ratio(self) -> bool:
        return self.measure in RATIOS


class AnalysisExclusion(models.Model):
    """A study a person left out of an analysis, and why (the forest plot lists it so)."""

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="exclusions")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["analysis", "study"], name="exclusion_once")]

    def __str__(self) -> str:
        return f"{self.study} left out: {self.reason}"
