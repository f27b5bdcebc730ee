"""Risk of bias in Chromium: the assessment form's script (static/js/rob-form.js) hides the
questions that do not apply and proposes the judgements as the assessor answers, by the same
rules as risk_of_bias/tool.py (checked on many answer sets); two assessors assess a result blind
to each other, one overriding a domain (refused without a justification); the owner sees where
they differ, makes the consensus from the answers they agree on, and the Risk of bias page shows
it, with its plots and its methods paragraph. No serious accessibility violation, nothing the
Content-Security-Policy refuses. Without JavaScript the form still works, the server marking
what does not apply.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

from playwright.sync_api import expect

from extraction.constants import OutcomeKind
from extraction.models import Outcome
from extraction.services import extraction_save, study_create
from risk_of_bias.assess_views import rules_data
from risk_of_bias.content import content_of
from risk_of_bias.models import Assessment
from risk_of_bias.tool import (
    JUDGEMENTS,
    NA,
    RESPONSES,
    TOOLS,
    applicable,
    propose,
    propose_overall,
    tool,
)
from tests.browser.test_accessibility import BLOCKING, _axe_violations, _described
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.browser.test_pdf_reader import included_with_pdfs, page_box, reader_ready, select
from tests.browser.test_pdf_reader import watch as watch_reader
from tests.browser.test_screening_pages import _log_in
from tests.risk_of_bias import conftest as rob_fixtures

# The review with one trial, HARMONi-A, two results and two reviewers (tests/risk_of_bias/).
trial = rob_fixtures.trial

ROB_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "rob-form.js"
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
REFUSED = "D1: say why you judge it otherwise than the algorithm proposes."


# --- The script's rules against Python's ----------------------------------------------------------

# Each case: the domain (by its index in `domains`) and the answers; the answer set as the page
# would read it, with an answer that is not a response to its question now and then (Python
# raises ValueError, the script a RangeError: both read "error" here).
EVALUATE = """([domains, cases]) => cases.map(([index, answers]) => {
    const domain = domains[index];
    let proposed;
    try {
        proposed = window.robRules.propose(domain, answers);
    } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        proposed = "error";
    }
    return [window.robRules.applicable(domain, answers), proposed];
})"""
EVALUATE_OVERALL = """([rules, cases]) => cases.map((judgements) => {
    try {
        return window.robRules.proposeOverall(rules, judgements);
    } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        return "error";
    }
})"""


def _random_answers(rng: random.Random, questions) -> dict[str, str | None]:
    """Mostly a response to each question; some left blank (missing, "" or None), a few answered
    with a response the question does not offer."""
    answers: dict[str, str | None] = {}
    for question in questions:
        draw = rng.random()
        if draw < 0.8:
            answers[question.id] = rng.choice(question.responses)
        elif draw < 0.95:
            blank = rng.choice(["missing", "", None])
            if blank != "missing":
                answers[question.id] = blank
        else:
            answers[question.id] = rng.choice([*RESPONSES, NA])
    return answers


def _python(domain, answers) -> list:
    try:
        proposed = propose(domain, answers)
    except ValueError:
        proposed = "error"
    return [[question.id for question in applicable(domain, answers)], proposed]


def test_the_forms_script_applies_and_proposes_as_python_does(page):
    page.evaluate(ROB_JS.read_text(encoding="utf-8"))  # no form on this page: the rules only
    rng = random.Random(20190822)  # the guidance's date: the same answer sets every run
    for key in TOOLS:
        rob = tool(key)
        domains = rules_data(rob)["domains"]
        cases = []
        for index, domain in enumerate(rob.domains):
            # Every "all answered the same" set, then 300 random ones.
            cases += [(index, {q.id: r for q in domain.questions}) for r in (*RESPONSES, NA)]
            cases += [(index, _random_answers(rng, domain.questions)) for _ in range(300)]
        found = page.evaluate(EVALUATE, [domains, cases])
        expected = [_python(rob.domains[index], answers) for index, answers in cases]
        wrong = [
            (rob.domains[index].id, answers, got, want)
            for (index, answers), got, want in zip(cases, found, expected, strict=True)
            if got != want
        ]
        assert not wrong, f"{key}: {len(wrong)} answer sets differ, first: {wrong[:3]}"
        # The sets reach every outcome, in every domain: the comparison is not a vacuous one.
        for index, domain in enumerate(rob.domains):
            reached = {
                want[1] for (at, _), want in zip(cases, expected, strict=True) if at == index
            }
            assert reached == {*JUDGEMENTS, None, "error"}, (key, domain.id, reached)

        # The overall proposal, from every combination of the domains' judgements (and blanks).
        ids = [domain.id for domain in rob.domains]
        choices = itertools.product([None, *JUDGEMENTS], repeat=len(ids))
        combos = [dict(zip(ids, chosen, strict=True)) for chosen in choices]
        combos.append({**dict.fromkeys(ids, "low"), "D3": "medium"})  # not a judgement
        found = page.evaluate(EVALUATE_OVERALL, [rules_data(rob), combos])
        expected = []
        for judgements in combos:
            try:
                expected.append(propose_overall(rob, judgements))
            except ValueError:
                expected.append("error")
        assert found == expected, key
        assert expected[-1] == "error"


# --- The consensus flow ---------------------------------------------------------------------------


def watch(page) -> list[str]:
    """Record the page's Content-Security-Policy violations (window.__cspViolations, per
    document) and the console's complaints about the policy (across documents)."""
    page.add_init_script(RECORD_VIOLATIONS)
    said: list[str] = []
    page.on(
        "console",
        lambda message: (
            said.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return said


def no_csp_violation(page) -> None:
    assert page.evaluate("window.__cspViolations") == [], page.url


def no_blocking_axe_violation(page, where: str) -> None:
    found = [v for v in _axe_violations(page) if v["impact"] in BLOCKING]
    assert not found, f"axe on {where}:\n{_described(found)}"


def question(page, qid: str):
    return page.locator(f"[id='question-{qid}']")


def answer(page, qid: str, response: str) -> None:
    """Click the response of a question (its label is the response: Y, PY, PN, N, NI)."""
    question(page, qid).get_by_label(response, exact=True).click()


def proposal(page, domain: str):
    return page.locator(f"#proposal-{domain}")


def expect_proposed(page, domain: str, judgement: str) -> None:
    expect(proposal(page, domain).locator("strong")).to_have_text(judgement)


def open_result(page, live_server, trial) -> None:
    """From the Risk of bias page, the result's own page."""
    page.goto(f"{live_server.url}/r/{trial.review.slug}/risk-of-bias/")
    page.get_by_role("link", name="HARMONi-A · Progression-free survival").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "HARMONi-A · Progression-free survival"
    )


def start(page, live_server, trial) -> None:
    open_result(page, live_server, trial)
    page.get_by_role("button", name="Assess this result").click()
    expect(page.locator("#rob-form")).to_be_visible()


def answer_all(page, answers: dict[str, str]) -> None:
    for qid, response in answers.items():
        answer(page, qid, response)


def test_two_assessors_differ_and_the_owner_makes_the_consensus(
    logged_in_page, browser, trial, live_server, screenshot
):
    # --- Rui (the review's reviewer) answers in the browser ---------------------------------------
    rui = logged_in_page(trial.a)
    rui_said = watch(rui)
    rui.set_viewport_size(WIDE)
    start(rui, live_server, trial)
    rules = rui.evaluate("JSON.parse(document.getElementById('rob-rules').textContent)")
    assert rules == rules_data(tool("rob2-assignment"))
    # Before any answer, the questions asked only on some paths are hidden, nothing proposed.
    for qid in ("2.3", "2.4", "2.5", "2.7", "3.2", "3.3", "3.4", "4.3", "4.4", "4.5"):
        expect(question(rui, qid)).to_be_hidden()
    expect(proposal(rui, "D1")).to_have_text("answer the questions that apply")
    expect(proposal(rui, "overall")).to_have_text("once every domain is judged")

    # D1: the proposal appears with the last question answered.
    answer(rui, "1.1", "Y")
    answer(rui, "1.2", "Y")
    expect(proposal(rui, "D1")).to_have_text("answer the questions that apply")
    answer(rui, "1.3", "N")
    expect_proposed(rui, "D1", "low")
    # D2: participants aware, so 2.3 is asked, and on a deviation 2.4; then neither participants
    # nor carers aware: both disappear again (their answers stay, and are ignored).
    answer(rui, "2.1", "Y")
    expect(question(rui, "2.3")).to_be_visible()
    answer(rui, "2.3", "Y")
    expect(question(rui, "2.4")).to_be_visible()
    answer(rui, "2.1", "N")
    answer(rui, "2.2", "N")
    expect(question(rui, "2.3")).to_be_hidden()
    expect(question(rui, "2.4")).to_be_hidden()
    expect(question(rui, "2.3").get_by_label("Y", exact=True)).to_be_checked()  # kept, hidden
    answer(rui, "2.6", "Y")
    expect(question(rui, "2.7")).to_be_hidden()
    expect_proposed(rui, "D2", "low")
    # The keyboard skips the hidden questions: from 2.2's answer, its evidence, then 2.6.
    question(rui, "2.2").get_by_label("N", exact=True).focus()
    rui.keyboard.press("Tab")
    expect(question(rui, "2.2").locator("summary")).to_be_focused()
    rui.keyboard.press("Tab")
    expect(question(rui, "2.6").get_by_label("Y", exact=True)).to_be_focused()
    # D3: not all data available, so 3.2 is asked; evidence of no bias: low.
    answer(rui, "3.1", "N")
    expect(question(rui, "3.2")).to_be_visible()
    answer(rui, "3.2", "Y")
    expect(question(rui, "3.3")).to_be_hidden()
    expect_proposed(rui, "D3", "low")
    # D4 by the keyboard: arrow keys choose the response of a focused radio group, and the
    # question that then applies (4.3) comes next in the focus order.
    answer(rui, "4.1", "N")
    question(rui, "4.2").get_by_label("not answered").focus()
    rui.keyboard.press("ArrowLeft")  # NI
    rui.keyboard.press("ArrowLeft")  # N
    expect(question(rui, "4.2").get_by_label("N", exact=True)).to_be_checked()
    expect(question(rui, "4.3")).to_be_visible()
    rui.keyboard.press("Tab")
    rui.keyboard.press("Tab")
    expect(question(rui, "4.3").get_by_label("not answered")).to_be_focused()  # its checked one
    answer(rui, "4.3", "N")
    expect_proposed(rui, "D4", "low")
    answer_all(rui, {"5.1": "Y", "5.2": "N", "5.3": "N"})
    expect_proposed(rui, "D5", "low")
    expect_proposed(rui, "overall", "low")
    no_blocking_axe_violation(rui, "the assessment form")
    rui.get_by_role("button", name="Save draft").click()
    expect(rui.locator(".messages")).to_contain_text("Saved as a draft")
    no_blocking_axe_violation(rui, "the form with its message")  # one live region, a plain list

    # Rui judges D1 otherwise: the overall proposal follows at once; without a reason, refused.
    rui.locator("select[name='judgement-D1']").select_option("some concerns")
    expect(rui.locator("#override-D1")).to_have_text(
        re.compile(r"Overridden: the algorithm proposes\s+low\.")
    )
    expect_proposed(rui, "overall", "some concerns")
    screenshot("assessment-form")
    rui.get_by_role("button", name="Save draft").click()
    expect(rui.locator(".messages .error")).to_have_text(REFUSED)
    expect(question(rui, "1.2").get_by_label("Y", exact=True)).to_be_checked()  # saved before
    rui.locator("select[name='judgement-D1']").select_option("some concerns")
    rui.locator("textarea[name='justification-D1']").fill("Baseline ECOG status imbalanced.")
    no_csp_violation(rui)
    rui.get_by_role("button", name="Submit").click()
    expect(rui.locator(".messages")).to_contain_text("Submitted: it can no longer change.")
    rui_assessment = Assessment.objects.get(assessor=trial.a)
    assert rui_assessment.submitted
    # The hidden answer went with the form, and the server left it out, as it does not apply.
    assert rui_assessment.answers.filter(question="2.3").exists()
    assert "2.3" not in content_of(rui_assessment)["domains"][1]["answers"]

    # --- Bruno, blind to Rui's answers ------------------------------------------------------------
    context = browser.new_context(viewport=WIDE)
    try:
        bruno = _log_in(context, live_server, trial.b)
        bruno_said = watch(bruno)
        open_result(bruno, live_server, trial)
        expect(bruno.get_by_text("No one sees an assessor's answers until")).to_be_visible()
        expect(bruno.locator(f"#assessment-{rui_assessment.pk}")).to_have_count(0)
        assert "Baseline ECOG status" not in bruno.content()
        bruno.get_by_role("button", name="Assess this result").click()
        expect(bruno.locator("#rob-form")).to_be_visible()
        expect(question(bruno, "1.1").get_by_label("not answered")).to_be_checked()
        assert "Baseline ECOG status" not in bruno.content()
        # The sequence not concealed: D1 high, live, once its last question is answered.
        answer_all(bruno, {"1.1": "Y", "1.2": "N", "1.3": "N"})
        expect_proposed(bruno, "D1", "high")
        answer_all(bruno, {"2.1": "N", "2.2": "N", "2.6": "Y", "3.1": "Y", "4.1": "N"})
        answer_all(bruno, {"4.2": "N", "4.3": "N", "5.1": "PY", "5.2": "N", "5.3": "N"})
        expect_proposed(bruno, "D5", "low")
        expect_proposed(bruno, "overall", "high")
        no_csp_violation(bruno)
        bruno.get_by_role("button", name="Submit").click()
        expect(bruno.locator(".messages")).to_contain_text("Submitted")
        assert bruno_said == []
    finally:
        context.close()

    # --- Olivia, the owner, sees the differences and makes the consensus --------------------------
    olivia = logged_in_page(trial.owner)
    olivia_said = watch(olivia)
    olivia.set_viewport_size(WIDE)
    open_result(olivia, live_server, trial)
    table = olivia.locator("table.rob-differences")
    differing = table.locator("tbody td:first-child")
    expect(differing).to_have_text(["1.2", "D1", "3.1", "3.2", "5.1", "Overall"])
    expect(table.locator("tbody tr", has_text="D1")).to_contain_text("some concerns")
    no_blocking_axe_violation(olivia, "the result page with its differences")
    no_csp_violation(olivia)
    screenshot("result-differences")

    olivia.get_by_role("link", name="Make the consensus").click()
    expect(olivia.locator("#rob-form")).to_be_visible()
    # What both answered alike is filled in; what they did not, unanswered (3.2 also hidden).
    for qid, agreed in {"1.1": "Y", "1.3": "N", "2.1": "N", "2.6": "Y", "5.3": "N"}.items():
        expect(question(olivia, qid).get_by_label(agreed, exact=True)).to_be_checked()
    for qid in ("1.2", "3.1", "5.1"):
        expect(question(olivia, qid).get_by_label("not answered")).to_be_checked()
    expect(question(olivia, "3.2")).to_be_hidden()
    expect_proposed(olivia, "D2", "low")
    expect(proposal(olivia, "D1")).to_have_text("answer the questions that apply")
    # Settled after discussion: no information on concealment (D1 some concerns).
    answer(olivia, "1.2", "NI")
    expect_proposed(olivia, "D1", "some concerns")
    answer(olivia, "3.1", "Y")
    answer(olivia, "5.1", "Y")
    expect_proposed(olivia, "overall", "some concerns")
    no_csp_violation(olivia)
    olivia.get_by_role("button", name="Submit").click()
    expect(olivia.locator(".messages")).to_contain_text("Submitted")

    # --- The Risk of bias page: the consensus's dots, the plots, the methods ----------------------
    olivia.get_by_role("link", name="← Risk of bias").click()
    row = olivia.locator(f"#result-{trial.pfs.pk} .rob-consensus")
    expect(row.locator(".rob-dot")).to_have_count(6)  # five domains and the overall
    expect(row.locator(".rob-dot.rob-some")).to_have_count(2)  # D1 and the overall
    expect(olivia.locator(".rob-plot img")).to_have_count(2)
    olivia.wait_for_function(
        "() => [...document.querySelectorAll('.rob-plot img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    methods = olivia.locator("#rob-methods")
    expect(methods).to_contain_text("assessed for 1 result with RoB 2")
    expect(methods).to_contain_text("assessors overrode 1 of them")
    expect(methods).to_contain_text("disagreed on at least one judgement for 1 of the 1 results")
    no_blocking_axe_violation(olivia, "the Risk of bias page")
    no_csp_violation(olivia)
    screenshot("overview-plots")
    assert rui_said == [] and olivia_said == []
    consensus = Assessment.objects.get(kind=Assessment.CONSENSUS)
    assert consensus.submitted and consensus.answers.get(question="1.2").response == "NI"


def test_without_javascript_the_form_marks_what_does_not_apply_on_save(browser, trial, live_server):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = _log_in(context, live_server, trial.a)
        start(page, live_server, trial)
        # Every question shows; those that do not apply, given the saved answers, say so.
        expect(question(page, "2.3")).to_be_visible()
        expect(question(page, "2.3")).to_contain_text("Does not apply")
        answer(page, "2.1", "Y")
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".messages")).to_contain_text("Saved as a draft")
        expect(question(page, "2.3")).not_to_contain_text("Does not apply")
        expect(question(page, "2.4")).to_contain_text("Does not apply")
    finally:
        context.close()
    # axe needs JavaScript: the same form with only the form's script refused, its questions
    # that do not apply shown as above, must read as well as the rest.
    context = browser.new_context()
    try:
        page = _log_in(context, live_server, trial.a)
        page.route("**/rob-form.js", lambda route: route.abort())
        page.goto(
            f"{live_server.url}/r/{trial.review.slug}/risk-of-bias/results/{trial.pfs.pk}/assess/"
        )
        expect(question(page, "2.4")).to_contain_text("Does not apply")
        expect(question(page, "2.4")).to_be_visible()
        no_blocking_axe_violation(page, "the form without its script")
    finally:
        context.close()


