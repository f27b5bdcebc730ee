"""axe-core on the main pages, as the owner of the demo review, at desktop width and on a 390 px
phone: no violation of impact "serious" or "critical" (WCAG 2.x A/AA and axe's best practices,
axe's default rule set). One test walks every page; every violation axe finds, of any impact, is
written to test-artifacts/accessibility/<page>-<width>.json for a reader to go through.

axe-core is vendored in tests/browser/vendor/ (VENDORED.md there: version, source, checksum,
licence), so the tests need neither npm nor the network.
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.db.models import Min
from playwright.sync_api import expect

from extraction.models import Study
from screening.constants import ItemState, Stage
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import decision_record
from screening.demo.worked_example import DEMO_PASSWORD
from screening.models import Review, ScreeningItem
from screening.retrieval.services import full_text_record
from tests.browser.conftest import ARTIFACTS, LOGIN_PATH

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
TA = Stage.TITLE_ABSTRACT
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Each page by name, with its path; {included} and {study} are filled in from the demo.
PAGES = {
    "review-list": "/",
    "review-home": "/r/ivonescimab/",
    "screen-title-abstract": "/r/import-demo/screen/title-abstract/",
    "screen-full-text": "/r/import-demo/screen/full-text/",
    "reference-list": "/r/ivonescimab/references/",
    "reference-detail": "/r/ivonescimab/references/{included}/",
    "conflicts": "/r/import-demo/conflicts/",
    "conflicts-resolved": "/r/ivonescimab/conflicts/?status=resolved",
    "agreement": "/r/ivonescimab/agreement/",
    "prisma": "/r/ivonescimab/prisma/",
    "audit-log": "/r/ivonescimab/audit/",
    "study-list": "/r/ivonescimab/studies/",
    "study": "/r/ivonescimab/studies/{study}/",
    "forest-plot": "/r/ivonescimab/forest/",
    "import-upload": "/r/import-demo/import/",
    "login": LOGIN_PATH,
    # Beyond the main pages: the rest of a review's menu.
    "search-list": "/r/ivonescimab/searches/",
    "duplicates": "/r/import-demo/duplicates/",
    "retrieval": "/r/import-demo/retrieval/",
    "exclusion-audit": "/r/ivonescimab/exclusions/",
    "members": "/r/ivonescimab/members/",
    "screening-settings": "/r/ivonescimab/settings/",
}
# axe.run's resolved value, cut down to what a failing assertion needs to say.
RUN_AXE = """async () => {
    const results = await axe.run(document);
    return results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        targets: v.nodes.map((node) => node.target.join(" ")),
    }));
}"""


def _demo_with_work_waiting(owner, second) -> dict[str, int]:
    """In the import demo, one record taken on to full-text screening (the worked example's full
    texts are all decided) and an open conflict (its conflicts are all resolved), so that the
    screening pages show a record and the conflicts page a resolver's form. Returns the ids the
    page paths name."""
    review = Review.objects.get(slug="import-demo")
    waiting = ScreeningItem.objects.filter(
        review=review, stage=Stage.TITLE_ABSTRACT, state=ItemState.AWAITING
    ).order_by("reference_id")
    full_text, disputed = [item.reference for item in waiting[:2]]
    decision_record(review=review, reference=full_text, stage=TA, reviewer=owner, verdict="include")
    full_text_record(
        review=review, reference=full_text, user=owner, status="retrieved", max_bytes=10**6
    )
    review_settings_update(review=review, user=owner, reviewers_title_abstract=2)
    for reviewer, verdict in ((owner, "include"), (second, "exclude")):
        decision_record(
            review=review, reference=disputed, stage=TA, reviewer=reviewer, verdict=verdict
        )
    demo = Review.objects.get(slug="ivonescimab")
    included = ScreeningItem.objects.filter(
        review=demo, stage=Stage.FULL_TEXT, state=ItemState.INCLUDED
    ).aggregate(first=Min("reference_id"))["first"]
    return {"included": included, "study": Study.objects.get(acronym="HARMONi-A").pk}


def _axe_violations(page) -> list[dict]:
    # The site's Content-Security-Policy allows scripts from the site only, so a <script> tag
    # holding axe (page.add_script_tag) is blocked; page.evaluate runs through the DevTools
    # protocol, which the page's CSP does not govern, and the page keeps its real policy.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE)


def _described(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]\n"
        + "".join(f"      at {target}\n" for target in v["targets"])
        for v in violations
    )


def test_no_page_has_a_serious_accessibility_violation(
    page, logged_in_page, live_server, django_user_model
):
    """Every page at both widths in one test: the demo is loaded once (loading it for each
    page cost CI about two minutes). The assertion lists every page that fails, and why."""
    call_command("load_demo", stdout=StringIO())
    owner = django_user_model.objects.get(username="demo")
    second = django_user_model.objects.get(username="demo-reviewer")
    ids = _demo_with_work_waiting(owner, second)
    folder = ARTIFACTS / "accessibility"
    folder.mkdir(parents=True, exist_ok=True)
    blocking = {}
    # The login page first, logged out; then the review's pages as its owner.
    for name, path in sorted(PAGES.items(), key=lambda item: item[0] != "login"):
        if name != "login" and LOGIN_PATH in page.url:
            logged_in_page(owner, DEMO_PASSWORD)
        path = path.format(**ids)
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{path}: {response.status}"
            violations = _axe_violations(page)
            (folder / f"{name}-{width}.json").write_text(json.dumps(violations, indent=2))
            found = [v for v in violations if v["impact"] in BLOCKING]
            if found:
                blocking[f"{name} ({path}) at {width}"] = found
    assert not blocking, "axe found serious or critical violations:\n" + "".join(
        f" {where}:\n{_described(found)}" for where, found in blocking.items()
    )


def test_the_prisma_diagram_reads_on_a_phone(
    page, logged_in_page, live_server, django_user_model, screenshot
):
    """At 390 px the drawing fits the width (too small to read), "Full size" shows it at its own
    size in a box that scrolls, and the same boxes follow as a list, each opening its references."""
    call_command("load_demo", stdout=StringIO())
    logged_in_page(django_user_model.objects.get(username="demo"), DEMO_PASSWORD)
    page.set_viewport_size(WIDTHS["phone"])
    page.goto(f"{live_server.url}/r/ivonescimab/prisma/")
    diagram, svg = page.locator("#prisma-diagram"), page.locator("#prisma-diagram svg")
    natural = float(svg.get_attribute("width"))
    fitted = svg.bounding_box()["width"]
    assert fitted <= WIDTHS["phone"]["width"] < natural
    screenshot("phone-fitted", full_page=False)

    button = page.get_by_role("button", name="Full size")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    assert svg.bounding_box()["width"] == natural
    # The page itself does not scroll sideways: the diagram's box does.
    assert diagram.evaluate("(box) => box.scrollWidth > box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]["width"]
    screenshot("phone-full-size", full_page=False)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    assert svg.bounding_box()["width"] == fitted

    listed = page.locator(".prisma-outline")
    expect(listed).to_be_visible()
    listed.scroll_into_view_if_needed()
    screenshot("phone-list", full_page=False)
    for text in ("Records screened (n = 133)", "Records excluded** (n = 91)",
                 "Reports of new included studies (n = 15)"):  # fmt: skip
        expect(listed).to_contain_text(text)
    font_size = listed.locator(".prisma-line").first.evaluate(
        "(line) => parseFloat(getComputedStyle(line).fontSize)"
    )
    assert font_size >= 14
    listed.get_by_role("link", name="Records excluded** (n = 91)").click()
    expect(page).to_have_url(re.compile(r"box=records_excluded$"))

    # Wide enough for the drawing, the list is not shown twice.
    page.set_viewport_size(WIDTHS["desktop"])
    page.goto(f"{live_server.url}/r/ivonescimab/prisma/")
    expect(page.locator(".prisma-outline")).to_be_hidden()
