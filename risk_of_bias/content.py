"""An assessment's content: its answers, each domain's proposed and final judgement, and the
overall one, in the shape the JSON export publishes. The same content is what a submission's
digest is taken of, so a later rewrite of a submitted assessment shows as a digest that no
longer matches the one in the audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from risk_of_bias.models import Answer, Assessment, DomainJudgement
from risk_of_bias.tool import applicable, propose, propose_overall, tool


def _evidence(answer: Answer) -> dict:
    return {
        "comment": answer.comment,
        "quote": answer.quote,
        "report": answer.report_id,
        "page": answer.page,
    }


def content(
    assessment: Assessment, answers: Iterable[Answer], overrides: Iterable[DomainJudgement]
) -> dict:
    """The assessment as the export shows it (without who and which result: the caller adds
    those). A question that does not apply, given the answers, is left out; a domain with an
    unanswered question has no proposal yet (None)."""
    rob = tool(assessment.tool)
    answers = list(answers)
    given = {answer.question: answer.response for answer in answers}
    evidence = {answer.question: _evidence(answer) for answer in answers}
    overridden = {override.domain: override for override in overrides}
    domains, finals = [], {}
    for domain in rob.domains:
        asked = [question.id for question in applicable(domain, given)]
        proposed = propose(domain, given)
        override = overridden.get(domain.id)
        judgement = override.judgement if override else proposed
        finals[domain.id] = judgement
        domains.append(
            {
                "domain": domain.id,
                "answers": {qid: given[qid] for qid in asked if qid in given},
                "evidence": {qid: evidence[qid] for qid in asked if qid in given},
                "proposed": proposed,
                "judgement": judgement,
                "overridden": override is not None,
                "justification": override.justification if override else "",
            }
        )
    proposed = propose_overall(rob, finals) if all(finals.values()) else None
    return {
        "tool": rob.name,
        "variant": rob.key,
        "domains": domains,
        "overall": {
            "proposed": proposed,
            "judgement": assessment.overall or proposed,
            "overridden": bool(assessment.overall),
            "justification": assessment.overall_justification,
        },
    }


def content_of(assessment: Assessment) -> dict:
    """The content, read from the database."""
    return content(assessment, assessment.answers.all(), assessment.domains.all())


def digest(value: dict) -> str:
    """SHA-256 of the content in a canonical form (sorted keys, no spaces)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def missing(value: dict) -> list[str]:
    """What a submission still lacks, in words: each domain with an unanswered question, and
    the overall judgement."""
    gaps = [
        f"{domain['domain']}: answer every question that applies"
        for domain in value["domains"]
        if domain["judgement"] is None
    ]
    if not gaps and value["overall"]["judgement"] is None:
        gaps.append("the overall judgement")
    return gaps
