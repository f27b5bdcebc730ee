"""The rows of a study's data grid: arms, outcomes, each arm's result on an outcome, and
comparisons, each saved or deleted by its own small POST. With htmx the answer is the rows
drawn again; without, the page (at the row's anchor, or with a refused row as typed)."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from screening.constants import EDITOR_ROLES
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt

from ..forms import ArmForm, ComparisonForm, OutcomeForm, RowForm, put_errors
from ..models import Arm, ArmResult, Comparison, Outcome
from ..services import ExtractionRefused, extraction_delete, extraction_save
from .common import back, own_entry, study_of_review
from .study_page import OutcomeBlock, Row, StudyPage, result_form


def _editable(request: HttpRequest, slug: str, pk: int, entry: int | None) -> StudyPage:
    """The page whose grid a row belongs to: the study's consensus, or (under an entry's
    address) the member's own entry; another's entry is not found."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    study = study_of_review(review, pk)
    return StudyPage(review, membership, study, entry=own_entry(study, request.user, entry))


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


def _delete(request: HttpRequest, page: StudyPage, instance) -> HttpResponse | None:
    """Delete through the service; a refusal comes back as a message on the page (the
    answer returned), else None."""
    if attempt(request, lambda: extraction_delete(instance=instance, user=request.user)):
        return None
    return back(request, page.address)


def _reloaded(page: StudyPage) -> StudyPage:
    return StudyPage(page.review, page.membership, page.study, entry=page.entry)


def _to_page(page: StudyPage, anchor: str) -> HttpResponse:
    return redirect(page.address + f"#{anchor}")


@require_POST
def arm_save(
    request: HttpRequest, slug: str, pk: int, row: int | None = None, entry: int | None = None
) -> HttpResponse:
    page = _editable(request, slug, pk, entry)
    arm = page.arm(row) if row else None
    prefix = f"arm-{row}" if row else "arm-new"
    form = page.bind(ArmForm, prefix, request.POST)
    instance = copy.copy(arm) if arm else page.new_row(Arm)
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
def arm_delete(request: HttpRequest, slug: str, pk: int, row: int, entry: int | None = None):
    page = _editable(request, slug, pk, entry)
    if refused := _delete(request, page, page.arm(row)):
        return refused
    if not request.htmx:
        return _to_page(page, "arms")
    return _reloaded(page).fragment(request, outcomes_oob=True)


@require_POST
def outcome_save(
    request: HttpRequest, slug: str, pk: int, row: int | None = None, entry: int | None = None
):
    page = _editable(request, slug, pk, entry)
    outcome = page.outcome(row) if row else None
    prefix = f"outcome-{row}" if row else "outcome-new"
    form = page.bind(OutcomeForm, prefix, request.POST)
    instance = copy.copy(outcome) if outcome else page.new_row(Outcome)
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
def outcome_delete(request: HttpRequest, slug: str, pk: int, row: int, entry: int | None = None):
    page = _editable(request, slug, pk, entry)
    if refused := _delete(request, page, page.outcome(row)):
        return refused
    if not request.htmx:
        return _to_page(page, "outcomes")
    return HttpResponse("")


@require_POST
def result_save(
    request: HttpRequest, slug: str, pk: int, outcome: int, arm: int, entry: int | None = None
):
    page = _editable(request, slug, pk, entry)
    the_outcome, the_arm = page.outcome(outcome), page.arm(arm)
    result = page.results.get((outcome, arm))
    prefix = f"result-{outcome}-{arm}"
    form = page.bind(result_form(the_outcome), prefix, request.POST)
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
def result_delete(
    request: HttpRequest, slug: str, pk: int, outcome: int, arm: int, entry: int | None = None
):
    page = _editable(request, slug, pk, entry)
    the_outcome, the_arm = page.outcome(outcome), page.arm(arm)
    result = page.results.get((outcome, arm))
    if result is None:
        raise Http404("No result to delete.")
    if refused := _delete(request, page, result):
        return refused
    if not request.htmx:
        return _to_page(page, f"outcome-{outcome}")
    page = _reloaded(page)
    return page.fragment(request, rows=[page.result_row(the_outcome, the_arm)])


@require_POST
def comparison_save(
    request: HttpRequest,
    slug: str,
    pk: int,
    outcome: int | None = None,
    row: int | None = None,
    entry: int | None = None,
) -> HttpResponse:
    page = _editable(request, slug, pk, entry)
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
def comparison_delete(
    request: HttpRequest, slug: str, pk: int, row: int, entry: int | None = None
) -> HttpResponse:
    page = _editable(request, slug, pk, entry)
    comparison = page.comparison(row)
    if refused := _delete(request, page, comparison):
        return refused
    if not request.htmx:
        return _to_page(page, f"outcome-{comparison.outcome_id}")
    return HttpResponse("")
