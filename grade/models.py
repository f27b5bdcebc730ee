"""A person's GRADE assessment of one outcome (an analysis): the design the evidence starts
from, the control risk and the thresholds the proposals use, and each domain's decision with
its footnote. The proposals themselves are computed (rules.py), never stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from meta_analysis.models import Analysis

DECIMAL = {"max_digits": 10, "decimal_places": 4, "null": True, "blank": True}


class Certainty(models.Model):
    RANDOMISED, NON_RANDOMISED = "randomised", "non-randomised"
    DESIGNS = [(RANDOMISED, "Randomised trials"), (NON_RANDOMISED, "Non-randomised studies")]

    analysis = models.OneToOneField(Analysis, on_delete=models.CASCADE, related_name="certainty")
    design = models.CharField(max_length=16, choices=DESIGNS, default=RANDOMISED)
    control_per_1000 = models.DecimalField(
        "Assumed control risk (per 1,000)",
        **DECIMAL,
        help_text="Empty: the control arms' risk",
    )
    threshold_low = models.DecimalField(
        "Important effect below", **DECIMAL, help_text="e.g. RR 0.8; for imprecision"
    )
    threshold_high = models.DecimalField(
        "Important effect above", **DECIMAL, help_text="e.g. RR 1.25; for imprecision"
    )
    # {domain: {"level": -2..2, "footnote": "..."}}: a person's decisions (rules.py proposes).
    judgements = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Certainty of {self.analysis}"
