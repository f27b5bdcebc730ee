"""Studies, the included reports that describe them, and the data extracted from those reports.

A study is a trial (or, for PRISMA's count, another kind of included document). Every included
report links to exactly one study; one of a study's reports is its primary report. The data are
arms, outcomes, each arm's result on an outcome, and between-arm comparisons; every number names
the report it came from, and is checked by extraction/validation.py before it is saved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from references.models import Reference
from screening.models import Review

from .constants import Blinding, Measure, OutcomeKind, Phase, StudyKind, StudyStatus
from .querysets import (
    ArmQuerySet,
    ArmResultQuerySet,
    ComparisonQuerySet,
    OutcomeQuerySet,
    StudyQuerySet,
    StudyReportQuerySet,
)
from .validation import check_events, check_interval, raise_if

DECIMAL = {"max_digits": 14, "decimal_places": 4, "null": True, "blank": True}


class Study(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="studies")
    name = models.CharField(max_length=300, help_text="As the review will cite it.")
    acronym = models.CharField(max_length=60, blank=True, help_text="e.g. HARMONi-2")
    kind = models.CharField(max_length=12, choices=StudyKind.choices, default=StudyKind.TRIAL)
    registry_ids = models.JSONField(
        "Registry ids", default=list, blank=True, help_text="e.g. NCT05899608"
    )
    phase = models.CharField(max_length=4, choices=Phase.choices, blank=True)
    randomised = models.BooleanField(null=True, blank=True)
    blinding = models.CharField(max_length=8, choices=Blinding.choices, blank=True)
    setting = models.CharField(max_length=300, blank=True, help_text="e.g. 55 hospitals")
    countries = models.CharField(max_length=300, blank=True)
    population = models.TextField(blank=True)
    number_randomised = models.PositiveIntegerField("Number randomised", null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=StudyStatus.choices, default=StudyStatus.UNKNOWN
    )
    notes = models.TextField(blank=True)
    # The review's own fields (CustomField), by key: checked against their JSON schema
    # (extraction/custom_fields.py) on every save.
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StudyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "studies"
        constraints = [
            models.UniqueConstraint(
                fields=["review", "name"],
                name="study_name_once_per_review",
                violation_error_message="The review already has a study of that name.",
            )
        ]

    def __str__(self) -> str:
        return self.acronym or self.name

    def get_absolute_url(self) -> str:
        return reverse("extraction:study-detail", args=[self.review.slug, self.pk])


class StudyReport(models.Model):
    """An included report's link to its study: one study per report, one primary per study."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="links")
    reference = models.ForeignKey(Reference, on_delete=models.CASCADE, related_name="+")
    primary = models.BooleanField(default=False)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    objects = StudyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-primary", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "reference"], name="report_in_one_study"),
            models.UniqueConstraint(
                fields=["study"], condition=Q(primary=True), name="study_one_primary_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference_id} in {self.study_id}"


class ExtractionSettings(models.Model):
    """A review's extraction settings (one row, made when an owner first changes them)."""

    review = models.OneToOneField(
        Review, on_delete=models.CASCADE, related_name="extraction_settings"
    )
    extractors = models.PositiveSmallIntegerField(
        default=2, help_text="How many people extract each study independently (1 to 3)."
    )

    def __str__(self) -> str:
        return f"{self.extractors} extractor(s) per study"

    @classmethod
    def for_review(cls, review: Review) -> ExtractionSettings:
        """The review's settings; the defaults, unsaved, while no owner has changed them (a
        page that reads them writes nothing)."""
        return cls.objects.filter(review=review).first() or cls(review=review)


class Entry(models.Model):
    """One extractor's independent entry of a study's arms, outcomes, results and comparisons.

    Blind: until every entry the study needs is submitted, only its extractor sees it. The
    study's reported data (the consensus) are the rows with no entry; a consensus row made from
    the entries keeps a link to the entry rows it came from (their `consensus`)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="entries")
    extractor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # None: a draft
    digest = models.CharField(max_length=64, blank=True)  # of the content, as submitted

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(
                fields=["study", "extractor"],
                name="entry_once_per_extractor",
                violation_error_message="You already have an entry of this study.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.study} by {self.extractor}"

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class EntryRow(models.Model):
    """What the four kinds of extracted row share: the entry they belong to (None: the study's
    consensus, the reported data) and, on an entry's row, the consensus row made from it."""

    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    consensus = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sources"
    )

    class Meta:
        abstract = True


