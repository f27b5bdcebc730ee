"""ASReview's screening order on a labelled dataset, for bench/prioritisation.py to compare with.

    python bench/asreview_runner.py DATASETS_DIR [--seeds 1-5] [--datasets nudging,virus]

fills the cache without running our model (bench/prioritisation.py does the same on its way).

ASReview LAB 3.x (`ASREVIEW`) lives in a virtual environment of its own, `VENV`, made with
`python -m venv` and pip the first time it is needed: its pins (numpy, scikit-learn, pandas)
are not the app's. Each run is

    asreview simulate DATASET.csv --prior-idx RELEVANT IRRELEVANT --seed SEED -o out.asreview

with ASReview's default model (3.0.8: "ELAS u4", TF-IDF 1-2-grams + linear SVM, balanced, max
query) and the same two priors as ours (`priors_for`; `--prior-idx` takes 0-based CSV rows). It
runs in a temporary directory (ASReview leaves a synergy_cache.sqlite in its working directory),
on one thread, one run at a time.

The screening order is read out of the project file: a zip holding `results.db` (SQLite). Its
`results` table has one row per labelling action in the order they happened (rowid), the two
priors first; its `record` table maps ASReview's `record_id` to `dataset_row`, the 0-based row
of the CSV (ASReview ignores the CSV's own id / record_id column). Before an order is used it
is checked against our reading of the CSV: same number of rows, ASReview's `included` equal to
our label on every row (it reads the first of asreview_label, included, label, final_included,
label_included, ... that the CSV has), the same title and abstract on every row, the priors
first, and each labelling action's label equal to ours. A mismatch stops the run.

ASReview stops once the last relevant record is found (its default `--n-stop`); the records it
never read are all irrelevant, so they are appended in row order: WSS, TNR, recall, ATD and n@
are the same whatever their order. Results are cached in `CACHE` per (dataset sha256, seed,
priors, ASReview version), so a re-run of the benchmark does not run ASReview again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from screening.prioritisation.simulate import (  # noqa: E402 - after the path is set
    Dataset,
    priors_for,
    read_labelled_csv,
)

ASREVIEW = "asreview==3.0.8"
CACHE_DIR = REPO / "bench" / ".cache"  # git-ignored: the venv and the cached results
VENV = CACHE_DIR / "asreview-venv"
CACHE = CACHE_DIR / "asreview.json"
# One thread each: the machine is shared, and ASReview is compared run for run, not for speed.
SINGLE_THREAD = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
# Nagtegaal_2019.csv is the review of nudging.csv before Ferdinands et al. removed duplicates
# and records without an abstract: running both would count one review twice.
SKIP = {"Nagtegaal_2019.csv"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def dataset_paths(directory: Path, names: Sequence[str] | None = None) -> list[Path]:
    """The labelled CSVs of `directory` (all but `SKIP`), or only those whose stem is named."""
    paths = [p for p in sorted(directory.glob("*.csv")) if p.name not in SKIP]
    if names:
        unknown = set(names) - {p.stem for p in paths}
        if unknown:
            raise SystemExit(f"error: no dataset {', '.join(sorted(unknown))} in {directory}")
        paths = [p for p in paths if p.stem in names]
    return paths


def parse_seeds(text: str) -> list[int]:
    """'1-5' or '1,3,7' or '2'."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- The environment -----------------------------------------------------------------------


