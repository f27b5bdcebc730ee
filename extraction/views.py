"""The studies pages: the review's studies, the included reports not in one yet and the
groupings suggested for them; and each study's page, where its details, reports and extracted
data are edited. The data grid is made of one small form per row, which htmx posts and swaps
in place; without JavaScript each form is an ordinary POST that comes back to the page (or, if
a value is refused, shows the page again with the message beside the field)."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.access import CAN_EDIT, review_for_user
from screening.models import Membership, Review

from .constants import COMMON_OUTCOMES, Measure, OutcomeKind, StudyKind
from .forms import (
    ArmForm,
    ComparisonForm,
    OutcomeForm,
    ResultForm,
    RowForm,
    StudyCreateForm,
    StudyForm,
    put_errors,
)
from .models import Arm, ArmResult, Comparison, Outcome, Study, StudyReport
from .selectors import included_report_ids, included_studies_count, unlinked_reports
from .services import (
    ExtractionRefused,
    extraction_delete,
    extraction_save,
    report_link,
    report_set_primary,
    report_unlink,
    reports_link,
    study_create,
    study_delete,
    study_update,
)
from .suggestions import REGISTRY_ID, acronyms, suggestions

# Columns of a reference that no studies page shows (a PubMed entry's raw XML is 17 kB).
HEAVY = ("raw", "abstract", "abstract_sections", "mesh_terms", "keywords", "publication_types")
LINKS = StudyReport.objects.select_related("reference").defer(*(f"reference__{f}" for f in HEAVY))

# What an arm's value is, by the outcome's kind (the grid's column heading).
VALUE_LABEL = {
    OutcomeKind.TIME_TO_EVENT: "Median (months)",
    OutcomeKind.PROPORTION: "Percentage",
    OutcomeKind.CONTINUOUS: "Mean",
    OutcomeKind.COUNT: "Value",
}
# The measure a new comparison starts with, by the outcome's kind.
USUAL_MEASURE = {
    OutcomeKind.TIME_TO_EVENT: Measure.HAZARD_RATIO,
    OutcomeKind.PROPORTION: Measure.ODDS_RATIO,
    OutcomeKind.CONTINUOUS: Measure.MEAN_DIFFERENCE,
    OutcomeKind.COUNT: Measure.RISK_RATIO,
}


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _plain(value):
    """50.6, not the stored 50.6000."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def _study_of_review(review: Review, pk: int) -> Study:
    study = get_object_or_404(Study, review=review, pk=pk)
    study.review = review  # the services read study.review: no second query
    return study


def _back(request: HttpRequest, url: str) -> HttpResponse:
    """After a small POST: htmx follows HX-Redirect (a 302 would be swapped into the page)."""
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


def suggested_name(reference: Reference) -> tuple[str, str]:
    """A name and an acronym for a study made from one report: the trial acronym in its title,
    else "Surname year" and no acronym."""
    found = acronyms(reference.title)
    if found:
        return found[0], found[0][:60]
    who = reference.first_author.split(",")[0] or "Study"
    return (f"{who} {reference.year}" if reference.year else who), ""


# --- The studies page --------------------------------------------------------------------------


def study_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    return _render_list(request, review, membership, StudyCreateForm(prefix="new"))


def _render_list(
    request: HttpRequest, review: Review, membership: Membership, create_form: StudyCreateForm
) -> HttpResponse:
    studies = list(
        Study.objects.filter(review=review)
        .annotate(
            arm_count=Count("arms", distinct=True), outcome_count=Count("outcomes", distinct=True)
        )
        .prefetch_related(Prefetch("links", queryset=LINKS))
    )
    unlinked = list(unlinked_reports(review).defer(*HEAVY))
    if create_form.errors:  # the browser scrolls down to the form
        create_form.fields["name"].widget.attrs["autofocus"] = True
    create_from = None
    if create_form.is_bound and create_form.data.get("new-report"):
        create_from = next(
            (r for r in unlinked if r.pk == _int(create_form.data["new-report"])), None
        )
    context = {
        "review": review,
        "membership": membership,
        "can_edit": membership.role in CAN_EDIT,
        "studies": studies,
        "unlinked": [(reference, *suggested_name(reference)) for reference in unlinked],
        "suggestions": suggestions(review),
        "create_form": create_form,
        "create_from": create_from,
        "included_reports": included_report_ids(review).count(),
        "studies_counted": included_studies_count(review),
    }
    return render(request, "extraction/study_list.html", context)


