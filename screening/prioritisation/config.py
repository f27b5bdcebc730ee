"""The prioritisation model as chosen, and when it is retrained: plain Python, so that the
pages, the decision path and the import path can name the model without loading scikit-learn
and SciPy (model.py loads them, where records are actually fitted and scored)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Early on every decision changes the model most and a retrain costs least (few screened
# records to fit), so until this many records are screened the model retrains after every
# decision; then after every RANKING_RETRAIN_EVERY. 300 rather than 100: recall after 10% on
# Kitchenham_2010 went from 4.5 points below ASReview's to level (bench/prioritisation.py).
WARM_UP = 300
# Records screened before the rankers share the queue (chooser.py): the same 300.
WARM_UP_SHARED = WARM_UP
# The share of the queue's places each ranker but the leader fills, to keep trying it (chooser.py).
EXPLORE_SHARE = 0.1

# Cold start: the order stays random until the screened records hold at least this many of
# each class (measured: bench/prioritisation.py --cold-start).
MIN_INCLUDES = 1
MIN_EXCLUDES = 1


@dataclass(frozen=True)
class ModelConfig:
    """What the benchmark varies. The defaults are the chosen model."""

    classifier: str = "svm"  # logistic | svm | nb
    c: float = 0.11  # inverse regularisation (logistic, svm)
    # Weigh the rare relevant class up until its total weight is `balance` times the
    # irrelevant class's (1: the usual "balanced"; 0: no weighting).
    balance: float = 9.8
    # Words in more than 95% of records say nothing. Words in one record only cannot rank
    # another, but keeping them (min_df 1) was worth 1-2 points of WSS@95 on nudging and virus:
    # they damp, through each row's normalisation, the weight of a wordy record's shared words.
    max_df: float = 0.95
    ngram_max: int = 2
    min_df: int = 1
    sublinear_tf: bool = True
    # Keeping stop words: removing them cost 11 points of WSS@95 on nudging.csv.
    stop_words: str | None = None


DEFAULT = ModelConfig()


def retrain_every(screened: int, every: int) -> int:
    """Decisions between retrains once `screened` records are screened."""
    return 1 if screened < WARM_UP else every


def can_train(labels: Sequence[int]) -> bool:
    """Enough decisions of each kind to learn from."""
    includes = sum(1 for label in labels if label)
    return includes >= MIN_INCLUDES and len(labels) - includes >= MIN_EXCLUDES


CLASSIFIER_NAMES = {
    "logistic": "logistic regression",
    "svm": "a linear support vector machine",
    "nb": "complement naive Bayes",
}


RANKER_FEATURES = {
    "tfidf": "TF-IDF of word 1- to {n}-grams",
    "lsa": "the same with its latent semantic analysis",
    "embedding": "the same with sentence embeddings",
}


def described(config: ModelConfig = DEFAULT, rankers: Sequence[str] = ("tfidf",)) -> str:
    """The model in words, for the methods paragraph: the classifier, and the rankers
    (feature sets) that shared the queue (chooser.py)."""
    features = [RANKER_FEATURES[name].format(n=config.ngram_max) for name in rankers]
    classifier = CLASSIFIER_NAMES[config.classifier]
    if len(features) == 1:
        return f"{features[0]} and {classifier}"
    listed = ", ".join(features[:-1]) + f" and {features[-1]}"
    return (
        f"{classifier} on each of {len(features)} feature sets ({listed}), one of which "
        "ordered the records while the others were tried on "
        f"{EXPLORE_SHARE:.0%} of the places each, the lead passing to another only once its "
        "own picks had proved more often relevant in this "
        f"review than the leader's (TF-IDF alone for the first {WARM_UP_SHARED} records)"
    )
