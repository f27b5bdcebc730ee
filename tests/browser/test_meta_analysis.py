"""A meta-analysis in Chromium: the owner defines one on the page (a method that does not fit
the model is refused in words, as typed), the forest plot draws the diamond at the pooled CI,
a study is left out with its reason and the pooled result changes, and the page passes axe."""

from __future__ import annotations

from playwright.sync_api import expect

from meta_analysis.models import Analysis, AnalysisExclusion
from tests.browser.test_accessibility import BLOCKING, _axe_violations, _described
from tests.extraction.conftest import TRIALS_RIS, include
from tests.meta_analysis.test_analyses import ORR, TRIALS, _trial


def test_an_owner_defines_an_analysis_and_reads_its_forest_plot(
    logged_in_page, owner, reviewer, review, live_server, import_text
):
    search = import_text(TRIALS_RIS, name="trials.ris", source="PubMed")
    references = [record.reference for record in search.records.order_by("position")]
    include(review, references, owner, reviewer)
    for name, index, experimental, control, hr in TRIALS:
        _trial(review, owner, references[index], name, experimental, control, hr)
    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/meta-analysis/")

    form = page.locator("#new-analysis")
    form.get_by_label("Outcome", exact=True).fill(ORR)
    form.get_by_label("Measure", exact=True).select_option("RR")
    form.get_by_label("Model", exact=True).select_option("fixed")
    form.get_by_label("Method", exact=True).select_option("REML")
    form.get_by_role("button", name="Define the analysis").click()
    expect(page.locator("#new-analysis [role=alert]").first).to_contain_text(
        "A fixed effect model takes: Inverse variance, Mantel-Haenszel."
    )
    expect(page.locator("#new-analysis").get_by_label("Outcome", exact=True)).to_have_value(ORR)
    page.locator("#new-analysis").get_by_label("Model", exact=True).select_option("random")
    page.locator("#new-analysis").get_by_label("Method", exact=True).select_option("DL")
    page.locator("#new-analysis").get_by_label("The outcome is a benefit").check()
    page.locator("#new-analysis").get_by_role("button", name="Define the analysis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORR)

    forest = page.locator(".forest-plot svg")
    expect(forest).to_be_visible()
    expect(forest.locator("polygon")).to_have_count(1)  # the diamond
    expect(forest).to_contain_text("Favours experimental")
    expect(page.locator("#pooled")).to_contain_text("2 studies")
    found = [v for v in _axe_violations(page) if v["impact"] in BLOCKING]
    assert not found, _described(found)

    row = page.locator("table.analysis-studies tr", has_text="HARMONi-2")
    row.get_by_placeholder("Why leave it out").fill("Another first-line population")
    row.get_by_role("button", name="Leave out").click()
    expect(page.locator(".messages")).to_contain_text("Left out, with its reason.")
    expect(page.locator("#pooled")).to_contain_text("1 study")
    expect(page.locator("table.analysis-studies")).to_contain_text(
        "not pooled: left out: Another first-line population"
    )
    analysis = Analysis.objects.get()
    assert AnalysisExclusion.objects.get(analysis=analysis).reason == (
        "Another first-line population"
    )
