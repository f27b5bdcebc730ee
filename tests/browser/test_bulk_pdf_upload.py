"""Bulk PDF upload in Chromium: a zip of three PDFs (two that match a waiting reference, one
that does not) is uploaded from the retrieval page; the page shows the matches and the unmatched
one; the person gives the unmatched one its reference and confirms; the three references are
then retrieved, each with its PDF."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from screening.constants import ItemState, SourceKind, Stage
from screening.models import FullText, ScreeningItem
from tests.browser.test_accessibility import BLOCKING, _axe_violations
from tests.screening.retrieval.conftest import PDF_BY_DOI, PDF_BY_TITLE, PDF_OTHER, waiting_ris
from tests.screening.retrieval.pdfs import zip_of


def test_a_zip_of_pdfs_is_matched_corrected_and_attached(
    logged_in_page, owner, review, live_server, import_text, tmp_path, screenshot
):
    search = import_text(waiting_ris(), name="akeso.ris", source="Akeso", kind=SourceKind.WEBSITE)
    jama_ref, pembro_ref, ak112_ref = (r.reference for r in search.records.order_by("position"))
    path = tmp_path / "papers.zip"
    path.write_bytes(
        zip_of({"jama.pdf": PDF_BY_DOI, "ak112.pdf": PDF_BY_TITLE, "lancet.pdf": PDF_OTHER})
    )

    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/retrieval/")
    page.set_input_files('input[name="files"]', str(path))
    page.get_by_role("button", name="Upload and match").click()

    expect(page.get_by_role("heading", name="Check the uploaded PDFs")).to_be_visible()
    matched, unmatched = page.locator("#bulk-matched"), page.locator("#bulk-unmatched")
    expect(matched.locator("tbody tr")).to_have_count(2)
    expect(matched).to_contain_text("DOI 10.1001/jama.2024.10613 in the text")
    expect(matched).to_contain_text("title found on the first page (100% similar)")
    expect(unmatched.locator("tbody tr")).to_have_count(1)
    expect(unmatched).to_contain_text("papers.zip: lancet.pdf")
    expect(unmatched).to_contain_text("No DOI, PMID or title of a waiting reference")
    jama_select = page.get_by_label("Reference for papers.zip: jama.pdf")
    expect(jama_select).to_have_value(str(jama_ref.pk))
    lancet_select = page.get_by_label("Reference for papers.zip: lancet.pdf")
    expect(lancet_select).to_have_value("")
    screenshot("matches")
    serious = [v for v in _axe_violations(page) if v["impact"] in BLOCKING]
    assert serious == [], serious
    assert not FullText.objects.exists()

    # The one the matcher could not place is the pembrolizumab trial: say so, and attach all.
    lancet_select.select_option(str(pembro_ref.pk))
    page.get_by_role("button", name="Attach the chosen PDFs").click()
    expect(page.get_by_text("3 PDFs attached as retrieved full texts.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/retrieval/\?state=retrieved$"))
    for reference, name in ((jama_ref, "jama.pdf"), (pembro_ref, "lancet.pdf"),
                            (ak112_ref, "ak112.pdf")):  # fmt: skip
        row = page.locator(f"#retrieval-{reference.pk}")
        expect(row).to_contain_text("Retrieved")
        expect(row.get_by_role("link", name=name)).to_be_visible()
        item = ScreeningItem.objects.get(reference=reference, stage=Stage.RETRIEVAL)
        assert item.state == ItemState.RETRIEVED
    screenshot("retrieved")

    # The reference's page links to its PDF, which is the file that was uploaded.
    page.goto(f"{live_server.url}/r/{review.slug}/references/{pembro_ref.pk}/")
    link = page.locator("#full-text-pdf")
    expect(link).to_have_text("lancet.pdf")
    pdf = page.request.get(live_server.url + link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body() == PDF_OTHER
