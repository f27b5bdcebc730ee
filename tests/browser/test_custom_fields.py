"""Custom fields in Chromium: the owner defines a choice and a number field, fills them on a
study's page, a bad number is refused in words with the page as typed, the corrected values
are saved and come out in the CSV export."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from extraction.models import Study
from extraction.services import study_create
from tests.browser.test_accessibility import BLOCKING, _axe_violations, _described
from tests.extraction.conftest import TRIALS_RIS, include


def test_an_owner_defines_fills_and_exports_custom_fields(
    logged_in_page, owner, reviewer, review, live_server, import_text
):
    search = import_text(TRIALS_RIS, name="trials.ris", source="PubMed")
    harmonia = [record.reference for record in search.records.order_by("position")][2]
    include(review, [harmonia], owner, reviewer)
    study = study_create(review=review, user=owner, name="HARMONi-A", reports=[harmonia])
    page = logged_in_page(owner)
    base = f"{live_server.url}/r/{review.slug}"

    page.goto(f"{base}/studies/")
    page.get_by_role("link", name="Custom fields").click()
    wanted = [
        ("Funding", "funding", "choice", "Industry, Public"),
        ("Follow-up (months)", "follow_up", "number", ""),
    ]
    for label, key, kind, choices in wanted:
        page.get_by_label("Label").fill(label)
        page.get_by_label("Key (in exports)").fill(key)
        page.get_by_label("Kind").select_option(kind)
        page.get_by_label("Choices (for a choice").fill(choices)
        page.get_by_role("button", name="Add the field").click()
        expect(page.locator(".messages")).to_contain_text(f"The field “{label}” was added")
    expect(page.locator("table.custom-fields")).to_contain_text("Industry, Public")
    found = [v for v in _axe_violations(page) if v["impact"] in BLOCKING]
    assert not found, _described(found)

    page.goto(f"{base}/studies/{study.pk}/")
    section = page.locator("#custom")
    section.get_by_label("Funding").select_option("Industry")
    section.get_by_label("Follow-up (months)").fill("about a year")
    section.get_by_role("button", name="Save these fields").click()
    expect(page.locator("#custom [role=alert]")).to_have_text(
        "Follow-up (months): “about a year” is not a number."
    )
    expect(page.locator("#custom").get_by_label("Follow-up (months)")).to_have_value("about a year")
    expect(page.locator("#custom").get_by_label("Funding")).to_have_value("Industry")
    page.locator("#custom").get_by_label("Follow-up (months)").fill("12,5")
    page.locator("#custom").get_by_role("button", name="Save these fields").click()
    expect(page.locator(".messages")).to_contain_text("custom fields are saved")
    assert Study.objects.get(pk=study.pk).custom == {"funding": "Industry", "follow_up": 12.5}

    response = page.request.get(f"{base}/extraction/export/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))
    assert {(row["custom_funding"], row["custom_follow_up"]) for row in rows} <= {
        ("Industry", "12.5")
    }
    header = response.text().lstrip("\ufeff").splitlines()[0]
    assert header.endswith("custom_funding,custom_follow_up")
