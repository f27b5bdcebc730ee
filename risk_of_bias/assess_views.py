"""A result's risk of bias: the member's own assessment (start, save as a draft, submit), the
result's page (the assessments the member may see, side by side, with where they disagree),
and the consensus, made by an owner or a resolver once every assessor has submitted."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from extraction.models import Outcome, StudyReport
from extraction.selectors import report_pdfs
from risk_of_bias.content import content, content_of
from risk_of_bias.export import result_label
from risk_of_bias.forms import answers_from, domains_from, judgement_from
from risk_of_bias.models import Answer, Assessment, DomainJudgement, RobSettings
from risk_of_bias.selectors import ResultRow, result_row
from risk_of_bias.services import (
    RobRefused,
    assessment_save,
    assessment_start,
    assessment_submit,
    consensus_start,
)
from risk_of_bias.tool import JUDGEMENTS, RESPONSES, Condition, Tool, applicable, tool
from screening.constants import EDITOR_ROLES
from screening.models import Review
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt


def _outcome(review: Review, pk: int) -> Outcome:
    return get_object_or_404(Outcome.objects.in_review(review).select_related("study"), pk=pk)


def for_display(value: dict) -> dict:
    """The content with each domain's answers listed with their evidence, for the templates
    (which cannot look a question up in a dict)."""
    domains = [
        {
            **domain,
            "listed": [
                {"id": qid, "response": response, **domain["evidence"].get(qid, {})}
                for qid, response in domain["answers"].items()
            ],
        }
        for domain in value["domains"]
    ]
    return {**value, "domains": domains}


def result_url(review: Review, outcome: Outcome, name: str = "result") -> str:
    return reverse(f"risk_of_bias:{name}", args=[review.slug, outcome.pk])


@dataclass
class QuestionField:
    question: object
    answer: object  # the saved Answer, or None
    applies: bool


@dataclass
class DomainForm:
    domain: object
    questions: list[QuestionField] = field(default_factory=list)
    proposed: str | None = None
    judgement: str | None = None
    override: object = None  # the DomainJudgement, or None


def _condition_data(condition: Condition | None) -> dict | None:
    """A condition as the JSON the data file writes it in, tested in the order tool._holds tests
    it (a question, else "any" if it has parts, else "all"), so the page's script reads it alike.
    None (a question always asked) stays None."""
    if condition is None:
        return None
    if condition.question:
        return {"question": condition.question, "in": list(condition.among)}
    if condition.any_of:
        return {"any": [_condition_data(part) for part in condition.any_of]}
    return {"all": [_condition_data(part) for part in condition.all_of]}


def rules_data(rob: Tool) -> dict:
    """The tool's questions, their conditions and the domains' rules, as plain JSON for the form's
    script (static/js/rob-form.js), which hides the questions that do not apply and proposes the
    judgements as the assessor answers, by the rules of risk_of_bias/tool.py."""
    return {
        "domains": [
            {
                "id": domain.id,
                "questions": [
                    {
                        "id": q.id,
                        "responses": list(q.responses),
                        "applies_if": _condition_data(q.applies_if),
                    }
                    for q in domain.questions
                ],
                "rules": [{"when": _condition_data(r.when), "then": r.then} for r in domain.rules],
            }
            for domain in rob.domains
        ]
    }


def _posted(assessment: Assessment, data) -> tuple[Assessment, list, list]:
    """What a refused POST held, as unsaved rows, so that the form comes back as it was sent:
    the answers with their evidence, the overrides (a reason typed without a judgement too),
    and the overall judgement (on a copy of the assessment)."""
    rob = tool(assessment.tool)
    answers = [
        Answer(assessment=assessment, question=qid, response=given.response,
               comment=given.comment, quote=given.quote, report_id=given.report_id,
               page=given.page)
        for qid, given in answers_from(data, rob).items()
    ]  # fmt: skip
    overrides = [
        DomainJudgement(assessment=assessment, domain=domain_id, judgement=given.judgement,
                        justification=given.justification)
        for domain_id, given in domains_from(data, rob).items()
        if given.judgement or given.justification.strip()
    ]  # fmt: skip
    overall = judgement_from(data, "overall")
    shown = copy(assessment)
    shown.overall, shown.overall_justification = overall.judgement, overall.justification
    return shown, answers, overrides


def _form_context(assessment: Assessment, posted=None) -> dict:
    """What the assessment form draws: each domain's questions (marked when they do not apply
    given the answers saved), its proposal, and its override; or, for a refused POST, what it
    held (`posted`), so that nothing typed is lost."""
    rob = tool(assessment.tool)
    saved = (assessment, list(assessment.answers.all()), list(assessment.domains.all()))
    shown, rows, judged = _posted(assessment, posted) if posted is not None else saved
    try:
        value = content(shown, rows, [d for d in judged if d.judgement])
    except ValueError:  # a response the tool does not know: show what was saved
        shown, rows, judged = saved
        value = content(shown, rows, judged)
    assessment = shown
    answers = {a.question: a for a in rows}
    given = {qid: a.response for qid, a in answers.items()}
    overrides = {d.domain: d for d in judged}
    forms = []
    for domain, shown in zip(rob.domains, value["domains"], strict=True):
        applying = {q.id for q in applicable(domain, given)}
        forms.append(
            DomainForm(
                domain=domain,
                questions=[
                    QuestionField(q, answers.get(q.id), q.id in applying) for q in domain.questions
                ],
                proposed=shown["proposed"],
                judgement=shown["judgement"],
                override=overrides.get(domain.id),
            )
        )
    links = list(
        StudyReport.objects.filter(study_id=assessment.outcome.study_id).select_related("reference")
    )
    return {
        "assessment": assessment,
        "tool": rob,
        "domain_forms": forms,
        "overall": value["overall"],
        "overall_chosen": value["overall"]["judgement"] if value["overall"]["overridden"] else "",
        "responses": RESPONSES,
        "judgements": JUDGEMENTS,
        "reports": [link.reference for link in links],
        # The study's PDFs, opened beside the form: words selected there become an answer's
        # quote, with its page and report (static/js/rob-form.js takes the reader's quote).
        "pdfs": report_pdfs(assessment.review, links),
        "rob_rules": rules_data(rob),  # for the form's script, in a json_script element
    }


def _page(review, membership, outcome, **more) -> dict:
    return {
        "review": review,
        "membership": membership,
        "outcome": outcome,
        "label": result_label(outcome),
        "rob": RobSettings.for_review(review),
        **more,
    }


def _save(request, assessment: Assessment) -> None:
    rob = tool(assessment.tool)
    assessment_save(
        assessment=assessment,
        user=request.user,
        answers=answers_from(request.POST, rob),
        domains=domains_from(request.POST, rob),
        overall=judgement_from(request.POST, "overall"),
    )


def _edit(request: HttpRequest, review, membership, outcome, assessment, template, **extra):
    """Save (and, if asked, submit) the member's draft; then the form again, or the result."""
    if request.method == "POST" and assessment is not None:
        submitting = request.POST.get("action") == "submit"

        def save() -> str:
            _save(request, assessment)
            if submitting:
                assessment_submit(assessment=assessment, user=request.user)
                return "Submitted: it can no longer change."
            return "Saved as a draft: only you see it."

        done = attempt(request, save)
        if done and submitting:
            return redirect(result_url(review, outcome))
        assessment.refresh_from_db()
        posted = None if done else request.POST
    else:
        posted = None
    context = _page(review, membership, outcome, assessment=assessment, **extra)
    if assessment is not None:
        context |= _form_context(assessment, posted)
    return render(request, template, context)


