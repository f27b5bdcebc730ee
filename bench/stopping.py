"""How often each stopping criterion would have stopped screening before 95% recall, on the
labelled reviews.

    python bench/stopping.py DATASETS_DIR [--seeds 1-5] [--datasets nudging,virus]
                             [--replicates 200] [--jobs 2] [--json out.json] [--markdown]

Every `*.csv` of DATASETS_DIR but Nagtegaal_2019.csv (nudging's review again) is screened
once per seed in the order the app's default gives (`simulate`: the chooser over the TF-IDF and
LSA rankers, from the seed's two priors; cached in bench/.cache/ by dataset, seed and the
prioritisation code's digest). Along that order, each criterion says when it would stop; a stop
is early when the relevant records found by then (priors and any sample included) are fewer
than 95% of the review's:

- **the test** (screening/stopping/rule.py), as a team would use the app: draw the suggested
  sample (the smallest that allows stopping if it holds no relevant record) from the
  unscreened records at random, screen it all, and stop if the hypergeometric test allows it
  (target 95%, confidence 95%); if not, the sample stays screened and screening goes on in
  model order until the next draw. The draws come each time the records screened pass another
  5% of the review ("test, every 5% of the records": many tests, drawn early), or once 50
  irrelevant records in a row have been screened in model order ("test, after 50 irrelevant
  in a row": when the curve has flattened, as the review home suggests). Its guarantee is
  about the random draws, so each order is replayed with `--replicates` independent draws;
- **the estimate** (screening/prioritisation/estimate.py): at every 2.5% of the records (once
  two relevant and two irrelevant records are screened), the TF-IDF ranker is fitted on the
  records screened so far and scores the rest; its out-of-fold scores (rankers.out_of_fold:
  three stratified folds, shuffled with a fixed seed, each scored by the ranker fitted on the
  other two) fit the Platt map that turns those scores into probabilities, and their Poisson
  binomial gives the interval. Screening stops once the lower end of the 95% interval of
  recall reaches 95% ("estimate, lower bound"), or once the estimate itself does ("estimate,
  point"). The app's estimate uses the chooser's leading ranker, which can change along the
  order; here it is TF-IDF throughout, the ranker the chooser starts from;
- **heuristics** for comparison: stop after 50 or 100 irrelevant records in a row, or after 5%
  of the review's records in a row.

Per criterion: the runs, how many stopped early, that rate with its 95% Clopper-Pearson
interval, and the median recall and share of records screened at the stop (a criterion that
never fires stops at the end, recall 100%).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from bench.asreview_runner import dataset_paths, log, parse_seeds, sha256  # noqa: E402
from screening.prioritisation import estimate, model, rankers  # noqa: E402
from screening.prioritisation.simulate import (  # noqa: E402
    priors_for,
    read_labelled_csv,
    simulate,
)
from screening.stopping.rule import hypergeometric_test, sample_size_needed  # noqa: E402

TARGET = 0.95
CONFIDENCE = 0.95
TEST_EVERY = 0.05  # of the records: when the team draws a sample
TEST_AFTER_RUN = 50  # ... or after so many irrelevant records in a row
TESTS = {  # the test's name in the tables: when its samples are drawn
    "test, every 5% of the records": None,
    f"test, after {TEST_AFTER_RUN} irrelevant in a row": TEST_AFTER_RUN,
}
ESTIMATE_EVERY = 0.025
RUNS = (50, 100)  # irrelevant records in a row
RUN_SHARE = 0.05  # ... or this share of the review's records in a row
CACHE = REPO / "bench" / ".cache"
CODE = ("chooser.py", "rankers.py", "model.py", "config.py", "simulate.py")


# --- The orders ------------------------------------------------------------------------------


def code_digest() -> str:
    """The prioritisation code that made an order: a cached order of older code is stale."""
    digest = hashlib.sha256()
    for name in CODE:
        digest.update((REPO / "screening" / "prioritisation" / name).read_bytes())
    return digest.hexdigest()[:12]


def order_of(task: tuple) -> tuple:
    """One dataset and seed: the priors and the app's order after them (a worker process)."""
    path, seed = task
    dataset = read_labelled_csv(path)
    priors = priors_for(dataset.labels, seed)
    return path.stem, seed, list(priors), simulate(dataset, priors, seed=seed).order


