"""PRISMA counts, diagram and downloads, from reviews built through the real services."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from references.models import Reference
from screening.constants import ItemState, Role, SourceKind, Stage
from screening.decisions.counters import counters_add, item_key
from screening.decisions.items import cache_differences
from screening.decisions.removal import references_remove
from screening.decisions.review_settings import review_settings_update
from screening.decisions.services import ScreeningRefused, conflict_resolve, decision_record
from screening.identification.imports import references_import, source_get_or_create
from screening.models import ExclusionReason, Membership, Record, ScreeningItem
from screening.prisma.counts import BOXES, TEMPLATE, box_references, csv_text, prisma_report
from screening.prisma.svg import render_pdf, render_png, render_svg
from screening.prisma.text import excluded_reports, methods_paragraph
from screening.prisma.views import box_links
from screening.retrieval.services import full_text_record
from screening.reviews.services import review_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TA, RETRIEVAL, FT = Stage.TITLE_ABSTRACT, Stage.RETRIEVAL, Stage.FULL_TEXT
SOURCES = [
    ("Embase", SourceKind.DATABASE),
    ("PubMed", SourceKind.DATABASE),
    ("ClinicalTrials.gov", SourceKind.REGISTER),
    ("Akeso", SourceKind.WEBSITE),
    ("Reference lists", SourceKind.CITATION),
]
_counter = itertools.count(1)


def ris_entry(n: int) -> str:
    return (
        f"TY  - JOUR\nTI  - Trial report {n} of an antibody in lung cancer\nAU  - Author{n}, A\n"
        f"PY  - 2024\nDO  - 10.1000/prisma.{n}\nER  - \n"
    )


# A reference's fate: which sources found it, and what happened to it at each stage.
fates = st.fixed_dictionaries(
    {
        "sources": st.sets(st.integers(0, len(SOURCES) - 1), min_size=1, max_size=3),
        "remove": st.booleans(),
        "ta": st.lists(st.sampled_from(["include", "exclude", "maybe"]), max_size=2),
        "resolve": st.sampled_from([None, "include", "exclude"]),
        "retrieval": st.sampled_from([None, "retrieved", "not_retrieved"]),
        "ft": st.lists(st.sampled_from(["include", "exclude:1", "exclude:2"]), max_size=2),
        "ft_resolve": st.sampled_from([None, "include", "exclude:1"]),
    }
)


def build_review(fates_list, owner, second, tmp_path):
    """Import each source's file (duplicates attach across sources), then act on each
    reference as its fate says; actions the rules refuse are simply not taken."""
    review = review_create(slug=f"prisma-{next(_counter)}", title="PRISMA property", owner=owner)
    Membership.objects.create(review=review, user=second, role=Role.REVIEWER)
    for index, (name, kind) in enumerate(SOURCES):
        entries = [ris_entry(n) for n, fate in enumerate(fates_list) if index in fate["sources"]]
        if not entries:
            continue
        path = tmp_path / f"{review.slug}-{index}.ris"
        path.write_text("\n".join(entries))
        source = source_get_or_create(review=review, name=name, kind=kind, user=owner)
        references_import(review=review, source=source, path=path, file_name=path.name, user=owner)
    reasons = list(ExclusionReason.objects.filter(review=review).order_by("position")[:2])
    by_doi = {r.doi: r for r in Reference.objects.filter(records__review=review).distinct()}

    def attempt(action, **kwargs):
        with contextlib.suppress(ScreeningRefused):
            action(review=review, **kwargs)

    for n, fate in enumerate(fates_list):
        reference = by_doi[f"10.1000/prisma.{n}"]
        if fate["remove"] and not fate["ta"]:
            attempt(references_remove, reference_ids=[reference.pk], reason="language", user=owner)
            continue
        for who, verdict in zip((owner, second), fate["ta"], strict=False):
            attempt(decision_record, reference=reference, stage=TA, reviewer=who, verdict=verdict)
        if fate["resolve"]:
            attempt(conflict_resolve, reference=reference, stage=TA, resolver=owner,
                    verdict=fate["resolve"])  # fmt: skip
        if fate["retrieval"]:
            attempt(full_text_record, reference=reference, user=owner, status=fate["retrieval"],
                    reason="Not available", max_bytes=1)  # fmt: skip
        for who, vote in zip((owner, second), fate["ft"], strict=False):
            verdict, _, which = vote.partition(":")
            reason = reasons[int(which) - 1] if which else None
            attempt(decision_record, reference=reference, stage=FT, reviewer=who,
                    verdict=verdict, reason=reason)  # fmt: skip
        if fate["ft_resolve"]:
            verdict, _, which = fate["ft_resolve"].partition(":")
            attempt(conflict_resolve, reference=reference, stage=FT, resolver=owner,
                    verdict=verdict, reason=reasons[0] if which else None)  # fmt: skip
    return review


@settings(
    max_examples=25,
    deadline=None,  # database work: its time is not what this tests
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fates_list=st.lists(fates, min_size=1, max_size=8))
def test_any_review_reconciles_and_each_box_counts_what_it_links_to(fates_list, tmp_path, owner):
    second = UserFactory(username="sam-second")
    review = build_review(fates_list, owner, second, tmp_path)

    report = prisma_report(review)

    assert report.errors == []
    assert cache_differences(review) == []
    references = Reference.objects.filter(records__review=review).distinct()
    for name in BOXES:
        if name in ("dbr_excluded", "other_excluded"):
            continue
        linked = references.filter(box_references(review, name)).count()
        assert linked == getattr(report, name), name
    for column in ("dbr_excluded", "other_excluded"):
        for reason in getattr(report, column):
            linked = references.filter(box_references(review, column, reason.reason_id)).count()
            assert linked == reason.n, (column, reason)
    records = Record.objects.filter(review=review)
    assert report.database_results == records.filter(search__source__kind="database").count()
    assert report.register_results == records.filter(search__source__kind="register").count()
    assert report.website_results == records.filter(search__source__kind="website").count()
    assert report.citations_results == records.filter(search__source__kind="citation").count()
    # PRISMA's arithmetic, with the pending terms.
    assert report.identified_dbr - report.duplicates - report.excluded_other == (
        report.records_screened
    )
    assert report.records_screened == (
        report.records_excluded + report.dbr_sought_reports + report.screening_pending
    )
    assert report.new_reports == report.dbr_included + report.other_included
    if not report.in_progress:
        svg = render_svg(report)
        assert "In progress" not in svg


# --- a fixed review ----------------------------------------------------------------------------


# Every reference of a small review through every stage, nothing pending.
FINISHED = [
    {"sources": {0, 1}, "remove": False, "ta": ["include", "include"], "resolve": None,
     "retrieval": "retrieved", "ft": ["include", "include"], "ft_resolve": None},
    {"sources": {0}, "remove": False, "ta": ["exclude", "exclude"], "resolve": None,
     "retrieval": None, "ft": [], "ft_resolve": None},
    {"sources": {1}, "remove": True, "ta": [], "resolve": None, "retrieval": None,
     "ft": [], "ft_resolve": None},
    {"sources": {0}, "remove": False, "ta": ["include", "include"], "resolve": None,
     "retrieval": "retrieved", "ft": ["exclude:1", "exclude:1"], "ft_resolve": None},
    {"sources": {0}, "remove": False, "ta": ["include", "maybe"], "resolve": None,
     "retrieval": "not_retrieved", "ft": [], "ft_resolve": None},
    {"sources": {3}, "remove": False, "ta": [], "resolve": None, "retrieval": "retrieved",
     "ft": ["exclude:2", "exclude:2"], "ft_resolve": None},
    {"sources": {4}, "remove": False, "ta": [], "resolve": None, "retrieval": "retrieved",
     "ft": ["include", "exclude:1"], "ft_resolve": "include"},
]  # fmt: skip


@pytest.fixture
def finished(owner, reviewer, tmp_path):
    return build_review(FINISHED, owner, reviewer, tmp_path)


def test_the_numbers_of_a_finished_review(finished):
    report = prisma_report(finished)
    assert report.errors == [] and not report.in_progress
    assert (report.database_results, report.duplicates, report.excluded_other) == (6, 1, 1)
    assert (report.records_screened, report.records_excluded, report.dbr_sought_reports) == (
        4,
        1,
        3,
    )
    assert (report.dbr_notretrieved_reports, report.dbr_assessed) == (1, 2)
    assert [(r.reason, r.n) for r in report.dbr_excluded] == [("Wrong study design", 1)]
    assert (report.website_results, report.citations_results, report.other_sought_reports) == (
        1,
        1,
        2,
    )
    assert [(r.reason, r.n) for r in report.other_excluded] == [("Wrong patient population", 1)]
    assert (report.new_reports, report.new_studies, report.total_studies) == (2, 2, 2)


def svg_text(svg: str) -> str:
    """The diagram's words as a reader gets them: a line wrapped over two rows reads as one."""
    return " ".join(" ".join(etree.fromstring(svg.encode()).itertext()).split())


