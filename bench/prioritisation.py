"""Screening prioritisation: the work our chooser saves on real labelled reviews, with and
without a sentence-embedding model, next to today's model (TF-IDF alone), ASReview's and a
random order; and how long a retrain takes.

    python bench/prioritisation.py DATASETS_DIR [--seeds 1-5] [--datasets nudging,virus]
                                   [--embedding-model DIR] [--jobs 2] [--every N]
                                   [--no-asreview] [--cold-start] [--no-timing]
                                   [--json out.json] [--markdown]

Every `*.csv` of DATASETS_DIR (the labelled reviews, e.g. ../shared/datasets) but
Nagtegaal_2019.csv (the review of nudging.csv again) is replayed once per seed. The seed picks
the prior knowledge, one relevant and one irrelevant record (`priors_for`), and the same priors
start every order:

- ours: `screening.prioritisation.simulate.simulate` with the chooser (the app's default),
  retraining as the app does, over the rankers a deployment without an embedding model has
  (TF-IDF, TF-IDF with LSA);
- ours + embeddings (with `--embedding-model DIR`, a static model as `make embedding-model`
  makes one): the same with the embedding ranker too, each dataset embedded once;
- today: the TF-IDF ranker alone (the model before the chooser, ASReview's default model);
- ASReview LAB 3.x with its default model, run by bench/asreview_runner.py in a virtual
  environment of its own and cached in bench/.cache/ (`--no-asreview`: cached figures only);
- a random order (`random_order`).

The replays run in `--jobs` processes. Each order, priors left out, is measured with
`screening.prioritisation.metrics.summary`: WSS@95 and TNR@95 (work saved, irrelevant records
never read, at 95% recall), recall after reading 10%, ATD (average time to discovery, % of
the records), and the records read to find 95% and 100% of the relevant ones. Printed per
dataset as "median (min-max)" over the seeds, then ours minus ASReview in median WSS@95 and
recall@10%, and the summary over the datasets against the issue's target and floor.

Then the time of a retrain + re-rank as the app does it (every ranker's scores, the chooser's
queue; 500 labelled records of both classes, median of 5) at 2,000 and 25,000 records, and of
fitting the features (TF-IDF and its LSA, once per import of a review), on the records of all
the datasets shuffled together and repeated to 25,000. `--cold-start` replays today's model
again with `config.MIN_INCLUDES` set to 1, 2 and 5 and prints WSS@95.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench import asreview_runner  # noqa: E402 - after the path is set
from bench.asreview_runner import dataset_paths, log, parse_seeds  # noqa: E402
from bench.prioritisation_report import (  # noqa: E402
    COLD_START,
    COLUMNS,
    METHODS,
    TIMING_REPEATS,
    report,
)
from screening.prioritisation import (  # noqa: E402
    chooser,
    config,
    embedding_model,
    estimate,
    metrics,
    model,
    rankers,
)
from screening.prioritisation.simulate import (  # noqa: E402
    AUTO,
    Dataset,
    priors_for,
    random_order,
    read_labelled_csv,
    simulate,
)

REPLAYED = ("ours", "ours_embedding", "today")  # by simulate, in the worker processes
TIMING_CASES = ((2_000, 500), (25_000, 500), (25_000, 5_000))


# --- The orders ------------------------------------------------------------------------------


def replay(task: tuple) -> tuple:
    """One dataset, seed and method replayed by `simulate` (in a worker process)."""
    path, seed, method, every, model_folder, min_includes = task
    dataset = read_labelled_csv(path)
    priors = priors_for(dataset.labels, seed)
    embedding = None
    if method == "ours_embedding":
        embedding = embedding_model.encode(Path(model_folder), dataset.texts)
    kwargs = {} if every is None else {"every": every}
    saved = config.MIN_INCLUDES
    if min_includes is not None:
        config.MIN_INCLUDES = min_includes  # can_train reads it at call time
    try:
        started = time.perf_counter()
        simulation = simulate(
            dataset,
            priors,
            seed=seed,
            ranker=rankers.TFIDF if method == "today" else AUTO,
            embedding=embedding,
            **kwargs,
        )
    finally:
        config.MIN_INCLUDES = saved
    summary = simulation.summary()
    retrains = summary.pop("rankers")
    summary["picks"] = {
        name: sum(r["picks"].get(name, 0) for r in retrains) for name in rankers.RANKERS
    }
    summary["led"] = {name: sum(r["ranker"] == name for r in retrains) for name in rankers.RANKERS}
    summary["seconds"] = round(_since(started), 1)
    return path.stem, seed, method, min_includes, summary


def run_all(paths: list[Path], options, asreview_version: str | None) -> list[dict]:
    """Every dataset and seed: the replays in `--jobs` processes, then ASReview's cached
    orders and the random ones here."""
    methods = ["ours", "today"] + (["ours_embedding"] if options.embedding_model else [])
    tasks = [
        (path, seed, method, options.every, options.embedding_model, None)
        for path in paths
        for seed in options.seeds
        for method in methods
    ]
    if options.cold_start:
        tasks += [
            (path, seed, "today", options.every, None, k)
            for path in paths
            for seed in options.seeds
            for k in COLD_START
        ]
    done: dict[tuple, dict] = {}
    with ProcessPoolExecutor(max_workers=options.jobs) as pool:
        for name, seed, method, cold, summary in pool.map(replay, tasks):
            done[(name, seed, method, cold)] = summary
            log(f"{name} seed {seed}: {method}{f' MIN_INCLUDES {cold}' if cold else ''} "
                f"WSS@95 {summary['wss_95']:.1f} ({summary['seconds']:.0f} s)")  # fmt: skip
    return [_dataset(path, options, asreview_version, done) for path in paths]


def _dataset(path: Path, options, asreview_version: str | None, done: dict) -> dict:
    dataset = read_labelled_csv(path)
    runs = []
    for seed in options.seeds:
        priors = priors_for(dataset.labels, seed)
        run = {"seed": seed, "priors": list(priors)}
        for method in REPLAYED:
            run[method] = done.get((path.stem, seed, method, None))
        run["random"] = measure(dataset.labels, random_order(dataset.labels, priors, seed))
        run["asreview"] = asreview(path, dataset, seed, options, asreview_version)
        if options.cold_start:
            run["cold_start"] = {k: done[(path.stem, seed, "today", k)] for k in COLD_START}
        runs.append(run)
    return {
        "name": path.stem,
        "sha256": asreview_runner.sha256(path),
        "records": len(dataset.labels),
        "relevant": sum(dataset.labels),
        "runs": runs,
        "figures": {m: aggregate([r[m] for r in runs if r[m]]) for m in METHODS},
        "cold_start": _cold_start(runs) if options.cold_start else None,
    }


def _cold_start(runs: list[dict]) -> dict:
    return {str(k): aggregate([r["cold_start"][k] for r in runs]) for k in COLD_START}


def asreview(path: Path, dataset: Dataset, seed: int, options, version: str | None) -> dict | None:
    result = asreview_runner.cached_run(
        path, dataset, seed, version=version, run=not options.no_asreview
    )
    if result is None:
        return None
    order = asreview_runner.full_order(result, dataset.labels)
    return {
        **measure(dataset.labels, order),
        "seconds": result["seconds"],
        "asreview": result["asreview"],
    }


def measure(labels: Sequence[int], order: Sequence[int]) -> dict:
    return metrics.summary([labels[i] for i in order])


def aggregate(summaries: list[dict]) -> dict | None:
    """Median, min and max over the seeds of each metric."""
    if not summaries:
        return None
    return {
        key: {
            "median": statistics.median(s[key] for s in summaries),
            "min": min(s[key] for s in summaries),
            "max": max(s[key] for s in summaries),
        }
        for key, _, _ in COLUMNS
    }


# --- Retrain time ----------------------------------------------------------------------------


def timing(datasets: list[Dataset], model_folder: str | None) -> dict:
    """Features fit and retrain + re-rank time at TIMING_CASES records made of the real ones,
    the retrain as the app's: every ranker fitted and scoring, the shared queue, and the
    out-of-fold scores the estimate of relevant records left is calibrated on."""
    texts = [t for d in datasets for t in d.texts]
    labels = [x for d in datasets for x in d.labels]
    mixed = list(range(len(texts)))
    random.Random("timing").shuffle(mixed)  # so that 2,000 records are not one review's
    rows = [mixed[i % len(mixed)] for i in range(max(size for size, _ in TIMING_CASES))]
    result, fitted = {}, {}
    for size, labelled_count in TIMING_CASES:
        log(f"... timing at {size:,} records, {labelled_count:,} labelled")
        size_texts = [texts[i] for i in rows[:size]]
        size_labels = [labels[i] for i in rows[:size]]
        if size not in fitted:  # once per size: the features do not depend on the labels
            fitted[size] = _fit_features(size_texts, model_folder)
        features, fit_seconds, lsa_seconds, embed_seconds = fitted[size]
        matrix = features.tfidf
        labelled = _labelled_rows(size_labels, labelled_count)
        known = [size_labels[i] for i in labelled]
        chosen = set(labelled)
        candidates = [i for i in range(size) if i not in chosen]
        times, estimates = [], []
        for repeat in range(TIMING_REPEATS):
            started = time.perf_counter()
            queue, scores = chooser.ranked_queue(
                features,
                labelled,
                known,
                candidates,
                chooser.Record(),
                np.random.default_rng(repeat),
                screened=len(labelled),
            )
            times.append(_since(started))
            started = time.perf_counter()
            oof = rankers.out_of_fold(features, queue.leader, labelled, known)
            estimate.estimate_from_scores(oof, known, scores[queue.leader], found=sum(known))
            estimates.append(_since(started))
        result[f"{size}/{labelled_count}"] = {
            "records": size,
            "features": matrix.shape[1],
            "rankers": list(features.rankers),
            "features_seconds": round(fit_seconds, 2),
            "lsa_seconds": round(lsa_seconds, 2),
            "embedding_seconds": embed_seconds,
            "labelled": len(labelled),
            "retrain_rank_ms": round(1000 * statistics.median(times), 1),
            "retrain_rank_ms_max": round(1000 * max(times), 1),
            "estimate_ms": round(1000 * statistics.median(estimates), 1),
        }
    return result


def _fit_features(texts: list[str], model_folder: str | None) -> tuple:
    """The features of a review of these texts, and the seconds each part took."""
    started = time.perf_counter()
    matrix = model.features(texts)
    fit_seconds = _since(started)
    started = time.perf_counter()
    lsa = rankers.lsa_of(matrix)
    lsa_seconds = _since(started)
    embedding, embed_seconds = None, None
    if model_folder:
        started = time.perf_counter()
        embedding = embedding_model.encode(Path(model_folder), texts)
        embed_seconds = round(_since(started), 2)
    features = rankers.Features(matrix, lsa=lsa, embedding=embedding)
    return features, fit_seconds, lsa_seconds, embed_seconds


def _labelled_rows(labels: list[int], count: int) -> list[int]:
    """`count` rows picked at random, holding both classes (a review after 500 decisions)."""
    rows = random.Random("labelled").sample(range(len(labels)), count)
    for wanted in (0, 1):
        if not any(labels[i] == wanted for i in rows):
            rows[-1 - wanted] = labels.index(wanted)
    return rows


def _since(started: float) -> float:
    return time.perf_counter() - started


# --- The run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="directory of labelled CSV datasets")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-5"), help="1-5")
    parser.add_argument("--datasets", type=lambda s: s.split(","), help="e.g. nudging,virus")
    parser.add_argument("--every", type=int, help="retrain after N records (ours)")
    parser.add_argument(
        "--embedding-model", metavar="DIR", help="a static embedding model: adds ours + embeddings"
    )
    parser.add_argument("--jobs", type=int, default=2, help="replays in parallel (2)")
    parser.add_argument("--no-asreview", action="store_true", help="cached ASReview only")
    parser.add_argument("--cold-start", action="store_true", help="MIN_INCLUDES 1, 2, 5")
    parser.add_argument("--no-timing", action="store_true", help="skip the retrain timing")
    parser.add_argument("--timing-only", action="store_true", help="only the retrain timing")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write all figures to FILE")
    parser.add_argument("--markdown", action="store_true", help="docs/performance.md tables")
    options = parser.parse_args(argv)
    if not options.directory.is_dir():
        print(f"error: {options.directory} is not a directory", file=sys.stderr)
        return 2
    paths = dataset_paths(options.directory, options.datasets)
    if not paths:
        print(f"error: no labelled CSV in {options.directory}", file=sys.stderr)
        return 2

    if options.timing_only:
        everything = [read_labelled_csv(p) for p in dataset_paths(options.directory)]
        timed = {"timing": timing(everything, options.embedding_model)}
        print(report({"datasets": [], "timing": timed["timing"], "config": None}, True))
        return 0
    version = None if options.no_asreview else asreview_runner.installed_version()
    every = options.every or inspect.signature(simulate).parameters["every"].default
    result = {
        "config": {
            "seeds": options.seeds,
            "every": every,
            "min_includes": config.MIN_INCLUDES,
            "model": config.DEFAULT.__dict__,
            "asreview": version,
            "embedding_model": options.embedding_model,
        },
        "datasets": run_all(paths, options, version),
        "timing": None,
    }
    if version is None:  # --no-asreview: say which version the cached figures came from
        runs = [r for d in result["datasets"] for r in d["runs"] if r["asreview"]]
        result["config"]["asreview_cached"] = sorted({r["asreview"]["asreview"] for r in runs})
    if not options.no_timing:
        # All the datasets, even under --datasets: the sizes, not the reviews, matter here.
        everything = dataset_paths(options.directory)
        result["timing"] = timing(
            [read_labelled_csv(p) for p in everything], options.embedding_model
        )
    if options.json:
        options.json.write_text(json.dumps(result, indent=1))
    print(report(result, options.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
