"""The search appendix (Markdown, DOCX, the page, the command) and the PRISMA-S checklist filled in
from the searches' documentation: what each item reports, where, and what is still missing."""

from __future__ import annotations

import datetime
import io
import json
from io import StringIO

import docx
import pytest
from django.core.management import call_command
from django.urls import reverse

from screening.constants import SourceKind
from screening.identification.search_documentation import search_document_update
from screening.searches.appendix import appendix_build, appendix_markdown
from screening.searches.prisma_s import DATA, MISSING, NONE, PARTLY, REPORTED, checklist_data
from screening.searches.word import DOCX_TYPE, appendix_docx
from tests.screening.identification.test_imports import RIS_TWO

pytestmark = pytest.mark.django_db

STRATEGY = "1. exp Lung Neoplasms/\n2. (ivonescimab or AK112 or `SMT112`).mp.\n3. 1 and 2"

RIS_OTHER = """TY  - JOUR
TI  - A phase 2 study of ivonescimab in small cell lung cancer
AU  - Li, Wei
PY  - 2024
ER  -
"""


@pytest.fixture
def searches(review, owner, import_text):
    """A documented MEDLINE search, an Embase search with no documentation (one of its two
    records a duplicate of MEDLINE's), and a website."""
    medline = import_text(
        RIS_TWO, name="medline.ris", source="MEDLINE",
        search_details={
            "platform": "Ovid", "searched_on": "2025-03-14", "searched_by": "Hilde",
            "strategy": STRATEGY, "limits": "None",
            "notes": "Strategy peer reviewed (PRESS). Adapted from Smith 2024.",
        },
    )  # fmt: skip
    embase = import_text(RIS_TWO.split("ER  -")[0] + "ER  -\n" + RIS_OTHER, source="Embase")
    site = import_text(
        RIS_OTHER, name="site.ris", source="Company website", kind=SourceKind.WEBSITE,
        allow_same_file=True,
    )  # fmt: skip
    return medline, embase, site


def items(appendix) -> dict[int, object]:
    return {item.number: item for item in appendix.checklist}


def test_the_checklist_data_is_the_16_items_with_their_citation_and_licence():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert [item["number"] for item in data["items"]] == list(range(1, 17))
    assert data["licence"] == "CC BY 4.0" and "Rethlefsen ML" in data["citation"]
    assert data["doi"] == "10.1186/s13643-020-01542-z"
    assert data["items"][7]["text"].endswith("copied and pasted exactly as run.")
    assert checklist_data() == data


def test_each_item_says_what_the_searches_report_and_what_is_missing(review, searches):
    checklist = items(appendix_build(review))
    assert [checklist[n].status for n in range(1, 17)] == [
        PARTLY, NONE, NONE, MISSING, NONE, NONE, NONE, PARTLY,
        PARTLY, MISSING, REPORTED, NONE, PARTLY, REPORTED, REPORTED, REPORTED,
    ]  # fmt: skip
    assert checklist[1].reported == ["S1 (Embase): no platform given", "S2 (MEDLINE): Ovid"]
    assert checklist[1].missing == ["1 of 2 database searches gives no platform: S1 (Embase)"]
    assert checklist[4].missing == [
        "the website search says nothing of how it was done: S3 (Company website)"
    ]
    assert checklist[13].missing == [
        "2 of 3 searches give no date: S1 (Embase), S3 (Company website)"
    ]
    assert checklist[13].reported == ["S2 (MEDLINE): 14 Mar 2025"]
    assert checklist[14].reported == [
        "S2 (MEDLINE), notes: Strategy peer reviewed (PRESS). Adapted from Smith 2024."
    ]
    assert checklist[15].reported[-1] == "In all: 5 records from 3 searches"
    assert (
        "2 of 5 records (same DOI: 1, same title, year and first author: 1)"
        in (checklist[16].reported[0])
    )
    assert checklist[13].where == "Search appendix: each search's date searched"


def test_an_empty_review_misses_what_only_searches_can_report(review):
    appendix = appendix_build(review)
    checklist = items(appendix)
    assert checklist[8].missing == ["no search is recorded yet"]
    assert checklist[1].status == NONE
    assert "Item 15: no search is recorded yet" in appendix.missing
    assert "Review `ivonescimab`; 0 searches, 0 records." in appendix_markdown(appendix)


