"""The reads behind forest plots: which outcomes have data to plot, and one plot's rows."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, Q

from screening.models import Review

from ..constants import Measure
from ..models import ArmResult, Comparison, Outcome
from .plot import ARMS, ForestChoice, ForestPlot, ForestRow, measure_rank, outcome_key

# What a plot's rows need of an outcome and its study, and no more.
OUTCOME_COLUMNS = ("study", "name", "kind", "timepoint", "unit", "position")
STUDY_COLUMNS = ("study__name", "study__acronym")


def forest_choices(review: Review) -> list[ForestChoice]:
    """The outcomes with data, grouped by name: one choice per measure of their between-arm
    estimates, or one per-arm choice for an outcome that has none but has arm values; each
    with its number of studies and of rows (estimates, or arm values)."""
    outcomes = (
        Outcome.objects.in_review(review)
        .annotate(values=Count("results", filter=Q(results__value__isnull=False)))
        .order_by("study_id", "position", "id")
        .values_list("id", "name", "study_id", "values")
    )
    measures = (
        Comparison.objects.in_review(review)
        .order_by()
        .values_list("outcome_id", "measure")
        .annotate(n=Count("id"))
    )
    by_outcome: dict[int, dict[str, int]] = defaultdict(dict)
    for outcome_id, measure, n in measures:
        by_outcome[outcome_id][measure] = n
    spellings: dict[str, Counter] = defaultdict(Counter)
    compared: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    rows: dict[str, Counter] = defaultdict(Counter)  # key -> measure (or ARMS) -> rows
    per_arm: dict[str, set[int]] = defaultdict(set)
    for outcome_id, name, study_id, values in outcomes:
        key = outcome_key(name)
        for measure, n in by_outcome.get(outcome_id, {}).items():
            compared[key][measure].add(study_id)
            rows[key][measure] += n
        if values:
            per_arm[key].add(study_id)
            rows[key][ARMS] += values
        if values or outcome_id in by_outcome:
            spellings[key][" ".join(name.split())] += 1
    choices = []
    for key, counter in spellings.items():
        name = counter.most_common(1)[0][0]
        if compared[key]:
            for measure in sorted(compared[key], key=measure_rank):
                studies = len(compared[key][measure])
                choices.append(ForestChoice(name, measure, studies, rows[key][measure]))
        else:
            choices.append(ForestChoice(name, ARMS, len(per_arm[key]), rows[key][ARMS]))
    return sorted(choices, key=lambda choice: (choice.key, measure_rank(choice.measure)))


def default_choice(choices: list[ForestChoice]) -> ForestChoice | None:
    """The plot a page opens on when none is asked for: the one with the most studies, then
    the most rows; on a tie, the first in the picker's order."""
    if not choices:
        return None
    return max(choices, key=lambda choice: (choice.studies, choice.rows))


def forest_plot(
    review: Review, name: str, measure: str | None = None, favours: tuple[str, str] = ("", "")
) -> ForestPlot | None:
    """The rows of the outcome called `name` (any letter case) across the review's studies:
    its comparisons of `measure` (by default the measure most of them use), or, when it has no
    comparisons or `measure` is ARMS, its per-arm values. None when there is nothing to draw."""
    outcomes = _outcomes_named(review, name)
    if not outcomes:
        return None
    spellings = Counter(" ".join(outcome.name.split()) for outcome in outcomes.values())
    shown = spellings.most_common(1)[0][0]
    labels = _study_labels(outcomes)
    if measure != ARMS:
        plot = _comparison_plot(outcomes, labels, shown, measure, favours)
        if plot is not None:
            return plot
    return _per_arm_plot(outcomes, labels, shown)


def _outcomes_named(review: Review, name: str) -> dict[int, Outcome]:
    """The review's outcomes called `name`, letter case and spacing aside, by id."""
    key = outcome_key(name)
    return {
        outcome.pk: outcome
        for outcome in Outcome.objects.in_review(review)
        .select_related("study")
        .only(*OUTCOME_COLUMNS, *STUDY_COLUMNS)
        if outcome_key(outcome.name) == key
    }


def _study_labels(outcomes: dict[int, Outcome]) -> dict[int, str]:
    """Each outcome's row label: its study, and the time point when the study has this outcome
    at several (it says which row is which)."""
    per_study = Counter(outcome.study_id for outcome in outcomes.values())
    labels = {}
    for pk, outcome in outcomes.items():
        label = str(outcome.study)
        if per_study[outcome.study_id] > 1 and outcome.timepoint:
            label += f", {outcome.timepoint}"
        labels[pk] = label
    return labels


def _order(outcome: Outcome) -> tuple:
    return (outcome.study.name.casefold(), outcome.study_id, outcome.position, outcome.pk)


def _comparison_plot(
    outcomes: dict[int, Outcome],
    labels: dict[int, str],
    shown: str,
    measure: str | None,
    favours: tuple[str, str],
) -> ForestPlot | None:
    """One row per comparison of `measure`, or of the measure most of them use when they have
    none of it. None when there are no comparisons to draw."""
    comparisons = list(
        Comparison.objects.filter(outcome_id__in=outcomes).select_related("arm", "comparator")
    )
    if not comparisons:
        return None
    if measure not in {c.measure for c in comparisons}:
        counts = Counter(c.measure for c in comparisons)
        measure = min(counts, key=lambda m: (-counts[m], measure_rank(m)))
    # Ratios are above 0 (validation says so): a row that is not has no place on a log axis.
    positive = measure in Measure.ratios()
    chosen = [c for c in comparisons if c.measure == measure and (not positive or c.estimate > 0)]
    chosen.sort(key=lambda c: (*_order(outcomes[c.outcome_id]), c.pk))
    rows = [
        ForestRow(
            study=labels[c.outcome_id],
            arms=f"{c.arm.label} vs {c.comparator.label}",
            estimate=c.estimate,
            low=c.ci_low,
            high=c.ci_high,
            outcome_id=c.outcome_id,
        )
        for c in chosen
    ]
    return ForestPlot(shown, measure, rows, favours=favours) if rows else None


def _per_arm_plot(
    outcomes: dict[int, Outcome], labels: dict[int, str], shown: str
) -> ForestPlot | None:
    """One row per study x arm with a value, of the outcome kind (and unit) most of them have;
    the others are counted as omitted. None when no arm has a value."""
    results = list(
        ArmResult.objects.filter(outcome_id__in=outcomes, value__isnull=False).select_related("arm")
    )
    if not results:
        return None
    kinds = Counter(_kind(outcomes[r.outcome_id]) for r in results)
    wanted, _ = kinds.most_common(1)[0]
    kept = [r for r in results if _kind(outcomes[r.outcome_id]) == wanted]
    kept.sort(key=lambda r: (*_order(outcomes[r.outcome_id]), r.arm.position, r.arm_id))
    rows = [
        ForestRow(
            study=labels[r.outcome_id],
            arms=r.arm.label + (" (control)" if r.arm.comparator else ""),
            estimate=r.value,
            low=r.ci_low,
            high=r.ci_high,
            outcome_id=r.outcome_id,
        )
        for r in kept
    ]
    return ForestPlot(
        shown,
        ARMS,
        rows,
        kind=wanted[0],
        unit=outcomes[kept[0].outcome_id].unit.strip(),
        omitted=len(results) - len(kept),
    )


def _kind(outcome: Outcome) -> tuple[str, str]:
    return outcome.kind, " ".join(outcome.unit.split()).casefold()
