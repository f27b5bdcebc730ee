"""The demo review in Chromium, as the README's walkthrough goes: its PRISMA diagram with the
article's numbers, a study's extraction page with the values the article reports (one of them
corrected with the keyboard), and the forest plot of objective response rates."""

from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command
from playwright.sync_api import expect

from extraction.models import ArmResult
from screening.demo.worked_example import DEMO_PASSWORD
from screening.models import AuditEvent


def test_a_lead_walks_the_demo_from_prisma_to_the_forest_plot(
    logged_in_page, live_server, django_user_model, screenshot
):
    call_command("load_demo", stdout=StringIO())
    page = logged_in_page(django_user_model.objects.get(username="demo"), DEMO_PASSWORD)

    # PRISMA: every number computed from the records and decisions is the article's.
    page.goto(f"{live_server.url}/r/ivonescimab/prisma/")
    diagram = page.locator(".prisma-diagram svg")
    for text in (
        "Databases (n = 133)", "Records screened (n = 133)", "Records excluded** (n = 91)",
        "Reports sought for retrieval (n = 42)", "Reports assessed for eligibility (n = 42)",
        "Reports excluded (n = 32):", "Websites (n = 5)", "Reports sought for retrieval (n = 5)",
        "New studies included in review (n = 13)", "Reports of new included studies (n = 15)",
    ):  # fmt: skip
        expect(diagram).to_contain_text(text)
    screenshot("demo-prisma")

    # The studies, then HARMONi-A's page with its reported values.
    page.get_by_role("link", name="Studies", exact=True).click()
    expect(page.locator("table.studies tbody tr")).to_have_count(13)
    page.get_by_role("link", name="HARMONi-A", exact=True).click()
    expect(page.locator("h1")).to_contain_text("HARMONi-A")
    inputs = page.locator("input[name$='value']")
    values = {inputs.nth(i).input_value() for i in range(inputs.count())}
    assert {"7.1", "4.8", "50.6", "35.4"} <= values
    expect(page.locator("body")).to_contain_text("Fang et al. 2024. Ivonescimab Plus Chemotherapy")
    screenshot("demo-study")

    # Correct a value with the keyboard: Enter in the row saves it, without a page load.
    placebo_pfs = ArmResult.objects.reported().get(
        outcome__study__acronym="HARMONi-A", outcome__name="Progression-free survival",
        arm__label="Placebo + chemotherapy",
    )  # fmt: skip
    field = page.locator(f"input[name$='value'][value='{placebo_pfs.value.normalize()}']").first
    field.fill("4.9")
    field.press("Enter")
    expect(page.locator(".saved-mark").first).to_be_visible()
    placebo_pfs.refresh_from_db()
    assert str(placebo_pfs.value.normalize()) == "4.9"
    edit = AuditEvent.objects.filter(review__slug="ivonescimab").order_by("seq").last()
    assert (edit.action, edit.after["value"]) == ("extraction.edit", "4.9")

    # The forest plot of objective response rates: each arm's value with its interval.
    page.get_by_role("link", name="Forest plots", exact=True).click()
    page.get_by_role("link", name=re.compile("Objective response rate")).first.click()
    plot = page.locator("svg").last
    for text in ("HARMONi-A", "HARMONi-2", "50.6 [42.6, 58.6]", "39 [32, 46]"):
        expect(plot).to_contain_text(text)
    screenshot("demo-forest")
