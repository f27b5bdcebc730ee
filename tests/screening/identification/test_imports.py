"""Importing files into a review: counts, exact duplicates, refusals, and all-or-nothing."""

import pytest

from references.models import Reference
from references.parsers.base import ImportFileError
from screening.constants import AuditAction, DuplicateRule, SourceKind
from screening.identification import imports
from screening.identification.imports import (
    ImportRefused,
    import_preview,
    references_import,
    source_get_or_create,
)
from screening.models import AuditEvent, Record, Search
from tests.references.test_parsers import CORPUS

pytestmark = pytest.mark.django_db

MEDLINE = "biopython/Medline/pubmed_result2.txt"  # 4 records (Bio.Medline.parse)
PUBMED_XML = "biopython/Entrez/pubmed2.xml"  # 2 articles (Bio.Entrez.read)

RIS_TWO = """TY  - JOUR
TI  - Ivonescimab plus chemotherapy in non-small cell lung cancer with EGFR variant
AU  - Fang, Wenfeng
PY  - 2024
DO  - 10.1001/jama.2024.10613
ER  -

TY  - JOUR
TI  - Ivonescimab versus pembrolizumab for PD-L1-positive non-small cell lung cancer
AU  - Xiong, Anwen
PY  - 2025
ER  -
"""


def _import(review, owner, path, source="PubMed", kind=SourceKind.DATABASE, **kwargs):
    src = source_get_or_create(review=review, name=source, kind=kind, user=owner)
    return references_import(
        review=review, source=src, path=path, file_name=path.name, user=owner, **kwargs
    )


def test_a_medline_file_becomes_a_search_with_its_counts(review, owner, data_path):
    search = _import(review, owner, data_path / MEDLINE)
    assert (search.entries, search.records_count, search.references_created) == (4, 4, 4)
    assert (search.duplicates, search.unreadable) == (0, 0)
    assert search.file_format == "medline"
    assert len(search.file_sha256) == 64
    assert Record.objects.filter(search=search).count() == 4
    event = AuditEvent.objects.get(review=review, action=AuditAction.IMPORT)
    assert event.after["records"] == 4 and event.actor == owner


def test_the_same_file_twice_into_one_source_is_refused(review, owner, data_path):
    _import(review, owner, data_path / MEDLINE)
    with pytest.raises(ImportRefused, match="imported into PubMed already"):
        _import(review, owner, data_path / MEDLINE)
    assert Search.objects.filter(review=review).count() == 1


def test_the_same_file_again_when_asked_makes_duplicate_records_only(review, owner, data_path):
    _import(review, owner, data_path / MEDLINE)
    again = _import(review, owner, data_path / MEDLINE, allow_same_file=True)
    assert (again.records_count, again.references_created, again.duplicates) == (4, 0, 4)
    rules = set(Record.objects.filter(search=again).values_list("duplicate_rule", flat=True))
    assert rules == {DuplicateRule.PMID}
    assert Reference.objects.filter(records__review=review).distinct().count() == 4


def test_records_matching_by_doi_attach_to_the_existing_reference(review, owner, tmp_path):
    first = tmp_path / "embase.ris"
    first.write_text(RIS_TWO)
    second = tmp_path / "scopus.ris"
    second.write_text(
        RIS_TWO.replace("Fang, Wenfeng", "Fang, W.").replace("PY  - 2025", "PY  - 2024")
    )
    _import(review, owner, first, source="Embase")
    search = _import(review, owner, second, source="Scopus")
    records = Record.objects.filter(search=search).order_by("position")
    assert [r.duplicate_rule for r in records] == [DuplicateRule.DOI, ""]
    assert (search.references_created, search.duplicates) == (1, 1)


def test_title_year_and_first_author_together_make_an_exact_duplicate(review, owner, tmp_path):
    path = tmp_path / "a.ris"
    path.write_text(RIS_TWO)
    other = tmp_path / "b.ris"
    other.write_text(RIS_TWO.replace("DO  - 10.1001/jama.2024.10613\n", "").upper())
    _import(review, owner, path, source="Embase")
    search = _import(review, owner, other, source="CENTRAL")
    rules = list(
        Record.objects.filter(search=search)
        .order_by("position")
        .values_list("duplicate_rule", flat=True)
    )
    assert rules == [DuplicateRule.TITLE_YEAR_AUTHOR, DuplicateRule.TITLE_YEAR_AUTHOR]