def test_documenting_a_search_closes_its_gaps(review, owner, searches):
    medline, embase, site = searches
    for search, platform in ((embase, "Ovid"), (site, "The company's site")):
        search_document_update(
            search=search, user=owner, platform=platform, strategy="ivonescimab",
            searched_on=datetime.date(2025, 3, 15), limits="None",
        )  # fmt: skip
    appendix = appendix_build(review)
    assert not [g for g in appendix.missing if g.startswith(("Item 1:", "Item 8:", "Item 13:"))]
    checklist = items(appendix)
    assert (checklist[2].status, checklist[2].reported) == (REPORTED, ["Ovid: Embase, MEDLINE"])
    assert checklist[4].reported == ["S3 (Company website): ivonescimab"]


def test_the_markdown_prints_each_strategy_exactly_and_the_counts(review, searches):
    text = appendix_markdown(appendix_build(review))
    assert text.startswith("# Search appendix: ")
    assert "| S2 | MEDLINE | Database | Ovid | 14 Mar 2025 | 2 | 0 |" in text
    assert "| All |  |  |  |  | 5 | 2 |" in text
    # The strategy in a fence its own backticks cannot close, every line as given.
    assert "```text\n" + STRATEGY + "\n```" in text
    assert "- **Records:** 2 (1 new references, 1 duplicates; 0 entries unreadable)" in text
    assert "## PRISMA-S checklist" in text and "### Still missing" in text
    assert "- Item 13: 2 of 3 searches give no date" in text
    assert "CC BY 4.0" in text and "10.1186/s13643-020-01542-z" in text


def test_the_docx_holds_the_same(review, searches):
    document = docx.Document(io.BytesIO(appendix_docx(appendix_build(review))))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "Search appendix: " + review.title in paragraphs
    assert STRATEGY in paragraphs
    assert "Item 13: 2 of 3 searches give no date: S1 (Embase), S3 (Company website)" in paragraphs
    summary, checklist = document.tables[0], document.tables[-1]
    assert [c.text for c in summary.rows[2].cells][:5] == [
        "S2", "MEDLINE", "Database", "Ovid", "14 Mar 2025",
    ]  # fmt: skip
    assert len(checklist.rows) == 17 and checklist.rows[8].cells[1].text == "Full search strategies"


def test_the_pages_and_downloads_are_for_members_only(
    review, searches, client_reviewer, client_outsider
):
    appendix = reverse("screening:search-appendix", args=[review.slug])
    checklist = reverse("screening:prisma-s", args=[review.slug])
    page = client_reviewer.get(appendix)
    assert page.status_code == 200 and b"exp Lung Neoplasms/" in page.content
    markdown = client_reviewer.get(appendix, {"format": "md"})
    assert markdown["Content-Type"].startswith("text/markdown")
    assert "search-appendix" in markdown["Content-Disposition"]
    assert STRATEGY in markdown.content.decode()
    word = client_reviewer.get(appendix, {"format": "docx"})
    assert word["Content-Type"] == DOCX_TYPE and word.content[:2] == b"PK"
    page = client_reviewer.get(checklist)
    assert page.status_code == 200 and b"Full search strategies" in page.content
    assert b"2 of 3 searches give no date" in page.content
    assert client_reviewer.get(checklist, {"format": "md"}).content.startswith(b"# ")
    searches_page = client_reviewer.get(reverse("screening:search-list", args=[review.slug]))
    assert (
        appendix.encode() in searches_page.content and checklist.encode() in searches_page.content
    )
    for url in (appendix, checklist):
        for query in ({}, {"format": "md"}, {"format": "docx"}):
            assert client_outsider.get(url, query).status_code == 404


def test_the_command_writes_markdown_or_docx(review, searches, tmp_path):
    out = StringIO()
    call_command("search_appendix", review.slug, stdout=out)
    assert "### S2. MEDLINE: medline.ris" in out.getvalue()
    path = tmp_path / "appendix.docx"
    call_command(
        "search_appendix", review.slug, "--format", "docx", "--output", str(path),
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    assert STRATEGY in "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