class Arm(EntryRow):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="arms")
    label = models.CharField(max_length=120, help_text="e.g. Ivonescimab + chemotherapy")
    intervention = models.CharField(
        max_length=300, blank=True, help_text="Drug, dose and schedule: 20 mg/kg IV every 3 weeks"
    )
    comparator = models.BooleanField(default=False, help_text="The control arm")
    number_randomised = models.PositiveIntegerField(null=True, blank=True)
    report = models.ForeignKey(
        Reference, on_delete=models.PROTECT, related_name="+", help_text="Where it is described"
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = ArmQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "label"],
                condition=Q(entry__isnull=True),
                name="arm_label_once_per_study",
                violation_error_message="The study already has an arm of that name.",
            ),
            models.UniqueConstraint(
                fields=["entry", "label"],
                condition=Q(entry__isnull=False),
                name="arm_label_once_per_entry",
                violation_error_message="The entry already has an arm of that name.",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        check_report(errors, self.study_id, self.report_id)
        check_entry(errors, self)
        raise_if(errors)


class Outcome(EntryRow):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="outcomes")
    name = models.CharField(max_length=200, help_text="e.g. Progression-free survival")
    kind = models.CharField(max_length=16, choices=OutcomeKind.choices)
    timepoint = models.CharField(
        "Time point or data cut-off", max_length=120, blank=True, help_text="e.g. 2024-03-01"
    )
    unit = models.CharField(max_length=40, blank=True, help_text="For continuous outcomes")
    position = models.PositiveSmallIntegerField(default=0)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "name", "timepoint"],
                condition=Q(entry__isnull=True),
                name="outcome_once_per_study_time",
                violation_error_message="The study already has that outcome at that time point.",
            ),
            models.UniqueConstraint(
                fields=["entry", "name", "timepoint"],
                condition=Q(entry__isnull=False),
                name="outcome_once_per_entry_time",
                violation_error_message="The entry already has that outcome at that time point.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.timepoint})" if self.timepoint else self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        check_entry(errors, self)
        raise_if(errors)


class SourcedValue(EntryRow):
    """Where a number came from: the report (one of the study's), and optionally page and quote."""

    report = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    page = models.CharField(max_length=40, blank=True)
    quote = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="e.g. the article says 'about 11 months'")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ArmResult(SourcedValue):
    """One arm's result on one outcome: the value is a median in months (time to event), a
    percentage (proportion) or a mean (continuous), with its 95% CI; and/or events / n. Its
    entry is its outcome's (set by clean())."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="results")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="results")
    value = models.DecimalField(**DECIMAL)
    ci_low = models.DecimalField("95% CI lower", **DECIMAL)
    ci_high = models.DecimalField("95% CI upper", **DECIMAL)
    events = models.PositiveIntegerField(null=True, blank=True)
    n = models.PositiveIntegerField(null=True, blank=True)
    # A continuous outcome's spread: its SD or SE; or, when the value is a median, its
    # quartiles (an analysis may estimate a mean and SD from them: meta_analysis/inputs.py).
    sd = models.DecimalField("SD", **DECIMAL)
    se = models.DecimalField("SE", **DECIMAL)
    q1 = models.DecimalField("Lower quartile", **DECIMAL)
    q3 = models.DecimalField("Upper quartile", **DECIMAL)

    objects = ArmResultQuerySet.as_manager()

    class Meta:
        ordering = ["outcome_id", "arm__position", "arm_id"]
        constraints = [
            models.UniqueConstraint(fields=["outcome", "arm"], name="result_once_per_arm")
        ]

    def __str__(self) -> str:
        return f"{self.outcome} / {self.arm}: {self.value}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        kind = self.outcome.kind if self.outcome_id else None
        what = {
            OutcomeKind.TIME_TO_EVENT: "median",
            OutcomeKind.PROPORTION: "percentage",
            OutcomeKind.CONTINUOUS: "mean",
        }.get(kind, "value")
        check_interval(
            errors,
            estimate=self.value,
            low=self.ci_low,
            high=self.ci_high,
            what=what,
            percent=kind == OutcomeKind.PROPORTION,
        )
        if kind == OutcomeKind.TIME_TO_EVENT and self.value is not None and self.value < 0:
            errors.setdefault("value", []).append("A median time cannot be negative.")
        check_events(errors, events=self.events, n=self.n)
        check_spread(errors, self)
        if self.value is None and self.events is None:
            errors.setdefault("value", []).append("Give the value, or the events (with n).")
        if self.arm_id and self.outcome_id and self.arm.study_id != self.outcome.study_id:
            errors.setdefault("arm", []).append("The arm belongs to another study.")
        if self.outcome_id:
            check_report(errors, self.outcome.study_id, self.report_id)
            self.entry_id = self.outcome.entry_id
            if self.arm_id and self.arm.entry_id != self.entry_id:
                errors.setdefault("arm", []).append("The arm belongs to another entry.")
        raise_if(errors)


class Comparison(SourcedValue):
    """A between-arm estimate on an outcome: an arm against the comparator arm."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="comparisons")
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="+")
    comparator = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=4, choices=Measure.choices)
    estimate = models.DecimalField(max_digits=14, decimal_places=4)
    ci_low = models.DecimalField("95% CI lower", **DECIMAL)
    ci_high = models.DecimalField("95% CI upper", **DECIMAL)
    p_value = models.CharField(
        "p", max_length=20, blank=True, help_text="As reported: 0.03, <0.001"
    )

    objects = ComparisonQuerySet.as_manager()

    class Meta:
        ordering = ["outcome_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "arm", "comparator", "measure"], name="comparison_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} {self.estimate}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        ratio = self.measure in Measure.ratios()
        check_interval(
            errors,
            estimate=self.estimate,
            low=self.ci_low,
            high=self.ci_high,
            what=self.get_measure_display().lower() if self.measure else "estimate",
            positive=ratio,
            fields=("estimate", "ci_low", "ci_high"),
        )
        if self.arm_id and self.arm_id == self.comparator_id:
            errors.setdefault("comparator", []).append("Compare an arm with another arm.")
        if self.outcome_id:
            study = self.outcome.study_id
            check_report(errors, study, self.report_id)
            self.entry_id = self.outcome.entry_id
            for field in ("arm", "comparator"):
                arm = getattr(self, field) if getattr(self, f"{field}_id") else None
                if arm is not None and arm.study_id != study:
                    errors.setdefault(field, []).append("That arm belongs to another study.")
                elif arm is not None and arm.entry_id != self.entry_id:
                    errors.setdefault(field, []).append("That arm belongs to another entry.")
        if self.p_value and not _looks_like_p(self.p_value):
            errors.setdefault("p_value", []).append(
                "Write p as reported: a number between 0 and 1, or <0.001."
            )
        raise_if(errors)


