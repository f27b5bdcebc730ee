"""Properties of the parsers for any input: junk is refused with ImportFileError, never a crash.

A person can upload anything. Whatever the bytes, `read_file` and `entries()` either read
them or raise ImportFileError with a sentence; no other exception may escape.
"""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from references.parsers import FORMATS, ImportFileError, ParsedReference, UnreadableEntry, read_file

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = [
    DATA / "biopython/Entrez/pubmed4.xml",
    DATA / "biopython/Medline/pubmed_result2.txt",
    DATA / "ris/rispy/example_full.ris",
    DATA / "ris/rispy/example_wos.ris",
    DATA / "bibtex/python-bibtexparser/multiple_entries_and_comments.bib",
    DATA / "prisma/PRISMA2020_citation.ris",
    DATA / "endnote/reconstructed/endnote20_pubmed_ovid_embase.xml",
    DATA / "csl-json/reconstructed/zotero_csl_json.json",
]
CSV_SAMPLE = (
    b'"Title","Authors","Year","DOI","Abstract"\r\n'
    b'"A trial","Smith J, Doe A.","2020","10.1000/x","BACKGROUND: a. RESULTS: b."\r\n'
)
# The function-scoped autouse fixtures of tests/conftest.py (a private MEDIA_ROOT) do not
# matter here: every example writes its own temporary file.
fixtures_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_everything(data: bytes, file_format: str) -> list:
    """Read `data` as a file with `file_format`: its entries, or the ImportFileError raised."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        try:
            return list(read_file(path, format=file_format).entries())
        except ImportFileError as error:
            assert str(error), "a refusal must say why"
            return [error]


def assert_well_formed(entries: list) -> None:
    positions = [e.position for e in entries if not isinstance(e, ImportFileError)]
    assert positions == list(range(1, len(positions) + 1))
    for entry in entries:
        if isinstance(entry, ParsedReference):
            assert entry.identifies_a_work()
            assert entry.year is None or 1500 <= entry.year <= 2100
            assert entry.doi == entry.doi.lower()
        elif isinstance(entry, UnreadableEntry):
            assert entry.reason


@pytest.mark.parametrize("file_format", ["auto", *FORMATS])
@fixtures_ok
@given(data=st.binary(max_size=2048))
@example(data=b"")
@example(data=b"\xef\xbb\xbf")
@example(data=b"\xff\xfe<\x00?\x00x\x00")
@example(data=b"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle>")
@example(data=b"TY  - JOUR\nER  -\nTY  - ")
@example(data=b"@article{x, title={a}, title={b}}\n@article{")
@example(data=b"PMID- 1\nTI  - \xff\xfe\n")
def test_arbitrary_bytes_are_read_or_refused_with_import_file_error(data, file_format):
    assert_well_formed(read_everything(data, file_format))


@pytest.mark.parametrize("file_format", ["auto", *FORMATS])
@fixtures_ok
@given(text=st.text(max_size=1024))
@example(text='Title,Abstract\n"unclosed')
@example(text="sep=;\nTitle;Abstract\n\x00;x\n")
def test_arbitrary_text_is_read_or_refused_with_import_file_error(text, file_format):
    assert_well_formed(read_everything(text.encode("utf-8", "surrogatepass"), file_format))


@fixtures_ok
@given(
    sample=st.sampled_from([*SAMPLES, None]),
    cut=st.integers(min_value=0, max_value=50_000),
    insert=st.binary(max_size=64),
    at=st.integers(min_value=0, max_value=50_000),
)
def test_damaged_real_files_are_read_or_refused_with_import_file_error(sample, cut, insert, at):
    data = sample.read_bytes() if sample else CSV_SAMPLE
    data = data[:cut]
    at = min(at, len(data))
    assert_well_formed(read_everything(data[:at] + insert + data[at:], "auto"))


@fixtures_ok
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["TY", "TI", "AU", "PY", "DO", "AB", "ER", "KW", "UR", "XX", "  "]),
            st.sampled_from(["  - ", "  -", " - ", "  -  "]),
            st.text(max_size=40),
        ),
        max_size=30,
    )
)
def test_any_sequence_of_ris_lines_is_read_or_refused(lines):
    text = "\n".join(tag + sep + value for tag, sep, value in lines)
    assert_well_formed(read_everything(("TY  - JOUR\n" + text).encode(), "ris"))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_entry_survives_a_pickle_whole(sample):
    """A large file's entries cross a pipe as pickles (parse_process.py): each comes back equal,
    every field in its place, of every format."""
    entries = list(read_file(sample).entries())
    parsed = [e for e in entries if isinstance(e, ParsedReference)]
    assert parsed
    for entry in entries:
        back = pickle.loads(pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301
        assert back == entry and type(back) is type(entry)
