"""The PDF reader in Chromium (static/js/pdf-reader.js, pdf.js vendored in static/vendor/pdfjs/):
a full text screened beside its decision panel, its pages turned, zoomed and searched, the
review's words marked in it, the screening keys left alone, and a quote taken from it into a
study's data."""

from __future__ import annotations

import io
import re
from pathlib import Path

import cairocffi as cairo
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from extraction.constants import OutcomeKind
from extraction.models import Arm, ArmResult, Outcome
from extraction.services import extraction_save, study_create
from screening.constants import Stage
from screening.decisions.highlight import compile_terms
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import decision_record
from screening.models import Vote
from screening.retrieval.services import full_text_record
from tests.browser.conftest import LOGIN_PATH
from tests.browser.test_accessibility import AXE, BLOCKING, RUN_AXE
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS
from tests.conftest import TEST_PASSWORD
from tests.screening.decisions.test_screening import ris

WORDS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "pdf-words.js"

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT
WIDE = {"width": 1400, "height": 900}
# Three pages of real text (cairo embeds the font with its character map, so pdf.js finds the
# words): the review's include word on page 1, the words searched for and quoted on page 2.
REPORT = [
    ["Ivonescimab in advanced lung cancer", "The first page names the trial and its design."],
    [
        "Results",
        "The objective response rate was 50.0% with the new drug",
        "Progression-free survival was longer in the treated arm.",
    ],
    ["Discussion", "A third page closes the report."],
]


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF of A4 pages, each line of text drawn where a reader finds it."""
    out = io.BytesIO()
    surface = cairo.PDFSurface(out, 595, 842)
    context = cairo.Context(surface)
    context.select_font_face("DejaVu Sans")
    context.set_font_size(14)
    for lines in pages:
        for number, line in enumerate(lines):
            context.move_to(60, 80 + 24 * number)
            context.show_text(line)
        context.show_page()
    surface.finish()
    return out.getvalue()


def retrieve(review, reference, user, pages=REPORT):
    return full_text_record(
        review=review, reference=reference, user=user, status="retrieved", max_bytes=10**7,
        upload=SimpleUploadedFile("report.pdf", make_pdf(pages), "application/pdf"),
    )  # fmt: skip


def at_full_text(review, owner, reviewer, import_text, n=2):
    """n references included at title and abstract by both reviewers, each with its PDF."""
    search = import_text(ris(n), name="embase.ris", source="Embase")
    references = [record.reference for record in search.records.order_by("position")]
    for reference in references:
        for who in (owner, reviewer):
            decision_record(
                review=review, reference=reference, stage=TA, reviewer=who, verdict="include"
            )
        retrieve(review, reference, owner)
    return references


def watch(page) -> list[str]:
    """The page's Content-Security-Policy violations and pdf.js's complaints, as they come: the
    worker must start from its own file (not pdf.js's "fake worker" in the page) and nothing
    may be refused."""
    page.add_init_script(RECORD_VIOLATIONS)
    said: list[str] = []
    page.on(
        "console",
        lambda message: (
            said.append(message.text)
            if re.search(r"Content Security Policy|fake worker|Warning|Error", message.text)
            else None
        ),
    )
    return said


def quiet(page, said: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == [], "the policy refused something"
    assert said == []


def axe_blocking(page) -> list[dict]:
    """axe's serious and critical violations, as tests/browser/test_accessibility.py runs it."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


def reader_ready(page):
    reader = page.locator("[data-pdf-reader]")
    expect(reader).to_have_attribute("data-state", "ready")
    return reader


def page_box(page, number: int):
    return page.locator(f".pdf-page[data-page-number='{number}']")


def test_a_full_text_is_screened_beside_its_decisions(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    review_settings_update(review=review, user=owner, highlight_include="ivonescimab")
    at_full_text(review, owner, reviewer, import_text)
    page = logged_in_page(reviewer)
    said = watch(page)
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/r/{review.slug}/screen/full-text/")
    reader = reader_ready(page)

    # The PDF's first page is drawn with its text layer, the decision panel to its right.
    first = page_box(page, 1)
    expect(first.locator("canvas")).to_be_visible()
    expect(first.locator(".textLayer")).to_contain_text("advanced lung cancer")
    expect(reader.locator(".pdf-page-count")).to_have_text("of 3")
    pdf = page.locator(".pdf-pages").bounding_box()
    panel = page.locator("aside.screen-side").bounding_box()
    assert panel["x"] >= pdf["x"] + pdf["width"], (pdf, panel)
    assert pdf["width"] > 2 * panel["width"], "the PDF takes most of the width"
    for box in (pdf, panel):
        assert 0 <= box["y"] < WIDE["height"] and box["x"] + box["width"] <= WIDE["width"], box
    expect(page.locator("details.abstract-fold")).not_to_have_attribute("open", "")
    expect(page.locator("[data-record-title]")).to_be_visible()

    # The review's include word is marked in the PDF as in the abstract.
    expect(first.locator(".textLayer mark.hl-include")).to_have_text("Ivonescimab")

    # Next page, by its button and by Page Down; the page box says where we are.
    number = reader.locator(".pdf-page-number")
    reader.get_by_role("button", name="Next ›").click()
    expect(number).to_have_value("2")
    expect(page_box(page, 2).locator(".textLayer")).to_contain_text("objective response rate")
    page.keyboard.press("PageDown")
    expect(number).to_have_value("3")
    page.keyboard.press("PageUp")
    expect(number).to_have_value("2")

    # Zoom: the page grows and shrinks, the zoom says so; fit width comes back.
    zoom = reader.locator(".pdf-zoom")
    fit = zoom.inner_text()
    width = page_box(page, 2).bounding_box()["width"]
    reader.get_by_role("button", name="Zoom in").click()
    expect(zoom).not_to_have_text(fit)
    grown = page_box(page, 2).bounding_box()["width"]
    assert grown > width * 1.05, (width, grown)
    expect(page_box(page, 2).locator(".textLayer")).to_contain_text("objective response rate")
    reader.get_by_role("button", name="Fit width").click()
    expect(zoom).to_have_text(fit)

    # Find: back on page 1, a phrase of page 2 is found, marked and scrolled into view.
    reader.locator(".pdf-page-number").fill("1")
    reader.locator(".pdf-page-number").press("Enter")
    expect(number).to_have_value("1")
    find = reader.get_by_role("searchbox", name="Find in the PDF")
    find.fill("progression-free survival")
    find.press("Enter")
    expect(reader.locator(".pdf-find-status")).to_have_text("1 of 1")
    hit = page_box(page, 2).locator("mark.pdf-hit.selected")
    expect(hit).to_have_text(re.compile("Progression-free survival", re.I))
    expect(number).to_have_value("2")
    box, pages = hit.bounding_box(), page.locator(".pdf-pages").bounding_box()
    assert pages["y"] <= box["y"] and box["y"] + box["height"] <= pages["y"] + pages["height"]
    find.fill("no such words anywhere")
    find.press("Enter")
    expect(reader.locator(".pdf-find-status")).to_have_text("Not found")

    # The screening keys still work, with the focus in the reader's pages: i includes, and the
    # next reference's PDF opens in a new reader (htmx swapped it in).
    shown = page.locator("article.screen-reference").get_attribute("data-reference")
    page.locator(".pdf-pages").focus()
    page.keyboard.press("i")
    expect(page.locator("#decided-by-me")).to_have_text("1")
    assert Vote.objects.get(reviewer=reviewer, item__stage=FT).item.reference_id == int(shown)
    expect(page.locator("article.screen-reference")).not_to_have_attribute("data-reference", shown)
    reader_ready(page)
    expect(page_box(page, 1).locator(".textLayer")).to_contain_text("advanced lung cancer")
    quiet(page, said)
    # Last: Playwright's screenshot leaves style="" on inputs, which htmx would copy (refused).
    screenshot("full-text-reader")


def test_without_javascript_the_full_text_is_a_link(
    browser, owner, reviewer, review, live_server, import_text
):
    at_full_text(review, owner, reviewer, import_text, n=1)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + LOGIN_PATH)
    page.fill('input[name="username"]', reviewer.get_username())
    page.fill('input[name="password"]', TEST_PASSWORD)
    with page.expect_navigation():
        page.press('input[name="password"]', "Enter")
    page.goto(f"{live_server.url}/r/{review.slug}/screen/full-text/")
    expect(page.get_by_role("button", name="Include")).to_be_visible()
    expect(page.locator(".pdf-toolbar")).to_be_hidden()
    link = page.get_by_role("link", name="Open the full text (PDF)")
    expect(link).to_be_visible()
    response = context.request.get(live_server.url + link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    context.close()


# The review's words in a PDF are found by static/js/pdf-words.js, in the abstract by
# screening/decisions/highlight.py: both must mark the same words, overlaps and all.
WORD_CASES = [
    (["immuno*", "lung"], ["*mab"], "Immunotherapy in lungs and lung cancer with ivonescimab."),
    (["non-small cell", "PD-1*"], ["small"], "Advanced non-small\ncell lung cancer, PD-1/PD-L1."),
    (["lung * cancer"], ["cancer"], "lung adenocarcinoma cancer; lung  big cancer"),
    (["(PD-1)", "C++"], [], "anti-(PD-1) and C++ code, not PD-1"),
    (["a*b*c"], ["ab"], "abc axbyc ab aXc"),
    (["Kelvin", "straße", "NSCLC"], ["naïve"], "KELVIN Straße; treatment-naïve NSCLCs"),
]
TERM_RANGES = """(cases) => cases.map(([include, exclude, text]) => {
    const terms = PdfWords.compileTerms(JSON.stringify({include, exclude}));
    return PdfWords.termRanges(text, terms)
        .map((r) => [r.start, r.end, r.cls === "hl-exclude"]).sort((a, b) => a[0] - b[0]);
})"""


def test_the_pdf_reader_marks_the_words_the_abstract_marks(page):
    page.evaluate(WORDS_JS.read_text(encoding="utf-8"))
    found = page.evaluate(TERM_RANGES, WORD_CASES)
    expected = [
        [list(span) for span in compile_terms(include, exclude).spans(text)]
        for include, exclude, text in WORD_CASES
    ]
    assert found == expected
    assert all(expected), "every case marks something"


# --- Quotes into a study's data ----------------------------------------------------------------


def included_with_pdfs(review, owner, reviewer, import_text, pdfs):
    """Two reports included at full text by both reviewers; the first retrieved as its PDF,
    the second as a PDF when `pdfs` is 2, else without a file."""
    search = import_text(ris(2), name="trials.ris", source="Embase")
    references = [record.reference for record in search.records.order_by("position")]
    for number, reference in enumerate(references):
        for who in (owner, reviewer):
            decision_record(
                review=review, reference=reference, stage=TA, reviewer=who, verdict="include"
            )
        if number < pdfs:
            retrieve(review, reference, owner, REPORT if number == 0 else SECOND)
        else:
            full_text_record(
                review=review, reference=reference, user=owner, status="retrieved", max_bytes=1
            )
        for who in (owner, reviewer):
            decision_record(
                review=review, reference=reference, stage=FT, reviewer=who, verdict="include"
            )
    return references


SECOND = [["A conference abstract of the same trial", "Its one page."]]


def select(page, span) -> None:
    """Select a line of a PDF's text layer with the mouse, from its first letter to its last."""
    expect(span).to_be_visible()
    box = span.bounding_box()
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, middle, steps=8)
    page.mouse.up()


def test_words_selected_in_a_report_become_a_values_quote(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    primary, other = included_with_pdfs(review, owner, reviewer, import_text, pdfs=2)
    study = study_create(review=review, user=owner, name="HARMONi-A", reports=[primary, other])
    arm = extraction_save(instance=Arm(study=study), user=owner, label="Ivonescimab",
                          report=primary, position=0)  # fmt: skip
    placebo_arm = extraction_save(instance=Arm(study=study), user=owner, label="Placebo",
                                  report=primary, comparator=True, position=1)  # fmt: skip
    outcome = extraction_save(instance=Outcome(study=study), user=owner, name="ORR",
                              kind=OutcomeKind.PROPORTION, position=0)  # fmt: skip
    page = logged_in_page(owner)
    said = watch(page)
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/r/{review.slug}/studies/{study.pk}/")
    reader = reader_ready(page)
    expect(page_box(page, 1).locator(".textLayer")).to_contain_text("advanced lung cancer")
    grid, pdf = page.locator("#data").bounding_box(), page.locator(".pdf-pages").bounding_box()
    assert pdf["x"] >= grid["x"] + grid["width"], "the reader stands beside the data"

    # The value first, in the Ivonescimab row; then words of page 2 selected with the mouse.
    row = page.locator(f"#result-{outcome.pk}-{arm.pk}")
    row.locator("[name$='-value']").fill("50.0")
    reader.get_by_role("button", name="Next ›").click()
    expect(reader.locator(".pdf-page-number")).to_have_value("2")
    line = page_box(page, 2).locator(".textLayer span", has_text="objective response rate")
    expect(line).to_be_visible()
    select(page, line)
    use = reader.get_by_role("button", name="Use as quote")
    expect(use).to_be_enabled()
    use.click()

    quote = row.locator("[name$='-quote']")
    expect(quote).to_have_value(re.compile(r"objective response rate was 50\.0% with the new"))
    expect(row.locator("[name$='-page']")).to_have_value("2")
    expect(quote).to_be_focused()
    expect(reader.locator(".pdf-message")).to_contain_text("page 2")
    quoted = quote.input_value()
    page.keyboard.press("Enter")
    expect(page.locator(f"#result-{outcome.pk}-{arm.pk} .saved-mark")).to_have_text("Saved")
    saved = ArmResult.objects.get(outcome=outcome, arm=arm)
    assert (saved.page, saved.quote, saved.report_id) == ("2", quoted, primary.pk)
    assert "objective response rate was 50.0%" in saved.quote

    # The other report's PDF opens in the same reader, and a quote from it names that report.
    page.locator("a[data-pdf-open]", has_text=other.citation[:30]).click()
    expect(page_box(page, 1).locator(".textLayer")).to_contain_text("conference abstract")
    expect(reader.locator(".pdf-page-count")).to_have_text("of 1")
    placebo = page.locator(f"#result-{outcome.pk}-{placebo_arm.pk}")
    placebo.locator("[name$='-value']").fill("10")
    select(page, page_box(page, 1).locator(".textLayer span", has_text="Its one page"))
    use.click()
    expect(placebo.locator("[name$='-quote']")).to_have_value("Its one page.")
    expect(placebo.locator("[name$='-report']")).to_have_value(str(other.pk))
    expect(placebo.locator("[name$='-page']")).to_have_value("1")
    quiet(page, said)
    assert axe_blocking(page) == []
    screenshot("quote-taken")  # last: see test_a_full_text_is_screened_beside_its_decisions


def test_the_reader_passes_axe_wide_and_on_a_phone(
    logged_in_page, owner, reviewer, review, live_server, import_text, screenshot
):
    """The full-text screening page with a PDF drawn in the reader, at both widths: no serious
    or critical axe violation (the study page's reader: the quote test)."""
    review_settings_update(review=review, user=owner, highlight_include="ivonescimab")
    at_full_text(review, owner, reviewer, import_text, n=1)
    page = logged_in_page(reviewer)
    failures = {}
    for width in (WIDE, {"width": 390, "height": 844}):
        page.set_viewport_size(width)
        page.goto(f"{live_server.url}/r/{review.slug}/screen/full-text/")
        reader_ready(page)
        expect(page_box(page, 1).locator(".textLayer mark.hl-include")).to_be_visible()
        blocking = axe_blocking(page)
        if blocking:
            failures[width["width"]] = blocking
        if width["width"] == 390:
            # On a phone the decision buttons stay fixed at the bottom, over the PDF.
            include_button = page.get_by_role("button", name="Include").bounding_box()
            assert include_button["y"] + include_button["height"] <= 844
            no_sideways = "document.documentElement.scrollWidth <= window.innerWidth"
            assert page.evaluate(no_sideways), "the page scrolls sideways"
            screenshot("phone", full_page=False)
    assert failures == {}


def test_a_long_report_keeps_canvases_only_near_the_view(
    logged_in_page, owner, reviewer, review, live_server, import_text
):
    """A 60-page report read to its end holds a few canvases, not 60: the pages far from the
    view give theirs back, and are drawn again on the way back; the search still finds words
    on a page whose canvas was freed."""
    long_report = [[f"Page {n} of the long report", f"Marker word quokka{n}"] for n in range(1, 61)]
    search = import_text(ris(1), name="embase.ris", source="Embase")
    reference = search.records.get().reference
    for who in (owner, reviewer):
        decision_record(
            review=review, reference=reference, stage=TA, reviewer=who, verdict="include"
        )
    retrieve(review, reference, owner, long_report)
    page = logged_in_page(reviewer)
    said = watch(page)
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/r/{review.slug}/screen/full-text/")
    reader = reader_ready(page)
    expect(page_box(page, 1)).to_have_attribute("data-rendered", "true")

    pages = page.locator(".pdf-pages")
    pages.evaluate("box => { box.scrollTop = box.scrollHeight; }")
    expect(page_box(page, 60)).to_have_attribute("data-rendered", "true")
    expect(page_box(page, 1).locator("canvas")).to_have_count(0)
    expect(page_box(page, 1)).not_to_have_attribute("data-rendered", "true")
    drawn = pages.locator("canvas").count()
    assert 1 <= drawn <= 8, f"{drawn} canvases for a view of a page or so"

    # The search finds a word on the first page, whose canvas was freed: it is drawn again.
    reader.locator("input[type=search]").fill("quokka1")
    reader.locator("input[type=search]").press("Enter")
    expect(page_box(page, 1)).to_have_attribute("data-rendered", "true")
    expect(page_box(page, 1).locator(".textLayer mark.selected")).to_have_text("quokka1")
    expect(page_box(page, 60).locator("canvas")).to_have_count(0)
    quiet(page, said)
