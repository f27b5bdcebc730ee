"""Inter-rater agreement between pairs of screening reviewers (plain Python, no Django).

Two reviewers judge the same references at a stage; a verdict is "include", "exclude" or
"maybe". "maybe" counts with "include" because both move a reference on to the next stage, so
agreement is measured on a binary outcome: forward (include/maybe) versus exclude. The caller
passes each reviewer's own decisions, before any resolution of conflicts.

For one pair of reviewers, over the n references both judged, the 2x2 table is

                     b forward      b exclude
    a forward        f_f            f_e           (row total r_f)
    a exclude        e_f            e_e           (row total r_e)
                     (col. c_f)     (col. c_e)

and

    p_o   = (f_f + e_e) / n                               observed agreement
    p_e   = (r_f / n) * (c_f / n) + (r_e / n) * (c_e / n)  agreement expected by chance
    kappa = (p_o - p_e) / (1 - p_e)                       Cohen (1960)
    PABAK = 2 * p_o - 1                                   Byrt, Bishop & Carlin (1993), 2 categories

The standard error of kappa is the large-sample one of Fleiss, Cohen & Everitt (1969), the
formula SAS PROC FREQ and Fleiss, Levin & Paik (2003) use, not Cohen's (1960) simpler
approximation sqrt(p_o (1 - p_o) / (n (1 - p_e)^2)):

    var = [ sum_i p_ii ((1 - p_e) - (p_i. + p_.i)(1 - p_o))^2
            + (1 - p_o)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
            - (p_o p_e - 2 p_e + p_o)^2 ] / (n (1 - p_e)^4)

and the 95% interval is kappa +/- z_0.975 * sqrt(var), clipped to [-1, 1]. It is an asymptotic
interval: with a few dozen references it is rough, and with perfect agreement it collapses to
[1, 1].

Kappa is not always worth printing. It is reported as **not estimable**, with the reason, when
it is undefined (p_e == 1: both reviewers made the same decision on every reference, kappa is
0/0), when one reviewer made the same decision on every reference (kappa is then 0 whatever the
other did, with a standard error of 0: chance explains all agreement by construction, and the
interval collapses to [0, 0]), or with fewer than MIN_REFERENCES references decided by both
(the asymptotic interval is meaningless there). The numbers stay on the PairAgreement for
whoever wants them; `not_estimable` says why a page or a CSV leaves them out.

Everything is computed on exact fractions of the integer counts and only converted to float at
the end, so swapping the reviewers gives bit-identical results and the Landis & Koch band of a
kappa that is exactly on a boundary (0.2, 0.4, ...) does not depend on rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from statistics import NormalDist

__all__ = [
    "CSV_HEADER",
    "MIN_REFERENCES",
    "PairAgreement",
    "agreement_by_pair",
    "csv_row",
    "forward",
    "overall",
    "pair_agreement",
]

FORWARD_VERDICTS = frozenset({"include", "maybe"})
# Below this many references decided by both, kappa is "not estimable": its large-sample
# interval assumes dozens, and a handful of references give a number that means nothing
# ("0.000 (0.000 to 0.000)" from three references was what pages showed before).
MIN_REFERENCES = 10
EXCLUDE_VERDICTS = frozenset({"exclude"})

# Two-sided 95%: 1.959963984540054, not the rounded 1.96, so the limits match SAS, R and
# statpsych to the printed digits.
_Z95 = NormalDist().inv_cdf(0.975)

# Landis & Koch (1977). Their bands are printed with two decimals (0.00-0.20, 0.21-0.40, ...);
# kappa is continuous, so each band here runs from just above the previous upper bound up to and
# including its own: 0.2 is "slight", 0.2000001 is "fair".
_LANDIS_KOCH: tuple[tuple[Fraction, str], ...] = (
    (Fraction(1, 5), "slight"),
    (Fraction(2, 5), "fair"),
    (Fraction(3, 5), "moderate"),
    (Fraction(4, 5), "substantial"),
    (Fraction(1), "almost perfect"),
)


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of reviewer_a and reviewer_b on the references both judged.

    kappa is None when n == 0, and also when it is undefined: both reviewers used a single
    category and the same one (every reference forwarded by both, or excluded by both), so
    p_e == 1 and kappa is 0/0. Some tools report 1 or NaN there; None keeps "no kappa" apart from
    a real value, while percent_agreement (100) and pabak (1.0) still say the pair agreed.
    The CI is Fleiss, Cohen & Everitt (1969), see the module docstring.

    not_estimable is "" when kappa is worth reporting, else why not, in words for a reviewer
    ("fewer than 10 references decided by both"): pages and the CSV then leave kappa, its
    interval and its words out.
    """

    reviewer_a: str
    reviewer_b: str
    n: int
    both_forward: int
    a_forward_b_exclude: int
    a_exclude_b_forward: int
    both_exclude: int
    percent_agreement: float | None
    kappa: float | None
    pabak: float | None
    kappa_ci_low: float | None
    kappa_ci_high: float | None
    interpretation: str
    not_estimable: str = ""


