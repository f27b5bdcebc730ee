"""The PRISMA page and the audit pages in Chromium: every box of the diagram opens the references
it counts, and a verification sample is drawn by the owner and re-screened blind by a reviewer."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from screening.constants import AuditAction, Stage
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import decision_record
from screening.models import AuditEvent, ExclusionReason, VerificationCheck
from screening.prisma.counts import BOXES, prisma_report
from tests.screening.decisions.test_screening import ris
from tests.screening.prisma.test_prisma import FINISHED, build_review

TA = Stage.TITLE_ABSTRACT


def listed(page) -> int:
    """The number of references the reference list says it shows."""
    text = page.locator("p.muted", has_text=re.compile(r"\breferences?$")).first.inner_text()
    return int(text.split()[0].replace(",", ""))


def test_every_box_of_the_diagram_opens_the_references_it_counts(
    logged_in_page, owner, reviewer, live_server, tmp_path, screenshot
):
    review = build_review(FINISHED, owner, reviewer, tmp_path)
    report = prisma_report(review)
    page = logged_in_page(owner)
    diagram = f"{live_server.url}/r/{review.slug}/prisma/"
    page.goto(diagram)
    expect(page.locator(".prisma-diagram svg")).to_be_visible()
    screenshot("prisma-page")

    links = page.locator(".prisma-diagram a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    names = {m.group(1) for h in hrefs if (m := re.search(r"box=(\w+)$", h))}
    # Every counting box drawn for this review links to its references (the pending boxes are
    # not drawn: nothing is pending).
    assert names >= {"records_screened", "records_excluded", "excluded_other",
                     "dbr_sought_reports", "dbr_assessed", "other_sought_reports"}  # fmt: skip
    for name in sorted(names):
        box = page.locator(f'.prisma-diagram a.prisma-box[href$="box={name}"]')
        if box.count():  # a whole box is the link: its tooltip is the box's definition
            expect(box.locator("title")).to_have_text(BOXES[name].definition)
        page.locator(f'.prisma-diagram a[href$="box={name}"] text').first.click()
        expect(page).to_have_url(re.compile(rf"box={name}$"))
        number = getattr(report, name)  # a box with reasons holds their list
        expected = sum(r.n for r in number) if isinstance(number, list) else number
        assert listed(page) == expected, name
        page.go_back()

    # A reason's line opens the reports excluded for that reason.
    reason = report.dbr_excluded[0]
    page.locator(".prisma-diagram a", has_text=reason.reason).first.click()
    expect(page).to_have_url(re.compile(rf"box=dbr_excluded:{reason.reason_id}$"))
    assert listed(page) == reason.n == 1

    # The SVG download is the diagram with its numbers.
    page.goto(diagram)
    with page.expect_download() as download:
        page.get_by_role("link", name="SVG", exact=True).click()
    svg = Path(download.value.path()).read_text(encoding="utf-8")
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert f"Records screened (n = {report.records_screened})" in svg


def test_an_owner_draws_a_sample_and_a_reviewer_re_screens_it_blind(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    references = [r.reference for r in import_text(ris(6)).records.order_by("position")]
    design = ExclusionReason.objects.get(review=review, label="Wrong study design")
    for reference in references[:4]:
        decision_record(
            review=review, reference=reference, stage=TA, reviewer=owner, verdict="exclude",
            reason=design,
        )  # fmt: skip

    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/exclusions/")
    page.locator("select[name=reviewer]").select_option(label=reviewer.get_username())
    page.locator("input[name=percent]").fill("50")
    page.get_by_role("button", name="Draw a sample").click()
    expect(page.locator("section.sample")).to_contain_text("50% of 4")
    expect(page.locator("section.sample")).to_contain_text("0 of 2 checked")

    # The reviewer re-screens the two without seeing the owner's decision, and keeps one.
    other = logged_in_page(reviewer)
    other.goto(f"{live_server.url}/r/{review.slug}/exclusions/")
    other.get_by_role("link", name=re.compile("Re-screen")).click()
    expect(other.locator("article.screen-reference")).to_be_visible()
    expect(other.locator("main")).not_to_contain_text("Wrong study design")
    screenshot("verification-screen")
    other.get_by_role("button", name="Include").click()
    expect(other.locator("p.muted").first).to_contain_text("1 of 2 done")
    other.get_by_role("button", name="Exclude").click()
    expect(other.locator(".status-done")).to_contain_text("re-screened")

    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/exclusions/")
    expect(page.locator(".verification-result")).to_contain_text("Wrongly excluded: 1 of 2")
    assert VerificationCheck.objects.filter(sample__review=review).count() == 2
    actions = list(
        AuditEvent.objects.filter(review=review, action__startswith="verify.").values_list(
            "action", flat=True
        )
    )
    assert actions == [AuditAction.VERIFY_DRAW, AuditAction.VERIFY_CHECK, AuditAction.VERIFY_CHECK]
