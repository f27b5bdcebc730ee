"""The PRISMA diagram for a screen reader and a phone: the linked diagram is a group of links each
named by its words (the image a paper gets holds none), a wrapped line is one link and one piece
of text, and the list a phone shows holds the SVG's boxes, words, numbers and links."""

from __future__ import annotations

import pytest
from django.urls import reverse
from lxml import etree

from screening.prisma.counts import prisma_report
from screening.prisma.outline import diagram_outline
from screening.prisma.svg import diagram_layout, render_svg
from screening.prisma.views import box_links
from tests.screening.prisma.test_prisma import FINISHED, build_review

SVG = "{http://www.w3.org/2000/svg}"
LONG_REASON = "Low quality or unclear methodology of the trial as the report describes it"


@pytest.fixture
def finished(owner, reviewer, tmp_path):
    return build_review(FINISHED, owner, reviewer, tmp_path)


def links(svg: str) -> dict[str, str]:
    """Each link's name for a screen reader, with where it goes."""
    root = etree.fromstring(svg.encode())
    return {a.get("aria-label"): a.get("href") for a in root.iter(f"{SVG}a")}


def test_the_linked_diagram_is_a_group_of_links_and_the_papers_an_image_without(finished):
    report = prisma_report(finished)
    linked = etree.fromstring(render_svg(report, link=box_links(finished)).encode())
    plain = etree.fromstring(render_svg(report).encode())
    # Links inside role="img" are hidden from a screen reader ("nested-interactive" in axe).
    assert (linked.get("role"), plain.get("role")) == ("group", "img")
    assert linked.get("aria-labelledby") == plain.get("aria-labelledby") == "prisma-title"
    assert list(plain.iter(f"{SVG}a")) == []


def test_each_link_is_named_by_the_words_of_its_box_or_line(finished):
    report = prisma_report(finished)
    named = links(render_svg(report, link=box_links(finished)))
    base = reverse("screening:reference-list", args=[finished.slug])
    assert named[f"Records screened (n = {report.records_screened})"] == (
        f"{base}?box=records_screened"
    )
    reason = report.dbr_excluded[0]
    assert named[f"{reason.reason} (n = {reason.n})"] == (
        f"{base}?box=dbr_excluded:{reason.reason_id}"
    )
    # A box of several lines: one name, its lines in order with a pause between them.
    searches = next(name for name in named if name.startswith("Records identified from*:"))
    assert f"Databases (n = {report.database_results});" in searches
    assert None not in named


def test_a_wrapped_line_is_one_link_and_one_text_with_a_space_where_it_wraps(finished):
    report = prisma_report(finished)
    report.dbr_excluded[0].reason = LONG_REASON
    svg = render_svg(report, link=box_links(finished))
    root = etree.fromstring(svg.encode())
    name = f"{LONG_REASON} (n = {report.dbr_excluded[0].n})"
    [link] = [a for a in root.iter(f"{SVG}a") if a.get("aria-label") == name]
    [text] = link.findall(f"{SVG}text")
    rows = text.findall(f"{SVG}tspan")
    assert len(rows) >= 2  # it wraps
    assert len({row.get("y") for row in rows}) == len(rows)
    assert "".join(text.itertext()) == name  # a space, not two words run together


def test_the_list_holds_the_diagrams_boxes_words_and_links(finished):
    report = prisma_report(finished)
    link = box_links(finished)
    outline = diagram_outline(diagram_layout(report), link=link)
    svg_links = links(render_svg(report, link=link))

    listed = {}
    for section in outline:
        for box in section.boxes:
            if box.href:
                listed[" ".join(line.text for line in box.lines)] = box.href
            listed.update({line.text: line.href for line in box.lines if line.href})
    # The same links; a whole box's name is its lines (the SVG puts a pause between them).
    assert sorted(listed.values()) == sorted(svg_links.values())
    assert {name.replace(";", "") for name in svg_links} == set(listed)

    headings = [section.heading for section in outline]
    assert headings == [
        "Identification of new studies via databases and registers",
        "Identification of new studies via other methods",
        "Included",
    ]
    first = [box.lines[0].text for box in outline[0].boxes]
    assert first[:4] == [
        "Records identified from*:",
        "Records removed before screening:",
        f"Records screened (n = {report.records_screened})",
        f"Records excluded** (n = {report.records_excluded})",
    ]
    assert [box.side for box in outline[0].boxes] == [False, True] * 4


def test_an_updated_reviews_list_has_the_previous_studies(finished):
    finished.previous_studies, finished.previous_reports = 7, 9
    finished.save()
    outline = diagram_outline(diagram_layout(prisma_report(finished)), link=box_links(finished))
    sections = {section.heading: section.boxes for section in outline}
    [previous] = sections["Previous studies"]
    assert previous.lines[-1].text == "(typed in by a person)"
    included = [box.lines[0].text for box in sections["Included"]]
    assert included == [
        "New studies included in review (n = 2)",
        "Total studies included in review (n = 9)",
    ]


def test_the_page_has_the_list_and_the_full_size_button(finished, client_owner):
    response = client_owner.get(reverse("screening:prisma", args=[finished.slug]))
    page = response.content.decode()
    assert 'id="prisma-full-size"' in page and "js/prisma.js" in page
    assert len(response.context["outline"]) == 3
    assert page.count('class="prisma-step') == sum(
        len(section.boxes) for section in response.context["outline"]
    )