def test_the_svg_is_valid_xml_and_holds_every_number(finished):
    report = prisma_report(finished)
    svg = render_svg(report)
    text = svg_text(svg)
    for value in (
        report.database_results, report.duplicates, report.excluded_other,
        report.records_screened, report.records_excluded, report.dbr_sought_reports,
        report.dbr_notretrieved_reports, report.dbr_assessed, report.other_sought_reports,
        report.other_assessed, report.new_studies, report.new_reports,
    ):  # fmt: skip
        assert f"(n = {value:,})" in text
    assert "Wrong study design (n = 1)" in text
    assert "Identification of new studies via other methods" in text
    assert "doi: 10.1136/bmj.n71" in text
    assert "In progress" not in text


def test_thousands_have_separators_and_pending_work_shows(finished):
    report = prisma_report(finished)
    report.database_results = 12345
    report.screening_pending = 1500
    text = svg_text(render_svg(report))
    assert "Databases (n = 12,345)" in text
    assert "In progress: 1,500 awaiting screening or in conflict" in text


def test_links_open_each_box_and_its_reasons(finished):
    svg = render_svg(prisma_report(finished), link=box_links(finished))
    root = etree.fromstring(svg.encode())
    hrefs = {a.get("href") for a in root.iter("{http://www.w3.org/2000/svg}a")}
    base = reverse("screening:reference-list", args=[finished.slug])
    assert f"{base}?box=records_screened" in hrefs
    reason = ExclusionReason.objects.get(review=finished, label="Wrong study design")
    assert f"{base}?box=dbr_excluded:{reason.pk}" in hrefs
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("entered title and abstract screening" in (t or "") for t in titles)


