"""Forest plots of one outcome across a review's studies, drawn as SVG on the server.

An outcome is every outcome of that name (letter case aside) in the review's studies. With
between-arm estimates, the plot has one row per comparison: the study, the arm against its
comparator, the estimate and its 95% CI in words, a square at the estimate and a line for the
interval (an arrow where it runs off the axis), and a vertical line of no effect: at 1 on a log
axis for ratios, at 0 on a linear one for differences. An outcome reported only arm by arm (a
response rate in %, a median in months) gets the per-arm plot instead: one row per study x arm,
a linear axis and no line of no effect. A row without an interval shows its point and says "CI
not reported". The squares are all one size: these are the studies' own estimates, not pooled.

    choices = forest_choices(review)             # what the picker offers, in two queries
    plot = forest_plot(review, "Progression-free survival", measure="hr")
    svg = render_svg(plot)                       # render_png(svg) from screening.prisma_svg
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.db.models import Exists, OuterRef

from screening.models import Review
from screening.prisma_svg import FONT, SIZE

from .constants import Measure, OutcomeKind
from .export import decimal_text
from .models import ArmResult, Comparison, Outcome

ARMS = "arms"  # the picker's "measure" for the per-arm plot
CHAR = 7.2  # a generous average character width at SIZE: labels must not run into the next column
MARGIN = 12
ROW = 26
LINE_GAP = 20
GAP = 16  # between columns
PLOT_W = 320
SQUARE = 9
LOG_FLOOR, LOG_CEILING = 0.01, 100.0  # a ratio's CI is cut there (with an arrow)
INK, GREY, NOTE = "#000000", "#6b6b6b", "#b35900"
COLOURS = {"square": "#1f5fae", "line": "#1d2430"}
PER_ARM_AXIS = {
    OutcomeKind.TIME_TO_EVENT: "Median (months)",
    OutcomeKind.PROPORTION: "Percentage (%)",
    OutcomeKind.CONTINUOUS: "Mean",
    OutcomeKind.COUNT: "Value",
}
MEASURE_ORDER = list(Measure.values)


def outcome_key(name: str) -> str:
    """Outcomes are grouped by name, letter case and spacing aside."""
    return " ".join(name.split()).casefold()


# --- What there is to plot ---------------------------------------------------------------------


@dataclass
class ForestChoice:
    """One plot the picker offers: an outcome name and a measure (or ARMS)."""

    name: str
    measure: str
    studies: int

    @property
    def key(self) -> str:
        return outcome_key(self.name)

    @property
    def label(self) -> str:
        what = "per-arm values" if self.measure == ARMS else Measure(self.measure).label.lower()
        count = f"{self.studies} stud{'y' if self.studies == 1 else 'ies'}"
        return f"{self.name}: {what} ({count})"

    @property
    def query(self) -> str:
        return urlencode({"outcome": self.name, "measure": self.measure})


def forest_choices(review: Review) -> list[ForestChoice]:
    """The outcomes with data, grouped by name: one choice per measure of their between-arm
    estimates, or one per-arm choice for an outcome that has none but has arm values."""
    outcomes = (
        Outcome.objects.filter(study__review=review)
        .annotate(
            has_values=Exists(ArmResult.objects.filter(outcome=OuterRef("pk"), value__isnull=False))
        )
        .order_by("study_id", "position", "id")
        .values_list("id", "name", "study_id", "has_values")
    )
    measures = (
        Comparison.objects.filter(outcome__study__review=review)
        .values_list("outcome_id", "measure")
        .distinct()
    )
    by_outcome: dict[int, set[str]] = defaultdict(set)
    for outcome_id, measure in measures:
        by_outcome[outcome_id].add(measure)
    spellings: dict[str, Counter] = defaultdict(Counter)
    compared: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    per_arm: dict[str, set[int]] = defaultdict(set)
    for outcome_id, name, study_id, has_values in outcomes:
        key = outcome_key(name)
        for measure in by_outcome.get(outcome_id, ()):
            compared[key][measure].add(study_id)
        if has_values:
            per_arm[key].add(study_id)
        if has_values or outcome_id in by_outcome:
            spellings[key][" ".join(name.split())] += 1
    choices = []
    for key, counter in spellings.items():
        name = counter.most_common(1)[0][0]
        if compared[key]:
            for measure in sorted(compared[key], key=_measure_rank):
                choices.append(ForestChoice(name, measure, len(compared[key][measure])))
        else:
            choices.append(ForestChoice(name, ARMS, len(per_arm[key])))
    return sorted(choices, key=lambda choice: (choice.key, _measure_rank(choice.measure)))


def _measure_rank(measure: str) -> int:
    return MEASURE_ORDER.index(measure) if measure in MEASURE_ORDER else len(MEASURE_ORDER)


# --- One plot's data ---------------------------------------------------------------------------


@dataclass
class ForestRow:
    study: str
    arms: str
    estimate: Decimal
    low: Decimal | None
    high: Decimal | None

    @property
    def text(self) -> str:
        if self.low is None or self.high is None:
            return f"{decimal_text(self.estimate)} (CI not reported)"
        return (
            f"{decimal_text(self.estimate)} [{decimal_text(self.low)}, {decimal_text(self.high)}]"
        )


@dataclass
class ForestPlot:
    outcome: str
    measure: str  # a Measure, or ARMS
    rows: list[ForestRow]
    kind: str = ""  # the outcome kind of a per-arm plot
    unit: str = ""
    omitted: int = 0  # per-arm values of another kind than the plot's
    favours: tuple[str, str] = ("", "")  # labels left and right of the line of no effect

    @property
    def per_arm(self) -> bool:
        return self.measure == ARMS

    @property
    def log(self) -> bool:
        return self.measure in Measure.ratios()

    @property
    def null(self) -> float | None:
        if self.per_arm:
            return None
        return 1.0 if self.log else 0.0

    @property
    def axis_label(self) -> str:
        if self.per_arm:
            label = PER_ARM_AXIS.get(self.kind, "Value")
            if self.unit and self.kind in (OutcomeKind.CONTINUOUS, OutcomeKind.COUNT):
                label += f" ({self.unit})"
            return label
        label = Measure(self.measure).label
        return f"{label} (log scale)" if self.log else label

    @property
    def title(self) -> str:
        if self.per_arm:
            return f"{self.outcome}: {self.axis_label.lower()} by arm"
        return f"{self.outcome}: {Measure(self.measure).label.lower()}"


def forest_plot(
    review: Review, name: str, measure: str | None = None, favours: tuple[str, str] = ("", "")
) -> ForestPlot | None:
    """The rows of the outcome called `name` (any letter case) across the review's studies:
    its comparisons of `measure` (by default the measure most of them use), or, when it has no
    comparisons or `measure` is ARMS, its per-arm values. None when there is nothing to draw."""
    key = outcome_key(name)
    outcomes = {
        outcome.pk: outcome
        for outcome in Outcome.objects.filter(study__review=review)
        .select_related("study")
        .only(
            "study",
            "name",
            "kind",
            "timepoint",
            "unit",
            "position",
            "study__name",
            "study__acronym",
        )
        if outcome_key(outcome.name) == key
    }
    if not outcomes:
        return None
    # A study with this outcome at several time points says which row is which.
    per_study = Counter(outcome.study_id for outcome in outcomes.values())

    def study_label(outcome: Outcome) -> str:
        label = str(outcome.study)
        if per_study[outcome.study_id] > 1 and outcome.timepoint:
            label += f", {outcome.timepoint}"
        return label

    def order(outcome: Outcome) -> tuple:
        return (outcome.study.name.casefold(), outcome.study_id, outcome.position, outcome.pk)

    spellings = Counter(" ".join(outcome.name.split()) for outcome in outcomes.values())
    shown = spellings.most_common(1)[0][0]
    if measure != ARMS:
        comparisons = list(
            Comparison.objects.filter(outcome_id__in=outcomes).select_related("arm", "comparator")
        )
        if comparisons:
            if measure not in {c.measure for c in comparisons}:
                counts = Counter(c.measure for c in comparisons)
                measure = min(counts, key=lambda m: (-counts[m], _measure_rank(m)))
            # Ratios are above 0 (validation says so): a row that is not has no place on a log axis.
            positive = measure in Measure.ratios()
            chosen = [
                c for c in comparisons if c.measure == measure and (not positive or c.estimate > 0)
            ]
            chosen.sort(key=lambda c: (*order(outcomes[c.outcome_id]), c.pk))
            rows = [
                ForestRow(
                    study=study_label(outcomes[c.outcome_id]),
                    arms=f"{c.arm.label} vs {c.comparator.label}",
                    estimate=c.estimate,
                    low=c.ci_low,
                    high=c.ci_high,
                )
                for c in chosen
            ]
            if rows:
                return ForestPlot(shown, measure, rows, favours=favours)
    results = list(
        ArmResult.objects.filter(outcome_id__in=outcomes, value__isnull=False).select_related("arm")
    )
    if not results:
        return None
    kinds = Counter(_kind(outcomes[r.outcome_id]) for r in results)
    wanted, _ = kinds.most_common(1)[0]
    kept = [r for r in results if _kind(outcomes[r.outcome_id]) == wanted]
    kept.sort(key=lambda r: (*order(outcomes[r.outcome_id]), r.arm.position, r.arm_id))
    rows = [
        ForestRow(
            study=study_label(outcomes[r.outcome_id]),
            arms=r.arm.label + (" (control)" if r.arm.comparator else ""),
            estimate=r.value,
            low=r.ci_low,
            high=r.ci_high,
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


# --- The axis ----------------------------------------------------------------------------------


@dataclass
class Axis:
    low: float
    high: float
    log: bool
    left: float
    right: float
    ticks: list[float] = field(default_factory=list)

    def x(self, value: float) -> float:
        if self.log:
            share = (math.log(value) - math.log(self.low)) / (
                math.log(self.high) - math.log(self.low)
            )
        else:
            share = (value - self.low) / (self.high - self.low)
        return self.left + share * (self.right - self.left)

    def clamp(self, value: float) -> float:
        return min(max(value, self.low), self.high)


def _log_ticks() -> list[float]:
    """1e-6, 2e-6, 5e-6 ... 0.5, 1, 2, 5 ... 1e6: closed under 1/x, so the axis is symmetric."""
    return [m * 10.0**k for k in range(-6, 7) for m in (1, 2, 5) if m * 10.0**k <= 1e6]


def log_axis(estimates: list[float], bounds: list[float], left: float, right: float) -> Axis:
    """A log axis symmetric about 1 that holds every estimate, and the intervals as far as
    LOG_FLOOR and LOG_CEILING."""
    bounds = [b for b in bounds if b > 0]
    low = min([1.0, *estimates, *(max(b, min([LOG_FLOOR, *estimates])) for b in bounds)])
    high = max([1.0, *estimates, *(min(b, max([LOG_CEILING, *estimates])) for b in bounds)])
    reach = max(1 / low, high) * (1 - 1e-9)
    ticks = _log_ticks()
    top = next((t for t in ticks if t >= reach), ticks[-1])
    top = max(top, 2.0)
    shown = [t for t in ticks if 1 / top * (1 - 1e-9) <= t <= top * (1 + 1e-9)]
    if len(shown) > 9:  # a wide axis: powers of ten only
        shown = [t for t in shown if math.isclose(math.log10(t), round(math.log10(t)))]
    return Axis(1 / top, top, True, left, right, shown)


def _nice_step(span: float) -> float:
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def linear_axis(
    estimates: list[float],
    bounds: list[float],
    left: float,
    right: float,
    *,
    include: tuple[float, ...] = (),
    symmetric: bool = False,
) -> Axis:
    """A linear axis with round ticks that holds every estimate (and `include`, the null line
    or 0); an interval reaching further than twice the estimates' spread is cut, with an arrow.
    A symmetric axis is centred on 0, as a difference's is, so each side has its room."""
    points = [*estimates, *include]
    low, high = min(points), max(points)
    spread = (high - low) or max(abs(high), 1.0)
    low = min([low, *(max(b, low - 2 * spread) for b in bounds)])
    high = max([high, *(min(b, high + 2 * spread) for b in bounds)])
    if symmetric:
        high = max(abs(low), abs(high))
        low = -high
    if low == high:
        low, high = low - 1, high + 1
    step = _nice_step(high - low)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    ticks = [round(i * step, 10) for i in range(first, last + 1)]
    return Axis(ticks[0], ticks[-1], False, left, right, ticks)


