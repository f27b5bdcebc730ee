"""The demo review's meta-analysis: the objective response rates of HARMONi-A and HARMONi-2
pooled as risk ratios with a random-effects DerSimonian-Laird model. The arm sizes are the
trials' primary reports' (extraction/demo_data, each value's note says so). The two trials
compare different regimens, so the pooled number is a demonstration, not a clinical claim, and
the analysis says so wherever it is shown."""

from __future__ import annotations

from screening.models import Review

from .models import Analysis
from .services import analysis_save

NOTE = (
    "A demonstration, not a clinical claim: HARMONi-A compares ivonescimab plus chemotherapy with "
    "placebo plus chemotherapy, HARMONi-2 ivonescimab with pembrolizumab; pooling them answers "
    "no clinical question. Arm sizes from the trials' primary reports."
)


def meta_analysis_demo_load(review: Review, owner) -> Analysis:
    """The analysis, defined once, as its owner would."""
    found = Analysis.objects.filter(review=review).first()
    if found is not None:
        return found
    return analysis_save(
        review=review,
        user=owner,
        outcome="Objective response rate",
        comparison="Ivonescimab-based regimen vs control",
        measure="RR",
        model=Analysis.RANDOM,
        method="DL",
        benefit=True,
        note=NOTE,
    )
