"""Moving around inside a stage in Chromium (issue 16): `b` (or ←) walks back through my
decisions and → forward again to the queue; a walked-back decision is changed in place; `/`
finds a record by words, PMID or DOI without leaving the stage; "My decisions" opens each record;
the end of the queue says what happened and what next."""

from __future__ import annotations

from playwright.sync_api import expect

from references.models import Reference
from screening.constants import Stage
from screening.models import Vote
from tests.browser.test_screening_pages import decided, screen_url, shown
from tests.screening.decisions.test_screening import ris

TA = Stage.TITLE_ABSTRACT


def my_verdict(reviewer, reference_id: int) -> str:
    return Vote.objects.get(reviewer=reviewer, stage=TA, item__reference_id=reference_id).verdict


def test_walking_back_with_b_and_changing_a_decision(
    logged_in_page, reviewer, review, live_server, import_text, screenshot
):
    import_text(ris(5), name="embase.ris", source="Embase")
    page = logged_in_page(reviewer)
    page.goto(screen_url(live_server, review))
    seen = []
    for n, key in enumerate(["i", "m", "i"], start=1):
        seen.append(shown(page))
        page.keyboard.press(key)
        decided(page, n)

    page.keyboard.press("b")  # the last one I decided
    expect(page.locator("article.screen-reference")).to_have_attribute(
        "data-reference", str(seen[2])
    )
    expect(page.locator(".my-vote")).to_contain_text("Include")
    page.keyboard.press("ArrowLeft")  # and the one before it
    expect(page.locator("article.screen-reference")).to_have_attribute(
        "data-reference", str(seen[1])
    )
    expect(page.locator(".my-vote")).to_contain_text("Maybe")
    assert page.url.endswith(f"?reference={seen[1]}")  # a reload shows it again
    screenshot("walk-back")
    page.keyboard.press("ArrowRight")  # forward again
    expect(page.locator("article.screen-reference")).to_have_attribute(
        "data-reference", str(seen[2])
    )
    page.keyboard.press("b")
    expect(page.locator("article.screen-reference")).to_have_attribute(
        "data-reference", str(seen[1])
    )

    # Changed my mind on the second: exclude it with reason 1; the queue carries on.
    page.keyboard.press("1")
    expect(page.locator("article.screen-reference")).not_to_have_attribute(
        "data-reference", str(seen[1])
    )
    assert my_verdict(reviewer, seen[1]) == "exclude"
    assert shown(page) not in seen
    decided(page, 3)  # still three references decided: one of them changed
    expect(page.locator("#back-to-queue")).to_have_count(0)
    assert "?reference=" not in page.url


def test_finding_a_record_inside_the_stage(
    logged_in_page, reviewer, review, live_server, import_text, screenshot
):
    import_text(ris(6), name="embase.ris", source="Embase")
    target = Reference.objects.get(title__contains="number 4 ")
    Reference.objects.filter(pk=target.pk).update(pmid="38001234")
    page = logged_in_page(reviewer)
    page.goto(screen_url(live_server, review))
    expect(page.get_by_role("button", name="Include")).to_be_visible()

    page.keyboard.press("/")
    expect(page.locator("#find-query")).to_be_focused()
    page.keyboard.type("38001234")
    page.keyboard.press("Enter")
    result = page.locator("#find-results a")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("number 4")
    screenshot("find-in-stage")
    result.click()
    expect(page.locator("[data-record-title]")).to_contain_text("number 4")
    page.keyboard.press("i")
    expect(page.locator("[data-record-title]")).not_to_contain_text("number 4")
    assert my_verdict(reviewer, target.pk) == "include"

    # By DOI, and by words that match nothing.
    page.fill("#find-query", "doi.org/10.1000/ivo.2")
    page.press("#find-query", "Enter")
    expect(page.locator("#find-results a")).to_contain_text("number 2")
    page.fill("#find-query", "pembrolizumab")
    page.press("#find-query", "Enter")
    expect(page.locator("#find-results")).to_contain_text("No record at this stage matches")


def test_my_decisions_and_the_end_of_the_queue(
    logged_in_page, reviewer, review, live_server, import_text, screenshot
):
    import_text(ris(3), name="embase.ris", source="Embase")
    page = logged_in_page(reviewer)
    page.goto(screen_url(live_server, review))
    for n, key in enumerate(["i", "1", "i"], start=1):
        page.keyboard.press(key)
        decided(page, n)
    end = page.locator(".queue-end")
    expect(end).to_contain_text("You decided 3 references here (2 include, 1 exclude)")
    expect(end).to_contain_text("3 of them wait for another reviewer")
    screenshot("end-of-queue")

    end.get_by_role("link", name="Look over my decisions").click()
    expect(page.locator("#my-decision-count")).to_contain_text("3 decisions")
    page.select_option("select[name=verdict]", "exclude")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#my-decision-count")).to_contain_text("1 decision")
    screenshot("my-decisions")
    page.locator("table.my-decisions a").first.click()
    expect(page.locator(".my-vote")).to_contain_text("Exclude")
    expect(page.get_by_role("button", name="Include")).to_be_visible()  # editable