def _tick_text(value: float) -> str:
    return f"{round(value, 6):g}"


# --- Drawing -----------------------------------------------------------------------------------


def _fit(text: str, width: float) -> str:
    room = max(int(width / CHAR), 4)
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _width(texts: list[str], least: float, most: float) -> float:
    return min(max([least, *(len(t) * CHAR for t in texts)]), most)


def render_svg(plot: ForestPlot) -> str:
    """The plot as a standalone SVG document."""
    if not plot.rows:
        raise ValueError("A forest plot needs at least one row.")
    arms_head = "Arm" if plot.per_arm else "Comparison"
    estimate_head = f"{'Value' if plot.per_arm else _short(plot.measure)} [95% CI]"
    study_w = _width(["Study", *(r.study for r in plot.rows)], 60, 220)
    arms_w = _width([arms_head, *(r.arms for r in plot.rows)], 80, 320)
    text_w = _width([estimate_head, *(r.text for r in plot.rows)], 100, 260)
    study_x = MARGIN
    arms_x = study_x + study_w + GAP
    plot_left = arms_x + arms_w + GAP + 6
    plot_right = plot_left + PLOT_W
    text_x = plot_right + GAP + 6
    width = text_x + text_w + MARGIN

    estimates = [float(r.estimate) for r in plot.rows]
    bounds = [float(b) for r in plot.rows for b in (r.low, r.high) if b is not None]
    if plot.log:
        axis = log_axis(estimates, bounds, plot_left, plot_right)
    else:
        include: tuple[float, ...] = ()
        if plot.null is not None:
            include = (plot.null,)
        elif plot.kind in (OutcomeKind.PROPORTION, OutcomeKind.TIME_TO_EVENT, OutcomeKind.COUNT):
            include = (0.0,)  # percentages and medians are read from zero
        axis = linear_axis(
            estimates, bounds, plot_left, plot_right, include=include, symmetric=not plot.per_arm
        )

    title_y = MARGIN + SIZE
    head_y = title_y + LINE_GAP
    rows_top = head_y + 8
    out = [
        f'<text x="{MARGIN}" y="{title_y}" font-weight="bold">{escape(plot.title)}</text>',
        f'<g font-weight="bold">'
        f'<text x="{study_x}" y="{head_y}">Study</text>'
        f'<text x="{arms_x}" y="{head_y}">{arms_head}</text>'
        f'<text x="{text_x}" y="{head_y}">{escape(estimate_head)}</text></g>',
        f'<line x1="{MARGIN}" y1="{rows_top}" x2="{width - MARGIN}" y2="{rows_top}" '
        f'stroke="{GREY}" stroke-width="0.6"/>',
    ]
    for i, row in enumerate(plot.rows):
        columns = ((study_x, study_w, row.study), (arms_x, arms_w, row.arms))
        out.append(_row_svg(row, axis, rows_top + ROW * i + ROW / 2, columns, text_x))
    axis_y = rows_top + ROW * len(plot.rows) + 6
    if plot.null is not None:
        x = axis.x(plot.null)
        out.append(
            f'<line class="null-line" x1="{x:.2f}" y1="{rows_top}" x2="{x:.2f}" y2="{axis_y}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
    out.append(
        f'<line class="axis" x1="{plot_left:.2f}" y1="{axis_y}" x2="{plot_right:.2f}" '
        f'y2="{axis_y}" stroke="{INK}" stroke-width="1"/>'
    )
    for tick in axis.ticks:
        x = axis.x(tick)
        out.append(
            f'<line class="tick" x1="{x:.2f}" y1="{axis_y}" x2="{x:.2f}" y2="{axis_y + 5}" '
            f'stroke="{INK}" stroke-width="1"/>'
            f'<text class="tick-label" x="{x:.2f}" y="{axis_y + 5 + SIZE}" text-anchor="middle" '
            f'font-size="{SIZE - 1}">{_tick_text(tick)}</text>'
        )
    below = axis_y + 5 + SIZE + LINE_GAP
    left_label, right_label = (label.strip() for label in plot.favours)
    if plot.null is not None and (left_label or right_label):
        x = axis.x(plot.null)
        if left_label:
            out.append(
                f'<text class="favours" x="{x - 6:.2f}" y="{below}" text-anchor="end" '
                f'font-size="{SIZE - 1}">← Favours {escape(left_label)}</text>'
            )
        if right_label:
            width = max(width, x + 6 + len(f"Favours {right_label} →") * CHAR + MARGIN)
            out.append(
                f'<text class="favours" x="{x + 6:.2f}" y="{below}" font-size="{SIZE - 1}">'
                f"Favours {escape(right_label)} →</text>"
            )
        below += LINE_GAP
    out.append(
        f'<text class="axis-label" x="{(plot_left + plot_right) / 2:.2f}" y="{below}" '
        f'text-anchor="middle">{escape(plot.axis_label)}</text>'
    )
    notes = ["Each study's own estimate, as reported; not pooled."]
    if plot.omitted:
        notes.append(
            f"{plot.omitted} arm value{'s' if plot.omitted > 1 else ''} of another kind or "
            "unit not drawn."
        )
    for note in notes:
        below += LINE_GAP
        out.append(
            f'<text x="{MARGIN}" y="{below}" font-size="{SIZE - 2}" fill="{GREY}">'
            f"{escape(note)}</text>"
        )
    height = below + MARGIN
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="{SIZE}" '
        'role="img" aria-labelledby="forest-title">',
        f'<title id="forest-title">Forest plot: {escape(plot.title)}</title>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    return "\n".join([*head, *out, "</svg>"])


def _short(measure: str) -> str:
    return {"hr": "HR", "or": "OR", "rr": "RR", "rd": "RD", "md": "MD"}.get(measure, measure)


def _row_svg(row: ForestRow, axis: Axis, cy: float, columns, text_x: float) -> str:
    """One row: its study and arms (cut to their column, whole in a tooltip), the estimate in
    words, and the square and interval on the axis."""
    baseline = cy + SIZE * 0.35
    parts = ['<g class="forest-row">']
    for x, w, text in columns:
        fitted = _fit(text, w)
        tip = f"<title>{escape(text)}</title>" if fitted != text else ""
        parts.append(f'<text x="{x}" y="{baseline:.2f}">{tip}{escape(fitted)}</text>')
    parts.append(
        f'<text class="estimate-text" x="{text_x:.2f}" y="{baseline:.2f}">{escape(row.text)}</text>'
    )
    if row.low is not None and row.high is not None:
        low, high = float(row.low), float(row.high)
        x1, x2 = axis.x(axis.clamp(low)), axis.x(axis.clamp(high))
        parts.append(
            f'<line class="ci" x1="{x1:.2f}" y1="{cy:.2f}" x2="{x2:.2f}" y2="{cy:.2f}" '
            f'stroke="{COLOURS["line"]}" stroke-width="1.4"/>'
        )
        if low < axis.low:
            parts.append(_arrow(x1, cy, -1))
        if high > axis.high:
            parts.append(_arrow(x2, cy, 1))
    x = axis.x(float(row.estimate))
    half = SQUARE / 2
    parts.append(
        f'<rect class="estimate" x="{x - half:.2f}" y="{cy - half:.2f}" width="{SQUARE}" '
        f'height="{SQUARE}" fill="{COLOURS["square"]}"/>'
    )
    parts.append("</g>")
    return "".join(parts)


def _arrow(x: float, y: float, direction: int) -> str:
    """A small triangle at the axis' end, pointing the way the interval goes on."""
    tip, back = x + 3 * direction, x - 5 * direction
    return (
        f'<polygon class="arrow" points="{tip:.2f},{y:.2f} {back:.2f},{y - 4:.2f} '
        f'{back:.2f},{y + 4:.2f}" fill="{COLOURS["line"]}"/>'
    )
