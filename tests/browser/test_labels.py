"""Labels in Chromium: a reviewer puts labels on the record being screened with `t` (type to
filter, a number or Enter) and by a click, and the decision keys still work after; the reference
list filters by the label and its CSV carries it. A blind teammate sees neither that label on the
open reference nor the reviewer's private label, on the screening page or in the list."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from screening.constants import Role
from screening.labels.services import label_create
from screening.models import Membership, ReferenceLabel
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import BLOCKING, _axe_violations, _described
from tests.browser.test_screening_pages import _log_in, decided, screen_url, shown
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris

PRIVATE = "Hunch of Rui"


def _no_serious_violation(page, where: str) -> None:
    found = [v for v in _axe_violations(page) if v["impact"] in BLOCKING]
    assert not found, f"axe on {where}:\n{_described(found)}"


def _labels_on(page):
    return page.locator("#labels-on")


def test_a_reviewer_labels_with_t_filters_the_list_and_a_blind_teammate_sees_none_of_it(
    browser, owner, reviewer, review, live_server, import_text
):
    import_text(ris(3), name="embase.ris", source="Embase")
    bea = UserFactory(username="bea-blind")
    Membership.objects.create(review=review, user=bea, role=Role.REVIEWER)
    label_create(review=review, user=owner, name="Dose check", colour="green")
    label_create(review=review, user=owner, name="Phase I", colour="blue")
    label_create(review=review, user=reviewer, name=PRIVATE, colour="purple", private=True)

    contexts = [browser.new_context(accept_downloads=True) for _ in range(2)]
    try:
        rui = _log_in(contexts[0], live_server, reviewer)
        rui.goto(screen_url(live_server, review))
        expect(rui.locator("#label-form")).to_be_visible()  # the panel is in
        labelled = shown(rui)

        # t, type to filter, then the number: the label goes on.
        rui.keyboard.press("t")
        picker = rui.locator("#label-picker")
        expect(picker).to_be_visible()
        rui.keyboard.type("dose")
        expect(rui.locator("#label-choices li")).to_have_count(1)
        rui.keyboard.press("1")
        expect(picker).to_be_hidden()
        expect(_labels_on(rui)).to_contain_text("Dose check")
        # t again, filter, Enter: the private label goes on too.
        rui.keyboard.press("t")
        expect(picker).to_be_visible()
        rui.keyboard.type("hunch")
        rui.keyboard.press("Enter")
        expect(_labels_on(rui)).to_contain_text(PRIVATE)
        # Esc closes the picker and changes nothing.
        rui.keyboard.press("t")
        expect(picker).to_be_visible()
        rui.keyboard.press("Escape")
        expect(picker).to_be_hidden()
        # A click puts one on as well, and takes it off again.
        phase = rui.locator('#label-form button[data-label-name="Phase I"]')
        phase.click()
        expect(phase).to_have_attribute("aria-pressed", "true")
        rui.locator('#label-form button[data-label-name="Phase I"]').click()
        expect(rui.locator('#label-form button[data-label-name="Phase I"]')).to_have_attribute(
            "aria-pressed", "false"
        )
        (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
        rui.screenshot(path=str(ARTIFACTS / "screenshots" / "labels-panel.png"), full_page=True)
        _no_serious_violation(rui, "the screening page with its labels")
        rui.keyboard.press("t")
        expect(picker).to_be_visible()
        _no_serious_violation(rui, "the label picker")
        rui.keyboard.press("Escape")
        expect(picker).to_be_hidden()
        # The decision keys still work: i includes the record and the next one comes.
        rui.keyboard.press("i")
        decided(rui, 1)
        assert shown(rui) != labelled
        expect(rui.locator("#label-form")).to_be_visible()
        expect(_labels_on(rui)).to_contain_text("No label.")

        rui.goto(f"{live_server.url}/r/{review.slug}/labels/")
        expect(rui.locator("table.labels tbody tr")).to_have_count(3)
        _no_serious_violation(rui, "the labels page")

        # The reference list: filtered by the label, one row; its CSV carries it.
        rui.goto(f"{live_server.url}/r/{review.slug}/references/")
        rui.locator("form.filters select[name=label]").select_option(label="Dose check")
        rui.get_by_role("button", name="Filter").click()
        rows = rui.locator("table.references tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Dose check")
        with rui.expect_download() as download:
            rui.get_by_role("link", name="CSV", exact=True).click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert "Dose check" in text and PRIVATE in text

        # Bea, blind: the reference is open (Rui's vote awaits a second), so Rui's label is
        # hidden from her, and his private label is never hers to see.
        bea_page = _log_in(contexts[1], live_server, bea)
        bea_page.goto(screen_url(live_server, review) + f"?reference={labelled}")
        expect(bea_page.locator("#label-form")).to_be_visible()
        expect(_labels_on(bea_page)).to_have_text("No label.")
        expect(
            bea_page.locator('#label-form button[data-label-name="Dose check"]')
        ).to_have_attribute("aria-pressed", "false")
        expect(bea_page.locator("#notes-hidden")).to_be_visible()
        assert PRIVATE not in bea_page.content()
        bea_page.goto(f"{live_server.url}/r/{review.slug}/references/")
        assert PRIVATE not in bea_page.content()
        bea_page.locator("form.filters select[name=label]").select_option(label="Dose check")
        bea_page.get_by_role("button", name="Filter").click()
        expect(bea_page.locator("#list-count")).to_have_text("0 references")
    finally:
        for context in contexts:
            context.close()
    assert ReferenceLabel.objects.filter(applied_by=reviewer).count() == 2
