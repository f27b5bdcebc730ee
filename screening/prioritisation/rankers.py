"""The rankers the chooser picks among (chooser.py): one linear classifier, model.py's, over
different feature sets of the same records.

- ``tfidf``: TF-IDF of word 1- and 2-grams (model.features), the model ASReview also uses;
- ``lsa``: the same, with its latent semantic analysis beside it (a truncated SVD of the
  TF-IDF, rows L2-normalised): words that share contexts pull together;
- ``embedding``: the TF-IDF with a sentence embedding of each record beside it
  (embeddings.py), when the deployment has an embedding model.

Measured one at a time (docs/prioritisation.md), none wins on every review: the embedding
gained 10 points of WSS@95 on one review and lost 8 on another. So the choice is made per
review, from its own decisions.

The dense blocks are never joined to the sparse TF-IDF for the whole review: the classifier
is fitted on the labelled rows joined (a few thousand), and the candidates are scored block by
block, so an embedding matrix that is a file mapped from disk is read, not copied into this
process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from screening.prioritisation.config import DEFAULT, ModelConfig
from screening.prioritisation.embedding_model import normalised
from screening.prioritisation.model import classifier_for

TFIDF, LSA, EMBEDDING = "tfidf", "lsa", "embedding"
RANKERS = (TFIDF, LSA, EMBEDDING)
RANKER_NAMES = {
    TFIDF: "TF-IDF",
    LSA: "TF-IDF with latent semantic analysis",
    EMBEDDING: "TF-IDF with sentence embeddings",
}
LSA_COMPONENTS = 200
# The dense block's weight beside the TF-IDF (both have rows of length 1). At 1 the dense
# features led: LSA lost 3.7 points of WSS@95 on virus and the embeddings 29 on
# Kitchenham_2010 when each ranked alone; at 0.5 they add what the words miss without
# drowning them (docs/prioritisation.md).
DENSE_WEIGHT = 0.5
SCORE_CHUNK = 4096  # candidate rows scored at a time: bounds the dense rows copied


@dataclass
class Features:
    """A review's feature sets, rows in the same order (the sorted reference ids)."""

    tfidf: sparse.csr_matrix
    lsa: np.ndarray | None = None
    embedding: np.ndarray | None = None  # often a numpy.memmap: read, never copied whole

    @property
    def rankers(self) -> tuple[str, ...]:
        """The rankers these features allow."""
        dense = {LSA: self.lsa, EMBEDDING: self.embedding}
        return (TFIDF, *(name for name, block in dense.items() if block is not None))

    def dense(self, ranker: str) -> np.ndarray | None:
        return {TFIDF: None, LSA: self.lsa, EMBEDDING: self.embedding}[ranker]


def lsa_of(tfidf: sparse.csr_matrix, components: int = LSA_COMPONENTS) -> np.ndarray | None:
    """Latent semantic analysis of the TF-IDF: its first `components` singular directions
    (randomised SVD, seeded), rows L2-normalised. None when there are too few words."""
    from sklearn.decomposition import TruncatedSVD

    components = min(components, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if components < 2:
        return None
    reduced = TruncatedSVD(components, random_state=0).fit_transform(tfidf)
    return normalised(reduced)


def _rows(features: Features, ranker: str, rows: np.ndarray) -> sparse.csr_matrix:
    """The feature rows of one ranker, the dense block (if any) joined to the TF-IDF."""
    dense = features.dense(ranker)
    if dense is None:
        return features.tfidf[rows]
    block = sparse.csr_matrix(DENSE_WEIGHT * np.asarray(dense[rows], dtype=np.float32))
    return sparse.hstack([features.tfidf[rows], block], format="csr")


def fit(
    features: Features,
    ranker: str,
    labelled: Sequence[int],
    labels: Sequence[int],
    config: ModelConfig = DEFAULT,
):
    """The classifier fitted on the `labelled` rows of one ranker's features."""
    y = np.asarray(labels, dtype=np.int8)
    classifier = classifier_for(config, y)
    classifier.fit(_rows(features, ranker, np.asarray(labelled)), y)
    return classifier


def decision(features: Features, ranker: str, classifier, rows: Sequence[int]) -> np.ndarray:
    """The fitted classifier's decision values on `rows`, block by block: the TF-IDF part as
    a sparse product, the dense part a chunk of rows at a time."""
    rows = np.asarray(rows, dtype=np.int64)
    coef = np.asarray(classifier.coef_).ravel()
    words = features.tfidf.shape[1]
    result = features.tfidf[rows] @ coef[:words] + classifier.intercept_[0]
    dense = features.dense(ranker)
    if dense is not None:
        weights = DENSE_WEIGHT * coef[words:].astype(np.float32)
        for start in range(0, len(rows), SCORE_CHUNK):
            chunk = rows[start : start + SCORE_CHUNK]
            result[start : start + len(chunk)] += np.asarray(dense[chunk]) @ weights
    return np.asarray(result, dtype=np.float64)


def scores(
    features: Features,
    ranker: str,
    labelled: Sequence[int],
    labels: Sequence[int],
    candidates: Sequence[int],
    config: ModelConfig = DEFAULT,
) -> np.ndarray:
    """Relevance scores of the `candidates` (higher: more likely relevant) by one ranker."""
    return decision(features, ranker, fit(features, ranker, labelled, labels, config), candidates)


def out_of_fold(
    features: Features,
    ranker: str,
    labelled: Sequence[int],
    labels: Sequence[int],
    config: ModelConfig = DEFAULT,
    folds: int = 3,
) -> np.ndarray:
    """Each labelled record's score from the ranker fitted without its fold (stratified,
    seeded): what the ranker would have said of it had it not been screened yet. The
    estimate of relevant records left is calibrated on these, not on in-sample scores."""
    from sklearn.model_selection import StratifiedKFold

    rows, y = np.asarray(labelled), np.asarray(labels, dtype=np.int8)
    folds = min(folds, int(y.sum()), int(len(y) - y.sum()))
    result = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(rows, y):
        classifier = fit(features, ranker, rows[train], y[train], config)
        result[test] = decision(features, ranker, classifier, rows[test])
    return result
