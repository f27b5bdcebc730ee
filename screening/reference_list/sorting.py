"""The reference list's column sorts: `?sort=year`, `?sort=-year` (newest first).

Only what every member of the review may see is a sort key: a reference's own fields, and its
cached state at each stage, which the list and a reference's page show to everyone. Nobody's
vote, verdict or reason is one: under blind screening, the order of the rows would tell a
reviewer how others voted on references they have not voted on yet, as surely as the votes
themselves would (screening/permissions/blinding.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.http import QueryDict

from screening.constants import ItemState, Stage
from screening.models import Review, ScreeningItem

# Where a reference stands, as far as it got in PRISMA's flow: each (stage, state) a number,
# each later stage after every state of the earlier ones, so that a reference's highest number
# is where it stands now.
FLOW: dict[str, list[str]] = {
    Stage.TITLE_ABSTRACT: [
        ItemState.AWAITING,
        ItemState.AWAITING_SECOND,
        ItemState.CONFLICT,
        ItemState.REMOVED,
        ItemState.AUTOMATED,
        ItemState.EXCLUDED,
        ItemState.INCLUDED,
    ],
    Stage.RETRIEVAL: [
        ItemState.AWAITING_RETRIEVAL,
        ItemState.NOT_RETRIEVED,
        ItemState.RETRIEVED,
    ],
    Stage.FULL_TEXT: [
        ItemState.AWAITING,
        ItemState.AWAITING_SECOND,
        ItemState.CONFLICT,
        ItemState.EXCLUDED,
        ItemState.INCLUDED,
    ],
}
STAGE_BLOCK = 100  # room for every state of a stage


@dataclass(frozen=True)
class Sort:
    key: str  # as in the URL
    label: str  # the column's header


SORTS = {
    sort.key: sort
    for sort in (
        Sort("title", "Title"),
        Sort("author", "First author"),
        Sort("year", "Year"),
        Sort("added", "Added"),
        Sort("state", "Where it stands"),
    )
}


def parse_sort(value: str | None) -> tuple[str, bool] | None:
    """(key, descending) for a `sort` value of the whitelist, None for anything else."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    return (key, descending) if key in SORTS else None


def _standing(review: Review) -> Subquery:
    whens = [
        When(stage=stage, state=state, then=Value(block * STAGE_BLOCK + position))
        for block, (stage, states) in enumerate(FLOW.items())
        for position, state in enumerate(states)
    ]
    ranked = (
        ScreeningItem.objects.in_review(review)
        .filter(reference=OuterRef("pk"))
        .annotate(flow=Case(*whens, default=Value(None), output_field=IntegerField()))
        .order_by(F("flow").desc(nulls_last=True))
        .values("flow")[:1]
    )
    return Subquery(ranked, output_field=IntegerField())


def sort_references(queryset: QuerySet, review: Review, value: str | None) -> QuerySet:
    """The references in the order asked for; by id (the order they were added) without one.
    Empty values (no year, no author) come last either way; the id breaks ties, so that pages
    do not overlap."""
    parsed = parse_sort(value)
    if parsed is None:
        return queryset.order_by("id")
    key, descending = parsed
    if key == "title":
        expression = Lower("title")
    elif key == "author":
        # A reference without authors has an empty key: after every name, either way.
        queryset = queryset.annotate(
            no_author=Case(When(first_author_key="", then=Value(1)), default=Value(0))
        )
        expression = F("first_author_key")
    elif key == "year":
        expression = F("year")
    elif key == "added":
        expression = F("created_at")
    else:
        queryset = queryset.annotate(standing=_standing(review))
        expression = F("standing")
    order = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    tie = "-id" if descending else "id"
    if key == "author":
        return queryset.order_by("no_author", order, tie)
    return queryset.order_by(order, tie)


@dataclass(frozen=True)
class Header:
    """A sortable column's header: its link, and whether (and which way) the list is sorted
    by it now. A first click sorts ascending, the next one reverses."""

    sort: Sort
    url: str
    current: str  # "", "ascending" or "descending" (aria-sort's words)


def sort_headers(query: QueryDict, value: str | None) -> dict[str, Header]:
    """Each sortable column's header, its link keeping the filters and leaving the page."""
    parsed = parse_sort(value)
    headers = {}
    for key, sort in SORTS.items():
        current = ""
        wanted = key
        if parsed and parsed[0] == key:
            current = "descending" if parsed[1] else "ascending"
            wanted = key if parsed[1] else f"-{key}"
        link = query.copy()
        link.pop("page", None)
        link["sort"] = wanted
        headers[key] = Header(sort, f"?{link.urlencode()}", current)
    return headers
