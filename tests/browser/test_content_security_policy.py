"""Every page works under the Content-Security-Policy: Chromium reports no violation (no inline
script or style, nothing from elsewhere) on the demo's pages, htmx included."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from playwright.sync_api import expect

from screening.demo.worked_example import DEMO_PASSWORD

# Collects the browser's own CSP violation reports on every page before any script of ours runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
PAGES = [
    "/",
    "/r/ivonescimab/",
    "/r/ivonescimab/prisma/",
    "/r/ivonescimab/references/",
    "/r/ivonescimab/audit/",
    "/r/ivonescimab/exclusions/",
    "/r/ivonescimab/agreement/",
    "/r/ivonescimab/members/",
    "/r/ivonescimab/settings/",
    "/r/ivonescimab/studies/",
    "/r/import-demo/",
    "/r/import-demo/import/",
    "/r/import-demo/duplicates/",
]


def test_the_pages_pass_the_content_security_policy(logged_in_page, live_server, django_user_model):
    call_command("load_demo", stdout=StringIO())
    page = logged_in_page(django_user_model.objects.get(username="demo"), DEMO_PASSWORD)
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    seen = {}
    for path in PAGES:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        seen[path] = page.evaluate("window.__cspViolations")

    # An htmx exchange on the screening page: a decision by keyboard.
    page.goto(live_server.url + "/r/import-demo/screen/title-abstract/")
    expect(page.locator("#decision-form")).to_be_visible()
    mine = int(page.locator("#decided-by-me").inner_text())
    page.keyboard.press("i")
    expect(page.locator("#decided-by-me")).to_have_text(str(mine + 1))  # htmx swapped it in
    seen["screening"] = page.evaluate("window.__cspViolations")

    violations = {path: found for path, found in seen.items() if found}
    blocked = [text for text in console if "Content Security Policy" in text]
    assert not violations and not blocked, (violations, blocked)
