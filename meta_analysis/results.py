"""What running an analysis gives: each study's row (its effect, where it came from, its weight)
and the pooled results. The plots, exports and pages read these, never the database."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .effects import BinaryCounts
from .pooling import LeftOut, PoolResult, SubgroupResult

RATIOS = {"HR", "RR", "OR"}  # pooled on the log scale, shown on the natural one
MEASURES = {
    "HR": "Hazard ratio",
    "RR": "Risk ratio",
    "OR": "Odds ratio",
    "RD": "Risk difference",
    "MD": "Mean difference",
    "SMD": "Standardised mean difference",
}


def natural(measure: str, value: float) -> float:
    """A value on the analysis scale (log for ratios) back on the scale readers know."""
    return math.exp(value) if measure in RATIOS else value


@dataclass
class StudyRow:
    """One study in an analysis. `yi`, `se` are on the analysis scale (log for ratios);
    `estimate`, `ci_low`, `ci_high` on the natural one. `weight` is a percent of the pooled
    estimate's weight (None when the study is not pooled: `excluded` says why)."""

    study_id: int
    name: str
    yi: float | None = None
    se: float | None = None
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    weight: float | None = None
    counts: BinaryCounts | None = None  # events and totals per arm, for RR, OR, RD
    means: tuple | None = None  # (mean, sd, n) of each arm, for MD, SMD
    arms: tuple[str, str] = ("", "")  # the experimental arm's label, the control arm's
    subgroup: str = ""
    risk_of_bias: str = ""  # the result's overall judgement, if assessed: low, some concerns, high
    source: str = ""  # where the numbers came from, in words: report, page, quote
    report_ids: tuple[int, ...] = ()
    excluded: str = ""  # why the study is not pooled ("" when it is)

    @property
    def pooled(self) -> bool:
        return not self.excluded and self.yi is not None


@dataclass
class AnalysisRun:
    """An analysis run: its definition in plain values, its rows (pooled ones first, in the
    studies' order, then the others with why), and what pooling gave."""

    title: str  # "Objective response rate: ivonescimab vs control"
    outcome: str
    comparison: str
    measure: str  # HR, RR, OR, RD, MD, SMD
    model: str  # fixed, random
    method: str  # IV, MH, DL, PM, REML
    hksj: bool
    rows: list[StudyRow]
    pooled: PoolResult | None = None  # None when no study can be pooled
    subgroups: SubgroupResult | None = None
    subgroup_by: str = ""  # in words: "Phase", "Risk of bias (overall)"
    leave_one_out: list[LeftOut] = field(default_factory=list)
    sensitivity: PoolResult | None = None  # without the results at high risk of bias
    sensitivity_left_out: list[str] = field(default_factory=list)  # their studies' names
    note: str = ""  # e.g. the demo's "a demonstration, not a clinical claim"
    # Which side of the line of no effect favours which arm: below 1 (or 0) favours the
    # experimental arm when the outcome is a harm (death, progression), the control when it is
    # a benefit (a response).
    benefit: bool = False

    @property
    def favours(self) -> tuple[str, str]:
        """The words under the axis, left and right."""
        return ("control", "experimental") if self.benefit else ("experimental", "control")

    @property
    def ratio(self) -> bool:
        return self.measure in RATIOS

    @property
    def measure_label(self) -> str:
        return MEASURES[self.measure]

    @property
    def included(self) -> list[StudyRow]:
        return [row for row in self.rows if row.pooled]

    def natural(self, value: float) -> float:
        return natural(self.measure, value)
