"""Assessments through the services: the algorithm's proposals, overrides only with a reason,
submission (frozen, its digest logged), two assessors blind to each other until both have
submitted, the consensus by an owner or resolver from the answers they agree on, and a rewrite
behind the application's back found by the digest."""

from __future__ import annotations

import pytest

from risk_of_bias.content import content_of, digest
from risk_of_bias.models import Answer, Assessment
from risk_of_bias.selectors import digest_mismatches, result_row
from risk_of_bias.services import (
    JudgementInput,
    RobRefused,
    assessment_save,
    assessment_start,
    assessment_submit,
    consensus_start,
    rob_settings_update,
)
from screening.constants import AuditAction
from screening.models import AuditEvent
from tests.risk_of_bias.conftest import HIGH_D1, LOW, answers, assess

pytestmark = pytest.mark.django_db


def test_the_algorithm_proposes_every_judgement_and_the_overall_one(trial):
    assessment = assess(trial, trial.a, trial.pfs, LOW)
    value = content_of(assessment)
    assert [d["proposed"] for d in value["domains"]] == ["low"] * 5
    assert value["overall"] == {"proposed": "low", "judgement": "low", "overridden": False,
                                "justification": ""}  # fmt: skip
    high = assess(trial, trial.b, trial.pfs, HIGH_D1)
    value = content_of(high)
    assert value["domains"][0]["judgement"] == "high" and value["overall"]["judgement"] == "high"
    # Only the questions that apply are in the content (2.3-2.5 and 2.7 were skipped).
    assert list(value["domains"][1]["answers"]) == ["2.1", "2.2", "2.6"]


def test_an_override_needs_a_reason_and_is_marked(trial):
    with pytest.raises(RobRefused, match="D3: say why"):
        assess(trial, trial.a, trial.pfs, LOW, overrides={"D3": JudgementInput("some concerns")})
    assessment = assess(
        trial, trial.a, trial.pfs, LOW,
        overrides={"D3": JudgementInput("some concerns", "Censoring differed between arms."),
                   "D1": JudgementInput("low", "the same as proposed: no override")},
    )  # fmt: skip
    value = content_of(assessment)
    d1, d3 = value["domains"][0], value["domains"][2]
    assert (d1["overridden"], d1["judgement"]) == (False, "low")
    assert (d3["proposed"], d3["judgement"], d3["overridden"]) == ("low", "some concerns", True)
    assert d3["justification"] == "Censoring differed between arms."
    # The overall proposal follows the final judgements: some concerns, not low.
    assert value["overall"]["proposed"] == "some concerns"
    with pytest.raises(RobRefused, match="Overall: say why"):
        assess(trial, trial.a, trial.pfs, LOW, overall=JudgementInput("high"))


def test_a_submission_needs_every_question_that_applies_and_freezes(trial):
    incomplete = assess(trial, trial.a, trial.pfs, {k: v for k, v in LOW.items() if k != "3.1"})
    with pytest.raises(RobRefused, match="D3: answer every question that applies"):
        assessment_submit(assessment=incomplete, user=trial.a)
    done = assess(trial, trial.a, trial.pfs, LOW)
    with pytest.raises(RobRefused, match="Only its assessor"):
        assessment_submit(assessment=done, user=trial.b)
    assessment_submit(assessment=done, user=trial.a)
    done.refresh_from_db()
    assert done.submitted and done.digest == digest(content_of(done))
    event = AuditEvent.objects.filter(action=AuditAction.ROB_SUBMIT).get()
    assert event.after["digest"] == done.digest and "domains" not in event.after
    assert (event.after["study"], event.after["outcome"]) == (
        "HARMONi-A",
        "Progression-free survival",
    )
    with pytest.raises(RobRefused, match="was submitted"):
        assessment_save(assessment=done, user=trial.a, answers=answers(HIGH_D1), domains={},
                        overall=JudgementInput(""))  # fmt: skip