@require_POST
def study_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """A new study: from the form at the foot of the studies page, or from one unlinked report
    (then the page comes back, to group the next report)."""
    review, membership = review_for_user(request, slug, roles=CAN_EDIT)
    form = StudyCreateForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        reports = []
        if data["report"]:
            reports = [get_object_or_404(Reference, pk=data["report"])]
        try:
            study = study_create(
                review=review,
                user=request.user,
                name=data["name"],
                acronym=data["acronym"],
                kind=data["kind"],
                reports=reports,
            )
        except ValidationError as error:
            put_errors(form, error)
        except ExtractionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Study {study} created.")
            if reports:
                return redirect(reverse("extraction:study-list", args=[review.slug]) + "#unlinked")
            return redirect("extraction:study-detail", review.slug, study.pk)
    return _render_list(request, review, membership, form)


@require_POST
def suggestion_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Confirm a suggested grouping: a new study named after the shared registry id or acronym,
    or the reports added to the study that already carries it. Only the reports the person saw
    are linked, should the suggestion have changed since."""
    review, _ = review_for_user(request, slug, roles=CAN_EDIT)
    key = request.POST.get("key", "")
    seen = {_int(pk) for pk in request.POST.getlist("report")}
    found = next((s for s in suggestions(review) if s.key == key), None)
    reports = [r for r in found.reports if r.pk in seen] if found else []
    back = reverse("extraction:study-list", args=[review.slug])
    if not reports:
        messages.error(
            request, "That suggestion no longer applies: the page shows the current ones."
        )
        return redirect(back)
    try:
        if found.study is not None:
            found.study.review = review
            reports_link(study=found.study, references=reports, user=request.user)
            study = found.study
        else:
            by_registry = found.by == REGISTRY_ID
            study = study_create(
                review=review,
                user=request.user,
                name=found.key,
                acronym="" if by_registry else found.key[:60],
                registry_ids=[found.key] if by_registry else [],
                reports=reports,
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ExtractionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{len(reports)} report{'s' if len(reports) > 1 else ''} now in {study}."
        )
    return redirect(back)


@require_POST
def report_link_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an included report to a study (moving it from another study if it was in one); from
    the studies page or from the study's own page."""
    review, _ = review_for_user(request, slug, roles=CAN_EDIT)
    reference = get_object_or_404(Reference, pk=_int(request.POST.get("reference")))
    study = Study.objects.filter(review=review, pk=_int(request.POST.get("study"))).first()
    if request.POST.get("next") == "study" and study is not None:
        back = reverse("extraction:study-detail", args=[review.slug, study.pk]) + "#reports"
    else:
        back = reverse("extraction:study-list", args=[review.slug]) + "#unlinked"
    if study is None:
        messages.error(request, "Choose the study to add the report to.")
        return redirect(back)
    study.review = review
    try:
        report_link(study=study, reference=reference, user=request.user)
        messages.success(request, f"Added to {study}: {reference.citation[:80]}")
    except ExtractionRefused as error:
        messages.error(request, str(error))
    return redirect(back)


