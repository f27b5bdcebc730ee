"""A reviewer imports files in Chromium: upload, preview, confirm, then checks duplicates."""

from playwright.sync_api import expect

from screening.models import DuplicateCandidate, Search

RIS = """TY  - JOUR
TI  - Ivonescimab plus chemotherapy in non-small cell lung cancer with EGFR variant
AU  - Fang, Wenfeng
PY  - 2024
ER  -

TY  - JOUR
TI  - Ivonescimab versus pembrolizumab for PD-L1-positive non-small cell lung cancer
AU  - Xiong, Anwen
PY  - 2025
ER  -
"""
RIS_NEAR = RIS.split("\n\n")[0].replace("EGFR variant", "EGFR variants") + "\n"


def _upload(page, live_server, review, path, source):
    page.goto(live_server.url + review.get_absolute_url())
    page.get_by_role("link", name="Import a file").click()
    page.set_input_files('input[name="file"]', str(path))
    page.fill('input[name="source_name"]', source)
    page.get_by_role("button", name="Read the file").click()


def test_an_upload_is_previewed_then_imported_on_confirmation(
    logged_in_page, owner, review, live_server, tmp_path, screenshot
):
    path = tmp_path / "embase-export.txt"
    path.write_text(RIS)
    page = logged_in_page(owner)
    _upload(page, live_server, review, path, "Embase")

    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("RIS")
    expect(preview).to_contain_text("Ivonescimab versus pembrolizumab")
    screenshot("preview")
    assert not Search.objects.exists()

    page.get_by_role("button", name="Import 2 records").click()
    expect(page.get_by_role("status").filter(has_text="Imported")).to_contain_text(
        "2 records, 2 new references"
    )
    page.get_by_role("link", name="its references").click()
    expect(page.locator("table.references tbody tr")).to_have_count(2)
    screenshot("references")


def test_a_wrong_file_is_refused_with_a_sentence(
    logged_in_page, owner, review, live_server, tmp_path
):
    path = tmp_path / "search.ris"
    path.write_text("<html><head><title>PubMed</title></head><body>Sign in</body></html>")
    page = logged_in_page(owner)
    _upload(page, live_server, review, path, "PubMed")
    expect(page.get_by_role("alert")).to_contain_text("HTML")


def test_a_near_duplicate_is_merged_and_the_merge_undone(
    logged_in_page, owner, review, live_server, tmp_path, screenshot
):
    page = logged_in_page(owner)
    for name, text, source in [("a.ris", RIS, "Embase"), ("b.ris", RIS_NEAR, "Scopus")]:
        path = tmp_path / name
        path.write_text(text)
        _upload(page, live_server, review, path, source)
        page.get_by_role("button", name="Import").first.click()
        expect(page.get_by_role("status").filter(has_text="Imported")).to_be_visible()

    page.goto(live_server.url + f"/r/{review.slug}/duplicates/")
    pair = page.locator("section.pair")
    expect(pair).to_have_count(1)
    expect(pair).to_contain_text("Title similarity")
    screenshot("pair")
    pair.get_by_role("button", name="Merge, keep left").click()
    expect(page.get_by_role("status").filter(has_text="Merged")).to_be_visible()
    assert DuplicateCandidate.objects.get().status == "merged"

    page.get_by_role("link", name="Merged").click()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status").filter(has_text="Undone")).to_be_visible()
    assert DuplicateCandidate.objects.get().status == "undone"
