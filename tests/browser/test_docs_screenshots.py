"""The screenshots in docs/screenshots/ (docs/screenshots.md shows them): the main pages of the
demo at a desktop width and on a 390 px phone, each as its first screen looks.

Every run takes them and checks each page answered and drew its heading; they go to
test-artifacts/screenshots/docs/. `make screenshots` (DOCS_SCREENSHOTS=1) writes them into
docs/screenshots/ instead, to refresh the docs after a change to the pages."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.urls import reverse

from extraction.models import Study
from meta_analysis.models import Analysis
from screening.demo.worked_example import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _folder() -> Path:
    folder = DOCS if os.environ.get("DOCS_SCREENSHOTS") else ARTIFACTS / "screenshots" / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pages() -> list[tuple[str, str, str, int]]:
    """(name, path, who, the status it answers) of each page shown in the docs."""
    demo, sandbox = "ivonescimab", "import-demo"
    study = Study.objects.get(review__slug=demo, acronym="HARMONi-A")
    analysis = Analysis.objects.get(review__slug=demo)
    ta = [demo, "title-abstract"]
    find = reverse("screening:screen-find", args=[sandbox, "title-abstract"])
    return [
        ("review-home", reverse("screening:review-home", args=[demo]), "demo", 200),
        ("screening", reverse("screening:screen", args=[sandbox, "title-abstract"]), "demo", 200),
        ("find", f"{find}?q=python", "demo", 200),
        ("my-decisions", reverse("screening:my-decisions", args=ta), "demo-reviewer", 200),
        ("end-of-queue", reverse("screening:screen", args=ta), "demo-reviewer", 200),
        ("reference-list", reverse("screening:reference-list", args=[demo]), "demo", 200),
        (
            "prisma-box-list",
            reverse("screening:reference-list", args=[demo]) + "?box=records_excluded",
            "demo",
            200,
        ),
        ("conflicts", reverse("screening:conflict-list", args=[demo]), "demo", 200),
        ("agreement", reverse("screening:agreement", args=[demo]), "demo", 200),
        ("prisma", reverse("screening:prisma", args=[demo]), "demo", 200),
        ("audit-log", reverse("screening:audit-log", args=[demo]), "demo", 200),
        ("study", reverse("extraction:study-detail", args=[demo, study.pk]), "demo", 200),
        ("compare-entries", reverse("extraction:compare", args=[demo, study.pk]), "demo", 200),
        ("meta-analysis", reverse("meta_analysis:detail", args=[demo, analysis.pk]), "demo", 200),
        ("summary-of-findings", reverse("grade:table", args=[demo]), "demo", 200),
        ("forest-plot", reverse("extraction:forest", args=[demo]), "demo", 200),
        (
            "forbidden",
            reverse("screening:screening-settings", args=[demo]),
            "demo-reviewer",
            403,
        ),
    ]


def test_the_docs_screenshots(browser, live_server):
    call_command("load_demo", stdout=StringIO())  # once: it is the slow part
    folder = _folder()
    for size, viewport in SIZES.items():
        contexts = {}  # one browser context (one login) per person
        try:
            for name, path, who, status in _pages():
                if who not in contexts:
                    contexts[who] = browser.new_context(viewport=viewport)
                    _log_in(contexts[who].new_page(), live_server, who)
                page = contexts[who].pages[0]
                response = page.goto(live_server.url + path)
                assert response is not None and response.status == status, (name, path)
                assert page.locator("main h1").first.is_visible(), f"{name}: no heading"
                page.screenshot(path=str(folder / f"{name}-{size}.png"))
        finally:
            for context in contexts.values():
                context.close()


def _log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    with page.expect_navigation():
        page.press('input[name="password"]', "Enter")
    assert reverse("login") not in page.url, f"{username} could not log in"