def ensure_venv() -> Path:
    """The `asreview` command of `VENV`, installing it the first time."""
    command = VENV / "bin" / "asreview"
    if command.exists():
        return command
    log(f"... installing {ASREVIEW} into {VENV.relative_to(REPO)} (once)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, ASREVIEW], check=True)
    return command


def installed_version() -> str:
    """ASReview's version as pip installed it (part of the cache key)."""
    ensure_venv()
    script = "from importlib.metadata import version; print(version('asreview'))"
    out = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", script], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


# --- The cache -----------------------------------------------------------------------------


def cache_key(digest: str, seed: int, priors: Sequence[int], version: str) -> str:
    # The priors are in the key: they come from priors_for, which may change.
    return f"{digest}|seed={seed}|priors={priors[0]},{priors[1]}|asreview={version}"


def load_cache() -> dict:
    if not CACHE.exists():
        return {}
    return json.loads(CACHE.read_text())


def save_cache(cache: dict) -> None:
    # Written whole after every run, through a rename: an interrupted fill keeps what it had.
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = CACHE.with_suffix(".json.partial")
    partial.write_text(json.dumps(cache, indent=1, sort_keys=True))
    partial.replace(CACHE)


def cached_run(
    path: Path, dataset: Dataset, seed: int, *, version: str | None = None, run: bool = True
) -> dict | None:
    """ASReview's result for (dataset, seed) from the cache, running it when missing (and `run`).
    `version` None: the installed one; with `run` False and no version given, any cached
    version (the newest string) will do, so that --no-asreview needs no installation."""
    priors = priors_for(dataset.labels, seed)
    digest = sha256(path)
    cache = load_cache()
    if version is None and not run:
        prefix = cache_key(digest, seed, priors, "")
        found = sorted(k for k in cache if k.startswith(prefix))
        return cache[found[-1]] if found else None
    version = version or installed_version()
    key = cache_key(digest, seed, priors, version)
    if key not in cache:
        if not run:
            return None
        log(f"... ASReview {version} on {path.stem}, seed {seed}")
        cache[key] = run_asreview(path, dataset, priors, seed)
        cache[key].update(dataset=path.name, seed=seed, asreview=version)
        save_cache({**load_cache(), key: cache[key]})
    return cache[key]


# --- One run -------------------------------------------------------------------------------


def run_asreview(path: Path, dataset: Dataset, priors: Sequence[int], seed: int) -> dict:
    """Run ASReview once and return its checked order (0-based CSV rows, priors left out)."""
    command = ensure_venv()
    with tempfile.TemporaryDirectory(prefix="bench-asreview-") as tmp:
        project = Path(tmp) / "out.asreview"
        started = time.perf_counter()
        arguments = ["simulate", str(path.resolve()), "--seed", str(seed), "-o", str(project)]
        arguments += ["--prior-idx", str(priors[0]), str(priors[1])]
        process = subprocess.run(
            [str(command), *arguments],
            cwd=tmp,
            env={**os.environ, **SINGLE_THREAD},
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if process.returncode != 0 or not project.exists():
            raise RuntimeError(
                f"asreview simulate {path.name} seed {seed} failed "
                f"({process.returncode}):\n{process.stderr[-3000:]}"
            )
        with zipfile.ZipFile(project) as archive:
            archive.extract("results.db", tmp)
        screened, model = read_results(Path(tmp) / "results.db", dataset, priors)
    return {
        "priors": list(priors),
        "screened": screened,
        "model": model,
        "seconds": round(seconds, 1),
    }


def read_results(database: Path, dataset: Dataset, priors: Sequence[int]):
    """The rows ASReview labelled, in order, priors left out, and the model it named;
    checked against our reading of the CSV."""
    connection = sqlite3.connect(database)
    try:
        records = connection.execute(
            "SELECT record_id, dataset_row, included, title, abstract FROM record"
        ).fetchall()
        actions = connection.execute(
            "SELECT record_id, label, classifier, querier, balancer, feature_extractor"
            " FROM results ORDER BY rowid"
        ).fetchall()
    finally:
        connection.close()
    labels = dataset.labels
    if len(records) != len(labels):
        raise RuntimeError(f"ASReview read {len(records)} records, we read {len(labels)}")
    row_of = {}
    for record_id, row, included, title, abstract in records:
        row_of[record_id] = row
        if included != labels[row]:
            raise RuntimeError(f"row {row}: ASReview's label is {included}, ours {labels[row]}")
        if _words(title, abstract) != _words(dataset.texts[row]):
            raise RuntimeError(f"row {row}: ASReview's title and abstract are not ours")
    rows = [row_of[record_id] for record_id, *_ in actions]
    if sorted(rows[:2]) != sorted(priors):
        raise RuntimeError(f"ASReview's first records are rows {rows[:2]}, not the priors")
    for (_, label, *_), row in zip(actions, rows, strict=True):
        if label != labels[row]:
            raise RuntimeError(f"row {row} was labelled {label} by ASReview, ours {labels[row]}")
    names = ("classifier", "querier", "balancer", "feature_extractor")
    model = dict(zip(names, actions[2][2:], strict=True))
    return rows[2:], model


def _words(*parts: str | None) -> list[str]:
    # Whitespace only: ASReview and csv.DictReader may trim fields differently.
    return " ".join(p for p in parts if p).split()


def full_order(result: dict, labels: Sequence[int]) -> list[int]:
    """ASReview's order followed by the records it never read (all irrelevant: it stops once
    the last relevant one is found) in row order, priors left out."""
    seen = set(result["screened"]) | set(result["priors"])
    rest = [i for i in range(len(labels)) if i not in seen]
    if any(labels[i] for i in rest):
        raise RuntimeError("ASReview stopped before it found every relevant record")
    return result["screened"] + rest


# --- Filling the cache on its own ----------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="directory of labelled CSV datasets")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-5"))
    parser.add_argument("--datasets", type=lambda s: s.split(","), help="e.g. nudging,virus")
    options = parser.parse_args(argv)
    version = installed_version()
    for path in dataset_paths(options.directory, options.datasets):
        dataset = read_labelled_csv(path)
        for seed in options.seeds:
            result = cached_run(path, dataset, seed, version=version)
            screened = len(result["screened"])
            log(f"{path.stem} seed {seed}: {result['seconds']} s, {screened} records screened")
    return 0


if __name__ == "__main__":
    sys.exit(main())
