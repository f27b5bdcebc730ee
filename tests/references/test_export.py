"""RIS and CSV exports (references.export): read back by this repository's own RIS reader and
by csv.reader. Plain data only: no database, no ORM."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from references.export import (
    CSV_COLUMNS,
    ExportRow,
    csv_filename,
    iter_csv,
    iter_ris,
    ris_filename,
    split_pages,
    write_csv,
    write_ris,
)
from references.parsers import ParsedReference, UnreadableEntry, read_file

STRUCTURED_ABSTRACT = (
    "BACKGROUND: Ivonescimab is a bispecific antibody.\n\n"
    "METHODS: We randomised 398 patients.\n\n"
    "RESULTS: Progression-free survival was longer."
)
EXTRA = {
    "stage": "full_text",
    "state": "excluded",
    "reason": "Wrong comparator",
    "decisions": "rui: exclude (Wrong comparator); olivia: exclude (Wrong comparator)",
    "sources": "PubMed; Embase",
}
# The function-scoped autouse fixtures of tests/conftest.py do not matter to the properties:
# every example writes to its own buffer or temporary folder.
fixtures_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def full_row(**changes) -> ExportRow:
    values = {
        "title": "Ivonescimab versus pembrolizumab in PD-L1-positive NSCLC",
        "abstract": STRUCTURED_ABSTRACT,
        "authors": ["Xiong, Anwen", "Müller, Anna-Lena", "O'Brien, Seán", "García Márquez, José"],
        "journal": "The Lancet",
        "year": 2025,
        "volume": "405",
        "issue": "10481",
        "pages": "113-25",
        "pmid": "39893023",
        "pmcid": "PMC1234567",
        "doi": "10.1016/s0140-6736(24)02722-3",
        "registry_ids": ["NCT05499390"],
        "publication_types": ["Journal Article", "Randomized Controlled Trial"],
        "keywords": ["bispecific antibody"],
        "mesh_terms": ["Humans", "Carcinoma, Non-Small-Cell Lung"],
        "language": "eng",
        "urls": ["https://example.org/full-text;jsessionid=1"],
        "reference_id": 42,
        "extra": dict(EXTRA),
    }
    values.update(changes)
    return ExportRow(**values)


def ris_text(rows) -> str:
    out = io.StringIO()
    write_ris(rows, out)
    return out.getvalue()


def read_back(rows, folder: Path) -> tuple[str, list]:
    path = folder / "export.ris"
    with path.open("w", encoding="utf-8") as out:
        write_ris(rows, out)
    parsed = read_file(path)
    return parsed.format, list(parsed.entries())


def csv_table(rows, extra_columns) -> tuple[str, list[list[str]]]:
    out = io.StringIO(newline="")
    write_csv(rows, out, extra_columns)
    text = out.getvalue()
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def tag_lines(text: str, tag: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith(f"{tag}  - ")]


# --- RIS --------------------------------------------------------------------------------------


def test_ris_reads_back_with_the_repositorys_reader(tmp_path):
    rows = [full_row(), ExportRow(title="A grey-literature report", authors=["Roe, R"])]
    file_format, entries = read_back(rows, tmp_path)
    assert file_format == "ris"
    assert len(entries) == 2
    first, second = entries
    assert isinstance(first, ParsedReference)
    assert first.title == rows[0].title
    assert first.authors == rows[0].authors
    assert (first.year, first.doi, first.pmid, first.pmcid) == (
        2025,
        "10.1016/s0140-6736(24)02722-3",
        "39893023",
        "PMC1234567",
    )
    # The abstract went out on one line and comes back in its labelled paragraphs.
    assert first.abstract == STRUCTURED_ABSTRACT
    assert [section.label for section in first.abstract_sections] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
    ]
    assert (first.journal, first.volume, first.issue, first.pages) == (
        "The Lancet",
        "405",
        "10481",
        "113-125",
    )
    assert first.keywords == ["bispecific antibody", "Humans", "Carcinoma, Non-Small-Cell Lung"]
    assert first.language == "eng"
    assert "https://example.org/full-text%3Bjsessionid=1" in first.urls
    assert first.registry_ids == []  # the title and abstract name none; RIS has no tag for it
    assert (second.title, second.authors, second.journal) == (
        "A grey-literature report",
        ["Roe, R"],
        "",
    )


def test_ris_tags_of_a_full_record():
    text = ris_text([full_row()])
    assert text.startswith("TY  - JOUR\nTI  - Ivonescimab versus")
    assert text.endswith("ER  - \n\n")
    assert tag_lines(text, "AU") == full_row().authors
    assert tag_lines(text, "PY") == ["2025"]
    assert tag_lines(text, "JO") == tag_lines(text, "T2") == ["The Lancet"]
    assert (tag_lines(text, "SP"), tag_lines(text, "EP")) == (["113"], ["125"])
    assert tag_lines(text, "KW") == [
        "bispecific antibody",
        "Humans",
        "Carcinoma, Non-Small-Cell Lung",
    ]
    assert tag_lines(text, "DO") == ["10.1016/s0140-6736(24)02722-3"]
    assert (tag_lines(text, "AN"), tag_lines(text, "DB")) == (["39893023"], ["PubMed"])
    assert tag_lines(text, "UR") == [
        "https://pubmed.ncbi.nlm.nih.gov/39893023/",
        "https://doi.org/10.1016/s0140-6736(24)02722-3",
        "https://example.org/full-text%3Bjsessionid=1",
    ]
    assert tag_lines(text, "LA") == ["eng"]
    assert tag_lines(text, "ID") == ["42"]


def test_ris_without_journal_is_generic_and_writes_no_empty_tags():
    text = ris_text([ExportRow(title="Only a title")])
    assert text == "TY  - GEN\nTI  - Only a title\nER  - \n\n"


def test_ris_n1_note_carries_the_screening_extras_in_order():
    text = ris_text([full_row()])
    assert tag_lines(text, "N1") == [
        "Screening: stage full_text; state excluded; reason Wrong comparator; "
        "decisions rui: exclude (Wrong comparator); olivia: exclude (Wrong comparator); "
        "sources PubMed; Embase"
    ]
    assert tag_lines(ris_text([full_row(extra={"reason": "", "state": "included"})]), "N1") == [
        "Screening: state included"
    ]


def test_newlines_that_look_like_tags_do_not_break_the_record(tmp_path):
    abstract = "First line.\nER  - not the end\r\nAU  - Not, An Author\n\nTY  - JOUR\x1cend."
    rows = [full_row(abstract=abstract, title="Two\nlines"), full_row(title="Next record")]
    text = ris_text(rows)
    assert text.count("TY  - ") == 2 and text.count("ER  - ") == 2
    assert tag_lines(text, "AB")[0] == (
        "First line. ER - not the end AU - Not, An Author TY - JOUR end."
    )
    _, entries = read_back(rows, tmp_path)
    assert [entry.title for entry in entries] == ["Two lines", "Next record"]
    assert entries[0].authors == full_row().authors
    assert entries[0].abstract == "First line. ER - not the end AU - Not, An Author TY - JOUR end."


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("113-25", ("113", "125")),
        ("1131-5", ("1131", "1135")),
        ("113-125", ("113", "125")),
        ("99-101", ("99", "101")),
        ("12–19", ("12", "19")),
        ("12--19", ("12", "19")),
        ("S12-4", ("S12", "S14")),
        ("e1234-e1240", ("e1234", "e1240")),
        ("e1234", ("e1234", "")),
        ("1234", ("1234", "")),
        ("iii-xii", ("iii-xii", "")),
        ("113-25; discussion 126", ("113-25; discussion 126", "")),
        ("", ("", "")),
    ],
)
def test_split_pages(pages, expected):
    assert split_pages(pages) == expected


def test_write_ris_streams_entry_by_entry():
    out = io.StringIO()

    def rows():
        yield full_row(title="First")
        # The first record is already in the file when the second row is asked for.
        assert out.getvalue().endswith("ER  - \n\n")
        yield full_row(title="Second")

    assert write_ris(rows(), out) == 2
    assert "".join(iter_ris([full_row(title="First"), full_row(title="Second")])) == (
        out.getvalue()
    )


def test_write_ris_of_nothing_writes_nothing():
    out = io.StringIO()
    assert write_ris([], out) == 0
    assert out.getvalue() == ""


# --- CSV --------------------------------------------------------------------------------------


def test_csv_round_trip_through_csv_reader():
    rows = [
        full_row(title='A "quoted", comma title', abstract="Line one,\nline two."),
        ExportRow(title="Bare", extra={"reason": "Wrong population"}),
    ]
    text, table = csv_table(rows, ["stage", "reason", "missing"])
    assert text.startswith("\ufeffreference_id,title,")
    header, first, second = table
    assert header == [*CSV_COLUMNS, "stage", "reason", "missing"]
    record = dict(zip(header, first, strict=True))
    assert record["reference_id"] == "42"
    assert record["title"] == 'A "quoted", comma title'
    assert (
        record["authors"] == "Xiong, Anwen; Müller, Anna-Lena; O'Brien, Seán; García Márquez, José"
    )
    assert (record["year"], record["pages"], record["doi"]) == (
        "2025",
        "113-25",
        "10.1016/s0140-6736(24)02722-3",
    )
    assert record["registry_ids"] == "NCT05499390"
    assert record["publication_types"] == "Journal Article; Randomized Controlled Trial"
    assert record["abstract"] == "Line one,\nline two."
    assert (record["stage"], record["reason"], record["missing"]) == (
        "full_text",
        "Wrong comparator",
        "",
    )
    assert second == ["", "Bare", "", "", *[""] * 11, "", "Wrong population", ""]


def test_csv_neutralises_formula_injection_but_not_our_numbers():
    row = ExportRow(
        title='=HYPERLINK("http://evil.example", "click")',
        authors=["@SUM(A1:A2)"],
        journal="+cmd|' /C calc'!A0",
        pages="-1+2",
        volume="-0.5",
        abstract="\tindented",
        doi="\rx",
        reference_id=7,
        year=2020,
        extra={"reason": "-Wrong dose", "note": "fine = text"},
    )
    _, (header, cells) = csv_table([row], ["reason", "note"])
    record = dict(zip(header, cells, strict=True))
    assert record["title"] == '\'=HYPERLINK("http://evil.example", "click")'
    assert record["authors"] == "'@SUM(A1:A2)"
    assert record["journal"] == "'+cmd|' /C calc'!A0"
    assert record["pages"] == "'-1+2"
    assert record["volume"] == "-0.5"  # one plain number calls nothing: it stays a number
    assert record["abstract"] == "'\tindented"
    assert record["doi"] == "'\rx"
    assert (record["reason"], record["note"]) == ("'-Wrong dose", "fine = text")
    assert (record["reference_id"], record["year"]) == ("7", "2020")


def test_csv_extra_column_names_are_neutralised_too():
    _, (header,) = csv_table([], ["=evil", "reason"])
    assert header[-2:] == ["'=evil", "reason"]


def test_csv_file_has_exactly_one_bom_whichever_utf8_codec_opens_it(tmp_path):
    for encoding in ("utf-8", "utf-8-sig", "UTF8"):
        path = tmp_path / f"{encoding}.csv"
        with path.open("w", encoding=encoding, newline="") as out:
            assert write_csv([full_row()], out, ["reason"]) == 1
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbfreference_id,"), encoding
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header, row = list(csv.reader(handle))
        assert header[0] == "reference_id" and row[1] == full_row().title


def test_write_csv_streams_row_by_row_and_iter_csv_gives_the_same_text():
    out = io.StringIO(newline="")

    def rows():
        yield full_row(title="First")
        assert out.getvalue().count("\r\n") >= 2  # header and first row already written
        yield full_row(title="Second")

    assert write_csv(rows(), out, ["reason"]) == 2
    chunks = list(iter_csv([full_row(title="First"), full_row(title="Second")], ["reason"]))
    assert len(chunks) == 3
    assert "".join(chunks) == out.getvalue()


# --- Rows and file names ----------------------------------------------------------------------


def test_export_row_from_anything_with_reference_attributes():
    reference = SimpleNamespace(
        pk=5,
        title="T",
        abstract="",
        authors=["Doe, J"],
        journal="J",
        year=2001,
        volume="1",
        issue="",
        pages="1-2",
        pmid="1",
        pmcid="",
        doi="10.1/x",
        registry_ids=None,  # as an odd JSON value might be
        publication_types=[],
        mesh_terms=["Humans"],
        keywords=[],
        language="",
        urls=[],
        raw="not exported",
    )
    row = ExportRow.from_reference(reference, extra={"state": "included"})
    assert row == ExportRow(
        title="T",
        authors=["Doe, J"],
        journal="J",
        year=2001,
        volume="1",
        pages="1-2",
        pmid="1",
        doi="10.1/x",
        mesh_terms=["Humans"],
        reference_id=5,
        extra={"state": "included"},
    )


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("ivonescimab-excluded-2026-12-01", "ivonescimab-excluded-2026-12-01"),
        (
            "Ivonescimab: excluded (full text) 2026-12-01",
            "ivonescimab-excluded-full-text-2026-12-01",
        ),
        ("Médecine/../../etc passwd", "medecine-etc-passwd"),
        ("", "references"),
        ("../", "references"),
        ("日本語", "references"),
    ],
)
def test_file_names_are_slug_safe(stem, expected):
    assert ris_filename(stem) == f"{expected}.ris"
    assert csv_filename(stem) == f"{expected}.csv"


def test_long_file_names_are_cut():
    name = ris_filename("word " * 100)
    assert len(name) <= 124 and name.endswith(".ris") and "-.ris" not in name


# --- Properties -------------------------------------------------------------------------------

text = st.text(max_size=40)
texts = st.lists(st.text(max_size=20), max_size=3)
rows_strategy = st.builds(
    ExportRow,
    title=st.text(max_size=80),
    abstract=st.text(max_size=200),
    authors=texts,
    journal=text,
    year=st.none() | st.integers(min_value=1500, max_value=2100),
    volume=text,
    issue=text,
    pages=text,
    pmid=text,
    pmcid=text,
    doi=text,
    registry_ids=texts,
    publication_types=texts,
    keywords=texts,
    mesh_terms=texts,
    language=text,
    urls=texts,
    reference_id=st.none() | st.integers(min_value=1, max_value=2**63 - 1),
    extra=st.dictionaries(text, text, max_size=3),
)
EXTRA_COLUMNS = ["stage", "state", "reason"]


def one_line(value: str) -> str:
    """What a reader of RIS sees of a value: control characters and runs of white space made
    one space (written independently of the module's own rule)."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in value).split())


@fixtures_ok
@given(rows=st.lists(rows_strategy, max_size=5))
@example(rows=[ExportRow(title="=1+1", extra={"reason": "\r\n"})])
@example(rows=[ExportRow(title="a\x00b\rc\u2028d")])
@example(rows=[ExportRow(title="-0"), ExportRow(title="-0a")])
def test_any_rows_write_and_the_csv_reads_back_the_same_titles(rows):
    assert write_ris(rows, io.StringIO()) == len(rows)
    _, table = csv_table(rows, EXTRA_COLUMNS)
    header, *body = table
    assert header == [*CSV_COLUMNS, *EXTRA_COLUMNS]
    assert len(body) == len(rows)
    for row, cells in zip(rows, body, strict=True):
        assert len(cells) == len(header)
        # A plain number ("-0", "-1.5") stays bare so that it stays a number; any other text
        # that begins like a formula is kept as text.
        number = re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", row.title)
        formula = row.title.startswith(("=", "+", "-", "@", "\t", "\r")) and not number
        expected = "'" + row.title if formula else row.title
        assert cells[1] == expected


@fixtures_ok
@given(rows=st.lists(rows_strategy, min_size=1, max_size=5))
@example(rows=[ExportRow(title="x\nER  - \nTY  - JOUR")])
@example(rows=[ExportRow(), ExportRow(title="\x00\x01\x02" * 20)])
def test_any_rows_read_back_as_ris_with_the_same_count_and_titles(rows):
    with tempfile.TemporaryDirectory() as folder:
        file_format, entries = read_back(rows, Path(folder))
    assert file_format == "ris"
    assert len(entries) == len(rows)
    for row, entry in zip(rows, entries, strict=True):
        if isinstance(entry, UnreadableEntry):
            # Only a record that names no work at all may be refused, never one with a title.
            assert one_line(row.title) == "", entry.reason
        else:
            assert entry.title == one_line(row.title)
