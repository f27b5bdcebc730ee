"""Parsing a large file in a process of its own, beside the importing process instead of inside
it.

On a thread (read_ahead.py) the parser shares the importing process's interpreter and its lock
(the GIL): parsing held it most of a MEDLINE import, so the side that writes to the database
waited for it, and the import could not run faster than one core allows. In a process of its
own the parser has an interpreter to itself. The importing process keeps the rest: a thread of
it (ReadAhead's) reads the parsed entries and prepares each one's keys and row, as it would
have, a batch ahead of the database (docs/performance.md, "Importing", has the figures).

The child is `python -m screening.identification.parse_process JOB`, started with subprocess,
not multiprocessing: a Celery prefork worker is a daemonic process, and multiprocessing lets no
daemonic process have children. It loads the parsers and no Django, so it starts in about 0.1 s
instead of 1.3 s. A file smaller than settings.IMPORT_PARSE_PROCESS_MIN_BYTES is parsed on the
thread: pickling its entries, sending and unpickling them would cost more than the process
saves (the setting says what was measured).

What passes between them: the parent gives the job as JSON in the child's arguments (the file,
its format, the batch size). The child answers on its standard output in frames, each an 8-byte
length and then a pickle of (kind, value): ("entries", [ParsedReference | UnreadableEntry, ...])
as many times as it takes, each frame at most FRAME_CHARS of source text or a batch's entries,
then ("end", None), or ("error", the exception) when parsing fails, raised again in the
parent, as itself, after the batches before it. The pickles come from the project's own code in
a process the parent started, on a pipe no one else holds. Anything else the child prints goes
to standard error (the worker's log).

The child stops when the parent stops reading: the parent kills it when it leaves early (an
error while writing), and if the parent dies the child's next write fails and it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import logging
import os
import pickle
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from references.parsers import read_file
from references.parsers.base import Entry, UnreadableEntry
from screening.identification.read_ahead import ReadAhead

logger = logging.getLogger(__name__)

_ENTRIES, _END, _ERROR = "entries", "end", "error"
# A frame carries at most this much source text (and what was parsed from it): 1,000 PubMed XML
# entries are 17 MB of XML, which the child would otherwise hold twice (entries and pickle).
FRAME_CHARS = 1 << 20
_HEADER = struct.Struct("<Q")  # a frame's length
# The directory that holds the project's packages, for the child's import path.
_ROOT = str(Path(__file__).resolve().parents[2])
# A pipe holds 64 kB by default, so a frame of 2 MB would pass in 30 rounds of the child
# writing and the parent reading. 1 MB is Linux's limit for a process without privileges.
_PIPE_BYTES = 1 << 20
# How long the parent waits for the child to exit once it has said "end" (it has nothing left
# to do but exit).
_EXIT_SECONDS = 30


class ParseProcessError(RuntimeError):
    """The parser's process ended without finishing the file (killed, or out of memory)."""


class ParseProcess:
    """Batches of `prepare(entry)` for the entries of `path`, parsed by a process of its own and
    prepared on a thread of this one: iterate it inside `with`, like ReadAhead. Leaving the
    block early kills the process and stops the thread, and waits for both."""

    def __init__(
        self, path: str | Path, *, file_format: str, size: int, prepare: Callable[[Entry], Any]
    ) -> None:
        self._job = {"path": str(Path(path).resolve()), "format": file_format, "size": size}
        self._size = size
        self._prepare = prepare
        self._process: subprocess.Popen | None = None
        self._batches: ReadAhead | None = None

    def __enter__(self) -> ParseProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, json.dumps(self._job)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=env,
        )
        _widen_pipe(self._process.stdout)
        logger.info(
            "Parsing %s in a process of its own (pid %s)", Path(self._job["path"]).name, self.pid
        )
        self._batches = ReadAhead(self._entries(), size=self._size, prepare=self._prepare)
        self._batches.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def __iter__(self) -> Iterator[list]:
        yield from self._batches
        self._process.wait(timeout=_EXIT_SECONDS)

    def close(self) -> None:
        """Kill the child if it is still parsing (the thread reading it then meets the end of
        its output), stop that thread, and wait for both."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        try:
            if self._batches is not None:
                self._batches.__exit__(None, None, None)
        finally:
            process.wait()
            process.stdout.close()

    def _entries(self) -> Iterator[Entry]:
        """The child's entries, frame after frame (on ReadAhead's thread)."""
        while True:
            kind, value = self._read()
            if kind == _ENTRIES:
                yield from value
            elif kind == _ERROR:
                raise value
            else:
                return

    def _read(self) -> tuple[str, Any]:
        stream = self._process.stdout
        header = stream.read(_HEADER.size)
        length = _HEADER.unpack(header)[0] if len(header) == _HEADER.size else None
        data = stream.read(length) if length is not None else b""
        if length is None or len(data) < length:
            code = self._process.wait()
            raise ParseProcessError(
                f"The process that parses the file ended before the end of it (exit code {code})."
            )
        return pickle.loads(data)  # noqa: S301 - our own child's frames, on our own pipe


def _widen_pipe(stream) -> None:
    # Not Linux, or a lower limit: the frames still pass, in more rounds.
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


# --- The child ---------------------------------------------------------------------------------


def _send(out, kind: str, value: object) -> None:
    data = pickle.dumps((kind, value), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(data)))
    out.write(data)
    out.flush()


def _picklable(error: BaseException) -> BaseException:
    """The error itself if it survives a pickle, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    except Exception:  # noqa: BLE001 - any failure to pickle means: send a plain one
        return RuntimeError(f"{error.__class__.__name__}: {error}")
    return error


def run_child(job: dict, out) -> None:
    """Parse the job's file, writing frames to `out` (the child's standard output)."""
    # Each frame makes thousands of objects that live until it is sent; the cycle collector
    # would walk them again and again for cycles they do not form (as in read_ahead.py).
    gc.disable()
    size = job["size"]
    try:
        frame: list[Entry] = []
        chars = 0
        for entry in read_file(job["path"], format=job["format"]).entries():
            frame.append(entry)
            chars += len(entry.excerpt if isinstance(entry, UnreadableEntry) else entry.raw)
            if chars >= FRAME_CHARS or len(frame) >= size:
                _send(out, _ENTRIES, frame)
                frame, chars = [], 0
        if frame:
            _send(out, _ENTRIES, frame)
        _send(out, _END, None)
    except BrokenPipeError:
        return  # the parent stopped reading: nothing is waiting for the rest
    except Exception as error:  # noqa: BLE001 - handed to the parent, raised there
        traceback.print_exc()
        _send(out, _ERROR, _picklable(error))


def main(argv: list[str]) -> int:
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames may reach the parent's pipe
    with contextlib.suppress(BrokenPipeError):  # the parent is gone: sending the error failed
        run_child(json.loads(argv[1]), out)
    # If the parent stopped reading, what is left in the buffer cannot be sent: drop it, rather
    # than have Python report the broken pipe again as it exits.
    os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
