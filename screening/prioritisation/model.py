"""The prioritisation model: TF-IDF features of each record's text, and a linear classifier
trained on the review's decisions that scores the unscreened records.

The features are fitted once over all of a review's records (their text is known before anyone
screens), so a retrain only fits the classifier on the screened rows and scores the rest: a
sparse matrix product, well under a second at 25,000 records (bench/prioritisation.py).
The classifier and its settings were chosen by that benchmark; docs/prioritisation.md and
docs/performance.md have the figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from screening.prioritisation.config import (
    DEFAULT,
    ModelConfig,
)


def record_text(title: str, abstract: str, keywords: str = "") -> str:
    """The text the model reads for one record."""
    return " ".join(part for part in (title, abstract, keywords) if part)


def features(texts: Sequence[str], config: ModelConfig = DEFAULT) -> sparse.csr_matrix:
    """TF-IDF of word 1- and 2-grams over all of a review's records, rows L2-normalised."""
    vectoriser = TfidfVectorizer(
        ngram_range=(1, config.ngram_max),
        min_df=config.min_df,
        max_df=config.max_df,
        sublinear_tf=config.sublinear_tf,
        stop_words=config.stop_words,
        dtype=np.float32,
    )
    try:
        return vectoriser.fit_transform(texts).tocsr()
    except ValueError:  # no words at all (empty records): nothing to learn from
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def class_weights(labels: np.ndarray, config: ModelConfig = DEFAULT) -> dict[int, float]:
    """Per-class weights giving the relevant records `config.balance` times the irrelevant
    ones' total weight, scaled so that all weights add up to the number of records: the
    regularisation then means the same whatever the balance."""
    total = len(labels)
    positives = max(int(labels.sum()), 1)
    negatives = max(total - positives, 1)
    ratio = config.balance
    return {
        0: total / (negatives * (1 + ratio)),
        1: ratio * total / (positives * (1 + ratio)),
    }


def classifier_for(config: ModelConfig, labels: np.ndarray):
    weight = class_weights(labels, config) if config.balance else None
    if config.classifier == "logistic":
        return LogisticRegression(C=config.c, class_weight=weight, max_iter=1000)
    if config.classifier == "svm":
        # tol 1e-2: the same order as the default 1e-4 (Spearman 1.0 here), 4x faster.
        # random_state: liblinear visits the records in a random order; fixed, a replay is
        # repeatable (unfixed, two replays of one seed can differ).
        return LinearSVC(C=config.c, class_weight=weight, tol=1e-2, random_state=0)
    if config.classifier == "nb":
        return ComplementNB()
    raise ValueError(f"Unknown classifier {config.classifier!r}")


def ranked(candidates: Sequence[int], candidate_scores: np.ndarray) -> list[int]:
    """The candidates, most likely relevant first (ties: the given order)."""
    order = np.argsort(-np.asarray(candidate_scores), kind="stable")
    return [candidates[i] for i in order]