def assess(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The member's own assessment of the result: a form while a draft, else the result page."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    outcome = _outcome(review, pk)
    row = result_row(review, outcome)
    own = row.mine(request.user.pk)
    if own is not None and own.submitted:
        return redirect(result_url(review, outcome))
    return _edit(request, review, membership, outcome, own, "risk_of_bias/assess.html")


@require_POST
def assess_start(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    outcome = _outcome(review, pk)

    def start() -> None:
        assessment_start(review=review, user=request.user, outcome=outcome)

    if attempt(request, start):
        return redirect(result_url(review, outcome, "assess"))
    return redirect(result_url(review, outcome))


@dataclass
class Difference:
    """A question or a domain on which the assessors' submitted assessments differ."""

    what: str  # "1.2" or "D1" or "Overall"
    values: list[str]


def differences(row: ResultRow) -> list[Difference]:
    """Where the submitted assessments of a revealed result differ: per question (among those
    each answered), then per domain and overall (their final judgements)."""
    if not row.revealed:
        return []
    contents = [content_of(a) for a in row.submitted]
    found = []
    for index, domain in enumerate(contents[0]["domains"]):
        per = [c["domains"][index] for c in contents]
        for qid in sorted(
            {q for d in per for q in d["answers"]}, key=lambda q: [int(p) for p in q.split(".")]
        ):
            values = [d["answers"].get(qid, "—") for d in per]
            if len(set(values)) > 1:
                found.append(Difference(qid, values))
        judged = [d["judgement"] or "—" for d in per]
        if len(set(judged)) > 1:
            found.append(Difference(domain["domain"], judged))
    overall = [c["overall"]["judgement"] or "—" for c in contents]
    if len(set(overall)) > 1:
        found.append(Difference("Overall", overall))
    return found


def result(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The result's assessments, as far as the member may see them."""
    review, membership = review_for_user(request, slug)
    outcome = _outcome(review, pk)
    row = result_row(review, outcome)
    shown = row.visible(request.user.pk)
    context = _page(
        review,
        membership,
        outcome,
        row=row,
        shown=[(a, for_display(content_of(a))) for a in shown],
        differences=differences(row),
        mine=row.mine(request.user.pk),
        can_start=membership.can_edit
        and row.mine(request.user.pk) is None
        and len(row.assessors) < row.wanted,
        can_consent=membership.resolves and row.revealed,
    )
    return render(request, "risk_of_bias/result.html", context)


def consensus(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The consensus form (owners and resolvers): started on the first visit once every
    assessor has submitted; submitted, it is the assessment the review reports."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    if not membership.resolves:
        raise PermissionDenied("The consensus is made by the review's owners and resolvers.")
    outcome = _outcome(review, pk)
    try:
        made = consensus_start(review=review, user=request.user, outcome=outcome)
    except RobRefused as error:
        messages.error(request, str(error))
        return redirect(result_url(review, outcome))
    if made.submitted:
        return redirect(result_url(review, outcome))
    if made.assessor_id != request.user.pk:
        raise Http404("Another member is making this consensus.")
    row = result_row(review, outcome)
    return _edit(
        request, review, membership, outcome, made, "risk_of_bias/consensus.html",
        differences=differences(row),
        row=row,
        consensus_of=[(a, for_display(content_of(a))) for a in row.submitted],
    )  # fmt: skip