def orders(paths: list[Path], seeds: list[int], jobs: int) -> dict:
    """The cached orders, computing the missing ones."""
    file = CACHE / f"stopping-orders-{code_digest()}.json"
    cached = json.loads(file.read_text()) if file.exists() else {}
    keys = {(p, s): f"{sha256(p)}:{s}" for p in paths for s in seeds}
    missing = [task for task, key in keys.items() if key not in cached]
    if missing:
        CACHE.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for name, seed, priors, order in pool.map(order_of, missing):
                log(f"... order of {name}, seed {seed}")
                cached[keys[(next(p for p in paths if p.stem == name), seed)]] = {
                    "priors": priors,
                    "order": order,
                }
                # Written after each order: an order costs a minute, a run that is stopped
                # keeps the ones it made.
                file.write_text(json.dumps(cached))
    return {task: cached[key] for task, key in keys.items()}


# --- The criteria ----------------------------------------------------------------------------


def sampled_test_stop(
    labels: list[int], priors: list[int], order: list[int], rng, *, after_run: int | None = None
) -> tuple[int, int]:
    """The team's use of the test along `order`: (relevant found, records screened) at the
    stop. The samples are drawn with `rng` from the records not yet screened.

    When the team draws a sample: each time the records screened pass another 5% of the
    review, or, with `after_run`, once that many irrelevant records in a row have been
    screened in model order (the curve has flattened). After a sample that does not allow
    stopping, screening goes on in model order until the next such moment: a team that has
    just found relevant records in its sample does not draw another at once."""
    total = len(labels)
    screened = set(priors)
    found = sum(labels[i] for i in priors)
    step = max(1, round(TEST_EVERY * total))
    next_check = step
    run = 0
    for record in order:
        if record in screened:  # drawn in an earlier sample
            continue
        screened.add(record)
        found += labels[record]
        run = 0 if labels[record] else run + 1
        if (run < after_run) if after_run else (len(screened) < next_check):
            continue
        pool = [i for i in range(total) if i not in screened]
        if not pool:
            break
        size = sample_size_needed(
            found_before=found, pool_size=len(pool), target=TARGET, confidence=CONFIDENCE
        )
        sample = rng.sample(pool, size) if size else []
        in_sample = sum(labels[i] for i in sample)
        test = hypergeometric_test(
            found_before=found,
            pool_size=len(pool),
            sample_screened=len(sample),
            found_in_sample=in_sample,
            target=TARGET,
            confidence=CONFIDENCE,
        )
        screened.update(sample)
        found += in_sample
        if test.can_stop:
            break
        run = 0
        next_check = (len(screened) // step + 1) * step
    return found, len(screened)


def estimate_stops(
    dataset, priors: list[int], order: list[int], features
) -> dict[str, tuple[int, int]]:
    """Where the estimate would stop: (relevant found, records screened) for the lower bound
    of recall and for the point estimate reaching the target."""
    labels = dataset.labels
    total = len(labels)
    step = max(1, round(ESTIMATE_EVERY * total))
    stops: dict[str, tuple[int, int]] = {}
    for done in range(step, len(order) + 1, step):
        labelled = list(priors) + order[:done]
        known = [labels[i] for i in labelled]
        rest = order[done:]
        found = sum(known)
        if not rest:
            break
        if min(found, len(known) - found) < 2:
            continue
        oof = rankers.out_of_fold(features, rankers.TFIDF, labelled, known)
        scores = rankers.scores(features, rankers.TFIDF, labelled, known, rest)
        result = estimate.estimate_from_scores(oof, known, scores, found=found)
        if result is None:
            continue
        if "estimate, point" not in stops and result.recall >= TARGET:
            stops["estimate, point"] = (found, len(labelled))
        if result.recall_low >= TARGET:
            stops["estimate, lower bound"] = (found, len(labelled))
            break
    everything = (sum(labels), total)
    return {
        name: stops.get(name, everything) for name in ("estimate, lower bound", "estimate, point")
    }


def run_stops(labels: list[int], priors: list[int], order: list[int]) -> dict:
    """The heuristics: stop after so many irrelevant records in a row."""
    total = len(labels)
    found = sum(labels[i] for i in priors)
    result = {}
    limits = {f"{n} irrelevant in a row": n for n in RUNS}
    limits[f"{RUN_SHARE:.0%} of the records irrelevant in a row"] = round(RUN_SHARE * total)
    streak = 0
    for position, record in enumerate(order, start=1):
        found += labels[record]
        streak = 0 if labels[record] else streak + 1
        for name, limit in limits.items():
            if name not in result and streak >= limit:
                result[name] = (found, len(priors) + position)
    return {name: result.get(name, (sum(labels), total)) for name in limits}


def criteria_of(task: tuple) -> tuple:
    """Every criterion on one order (a worker process)."""
    path, seed, priors, order, replicates = task
    dataset = read_labelled_csv(path)
    labels = dataset.labels
    tfidf = model.features(dataset.texts)
    stops: dict[str, list] = {}
    for name, after_run in TESTS.items():
        stops[name] = [
            sampled_test_stop(
                labels,
                priors,
                order,
                random.Random(f"stopping:{name}:{path.stem}:{seed}:{replicate}"),
                after_run=after_run,
            )
            for replicate in range(replicates)
        ]
    for name, stop in estimate_stops(dataset, priors, order, rankers.Features(tfidf)).items():
        stops[name] = [stop]
    for name, stop in run_stops(labels, priors, order).items():
        stops[name] = [stop]
    return path.stem, seed, sum(labels), len(labels), stops


# --- Summaries -------------------------------------------------------------------------------


def clopper_pearson(hits: int, runs: int, level: float = 0.95) -> tuple[float, float]:
    from scipy.stats import beta

    tail = (1 - level) / 2
    low = 0.0 if hits == 0 else float(beta.ppf(tail, hits, runs - hits + 1))
    high = 1.0 if hits == runs else float(beta.ppf(1 - tail, hits + 1, runs - hits))
    return low, high


def summarise(rows: list[tuple]) -> dict:
    """Per criterion: runs, early stops, their rate and interval, median recall and share."""
    result: dict[str, dict] = {}
    for _, _, relevant, total, stops in rows:
        for name, found_screened in stops.items():
            entry = result.setdefault(name, {"recalls": [], "shares": []})
            for found, screened in found_screened:
                entry["recalls"].append(found / relevant)
                entry["shares"].append(screened / total)
    for entry in result.values():
        runs = len(entry["recalls"])
        early = sum(recall < TARGET - 1e-12 for recall in entry["recalls"])
        low, high = clopper_pearson(early, runs)
        entry.update(
            runs=runs,
            early=early,
            rate=early / runs,
            rate_low=low,
            rate_high=high,
            median_recall=statistics.median(entry["recalls"]),
            median_share=statistics.median(entry["shares"]),
        )
        del entry["recalls"], entry["shares"]
    return result


def table(title: str, summary: dict) -> str:
    lines = [
        title,
        "",
        "| criterion | runs | stopped before 95% recall | rate (95% CI) | median recall at stop "
        "| median screened at stop |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, e in summary.items():
        lines.append(
            f"| {name} | {e['runs']:,} | {e['early']:,} | {e['rate']:.1%} "
            f"({e['rate_low']:.1%}–{e['rate_high']:.1%}) | {e['median_recall']:.1%} "
            f"| {e['median_share']:.1%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-5"))
    parser.add_argument("--datasets", type=lambda s: s.split(","))
    parser.add_argument("--replicates", type=int, default=200, help="draws per order (test)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, metavar="FILE")
    parser.add_argument("--markdown", action="store_true", help="(tables are markdown)")
    options = parser.parse_args(argv)
    paths = dataset_paths(options.directory, options.datasets)
    if not paths:
        print(f"error: no labelled CSV in {options.directory}", file=sys.stderr)
        return 2
    found = orders(paths, options.seeds, options.jobs)
    tasks = [
        (path, seed, entry["priors"], entry["order"], options.replicates)
        for (path, seed), entry in found.items()
    ]
    with ProcessPoolExecutor(max_workers=options.jobs) as pool:
        rows = list(pool.map(criteria_of, tasks))
    out = [
        f"Seeds {','.join(map(str, options.seeds))}; target recall {TARGET:.0%}; the test at "
        f"{CONFIDENCE:.0%} confidence with {options.replicates} random draws per order.",
        "",
        table("All datasets", summarise(rows)),
    ]
    per_dataset = {}
    for path in paths:
        summary = summarise([r for r in rows if r[0] == path.stem])
        per_dataset[path.stem] = summary
        out += ["", table(path.stem, summary)]
    if options.json:
        options.json.write_text(json.dumps({"all": summarise(rows), "datasets": per_dataset}))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
