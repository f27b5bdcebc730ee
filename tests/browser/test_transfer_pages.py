"""A team moves its review in from Rayyan in Chromium: upload the export, map its two
reviewers to members on the preview, import, and read the agreement computed from their votes."""

from playwright.sync_api import expect

from screening.models import Decision
from tests.conftest import DATA_DIR


def test_a_rayyan_export_is_mapped_and_imported_with_its_decisions(
    logged_in_page, owner, reviewer, review, live_server, screenshot
):
    page = logged_in_page(owner)
    page.goto(live_server.url + review.get_absolute_url())
    page.get_by_role("link", name="Import a file").click()
    page.set_input_files('input[name="file"]', str(DATA_DIR / "transfer/rayyan/articles.csv"))
    page.fill('input[name="source_name"]', "Rayyan export")
    page.get_by_role("button", name="Read the file").click()

    transfer = page.get_by_role("region", name="Rayyan decisions in the file")
    expect(transfer).to_contain_text("9 decisions on 5 records, by 2 reviewers")
    expect(transfer.locator("#transfer-conflicts")).to_contain_text("Alice: include")
    page.get_by_label("Rayyan reviewer “Alice”").select_option(str(owner.pk))
    page.get_by_label("Rayyan reviewer “Bob”").select_option(str(reviewer.pk))
    screenshot("mapping")
    page.get_by_role("button", name="Import 6 records and their decisions").click()

    expect(page.locator("#transfer-outcome")).to_contain_text("9 Rayyan decisions were recorded")
    assert Decision.objects.filter(imported_from__isnull=False).count() == 9
    page.locator("#transfer-outcome").get_by_role("link", name="Agreement").click()
    expect(page.locator("main")).to_contain_text(reviewer.username)
    screenshot("agreement")
