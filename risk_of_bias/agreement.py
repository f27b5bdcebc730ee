"""Agreement between two assessors, per domain and overall, on the results both assessed:
percent agreement and Cohen's kappa over the three judgements (low, some concerns, high), as
screening reports kappa for its two categories. Unweighted kappa: RoB 2's judgements are
ordered, but the guidance reports plain agreement, and a weighted kappa would need weights no
one publishes for it.

    p_o = sum_i n_ii / n,   p_e = sum_i (n_i. / n)(n_.i / n),   kappa = (p_o - p_e) / (1 - p_e)

computed on exact fractions. Kappa is "not estimable" below MIN_RESULTS results assessed by
both, or when p_e is 1 (both gave one and the same judgement throughout)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

MIN_RESULTS = 10
CATEGORIES = ("low", "some concerns", "high")


@dataclass(frozen=True)
class DomainAgreement:
    domain: str  # "D1".."D5" or "Overall"
    n: int
    agreed: int
    kappa: float | None
    not_estimable: str = ""

    @property
    def percent(self) -> float | None:
        return 100 * self.agreed / self.n if self.n else None


def cohen_kappa(pairs: list[tuple[str, str]]) -> Fraction | None:
    """Cohen's kappa of the pairs of judgements; None when undefined (p_e == 1 or no pair)."""
    n = len(pairs)
    if not n:
        return None
    observed = Fraction(sum(1 for a, b in pairs if a == b), n)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(Fraction(first[c] * second[c], n * n) for c in set(first) | set(second))
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def domain_agreement(domain: str, pairs: Iterable[tuple[str, str]]) -> DomainAgreement:
    pairs = list(pairs)
    unknown = {j for pair in pairs for j in pair} - set(CATEGORIES)
    if unknown:
        raise ValueError(f"Not a RoB 2 judgement: {sorted(unknown)[0]!r}")
    agreed = sum(1 for a, b in pairs if a == b)
    why = ""
    kappa = cohen_kappa(pairs)
    if len(pairs) < MIN_RESULTS:
        why = f"fewer than {MIN_RESULTS} results assessed by both"
    elif kappa is None:
        why = "both gave one and the same judgement to every result"
    value = float(kappa) if kappa is not None and not why else None
    return DomainAgreement(domain, len(pairs), agreed, value, why)