def forward(verdict: str) -> bool:
    """True when the verdict moves the reference on (include, maybe), False for exclude.

    Anything else raises ValueError: a typo or a new verdict must not be counted silently as
    one side. Comparison is exact (a Django TextChoices member works, "Include" does not).
    """
    if verdict in FORWARD_VERDICTS:
        return True
    if verdict in EXCLUDE_VERDICTS:
        return False
    raise ValueError(f"unknown verdict {verdict!r}: expected 'include', 'exclude' or 'maybe'")


def pair_agreement(a_label: str, b_label: str, pairs: Iterable[tuple[str, str]]) -> PairAgreement:
    """Agreement of two reviewers from (verdict of a, verdict of b), one per reference."""
    f_f = f_e = e_f = e_e = 0
    for verdict_a, verdict_b in pairs:
        a_fwd, b_fwd = forward(verdict_a), forward(verdict_b)
        if a_fwd and b_fwd:
            f_f += 1
        elif a_fwd:
            f_e += 1
        elif b_fwd:
            e_f += 1
        else:
            e_e += 1
    return _from_table(a_label, b_label, f_f, f_e, e_f, e_e)


def agreement_by_pair(judgements: Iterable[tuple[object, str, str]]) -> list[PairAgreement]:
    """One PairAgreement per pair of reviewers with at least one reference in common.

    judgements are (reference_id, reviewer_label, verdict), at most one per (reference,
    reviewer); a second one raises ValueError rather than silently keeping either, which would
    also make the result depend on input order. Within a pair the labels are in sorted order
    (reviewer_a < reviewer_b) and the list is sorted by (reviewer_a, reviewer_b). A reference
    judged by k reviewers counts once in each of its k * (k - 1) / 2 pairs.
    """
    by_reference: dict[object, dict[str, bool]] = {}
    for reference_id, label, verdict in judgements:
        verdicts = by_reference.setdefault(reference_id, {})
        if label in verdicts:
            raise ValueError(f"reviewer {label!r} judged reference {reference_id!r} more than once")
        # Validate every verdict, even of references only one reviewer judged: bad data should
        # fail loudly whatever the overlap.
        verdicts[label] = forward(verdict)

    # (a, b) -> [both forward, a forward b exclude, a exclude b forward, both exclude]
    tables: dict[tuple[str, str], list[int]] = {}
    for verdicts in by_reference.values():
        for a, b in combinations(sorted(verdicts), 2):
            cell = (0 if verdicts[a] else 2) + (0 if verdicts[b] else 1)
            tables.setdefault((a, b), [0, 0, 0, 0])[cell] += 1

    return [_from_table(a, b, *tables[(a, b)]) for a, b in sorted(tables)]


def overall(pairs: list[PairAgreement]) -> PairAgreement:
    """All pairs pooled: the 2x2 tables are summed, then everything is computed on the sum.

    This is not the mean of the pairwise kappas: each (reference, pair of reviewers) weighs
    the same, so a pair that screened more references counts more. No pairs gives n == 0.
    """
    return _from_table(
        "all",
        "all",
        sum(p.both_forward for p in pairs),
        sum(p.a_forward_b_exclude for p in pairs),
        sum(p.a_exclude_b_forward for p in pairs),
        sum(p.both_exclude for p in pairs),
    )


CSV_HEADER: list[str] = [
    "reviewer_a",
    "reviewer_b",
    "n",
    "both_forward",
    "a_forward_b_exclude",
    "a_exclude_b_forward",
    "both_exclude",
    "percent_agreement",
    "kappa",
    "kappa_ci_low",
    "kappa_ci_high",
    "pabak",
    "interpretation",
    "note",
]


def csv_row(p: PairAgreement) -> list[str]:
    """The cells of one CSV line, in CSV_HEADER order; "" for a value that is None, and for
    kappa, its interval and its words when kappa is not estimable (the note says why).

    Labels are written as given: a caller exporting user-chosen names to a spreadsheet decides
    about formula escaping.
    """
    shown = not p.not_estimable
    return [
        p.reviewer_a,
        p.reviewer_b,
        str(p.n),
        str(p.both_forward),
        str(p.a_forward_b_exclude),
        str(p.a_exclude_b_forward),
        str(p.both_exclude),
        _fmt(p.percent_agreement, 1),
        _fmt(p.kappa if shown else None, 3),
        _fmt(p.kappa_ci_low if shown else None, 3),
        _fmt(p.kappa_ci_high if shown else None, 3),
        _fmt(p.pabak, 3),
        p.interpretation if shown else "",
        f"kappa not estimable: {p.not_estimable}" if p.not_estimable else "",
    ]


