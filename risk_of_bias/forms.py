"""The assessment form's fields, read from a POST: per question `q-1.1` (the response),
`comment-1.1`, `quote-1.1`, `page-1.1`, `report-1.1`; per domain `judgement-D1` and
`justification-D1`; and `judgement-overall`, `justification-overall`. A blank response is no
answer. What the services refuse (an unknown response, an override without a reason) is said
by them, in words."""

from __future__ import annotations

from django.http import QueryDict

from risk_of_bias.services import AnswerInput, JudgementInput
from risk_of_bias.tool import Tool


def _report(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def answers_from(data: QueryDict, rob: Tool) -> dict[str, AnswerInput]:
    found = {}
    for domain in rob.domains:
        for question in domain.questions:
            response = data.get(f"q-{question.id}", "").strip()
            if not response:
                continue
            found[question.id] = AnswerInput(
                response=response,
                comment=data.get(f"comment-{question.id}", ""),
                quote=data.get(f"quote-{question.id}", ""),
                report_id=_report(data.get(f"report-{question.id}", "")),
                page=data.get(f"page-{question.id}", ""),
            )
    return found


def judgement_from(data: QueryDict, key: str) -> JudgementInput:
    return JudgementInput(
        judgement=data.get(f"judgement-{key}", "").strip(),
        justification=data.get(f"justification-{key}", ""),
    )


def domains_from(data: QueryDict, rob: Tool) -> dict[str, JudgementInput]:
    return {domain.id: judgement_from(data, domain.id) for domain in rob.domains}
