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

from screening.prioritisation import chooser, metrics, rankers
from screening.prioritisation.config import DEFAULT, ModelConfig, can_train, retrain_every
from screening.prioritisation.model import features, record_text

AUTO = "auto"  # the chooser picks the ranker, as the app does

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
    # Each retrain's queue: records screened then, the leading ranker, the places each
    # ranker filled (chooser.interleave).
    rankers: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        result = metrics.summary(self.labels)
        times = self.retrain_seconds
        result["retrains"] = len(times)
        result["retrain_ms_mean"] = round(1000 * sum(times) / len(times), 2) if times else 0.0
        result["retrain_ms_max"] = round(1000 * max(times), 2) if times else 0.0
        result["rankers"] = self.rankers
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
    ranker: str = AUTO,
    embedding=None,
    feature_sets: rankers.Features | None = None,
) -> Simulation:
    """Screen every record in model order, retrained as the app retrains it: after every
    record during the warm-up, then after every `every` records. `ranker`: AUTO for the
    chooser (the app's default), or one ranker throughout. `embedding`: the records' sentence
    embeddings (rows as the dataset's), if any; `matrix` / `feature_sets`: features already
    computed (the benchmark computes them once per dataset)."""
    labels = dataset.labels
    if feature_sets is None:
        tfidf = matrix if matrix is not None else features(dataset.texts, config)
        wanted = set(rankers.RANKERS) if ranker == AUTO else {ranker}
        feature_sets = rankers.Features(
            tfidf,
            lsa=rankers.lsa_of(tfidf) if rankers.LSA in wanted else None,
            embedding=embedding if rankers.EMBEDDING in wanted else None,
        )
    if ranker != AUTO and ranker not in feature_sets.rankers:
        raise ValueError(f"The ranker {ranker!r} needs features this run does not have.")
    rng = random.Random(f"cold-start:{seed}")
    draws = np.random.default_rng(seed)
    names = feature_sets.rankers if ranker == AUTO else (ranker,)
    labelled = list(priors)
    pool = np.ones(len(labels), dtype=bool)
    pool[labelled] = False
    order: list[int] = []
    batch: list[int] = []
    timings: list[float] = []
    used: list[dict] = []
    record, last = chooser.Record(), None
    while pool.any():
        if not batch:
            candidates = np.flatnonzero(pool).tolist()
            known = [labels[i] for i in labelled]
            take = retrain_every(len(order), every)
            if can_train(known):
                started = time.perf_counter()
                if last is not None:  # the last queue's places are screened now
                    drawn = len(last.masks)
                    screened = {i: labels[i] for i in last.order[:drawn]}
                    record = chooser.credit(record, last.order, last.masks, screened)
                last, _ = chooser.ranked_queue(
                    feature_sets,
                    labelled,
                    known,
                    candidates,
                    record,
                    draws,
                    screened=len(order),
                    places=take,
                    names=names,
                )
                timings.append(time.perf_counter() - started)
                used.append({"screened": len(order), "ranker": last.leader, "picks": last.picks})
                batch = last.order[:take]
            else:
                rng.shuffle(candidates)
                batch = candidates[:take]
        item = batch.pop(0)
        pool[item] = False
        labelled.append(item)
        order.append(item)
    return Simulation(order, [labels[i] for i in order], timings, used)