def test_a_refused_save_keeps_what_the_assessor_entered(logged_in_page, trial, live_server):
    page = logged_in_page(trial.a)
    start(page, live_server, trial)
    answer(page, "1.1", "PY")
    page.locator("select[name='judgement-D1']").select_option("high")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages .error")).to_have_text(REFUSED)
    assert question(page, "1.1").get_by_label("PY", exact=True).is_checked()
    assert page.locator("select[name='judgement-D1']").input_value() == "high"


def test_words_selected_in_the_report_become_an_answers_quote(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    """The study's PDF stands beside the assessment form: words selected on its page 2 become
    the quote of the question last clicked in, with the page and the report; saved with it."""
    primary, _ = included_with_pdfs(review, owner, reviewer, import_text, pdfs=1)
    study = study_create(review=review, user=owner, name="HARMONi-A", reports=[primary])
    outcome = extraction_save(instance=Outcome(study=study), user=owner, name="ORR",
                              kind=OutcomeKind.PROPORTION, position=0)  # fmt: skip
    page = logged_in_page(reviewer)
    said = watch_reader(page)
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/r/{review.slug}/risk-of-bias/results/{outcome.pk}/")
    page.get_by_role("button", name="Assess this result").click()
    reader = reader_ready(page)
    form, pdf = page.locator("#rob-form").bounding_box(), page.locator(".pdf-pages").bounding_box()
    assert pdf["x"] >= form["x"] + form["width"], "the reader stands beside the form"

    expect(reader.get_by_role("button", name="Use as quote")).to_be_disabled()  # nothing chosen
    question(page, "1.1").get_by_label("Y", exact=True).check()
    reader.get_by_role("button", name="Next ›").click()
    line = page_box(page, 2).locator(".textLayer span", has_text="objective response rate")
    select(page, line)
    reader.get_by_role("button", name="Use as quote").click()
    quote = page.locator("textarea[name='quote-1.1']")
    expect(quote).to_have_value(re.compile(r"objective response rate was 50\.0%"))
    expect(quote).to_be_focused()
    expect(page.locator("input[name='page-1.1']")).to_have_value("2")
    expect(page.locator("select[name='report-1.1']")).to_have_value(str(primary.pk))
    expect(reader.locator(".pdf-message")).to_contain_text("question 1.1")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Saved as a draft")
    saved = Assessment.objects.get(assessor=reviewer).answers.get(question="1.1")
    assert (saved.page, saved.report_id) == ("2", primary.pk)
    assert "objective response rate was 50.0%" in saved.quote
    assert said == [] and page.evaluate("window.__cspViolations") == []
    reader_ready(page)  # after the save's reload: the PDF drawn again, for the picture
    expect(page_box(page, 1)).to_have_attribute("data-rendered", "true")
    screenshot("quote-into-answer")
