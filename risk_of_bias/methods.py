"""The methods paragraph of PRISMA 2020 item 11 for risk of bias, written from the audit log
(who submitted which assessment, who made each consensus) and the assessments themselves (how
many judgements were overridden, on how many results the assessors disagreed)."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model

from risk_of_bias.content import content_of
from risk_of_bias.models import Assessment
from risk_of_bias.selectors import ResultRow
from risk_of_bias.tool import tool
from screening.constants import AuditAction
from screening.models import AuditEvent, Review

NUMBERS = {1: "one", 2: "two", 3: "three"}


def _people(n: int) -> str:
    return f"{NUMBERS.get(n, str(n))} reviewer{'s' if n != 1 else ''}"


def methods_paragraph(review: Review, rows: list[ResultRow]) -> str:
    """The paragraph, or "" while no result has its consensus."""
    reported = [row for row in rows if row.reported]
    if not reported:
        return ""
    ids = [a.pk for row in reported for a in [*row.submitted, row.reported]]
    events = AuditEvent.objects.in_review(review).filter(
        object_type=Assessment._meta.label_lower,
        object_id__in=[str(pk) for pk in ids],
        action__in=[AuditAction.ROB_SUBMIT, AuditAction.ROB_CONSENSUS],
    )
    submitters: Counter = Counter()
    makers: Counter = Counter()
    for event in events:
        if event.action == AuditAction.ROB_CONSENSUS:
            makers[event.actor_id] += 1
        else:
            submitters[event.object_id] += 1
    per_result = Counter(len(row.submitted) for row in reported)
    names = dict(get_user_model().objects.filter(pk__in=makers).values_list("pk", "username"))
    rob = tool(reported[0].reported.tool)
    overridden = disagreed = 0
    for row in reported:
        contents = [content_of(a) for a in row.submitted]
        overridden += sum(d["overridden"] for c in contents for d in [*c["domains"], c["overall"]])
        finals = {
            tuple(d["judgement"] for d in c["domains"]) + (c["overall"]["judgement"],)
            for c in contents
        }
        disagreed += len(finals) > 1
    how_many = "; ".join(
        f"{'each of the ' if count > 1 else ''}{count} result{'s' if count != 1 else ''} by "
        f"{_people(n)}"
        for n, count in sorted(per_result.items())
    )
    overrides = (
        f"assessors overrode {overridden} of them, each with a written justification"
        if overridden
        else "no assessor overrode a proposal"
    )
    who = ", ".join(
        f"{names.get(pk, 'a former member')} ({n} result{'s' if n != 1 else ''})"
        for pk, n in makers.items()
    )
    return (
        f"Risk of bias was assessed for {len(reported)} result{'s' if len(reported) != 1 else ''}"
        f" with {rob.label} (Sterne et al. 2019). Each result was assessed independently "
        f"({how_many}), each assessor blind to the others' answers until all had submitted. The "
        f"tool's algorithm proposed each domain's judgement and the overall one; {overrides}. "
        "The assessors "
        f"disagreed on at least one judgement for {disagreed} of the {len(reported)} results; "
        f"every result's judgements were settled by consensus (made by {who}), and the consensus "
        f"judgements are those reported. In all, {sum(submitters.values())} assessments were "
        "submitted, each with a digest of its content in the review's audit log."
    )