def test_a_title_alone_never_merges(review, owner, tmp_path):
    path = tmp_path / "a.ris"
    path.write_text("TY  - JOUR\nTI  - Editorial\nER  -\n\nTY  - JOUR\nTI  - Editorial\nER  -\n")
    search = _import(review, owner, path)
    assert (search.references_created, search.duplicates) == (2, 0)


def test_duplicates_within_one_file_attach_to_the_first(review, owner, tmp_path):
    path = tmp_path / "twice.ris"
    path.write_text(RIS_TWO + "\n" + RIS_TWO.split("\n\n")[0] + "\n")
    search = _import(review, owner, path)
    assert (search.records_count, search.references_created, search.duplicates) == (3, 2, 1)
    duplicate = Record.objects.get(search=search, position=3)
    first = Record.objects.get(search=search, position=1)
    assert duplicate.reference_id == first.reference_id
    assert duplicate.raw, "a duplicate keeps its own source entry"


def test_reviews_never_share_reference_rows(review, other_review, owner, data_path):
    _import(review, owner, data_path / MEDLINE)
    search = _import(other_review, owner, data_path / MEDLINE)
    assert search.references_created == 4
    assert Reference.objects.count() == 8


def test_unreadable_entries_refuse_the_import_and_list_them(review, owner, tmp_path):
    path = tmp_path / "bad.ris"
    path.write_text(
        RIS_TWO + "\nTY  - JOUR\nN1  - a note with nothing that identifies a work\nER  -\n"
    )
    with pytest.raises(ImportRefused) as refused:
        _import(review, owner, path)
    assert "entry 3" in str(refused.value)
    assert not Search.objects.filter(review=review).exists()
    assert not Reference.objects.exists()


def test_skip_unreadable_imports_the_rest_and_keeps_the_skipped_on_the_search(
    review, owner, tmp_path
):
    path = tmp_path / "bad.ris"
    path.write_text(
        RIS_TWO + "\nTY  - JOUR\nN1  - a note with nothing that identifies a work\nER  -\n"
    )
    search = _import(review, owner, path, skip_unreadable=True)
    assert (search.entries, search.records_count, search.unreadable) == (3, 2, 1)
    assert search.unreadable_entries[0]["position"] == 3


def test_a_file_with_no_records_is_refused(review, owner, tmp_path):
    path = tmp_path / "empty.ris"
    path.write_text("")
    with pytest.raises(ImportFileError, match="empty"):
        _import(review, owner, path)


def test_an_import_that_fails_part_way_leaves_no_rows(
    review, owner, data_path, tmp_path, monkeypatch
):
    """A truncated XML file fails after the first batch was inserted: nothing may remain."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    text = (data_path / PUBMED_XML).read_text()
    cut = text.index("</PubmedArticle>") + len("</PubmedArticle>") + 200
    path = tmp_path / "truncated.xml"
    path.write_text(text[:cut])
    with pytest.raises(ImportFileError, match="truncated"):
        _import(review, owner, path)
    assert not Reference.objects.exists()
    assert not Record.objects.exists()
    assert not Search.objects.exists()


def test_a_source_keeps_its_kind(review, owner):
    source_get_or_create(
        review=review, name="ClinicalTrials.gov", kind=SourceKind.REGISTER, user=owner
    )
    with pytest.raises(ImportRefused, match="register source"):
        source_get_or_create(
            review=review, name="clinicaltrials.gov", kind=SourceKind.WEBSITE, user=owner
        )


def test_preview_counts_what_is_new_and_writes_nothing(review, owner, data_path):
    _import(review, owner, data_path / MEDLINE)
    preview = import_preview(path=data_path / MEDLINE, review=review)
    assert (preview.entries, preview.records, preview.already_in_review) == (4, 4, 4)
    assert preview.format == "medline"
    assert preview.sample[0]["title"]
    assert Search.objects.count() == 1


@pytest.mark.parametrize(("name", "file_format", "count", "unreadable"), CORPUS)
def test_every_corpus_file_imports_with_the_count_its_own_tool_reports(
    review, owner, data_path, name, file_format, count, unreadable
):
    path = data_path / name
    if count == unreadable:
        with pytest.raises(ImportRefused, match="none of its"):
            _import(review, owner, path, skip_unreadable=True)
        return
    search = _import(review, owner, path, skip_unreadable=True)
    assert search.file_format == file_format
    assert (search.entries, search.unreadable) == (count, unreadable)
    assert search.records_count == count - unreadable
    assert search.records_count == search.references_created + search.duplicates
    assert Record.objects.filter(search=search).count() == search.records_count