def test_png_and_pdf_render_from_the_svg(finished):
    svg = render_svg(prisma_report(finished))
    assert render_png(svg).startswith(b"\x89PNG\r\n\x1a\n")
    assert render_pdf(svg).startswith(b"%PDF-")


def test_the_csv_is_the_template_with_its_numbers(finished):
    text = csv_text(prisma_report(finished))
    rows = list(csv.DictReader(io.StringIO(text)))
    with TEMPLATE.open(newline="", encoding="utf-8") as handle:
        template = list(csv.DictReader(handle))
    assert [r["data"] for r in rows] == [r["data"] for r in template]
    assert [r["box"] for r in rows] == [r["box"] for r in template]
    values = {r["data"]: r["n"] for r in rows}
    assert values["records_screened"] == "4"
    assert values["database_specific_results"] == "Embase, 4; PubMed, 2"
    assert values["dbr_excluded"] == "Wrong study design, 1"


def test_an_updated_review_has_a_previous_studies_column(finished):
    finished.previous_studies, finished.previous_reports = 7, 9
    finished.save()
    report = prisma_report(finished)
    assert (report.total_studies, report.total_reports) == (9, 11)
    text = svg_text(render_svg(report))
    assert "Previous studies" in text and "(typed in by a person)" in text
    assert "Total studies included in review (n = 9)" in text


def test_a_cache_that_does_not_reconcile_is_an_error_naming_the_references(finished):
    wrong = ScreeningItem.objects.filter(
        review=finished, stage=TA, state=ItemState.EXCLUDED
    ).first()
    # As a wrong state rule would leave it: the item and its counter moved, no retrieval row.
    ScreeningItem.objects.filter(pk=wrong.pk).update(state=ItemState.INCLUDED)
    was = item_key(wrong)
    counters_add(review=finished, items={was: -1, was._replace(state=ItemState.INCLUDED): 1})
    report = prisma_report(finished)
    assert report.errors
    assert wrong.reference_id in report.errors[0].references
    with pytest.raises(ValueError, match="do not reconcile"):
        render_svg(report)
    with pytest.raises(CommandError, match="do not reconcile"):
        call_command("prisma", finished.slug)


# --- the command and the page ---------------------------------------------------------------------


