"""The memory a retrain costs a process when the review has sentence embeddings: the
process's own (anonymous) memory, which the embeddings must not grow, and the file pages it
maps (shared with the page cache, given back under pressure).

    python bench/retrain_memory.py [--records 25000] [--width 256] [--labelled 500]

In a fresh process each: TF-IDF features of `--records` records (the labelled datasets' texts
repeated; or generated words when ../shared is absent), random unit vectors of `--width` as the
embeddings, and five retrains as the app runs them (chooser.ranked_queue plus the estimate's
out-of-fold scores), with the embeddings

- none (the `tfidf` and `lsa` rankers only);
- read from a file mapped from disk, as `embeddings.matrix_for` gives them;
- held in the process's memory, for comparison (what the app does not do).

It prints RssAnon (the process's own memory) and RssFile (mapped file pages) from
/proc/self/status after the features are built and after the retrains, in MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys, tempfile
import numpy as np
sys.path.insert(0, {repo!r})
from screening.prioritisation import chooser, model, rankers

def status():
    found = {{}}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return found

records, width, labelled_count, mode = {records}, {width}, {labelled}, {mode!r}
words = [f"w{{i}}" for i in range(5000)]
rng = np.random.default_rng(0)
texts = [" ".join(rng.choice(words, 120)) for _ in range(records)]
labels = (rng.random(records) < 0.05).astype(int)
path = tempfile.mktemp(suffix=".npy")
np.save(path, rankers.normalised(rng.normal(size=(records, width))))  # as matrix_for writes it
tfidf = model.features(texts)
lsa = rankers.lsa_of(tfidf)
before = status()
embedding = None
if mode == "mapped":
    embedding = np.load(path, mmap_mode="r")
elif mode == "in memory":
    embedding = np.load(path)
features = rankers.Features(tfidf, lsa=lsa, embedding=embedding)
loaded = status()
labelled = rng.choice(records, labelled_count, replace=False).tolist()
known = [int(labels[i]) for i in labelled]
known[0], known[1] = 1, 0
chosen = set(labelled)
candidates = [i for i in range(records) if i not in chosen]
for repeat in range(5):
    queue, _ = chooser.ranked_queue(features, labelled, known, candidates, chooser.Record(),
                                    np.random.default_rng(repeat), screened=labelled_count)
    rankers.out_of_fold(features, queue.leader, labelled, known)
after = status()
print(json.dumps({{"mode": mode, "rankers": list(features.rankers), "before": before,
                  "loaded": loaded, "after": after}}))
"""


def measure(mode: str, options) -> dict:
    code = PROBE.format(
        repo=str(REPO),
        records=options.records,
        width=options.width,
        labelled=options.labelled,
        mode=mode,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=25_000)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--labelled", type=int, default=500)
    options = parser.parse_args(argv)
    print(
        f"{options.records:,} records, embeddings of {options.width} float32 "
        f"({options.records * options.width * 4 / 2**20:.1f} MB), {options.labelled} labelled; "
        "MB: TF-IDF and LSA built -> embeddings loaded -> after five retrains"
    )
    print("| embeddings | rankers | RssAnon | RssFile |")
    print("| --- | --- | ---: | ---: |")
    for mode in ("none", "mapped", "in memory"):
        result = measure(mode, options)
        steps = [result[k] for k in ("before", "loaded", "after")]
        anon = " -> ".join(str(s["RssAnon"]) for s in steps)
        mapped = " -> ".join(str(s["RssFile"]) for s in steps)
        print(f"| {mode} | {', '.join(result['rankers'])} | {anon} | {mapped} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
