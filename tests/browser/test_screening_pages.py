"""Screening in Chromium: a reviewer screens 20 references with the keyboard alone; two
reviewers disagree, the owner resolves the conflict, and the review's home page follows."""

from __future__ import annotations

from playwright.sync_api import expect

from screening.constants import ItemState, Stage, Verdict
from screening.models import Decision, ScreeningItem, Vote
from tests.browser.conftest import ARTIFACTS, LOGIN_PATH
from tests.conftest import TEST_PASSWORD
from tests.screening.decisions.test_screening import ris

TA = Stage.TITLE_ABSTRACT


def screen_url(live_server, review, stage="title-abstract"):
    return f"{live_server.url}/r/{review.slug}/screen/{stage}/"


def decided(page, n: int) -> None:
    """Wait until the page says the reviewer has decided n references (the swap is done)."""
    expect(page.locator("#decided-by-me")).to_have_text(str(n))


def shown(page) -> int:
    return int(page.locator("article.screen-reference").get_attribute("data-reference"))


def test_a_reviewer_screens_twenty_references_with_the_keyboard_alone(
    logged_in_page, reviewer, review, live_server, import_text, screenshot
):
    import_text(ris(24), name="embase.ris", source="Embase")
    page = logged_in_page(reviewer)
    page.goto(screen_url(live_server, review))
    expect(page.get_by_role("button", name="Include")).to_be_visible()
    screenshot("screening-page")

    expected: dict[int, tuple[str, str]] = {}
    # Twenty decisions: include, exclude with a reason picked after e, exclude by a digit
    # alone, maybe, and one with a note.
    keys = ["i", "e 2", "3", "m", "n", "i", "e 1", "i", "1", "m"] * 2
    for number, key in enumerate(keys, start=1):
        reference = shown(page)
        if key == "n":
            page.keyboard.press("n")
            page.keyboard.type("Single-arm phase II; check the full text.")
            page.keyboard.press("Escape")
            page.keyboard.press("i")
            expected[reference] = ("include", "")
        elif key.startswith("e "):
            page.keyboard.press("e")
            expect(page.locator("#screen")).to_have_attribute("data-armed", "")
            page.keyboard.press(key[2])
            expected[reference] = ("exclude", key[2])
        elif key.isdigit():
            page.keyboard.press(key)
            expected[reference] = ("exclude", key)
        else:
            page.keyboard.press(key)
            expected[reference] = ({"i": "include", "m": "maybe"}[key], "")
        decided(page, number)

    # Undo the last decision: that reference comes back, to be decided again.
    last = shown(page)
    previous = list(expected)[-1]
    page.keyboard.press("u")
    decided(page, 19)
    assert shown(page) == previous != last
    page.keyboard.press("e")
    page.keyboard.press("4")
    decided(page, 20)
    expected[previous] = ("exclude", "4")

    votes = {
        v.item.reference_id: (v.verdict, str(v.decision.reason.hotkey) if v.decision.reason else "")
        for v in Vote.objects.filter(reviewer=reviewer).select_related("item", "decision__reason")
    }
    assert votes == expected
    assert Decision.objects.filter(reviewer=reviewer, kind="retract").count() == 1
    assert Decision.objects.filter(note__startswith="Single-arm").count() == 2
    page.keyboard.press("?")
    expect(page.locator("dialog#keys")).to_be_visible()
    screenshot("keys")


def _log_in(context, live_server, user):
    page = context.new_page()
    page.goto(live_server.url + LOGIN_PATH)
    page.fill('input[name="username"]', user.get_username())
    page.fill('input[name="password"]', TEST_PASSWORD)
    with page.expect_navigation():
        page.press('input[name="password"]', "Enter")
    return page


def test_two_reviewers_disagree_and_the_owner_resolves_it(
    browser, owner, reviewer, review, live_server, import_text
):
    import_text(ris(1), name="embase.ris", source="Embase")
    contexts = [browser.new_context() for _ in range(3)]
    try:
        rui, olivia_votes, olivia = (
            _log_in(contexts[0], live_server, reviewer),
            _log_in(contexts[1], live_server, owner),
            _log_in(contexts[2], live_server, owner),
        )
        rui.goto(screen_url(live_server, review))
        rui.keyboard.press("i")
        decided(rui, 1)
        olivia_votes.goto(screen_url(live_server, review))
        expect(olivia_votes.locator(".other-vote")).to_have_count(0)  # blind: Rui's vote unseen
        olivia_votes.keyboard.press("2")  # exclude: wrong patient population
        decided(olivia_votes, 1)

        olivia.goto(live_server.url + review.get_absolute_url())
        conflicts = olivia.locator("#stage-title_abstract td").nth(1)
        expect(conflicts).to_have_text("1")
        conflicts.get_by_role("link").click()
        expect(olivia.locator("section.conflict")).to_contain_text("rui-reviewer: Include")
        expect(olivia.locator("section.conflict")).to_contain_text("Wrong patient population")
        (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
        olivia.screenshot(path=str(ARTIFACTS / "screenshots" / "conflict-list.png"), full_page=True)
        olivia.get_by_role("button", name="Resolve: include").click()
        expect(olivia.get_by_text("Resolved:")).to_be_visible()

        olivia.goto(live_server.url + review.get_absolute_url())
        row = olivia.locator("#stage-title_abstract td")
        expect(row.nth(1)).to_have_text("0")  # conflicts
        expect(row.nth(2)).to_have_text("1")  # included
        retrieval = olivia.locator("#stage-retrieval td")
        expect(retrieval.nth(0)).to_have_text("1")  # now sought
    finally:
        for context in contexts:
            context.close()
    item = ScreeningItem.objects.get(stage=TA)
    assert (item.state, item.verdict, item.resolved) == (ItemState.INCLUDED, Verdict.INCLUDE, True)


def test_keys_typed_ahead_are_not_lost(logged_in_page, reviewer, review, live_server, import_text):
    import_text(ris(6), name="embase.ris", source="Embase")
    page = logged_in_page(reviewer)
    page.goto(screen_url(live_server, review))
    expect(page.get_by_role("button", name="Include")).to_be_visible()
    for key in ["i", "3", "m", "e", "1"]:  # no waiting between them
        page.keyboard.press(key)
    decided(page, 4)
    verdicts = list(
        Vote.objects.filter(reviewer=reviewer)
        .order_by("decision_id")
        .values_list("verdict", flat=True)
    )
    assert verdicts == ["include", "exclude", "maybe", "exclude"]
