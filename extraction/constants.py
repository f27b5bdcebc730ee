"""Choices for studies and extracted data."""

from django.db import models


class StudyKind(models.TextChoices):
    TRIAL = "trial", "Trial"
    # An included report that is not a trial (a review, a company overview): PRISMA counts it
    # as a study of its own, and it has no arms or outcomes.
    DOCUMENT = "document", "Document, not a trial"


class Phase(models.TextChoices):
    PHASE_1 = "1", "Phase I"
    PHASE_1B = "1b", "Phase Ib"
    PHASE_1_2 = "1/2", "Phase I/II"
    PHASE_2 = "2", "Phase II"
    PHASE_2_3 = "2/3", "Phase II/III"
    PHASE_3 = "3", "Phase III"
    PHASE_4 = "4", "Phase IV"
    NOT_APPLICABLE = "na", "Not applicable"


class Blinding(models.TextChoices):
    OPEN = "open", "Open label"
    SINGLE = "single", "Single blind"
    DOUBLE = "double", "Double blind"
    UNCLEAR = "unclear", "Not reported"


class StudyStatus(models.TextChoices):
    PLANNED = "planned", "Not yet recruiting"
    RECRUITING = "recruiting", "Recruiting"
    ACTIVE = "active", "Active, not recruiting"
    COMPLETED = "completed", "Completed"
    TERMINATED = "terminated", "Terminated"
    UNKNOWN = "unknown", "Not reported"


class OutcomeKind(models.TextChoices):
    """What an outcome's per-arm value is: a median in months, a percentage, a mean, a count."""

    TIME_TO_EVENT = "time_to_event", "Time to event (median, months)"
    PROPORTION = "proportion", "Proportion (%)"
    CONTINUOUS = "continuous", "Continuous (mean)"
    COUNT = "count", "Count (events / n)"


class Measure(models.TextChoices):
    """A between-arm estimate. Ratios are positive and drawn on a log scale."""

    HAZARD_RATIO = "hr", "Hazard ratio"
    ODDS_RATIO = "or", "Odds ratio"
    RISK_RATIO = "rr", "Risk ratio"
    RISK_DIFFERENCE = "rd", "Risk difference (percentage points)"
    MEAN_DIFFERENCE = "md", "Mean difference"

    @classmethod
    def ratios(cls) -> set[str]:
        return {cls.HAZARD_RATIO, cls.ODDS_RATIO, cls.RISK_RATIO}


# Outcome names offered in the form (any other name may be typed).
COMMON_OUTCOMES = [
    "Progression-free survival",
    "Overall survival",
    "Objective response rate",
    "Disease control rate",
    "Duration of response",
    "Adverse events of grade 3 or higher",
    "Treatment-related adverse events",
]
