"""Forms of the studies pages.

The rows of the extraction grid are plain forms, not ModelForms: their choices (the study's
reports, its arms) come from lists the page has already loaded, so that a grid of thirty rows
costs no query, and the models' clean(), which the services run, stays the one place that
checks the numbers. A service's ValidationError is put back beside the fields it names.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import Truncator

from references.models import Reference

from .constants import Measure, OutcomeKind, StudyKind
from .models import Arm, Study
from .services import STUDY_FIELDS

DECIMAL = {"max_digits": 14, "decimal_places": 4, "required": False}


def report_label(reference: Reference) -> str:
    """A report in a select: its citation, short enough for a grid cell."""
    return Truncator(reference.citation).chars(70)


def number_input(decimal: bool = True) -> forms.TextInput:
    """Text inputs for numbers: no spinners, no locale surprises, Enter still submits."""
    return forms.TextInput(attrs={"inputmode": "decimal" if decimal else "numeric", "size": 6})


def put_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError beside the fields it names; the rest above the row."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


# --- Studies -----------------------------------------------------------------------------------


class RegistryIdsField(forms.CharField):
    """Registry ids typed in one box, separated by commas, semicolons or spaces."""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        ids: list[str] = []
        for part in re.split(r"[\s,;]+", super().to_python(value)):
            if part and part.upper() not in {i.upper() for i in ids}:
                ids.append(part)
        return ids

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else (value or "")


class NotReportedSelect(forms.NullBooleanSelect):
    """Yes / No / Not reported, in the words of the rest of the study form."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", "Not reported"), ("true", "Yes"), ("false", "No")]


class StudyForm(forms.ModelForm):
    """Every field of a study (STUDY_FIELDS, which study_update accepts)."""

    registry_ids = RegistryIdsField(
        required=False,
        label="Registry ids",
        help_text="Separated by commas or spaces: NCT05899608, CTR20231234",
    )

    class Meta:
        model = Study
        fields = STUDY_FIELDS
        widgets = {
            "randomised": NotReportedSelect,
            "population": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not editable:
            for field in self.fields.values():
                field.disabled = True


class StudyCreateForm(forms.Form):
    """A new study, empty or made from one included report."""

    name = forms.CharField(max_length=300, label="Name", help_text="As the review will cite it.")
    acronym = forms.CharField(max_length=60, required=False, label="Acronym")
    kind = forms.ChoiceField(choices=StudyKind.choices, initial=StudyKind.TRIAL, label="Kind")
    report = forms.IntegerField(required=False, widget=forms.HiddenInput)


# --- Rows of the extraction grid ---------------------------------------------------------------


class RowForm(forms.Form):
    """One row of the grid. Labels sit in the grid's header, so each input carries its label
    as aria-label; a viewer gets the same row with every input disabled."""

    arm_fields: tuple[str, ...] = ()  # selects of the study's arms

    def __init__(
        self,
        *args: Any,
        reports: list[Reference] = (),
        arms: list[Arm] = (),
        editable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._reports = {r.pk: r for r in reports}
        self._arms = {a.pk: a for a in arms}
        if "report" in self.fields:
            self.fields["report"].choices = [("", "—"), *((r.pk, report_label(r)) for r in reports)]
        for name in self.arm_fields:
            self.fields[name].choices = [("", "—"), *((a.pk, a.label) for a in arms)]
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", field.label)
            if not editable:
                field.disabled = True

    def focus_first(self) -> None:
        """Where the cursor goes when this row arrives (htmx focuses [autofocus]): the first
        field with an error, else the first field."""
        name = next((n for n in self.fields if n in self.errors), next(iter(self.fields)))
        self.fields[name].widget.attrs["autofocus"] = True

    def values(self) -> dict[str, Any]:
        """The cleaned data as the service takes it: ids become the objects they name."""
        data = dict(self.cleaned_data)
        if "report" in data:
            data["report"] = self._reports[data["report"]]
        for name in self.arm_fields:
            data[name] = self._arms[data[name]]
        return data


def _choice(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(coerce=int, label=label)


class ArmForm(RowForm):
    label = forms.CharField(max_length=120, label="Arm")
    intervention = forms.CharField(
        max_length=300, required=False, label="Intervention, dose and schedule"
    )
    comparator = forms.BooleanField(required=False, label="Comparator")
    number_randomised = forms.IntegerField(
        min_value=0, required=False, label="Randomised", widget=number_input(decimal=False)
    )
    report = _choice("Report")


class OutcomeForm(RowForm):
    name = forms.CharField(
        max_length=200,
        label="Outcome",
        widget=forms.TextInput(attrs={"list": "common-outcomes"}),
    )
    kind = forms.ChoiceField(choices=OutcomeKind.choices, label="Kind")
    timepoint = forms.CharField(max_length=120, required=False, label="Time point or cut-off")
    unit = forms.CharField(max_length=40, required=False, label="Unit")


class SourceFields(RowForm):
    """Where a value came from: one of the study's reports, the page, a quote, a note."""

    report = _choice("Report")
    page = forms.CharField(max_length=40, required=False, label="Page")
    quote = forms.CharField(required=False, label="Quote")
    note = forms.CharField(required=False, label="Note")


class ResultForm(SourceFields):
    value = forms.DecimalField(**DECIMAL, label="Value", widget=number_input())
    ci_low = forms.DecimalField(**DECIMAL, label="95% CI lower", widget=number_input())
    ci_high = forms.DecimalField(**DECIMAL, label="95% CI upper", widget=number_input())
    events = forms.IntegerField(
        min_value=0, required=False, label="Events", widget=number_input(decimal=False)
    )
    n = forms.IntegerField(min_value=0, required=False, label="n", widget=number_input(False))

    field_order = ["value", "ci_low", "ci_high", "events", "n", "report", "page", "quote", "note"]


class ContinuousResultForm(ResultForm):
    """A continuous outcome's result: the mean (or median) with its SD, SE or quartiles."""

    events = None
    sd = forms.DecimalField(**DECIMAL, label="SD", widget=number_input())
    se = forms.DecimalField(**DECIMAL, label="SE", widget=number_input())
    q1 = forms.DecimalField(**DECIMAL, label="Lower quartile", widget=number_input())
    q3 = forms.DecimalField(**DECIMAL, label="Upper quartile", widget=number_input())

    field_order = [
        "value", "ci_low", "ci_high", "sd", "se", "q1", "q3", "n", "report", "page", "quote",
        "note",
    ]  # fmt: skip


class ComparisonForm(SourceFields):
    arm_fields = ("arm", "comparator")
    arm = _choice("Arm")
    comparator = _choice("Against")
    measure = forms.ChoiceField(choices=[("", "—"), *Measure.choices], label="Measure")
    estimate = forms.DecimalField(
        max_digits=14, decimal_places=4, label="Estimate", widget=number_input()
    )
    ci_low = forms.DecimalField(**DECIMAL, label="95% CI lower", widget=number_input())
    ci_high = forms.DecimalField(**DECIMAL, label="95% CI upper", widget=number_input())
    p_value = forms.CharField(
        max_length=20, required=False, label="p", widget=forms.TextInput(attrs={"size": 6})
    )

    field_order = [
        "arm", "comparator", "measure", "estimate", "ci_low", "ci_high", "p_value",
        "report", "page", "quote", "note",
    ]  # fmt: skip
