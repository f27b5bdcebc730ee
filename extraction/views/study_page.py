"""A study's page as the views draw it: its details, its reports and the grid of its data. The
grid is made of one small form per row, which htmx posts and swaps in place; without JavaScript
each form is an ordinary POST that comes back to the page (or, if a value is refused, shows the
page again with the message beside the field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from screening.models import Membership, Review

from ..access import entry_state
from ..constants import COMMON_OUTCOMES, Measure, OutcomeKind, StudyKind
from ..custom_fields import custom_rows
from ..forms import (
    ArmForm,
    ComparisonForm,
    ContinuousResultForm,
    OutcomeForm,
    ResultForm,
    RowForm,
    StudyForm,
)
from ..models import Arm, Comparison, Entry, Outcome, Study
from ..selectors import report_pdfs, reports_to_add, study_data

# What an arm's value is, by the outcome's kind (the grid's column heading).
VALUE_LABEL = {
    OutcomeKind.TIME_TO_EVENT: "Median (months)",
    OutcomeKind.PROPORTION: "Percentage",
    OutcomeKind.CONTINUOUS: "Mean (or median)",
    OutcomeKind.COUNT: "Value",
}


# The measure a new comparison starts with, by the outcome's kind.
USUAL_MEASURE = {
    OutcomeKind.TIME_TO_EVENT: Measure.HAZARD_RATIO,
    OutcomeKind.PROPORTION: Measure.ODDS_RATIO,
    OutcomeKind.CONTINUOUS: Measure.MEAN_DIFFERENCE,
    OutcomeKind.COUNT: Measure.RISK_RATIO,
}


def result_form(outcome: Outcome) -> type[ResultForm]:
    """A continuous outcome's results carry a spread (SD, SE, quartiles); the others events."""
    return ContinuousResultForm if outcome.kind == OutcomeKind.CONTINUOUS else ResultForm


