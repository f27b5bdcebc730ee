"""Double extraction in Chromium: the second extractor corrects a value in their own entry's grid
and submits it; the owner opens the comparison, sees the value the entries differ on, takes
the rows they agree on, chooses whose value to keep in the other, and the study's page shows
the consensus."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from extraction.entries import entry_submit
from extraction.models import ArmResult
from extraction.services import study_create
from screening.constants import Role
from screening.models import Membership
from tests.browser.test_accessibility import BLOCKING, _axe_violations, _described
from tests.extraction.conftest import TRIALS_RIS, include
from tests.extraction.test_double import extract
from tests.factories import UserFactory


def test_two_entries_compared_and_the_consensus_made_in_the_browser(
    logged_in_page, owner, reviewer, review, live_server, import_text
):
    second = UserFactory(username="sara-second")
    Membership.objects.create(review=review, user=second, role=Role.REVIEWER)
    search = import_text(TRIALS_RIS, name="trials.ris", source="PubMed")
    harmonia = [record.reference for record in search.records.order_by("position")][2]
    include(review, [harmonia], owner, reviewer)
    study = study_create(review=review, user=owner, name="HARMONi-A", reports=[harmonia])
    entry_submit(entry=extract(study, reviewer, harmonia, "50.6"), user=reviewer)
    extract(study, second, harmonia, "50.6")
    base = f"{live_server.url}/r/{review.slug}"

    # The second extractor, in their entry: 50.6 becomes 56.0 (a slip), saved with Enter.
    page = logged_in_page(second)
    page.goto(f"{base}/studies/{study.pk}/")
    expect(page.locator("#entries")).to_contain_text("rui-reviewer:")
    page.locator("#entries").get_by_role("link", name="my entry").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My entry")
    row = page.locator("form.grid-row.result").first
    row.locator("[name$='-value']").fill("56.0")
    row.locator("[name$='-value']").press("Enter")
    expect(page.locator("form.grid-row.result.saved").first).to_be_visible()
    page.get_by_role("button", name="Submit my entry").click()
    expect(page.locator(".messages")).to_contain_text("Your entry is submitted")

    # The owner compares and settles.
    page = logged_in_page(owner)
    page.goto(f"{base}/studies/{study.pk}/compare/")
    differing = page.locator("section.compare-row.differs")
    expect(differing).to_have_count(1)
    expect(differing).to_contain_text("Ivonescimab + chemo")
    expect(differing.locator("mark")).to_have_text(["50.6", "56"])
    found = [v for v in _axe_violations(page) if v["impact"] in BLOCKING]
    assert not found, _described(found)
    page.get_by_role("button", name="Take the 4 rows the entries agree on").click()
    expect(page.locator(".messages")).to_contain_text("4 row(s) the entries agree on")
    differing = page.locator("section.compare-row.differs")
    differing.get_by_label("50.6").check()
    differing.get_by_role("button", name="Take into the consensus").click()
    expect(page.locator(".messages")).to_contain_text("Taken into the consensus")
    expect(page.locator("section.compare-row.differs")).to_contain_text("in the consensus")
    values = sorted(r.value for r in ArmResult.objects.reported().filter(outcome__study=study))
    assert values == [Decimal("35.4"), Decimal("50.6")]

    page.goto(f"{base}/studies/{study.pk}/")
    expect(
        page.locator("#data form.grid-row.result").first.locator("[name$='-value']")
    ).to_have_value("50.6")