# --- A study's page: what it shows ---------------------------------------------------------------


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
    """A study with everything its page shows, read in the same few queries whatever its size,
    and the grid's rows. `bound` holds forms that came back refused, by prefix: they take the
    place of their row so that what was typed is shown again with its messages."""

    def __init__(
        self,
        review: Review,
        membership: Membership,
        study: Study,
        bound: dict[str, forms.Form] | None = None,
    ) -> None:
        self.review, self.study, self.membership = review, study, membership
        self.can_edit = membership.role in CAN_EDIT
        self.bound = bound or {}
        self.links = list(LINKS.filter(study=study))
        for link in self.links:
            link.study = study
        self.reports = [link.reference for link in self.links]
        self.primary_id = next((link.reference_id for link in self.links if link.primary), None)
        self.arms = list(study.arms.all())
        self.outcomes = list(study.outcomes.all())
        arms = {arm.pk: arm for arm in self.arms}
        outcomes = {outcome.pk: outcome for outcome in self.outcomes}
        # Each row gets the arm and outcome already read, so that the services (which reach the
        # study through them) ask nothing more.
        self.results: dict[tuple[int, int], ArmResult] = {}
        for result in ArmResult.objects.filter(outcome__study=study):
            result.outcome, result.arm = outcomes[result.outcome_id], arms[result.arm_id]
            self.results[result.outcome_id, result.arm_id] = result
        self.comparisons: dict[int, list[Comparison]] = defaultdict(list)
        for comparison in Comparison.objects.filter(outcome__study=study).order_by("outcome", "id"):
            comparison.outcome = outcomes[comparison.outcome_id]
            comparison.arm = arms[comparison.arm_id]
            comparison.comparator = arms[comparison.comparator_id]
            self.comparisons[comparison.outcome_id].append(comparison)

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

    def url(self, name: str, *args) -> str:
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
        return Row(
            kind="result",
            dom_id=prefix,
            form=self.form(
                ResultForm, prefix, instance=result, initial={"report": self.primary_id}
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

    def render(self, request: HttpRequest, details: StudyForm | None = None) -> HttpResponse:
        details = details or StudyForm(instance=self.study, prefix="study", editable=self.can_edit)
        linked = {link.reference_id for link in self.links}
        elsewhere = dict(
            StudyReport.objects.filter(review=self.review)
            .exclude(study=self.study)
            .values_list("reference_id", "study__name")
        )
        others = [
            (reference, elsewhere.get(reference.pk))
            for reference in Reference.objects.filter(pk__in=included_report_ids(self.review))
            .exclude(pk__in=linked)
            .defer(*HEAVY)
            .order_by("year", "pk")
        ]
        others.sort(key=lambda pair: pair[1] is not None)  # reports in no study first
        context = self.context(
            details=details,
            others=others,
            arm_rows=[self.arm_row(arm) for arm in self.arms] + [self.arm_row()],
            show_data=self.study.kind == StudyKind.TRIAL or self.arms or self.outcomes,
            common_outcomes=COMMON_OUTCOMES,
        )
        return render(request, "extraction/study_detail.html", context)

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


def study_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The study's page; a POST saves its details."""
    roles = CAN_EDIT if request.method == "POST" else None
    review, membership = review_for_user(request, slug, roles=roles)
    study = _study_of_review(review, pk)
    details = None
    if request.method == "POST":
        # Copies: a refused value must not show in the page's heading.
        details = StudyForm(request.POST, instance=copy.copy(study), prefix="study")
        if details.is_valid():
            try:
                study_update(study=copy.copy(study), user=request.user, **details.cleaned_data)
            except ValidationError as error:
                put_errors(details, error)
            except ExtractionRefused as error:
                details.add_error(None, str(error))
            else:
                messages.success(request, "The study's details are saved.")
                return redirect("extraction:study-detail", review.slug, study.pk)
    return StudyPage(review, membership, study).render(request, details)


@require_POST
def study_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=CAN_EDIT)
    study = _study_of_review(review, pk)
    try:
        study_delete(study=study, user=request.user)
    except ExtractionRefused as error:
        messages.error(request, str(error))
        return _back(request, reverse("extraction:study-detail", args=[review.slug, pk]))
    messages.success(request, f"Study {study} deleted; its reports are no longer in a study.")
    return _back(request, reverse("extraction:study-list", args=[review.slug]))


@require_POST
def report_action(request: HttpRequest, slug: str, pk: int, link: int, action: str):
    """Unlink a report from the study, or make it the primary one."""
    review, _ = review_for_user(request, slug, roles=CAN_EDIT)
    study = _study_of_review(review, pk)
    found = get_object_or_404(StudyReport.objects.select_related("reference"), study=study, pk=link)
    found.study = study
    try:
        if action == "unlink":
            report_unlink(link=found, user=request.user)
            messages.success(
                request,
                f"Unlinked: {found.reference.citation[:80]}. PRISMA counts it as a study of its "
                "own until it joins a study.",
            )
        elif action == "primary":
            report_set_primary(link=found, user=request.user)
            messages.success(request, f"Primary report: {found.reference.citation[:80]}")
        else:
            raise Http404("No such action.")
    except ExtractionRefused as error:
        messages.error(request, str(error))
    return _back(request, reverse("extraction:study-detail", args=[review.slug, pk]) + "#reports")


# --- A study's page: the rows of its grid --------------------------------------------------------


def _editable(request: HttpRequest, slug: str, pk: int) -> StudyPage:
    review, membership = review_for_user(request, slug, roles=CAN_EDIT)
    return StudyPage(review, membership, _study_of_review(review, pk))


def _save(form: RowForm, instance, user) -> bool:
    """Through the service; a refusal goes back into the form, beside its fields."""
    if not form.is_valid():
        return False
    try:
        extraction_save(instance=instance, user=user, **form.values())
    except ValidationError as error:
        put_errors(form, error)
        return False
    except ExtractionRefused as error:
        form.add_error(None, str(error))
        return False
    return True


def _refused(
    request: HttpRequest,
    page: StudyPage,
    form: RowForm,
    rows: list[Row] = (),
    blocks: list[OutcomeBlock] = (),
) -> HttpResponse:
    """A refused row: with htmx the row again, with its messages (status 200, so that htmx
    swaps it); without, the whole page with that row as typed."""
    page.bound[form.prefix] = form
    if request.htmx:
        return page.fragment(request, rows=list(rows), blocks=list(blocks))
    form.focus_first()  # the browser scrolls the page to the refused field
    return page.render(request)


def _reloaded(page: StudyPage) -> StudyPage:
    return StudyPage(page.review, page.membership, page.study)


def _to_page(page: StudyPage, anchor: str) -> HttpResponse:
    return redirect(page.url("study-detail") + f"#{anchor}")


@require_POST
def arm_save(request: HttpRequest, slug: str, pk: int, row: int | None = None) -> HttpResponse:
    page = _editable(request, slug, pk)
    arm = page.arm(row) if row else None
    prefix = f"arm-{row}" if row else "arm-new"
    form = page.bind(ArmForm, prefix, request.POST)
    instance = (
        copy.copy(arm) if arm else Arm(study=page.study, position=page.next_position(page.arms))
    )
    if not _save(form, instance, request.user):
        page.bound[prefix] = form
        return _refused(request, page, form, rows=[page.arm_row(arm)])
    if not request.htmx:
        return _to_page(page, f"arm-{instance.pk}")
    page = _reloaded(page)
    rows = [page.arm_row(page.arm(instance.pk), saved=True)]
    if arm is None:
        rows.append(page.arm_row())
        rows[-1].form.focus_first()
    # The outcomes' grids have a row per arm and name the arms: they are drawn again.
    changed = arm is None or (arm.label, arm.comparator) != (instance.label, instance.comparator)
    return page.fragment(request, rows=rows, outcomes_oob=changed)


@require_POST
def arm_delete(request: HttpRequest, slug: str, pk: int, row: int) -> HttpResponse:
    page = _editable(request, slug, pk)
    extraction_delete(instance=page.arm(row), user=request.user)
    if not request.htmx:
        return _to_page(page, "arms")
    return _reloaded(page).fragment(request, outcomes_oob=True)


@require_POST
def outcome_save(request: HttpRequest, slug: str, pk: int, row: int | None = None):
    page = _editable(request, slug, pk)
    outcome = page.outcome(row) if row else None
    prefix = f"outcome-{row}" if row else "outcome-new"
    form = page.bind(OutcomeForm, prefix, request.POST)
    instance = (
        copy.copy(outcome)
        if outcome
        else Outcome(study=page.study, position=page.next_position(page.outcomes))
    )
    if not _save(form, instance, request.user):
        page.bound[prefix] = form
        if outcome is None:
            return _refused(request, page, form, rows=[page.add_outcome_row()])
        return _refused(request, page, form, blocks=[page.outcome_block(outcome)])
    if not request.htmx:
        return _to_page(page, f"outcome-{instance.pk}")
    page = _reloaded(page)
    block = page.outcome_block(page.outcome(instance.pk), saved=outcome is not None)
    if outcome is not None:
        return page.fragment(request, blocks=[block])
    # A new outcome: its grid comes with the cursor in the first arm's value.
    add = page.add_outcome_row()
    (block.results[0].form if block.results else add.form).focus_first()
    return page.fragment(request, blocks=[block], add_outcome=add)


@require_POST
def outcome_delete(request: HttpRequest, slug: str, pk: int, row: int) -> HttpResponse:
    page = _editable(request, slug, pk)
    extraction_delete(instance=page.outcome(row), user=request.user)
    if not request.htmx:
        return _to_page(page, "outcomes")
    return HttpResponse("")


@require_POST
def result_save(request: HttpRequest, slug: str, pk: int, outcome: int, arm: int):
    page = _editable(request, slug, pk)
    the_outcome, the_arm = page.outcome(outcome), page.arm(arm)
    result = page.results.get((outcome, arm))
    prefix = f"result-{outcome}-{arm}"
    form = page.bind(ResultForm, prefix, request.POST)
    instance = copy.copy(result) if result else ArmResult(outcome=the_outcome, arm=the_arm)
    if not _save(form, instance, request.user):
        page.bound[prefix] = form
        return _refused(request, page, form, rows=[page.result_row(the_outcome, the_arm)])
    if not request.htmx:
        return _to_page(page, f"outcome-{outcome}")
    page = _reloaded(page)
    row = page.result_row(page.outcome(outcome), page.arm(arm), saved=True)
    return page.fragment(request, rows=[row])


@require_POST
def result_delete(request: HttpRequest, slug: str, pk: int, outcome: int, arm: int):
    page = _editable(request, slug, pk)
    the_outcome, the_arm = page.outcome(outcome), page.arm(arm)
    result = page.results.get((outcome, arm))
    if result is None:
        raise Http404("No result to delete.")
    extraction_delete(instance=result, user=request.user)
    if not request.htmx:
        return _to_page(page, f"outcome-{outcome}")
    page = _reloaded(page)
    return page.fragment(request, rows=[page.result_row(the_outcome, the_arm)])


@require_POST
def comparison_save(
    request: HttpRequest, slug: str, pk: int, outcome: int | None = None, row: int | None = None
) -> HttpResponse:
    page = _editable(request, slug, pk)
    comparison = page.comparison(row) if row else None
    the_outcome = comparison.outcome if comparison else page.outcome(outcome)
    prefix = f"comparison-{row}" if row else f"comparison-new-{outcome}"
    form = page.bind(ComparisonForm, prefix, request.POST)
    instance = copy.copy(comparison) if comparison else Comparison(outcome=the_outcome)
    if not _save(form, instance, request.user):
        page.bound[prefix] = form
        again = page.comparison_row(comparison, outcome=the_outcome)
        return _refused(request, page, form, rows=[again])
    if not request.htmx:
        return _to_page(page, f"outcome-{the_outcome.pk}")
    page = _reloaded(page)
    rows = [page.comparison_row(page.comparison(instance.pk), saved=True)]
    if comparison is None and len(page.arms) >= 2:
        rows.append(page.comparison_row(None, outcome=page.outcome(the_outcome.pk)))
        rows[-1].form.focus_first()
    return page.fragment(request, rows=rows)


@require_POST
def comparison_delete(request: HttpRequest, slug: str, pk: int, row: int) -> HttpResponse:
    page = _editable(request, slug, pk)
    comparison = page.comparison(row)
    extraction_delete(instance=comparison, user=request.user)
    if not request.htmx:
        return _to_page(page, f"outcome-{comparison.outcome_id}")
    return HttpResponse("")
