"""The reference list: its column sorts, each reference's screening in its row, the heading of a
list opened from a PRISMA box, the filters' words, and queries that do not grow with the rows."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from references.models import Reference
from screening.constants import Stage
from screening.decisions.services import conflict_resolve, decision_record
from screening.models import ExclusionReason
from screening.prisma.counts import BOXES, prisma_report
from screening.reference_list.sorting import SORTS, parse_sort

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def _entry(title: str, author: str, year: int | None) -> str:
    year_line = f"PY  - {year}\n" if year else ""
    author_line = f"AU  - {author}\n" if author else ""
    return f"TY  - JOUR\nTI  - {title}\n{author_line}{year_line}ER  - \n"


# Added in this order (ids ascending): each column sorts them differently.
ENTRIES = [
    ("Bevacizumab in mesothelioma", "Zhou, Li", 2021),
    ("ancillary analysis of HARMONi-A", "Adams, Kim", None),
    ("Cisplatin doublets revisited", "", 2019),
]


@pytest.fixture
def three(review, import_text) -> dict[str, Reference]:
    search = import_text("\n".join(_entry(*entry) for entry in ENTRIES), name="three.ris")
    return {r.reference.title.split()[0].lower(): r.reference for r in search.records.all()}


def _list(client, review, **query):
    response = client.get(reverse("screening:reference-list", args=[review.slug]), query)
    assert response.status_code == 200
    return response


def _order(response) -> list[str]:
    return [reference.title.split()[0].lower() for reference, _ in response.context["rows"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["bevacizumab", "ancillary", "cisplatin"]),  # the order they were added
        ("title", ["ancillary", "bevacizumab", "cisplatin"]),  # case does not count
        ("-title", ["cisplatin", "bevacizumab", "ancillary"]),
        ("year", ["cisplatin", "bevacizumab", "ancillary"]),  # no year: last, either way
        ("-year", ["bevacizumab", "cisplatin", "ancillary"]),
        ("author", ["ancillary", "bevacizumab", "cisplatin"]),  # no author: last, either way
        ("-author", ["bevacizumab", "ancillary", "cisplatin"]),
        ("added", ["bevacizumab", "ancillary", "cisplatin"]),
        ("-added", ["cisplatin", "ancillary", "bevacizumab"]),
        ("reviewer", ["bevacizumab", "ancillary", "cisplatin"]),  # not a sort: ignored
        ("-verdict", ["bevacizumab", "ancillary", "cisplatin"]),
    ],
)
def test_the_list_sorts_by_the_column_asked_for(client_owner, review, three, sort, expected):
    assert _order(_list(client_owner, review, sort=sort)) == expected


def test_sorting_by_state_follows_the_flow(client_owner, review, owner, reviewer, three):
    review.reviewers_title_abstract = 1
    review.save(update_fields=["reviewers_title_abstract"])
    reason = ExclusionReason.objects.in_review(review).first()
    decision_record(review=review, reference=three["cisplatin"], stage=TA, reviewer=owner,
                    verdict="include")  # fmt: skip
    decision_record(review=review, reference=three["bevacizumab"], stage=TA, reviewer=owner,
                    verdict="exclude", reason=reason)  # fmt: skip
    # ancillary: awaiting screening; bevacizumab: excluded; cisplatin: on to retrieval.
    assert _order(_list(client_owner, review, sort="state")) == [
        "ancillary", "bevacizumab", "cisplatin",
    ]  # fmt: skip
    assert _order(_list(client_owner, review, sort="-state")) == [
        "cisplatin", "bevacizumab", "ancillary",
    ]  # fmt: skip


def test_a_header_sorts_then_reverses_and_keeps_the_filters(client_owner, review, three):
    page = _list(client_owner, review, year_min="2000", page="1").content.decode()
    year = re.search(r'<a href="([^"]*)"\s+id="sort-year"', page).group(1)
    assert "sort=year" in year and "year_min=2000" in year and "page=" not in year
    page = _list(client_owner, review, year_min="2000", sort="year").content.decode()
    header = re.search(r'<th[^>]*aria-sort="(\w+)"[^>]*>\s*<a href="([^"]*)"', page)
    assert header.group(1) == "ascending" and "sort=-year" in header.group(2)
    # The filter form keeps the sort when the filters change.
    assert '<input type="hidden" name="sort" value="year">' in page
    assert parse_sort("-year") == ("year", True) and parse_sort("year;drop") is None
    assert set(SORTS) == {"title", "author", "year", "added", "state"}


def test_each_row_shows_the_state_reason_and_who_decided(
    client_owner, review, owner, reviewer, three
):
    reason = ExclusionReason.objects.in_review(review).get(label="Wrong study design")
    for who, verdict in ((owner, "include"), (reviewer, "exclude")):
        why = reason if verdict == "exclude" else None
        decision_record(review=review, reference=three["ancillary"], stage=TA, reviewer=who,
                        verdict=verdict, reason=why)  # fmt: skip
    conflict_resolve(review=review, reference=three["ancillary"], stage=TA, resolver=owner,
                     verdict="exclude", reason=reason)  # fmt: skip
    decision_record(review=review, reference=three["bevacizumab"], stage=TA, reviewer=reviewer,
                    verdict="include")  # fmt: skip
    response = _list(client_owner, review)
    rows = {
        reference.title.split()[0].lower(): cells for reference, cells in response.context["rows"]
    }
    ancillary = rows["ancillary"][0]
    assert (ancillary.item.state, ancillary.item.reason.label) == ("excluded", "Wrong study design")
    assert [(v.reviewer.username, v.verdict) for v in ancillary.votes] == [
        ("olivia-owner", "include"), ("rui-reviewer", "exclude"),
    ]  # fmt: skip
    assert ancillary.resolver == "olivia-owner"
    assert rows["ancillary"][1:] == [None, None]  # excluded: never reached retrieval
    page = response.content.decode()
    assert "Excluded</span>" in page and ": Wrong study design" in page
    assert "olivia-owner (include)" in page and "resolved by olivia-owner" in page
    assert "rui-reviewer (include)" in page  # the owner sees every vote
    assert "Awaiting a second reviewer" in page


def test_the_list_from_a_prisma_box_is_headed_by_the_box(
    client_owner, review, owner, reviewer, three
):
    reason = ExclusionReason.objects.in_review(review).get(label="Wrong study design")
    for ref in ("ancillary", "bevacizumab"):
        for who in (owner, reviewer):
            decision_record(review=review, reference=three[ref], stage=TA, reviewer=who,
                            verdict="exclude", reason=reason)  # fmt: skip
    excluded = prisma_report(review).records_excluded
    assert excluded == 2
    response = _list(client_owner, review, box="records_excluded")
    page = response.content.decode()
    box = BOXES["records_excluded"]
    assert f'<h1 id="list-heading">{box.label} ({excluded})</h1>' in page
    assert f'<p id="box-definition">{box.definition}</p>' in page
    assert response.context["page"].paginator.count == excluded
    # Narrowed by another filter: the heading keeps the box's number; the line under it says
    # how many of them the filters leave.
    page = _list(client_owner, review, box="records_excluded", year_min="2020").content.decode()
    assert f"{box.label} ({excluded})" in page
    assert re.search(r"1 of them matches\s+the other filters", page)
    # Not a box: the plain heading, and nothing listed.
    response = _list(client_owner, review, box="not_a_box")
    assert '<h1 id="list-heading">References</h1>' in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_a_box_of_one_reason_names_it_and_a_shared_name_its_column(client_owner, review):
    reason = ExclusionReason.objects.in_review(review).get(label="Wrong study design")
    page = _list(client_owner, review, box=f"dbr_excluded:{reason.pk}").content.decode()
    assert "Reports excluded (databases and registers): Wrong study design (0)" in page
    page = _list(client_owner, review, box="other_sought_reports").content.decode()
    assert "Reports sought for retrieval (other methods) (0)" in page
    page = _list(client_owner, review, box="records_screened").content.decode()
    assert '<h1 id="list-heading">Records screened (0)</h1>' in page


def test_the_filters_say_any_not_unknown(client_owner, review, three):
    page = _list(client_owner, review).content.decode()
    form = re.search(r'<form method="get" class="filters".*?</form>', page, re.S).group(0)
    assert "Unknown" not in form and "---------" not in form
    for words in ("Any state", "Any stage", "Any source", "Any reason", "Anyone", ">Any<"):
        assert words in form, words
    # "Any" filters nothing; "Yes" and "No" still do.
    for value, expected in (("", 3), ("true", 0), ("false", 3)):
        response = _list(client_owner, review, has_abstract=value)
        assert response.context["page"].paginator.count == expected, value


def _queries(client, review, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        _list(client, review, **query)
    return len(captured)


def _screen(review, owner, reviewer, references) -> None:
    """Votes of every kind on the references: agreed, in conflict, resolved, awaiting."""
    reason = ExclusionReason.objects.in_review(review).get(label="Wrong study design")
    for n, reference in enumerate(references):
        kind = n % 4
        if kind == 3:
            continue  # awaiting
        decision_record(review=review, reference=reference, stage=TA, reviewer=owner,
                        verdict="include")  # fmt: skip
        if kind >= 1:
            decision_record(review=review, reference=reference, stage=TA, reviewer=reviewer,
                            verdict="exclude", reason=reason)  # fmt: skip
        if kind == 2:
            conflict_resolve(review=review, reference=reference, stage=TA, resolver=owner,
                             verdict="include")  # fmt: skip


@pytest.mark.parametrize(
    "query", [{}, {"sort": "-state"}, {"box": "records_screened", "sort": "author"}]
)
def test_the_queries_do_not_grow_with_the_rows(
    client_owner, review, owner, reviewer, import_text, query
):
    few = import_text("\n".join(_entry(f"Few {i}", f"Few{i}, A", 2020) for i in range(4)),
                      name="few.ris")  # fmt: skip
    _screen(review, owner, reviewer, [r.reference for r in few.records.all()])
    with_few = _queries(client_owner, review, query)
    many = import_text("\n".join(_entry(f"Many {i}", f"Many{i}, B", 2021) for i in range(40)),
                       name="many.ris")  # fmt: skip
    _screen(review, owner, reviewer, [r.reference for r in many.records.all()])
    assert _queries(client_owner, review, query) == with_few
    assert with_few <= 16  # 15 before the label filter (the labels the member may use)
