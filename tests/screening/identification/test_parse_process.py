"""Parsing a large file in a process of its own (parse_process.py): the same batches as the
thread, errors raised in the importing process as themselves, nothing left running when either
side stops, nothing imported when the parser's process dies, and no Django in that process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from references.models import Reference
from references.parsers import read_file
from references.parsers.base import ImportFileError, UnreadableEntry
from screening.identification import imports
from screening.identification.import_writers import writer_for
from screening.identification.imports import source_get_or_create
from screening.identification.parse_process import ParseProcess, ParseProcessError
from screening.identification.read_ahead import ReadAhead
from screening.models import Record, ScreeningItem, Search
from tests.references.test_parsers import CORPUS
from tests.screening.identification.test_imports import PUBMED_XML

REPO = Path(__file__).resolve().parents[3]
MEDLINE = "biopython/Medline/pubmed_result2.txt"


def _noted(entry):
    """A stand-in for the import's preparing of an entry: the entry, with the thread it ran on."""
    return (entry, threading.current_thread().name)


def _on_a_thread(path: Path, size: int) -> list:
    parsed = read_file(path)
    with ReadAhead(parsed.entries(), size=size, prepare=_noted) as batches:
        return list(batches)


def _in_a_process(path: Path, size: int) -> list:
    parsed = read_file(path)
    with ParseProcess(path, file_format=parsed.format, size=size, prepare=_noted) as batches:
        return list(batches)


def _parser(path: Path, size: int = 10) -> ParseProcess:
    return ParseProcess(path, file_format="medline", size=size, prepare=_noted)


def _large_medline(data_path: Path, tmp_path: Path, copies: int) -> Path:
    """A MEDLINE file far larger than the pipe holds (1 MB), so that the child is still
    writing when the test acts: the corpus's records again and again."""
    record = (data_path / MEDLINE).read_text().strip("\n")
    path = tmp_path / "large.nbib"
    path.write_text("\n\n".join([record] * copies) + "\n")
    return path


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# One file of each format in the corpus, the one with most entries.
ONE_OF_EACH = {fmt: name for name, fmt, count, _ in sorted(CORPUS, key=lambda c: c[2]) if count}


@pytest.mark.parametrize("name", sorted(ONE_OF_EACH.values()))
def test_a_file_of_every_format_gives_the_batches_the_thread_gives(name, data_path):
    """The same entries, every field, unreadable ones too, cut into the same batches, and
    prepared on the importing process's thread."""
    path = data_path / name
    batches = _in_a_process(path, size=2)
    assert batches == _on_a_thread(path, size=2)
    assert {thread for batch in batches for _, thread in batch} == {"import-parser"}


def test_unreadable_entries_come_through_as_they_are(data_path):
    path = data_path / "ris/rispy/example_multiline.ris"
    entries = [entry for entry, _ in _in_a_process(path, size=10)[0]]
    assert [type(e) for e in entries] == [UnreadableEntry] * 3
    assert "identifies no work" in entries[0].reason


def test_a_file_error_is_raised_in_the_importing_process_as_itself(data_path, tmp_path):
    text = (data_path / PUBMED_XML).read_text()
    path = tmp_path / "truncated.xml"
    path.write_text(text[: text.index("</PubmedArticle>") + 200])

    with pytest.raises(ImportFileError) as on_a_thread:
        _on_a_thread(path, size=1)
    with pytest.raises(ImportFileError) as in_a_process:
        _in_a_process(path, size=1)
    assert "truncated" in str(in_a_process.value)
    assert str(in_a_process.value) == str(on_a_thread.value)


def test_an_importer_that_stops_early_leaves_no_process_behind(data_path, tmp_path):
    path = _large_medline(data_path, tmp_path, copies=2000)
    with (
        pytest.raises(RuntimeError, match="the database refused"),
        _parser(path) as batches,
    ):
        pid = batches.pid
        for _batch in batches:
            raise RuntimeError("the database refused the batch")
    assert _gone(pid)


