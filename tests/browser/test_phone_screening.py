"""Screening on a 390 px phone (issue 16): the decision buttons sit at the bottom of the screen,
and Exclude opens the reasons above them, so that excluding with a reason is two taps with no
scrolling; Include still takes one."""

from __future__ import annotations

from playwright.sync_api import expect

from screening.constants import Stage
from screening.models import Vote
from tests.browser.test_screening_pages import decided, screen_url, shown
from tests.screening.decisions.test_screening import ris

PHONE = {"width": 390, "height": 844}


def in_viewport(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_a_reviewer_excludes_with_a_reason_in_two_taps(
    logged_in_page, reviewer, review, live_server, import_text, screenshot
):
    import_text(ris(3), name="embase.ris", source="Embase")
    page = logged_in_page(reviewer)
    page.set_viewport_size(PHONE)
    page.goto(screen_url(live_server, review))
    include = page.get_by_role("button", name="Include")
    assert in_viewport(include)
    include.click()  # one tap
    decided(page, 1)

    first = shown(page)
    exclude = page.get_by_role("button", name="Exclude")
    exclude.click()
    reason = page.get_by_role("radio", name="Wrong patient population")
    expect(reason).to_be_visible()
    assert in_viewport(reason), "the reasons open within the screen, above the buttons"
    expect(page.locator(".armed-hint")).to_contain_text("tap the reason")
    screenshot("phone-reasons", full_page=False)
    assert Vote.objects.filter(reviewer=reviewer).count() == 1  # nothing sent yet
    reason.click()
    decided(page, 2)
    vote = Vote.objects.select_related("decision__reason").get(
        reviewer=reviewer, stage=Stage.TITLE_ABSTRACT, item__reference_id=first
    )
    assert (vote.verdict, vote.decision.reason.label) == ("exclude", "Wrong patient population")

    # Cancel closes the reasons without deciding; Exclude twice excludes without a reason.
    page.get_by_role("button", name="Exclude").click()
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#screen[data-armed]")).to_have_count(0)
    assert Vote.objects.filter(reviewer=reviewer).count() == 2
    page.get_by_role("button", name="Exclude").click()
    page.get_by_role("button", name="Exclude").click()
    decided(page, 3)
