"""Recognising a file's format and encoding from its content; refusing what is not literature."""

from __future__ import annotations

from pathlib import Path

import pytest

from references.parsers import ImportFileError, read_file
from references.parsers.detect import HEAD_BYTES, detect
from references.parsers.text_encoding import CHUNK_BYTES

DATA = Path(__file__).resolve().parents[1] / "data"
RIS = b"TY  - JOUR\nTI  - A title\nAU  - Doe, Jane\nER  - \n"


def write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(path: Path, **kwargs) -> str:
    with pytest.raises(ImportFileError) as refused:
        read_file(path, **kwargs)
    return str(refused.value)


# --- Refused before any parsing ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t  ", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_an_empty_file_is_refused_as_empty(tmp_path, data):
    assert refusal(write(tmp_path, data)) == "The file is empty."


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "compressed (ZIP) file"),
        (b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Microsoft Office file"),
        (bytes(range(256)) * 4, "binary file"),
        (b'{"records": [{"title": "A"}]}', "JSON file"),
        (b'  [{"title": "A"}]', "JSON file"),
        (b"<!DOCTYPE html>\n<html><body>Search results</body></html>", "web page (HTML)"),
        (b"<HTML><HEAD><TITLE>PubMed</TITLE></HEAD></HTML>", "web page (HTML)"),
        (b"Just some notes about papers I should read.\nNothing else.\n", "does not look like"),
    ],
)
def test_a_file_that_is_not_a_literature_export_is_refused_saying_what_it_is(tmp_path, data, words):
    assert words in refusal(write(tmp_path, data))


def test_an_xml_file_of_another_kind_is_refused_naming_its_root_element(tmp_path):
    path = write(tmp_path, b'<?xml version="1.0"?>\n<catalog><book id="1"/></catalog>\n')
    assert "its root element is <catalog>" in refusal(path)


def test_an_endnote_xml_library_is_recognised_by_its_records_not_its_root_alone(tmp_path):
    path = write(tmp_path, b"<?xml version='1.0'?><xml><records><record/></records></xml>")
    assert detect(path).format == "endnote-xml"
    other = write(tmp_path, b"<?xml version='1.0'?><xml><settings/></xml>", name="other.xml")
    assert "its root element is <xml>" in refusal(other)


def test_an_empty_eutilities_error_element_is_not_mistaken_for_an_error():
    message = refusal(DATA / "biopython/Entrez/espell.xml")
    assert "espell answer" in message and "error message" not in message


def test_a_doctype_internal_subset_without_entities_is_allowed(tmp_path):
    text = (DATA / "biopython/Entrez/pubmed1.xml").read_text()
    text = text.replace(
        'pubmed_250101.dtd">', 'pubmed_250101.dtd" [ <!ATTLIST PMID Version CDATA "1"> ]>', 1
    )
    path = write(tmp_path, text.encode())
    assert len(list(read_file(path).entries())) == 2