def test_a_killed_parser_is_an_error_not_a_short_file(data_path, tmp_path):
    path = _large_medline(data_path, tmp_path, copies=2000)
    taken = 0
    with (
        pytest.raises(ParseProcessError, match=r"ended before the end of it \(exit code -9\)"),
        _parser(path) as batches,
    ):
        for batch in batches:
            taken += len(batch)
            if taken == 10:
                os.kill(batches.pid, signal.SIGKILL)
    assert 10 <= taken < 8000


def test_the_parser_ends_when_the_importer_stops_reading(data_path, tmp_path):
    """The importing process died: its end of the pipe closed, the child's next write fails."""
    path = _large_medline(data_path, tmp_path, copies=2000)
    job = {"path": str(path), "format": "medline", "size": 10}
    child = subprocess.Popen(
        [sys.executable, "-m", "screening.identification.parse_process", json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    child.stdout.read(8)
    child.stdout.close()
    assert child.wait(timeout=120) == 0
    assert b"Traceback" not in child.stderr.read()
    child.stderr.close()


def test_the_parsers_process_loads_no_django():
    """It starts in a fifth of a second without Django (parse_process.py says why)."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, screening.identification.parse_process; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'config'}))",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


# --- Through an import -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_at_the_threshold_is_parsed_in_a_process(review, owner, data_path, settings):
    search = Search.objects.create(
        review=review,
        source=source_get_or_create(review=review, name="PubMed", kind="database", user=owner),
        file_name="x",
        run_at=timezone.now(),
    )
    writer = writer_for(review=review, search=search, record_fields={})
    path = data_path / MEDLINE
    size = path.stat().st_size

    settings.IMPORT_PARSE_PROCESS_MIN_BYTES = size
    assert isinstance(imports.prepared_batches(writer, [], "medline", path), ParseProcess)
    settings.IMPORT_PARSE_PROCESS_MIN_BYTES = size + 1
    assert isinstance(imports.prepared_batches(writer, [], "medline", path), ReadAhead)
    settings.IMPORT_PARSE_PROCESS_MIN_BYTES = 0
    assert isinstance(imports.prepared_batches(writer, [], "medline", None), ReadAhead)


@pytest.mark.django_db
def test_an_import_whose_parser_is_killed_imports_nothing(
    review, owner, data_path, tmp_path, settings, monkeypatch
):
    settings.IMPORT_PARSE_PROCESS_MIN_BYTES = 0
    monkeypatch.setattr(imports, "BATCH_SIZE", 10)
    path = _large_medline(data_path, tmp_path, copies=2000)
    source = source_get_or_create(review=review, name="PubMed", kind="database", user=owner)
    started: list[ParseProcess] = []
    enter = ParseProcess.__enter__

    def remember(self):
        started.append(self)
        return enter(self)

    monkeypatch.setattr(ParseProcess, "__enter__", remember)
    written = []

    def kill_after_the_first_batch(n: int) -> None:
        written.append(Record.objects.count())
        if n == 10:
            os.kill(started[0].pid, signal.SIGKILL)

    with pytest.raises(ParseProcessError):
        imports.references_import(
            review=review, source=source, path=path, file_name=path.name, user=owner,
            progress=kill_after_the_first_batch,
        )  # fmt: skip

    assert written[0] == 10  # the first batch was in, inside the transaction
    assert not Search.objects.exists()
    assert not Record.objects.exists()
    assert not Reference.objects.exists()
    assert not ScreeningItem.objects.exists()
    assert _gone(started[0].pid)


@pytest.mark.django_db
def test_the_command_says_in_words_that_a_killed_parser_imported_nothing(
    review, data_path, tmp_path, settings, monkeypatch
):
    settings.IMPORT_PARSE_PROCESS_MIN_BYTES = 0
    enter = ParseProcess.__enter__

    def killed_at_once(self):
        entered = enter(self)
        os.kill(self.pid, signal.SIGKILL)
        return entered

    monkeypatch.setattr(ParseProcess, "__enter__", killed_at_once)
    path = data_path / MEDLINE

    with pytest.raises(CommandError) as refused:
        call_command("import_references", review.slug, str(path), "--source", "PubMed")

    assert str(refused.value) == (
        f"{path}: The process that parses the file ended before the end of it (exit code -9). "
        "Nothing was imported; run the command again."
    )
    assert not Search.objects.filter(review=review).exists()
    assert not Record.objects.filter(review=review).exists()