def check_report(errors: dict[str, list[str]], study_id: int | None, report_id: int | None):
    """A value comes from one of its study's reports."""
    if not (study_id and report_id):
        return
    if not StudyReport.objects.filter(study_id=study_id, reference_id=report_id).exists():
        errors.setdefault("report", []).append(
            "That report is not one of this study's: link it to the study first."
        )


def check_spread(errors: dict[str, list[str]], result: ArmResult) -> None:
    """An SD and SE are not negative; quartiles are in order, around the value (the median)."""
    for name in ("sd", "se"):
        if getattr(result, name) is not None and getattr(result, name) < 0:
            errors.setdefault(name, []).append(f"The {name.upper()} cannot be negative.")
    q1, q3, value = result.q1, result.q3, result.value
    if q1 is not None and q3 is not None and q1 > q3:
        errors.setdefault("q1", []).append(
            f"The lower quartile ({q1.normalize():f}) is above the upper one ({q3.normalize():f})."
        )
    elif value is not None and (q1 is not None and value < q1 or q3 is not None and value > q3):
        errors.setdefault("value", []).append("A median lies between its quartiles.")


def check_entry(errors: dict[str, list[str]], row: Arm | Outcome) -> None:
    """An entry's arm or outcome is of the entry's study."""
    if row.entry_id and row.study_id and row.entry.study_id != row.study_id:
        errors.setdefault("study", []).append("That entry is of another study.")


def _looks_like_p(text: str) -> bool:
    number = text.strip().lstrip("<>=≤ ").strip()
    try:
        value = float(number)
    except ValueError:
        return False
    return 0 <= value <= 1


class CustomField(models.Model):
    """A field a review's owners add to its studies, beside the fixed trial fields: funding,
    follow-up, a setting of their own. Its values live in Study.custom under its key."""

    TEXT, NUMBER, CHOICE, DATE = "text", "number", "choice", "date"
    KINDS = [(TEXT, "Text"), (NUMBER, "Number"), (CHOICE, "Choice"), (DATE, "Date")]

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="custom_fields")
    key = models.SlugField(max_length=40, help_text="Its name in exports, e.g. funding")
    label = models.CharField(max_length=120, help_text="As the study page shows it")
    kind = models.CharField(max_length=8, choices=KINDS, default=TEXT)
    choices = models.JSONField(default=list, blank=True)  # for a choice: the values allowed
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "key"],
                name="custom_field_key_once_per_review",
                violation_error_message="The review already has a field with that key.",
            )
        ]

    def __str__(self) -> str:
        return self.label
