"""The import benchmark's repeats: each case keeps its median run."""

import importlib

from bench.import_report import Case

bench_import = importlib.import_module("bench.import")  # `import` is a keyword


def _run(seconds: float, ok: bool = True) -> Case:
    return Case("import", "full", "medline", 100, "postgres", result={"ok": ok, "seconds": seconds})


def test_the_median_run_is_kept_with_every_runs_seconds():
    runs = [_run(18.0), _run(14.0), _run(16.0)]
    chosen = bench_import.median_run(runs)
    assert chosen.result["seconds"] == 16.0
    assert chosen.result["runs_seconds"] == [18.0, 14.0, 16.0]


def test_an_even_number_of_runs_keeps_the_lower_middle_one():
    assert bench_import.median_run([_run(3), _run(1), _run(4), _run(2)]).result["seconds"] == 2


def test_one_failed_run_fails_the_case():
    assert not bench_import.median_run([_run(3), _run(2, ok=False), _run(1)]).ok


def test_a_single_run_is_reported_as_it_is():
    chosen = bench_import.median_run([_run(5)])
    assert chosen.result == {"ok": True, "seconds": 5}
