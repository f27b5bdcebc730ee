"""Parsing ahead of the database: an import parses its next batch while the database takes the
last one.

The entries are read, and each one prepared (its exact keys, its row), on a thread of its own
that fills a bounded queue; the caller takes whole batches from it, on its own thread, inside its
transaction. The parser is plain Python that never touches the database, so the thread needs no
connection. At most `depth` finished batches wait in the queue, and one more is being built: the
memory an import holds does not grow with the file.

While it runs, the interpreter is tuned for the two threads (ReadAhead.__enter__ says how), and
put back as it was when it ends.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

Entry = TypeVar("Entry")
Prepared = TypeVar("Prepared")

# Finished batches that may wait for the database. One is enough to keep both sides busy; more
# would only hold more rows in memory (a PubMed XML batch of 1,000 carries 17 MB of raw XML).
BATCHES_AHEAD = 1

_BATCH, _END, _ERROR = "batch", "end", "error"

# How long the parser's thread may hold the interpreter (the GIL) while the caller's thread
# waits for it: 0.5 ms instead of Python's 5 ms. The caller gives the interpreter up at every
# round trip to the database and needs it back at once to send the next statement; with 5 ms
# it waited up to that long each time, several times a batch, while the database had nothing
# to do (the MEDLINE 100k import: 18.2 s -> 14.2 s, docs/performance.md).
SWITCH_INTERVAL = 0.0005


class ReadAhead(Generic[Entry, Prepared]):
    """Batches of `prepare(entry)`, built on a thread while the caller works on the previous one.

    Iterate it inside `with`: leaving the block early (an error in the caller) stops the thread
    and waits for it, so that no parsing outlives the import. An exception raised while parsing
    or preparing is raised again in the caller, as itself, when it reaches that batch.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        size: int,
        prepare: Callable[[Entry], Prepared],
        depth: int = BATCHES_AHEAD,
    ) -> None:
        self._entries = entries
        self._size = size
        self._prepare = prepare
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="import-parser", daemon=True)

    def __enter__(self) -> ReadAhead[Entry, Prepared]:
        # The switch interval (SWITCH_INTERVAL says why), and Python's cycle collector off: each
        # batch makes thousands of objects that live until the next one, and the collector
        # would walk every object of the process again and again for cycles they do not form.
        self._interval, self._collecting = sys.getswitchinterval(), gc.isenabled()
        sys.setswitchinterval(SWITCH_INTERVAL)
        gc.disable()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.close()
        finally:
            sys.setswitchinterval(self._interval)
            if self._collecting:
                gc.enable()

    def __iter__(self) -> Iterator[list[Prepared]]:
        while True:
            kind, value = self._queue.get()
            if kind == _BATCH:
                yield value
            elif kind == _ERROR:
                raise value
            else:
                return

    def close(self) -> None:
        """Stop the thread and wait for it. Once the stop is set it puts at most one more item,
        and emptying the queue leaves room for that one, so the join cannot wait for ever."""
        self._stop.set()
        self._drain()
        if self._thread.is_alive():
            self._thread.join()
        self._drain()

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def _produce(self) -> None:
        entries = iter(self._entries)
        try:
            batch: list[Prepared] = []
            for entry in entries:
                batch.append(self._prepare(entry))
                if len(batch) >= self._size:
                    if not self._put(_BATCH, batch):
                        return
                    batch = []
            if batch and not self._put(_BATCH, batch):
                return
            self._put(_END, None)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread, raised there
            self._put(_ERROR, error)
        finally:
            close = getattr(entries, "close", None)
            if close is not None:
                close()  # a generator's files are closed on the thread that ran it

    def _put(self, kind: str, value) -> bool:
        """Queue an item unless the caller has stopped; False when it has."""
        if self._stop.is_set():
            return False
        self._queue.put((kind, value))
        return not self._stop.is_set()