def test_a_parameter_entity_is_refused(tmp_path):
    path = write(
        tmp_path,
        b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [ <!ENTITY % remote SYSTEM '
        b'"http://example.org/evil.dtd"> %remote; ]>\n<PubmedArticleSet/>\n',
    )
    assert "declares entities" in refusal(path)


# --- Formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "file_format"),
    [
        (RIS, "ris"),
        (b"Record #1 of 1\nProvider: Cochrane\n\n" + RIS, "ris"),
        (b"\n\nPMID- 123\nTI  - A title\n", "medline"),
        (b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A title\nER\nEF\n", "wos"),
        (b"PT J\nAU Doe, J\nTI A title\nER\n", "wos"),
        (b"% exported\n@Article{doe2020,\n title = {A title}\n}\n", "bibtex"),
        (b"<?xml version='1.0'?>\n<xml>\n  <records><record/></records>\n</xml>\n", "endnote-xml"),
        (b'[{"type": "article-journal", "title": "A title"}]', "csl-json"),
        (
            b'\xef\xbb\xbf[\n\t{\n\t\t"id": "x",\n\t\t"type": "book",\n\t\t"author": []}]',
            "csl-json",
        ),
        (b"Title,Abstract\nA title,An abstract\n", "csv"),
        (b"title\tauthors\nA title\tDoe J\n", "csv"),
    ],
)
def test_the_format_is_recognised_from_the_content(tmp_path, data, file_format):
    assert detect(write(tmp_path, data, name="file.dat")).format == file_format


def test_a_table_header_after_preamble_lines_is_found_with_its_delimiter(tmp_path):
    path = write(tmp_path, b"Exported 2025-11-25\nQuery: aspirin\n\nTI;AB;PY\nA;B;2020\n")
    detection = detect(path)
    assert (detection.format, detection.header_line, detection.delimiter) == ("csv", 3, ";")


def test_excel_sep_line_sets_the_delimiter(tmp_path):
    path = write(tmp_path, b"sep=|\nTitle|Year\nA, with a comma|2020\n")
    detection = detect(path)
    assert (detection.header_line, detection.delimiter) == (1, "|")


def test_a_forced_format_on_content_of_no_known_format_says_so(tmp_path):
    message = refusal(write(tmp_path, b"Some notes\n"), format="medline")
    assert message.startswith("You chose MEDLINE (PubMed .nbib) text, but the file does not look")


def test_a_forced_format_on_a_table_without_title_column_names_its_columns():
    message = refusal(DATA / "prisma/PRISMA.csv", format="ris")
    assert "data, node, box" in message and message.startswith("You chose RIS")


# --- Encodings --------------------------------------------------------------------------------


def test_utf8_with_byte_order_mark_is_read_as_utf8_sig():
    parsed = read_file(DATA / "bibtex/python-bibtexparser/article_start_with_bom.bib")
    assert (parsed.encoding, parsed.warnings) == ("utf-8-sig", [])


def test_utf8_without_byte_order_mark_is_read_as_utf8_without_warning():
    parsed = read_file(DATA / "bibtex/python-bibtexparser/encoding.bib")
    assert (parsed.encoding, parsed.warnings) == ("utf-8", [])


@pytest.mark.parametrize(
    ("codec", "expected"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")],
)
def test_utf16_is_recognised_with_or_without_byte_order_mark(tmp_path, codec, expected):
    path = write(tmp_path, "TY  - JOUR\nTI  - Über\nER  - \n".encode(codec))
    parsed = read_file(path)
    assert parsed.encoding == expected
    assert next(parsed.entries()).title == "Über"


def test_pubmed_xml_in_utf16_is_read(tmp_path):
    text = (DATA / "biopython/Entrez/pubmed2.xml").read_text()
    path = write(tmp_path, text.encode("utf-16"))
    parsed = read_file(path)
    assert (parsed.format, parsed.encoding) == ("pubmed-xml", "utf-16")
    assert "Università degli Studi" in next(parsed.entries()).raw


def test_a_byte_that_is_not_utf8_far_into_the_file_switches_to_windows_1252(tmp_path):
    padding = b"N1  - " + b"x" * 100 + b"\n"
    body = RIS.replace(b"ER  - \n", padding * (CHUNK_BYTES // len(padding) + 10) + b"ER  - \n")
    path = write(tmp_path, body + b"TY  - JOUR\nTI  - Caf\xe9\nER  - \n")
    parsed = read_file(path)
    assert parsed.encoding == "cp1252"
    assert "Windows-1252" in parsed.warnings[0]
    assert [e.title for e in parsed.entries()] == ["A title", "Café"]


def test_a_utf8_character_split_across_read_chunks_is_still_utf8(tmp_path):
    prefix = b"TY  - JOUR\nTI  - "
    filler = b"a" * (CHUNK_BYTES - len(prefix) - 1)
    path = write(tmp_path, prefix + filler + "é".encode() + b"\nER  - \n")
    assert read_file(path).encoding == "utf-8"


def test_text_after_the_first_64_kb_is_still_validated(tmp_path):
    path = write(
        tmp_path, RIS * (HEAD_BYTES // len(RIS) + 1) + "TY  - JOUR\nTI  - Ünï\nER  - \n".encode()
    )
    parsed = read_file(path)
    assert (parsed.encoding, parsed.warnings) == ("utf-8", [])
    assert list(parsed.entries())[-1].title == "Ünï"
