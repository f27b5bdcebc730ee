"""Revising one's own decision in Chromium (issue 16): with one reviewer a decision settles the
reference at once; `u` brings it back, ready to be decided again, and PRISMA follows."""

from __future__ import annotations

from playwright.sync_api import expect

from screening.constants import DecisionKind, ItemState, Stage
from screening.decisions.review_settings import review_settings_update
from screening.models import Decision, ScreeningItem
from screening.prisma.counts import prisma_report
from tests.browser.test_screening_pages import decided, screen_url, shown
from tests.screening.decisions.test_screening import ris

TA = Stage.TITLE_ABSTRACT


def test_a_single_reviewer_undoes_and_decides_again_with_the_keyboard(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    import_text(ris(4), name="embase.ris", source="Embase")
    page = logged_in_page(reviewer)
    page.goto(screen_url(live_server, review))
    expect(page.locator("#revise-rule")).to_contain_text("with one, until someone else decides")

    first = shown(page)
    title = page.locator("[data-record-title]").inner_text()
    page.keyboard.press("i")
    decided(page, 1)
    assert shown(page) != first
    settled = ScreeningItem.objects.get(reference_id=first, stage=TA)
    assert settled.state == ItemState.INCLUDED  # one reviewer: settled at once
    assert prisma_report(review).dbr_sought_reports == 1

    page.keyboard.press("u")
    decided(page, 0)
    assert shown(page) == first
    expect(page.locator("[data-record-title]")).to_have_text(title)
    expect(page.locator("#screen .message")).to_contain_text("decide this reference again")
    # The form is there and empty: no decision of mine shown, no reason picked.
    expect(page.get_by_role("button", name="Include")).to_be_visible()
    expect(page.locator(".my-vote")).to_have_count(0)
    expect(page.locator("#decision-form input[name=reason]:checked")).to_have_count(0)
    screenshot("revise-after-undo")
    assert prisma_report(review).dbr_sought_reports == 0

    page.keyboard.press("1")  # exclude with the reason of key 1, at once
    decided(page, 1)
    assert shown(page) != first

    item = ScreeningItem.objects.get(reference_id=first, stage=TA)
    assert item.state == ItemState.EXCLUDED
    kinds = list(
        Decision.objects.filter(reference_id=first).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [DecisionKind.VOTE, DecisionKind.RETRACT, DecisionKind.VOTE]
    report = prisma_report(review)
    assert (report.records_excluded, report.dbr_sought_reports) == (1, 0)
    assert not ScreeningItem.objects.filter(reference_id=first, stage=Stage.RETRIEVAL).exists()
