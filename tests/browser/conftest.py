"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live_server.

Recipe: shared/BROWSER-TESTS.md. Every test in this folder is marked `browser`, and they run
after all the others. Without /usr/bin/chromium they skip, or fail under CI, saying how to
install it. Screenshots go to test-artifacts/ (git ignores it): `screenshot("name")` on
demand, and one of the page automatically when a test fails (test-artifacts/playwright/).

    def test_the_owner_sees_the_review(logged_in_page, owner, review, live_server):
        page = logged_in_page(owner)
        page.goto(live_server.url + review.get_absolute_url())
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SERVICE_HELP, TEST_PASSWORD, require_service

# Debian's Chromium; CHROMIUM_PATH names another build of Chromium (never Playwright's own).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach the internet, which this
# machine refuses, and floods the log.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
LOGIN_PATH = "/accounts/login/"


def pytest_configure(config):
    # pytest-playwright's own artefacts (a screenshot of every failing test) under
    # test-artifacts/, unless the command line asks for something else.
    if config.getoption("--output", default=None) == "test-results":
        config.option.output = str(ARTIFACTS / "playwright")
    if config.getoption("--screenshot", default=None) == "off":
        config.option.screenshot = "only-on-failure"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark this folder's tests `browser`, and run them after all the others."""
    browser, others = [], []
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            browser.append(item)
        else:
            others.append(item)
    items[:] = others + browser


@pytest.fixture(scope="session", autouse=True)
def _browser_session():
    """Runs before the session-scoped Playwright fixtures (autouse goes first in its scope).

    Chromium must be there: without it every browser test skips, or fails under CI, saying how
    to install it (rather than with Playwright's "executable doesn't exist").

    Playwright's sync API keeps an event loop running in this thread from its start to the end
    of the session, so Django would raise SynchronousOnlyOperation on every ORM call made from
    here on: in the test, in live_server's database setup, in any later test. Browser tests
    run last (see pytest_collection_modifyitems), so the other tests keep Django's check."""
    require_service(CHROMIUM, Path(CHROMIUM).exists, how=SERVICE_HELP["chromium"])
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def screenshot(page, request) -> Callable[[str], Path]:
    """screenshot("after-login") saves test-artifacts/screenshots/<test>-after-login.png."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")[:120]

    def take(name: str, *, full_page: bool = True) -> Path:
        path = folder / f"{test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def logged_in_page(page, live_server) -> Callable:
    """logged_in_page(user) logs in through the real form at /accounts/login/ and returns the
    page, on the page the login redirected to. Test users' password: TEST_PASSWORD."""

    def login(user, password: str = TEST_PASSWORD):
        page.goto(live_server.url + LOGIN_PATH)
        page.fill('input[name="username"]', user.get_username())
        page.fill('input[name="password"]', password)
        with page.expect_navigation():
            page.press('input[name="password"]', "Enter")
        if LOGIN_PATH in page.url:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / f"login-failed-{user.get_username()}.png"
            page.screenshot(path=str(shot), full_page=True)
            pytest.fail(
                f"Logging in as {user.get_username()} through {LOGIN_PATH} did not leave the "
                f"login page (now at {page.url}); see {shot}",
                pytrace=False,
            )
        return page

    return login
