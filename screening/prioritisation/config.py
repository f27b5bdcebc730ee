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


def described(config: ModelConfig = DEFAULT) -> str:
    """The model in words, for the methods paragraph."""
    grams = f"word 1- to {config.ngram_max}-grams"
    return f"TF-IDF of {grams} and {CLASSIFIER_NAMES[config.classifier]}"
