"""Writes of risk-of-bias assessments: starting one, saving its answers and judgements as a
draft, submitting it (then it is frozen, and its digest goes in the audit log), the consensus,
and the review's settings. The rules, said on the pages too:

- owners and reviewers assess; each result has at most `assessors` assessor assessments (a
  review setting, default 2), one per person;
- an assessment is its assessor's alone until submitted, and no one sees another's answers for a
  result until all its assessors have submitted (risk_of_bias/selectors.py);
- overriding the algorithm's proposal for a domain, or for the whole, needs a justification;
- the consensus, by an owner or a resolver, starts once all assessors have submitted, from the
  answers they agree on; it is the assessment reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from extraction.models import Comparison, Outcome, StudyReport
from risk_of_bias.content import content_of, digest, missing
from risk_of_bias.models import Answer, Assessment, DomainJudgement, RobSettings
from risk_of_bias.tool import JUDGEMENTS, TOOLS, tool
from screening.audit.chain import audit_record, review_lock
from screening.constants import EDITOR_ROLES, AuditAction
from screening.models import Membership, Review
from screening.permissions.refusals import Refused

MAX_ASSESSORS = 3


class RobRefused(Refused):
    """A risk-of-bias action is not allowed; `str(error)` says why."""


@dataclass(frozen=True)
class AnswerInput:
    response: str
    comment: str = ""
    quote: str = ""
    report_id: int | None = None
    page: str = ""


@dataclass(frozen=True)
class JudgementInput:
    judgement: str  # "" keeps the algorithm's proposal
    justification: str = ""


def _membership(review: Review, user: AbstractBaseUser) -> Membership:
    membership = Membership.objects.in_review(review).filter(user_id=user.pk).first()
    if membership is None or membership.role not in EDITOR_ROLES:
        raise RobRefused("Only the review's owners and reviewers assess risk of bias.")
    return membership


def result_names(outcome: Outcome) -> dict[str, str]:
    """What the audit log names a result by: its study and its outcome."""
    study = outcome.study
    return {"study": study.acronym or study.name, "outcome": outcome.name}


@transaction.atomic
def rob_settings_update(
    *, review: Review, user: AbstractBaseUser, assessors: int, tool_key: str
) -> RobSettings:
    membership = _membership(review, user)
    if not membership.can_manage:
        raise RobRefused("Only the review's owners change the risk-of-bias settings.")
    if not 1 <= assessors <= MAX_ASSESSORS:
        raise RobRefused(f"Each result is assessed by 1 to {MAX_ASSESSORS} people.")
    if tool_key not in TOOLS:
        raise RobRefused("Choose one of the tools offered.")
    review_lock(review)
    current, _ = RobSettings.objects.get_or_create(review=review)
    before = {"assessors": current.assessors, "tool": current.tool}
    if tool_key != current.tool and Assessment.objects.in_review(review).exists():
        raise RobRefused("Assessments were made with the current tool: it cannot change now.")
    current.assessors, current.tool = assessors, tool_key
    current.save()
    after = {"assessors": assessors, "tool": tool_key}
    if after != before:
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.ROB_SETTINGS,
            obj=current,
            before=before,
            after=after,
        )
    return current


def _result_of_review(review: Review, outcome: Outcome, comparison: Comparison | None) -> None:
    if outcome.study.review_id != review.pk:
        raise RobRefused("That result is not in this review.")
    if comparison is not None and comparison.outcome_id != outcome.pk:
        raise RobRefused("That comparison is not of this outcome.")


def _of_result(review: Review, outcome: Outcome, comparison: Comparison | None):
    return Assessment.objects.in_review(review).filter(outcome=outcome, comparison=comparison)


@transaction.atomic
def assessment_start(
    *,
    review: Review,
    user: AbstractBaseUser,
    outcome: Outcome,
    comparison: Comparison | None = None,
) -> Assessment:
    """The member's own assessment of the result: theirs if they started one, else a new draft,
    if the result still lacks assessors."""
    _membership(review, user)
    _result_of_review(review, outcome, comparison)
    review_lock(review)
    existing = _of_result(review, outcome, comparison).filter(kind=Assessment.ASSESSOR)
    own = existing.filter(assessor=user).first()
    if own is not None:
        return own
    wanted = RobSettings.for_review(review)
    if existing.count() >= wanted.assessors:
        raise RobRefused(
            f"This result has its {wanted.assessors} assessor{'s' if wanted.assessors > 1 else ''}"
            " already."
        )
    assessment = Assessment.objects.create(
        review=review, outcome=outcome, comparison=comparison, tool=wanted.tool, assessor=user
    )
    _started(assessment, user)
    return assessment


def _started(assessment: Assessment, user: AbstractBaseUser) -> None:
    """The audit event of a new assessment (an assessor's or the consensus): who, which result."""
    audit_record(
        review=assessment.review,
        review_locked=True,
        actor=user,
        action=AuditAction.ROB_START,
        obj=assessment,
        after={**result_names(assessment.outcome), "kind": assessment.kind},
    )


def _own_draft(assessment: Assessment, user: AbstractBaseUser) -> None:
    if assessment.assessor_id != user.pk:
        raise RobRefused("Only its assessor changes an assessment.")
    if assessment.submitted:
        raise RobRefused("This assessment was submitted: it cannot change any more.")


def _check_answers(assessment: Assessment, answers: dict[str, AnswerInput]) -> None:
    rob = tool(assessment.tool)
    questions = {q.id: q for domain in rob.domains for q in domain.questions}
    reports = set(
        StudyReport.objects.filter(study_id=assessment.outcome.study_id).values_list(
            "reference_id", flat=True
        )
    )
    for qid, given in answers.items():
        question = questions.get(qid)
        if question is None:
            raise RobRefused(f"The tool has no question {qid}.")
        if given.response not in question.responses:
            raise RobRefused(f"{qid}: answer one of {', '.join(question.responses)}.")
        if given.report_id is not None and given.report_id not in reports:
            raise RobRefused(f"{qid}: the quote's report must be one of the study's reports.")


def _check_judgement(where: str, given: JudgementInput) -> None:
    if given.judgement and given.judgement not in JUDGEMENTS:
        raise RobRefused(f"{where}: judge it low, some concerns or high.")
    if given.judgement and not given.justification.strip():
        raise RobRefused(f"{where}: say why you judge it otherwise than the algorithm proposes.")


@transaction.atomic
def assessment_save(
    *,
    assessment: Assessment,
    user: AbstractBaseUser,
    answers: dict[str, AnswerInput],
    domains: dict[str, JudgementInput],
    overall: JudgementInput,
) -> dict:
    """Save the draft: its answers (all of them, replacing the last save), the domains it
    judges otherwise than proposed, and the overall judgement. An override equal to the
    proposal is no override. Returns the content as saved."""
    review_lock(assessment.review)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _own_draft(assessment, user)
    answers = {qid: given for qid, given in answers.items() if given.response}
    _check_answers(assessment, answers)
    for domain_id, given in domains.items():
        _check_judgement(domain_id, given)
    _check_judgement("Overall", overall)
    assessment.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(
            assessment=assessment,
            question=qid,
            response=given.response,
            comment=given.comment.strip(),
            quote=given.quote.strip(),
            report_id=given.report_id,
            page=given.page.strip()[:40],
        )
        for qid, given in answers.items()
    )
    assessment.domains.all().delete()
    proposals = {d["domain"]: d["proposed"] for d in content_of(assessment)["domains"]}
    DomainJudgement.objects.bulk_create(
        DomainJudgement(
            assessment=assessment,
            domain=domain_id,
            judgement=given.judgement,
            justification=given.justification.strip(),
        )
        for domain_id, given in domains.items()
        if given.judgement and given.judgement != proposals.get(domain_id)
    )
    value = content_of(assessment)
    overriding = overall.judgement and overall.judgement != value["overall"]["proposed"]
    assessment.overall = overall.judgement if overriding else ""
    assessment.overall_justification = overall.justification.strip() if overriding else ""
    assessment.save(update_fields=["overall", "overall_justification", "updated_at"])
    return content_of(assessment)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, user: AbstractBaseUser) -> Assessment:
    """Submit the draft: complete, it is frozen and its digest logged. The consensus's event
    carries its judgements too (by then every assessor's answers are seen)."""
    review_lock(assessment.review)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _own_draft(assessment, user)
    value = content_of(assessment)
    gaps = missing(value)
    if gaps:
        raise RobRefused("Not submitted: " + "; ".join(gaps) + ".")
    assessment.submitted_at = timezone.now()
    assessment.digest = digest(value)
    assessment.save(update_fields=["submitted_at", "digest", "updated_at"])
    after = {
        **result_names(assessment.outcome),
        "kind": assessment.kind,
        "tool": value["tool"],
        "digest": assessment.digest,
    }
    action = AuditAction.ROB_SUBMIT
    if assessment.kind == Assessment.CONSENSUS:
        action = AuditAction.ROB_CONSENSUS
        after |= {
            "domains": {d["domain"]: d["judgement"] for d in value["domains"]},
            "overall": value["overall"],
        }
    audit_record(
        review=assessment.review,
        review_locked=True,
        actor=user,
        action=action,
        obj=assessment,
        after=after,
    )
    return assessment


