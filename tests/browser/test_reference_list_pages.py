"""The reference list and the import preview in Chromium: a PRISMA box opens a list headed by
the box's name, number and definition; a column's header sorts the list, and again reverses it;
a file that would be refused offers no import, only what is wrong and another upload."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from screening.constants import Stage
from screening.decisions.services import decision_record
from screening.models import ImportJob, Search
from screening.prisma.counts import BOXES, prisma_report
from tests.screening.decisions.test_screening import ris

TA = Stage.TITLE_ABSTRACT
UNREADABLE = "\nTY  - JOUR\nN1  - a note with nothing that identifies a work\nER  -\n"


def _titles(page) -> list[str]:
    return page.locator("table.references tbody tr td:first-child a").all_inner_texts()


def test_a_prisma_box_opens_its_list_and_the_headers_sort_it(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    references = [r.reference for r in import_text(ris(12)).records.order_by("position")]
    for reference in references[:3]:
        for who in (owner, reviewer):
            decision_record(review=review, reference=reference, stage=TA, reviewer=who,
                            verdict="exclude")  # fmt: skip
    excluded = prisma_report(review).records_excluded
    assert excluded == 3
    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/prisma/")
    page.locator('.prisma-diagram a[href$="box=records_excluded"]').first.click()
    expect(page).to_have_url(re.compile(r"box=records_excluded$"))
    box = BOXES["records_excluded"]
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{box.label} ({excluded})")
    expect(page.locator("#box-definition")).to_have_text(box.definition)
    expect(page.locator("table.references tbody tr")).to_have_count(excluded)
    screenshot("box-list")

    page.get_by_role("link", name="Every reference in the review").click()
    expect(page.locator("table.references tbody tr")).to_have_count(12)
    added = _titles(page)  # the order they were added: number 1, 2, ... 12
    by_title = sorted(added, key=str.lower)  # number 1, 10, 11, 12, 2, ...
    assert by_title != added
    page.locator("#sort-title").click()
    expect(page).to_have_url(re.compile(r"sort=title$"))
    expect(page.locator("table.references tbody tr td:first-child a").first).to_have_text(
        by_title[0]
    )
    assert _titles(page) == by_title
    expect(page.get_by_role("columnheader", name="Title", exact=True)).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.locator("#sort-title").click()  # again: reversed
    expect(page).to_have_url(re.compile(r"sort=-title$"))
    expect(page.locator("table.references tbody tr td:first-child a").first).to_have_text(
        by_title[-1]
    )
    assert _titles(page) == by_title[::-1]
    # Each row says where the reference stands, and who decided it.
    excluded_row = page.locator("table.references tbody tr", has_text=references[0].title)
    expect(excluded_row).to_contain_text("Excluded")
    expect(excluded_row).to_contain_text(f"{owner.username} (exclude)")
    screenshot("sorted")


def test_a_refused_upload_offers_no_import(
    logged_in_page, owner, review, live_server, tmp_path, screenshot
):
    path = tmp_path / "embase.ris"
    path.write_text(ris(2) + UNREADABLE)
    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/import/")
    page.set_input_files('input[name="file"]', str(path))
    page.fill('input[name="source_name"]', "Embase")
    page.get_by_role("button", name="Read the file").click()

    refused = page.locator("#import-refused")
    expect(refused).to_contain_text("This file cannot be imported as it is.")
    expect(refused).to_contain_text("1 of the file's 3 entries cannot be read")
    expect(page.get_by_role("button", name=re.compile(r"^Import"))).to_have_count(0)
    screenshot("refused")
    page.get_by_role("link", name="Upload another file").click()
    expect(page.get_by_role("heading", name="Import a file")).to_be_visible()
    assert ImportJob.objects.get().status == "previewed"
    assert not Search.objects.exists()
