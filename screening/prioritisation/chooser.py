"""Which ranker orders the next records of a review: learned from the review's own decisions.

Every ranker the features allow (rankers.py) ranks the waiting records at each retrain. The
first places of the queue are then filled one at a time, each by the ranker that a draw from
its record so far favours (Thompson sampling; Beta(1 + hits, 1 + misses)), with that ranker's
best record not yet placed. A record is credited to every ranker that would have placed it
there (its best record not yet placed), so rankers that agree share the credit. Once the
record is screened, its decision is a hit (relevant) or a miss for those rankers, older
decisions counting a little less each time (DECAY), since the ranker that finds the next
relevant record in the first hundred is not always the one that finds it at the end.

So a ranker whose picks keep turning out relevant fills more of the queue, and one whose picks
do not fills less, without anyone choosing. Judging rankers by the records the queue happened
to serve has no bias for the ranker in the lead: each is judged only on its own picks. (Cross-
validation on the screened records was tried first and could not see the gain: the screened
records are the ones the ranker in use had already found; docs/prioritisation.md.)

During `WARM_UP` the queue is TF-IDF's alone, ASReview's default model: the safe default while
there is little to learn from. The other rankers are credited all the same when they would
have picked the same record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from screening.prioritisation import rankers
from screening.prioritisation.config import WARM_UP_SHARED
from screening.prioritisation.model import ranked

DEFAULT_RANKER = rankers.TFIDF
DECAY = 0.99  # weight of the earlier decisions, per decision credited
PRIOR = (1.0, 1.0)  # Beta prior of a ranker's share of relevant picks: uniform
WARM_UP = WARM_UP_SHARED  # records screened before the rankers share the queue
INTERLEAVED = 500  # the queue's places filled by the draw; the rest follow the leader


@dataclass
class Record:
    """Each ranker's decayed hits and misses in this review."""

    hits: dict[str, float] = field(default_factory=dict)
    misses: dict[str, float] = field(default_factory=dict)

    def mean(self, ranker: str) -> float:
        hits, misses = self.hits.get(ranker, 0.0), self.misses.get(ranker, 0.0)
        return (PRIOR[0] + hits) / (PRIOR[0] + PRIOR[1] + hits + misses)

    def leader(self, available: Sequence[str]) -> str:
        """The ranker with the best record (ties: the default, then the listed order)."""
        return max(available, key=lambda name: (self.mean(name), name == DEFAULT_RANKER))

    def as_json(self) -> dict:
        return {
            "hits": {name: round(v, 3) for name, v in self.hits.items()},
            "misses": {name: round(v, 3) for name, v in self.misses.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping | None) -> Record:
        data = data or {}
        return cls(dict(data.get("hits") or {}), dict(data.get("misses") or {}))


def credit(
    record: Record, placed: Sequence[int], masks: bytes, labels: Mapping[int, int]
) -> Record:
    """Credit the rankers with the records of the last queue that are now screened.

    `placed`: the last queue's records in order; `masks`: for each of its first places, the
    rankers that would have placed the record there (bit i: rankers.RANKERS[i]; 0 for a
    record that was already screened then); `labels`: the screened records' labels now."""
    hits, misses = dict(record.hits), dict(record.misses)
    for reference, mask in zip(placed, masks, strict=False):
        if not mask or reference not in labels:
            continue
        for counts in (hits, misses):
            for name in counts:
                counts[name] *= DECAY
        target = hits if labels[reference] else misses
        for bit, name in enumerate(rankers.RANKERS):
            if mask & (1 << bit):
                target[name] = target.get(name, 0.0) + 1.0
    return Record(hits, misses)


@dataclass
class Queue:
    order: list[int]  # every candidate, the first `len(masks)` places drawn
    masks: bytes  # per drawn place, the rankers credited with it
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
    """The queue: its first `places` filled by drawing a ranker per place, the rest in the
    leader's order. `rankings`: each ranker's order of the same candidates; `screened`: the
    records screened so far (in the warm-up the default ranker fills every place);
    `creditable`: the candidates that no one has screened (the others earn no credit)."""
    names = list(rankings)
    leader = record.leader(names)
    warm = screened < WARM_UP and DEFAULT_RANKER in rankings
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
        if warm:
            chosen = DEFAULT_RANKER
        else:
            draws = {
                name: rng.beta(
                    PRIOR[0] + record.hits.get(name, 0.0), PRIOR[1] + record.misses.get(name, 0.0)
                )
                for name in names
            }
            chosen = max(names, key=draws.get)
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