@transaction.atomic
def consensus_start(
    *,
    review: Review,
    user: AbstractBaseUser,
    outcome: Outcome,
    comparison: Comparison | None = None,
) -> Assessment:
    """The result's consensus assessment, by an owner or a resolver, once every assessor has
    submitted: the existing one, or a new draft holding the answers the assessors agree on."""
    membership = _membership(review, user)
    if not membership.resolves:
        raise RobRefused("Only the review's owners and resolvers make the consensus.")
    _result_of_review(review, outcome, comparison)
    review_lock(review)
    found = _of_result(review, outcome, comparison)
    existing = found.filter(kind=Assessment.CONSENSUS).first()
    if existing is not None:
        return existing
    wanted = RobSettings.for_review(review).assessors
    submitted = list(found.filter(kind=Assessment.ASSESSOR, submitted_at__isnull=False))
    if len(submitted) < wanted:
        raise RobRefused(
            f"The consensus waits for the {wanted} assessments: {len(submitted)} submitted so far."
        )
    consensus = Assessment.objects.create(
        review=review,
        outcome=outcome,
        comparison=comparison,
        tool=submitted[0].tool,
        kind=Assessment.CONSENSUS,
        assessor=user,
    )
    Answer.objects.bulk_create(_agreed_answers(consensus, submitted))
    _started(consensus, user)
    return consensus


def _agreed_answers(consensus: Assessment, submitted: list[Assessment]) -> list[Answer]:
    """The answers every assessor gave alike (with the first one's evidence)."""
    by_assessor = [{a.question: a for a in each.answers.all()} for each in submitted]
    agreed = []
    for qid, answer in by_assessor[0].items():
        if all(qid in other and other[qid].response == answer.response for other in by_assessor):
            agreed.append(
                Answer(
                    assessment=consensus,
                    question=qid,
                    response=answer.response,
                    comment=answer.comment,
                    quote=answer.quote,
                    report_id=answer.report_id,
                    page=answer.page,
                )
            )
    return agreed