def _fmt(value: float | None, decimals: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{decimals}f}"
    # A tiny negative such as a CI limit of -0.0002 would print as "-0.000"; a reader takes the
    # sign to mean something it does not.
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def _interpretation(kappa: Fraction) -> str:
    if kappa < 0:
        return "poor"
    for upper, words in _LANDIS_KOCH:
        if kappa <= upper:
            return words
    raise AssertionError(f"kappa {kappa} above 1")  # kappa <= 1 always: p_o <= 1


def _from_table(a: str, b: str, f_f: int, f_e: int, e_f: int, e_e: int) -> PairAgreement:
    n = f_f + f_e + e_f + e_e
    if n == 0:
        return PairAgreement(
            a, b, 0, 0, 0, 0, 0, None, None, None, None, None, "", "no reference decided by both"
        )

    p_o = Fraction(f_f + e_e, n)
    # Marginal proportions: r for reviewer a's rows, c for reviewer b's columns.
    r_f, r_e = Fraction(f_f + f_e, n), Fraction(e_f + e_e, n)
    c_f, c_e = Fraction(f_f + e_f, n), Fraction(f_e + e_e, n)
    p_e = r_f * c_f + r_e * c_e

    kappa: Fraction | None = None
    low = high = None
    if p_e != 1:
        kappa = (p_o - p_e) / (1 - p_e)
        se = math.sqrt(_kappa_variance(n, f_f, f_e, e_f, e_e, p_o, p_e))
        k = float(kappa)
        low, high = max(-1.0, k - _Z95 * se), min(1.0, k + _Z95 * se)

    return PairAgreement(
        reviewer_a=a,
        reviewer_b=b,
        n=n,
        both_forward=f_f,
        a_forward_b_exclude=f_e,
        a_exclude_b_forward=e_f,
        both_exclude=e_e,
        percent_agreement=float(100 * p_o),
        kappa=None if kappa is None else float(kappa),
        pabak=float(2 * p_o - 1),
        kappa_ci_low=low,
        kappa_ci_high=high,
        interpretation="" if kappa is None else _interpretation(kappa),
        not_estimable=_why_not_estimable(a, b, n, p_e, r_f, c_f),
    )


def _why_not_estimable(a: str, b: str, n: int, p_e: Fraction, r_f: Fraction, c_f: Fraction) -> str:
    """Why kappa is not worth reporting for this table, or "" (see the module docstring)."""
    if p_e == 1:
        return "every decision was the same"
    if n < MIN_REFERENCES:
        return f"fewer than {MIN_REFERENCES} references decided by both"
    single = [name for name, share in ((a, r_f), (b, c_f)) if share in (0, 1)]
    if len(single) == 2:
        return "each reviewer made the same decision on every reference"
    if single:
        who = "one reviewer of every pair" if single[0] == "all" else single[0]
        return f"{who} made the same decision on every reference"
    return ""


def _kappa_variance(
    n: int, f_f: int, f_e: int, e_f: int, e_e: int, p_o: Fraction, p_e: Fraction
) -> float:
    """Fleiss, Cohen & Everitt (1969) large-sample variance of kappa, for p_e < 1."""
    p = ((Fraction(f_f, n), Fraction(f_e, n)), (Fraction(e_f, n), Fraction(e_e, n)))
    rows = (p[0][0] + p[0][1], p[1][0] + p[1][1])
    cols = (p[0][0] + p[1][0], p[0][1] + p[1][1])
    diagonal = sum(p[i][i] * ((1 - p_e) - (rows[i] + cols[i]) * (1 - p_o)) ** 2 for i in range(2))
    off_diagonal = (1 - p_o) ** 2 * sum(
        p[i][j] * (cols[i] + rows[j]) ** 2 for i in range(2) for j in range(2) if i != j
    )
    correction = (p_o * p_e - 2 * p_e + p_o) ** 2
    variance = (diagonal + off_diagonal - correction) / (n * (1 - p_e) ** 4)
    # Exact arithmetic keeps this >= 0 (it is a sum of squared deviations); max() is a guard.
    return max(0.0, float(variance))


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """The Wilson score 95% interval of a proportion k/n (sound for small n and for k = 0 or
    k = n, unlike the normal approximation); None when n is 0."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
