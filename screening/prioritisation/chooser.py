"""Which ranker orders the next records of a review: learned from the review's own decisions.

Every ranker the features allow (rankers.py) ranks the waiting records at each retrain. One of
them leads: it fills the queue, but for a share of places (EXPLORE for each other ranker) that
go to another ranker's best record not yet placed, so that every ranker keeps being tried on
the review. A place is credited to every ranker that would have put that record there (its
best record not yet placed); once the record is screened, it is a hit (relevant) or a miss.

The leader changes only on evidence. For a pair of rankers, the places one was credited with
and the other was not are where they disagreed; the challenger takes the lead once the
posterior probability that its hit rate on those places beats the leader's on theirs passes
SWITCH (Beta posteriors around the pair's pooled rate; older decisions count a little less each
time, DECAY). Places both were credited with say nothing about which is better, so they are
left out: at the low share of relevant records late in screening they would drown the
difference. TF-IDF, ASReview's default model, leads until another ranker has earned it, and
alone fills the queue for the first WARM_UP records.

Why not simply share the places by a draw (Thompson sampling over each ranker's hit rate)?
That was the first design: the rankers' hit rates could not be told apart, each ranker filled
about a third of the queue on every review, and interleaving cost up to 2.7 points of WSS@95
where one ranker is simply better (docs/prioritisation.md). Cross-validation on the screened
records could not see the gain at all: the screened records are the ones the ranker in use had
already found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from screening.prioritisation import rankers
from screening.prioritisation.config import EXPLORE_SHARE, WARM_UP_SHARED
from screening.prioritisation.model import ranked

DEFAULT_RANKER = rankers.TFIDF
DECAY = 0.99  # weight of the earlier decisions, per decision credited
EXPLORE = EXPLORE_SHARE  # share of the queue's places each ranker but the leader fills
SWITCH = 0.9  # posterior probability of a better hit rate that takes the lead
PRIOR_WEIGHT = 2.0  # pseudo-decisions of the Beta prior, centred on the pair's pooled rate
DRAWS = 4000  # Monte Carlo draws per comparison (fixed seed: the same counts, the same answer)
WARM_UP = WARM_UP_SHARED  # records screened before the rankers share the queue
INTERLEAVED = 500  # the queue's places filled place by place; the rest are the leader's


@dataclass
class Record:
    """Each ranker's decayed hits and misses in this review, overall (shown) and where it
    disagreed with each other ranker (`versus["a>b"]`: places credited to a and not b), and the
    ranker in the lead."""

    hits: dict[str, float] = field(default_factory=dict)
    misses: dict[str, float] = field(default_factory=dict)
    versus: dict[str, list[float]] = field(default_factory=dict)
    leader: str = DEFAULT_RANKER

    def as_json(self) -> dict:
        return {
            "hits": {name: round(v, 3) for name, v in self.hits.items()},
            "misses": {name: round(v, 3) for name, v in self.misses.items()},
            "versus": {pair: [round(v, 3) for v in hm] for pair, hm in self.versus.items()},
            "leader": self.leader,
        }

    @classmethod
    def from_json(cls, data: Mapping | None) -> Record:
        data = data or {}
        versus = {pair: [float(v) for v in hm] for pair, hm in (data.get("versus") or {}).items()}
        return cls(
            dict(data.get("hits") or {}),
            dict(data.get("misses") or {}),
            versus,
            data.get("leader") or DEFAULT_RANKER,
        )


def credit(
    record: Record, placed: Sequence[int], masks: bytes, labels: Mapping[int, int]
) -> Record:
    """Credit the rankers with the records of the last queue that are now screened.

    `placed`: the last queue's records in order; `masks`: for each of its first places, the
    rankers that would have placed the record there (bit i: rankers.RANKERS[i]; 0 for a
    record that was already screened then); `labels`: the screened records' labels now."""
    hits, misses = dict(record.hits), dict(record.misses)
    versus = {pair: list(hm) for pair, hm in record.versus.items()}
    for reference, mask in zip(placed, masks, strict=False):
        if not mask or reference not in labels:
            continue
        for counts in (hits, misses):
            for name in counts:
                counts[name] *= DECAY
        for hm in versus.values():
            hm[0] *= DECAY
            hm[1] *= DECAY
        relevant = bool(labels[reference])
        credited = [name for bit, name in enumerate(rankers.RANKERS) if mask & (1 << bit)]
        for name in credited:
            target = hits if relevant else misses
            target[name] = target.get(name, 0.0) + 1.0
            for other in rankers.RANKERS:
                if other not in credited:
                    versus.setdefault(f"{name}>{other}", [0.0, 0.0])[0 if relevant else 1] += 1
    return Record(hits, misses, versus, record.leader)


