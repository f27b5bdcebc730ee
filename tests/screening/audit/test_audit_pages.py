"""The audit pages: the filtered log and its CSV, the exclusion audit with each reviewer's
reasons, and verification samples of single-reviewer exclusions re-screened blind."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from screening.constants import AuditAction, Role, Stage
from screening.decisions.agreement import wilson_interval
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import ScreeningRefused, decision_record
from screening.models import AuditEvent, ExclusionReason, Membership, VerificationCheck
from screening.verification.services import (
    single_reviewer_exclusions,
    verification_check,
    verification_draw,
    verification_result,
)
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def url(name, review, *args):
    return reverse(f"screening:{name}", args=[review.slug, *args])


@pytest.fixture
def single_screened(review, owner, reviewer, import_text):
    """Single screening; the reviewer excludes 10 references, mostly for one reason."""
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    references = [r.reference for r in import_text(ris(12)).records.order_by("position")]
    design = ExclusionReason.objects.get(review=review, label="Wrong study design")
    population = ExclusionReason.objects.get(review=review, label="Wrong patient population")
    for n, reference in enumerate(references[:10]):
        decision_record(
            review=review, reference=reference, stage=TA, reviewer=reviewer, verdict="exclude",
            reason=design if n < 8 else population,
        )  # fmt: skip
    for reference in references[10:]:
        decision_record(
            review=review, reference=reference, stage=TA, reviewer=owner, verdict="exclude",
            reason=population,
        )  # fmt: skip
    return references


def test_the_log_filters_by_who_what_stage_and_reason_and_downloads(
    client_owner, review, single_screened, reviewer
):
    listed = client_owner.get(
        url("audit-log", review),
        {"actor": reviewer.pk, "action": AuditAction.DECISION, "stage": TA, "reason": "design"},
    )
    assert listed.context["page"].paginator.count == 8
    response = client_owner.get(url("audit-log", review), {"format": "csv", "action": "decision"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["seq", "time", "actor", "action", "object", "before", "after", "hash"]
    assert len(rows) == 1 + 12
    assert all(len(row[7]) == 64 for row in rows[1:])


def test_the_log_page_verifies_the_chain(client_owner, review, single_screened):
    page = client_owner.get(url("audit-log", review), {"verify": "1"}).content.decode()
    total = AuditEvent.objects.filter(review=review).count()
    assert f"The log of {total} events verifies: chain, seal and decisions." in page


def test_the_exclusion_audit_lists_exclusions_and_flags_drifting_reasons(
    client_owner, review, single_screened
):
    response = client_owner.get(url("exclusion-audit", review))
    page = response.content.decode()
    assert response.context["page"].paginator.count == 12
    assert page.count("one reviewer") >= 12
    rui = next(
        row
        for _, distribution in response.context["distributions"]
        for row in distribution["rows"]
        if row["reviewer"] == "rui-reviewer"
    )
    cells = dict(zip(response.context["distributions"][0][1]["reasons"], rui["cells"], strict=True))
    assert cells["Wrong study design"]["share"] == 80.0
    assert cells["Wrong study design"]["others"] == 0.0
    assert cells["Wrong study design"]["drift"] is True
    assert 'class="num drift"' in page


def test_a_verification_sample_is_drawn_rescreened_blind_and_estimated(
    review, owner, reviewer, single_screened
):
    checker = UserFactory(username="cleo-checker")
    Membership.objects.create(review=review, user=checker, role=Role.REVIEWER)
    sample = verification_draw(
        review=review, stage=TA, percent=50, seed=7, reviewer=checker, user=owner
    )
    assert single_reviewer_exclusions(review, TA).count() == 12
    assert (sample.population, len(sample.references)) == (12, 6)
    again = verification_draw(
        review=review, stage=TA, percent=50, seed=7, reviewer=checker, user=owner
    )
    assert again.references == sample.references  # the seed repeats the draw

    for n, reference_id in enumerate(sample.references):
        verification_check(
            sample=sample,
            reference=single_screened[0].__class__.objects.get(pk=reference_id),
            verdict="include" if n == 0 else "exclude",
            reviewer=checker,
        )
    result = verification_result(sample)
    assert (result.checked, result.wrongly_excluded, result.remaining) == (6, 1, 0)
    low, high = wilson_interval(1, 6)
    assert (result.low, result.high) == (low, high)
    assert 0.02 < low < 0.04 and 0.55 < high < 0.6  # Wilson's 95% interval of 1/6
    actions = list(AuditEvent.objects.filter(review=review).values_list("action", flat=True))
    assert actions.count(AuditAction.VERIFY_DRAW) == 2
    assert actions.count(AuditAction.VERIFY_CHECK) == 6


def test_only_the_assigned_reviewer_rescreens_and_not_their_own_exclusions(
    review, owner, reviewer, single_screened
):
    sample = verification_draw(
        review=review, stage=TA, percent=100, seed=1, reviewer=owner, user=owner
    )
    assert sample.population == 10  # the two the owner excluded are left out
    reference = single_screened[0].__class__.objects.get(pk=sample.references[0])
    with pytest.raises(ScreeningRefused, match="for another reviewer"):
        verification_check(sample=sample, reference=reference, verdict="include", reviewer=reviewer)
    with pytest.raises(ScreeningRefused, match="Only the review's owners draw"):
        verification_draw(
            review=review, stage=TA, percent=10, seed=1, reviewer=owner, user=reviewer
        )


def test_the_verification_page_hides_the_earlier_decision(
    client_owner, review, owner, single_screened
):
    sample = verification_draw(
        review=review, stage=TA, percent=100, seed=3, reviewer=owner, user=owner
    )
    page = client_owner.get(url("verification-screen", review, sample.pk)).content.decode()
    assert "Wrong study design" not in page and "Wrong patient population" not in page
    first = sample.references[0]
    client_owner.post(
        url("verification-screen", review, sample.pk), {"reference": first, "verdict": "include"}
    )
    assert VerificationCheck.objects.get(sample=sample, reference_id=first).verdict == "include"
    audit = client_owner.get(url("exclusion-audit", review)).content.decode()
    assert "Wrongly excluded: <strong>1 of 1</strong>" in audit


def test_audit_pages_are_for_members(client_outsider, review):
    for name in ("audit-log", "exclusion-audit"):
        assert client_outsider.get(url(name, review)).status_code == 404


def test_the_wilson_interval_matches_published_values():
    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 -> 0.2553 to 0.3662;
    # 0/10 -> 0 to 0.2775.
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert tuple(round(x, 4) for x in wilson_interval(0, 10)) == (0.0, 0.2775)
    assert wilson_interval(0, 0) is None
