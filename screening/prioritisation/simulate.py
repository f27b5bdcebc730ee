"""Replay a labelled review: the records are screened in the order the model gives, starting
from one relevant and one irrelevant record as prior knowledge, the model retrained every
`every` records, and the metrics of metrics.py computed on the order after the priors."""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from screening.prioritisation import metrics
from screening.prioritisation.config import DEFAULT, ModelConfig, can_train, retrain_every
from screening.prioritisation.model import features, ranked, record_text, scores

# The column names of the labelled datasets this is run on (ASReview's and others).
LABEL_COLUMNS = ("included", "label_included", "label_included_final")
TEXT_COLUMNS = ("title", "abstract")


@dataclass
class Dataset:
    texts: list[str]
    labels: list[int]


@dataclass
class Simulation:
    order: list[int]  # record indices in screening order, priors left out
    labels: list[int]  # their labels, in that order
    retrain_seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        result = metrics.summary(self.labels)
        times = self.retrain_seconds
        result["retrains"] = len(times)
        result["retrain_ms_mean"] = round(1000 * sum(times) / len(times), 2) if times else 0.0
        result["retrain_ms_max"] = round(1000 * max(times), 2) if times else 0.0
        return result


def read_labelled_csv(path: str | Path) -> Dataset:
    """Title, abstract and the 0/1 label of each row of a labelled review's CSV."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: not a CSV text file in UTF-8 (unreadable byte at {error.start})."
        ) from None
    except csv.Error as error:
        raise ValueError(f"{path}: not a readable CSV file ({error}).") from None
    if not rows:
        raise ValueError(f"{path}: no records.")
    label_column = next((c for c in LABEL_COLUMNS if c in rows[0]), None)
    if label_column is None:
        raise ValueError(f"{path}: no label column (one of {', '.join(LABEL_COLUMNS)}).")
    texts, labels = [], []
    for number, row in enumerate(rows, start=2):
        value = (row[label_column] or "").strip()
        if value not in ("0", "1"):
            raise ValueError(f"{path}, line {number}: the label is {value!r}, not 0 or 1.")
        labels.append(int(value))
        texts.append(record_text(row.get("title") or "", row.get("abstract") or ""))
    if not any(labels) or all(labels):
        raise ValueError(f"{path}: needs both relevant and irrelevant records.")
    return Dataset(texts, labels)


def priors_for(labels: Sequence[int], seed: int) -> tuple[int, int]:
    """One relevant and one irrelevant record, picked by the seed: the prior knowledge."""
    rng = random.Random(seed)
    relevant = [i for i, label in enumerate(labels) if label]
    irrelevant = [i for i, label in enumerate(labels) if not label]
    return rng.choice(relevant), rng.choice(irrelevant)


def random_order(labels: Sequence[int], priors: Sequence[int], seed: int) -> list[int]:
    """The baseline: the other records in a random order from the seed."""
    rest = [i for i in range(len(labels)) if i not in set(priors)]
    random.Random(f"random-order:{seed}").shuffle(rest)
    return rest


def simulate(
    dataset: Dataset,
    priors: Sequence[int],
    *,
    seed: int = 0,
    every: int = 5,  # the app's RANKING_RETRAIN_EVERY default (config/settings/base.py)
    config: ModelConfig = DEFAULT,
    matrix=None,
    random_share: float = 0.0,
) -> Simulation:
    """Screen every record in model order, retrained as the app retrains it: after every
    record during the warm-up, then after every `every` records. `random_share`: the share
    of picks taken at random instead of from the top (the benchmark's test of a mixed query
    strategy; the app takes the top only)."""
    labels = dataset.labels
    if matrix is None:
        matrix = features(dataset.texts, config)
    rng = random.Random(f"cold-start:{seed}")
    labelled = list(priors)
    pool = np.ones(len(labels), dtype=bool)
    pool[labelled] = False
    order: list[int] = []
    queue: list[int] = []
    timings: list[float] = []
    while pool.any():
        if not queue:
            candidates = np.flatnonzero(pool).tolist()
            known = [labels[i] for i in labelled]
            if can_train(known):
                started = time.perf_counter()
                queue = ranked(candidates, scores(matrix, labelled, known, candidates, config))
                timings.append(time.perf_counter() - started)
            else:
                rng.shuffle(candidates)
                queue = candidates
            take = retrain_every(len(order), every)
            if random_share and can_train(known):
                picks = queue[:take]
                for i in range(len(picks)):
                    if rng.random() < random_share:
                        picks[i] = rng.choice(queue[take:] or queue)
                queue = list(dict.fromkeys(picks))
            else:
                queue = queue[:take]
        record = queue.pop(0)
        pool[record] = False
        labelled.append(record)
        order.append(record)
    return Simulation(order, [labels[i] for i in order], timings)
