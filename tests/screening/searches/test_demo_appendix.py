"""The demo's search appendix and PRISMA-S checklist, built from what `load_demo` records: the
worked example's searches carry what the article states (its three databases, its eligibility
limits, the dates it gives for the web pages it cites), and the checklist lists what it does
not (the database search terms and date); the import demo's files say they are demo data."""

from __future__ import annotations

import io
from io import StringIO

import docx
import pytest
from django.core.management import call_command

from screening.models import Review
from screening.searches.appendix import appendix_build, appendix_markdown
from screening.searches.prisma_s import MISSING, NONE, PARTLY, REPORTED
from screening.searches.word import appendix_docx
from tests.module_data import module_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module (tests/module_data.py); its media folder."""
    with module_transaction(django_db_blocker, tmp_path_factory, "demo") as media:
        call_command("load_demo", stdout=StringIO(), stderr=StringIO())
        yield media


@pytest.fixture
def demo(db, settings, demo_module):
    settings.MEDIA_ROOT = str(demo_module)
    return Review.objects.get(slug="ivonescimab")


def test_the_worked_examples_appendix_carries_what_the_article_states(demo):
    appendix = appendix_build(demo)
    databases, trials, company = (entry.search for entry in appendix.entries)
    assert databases.source.name == "PubMed, Google Scholar and ScienceDirect (combined)"
    assert databases.platform == "PubMed; Google Scholar; ScienceDirect"
    assert "2024 and 2025" in databases.limits and databases.searched_on is None
    assert (trials.platform, f"{trials.searched_on}") == ("ClinicalTrials.gov", "2025-07-18")
    assert f"{company.searched_on}" == "2025-09-06" and "references 4, 8 and 15" in company.notes

    text = appendix_markdown(appendix)
    assert (
        "| S1 | PubMed, Google Scholar and ScienceDirect (combined) | Database | "
        "PubMed; Google Scholar; ScienceDirect | not given | 133 | 0 |"
    ) in text
    assert (
        "| S2 | ClinicalTrials.gov | Website | ClinicalTrials.gov | 18 Jul 2025 | 2 | 0 |" in text
    )
    assert (
        "| S3 | Summit Therapeutics website | Website |" in text and "06 Sep 2025 | 3 | 0 |" in text
    )
    assert "| All |  |  |  |  | 138 | 0 |" in text
    assert "NCT05899608" in text


def test_the_worked_examples_checklist_says_what_is_reported_and_what_is_missing(demo):
    appendix = appendix_build(demo)
    checklist = {item.number: item for item in appendix.checklist}
    assert {n: checklist[n].status for n in (1, 4, 8, 9, 12, 13, 15, 16)} == {
        1: REPORTED, 4: REPORTED, 8: MISSING, 9: PARTLY, 12: NONE, 13: PARTLY, 15: REPORTED,
        16: REPORTED,
    }  # fmt: skip
    assert checklist[1].reported == [
        "S1 (PubMed, Google Scholar and ScienceDirect (combined)): "
        "PubMed; Google Scholar; ScienceDirect"
    ]
    assert checklist[15].reported == [
        "PubMed, Google Scholar and ScienceDirect (combined): 133 records (S1)",
        "ClinicalTrials.gov: 2 records (S2)",
        "Summit Therapeutics website: 3 records (S3)",
        "In all: 138 records from 3 searches",
    ]
    assert "Item 13: 1 of 3 searches gives no date: S1 (PubMed, Google Scholar and ScienceDirect " \
        "(combined))" in appendix.missing  # fmt: skip
    assert any(
        gap.startswith("Item 8: all 3 searches give no strategy") for gap in appendix.missing
    )
    # The DOCX holds the same checklist.
    document = docx.Document(io.BytesIO(appendix_docx(appendix)))
    table = document.tables[-1]
    assert [row.cells[3].text for row in table.rows[1:]][12] == "Partly reported"


def test_the_import_demos_files_say_they_are_demo_data(demo):
    appendix = appendix_build(Review.objects.get(slug="import-demo"))
    assert len(appendix.entries) == 7
    assert all(entry.search.notes.startswith("Demo data: ") for entry in appendix.entries)
    pubmed = [e.search for e in appendix.entries if e.search.source.name == "PubMed"]
    assert {search.platform for search in pubmed} == {"PubMed"}
    assert "biopython/biopython's test file Tests/Entrez/pubmed1.xml" in appendix_markdown(appendix)