def test_the_prisma_command_in_every_format(finished, tmp_path):
    out = StringIO()
    call_command("prisma", finished.slug, stdout=out)
    data = json.loads(out.getvalue())
    assert data["records_screened"] == 4
    assert data["dbr_excluded"] == [{"reason": "Wrong study design", "n": 1}]
    assert data["pending"]["screening"] == 0 and data["errors"] == []
    for fmt, magic in (("svg", b"<svg"), ("png", b"\x89PNG"), ("pdf", b"%PDF"), ("csv", b"data,")):
        path = tmp_path / f"prisma.{fmt}"
        call_command(
            "prisma", finished.slug, "--format", fmt, "--output", str(path), stderr=StringIO()
        )
        assert path.read_bytes().lstrip(b"\xef\xbb\xbf").startswith(magic), fmt


def test_the_methods_paragraph_says_what_the_data_say(finished):
    text = methods_paragraph(finished, prisma_report(finished))
    assert "Records were identified from 2 databases (Embase, PubMed), and 2 records by " in text
    assert "1 duplicate record was removed" in text
    assert "1 record was removed before screening" in text
    assert (
        "4 records were screened on title and abstract by two reviewers, independently, each "
        "blind to the other's decision; 2 reviewers took part." in text
    )
    assert "4 reports were assessed in full text by two reviewers" in text
    assert "Disagreements (1) were resolved by a third person" in text
    assert "2 reports were included, describing 2 studies" in text


def test_a_change_to_one_reviewer_is_said_so(finished, owner, tmp_path):
    review_settings_update(review=finished, user=owner, reviewers_title_abstract=1)
    path = tmp_path / "late.ris"
    path.write_text(ris_entry(500))
    extra = references_import(
        review=finished,
        source=source_get_or_create(review=finished, name="Embase", kind="database", user=owner),
        path=path,
        file_name="late.ris",
        user=owner,
    )
    decision_record(
        review=finished, reference=extra.records.get().reference, stage=TA, reviewer=owner,
        verdict="exclude", reason=None,
    )  # fmt: skip
    text = methods_paragraph(finished, prisma_report(finished))
    assert "by two reviewers independently for 8 decisions and by one reviewer for 1" in text


def test_reports_excluded_at_full_text_are_listed_with_their_reasons(finished):
    rows = list(excluded_reports(finished))
    assert [(row["reason"], row["column"]) for row in rows] == [
        ("Wrong study design", "databases and registers"),
        ("Wrong patient population", "other methods"),
    ]
    excluded = ScreeningItem.objects.filter(review=finished, stage=FT, state=ItemState.EXCLUDED)
    assert {row["reference_id"] for row in rows} == set(
        excluded.values_list("reference_id", flat=True)
    )


def test_the_page_draws_the_clickable_diagram_and_offers_the_downloads(finished, client_owner):
    page = client_owner.get(reverse("screening:prisma", args=[finished.slug])).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert "?box=records_screened" in page
    assert "Records were identified from 2 databases (Embase, PubMed)" in page
    assert "Wrong study design" in page  # the item 16b table
    url = reverse("screening:prisma", args=[finished.slug])
    downloads = {
        "svg": "image/svg+xml",
        "png": "image/png",
        "pdf": "application/pdf",
        "csv": "text/csv",
        "json": "application/json",
        "excluded": "text/csv",
        "methods": "text/plain",
    }
    for fmt, content_type in downloads.items():
        response = client_owner.get(url, {"format": fmt})
        assert response["Content-Type"].startswith(content_type), fmt
        assert response["Content-Disposition"].startswith("attachment")


def test_each_box_link_lists_what_the_box_counts(finished, client_owner):
    report = prisma_report(finished)
    listed = client_owner.get(
        reverse("screening:reference-list", args=[finished.slug]), {"box": "dbr_assessed"}
    )
    assert listed.context["page"].paginator.count == report.dbr_assessed


def test_outsiders_see_no_diagram(finished, client_outsider):
    assert client_outsider.get(reverse("screening:prisma", args=[finished.slug])).status_code == 404


def test_the_prisma_page_costs_the_same_queries_at_any_size(
    finished, client_owner, django_assert_max_num_queries, import_text
):
    url = reverse("screening:prisma", args=[finished.slug])
    with django_assert_max_num_queries(40) as small:
        client_owner.get(url)
    source = source_get_or_create(review=finished, name="Scopus", kind="database", user=None)
    path_text = "\n".join(ris_entry(n) for n in range(100, 160))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "more.ris"
        path.write_text(path_text)
        references_import(
            review=finished, source=source, path=path, file_name="more.ris", user=None
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client_owner.get(url)
