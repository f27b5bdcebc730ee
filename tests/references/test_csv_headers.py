"""Tables with the header rows real tools write: one file per tool in tests/data/csv/ (see
MANIFEST.tsv for the header each was reconstructed from). Titles, authors, years and
identifiers are read; the notes column goes to `notes` and every other column no field takes to
`extra`, verbatim, for the screening app to read another tool's decisions from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from references.parsers import ParsedReference, UnreadableEntry, read_file
from references.parsers.text_formats import normalise_column

CSV = Path(__file__).resolve().parents[1] / "data" / "csv"
BIOCHEM_TITLE = (
    "Proximal and distal influences on ligand binding kinetics in microperoxidase and heme "
    "model compounds"
)


def references(name: str) -> list[ParsedReference]:
    parsed = read_file(CSV / name)
    assert parsed.format == "csv"
    entries = list(parsed.entries())
    assert all(isinstance(entry, ParsedReference) for entry in entries), entries
    assert [entry.position for entry in entries] == list(range(1, len(entries) + 1))
    return entries


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("PubMed ID", "pubmedid"),
        ("pubmedID", "pubmedid"),
        ("pubmed_id", "pubmedid"),
        ("Pubmed Id", "pubmedid"),
        ("\ufeffAuthor(s)", "authors"),
        ("Art. No.", "artno"),
        ("UT (Unique WOS ID)", "utuniquewosid"),
        (" Article_Title ", "articletitle"),
    ],
)
def test_column_names_are_compared_by_their_letters_and_digits(header, key):
    assert normalise_column(header) == key


@pytest.mark.parametrize("header", ["PMID", "PubMed ID", "pubmedID", "pubmed_id", "Pubmed Id"])
def test_a_row_holding_a_pmid_alone_is_a_record(tmp_path, header):
    path = tmp_path / "pmids.csv"
    path.write_text(f"{header},Title,Authors\n15170338,,\n,Only a title,\n")
    first, second = list(read_file(path).entries())
    assert isinstance(first, ParsedReference)
    assert (first.pmid, first.title, first.warnings) == ("15170338", "", ["no title"])
    assert second.title == "Only a title"


def test_pubmeds_csv_export_gives_pmid_pmcid_doi_and_a_pmid_only_row():
    first, second = references("pubmed/csv-pubmed-set.csv")
    assert first.title.startswith("Biopython: freely available Python tools")
    assert first.authors[:2] == ["Cock, PJ", "Antao, T"]
    assert (first.year, first.pmid, first.pmcid, first.doi) == (
        2009,
        "19304878",
        "PMC2682512",
        "10.1093/bioinformatics/btp163",
    )
    assert first.extra == {"First Author": "Cock PJ", "Create Date": "2009/03/24"}
    assert (second.pmid, second.title) == ("15170338", "")


def test_a_pubmedID_column_and_a_notes_column_are_read():
    first, second = references("pubmed/pubmedID_table.csv")
    assert (first.title, first.pmid, first.year) == (BIOCHEM_TITLE, "15170339", 2004)
    assert first.authors == ["Cao, W", "Ye, X", "Georgiev, GY"]
    assert first.notes == "from the reference list of a review"
    assert (second.pmid, second.extra) == ("15170338", {})


def test_web_of_science_full_column_names_are_read_and_the_rest_kept():
    first, second = references("wos/savedrecs_full_names.txt")
    assert first.title.startswith("Interactions stabilizing the structure")
    assert (first.journal, first.year, first.pages) == ("BIOCHEMISTRY", 2004, "7003-7016")
    assert (first.doi, first.pmid) == ("10.1021/bi049798f", "15170338")
    assert first.keywords == ["CHEMICALLY SYNTHESIZED POLYPEPTIDES", "IN-VITRO RECONSTITUTION"]
    assert first.extra["UT (Unique WOS ID)"] == "WOS:000221807500019"
    assert first.extra["Times Cited, WoS Core"] == "23"
    assert (second.title, second.authors) == (BIOCHEM_TITLE, ["Cao, Wenxiang", "Ye, Xiong"])


def test_scopus_columns_are_read_and_the_rest_kept():
    first, second = references("scopus/scopus.csv")
    assert first.authors == ["Example, Ana B.", "Sample, Carlos", "Nazzaro, Paolo"]
    assert (first.journal, first.year, first.pages) == (
        "Example Journal of Evidence Synthesis",
        2024,
        "101-115",
    )
    assert (first.doi, first.pmid) == ("10.5555/example.2024.101", "38000001")
    assert first.abstract == "The classifier reached an accuracy of 85.58% on the held-out set."
    assert first.extra["EID"] == "2-s2.0-85000000001"
    assert first.extra["Funding Details"].startswith("National Science Foundation")
    assert (second.pages, second.year) == ("e0042", 2023)


def test_rayyans_export_keeps_its_notes_verbatim():
    first, second = references("rayyan/articles.csv")
    assert (first.title, first.year, first.journal) == (BIOCHEM_TITLE, 2004, "Biochemistry")
    assert first.authors == ["Cao, W", "Ye, X", "Georgiev, G Y"]  # joined with " and "
    assert first.notes == (
        'RAYYAN-INCLUSION: {"Ana"=>"Included", "Carlos"=>"Maybe"} | RAYYAN-LABELS: '
        'heme,kinetics | USER-NOTES: {"Ana"=>["check the methods"]}'
    )
    assert first.extra == {"key": "1", "issn": "0006-2960"}
    assert second.notes.endswith("RAYYAN-EXCLUSION-REASONS: wrong population")


def test_covidences_export_reads_the_accession_number_as_a_pmid_only_when_it_is_one():
    first, second = references("covidence/review_export.csv")
    assert first.authors == ["Cao, W.", "Ye, X.", "Georgiev, G. Y."]
    assert (first.year, first.doi, first.pmid) == (2004, "10.1021/bi0497291", "15170339")
    assert first.notes == "Ana: check the dose"
    assert first.extra == {
        "Published Month": "Jun",
        "Ref": "12",
        "Covidence #": "#101",
        "Study": "Cao 2004",
        "Tags": "Heme; Kinetics",
    }
    assert (second.pmid, second.doi) == ("", "10.1021/bi049798f")  # "WOS:..." is no PMID


def test_an_endnote_table_splits_authors_and_joins_both_notes_fields():
    first, second = references("endnote/endnote_table.txt")
    assert first.authors == ["Cao, W.", "Ye, X.", "Georgiev, G. Y."]
    assert (first.journal, first.year, first.pmid) == ("Biochemistry", 2004, "15170339")
    assert first.publication_types == ["Journal Article"]
    assert first.notes == "Cao, W. Ye, X. Research Support\nscreen again"
    # An Embase accession number is not a PMID.
    assert (second.pmid, second.authors) == ("", ["Exemplar, Tomas", "Muster, Maria"])


def test_zoteros_export_takes_pubmed_ids_from_extra():
    first, second = references("zotero/zotero_export.csv")
    assert first.authors == ["Cao, Wenxiang", "Ye, Xiong", "Georgiev, Georgi Y."]
    assert (first.journal, first.year, first.doi, first.pmid) == (
        "Biochemistry",
        2004,
        "10.1021/bi0497291",
        "15170339",
    )
    assert first.abstract == "We use laser flash photolysis."
    assert first.notes == "<p>Read for the methods.</p>"
    assert first.extra["Extra"] == "PMID: 15170339"
    assert first.extra["Key"] == "ABCD2345"
    assert (second.year, second.pmcid) == (2019, "PMC1234567")  # the year from "Date"


def test_asreviews_export_keeps_its_labels_in_extra():
    first, second, third = references("asreview/asreview_export.csv")
    assert first.authors == ["Cao, Wenxiang", "Ye, Xiong"]  # written as a Python list
    assert (first.keywords, first.year, first.doi) == (
        ["heme", "kinetics"],
        2004,
        "10.1021/bi0497291",
    )
    assert first.extra == {
        "record_id": "0",
        "included": "1",
        "asreview_ranking": "1",
        "exported_notes_1": "relevant: methods",
    }
    assert (second.extra["included"], second.year) == ("0", 2004)
    assert "included" not in third.extra  # not labelled yet


def test_a_row_whose_cells_identify_nothing_is_still_unreadable(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Title,pubmed_id,included\n,,1\n")
    (entry,) = list(read_file(path).entries())
    assert isinstance(entry, UnreadableEntry)


def test_a_table_of_pmids_alone_is_a_list_of_records(tmp_path):
    path = tmp_path / "pmids.csv"
    path.write_text("PMID,Notes\n31452104,\n29363513,seen twice\n")
    entries = list(read_file(path).entries())
    assert [(e.pmid, e.notes) for e in entries] == [("31452104", ""), ("29363513", "seen twice")]
