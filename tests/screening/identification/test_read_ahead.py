"""Parsing ahead of the database (read_ahead.py): batches in order, the parser's error raised in
the caller, nothing left running when the caller stops early, and the interpreter's settings put
back."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading

import pytest

from screening.identification.read_ahead import SWITCH_INTERVAL, ReadAhead


class Source:
    """Entries 1..n, noting how many were taken, on which thread, and whether it was closed."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at = n, fail_at
        self.taken = 0
        self.closed = False
        self.threads: set[str] = set()

    def __iter__(self):
        try:
            for number in range(1, self.n + 1):
                self.threads.add(threading.current_thread().name)
                if number == self.fail_at:
                    raise ValueError(f"entry {number} is malformed")
                self.taken += 1
                yield number
        finally:
            self.closed = True


def _parser_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "import-parser"]


def test_batches_come_in_order_prepared_on_another_thread():
    source = Source(7)
    with ReadAhead(source, size=3, prepare=lambda n: n * 10) as batches:
        got = list(batches)
    assert got == [[10, 20, 30], [40, 50, 60], [70]]
    assert source.threads == {"import-parser"}
    assert source.closed and not _parser_threads()


def test_an_error_while_parsing_is_raised_in_the_caller_after_the_batches_before_it():
    got = []
    with (
        pytest.raises(ValueError, match="entry 5 is malformed"),
        ReadAhead(Source(9, fail_at=5), size=2, prepare=str) as batches,
    ):
        for batch in batches:
            got.append(batch)
    assert got == [["1", "2"], ["3", "4"]]
    assert not _parser_threads()


def test_a_caller_that_stops_early_stops_the_parser_and_closes_the_file():
    """The parser may run one batch ahead and build one more, never the whole file."""
    source = Source(100_000)
    with ReadAhead(source, size=10, prepare=lambda n: n, depth=1) as batches:
        first = next(iter(batches))
    assert first == list(range(1, 11))
    assert source.taken <= 10 * 3
    assert source.closed
    assert not _parser_threads()


def test_an_error_in_preparing_an_entry_is_raised_as_itself():
    def prepare(n: int) -> int:
        if n == 3:
            raise KeyError("no such field")
        return n

    with (
        pytest.raises(KeyError, match="no such field"),
        ReadAhead(Source(5), size=10, prepare=prepare) as batches,
    ):
        list(batches)
    assert not _parser_threads()


@pytest.mark.parametrize("fail_at", [None, 4])
def test_the_interpreter_is_tuned_while_it_runs_and_put_back_as_it_was(fail_at):
    """A shorter switch interval and no cycle collection while the batches stream; afterwards,
    on success or failure, the process's own settings again (here a 7 ms interval, which is not
    Python's default, so that a reset to the default would be caught)."""
    interval, collecting = sys.getswitchinterval(), gc.isenabled()
    seen = []
    try:
        sys.setswitchinterval(0.007)
        gc.enable()
        with (
            contextlib.suppress(ValueError),
            ReadAhead(Source(6, fail_at=fail_at), size=2, prepare=int) as batches,
        ):
            for _batch in batches:
                seen.append((sys.getswitchinterval(), gc.isenabled()))
        assert seen and {(round(i, 5), c) for i, c in seen} == {(SWITCH_INTERVAL, False)}
        assert sys.getswitchinterval() == pytest.approx(0.007, abs=1e-5)
        assert gc.isenabled()
        # A process that had the collector off keeps it off.
        gc.disable()
        with ReadAhead(Source(2), size=2, prepare=int) as batches:
            list(batches)
        assert not gc.isenabled()
    finally:
        sys.setswitchinterval(interval)
        if collecting:
            gc.enable()
