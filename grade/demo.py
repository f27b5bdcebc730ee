"""The demo review's GRADE judgements of its one pooled outcome (the response rates), made as
its owner would: the app's proposals taken where it has them, a person's call elsewhere, each
downgrade footnoted. Like the analysis they judge, they are a demonstration: the footnotes say
what a reader of the two trials would weigh."""

from __future__ import annotations

from meta_analysis.models import Analysis

from .models import Certainty
from .services import certainty_save

DECISIONS = {
    "risk_of_bias": (
        0,
        "Both trials double-blind and randomised; the response outcome was not assessed with "
        "RoB 2 in this demo (its assessments are of progression-free survival, low risk).",
    ),
    "inconsistency": (0, ""),
    "indirectness": (
        -1,
        "The two trials compare different regimens (ivonescimab plus chemotherapy against "
        "placebo plus chemotherapy; ivonescimab against pembrolizumab) in different "
        "populations: the pooled comparison answers no single clinical question.",
    ),
    "imprecision": (
        -1,
        "The confidence interval (1.14 to 1.60) includes a ratio above the important-effect "
        "threshold of 1.25 as well as ratios below it.",
    ),
    "publication_bias": (0, ""),
}


def grade_demo_load(analysis: Analysis, owner) -> Certainty:
    found = Certainty.objects.filter(analysis=analysis).first()
    if found is not None:
        return found
    return certainty_save(
        analysis=analysis,
        user=owner,
        design=Certainty.RANDOMISED,
        threshold_low="0.8",
        threshold_high="1.25",
        decisions=DECISIONS,
    )
