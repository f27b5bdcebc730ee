"""The tables bench/prioritisation.py prints: per dataset, over the datasets against the
issue's target and floor, the cold start and the retrain timings."""

from __future__ import annotations

import statistics

METHODS = ("ours", "ours_embedding", "today", "asreview", "random")
METHOD_NAMES = {
    "ours": "ours",
    "ours_embedding": "ours + embeddings",
    "today": "today (TF-IDF alone)",
    "asreview": "ASReview",
    "random": "random",
}
# (key of metrics.summary, column heading, decimals)
COLUMNS = [
    ("wss_95", "WSS@95", 1),
    ("tnr_95", "TNR@95", 1),
    ("recall_10", "recall@10%", 1),
    ("atd", "ATD", 1),
    ("n_95", "n@95", 0),
    ("n_100", "n@100", 0),
]
COLD_START = (1, 2, 5)
TIMING_REPEATS = 5


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    """A markdown table, or plain columns for the terminal; the first column left-aligned."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append("| --- | " + " | ".join("---:" for _ in headers[1:]) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        pairs = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in pairs]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def spread(figure: dict, decimals: int) -> str:
    """ "median (min–max)" """
    m, low, high = figure["median"], figure["min"], figure["max"]
    return f"{m:.{decimals}f} ({low:.{decimals}f}–{high:.{decimals}f})"


def report(result: dict, markdown: bool) -> str:
    out = [_heading(result), ""] if result["config"] else []
    for d in result["datasets"]:
        out += [f"{d['name']} ({d['records']:,} records, {d['relevant']} relevant)", ""]
        rows = [
            [METHOD_NAMES[m]] + [spread(d["figures"][m][k], n) for k, _, n in COLUMNS]
            for m in METHODS
            if d["figures"][m]
        ]
        out += [table(["order", *(h for _, h, _ in COLUMNS)], rows, markdown), ""]
        out += [_difference(d), ""]
    if any(d["cold_start"] for d in result["datasets"]):
        out += ["WSS@95 of today's model by MIN_INCLUDES (cold start), median (min–max):", ""]
        rows = [
            [d["name"]] + [spread(d["cold_start"][str(k)]["wss_95"], 1) for k in COLD_START]
            for d in result["datasets"]
        ]
        out += [table(["dataset", *(f"MIN_INCLUDES {k}" for k in COLD_START)], rows, markdown)]
        out.append("")
    if result["datasets"]:
        out += [summary(result["datasets"], markdown), ""]
    if result["timing"]:
        out += [
            f"Retrain + re-rank as the app does it (every ranker fitted and scoring, the "
            f"shared queue; median of {TIMING_REPEATS}), the estimate of relevant records "
            f"left (out-of-fold scores, calibration, interval: at every retrain below 1,000 "
            f"labelled, every 5th above), and the features fit once per import (TF-IDF, its "
            f"LSA, the embeddings):",
            "",
        ]
        rows = [
            [
                f"{t['records']:,}",
                f"{t['labelled']:,}",
                f"{t['features']:,}",
                ", ".join(t["rankers"]),
                f"{t['features_seconds']:.2f}",
                f"{t['lsa_seconds']:.2f}",
                "-" if t["embedding_seconds"] is None else f"{t['embedding_seconds']:.2f}",
                f"{t['retrain_rank_ms']:.1f}",
                f"{t['retrain_rank_ms_max']:.1f}",
                f"{t['estimate_ms']:.1f}",
            ]
            for t in result["timing"].values()
        ]
        headers = [
            "records",
            "labelled",
            "words",
            "rankers",
            "TF-IDF s",
            "LSA s",
            "embeddings s",
            "retrain+rank ms",
            "max ms",
            "estimate ms",
        ]
        out.append(table(headers, rows, markdown))
    return "\n".join(out).rstrip()


def summary(datasets: list[dict], markdown: bool) -> str:
    """The mean over the datasets of each order's median WSS@95 and recall@10%, and each of
    ours against ASReview: the issue's target (mean WSS@95 3 points above) and floor (no
    dataset more than 1 point below, recall@10% not lower on any)."""
    rows, verdicts = [], []
    theirs = [d["figures"]["asreview"] for d in datasets]
    for method in METHODS:
        figures = [d["figures"][method] for d in datasets]
        if not all(figures):
            continue
        wss = [f["wss_95"]["median"] for f in figures]
        recall = [f["recall_10"]["median"] for f in figures]
        rows.append([METHOD_NAMES[method], f"{statistics.mean(wss):.1f}",
                     f"{statistics.mean(recall):.1f}"])  # fmt: skip
        if method in ("ours", "ours_embedding") and all(theirs):
            gaps = [w - t["wss_95"]["median"] for w, t in zip(wss, theirs, strict=True)]
            lower = [
                d["name"]
                for d, r, t in zip(datasets, recall, theirs, strict=True)
                if r < t["recall_10"]["median"]
            ]
            verdicts.append(
                f"{METHOD_NAMES[method]} minus ASReview: mean WSS@95 "
                f"{statistics.mean(gaps):+.1f} points (target +3.0), worst dataset "
                f"{min(gaps):+.1f} (floor -1.0), recall@10% lower on "
                f"{', '.join(lower) or 'none'}."
            )
    headers = ["order", "mean of median WSS@95", "mean of median recall@10%"]
    return "\n".join(["Over the datasets:", "", table(headers, rows, markdown), "", *verdicts])


def _heading(result: dict) -> str:
    c = result["config"]
    version = c["asreview"]
    if version is None:
        cached = ", ".join(c["asreview_cached"])
        version = f"{cached} (cached; --no-asreview)" if cached else "not run (--no-asreview)"
    embedding = c["embedding_model"] or "none"
    return (
        f"Seeds {_seed_text(c['seeds'])}; ours retrains every {c['every']} record(s), "
        f"MIN_INCLUDES {c['min_includes']}; embedding model {embedding}; ASReview {version}."
    )


def _difference(d: dict) -> str:
    ours, theirs = d["figures"]["ours"], d["figures"]["asreview"]
    if not theirs:
        return f"{d['name']}: no ASReview figures."
    wss = ours["wss_95"]["median"] - theirs["wss_95"]["median"]
    recall = ours["recall_10"]["median"] - theirs["recall_10"]["median"]
    return (
        f"{d['name']}: ours minus ASReview, median WSS@95 {wss:+.1f} points, "
        f"median recall@10% {recall:+.1f} points."
    )


def _seed_text(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1:
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds))
