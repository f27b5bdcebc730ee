"""EndNote XML and CSL-JSON: recognised from the content, read field by field, refused with a
sentence when malformed or unsafe.

The files are real test data of JabRef (EndNote XML) and Better BibTeX (CSL-JSON), and files
reconstructed in the layout of real exports (tests/data/MANIFEST.tsv says which and from where).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from references.parsers import (
    ImportFileError,
    ParsedReference,
    UnreadableEntry,
    csl_json,
    read_file,
)
from references.parsers.detect import detect

DATA = Path(__file__).resolve().parents[1] / "data"
JABREF = DATA / "endnote/jabref"
ENDNOTE = DATA / "endnote/reconstructed/endnote20_pubmed_ovid_embase.xml"
BBT = DATA / "csl-json/zotero-better-bibtex"
ZOTERO = DATA / "csl-json/reconstructed/zotero_csl_json.json"


def entries_of(path: Path, **kwargs) -> list:
    return list(read_file(path, **kwargs).entries())


def references_of(path: Path, **kwargs) -> list[ParsedReference]:
    entries = entries_of(path, **kwargs)
    assert all(isinstance(entry, ParsedReference) for entry in entries), entries
    return entries


def refusal(path: Path, **kwargs) -> str:
    with pytest.raises(ImportFileError) as refused:
        entries_of(path, **kwargs)
    return str(refused.value)


def write(tmp_path: Path, text: str | bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- Recognised from the content, never the name ----------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "file_format"),
    [
        (JABREF / "EndnoteXmlImporterTestArticle2.xml", "library.txt", "endnote-xml"),
        (ENDNOTE, "export.ris", "endnote-xml"),
        (BBT / "pandoc_citation.csl.json", "export.txt", "csl-json"),
        (ZOTERO, "My Library.ris", "csl-json"),
    ],
)
def test_each_format_is_recognised_automatically_whatever_the_file_is_called(
    tmp_path, source, name, file_format
):
    path = write(tmp_path, source.read_bytes(), name)
    parsed = read_file(path)
    assert (parsed.format, parsed.encoding) == (file_format, "utf-8")
    assert read_file(path, format=file_format).format == file_format


@pytest.mark.parametrize(
    ("source", "forced", "words"),
    [
        (ENDNOTE, "pubmed-xml", "You chose PubMed XML, but the file looks like EndNote XML"),
        (ENDNOTE, "ris", "You chose RIS, but the file looks like EndNote XML"),
        (DATA / "biopython/Entrez/pubmed2.xml", "endnote-xml", "looks like PubMed XML"),
        (DATA / "ris/rispy/example_full.ris", "endnote-xml", "looks like RIS"),
        (ZOTERO, "endnote-xml", "You chose EndNote XML, but the file looks like CSL-JSON"),
        (ZOTERO, "bibtex", "You chose BibTeX, but the file looks like CSL-JSON"),
        (DATA / "ris/rispy/example_full.ris", "csl-json", "You chose CSL-JSON, but the file"),
        (DATA / "biopython/Entrez/pubmed2.xml", "csl-json", "looks like PubMed XML"),
    ],
)
def test_a_forced_format_that_does_not_match_says_what_the_file_looks_like(source, forced, words):
    assert words in refusal(source, format=forced)


# --- EndNote XML ------------------------------------------------------------------------------


def test_an_endnote_record_gives_every_field():
    (reference,) = references_of(JABREF / "EndnoteXmlImporterTestArticle.xml")
    assert reference.title == (
        "Trends in the lifetime risk of developing cancer in Great Britain: comparison of risk "
        "for those born from 1930 to 1960"
    )
    assert reference.authors == ["Ahmad, AS", "Ormiston-Smith, N", "Sasieni, PD"]
    assert (reference.journal, reference.year) == ("Br J Cancer", 2015)
    assert (reference.volume, reference.issue, reference.pages) == ("112", "5", "943-7")
    assert reference.doi == "10.1038/bjc.2014.606"
    # No database is named, but the record links to its PubMed page.
    assert reference.pmid == "25647015"
    assert reference.abstract == "test abstract"
    assert "Neoplasms/*epidemiology" in reference.keywords and len(reference.keywords) == 13
    # The PDF attachment is a path on the exporter's computer, not a link.
    assert reference.urls == ["http://www.ncbi.nlm.nih.gov/pubmed/25647015"]
    assert reference.notes.startswith("Ahmad, A S\nOrmiston-Smith, N\nSasieni, P D\neng\n")
    assert reference.publication_types == ["Journal Article"]
    assert reference.raw.startswith("<record>") and reference.raw.endswith("</record>")


def test_an_endnote_library_imports_every_record_with_its_ids():
    pubmed, ovid_medline, ovid_embase, chapter = references_of(ENDNOTE)
    # From PubMed through EndNote: the provider is NLM, the PMCID is in Custom 2.
    assert (pubmed.pmid, pubmed.pmcid, pubmed.doi) == (
        "38501234",
        "PMC10987654",
        "10.1111/tmi.13999",
    )
    assert pubmed.authors == ["Okafor, C. N.", "Lindqvist, M.", "Tanaka, H."]
    assert (pubmed.journal, pubmed.year, pubmed.language) == ("Trop Med Int Health", 2024, "eng")
    assert [section.label for section in pubmed.abstract_sections] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert pubmed.registry_ids == ["NCT01234567"]  # from the abstract
    # From Ovid MEDLINE: the accession number is the PMID; the type of work lists PT values.
    assert ovid_medline.pmid == "9512345"
    assert ovid_medline.publication_types == [
        "Journal Article",
        "Clinical Trial",
        "Randomized Controlled Trial",
    ]
    assert ovid_medline.keywords[1] == "Cholera/th [Therapy]"
    # From Ovid Embase: the accession number is Embase's, not a PMID; the DOI is an address.
    assert (ovid_embase.pmid, ovid_embase.doi) == ("", "10.5555/gmr.2021.1002")
    assert ovid_embase.title == (
        "Probiotic Lactobacillus rhamnosus GG for antibiotic-associated diarrhoea"
    )
    # A book section with editors only: they stand as its names; a corporate name loses
    # EndNote's trailing comma.
    assert chapter.authors == ["Müller, Jörg", "World Health Organization"]
    assert chapter.journal == "Handbook of Childhood Diarrhoea"
    assert chapter.urls == ["https://example.org/handbook/chapter-5"]


def test_endnote_notes_labels_and_custom_fields_are_kept_for_the_screening_app():
    pubmed, _, _, chapter = references_of(ENDNOTE)
    assert pubmed.notes.splitlines()[:2] == ["1365-3156", "Okafor, Chidi N"]
    assert pubmed.extra == {
        "label": "Include",
        "research-notes": "Reviewer 1: include\nReviewer 2: include",
        "custom1": "The authors declare no conflicts of interest.",
        "custom2": "PMC10987654",
    }
    assert chapter.extra == {"custom3": "Screened: excluded (wrong population)"}


def test_endnote_style_runs_are_joined_and_web_of_science_numbers_are_not_pmids():
    first, book, skua = references_of(JABREF / "EndnoteXmlImporterTestLabelAndMultiTitle.xml")
    assert (
        skua.title
        == "A demographic study of the south polar skua Catharacta maccormicki at Cape Crozier"
    )
    assert skua.extra == {"label": "B4"}
    assert first.pmid == "" and first.urls == []  # ISI:000200148800007, <Go to ISI>://...
    assert (book.publication_types, book.notes) == (["Book"], "some other notes")


def test_an_endnote_record_that_identifies_nothing_is_unreadable(tmp_path):
    path = write(tmp_path, "<?xml version='1.0'?><xml><records><record/></records></xml>")
    (entry,) = entries_of(path)
    assert isinstance(entry, UnreadableEntry) and entry.position == 1


def test_an_endnote_library_without_records_is_refused(tmp_path):
    path = write(tmp_path, '<?xml version="1.0" encoding="UTF-8" ?><xml><records></records></xml>')
    assert "No records were found in the file, although it looks like EndNote XML" in refusal(path)


def test_an_endnote_library_in_utf16_is_read(tmp_path):
    text = ENDNOTE.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = write(tmp_path, text.encode("utf-16"))
    assert read_file(path).format == "endnote-xml"
    assert references_of(path)[3].authors[0] == "Müller, Jörg"


def test_a_truncated_endnote_file_streams_the_records_before_the_cut(tmp_path):
    text = ENDNOTE.read_text(encoding="utf-8")
    path = write(tmp_path, text[: text.index("</record>") + 500])
    entries = read_file(path).entries()
    assert next(entries).pmid == "38501234"
    with pytest.raises(ImportFileError, match="middle of a record: it looks truncated"):
        next(entries)


def test_a_damaged_endnote_file_says_where(tmp_path):
    text = (JABREF / "EndnoteXmlImporterTestArticle2.xml").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace("</volume>", "</volumen>", 1))
    assert "The XML is damaged at line 59" in refusal(path)


ENDNOTE_BOMB = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><records><record><ref-type name="Journal Article">17</ref-type>
<titles><title>&lol9;</title></titles></record></records></xml>
"""
ENDNOTE_XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<xml><records><record><titles><title>&xxe;</title></titles></record></records></xml>
"""


@pytest.mark.parametrize("file_format", ["auto", "endnote-xml"])
def test_an_endnote_xml_bomb_is_refused_before_parsing(tmp_path, file_format):
    path = write(tmp_path, ENDNOTE_BOMB, "bomb.xml")
    with pytest.raises(ImportFileError, match="declares entities"):
        read_file(path, format=file_format)


def test_an_endnote_file_with_an_external_entity_never_reads_the_local_file(tmp_path):
    path = write(tmp_path, ENDNOTE_XXE, "xxe.xml")
    message = refusal(path, format="endnote-xml")
    assert "declares entities" in message and "root:" not in message


def test_an_entity_the_parser_meets_unexpanded_is_left_out_never_resolved(tmp_path):
    # Past detection (which refuses DOCTYPE entities), lxml's options still resolve nothing.
    path = write(
        tmp_path,
        '<?xml version="1.0"?>\n<!DOCTYPE xml SYSTEM "file:///etc/passwd">\n'
        "<xml><records><record><titles><title>A &amp; B &xxe; C</title></titles>"
        "</record></records></xml>\n",
    )
    try:
        text = repr(entries_of(path))
    except ImportFileError as refused:
        text = str(refused)
    assert "root:" not in text


# --- CSL-JSON ---------------------------------------------------------------------------------


def test_a_zotero_csl_json_export_imports_every_item_with_its_ids():
    trial, cholera, report, chapter = references_of(ZOTERO)
    assert trial.title.startswith("Zinc supplementation for acute diarrhoea")
    assert trial.authors == ["Okafor, Chidi N.", "Lindqvist, Maria", "van den Berg, Anna"]
    assert (trial.journal, trial.year) == ("Tropical Medicine & International Health", 2024)
    assert (trial.volume, trial.issue, trial.pages) == ("29", "5", "412-421")
    assert (trial.doi, trial.pmid, trial.pmcid) == ("10.1111/tmi.13999", "38501234", "PMC10987654")
    assert trial.abstract.startswith("Background: Zinc is recommended")
    assert (trial.language, trial.publication_types) == ("eng", ["article-journal"])
    # An older Zotero keeps the PMID in Extra, which CSL-JSON calls note.
    assert (cholera.pmid, cholera.notes) == ("9512345", "PMID: 9512345")
    assert cholera.title.endswith("adults with Vibrio cholerae infection")  # <i> removed
    assert report.authors == ["World Health Organization"]  # a literal name
    assert report.urls == ["https://example.org/who/diarrhoea-manual"]
    assert (chapter.authors, chapter.journal) == (
        ["Müller, Jörg"],
        "Handbook of Childhood Diarrhoea",
    )


def test_csl_rich_text_markup_and_date_ranges_are_read():
    adams, berndt, dunning, wordsworth = references_of(BBT / "pandoc_citation.csl.json")
    assert (
        adams.title
        == "The physical volcanology of the 1600 eruption of Huaynaputina, southern Peru"
    )
    assert (adams.year, adams.pages) == (2014, "493-518")  # the start of the range
    assert berndt.title.startswith("Skizze zur Auslegungsgeschichte der Bücher Prouerbia und")
    assert berndt.doi == "10.1484/j.se.2.303788"
    assert dunning.title.endswith(
        "Collecta ex diuersis auditis in scola magistri Willelmi de Monte"
    )
    assert wordsworth.authors == ["Wordsworth, John"]  # the editor, as there is no author
    assert "(g1)" in wordsworth.title


def test_csl_years_written_as_strings_and_unicode_escapes_are_read():
    (reference,) = references_of(BBT / "range_sign_3327.csl.json")
    assert (reference.year, reference.issue) == (2023, "7–8")
    assert reference.title.endswith("China’s neighborhood")
    assert reference.journal == "Eurasian Geography and Economics"


def test_csl_items_without_author_take_other_names_and_one_without_title_warns():
    entries = references_of(BBT / "creator_fields_365_825.csl.json")
    assert [entry.authors[:1] for entry in entries[2:4]] == [["Doe, John"], ["Xxx"]]
    assert entries[3].warnings == ["no title"]
    assert entries[0].publication_types == ["report", "working paper"]


def test_each_csl_item_keeps_its_own_text():
    entries = references_of(ZOTERO)
    items = json.loads(ZOTERO.read_text(encoding="utf-8"))
    assert [json.loads(entry.raw) for entry in entries] == items


@pytest.mark.parametrize("chunk", [7, 64, 1000])
def test_csl_items_cut_across_read_buffers_are_read_whole(monkeypatch, chunk):
    expected = references_of(BBT / "pandoc_citation.csl.json")
    monkeypatch.setattr(csl_json, "CHUNK_CHARS", chunk)
    assert references_of(BBT / "pandoc_citation.csl.json") == expected


def test_a_csl_item_larger_than_any_reference_is_refused(monkeypatch):
    monkeypatch.setattr(csl_json, "CHUNK_CHARS", 16)
    monkeypatch.setattr(csl_json, "MAX_ITEM_CHARS", 100)
    assert "larger than any reference" in refusal(ZOTERO)


def test_a_first_item_longer_than_the_detected_head_is_still_csl_json(tmp_path):
    item = {"type": "article-journal", "title": "Long", "abstract": "word " * 30_000}
    path = write(tmp_path, json.dumps([item, {"type": "book", "title": "Short"}]))
    assert detect(path).format == "csl-json"
    assert [entry.title for entry in references_of(path)] == ["Long", "Short"]


def test_a_value_in_the_list_that_is_not_an_item_is_unreadable(tmp_path):
    path = write(tmp_path, '[{"type": "book", "title": "A"}, 42, "text"]')
    first, number, text = entries_of(path)
    assert first.title == "A"
    assert isinstance(number, UnreadableEntry) and "holds a int" in number.reason
    assert (number.position, number.excerpt, text.position) == (2, "42", 3)


def test_a_truncated_csl_json_file_streams_the_items_before_the_cut(tmp_path):
    text = ZOTERO.read_text(encoding="utf-8")
    path = write(tmp_path, text[: len(text) * 2 // 3])
    entries = read_file(path).entries()
    assert next(entries).pmid == "38501234"
    assert next(entries).pmid == "9512345"
    with pytest.raises(ImportFileError, match="ends in the middle of an item: it looks truncated"):
        next(entries)


def test_a_csl_json_list_without_its_end_is_truncated(tmp_path):
    path = write(tmp_path, '[{"type": "book", "title": "A"},\n {"type": "book", "title": "B"}\n')
    entries = read_file(path).entries()
    assert [next(entries).title, next(entries).title] == ["A", "B"]
    with pytest.raises(ImportFileError, match="truncated"):
        next(entries)


def test_a_damaged_csl_json_file_says_where(tmp_path):
    path = write(
        tmp_path,
        '[\n  {"type": "book", "title": "A"}\n  {"type": "book", "title": "B"}\n]\n',
    )
    message = refusal(path)
    assert message.startswith("The JSON is damaged at line 3: a comma or the end of the list")


def test_a_csl_item_with_a_damaged_value_says_where(tmp_path):
    path = write(tmp_path, '[\n{"type": "book",\n "title": "A",\n "volume": 12a}\n]\n')
    assert "The JSON is damaged at line 4" in refusal(path)


# --- JSON that is not CSL-JSON: refused with its sentence -------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ('{"records": [{"title": "A"}]}', "it holds one object, not a list of items"),
        ('[{"title": "A", "authors": "Doe J"}]', "its list does not hold CSL items"),
        ("[]", "its list is empty"),
        ("[1, 2, 3]", "its list does not hold CSL items"),
        ('[{"type": "Feature", "geometry": {"type": "Point"}}]', "does not hold CSL items"),
    ],
)
def test_json_that_is_not_csl_json_is_refused_with_a_sentence(tmp_path, data, words):
    message = refusal(write(tmp_path, data, "data.json"))
    assert message.startswith("This is a JSON file, but not CSL-JSON: ")
    assert words in message
    assert "Zotero's and Mendeley's “CSL JSON” export" in message
    assert "CSL-JSON" in message and "EndNote XML" in message  # the formats that can be


def test_json_that_is_not_csl_json_is_refused_when_csl_json_was_chosen(tmp_path):
    message = refusal(write(tmp_path, '{"title": "A"}'), format="csl-json")
    assert message.startswith("You chose CSL-JSON, but this JSON file is not CSL-JSON")