def chance_better(record: Record, challenger: str, leader: str) -> float:
    """The posterior probability that `challenger`'s hit rate where the two disagreed beats
    `leader`'s: Beta posteriors with a weak prior centred on the pair's pooled rate, so that a
    ranker with no picks of its own yet is not favoured by the prior's optimism."""
    ch, cm = record.versus.get(f"{challenger}>{leader}", (0.0, 0.0))
    lh, lm = record.versus.get(f"{leader}>{challenger}", (0.0, 0.0))
    pooled = (ch + lh + 1.0) / (ch + cm + lh + lm + 2.0)
    a, b = PRIOR_WEIGHT * pooled, PRIOR_WEIGHT * (1.0 - pooled)
    rng = np.random.default_rng(0)
    return float(np.mean(rng.beta(a + ch, b + cm, DRAWS) > rng.beta(a + lh, b + lm, DRAWS)))


def leader_for(record: Record, names: Sequence[str], *, screened: int) -> str:
    """The ranker that leads this retrain: the default during the warm-up, then the last
    leader unless another has beaten it where they disagreed with probability over SWITCH."""
    default = DEFAULT_RANKER if DEFAULT_RANKER in names else names[0]
    if screened < WARM_UP:
        return default
    leader = record.leader if record.leader in names else default
    best, best_chance = leader, SWITCH
    for name in names:
        if name != leader and (chance := chance_better(record, name, leader)) > best_chance:
            best, best_chance = name, chance
    return best


@dataclass
class Queue:
    order: list[int]  # every candidate, the first `len(masks)` places filled place by place
    masks: bytes  # per such place, the rankers credited with it
    picks: dict[str, int]  # places each ranker filled
    leader: str


def interleave(
    rankings: Mapping[str, Sequence[int]],
    record: Record,
    rng: np.random.Generator,
    *,
    places: int = INTERLEAVED,
    screened: int = WARM_UP,
    creditable: set[int] | None = None,
) -> Queue:
    """The queue: its first `places` filled one at a time, each by the leader or, for a share
    EXPLORE each, by another ranker; the rest in the leader's order. `rankings`: each ranker's
    order of the same candidates; `screened`: the records screened so far (in the warm-up the
    default ranker fills every place); `creditable`: the candidates that no one has screened
    (the others earn no credit). `record.leader` is set to the leader."""
    names = list(rankings)
    leader = record.leader = leader_for(record, names, screened=screened)
    others = [name for name in names if name != leader]
    explore = 0.0 if screened < WARM_UP else EXPLORE
    first = next(iter(rankings.values()))
    places = min(places, len(first))
    taken: set[int] = set()
    pointer = dict.fromkeys(names, 0)
    order, masks, picks = [], bytearray(), dict.fromkeys(names, 0)

    def best_left(name: str) -> int:
        ranking, at = rankings[name], pointer[name]
        while ranking[at] in taken:
            at += 1
        pointer[name] = at
        return ranking[at]

    for _ in range(places):
        nexts = {name: best_left(name) for name in names}
        slot = int(rng.random() / explore) if explore else len(others)
        chosen = others[slot] if slot < len(others) else leader
        reference = nexts[chosen]
        taken.add(reference)
        order.append(reference)
        picks[chosen] += 1
        credited = creditable is None or reference in creditable
        masks.append(_mask(n for n in names if nexts[n] == reference) if credited else 0)
    order.extend(reference for reference in rankings[leader] if reference not in taken)
    return Queue(order, bytes(masks), picks, leader)


def _mask(names) -> int:
    mask = 0
    for name in names:
        mask |= 1 << rankers.RANKERS.index(name)
    return mask


def ranked_queue(
    features: rankers.Features,
    labelled: Sequence[int],
    labels: Sequence[int],
    candidates: Sequence[int],
    record: Record,
    rng: np.random.Generator,
    *,
    screened: int,
    places: int = INTERLEAVED,
    creditable: set[int] | None = None,
    names: Sequence[str] | None = None,
) -> tuple[Queue, dict[str, np.ndarray]]:
    """A retrain: every ranker (or `names`) fitted on the labelled rows and scoring the
    candidate rows, and the queue they share. Also each ranker's scores (the estimate of
    relevant records left uses the leader's)."""
    scores = {
        name: rankers.scores(features, name, labelled, labels, candidates)
        for name in (names or features.rankers)
    }
    rankings = {name: ranked(list(candidates), values) for name, values in scores.items()}
    queue = interleave(
        rankings, record, rng, places=places, screened=screened, creditable=creditable
    )
    return queue, scores
