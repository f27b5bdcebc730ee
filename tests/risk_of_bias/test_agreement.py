"""Agreement between two RoB 2 assessors: Cohen's kappa over the three judgements, checked
against scikit-learn's cohen_kappa_score (a published implementation) and a hand-worked table."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from itertools import product

import pytest
from sklearn.metrics import cohen_kappa_score

from risk_of_bias.agreement import MIN_RESULTS, cohen_kappa, domain_agreement

L, S, H = "low", "some concerns", "high"


def test_a_hand_worked_table():
    # 10 results: both low 4, both some 2, both high 1; a low/b some 2; a some/b high 1.
    pairs = [(L, L)] * 4 + [(S, S)] * 2 + [(H, H)] + [(L, S)] * 2 + [(S, H)]
    # p_o = 7/10; a: L 6, S 3, H 1; b: L 4, S 4, H 2; p_e = (24 + 12 + 2) / 100 = 38/100
    expected = (Fraction(7, 10) - Fraction(38, 100)) / (1 - Fraction(38, 100))
    assert cohen_kappa(pairs) == expected
    result = domain_agreement("D1", pairs)
    assert (result.n, result.agreed, result.percent) == (10, 7, 70.0)
    assert result.kappa == pytest.approx(float(expected)) and result.not_estimable == ""


@pytest.mark.parametrize("seed", range(20))
def test_kappa_matches_scikit_learn(seed):
    rng = random.Random(seed)
    pairs = [(rng.choice((L, S, H)), rng.choice((L, S, H))) for _ in range(rng.randint(10, 40))]
    a, b = zip(*pairs, strict=True)
    ours = cohen_kappa(pairs)
    theirs = cohen_kappa_score(a, b)
    if ours is None:
        assert math.isnan(theirs)  # scikit-learn's answer to 0/0
    else:
        assert float(ours) == pytest.approx(theirs, abs=1e-12)


def test_not_estimable_with_few_results_or_one_judgement_throughout():
    few = domain_agreement("D2", [(L, L), (S, H)])
    assert few.kappa is None and few.not_estimable.startswith(f"fewer than {MIN_RESULTS}")
    assert few.percent == 50.0
    same = domain_agreement("D3", [(L, L)] * MIN_RESULTS)
    assert same.kappa is None and same.not_estimable.startswith("both gave one")
    assert domain_agreement("D4", []).percent is None


def test_every_pair_of_judgements_is_accepted_and_nothing_else():
    for a, b in product((L, S, H), repeat=2):
        assert domain_agreement("D5", [(a, b)]).n == 1
    with pytest.raises(ValueError, match="'moderate'"):
        domain_agreement("D5", [(L, "moderate")])
