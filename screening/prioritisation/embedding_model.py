"""The sentence-embedding model: found from the setting, read from disk, and run. Plain
Python (no Django models), so that the benchmark and the simulation can embed a dataset.

The model is a static embedding model in model2vec's format (a token vocabulary and a vector
per token, averaged over a record's tokens): numpy and a tokenizer, no deep-learning stack,
about a thousand records a second on one core. It is fetched once at install time
(scripts/embedding_model.py, `make embedding-model`), never at run time.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings


class EmbeddingModelMissing(Exception):
    """The setting names a folder that holds no usable model."""


def model_path() -> Path | None:
    """The configured model's folder, or None when the deployment has none."""
    if not settings.configured:  # a benchmark run outside Django: it names its model itself
        return None
    path = getattr(settings, "PRIORITISATION_EMBEDDING_MODEL", "")
    return Path(path) if path else None


@lru_cache(maxsize=4)
def model_key(path: Path) -> str:
    """The model's name and a digest of its files: vectors made by another version of a
    model with the same name are never mixed with these."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    if not files:
        raise EmbeddingModelMissing(f"No embedding model in {path}.")
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode())
        digest.update(file.read_bytes())
    return f"{path.name[:150]}@{digest.hexdigest()[:16]}"


@lru_cache(maxsize=1)
def load_model(path: Path):
    """The static model in `path`, read from disk only (never from a hub)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from model2vec import StaticModel

    if not (path / "config.json").is_file():
        raise EmbeddingModelMissing(f"No embedding model in {path} (no config.json).")
    return StaticModel.from_pretrained(str(path))


def encode(path: Path, texts: list[str]) -> np.ndarray:
    """The texts' embeddings, float32, rows L2-normalised (an empty text: a zero row)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    # max_length None: a whole abstract, not its first 512 tokens (a static model averages
    # token vectors, so length costs nothing but time).
    vectors = load_model(path).encode(texts, max_length=None, show_progress_bar=False)
    return normalised(vectors)


def normalised(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows left at zero), as float32."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1)
