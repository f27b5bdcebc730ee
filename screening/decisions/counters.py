"""The review's counters: the screening items by stage, state, PRISMA column and reason
(StageCount), the live votes by stage and reviewer (ReviewerCount) and the records by search
(RecordCount). Pages and the PRISMA counts read them instead of counting rows, so that they cost
the same at 1,000 references as at 1,000,000.

They are a cache of the log, like the screening items. Every change goes through
`counters_add`, in the transaction that wrote the rows counted: items.py for the items and
votes it makes, updates and deletes; the import for the records it inserts. Nothing else writes
them. `screening_state --check` counts them again from the log and reports each counter that
differs (`counter_differences`); `--fix` rebuilds them (items.cache_rebuild)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F

from screening.models import (
    Record,
    RecordCount,
    Review,
    ReviewerCount,
    ScreeningItem,
    StageCount,
)


class ItemKey(NamedTuple):
    """What StageCount counts screening items by."""

    stage: str
    state: str
    entry: str  # PRISMA's column: title_abstract (databases, registers) or retrieval (other)
    reason_id: int | None = None


ITEM_FIELDS = ItemKey._fields
REVIEWER_FIELDS = ("stage", "reviewer_id")
RECORD_FIELDS = ("search_id",)


def item_key(item: ScreeningItem) -> ItemKey:
    return ItemKey(item.stage, item.state, item.entry, item.reason_id)


def counters_add(
    *,
    review: Review,
    items: Mapping[ItemKey, int] | None = None,
    reviewers: Mapping[tuple[str, int], int] | None = None,
    records: Mapping[int, int] | None = None,
) -> None:
    """Add deltas to the review's counters, in the transaction that wrote what they count:
    `items` {ItemKey: n} for screening items made (+), deleted (-) or moved from one key to
    another (-1 and +1); `reviewers` {(stage, reviewer id): n} for live votes; `records`
    {search id: n} for records inserted into a search. Zero deltas are skipped; a counter row
    is made the first time it is needed."""
    if items:
        _bump(StageCount, review, items, ITEM_FIELDS)
    if reviewers:
        _bump(ReviewerCount, review, reviewers, REVIEWER_FIELDS)
    if records:
        _bump(RecordCount, review, {(search,): n for search, n in records.items()}, RECORD_FIELDS)


def _bump(model, review: Review, delta: Mapping[tuple, int], key_fields: tuple[str, ...]) -> None:
    """Add the deltas to the counter rows in one UPDATE (it locks the rows in index order, the
    same in every transaction, so two cannot deadlock), then make the rows that were missing.
    Written out by hand: this runs with every decision, and building the same statement through
    the ORM's Case/When cost more than the rest of the decision's queries together."""
    changes = {tuple(key): n for key, n in delta.items() if n}
    if not changes:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in key_fields]
    # A nullable key (the reason) matches as 0, as the unique constraint counts it.
    nullable = [meta.get_field(name).null for name in key_fields]
    match = " AND ".join(
        f"COALESCE({column}, 0) = %s" if null else f"{column} = %s"
        for column, null in zip(columns, nullable, strict=True)
    )

    def params(key: tuple) -> list:
        return [
            0 if value is None and null else value
            for value, null in zip(key, nullable, strict=True)
        ]

    cases, params_case, params_where = [], [], []
    for key, n in changes.items():
        cases.append(f"WHEN {match} THEN %s")
        params_case += [*params(key), n]
        params_where += params(key)
    where = " OR ".join(f"({match})" for _ in changes)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote('n')} = {quote('n')} + CASE {' '.join(cases)} "
        f"ELSE 0 END WHERE {quote('review_id')} = %s AND ({where}) "
        f"RETURNING {', '.join(columns)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params_case, review.pk, *params_where])
        found = {tuple(row) for row in cursor.fetchall()}
    for key in sorted(set(changes) - found, key=_sortable):
        lookup = {"review": review, **dict(zip(key_fields, key, strict=True))}
        try:
            with transaction.atomic():
                model.objects.create(**lookup, n=changes[key])
        except IntegrityError:  # another transaction made the row first
            model.objects.filter(**lookup).update(n=F("n") + changes[key])


def _sortable(key: tuple) -> tuple:
    return tuple((value is not None, value) for value in key)


# --- Counting again from the log ----------------------------------------------------------------


def records_from_log(review: Review) -> Counter:
    """{search id: records}, counted from the record rows."""
    return Counter(
        dict(
            Record.objects.in_review(review)
            .values_list("search_id")
            .annotate(n=Count("*"))
            .order_by()
        )
    )


def counter_differences(
    review: Review, *, items: Counter, reviewers: Counter, records: Counter
) -> list[str]:
    """Each counter whose cached value differs from the one counted from the log (given,
    as counters_add takes them), in a sentence."""
    cached_items = Counter(
        {
            ItemKey(*row[:-1]): row[-1]
            for row in StageCount.objects.in_review(review).values_list(*ITEM_FIELDS, "n")
        }
    )
    cached_reviewers = Counter(
        {
            (stage, reviewer): n
            for stage, reviewer, n in ReviewerCount.objects.in_review(review).values_list(
                *REVIEWER_FIELDS, "n"
            )
        }
    )
    cached_records = Counter(
        dict(RecordCount.objects.in_review(review).values_list("search_id", "n"))
    )
    differences = []
    for key in _differing(cached_items, items):
        differences.append(
            f"state count {key.stage} {key.state} (entered at {key.entry}, reason "
            f"{key.reason_id}): cached {cached_items[key]}, computed {items[key]}"
        )
    for stage, reviewer in _differing(cached_reviewers, reviewers):
        differences.append(
            f"vote count of reviewer {reviewer} at {stage}: cached "
            f"{cached_reviewers[(stage, reviewer)]}, computed {reviewers[(stage, reviewer)]}"
        )
    for search in _differing(cached_records, records):
        differences.append(
            f"record count of search {search}: cached {cached_records[search]}, computed "
            f"{records[search]}"
        )
    return differences


def _differing(cached: Counter, computed: Counter) -> list:
    """The keys whose counts differ; a missing row counts 0."""
    return sorted(
        (key for key in set(cached) | set(computed) if cached[key] != computed[key]),
        key=lambda key: _sortable(key if isinstance(key, tuple) else (key,)),
    )


def counters_clear(review: Review) -> None:
    """Drop the review's counters, to count them again (items.cache_rebuild)."""
    StageCount.objects.in_review(review).delete()
    ReviewerCount.objects.in_review(review).delete()
    RecordCount.objects.in_review(review).delete()
