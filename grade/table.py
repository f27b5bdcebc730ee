"""The summary-of-findings table as plain values: one row per outcome (an analysis), every cell
with where it came from. The page, the DOCX and the CSV all draw this."""

from __future__ import annotations

from dataclasses import dataclass, field

# GRADE's domains: five that can lower the certainty, three that can raise it (non-randomised
# evidence only).
DOWNGRADES = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UPGRADES = ("large_effect", "dose_response", "confounding")
DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
    "large_effect": "Large effect",
    "dose_response": "Dose-response gradient",
    "confounding": "Plausible confounding",
}
LEVELS = ("very low", "low", "moderate", "high")  # index = number of ⊕
SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very low": "⊕◯◯◯"}


@dataclass
class Judgement:
    """One domain of one outcome: what the app proposed (with why), and what a person decided.
    `level` is 0 (not serious), -1 (serious), -2 (very serious), or for an upgrade +1, +2."""

    domain: str
    proposed: int | None = None  # None: the app proposes nothing (a person's call)
    because: str = ""  # why the proposal, in words
    level: int | None = None  # the person's decision; None while unconfirmed
    footnote: str = ""  # required for every downgrade (and upgrade) a person confirms
    footnote_mark: str = ""  # "a", "b"... as the table prints it

    @property
    def label(self) -> str:
        return DOMAIN_LABELS[self.domain]

    @property
    def confirmed(self) -> bool:
        return self.level is not None


@dataclass
class AbsoluteEffect:
    """Per 1,000: the control risk (assumed, or the control arms'), the risk with the
    intervention and the difference with its CI."""

    control_per_1000: float
    control_source: str  # "assumed by the review team" or "the control arms: 134/361"
    intervention_per_1000: float
    difference_per_1000: float
    difference_low: float
    difference_high: float


@dataclass
class SofRow:
    analysis_id: int
    outcome: str
    comparison: str
    participants: int | None  # from the pooled studies' arm totals, when they have them
    studies: int
    measure: str  # HR, RR...
    measure_label: str
    relative: tuple[float, float, float] | None  # estimate, low, high (natural scale)
    absolute: AbsoluteEffect | None
    design: str  # "randomised" or "non-randomised"
    judgements: list[Judgement] = field(default_factory=list)
    certainty: str = ""  # one of LEVELS, once every downgrade domain is confirmed
    note: str = ""  # the analysis's note (the demo's "a demonstration")

    @property
    def symbols(self) -> str:
        return SYMBOLS.get(self.certainty, "")

    @property
    def footnotes(self) -> list[tuple[str, str]]:
        return [(j.footnote_mark, j.footnote) for j in self.judgements if j.footnote_mark]
