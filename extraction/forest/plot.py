"""What a forest plot is: the picker's choices, and a plot's rows and axis words. No queries
(data.py) and no drawing (svg.py) here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from ..constants import Measure, OutcomeKind
from ..export import decimal_text

ARMS = "arms"  # the picker's "measure" for the per-arm plot
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


@dataclass
class ForestChoice:
    """One plot the picker offers: an outcome name and a measure (or ARMS), with how many
    studies and rows (estimates, or arm values) it would draw."""

    name: str
    measure: str
    studies: int
    rows: int = 0

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


def measure_rank(measure: str) -> int:
    """Where a measure comes in the picker: the order of Measure, unknown ones last."""
    return MEASURE_ORDER.index(measure) if measure in MEASURE_ORDER else len(MEASURE_ORDER)


@dataclass
class ForestRow:
    study: str
    arms: str
    estimate: Decimal
    low: Decimal | None
    high: Decimal | None
    outcome_id: int = 0
    # The result's reported risk of bias, one (judgement, colour, symbol) per bias column.
    bias: tuple[tuple[str, str, str], ...] = ()

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
    # Risk-of-bias columns ("D1".."D5", "Overall") when some row has its judgements, and the
    # note saying what they are (forest/bias.py).
    bias_columns: tuple[str, ...] = ()
    bias_note: str = ""

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
