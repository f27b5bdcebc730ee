"""Precision and recall of duplicate detection on datasets that label their known duplicates.

    python bench/dedup.py --datasets DIR [--thresholds 80 85 90 95] [--neighbours 1 2 4 8 16]

Reads every CSV in DIR that has a `duplicate_record_id` column (Kitchenham_2010.csv and
Nagtegaal_2019.csv among the labelled screening datasets): a row whose duplicate_record_id is
set duplicates the record of that id. Each row becomes what the import would make of it (the
title key, the year if the table has one, the first author if it has authors), then:

- the exact rules of references.duplicates (PMID, DOI, title + year + first author) are applied
  in file order, as an import would;
- references.duplicates.near_pairs proposes near pairs, with the constants as they stand in
  references/duplicates.py and then over a grid of NEAR_THRESHOLD x NEIGHBOURS (set on the module
  for the run only; the file is not changed).

A labelled pair counts as found when the two records are joined by an exact rule or proposed as
a pair. The labels are the duplicates the dataset's authors marked; a proposed pair outside them
may still be a real duplicate, so the pairs outside the labels are listed for a person to judge.
Plain Python: no database, no Django.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from rapidfuzz import fuzz  # noqa: E402

from references import duplicates as dup  # noqa: E402 - after the path is set

DEFAULT_THRESHOLDS = [80, 85, 88, 90, 92, 95]
DEFAULT_NEIGHBOURS = [1, 2, 4, 8, 16]


@dataclass
class Dataset:
    name: str
    items: list[dup.NearItem]
    keys: dict[int, dup.Keys]
    titles: dict[int, str]
    labelled: set[tuple[int, int]]
    has_year: bool
    has_authors: bool


@dataclass
class Outcome:
    threshold: float
    neighbours: int
    proposed: set[tuple[int, int]] = field(default_factory=set)
    scores: dict[tuple[int, int], float] = field(default_factory=dict)
    seconds: float = 0.0


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def load(path: Path) -> Dataset | None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = {c.strip().lower(): c for c in reader.fieldnames or []}
        if "duplicate_record_id" not in columns:
            return None
        rows = list(reader)
    id_column = columns.get("record_id") or columns.get("id")
    year_column = columns.get("year")
    authors_column = columns.get("authors") or columns.get("author")
    items, keys, titles = [], {}, {}
    links: list[tuple[int, int]] = []
    for number, row in enumerate(rows, 1):
        record_id = _int(row.get(id_column, "")) if id_column else number
        if record_id is None:
            record_id = number
        title = row.get(columns.get("title", ""), "") or ""
        year = _int(row.get(year_column, "")) if year_column else None
        authors = (
            [a.strip() for a in row.get(authors_column, "").split(";") if a.strip()]
            if authors_column
            else []
        )
        key = dup.Keys(
            pmid=(row.get(columns.get("pmid", ""), "") or "").strip(),
            doi=(row.get(columns.get("doi", ""), "") or "").strip().lower(),
            title=dup.title_key(title),
            year=year,
            first_author=dup.first_author_key(authors),
        )
        keys[record_id] = key
        titles[record_id] = title
        items.append(
            dup.NearItem(record_id, key.title, key.year, key.first_author, key.pmid, key.doi)
        )
        other = _int(row.get(columns["duplicate_record_id"], ""))
        if other is not None and other != record_id:
            links.append((record_id, other))
    return Dataset(
        name=path.stem,
        items=items,
        keys=keys,
        titles=titles,
        labelled=_closure(links),
        has_year=bool(year_column),
        has_authors=bool(authors_column),
    )


def _closure(links: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every pair within each group of records that the links join (a chain a->b->c gives 3)."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for x in list(parent):
        groups.setdefault(root(x), []).append(x)
    return {
        _pair(a, b)
        for members in groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    }


def exact_pairs(data: Dataset) -> set[tuple[int, int]]:
    """Pairs that the exact rules join, applying them in file order as an import does."""
    index = dup.ExactIndex()
    pairs = set()
    for record_id, keys in data.keys.items():
        match = index.find(keys)
        if match:
            pairs.add(_pair(match[0], record_id))
        else:
            index.add(record_id, keys)
    return pairs


def run_near(data: Dataset, threshold: float, neighbours: int) -> Outcome:
    saved = dup.NEAR_THRESHOLD, dup.NEIGHBOURS
    dup.NEAR_THRESHOLD, dup.NEIGHBOURS = float(threshold), int(neighbours)
    try:
        started = time.perf_counter()
        pairs = list(dup.near_pairs(data.items))
        seconds = time.perf_counter() - started
    finally:
        dup.NEAR_THRESHOLD, dup.NEIGHBOURS = saved
    outcome = Outcome(threshold, neighbours, seconds=seconds)
    for pair in pairs:
        key = _pair(pair.a, pair.b)
        outcome.proposed.add(key)
        outcome.scores[key] = pair.score
    return outcome


def scores(labelled: set, exact: set, proposed: set) -> dict:
    found = exact | proposed
    tp = len(found & labelled)
    return {
        "labelled": len(labelled),
        "exact": len(exact),
        "near": len(proposed),
        "true_positives": tp,
        "precision": tp / len(found) if found else None,
        "recall": tp / len(labelled) if labelled else None,
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets", type=Path, required=True, help="directory of labelled CSV datasets"
    )
    parser.add_argument("--thresholds", type=float, nargs="+", default=DEFAULT_THRESHOLDS)
    parser.add_argument("--neighbours", type=int, nargs="+", default=DEFAULT_NEIGHBOURS)
    parser.add_argument(
        "--show", type=int, default=15, help="pairs outside the labels to list (default 15)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    options = parser.parse_args(argv)

    if not options.datasets.is_dir():
        print(f"error: {options.datasets} is not a directory", file=sys.stderr)
        return 2
    datasets = [d for p in sorted(options.datasets.glob("*.csv")) if (d := load(p))]
    if not datasets:
        print(
            f"error: no CSV with a duplicate_record_id column in {options.datasets}",
            file=sys.stderr,
        )
        return 2

    report: dict = {
        "constants": {
            "NEAR_THRESHOLD": dup.NEAR_THRESHOLD,
            "NEIGHBOURS": dup.NEIGHBOURS,
            "MIN_TITLE_LENGTH": dup.MIN_TITLE_LENGTH,
        },
        "datasets": [],
    }
    for data in datasets:
        exact = exact_pairs(data)
        current = run_near(data, dup.NEAR_THRESHOLD, dup.NEIGHBOURS)
        grid = [run_near(data, t, k) for t in options.thresholds for k in options.neighbours]
        missed = sorted(data.labelled - exact - current.proposed)
        by_id = {item.id: item for item in data.items}
        labelled_scores = sorted(
            fuzz.ratio(by_id[a].title, by_id[b].title) for a, b in data.labelled
        )
        outside = sorted(current.proposed - data.labelled, key=lambda p: (-current.scores[p], p))
        report["datasets"].append(
            {
                "name": data.name,
                "records": len(data.items),
                "has_year": data.has_year,
                "has_authors": data.has_authors,
                "current": {
                    **scores(data.labelled, exact, current.proposed),
                    "seconds": current.seconds,
                },
                "labelled_scores": labelled_scores,
                "grid": [
                    {
                        "threshold": o.threshold,
                        "neighbours": o.neighbours,
                        **scores(data.labelled, exact, o.proposed),
                        "seconds": o.seconds,
                    }
                    for o in grid
                ],
                "missed": [
                    {"pair": list(p), "titles": [data.titles[p[0]], data.titles[p[1]]]}
                    for p in missed
                ],
                "outside_labels": [
                    {
                        "pair": list(p),
                        "score": current.scores[p],
                        "titles": [data.titles[p[0]], data.titles[p[1]]],
                    }
                    for p in outside
                ],
            }
        )

    if options.json:
        print(json.dumps(report, indent=2))
    else:
        print(markdown(report, options))
    return 0


def markdown(report: dict, options) -> str:
    c = report["constants"]
    out = [
        f"Constants now: NEAR_THRESHOLD = {c['NEAR_THRESHOLD']:g}, NEIGHBOURS = {c['NEIGHBOURS']}, "
        f"MIN_TITLE_LENGTH = {c['MIN_TITLE_LENGTH']}.",
        "",
        "| dataset | records | year | authors | labelled pairs | exact rules | near_pairs "
        "proposed | true positives | precision | recall | lowest labelled score | seconds |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in report["datasets"]:
        s = d["current"]
        out.append(
            f"| {d['name']} | {d['records']:,} | {'yes' if d['has_year'] else 'no'} | "
            f"{'yes' if d['has_authors'] else 'no'} | {s['labelled']} | {s['exact']} | "
            f"{s['near']} | "
            f"{s['true_positives']} | {_pct(s['precision'])} | {_pct(s['recall'])} | "
            f"{min(d['labelled_scores'], default=0):.1f} | {s['seconds']:.3f} |"
        )
    out += [
        "",
        "Over a grid (cells: precision / recall against the labels, and pairs proposed):",
        "",
    ]
    names = [d["name"] for d in report["datasets"]]
    out.append("| NEAR_THRESHOLD | NEIGHBOURS | " + " | ".join(names) + " |")
    out.append("| ---: | ---: | " + " | ".join("---" for _ in names) + " |")
    for i, cell in enumerate(report["datasets"][0]["grid"]):
        cells = []
        for d in report["datasets"]:
            g = d["grid"][i]
            cells.append(f"{_pct(g['precision'])} / {_pct(g['recall'])} ({g['near']})")
        out.append(f"| {cell['threshold']:g} | {cell['neighbours']} | " + " | ".join(cells) + " |")
    for d in report["datasets"]:
        if d["missed"]:
            out += ["", f"{d['name']}: labelled pairs not found with the current constants:", ""]
            for m in d["missed"]:
                out.append(f"- {m['pair']}: “{m['titles'][0]}” / “{m['titles'][1]}”")
        if d["outside_labels"]:
            shown = d["outside_labels"][: options.show]
            out += [
                "",
                f"{d['name']}: pairs proposed outside the labels with the current constants "
                f"({len(d['outside_labels'])}; {len(shown)} shown, a person judges them):",
                "",
            ]
            for p in shown:
                out.append(
                    f"- {p['pair']} score {p['score']:g}: “{p['titles'][0]}” / “{p['titles'][1]}”"
                )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
