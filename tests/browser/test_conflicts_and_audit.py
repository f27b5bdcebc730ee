"""Conflicts and the audit log in Chromium: the owner reads a conflict's abstract beside the
resolve form, resolves it, finds it under "Resolved" with its resolution, then reads the
resolution in the audit log as a sentence whose link leads to the reference."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from screening.constants import Stage
from screening.decisions.services import decision_record
from screening.models import ExclusionReason
from tests.screening.decisions.test_conflict_pages import abstracts

TA = Stage.TITLE_ABSTRACT


def test_the_owner_resolves_a_conflict_and_reads_it_in_the_audit_log(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    search = import_text(abstracts(2), name="conflicts.ris", source="Embase")
    references = [record.reference for record in search.records.order_by("position")]
    design = ExclusionReason.objects.get(review=review, label="Wrong study design")
    for reference in references:
        decision_record(review=review, reference=reference, stage=TA, reviewer=owner,
                        verdict="include")  # fmt: skip
        decision_record(review=review, reference=reference, stage=TA, reviewer=reviewer,
                        verdict="exclude", reason=design)  # fmt: skip
    first = references[0]

    page = logged_in_page(owner)
    page.goto(f"{live_server.url}/r/{review.slug}/conflicts/")
    conflict = page.locator("section.conflict").filter(has_text=first.title)
    abstract = conflict.locator("details.abstract")
    expect(abstract.get_by_text("Abstract 1: adults with advanced NSCLC.")).to_be_hidden()
    abstract.locator("summary").click()
    expect(abstract.get_by_text("Abstract 1: adults with advanced NSCLC.")).to_be_visible()
    conflict.get_by_label("Reason (to exclude)").select_option(label="Wrong comparator")
    conflict.get_by_label("Note").fill("no comparator arm")
    screenshot("conflict-with-abstract")
    conflict.get_by_role("button", name="Resolve: exclude").click()
    expect(page.get_by_text("Resolved:")).to_be_visible()
    expect(page.locator("section.conflict")).to_have_count(1)  # the other one is left

    page.get_by_role("navigation", name="Open or resolved").get_by_role(
        "link", name="Resolved"
    ).click()
    resolved = page.locator("section.conflict")
    expect(resolved).to_have_count(1)
    expect(resolved.locator(".resolution")).to_contain_text(
        re.compile(
            r"Resolved by olivia-owner\s+on [^:]+:\d\d:\s+Exclude\s+\(Wrong comparator\)\s+"
            r"“no comparator arm”"
        )
    )
    expect(resolved).to_contain_text("rui-reviewer: Exclude")
    screenshot("resolved-conflicts")

    page.goto(f"{live_server.url}/r/{review.slug}/audit/")
    sentence = page.locator("td.sentence").filter(has_text="resolved a conflict on")
    expect(sentence).to_have_text(
        f"olivia-owner resolved a conflict on ‘{first.title}’ at title and abstract as exclude: "
        "Wrong comparator; note: “no comparator arm”."
    )
    data = page.locator("tr", has=sentence).locator("details.event-data")
    data.locator("summary").click()
    expect(data.locator("pre")).to_contain_text('"verdict": "exclude"')
    screenshot("audit-sentences")
    sentence.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/r/{review.slug}/references/{first.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)