def test_two_assessors_at_most_and_one_assessment_each(trial):
    first = assess(trial, trial.a, trial.pfs, LOW)
    assert assessment_start(review=trial.review, user=trial.a, outcome=trial.pfs) == first
    assess(trial, trial.b, trial.pfs, LOW)
    with pytest.raises(RobRefused, match="has its 2 assessors already"):
        assessment_start(review=trial.review, user=trial.owner, outcome=trial.pfs)
    with pytest.raises(RobRefused, match="owners and reviewers"):
        assessment_start(review=trial.review, user=trial.viewer, outcome=trial.orr)
    rob_settings_update(
        review=trial.review, user=trial.owner, assessors=3, tool_key="rob2-assignment"
    )
    assert assessment_start(review=trial.review, user=trial.owner, outcome=trial.pfs).pk
    with pytest.raises(RobRefused, match="cannot change now"):
        rob_settings_update(review=trial.review, user=trial.owner, assessors=3,
                            tool_key="rob2-adherence")  # fmt: skip


def test_no_one_sees_an_assessors_answers_until_both_have_submitted(trial):
    a = assess(trial, trial.a, trial.pfs, LOW)
    b = assess(trial, trial.b, trial.pfs, HIGH_D1)

    def seen(user) -> set[int]:
        return {x.pk for x in result_row(trial.review, trial.pfs).visible(user.pk)}

    assert seen(trial.a) == {a.pk} and seen(trial.b) == {b.pk} and seen(trial.owner) == set()
    assessment_submit(assessment=a, user=trial.a)
    assert seen(trial.b) == {b.pk} and seen(trial.owner) == set() and seen(trial.viewer) == set()
    assessment_submit(assessment=b, user=trial.b)
    for user in (trial.a, trial.b, trial.owner, trial.viewer):
        assert seen(user) == {a.pk, b.pk}


def test_the_consensus_waits_for_both_and_starts_from_what_they_agree_on(trial):
    a = assess(trial, trial.a, trial.pfs, LOW)
    assessment_submit(assessment=a, user=trial.a)
    with pytest.raises(RobRefused, match="waits for the 2 assessments: 1 submitted"):
        consensus_start(review=trial.review, user=trial.owner, outcome=trial.pfs)
    b = assess(trial, trial.b, trial.pfs, HIGH_D1)
    assessment_submit(assessment=b, user=trial.b)
    with pytest.raises(RobRefused, match="owners and resolvers"):
        consensus_start(review=trial.review, user=trial.a, outcome=trial.pfs)
    consensus = consensus_start(review=trial.review, user=trial.owner, outcome=trial.pfs)
    agreed = dict(consensus.answers.values_list("question", "response"))
    assert agreed == {k: v for k, v in LOW.items() if k != "1.2"}  # 1.2: Y against N
    assessment_save(assessment=consensus, user=trial.owner, answers=answers({**LOW, "1.2": "PY"}),
                    domains={}, overall=JudgementInput(""))  # fmt: skip
    assessment_submit(assessment=consensus, user=trial.owner)
    event = AuditEvent.objects.filter(action=AuditAction.ROB_CONSENSUS).get()
    assert event.after["domains"] == {f"D{n}": "low" for n in range(1, 6)}
    assert event.after["overall"]["judgement"] == "low"
    row = result_row(trial.review, trial.pfs)
    assert row.reported.pk == consensus.pk and row.reported.kind == Assessment.CONSENSUS
    # Kept, all three.
    assert Assessment.objects.filter(outcome=trial.pfs, submitted_at__isnull=False).count() == 3


def test_a_rewrite_of_a_submitted_assessment_is_found_by_its_digest(trial):
    a = assess(trial, trial.a, trial.pfs, LOW)
    assessment_submit(assessment=a, user=trial.a)
    assert digest_mismatches(trial.review) == []
    # Behind the application's back: an answer changed, and the assessment's own digest too.
    Answer.objects.filter(assessment=a, question="1.2").update(response="N")
    assert digest_mismatches(trial.review) == [a]
    Assessment.objects.filter(pk=a.pk).update(digest=digest(content_of(a)))
    assert digest_mismatches(trial.review) == [a]  # the log's digest still differs
