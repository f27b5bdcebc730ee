"""The menu and small screens, in Chromium, on the demo reviews.

- The menu shows a reviewer only pages that open (every link answers 200; no Settings), and an
  owner the Settings too; on a desktop every link is in view without a click.
- A page refused to a reviewer is the site's own page, menu and all, and says why.
- On a 390 px phone nothing scrolls sideways (the review's home, both screening pages, the
  references, a study, PRISMA); the menu folds behind a "Menu" button that opens by keyboard
  without JavaScript; the Include button is on screen without scrolling.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from extraction.models import Study
from screening.constants import ItemState, Stage
from screening.decisions.services import decision_record
from screening.demo.worked_example import DEMO_PASSWORD
from screening.models import Review, ScreeningItem
from screening.retrieval.services import full_text_record
from tests.browser.conftest import LOGIN_PATH

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NAV = "nav[aria-label='Main']"
# The page is wider than the screen: it scrolls sideways.
SIDEWAYS = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture
def demo(django_user_model) -> dict:
    """The demo reviews, and one import-demo record taken on to full-text screening (the demo's
    own full texts are all decided), so that both screening pages show a record to decide."""
    call_command("load_demo", stdout=StringIO())
    owner = django_user_model.objects.get(username="demo")
    sandbox = Review.objects.get(slug="import-demo")
    item = ScreeningItem.objects.filter(
        review=sandbox, stage=Stage.TITLE_ABSTRACT, state=ItemState.AWAITING
    ).first()
    decision_record(
        review=sandbox, reference=item.reference, stage=Stage.TITLE_ABSTRACT, reviewer=owner,
        verdict="include",
    )  # fmt: skip
    full_text_record(
        review=sandbox, reference=item.reference, user=owner, status="retrieved", max_bytes=10**6
    )
    return {
        "owner": owner,
        "reviewer": django_user_model.objects.get(username="demo-reviewer"),
        "study": Study.objects.get(review__slug="ivonescimab", acronym="HARMONi-A"),
    }


def log_in(page, live_server, user) -> None:
    page.goto(live_server.url + LOGIN_PATH)
    page.fill('input[name="username"]', user.get_username())
    page.fill('input[name="password"]', DEMO_PASSWORD)
    with page.expect_navigation():
        page.press('input[name="password"]', "Enter")
    assert LOGIN_PATH not in page.url, f"logging in as {user} failed"


def nav_links(page) -> dict[str, str]:
    links = page.locator(f"{NAV} a")
    return {
        links.nth(i).inner_text().strip(): links.nth(i).get_attribute("href")
        for i in range(links.count())
    }


def test_a_reviewer_is_shown_only_pages_that_open_and_an_owner_the_settings_too(
    page, live_server, demo
):
    page.set_viewport_size(DESKTOP)
    settings = reverse("screening:screening-settings", args=["ivonescimab"])

    log_in(page, live_server, demo["reviewer"])
    page.goto(f"{live_server.url}/r/ivonescimab/prisma/")
    links = nav_links(page)
    assert {"Searches", "Screen", "PRISMA", "Studies", "Members"} <= set(links)
    assert "Settings" not in links and settings not in links.values()
    answers = {
        label: page.request.get(live_server.url + href).status for label, href in links.items()
    }
    assert answers == dict.fromkeys(links, 200)
    # On a desktop every link is in view: no menu to open first.
    for label in ("Searches", "Agreement", "Audit", "Forest plots", "Members"):
        expect(page.locator(NAV).get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.locator(NAV).locator("summary")).to_be_hidden()
    expect(page.locator(NAV).get_by_role("link", name="PRISMA", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    page.context.clear_cookies()
    log_in(page, live_server, demo["owner"])
    page.goto(f"{live_server.url}/r/ivonescimab/prisma/")
    links = nav_links(page)
    assert links["Settings"] == settings and "Members" in links
    expect(page.locator(NAV).get_by_role("link", name="Settings", exact=True)).to_be_visible()
    assert page.request.get(live_server.url + settings).status == 200


def test_a_page_refused_to_a_reviewer_is_the_sites_own_and_says_why(page, live_server, demo):
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server, demo["reviewer"])
    response = page.goto(f"{live_server.url}/r/ivonescimab/settings/")
    assert response.status == 403
    expect(page.locator(NAV)).to_be_visible()
    expect(page.locator(NAV).get_by_role("link", name="References", exact=True)).to_be_visible()
    expect(page.locator("main h1")).to_have_text("Not for your role")
    expect(page.locator("main")).to_contain_text(
        "This is for the review's owners; you are a reviewer here."
    )
    expect(page.locator("main")).to_contain_text("ask an owner")
    # Styled: the site's stylesheet is there (the bar is white on the page's grey).
    assert (
        page.evaluate(
            "() => getComputedStyle(document.querySelector('header.top')).backgroundColor"
        )
        == "rgb(255, 255, 255)"
    )


def test_on_a_phone_nothing_scrolls_sideways_and_the_include_button_is_in_reach(
    page, live_server, demo, screenshot
):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, demo["reviewer"])
    pages = {
        "review-home": "/r/ivonescimab/",
        "screen-title-abstract": "/r/import-demo/screen/title-abstract/",
        "screen-full-text": "/r/import-demo/screen/full-text/",
        "reference-list": "/r/ivonescimab/references/",
        "study": f"/r/ivonescimab/studies/{demo['study'].pk}/",
        "prisma": "/r/ivonescimab/prisma/",
    }
    problems = []
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{path}: {response.status}"
        if page.evaluate(SIDEWAYS):
            width = page.evaluate("document.documentElement.scrollWidth")
            problems.append(f"{name} scrolls sideways: {width} px wide")
            screenshot(f"sideways-{name}")
        if name.startswith("screen-"):
            include = page.locator("#decision-form button[value=include]")
            expect(include).to_be_visible()
            box = include.bounding_box()
            in_view = (
                page.evaluate("window.scrollY") == 0
                and 0 <= box["x"] <= box["x"] + box["width"] <= PHONE["width"]
                and 0 <= box["y"] <= box["y"] + box["height"] <= PHONE["height"]
            )
            if not in_view:
                problems.append(f"{name}: the Include button is not on screen ({box})")
            if box["height"] < 44:
                problems.append(f"{name}: the Include button is too small for a thumb ({box})")
            screenshot(name, full_page=False)
    assert not problems, "At 390 px:\n" + "\n".join(problems)


def test_on_a_phone_the_menu_opens_by_keyboard_without_javascript(browser, live_server, demo):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, demo["reviewer"])
        page.goto(f"{live_server.url}/r/ivonescimab/references/")
        nav = page.locator(NAV)
        studies = nav.get_by_role("link", name="Studies", exact=True)
        expect(studies).to_be_hidden()
        header = page.locator("header.top").bounding_box()
        assert header["height"] < 80, f"the closed menu takes {header['height']} px"

        nav.locator("summary").focus()
        page.keyboard.press("Enter")
        expect(studies).to_be_visible()
        assert not page.evaluate(SIDEWAYS)
        with page.expect_navigation():
            studies.click()
        assert page.url.endswith("/r/ivonescimab/studies/")
    finally:
        context.close()
