"""Web of Science tagged exports (plain text and .ciw): every record is read, whatever tags it
carries. Files in tests/data/wos/ (see MANIFEST.tsv): current Core Collection exports with
Z8/ZR/ZB/ZS/ZA/WE, a Zoological Record and CAB Abstracts .ciw (BOM, CRLF, AN/AW/BD/NT/OR/PS/
ST/TN/UR/CC/CN), a BIOSIS record whose further lines are not indented.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rispy

from references.parsers import ParsedReference, read_file
from references.parsers.wos import WosTags

DATA = Path(__file__).resolve().parents[1] / "data"
WOS = DATA / "wos/reconstructed"


def references(name: str) -> list[ParsedReference]:
    parsed = read_file(WOS / name)
    assert parsed.format == "wos"
    entries = list(parsed.entries())
    assert all(isinstance(entry, ParsedReference) for entry in entries), entries
    return entries


@pytest.mark.parametrize(
    "name", ["savedrecs_current_tags.txt", "zoological_record.ciw", "biosis_unindented.txt"]
)
def test_rispy_refuses_these_files_for_a_tag_outside_its_list(name):
    """The failure this reader replaces: rispy's WokParser has no "UK" (unknown tag) name."""
    text = (WOS / name).read_text(encoding="utf-8-sig")
    with pytest.raises(KeyError, match="UK"):
        rispy.WokParser().parse_lines(iter(text.splitlines()))


def test_a_current_export_with_unknown_tags_imports_every_record():
    first, second = references("savedrecs_current_tags.txt")
    assert first.title.startswith("Interactions stabilizing the structure of the core")
    assert (first.year, first.pages, first.pmid) == (2004, "7003-7016", "15170338")
    assert (first.doi, first.journal) == ("10.1021/bi049798f", "BIOCHEMISTRY")
    # The unknown tags are not lost: they stay in the record's own text.
    for line in ("Z8 0", "ZR 0", "ZB 4", "ZS 0", "ZA 0", "WE Science Citation Index"):
        assert line in first.raw
    assert first.raw.startswith("PT J") and first.raw.endswith("ER")


def test_an_email_in_brackets_after_an_author_name_is_dropped():
    second = references("savedrecs_current_tags.txt")[1]
    assert second.authors == ["Example, Ana B.", "Sample, Carlos", "Example Study Group"]
    assert "(ana.example@example.edu)" in second.raw
    assert (second.pages, second.year) == ("e0012", 2024)
    assert second.publication_types == ["Article", "Early Access"]


def test_a_zoological_record_and_cab_ciw_file_with_bom_and_crlf_is_read():
    parsed = read_file(WOS / "zoological_record.ciw")
    assert parsed.encoding == "utf-8-sig"
    zoological, cab = references("zoological_record.ciw")
    assert zoological.title == (
        "A new species of Examplea (Coleoptera: Carabidae) from the Andes: a reconstructed "
        "Zoological Record test record"
    )
    assert (zoological.authors, zoological.pages, zoological.year) == (
        ["Exemplar, T", "Muster, M"],
        "201-214",
        2019,
    )
    for tag in ("AN", "AW", "BD", "NT", "OR", "ST", "TN", "UR"):
        assert f"\n{tag} " in zoological.raw
    assert (cab.pages, cab.keywords) == ("170", ["anaesthesia", "halothane", "pharmacokinetics"])
    assert "\nCC LL900" in cab.raw and "\nCN 151-67-7" in cab.raw


def test_a_biosis_record_with_unindented_continuation_lines_is_read_whole():
    (record,) = references("biosis_unindented.txt")
    assert record.title == (
        "Methane-derived carbon as a resource for benthic consumers: a reconstructed "
        "BIOSIS test record"
    )
    assert record.authors == ["Example, Cassandra A.", "Sample, Anne E."]
    assert record.abstract.endswith(
        "About 85% of the consumers' carbon came from CH4-derived sources."
    )
    assert (record.pages, record.doi) == ("221-230", "10.5555/example.2013.1232")


def test_every_tag_of_a_record_is_read_and_kept_line_by_line():
    (record,) = WosTags.parse_lines(
        [
            "PT J",
            "AU Doe, J",
            "   Roe, R (r.roe@example.org)",
            "TI A title on",
            "   two lines",
            "Q9 a tag no list has",
            "ZZ",
            "ER",
        ]
    )
    assert record == {
        "PT": ["J"],
        "AU": ["Doe, J", "Roe, R (r.roe@example.org)"],
        "TI": ["A title on", "two lines"],
        "Q9": ["a tag no list has"],
        "ZZ": [""],
    }


def test_the_rispy_wos_sample_still_gives_its_two_records():
    first, second = list(read_file(DATA / "ris/rispy/example_wos.ris").entries())
    assert first.authors[0] == "Parkes-Loach, PS" and second.authors[0] == "Cao, WX"
    assert (first.pmid, second.pmid) == ("15170338", "15170339")