def _plain(value):
    """50.6, not the stored 50.6000."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


@dataclass
class Row:
    """One form of the grid, and where it posts."""

    kind: str  # arm, outcome, result, comparison: the CSS class that lays out its columns
    dom_id: str
    form: RowForm
    save_url: str
    delete_url: str = ""
    confirm: str = ""
    label: str | None = None  # a first cell that is not a field: the arm of a result row
    submit: str = "Save"
    new: bool = False
    saved: bool = False
    target: str = "this"  # what htmx swaps with the answer


@dataclass
class OutcomeBlock:
    outcome: Outcome
    header: Row
    results: list[Row] = field(default_factory=list)
    comparisons: list[Row] = field(default_factory=list)
    add_comparison: Row | None = None

    @property
    def value_label(self) -> str:
        label = VALUE_LABEL.get(self.outcome.kind, "Value")
        return f"{label} ({self.outcome.unit})" if self.outcome.unit else label


class StudyPage:
    """A study with everything its page shows (read by selectors.study_data in the same few
    queries whatever its size), and the grid's rows. `bound` holds forms that came back refused,
    by prefix: they take the place of their row so that what was typed is shown again with its
    messages."""

    def __init__(
        self,
        review: Review,
        membership: Membership,
        study: Study,
        bound: dict[str, forms.Form] | None = None,
        entry: Entry | None = None,
    ) -> None:
        self.review, self.study, self.membership = review, study, membership
        self.entry = entry  # None: the study's consensus, its reported data
        self.entries = entry_state(study)
        self.can_edit, self.why_not = self._writable()
        self.bound = bound or {}
        data = study_data(study, entry)
        self.links, self.reports, self.primary_id = data.links, data.reports, data.primary_id
        self.arms, self.outcomes = data.arms, data.outcomes
        self.results, self.comparisons = data.results, data.comparisons

    def _writable(self) -> tuple[bool, str]:
        """Whether this member may change the rows shown (the services decide the same way;
        this only spares them a form they could not save), and if not, why."""
        membership, entries = self.membership, self.entries
        if not membership.can_edit:
            return False, ""
        if self.entry is not None:
            if self.entry.extractor_id != membership.user_id:
                return False, ""
            return not self.entry.submitted, "Submitted: this entry cannot change any more."
        if entries.consensus_waits:
            return False, entries.consensus_waits
        if entries.double and not membership.resolves:
            return False, (
                "This review extracts each study independently: enter the data in your own "
                "entry; its owners and resolvers make the consensus."
            )
        return True, ""

    # Lookups for the views: each 404s for a row of another study.

    def arm(self, pk: int) -> Arm:
        return self._find(self.arms, pk)

    def outcome(self, pk: int) -> Outcome:
        return self._find(self.outcomes, pk)

    def comparison(self, pk: int) -> Comparison:
        return self._find([c for rows in self.comparisons.values() for c in rows], pk)

    @staticmethod
    def _find(rows, pk):
        for row in rows:
            if row.pk == pk:
                return row
        raise Http404("No such row in this study.")

    def next_position(self, rows) -> int:
        return max((row.position for row in rows), default=-1) + 1

    def new_row(self, model: type[Arm] | type[Outcome]) -> Arm | Outcome:
        """A new arm or outcome of the grid shown (the consensus, or the entry), at its end."""
        rows = self.arms if model is Arm else self.outcomes
        return model(study=self.study, entry=self.entry, position=self.next_position(rows))

    @property
    def address(self) -> str:
        """This page's own address: the study's, or the entry's."""
        if self.entry is not None:
            return reverse(
                "extraction:entry", args=[self.review.slug, self.study.pk, self.entry.pk]
            )
        return self.study.get_absolute_url()

    def url(self, name: str, *args) -> str:
        """A grid address: the consensus's, or with an entry, the same under the entry's."""
        if self.entry is not None:
            return reverse(
                f"extraction:entry-{name}",
                args=[self.review.slug, self.study.pk, self.entry.pk, *args],
            )
        return reverse(f"extraction:{name}", args=[self.review.slug, self.study.pk, *args])

    def form(self, cls: type[RowForm], prefix: str, instance=None, initial=None) -> RowForm:
        if prefix in self.bound:
            return self.bound[prefix]
        if instance is not None:
            initial = {
                name: _plain(value)
                for name, value in model_to_dict(instance, fields=list(cls.base_fields)).items()
            }
        return cls(
            initial=initial,
            prefix=prefix,
            reports=self.reports,
            arms=self.arms,
            editable=self.can_edit,
        )

    def bind(self, cls: type[RowForm], prefix: str, data) -> RowForm:
        return cls(data, prefix=prefix, reports=self.reports, arms=self.arms)

    # Rows.

    def arm_row(self, arm: Arm | None = None, *, saved: bool = False) -> Row:
        if arm is None:
            return Row(
                kind="arm",
                dom_id="arm-new",
                form=self.form(ArmForm, "arm-new", initial={"report": self.primary_id}),
                save_url=self.url("arm-create"),
                submit="Add arm",
                new=True,
            )
        return Row(
            kind="arm",
            dom_id=f"arm-{arm.pk}",
            form=self.form(ArmForm, f"arm-{arm.pk}", instance=arm),
            save_url=self.url("arm-save", arm.pk),
            delete_url=self.url("arm-delete", arm.pk),
            confirm=f"Delete the arm {arm.label}, with its results and comparisons?",
            saved=saved,
        )

    def add_outcome_row(self) -> Row:
        return Row(
            kind="outcome",
            dom_id="outcome-new",
            form=self.form(OutcomeForm, "outcome-new"),
            save_url=self.url("outcome-create"),
            submit="Add outcome",
            new=True,
            target="#outcome-add",
        )

    def outcome_block(self, outcome: Outcome, *, saved: bool = False) -> OutcomeBlock:
        header = Row(
            kind="outcome",
            dom_id=f"outcome-{outcome.pk}-form",
            form=self.form(OutcomeForm, f"outcome-{outcome.pk}", instance=outcome),
            save_url=self.url("outcome-save", outcome.pk),
            delete_url=self.url("outcome-delete", outcome.pk),
            confirm=f"Delete the outcome {outcome}, with its results and comparisons?",
            saved=saved,
            target="closest section.outcome",
        )
        block = OutcomeBlock(outcome, header)
        block.results = [self.result_row(outcome, arm) for arm in self.arms]
        block.comparisons = [self.comparison_row(c) for c in self.comparisons[outcome.pk]]
        if len(self.arms) >= 2:
            block.add_comparison = self.comparison_row(None, outcome=outcome)
        return block

    def outcome_blocks(self) -> list[OutcomeBlock]:
        return [self.outcome_block(outcome) for outcome in self.outcomes]

    def result_row(self, outcome: Outcome, arm: Arm, *, saved: bool = False) -> Row:
        result = self.results.get((outcome.pk, arm.pk))
        prefix = f"result-{outcome.pk}-{arm.pk}"
        continuous = outcome.kind == OutcomeKind.CONTINUOUS
        return Row(
            kind="result continuous" if continuous else "result",
            dom_id=prefix,
            form=self.form(
                result_form(outcome), prefix, instance=result, initial={"report": self.primary_id}
            ),
            save_url=self.url("result-save", outcome.pk, arm.pk),
            delete_url=self.url("result-delete", outcome.pk, arm.pk) if result else "",
            confirm=f"Delete the result of {arm.label} on {outcome}?",
            label=arm.label,
            saved=saved,
        )

    def comparison_row(
        self, comparison: Comparison | None, *, outcome: Outcome | None = None, saved=False
    ) -> Row:
        if comparison is None:
            prefix = f"comparison-new-{outcome.pk}"
            # An experimental arm against the comparator arm, as most comparisons are.
            arms = self.arms
            treated = next((a for a in arms if not a.comparator), arms[0] if arms else None)
            control = next((a for a in arms if a.comparator and a is not treated), None)
            control = control or next((a for a in arms if a is not treated), None)
            initial = {
                "arm": treated.pk if treated else None,
                "comparator": control.pk if control else None,
                "measure": USUAL_MEASURE.get(outcome.kind, ""),
                "report": self.primary_id,
            }
            return Row(
                kind="comparison",
                dom_id=prefix,
                form=self.form(ComparisonForm, prefix, initial=initial),
                save_url=self.url("comparison-create", outcome.pk),
                submit="Add comparison",
                new=True,
            )
        return Row(
            kind="comparison",
            dom_id=f"comparison-{comparison.pk}",
            form=self.form(ComparisonForm, f"comparison-{comparison.pk}", instance=comparison),
            save_url=self.url("comparison-save", comparison.pk),
            delete_url=self.url("comparison-delete", comparison.pk),
            confirm="Delete this comparison?",
            saved=saved,
        )

    # Responses.

    def context(self, **extra) -> dict:
        return {"review": self.review, "membership": self.membership, "study": self.study,
                "page": self, **extra}  # fmt: skip

    def render(
        self,
        request: HttpRequest,
        details: StudyForm | None = None,
        custom_typed: dict[str, str] | None = None,
        custom_error: str = "",
    ) -> HttpResponse:
        """The page; a refused save of its details (`details`) or of its custom fields' values
        (`custom_typed`, `custom_error`) comes back as it was typed, with why."""
        details = details or StudyForm(instance=self.study, prefix="study", editable=self.can_edit)
        linked = {link.reference_id for link in self.links}
        context = self.context(
            details=details,
            others=reports_to_add(self.review, self.study, linked),
            arm_rows=[self.arm_row(arm) for arm in self.arms] + [self.arm_row()],
            show_data=self.study.kind == StudyKind.TRIAL or self.arms or self.outcomes,
            common_outcomes=COMMON_OUTCOMES,
            pdfs=report_pdfs(self.review, self.links),
            custom=custom_rows(self.review, self.study, custom_typed),
            custom_error=custom_error,
            **self.entry_context(),
        )
        return render(request, "extraction/study_detail.html", context)

    def entry_context(self) -> dict:
        """What the study's page says of its independent entries."""
        entries, user_id = self.entries, self.membership.user_id
        can_start = (
            entries.double
            and self.membership.can_edit
            and entries.mine(user_id) is None
            and len(entries.entries) < entries.wanted
            and not self.arms
            and not self.outcomes
        )
        return {"entries_visible": entries.visible(user_id), "can_start": can_start}

    def render_entry(self, request: HttpRequest) -> HttpResponse:
        """An entry's page: its grid beside the reports, and (for its extractor, while a
        draft) the button that submits it."""
        context = self.context(
            entry=self.entry,
            arm_rows=[self.arm_row(arm) for arm in self.arms] + [self.arm_row()],
            common_outcomes=COMMON_OUTCOMES,
            pdfs=report_pdfs(self.review, self.links),
            mine=self.entry.extractor_id == self.membership.user_id,
        )
        return render(request, "extraction/entry.html", context)

    def fragment(
        self,
        request: HttpRequest,
        rows: list[Row] = (),
        blocks: list[OutcomeBlock] = (),
        *,
        add_outcome: Row | None = None,
        outcomes_oob: bool = False,
    ) -> HttpResponse:
        context = self.context(
            rows=rows, blocks=blocks, add_outcome=add_outcome, outcomes_oob=outcomes_oob
        )
        return render(request, "extraction/partials/rows.html", context)
