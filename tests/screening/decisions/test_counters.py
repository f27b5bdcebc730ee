"""The counters (StageCount, ReviewerCount, RecordCount): after every kind of write they equal a
count of the rows made from scratch; `screening_state` finds one that drifted and rebuilds it;
and the PRISMA counts that read them cost the same queries at any size."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count

from screening.constants import ItemState, SourceKind, Stage
from screening.decisions.counters import ItemKey, counters_add
from screening.decisions.items import cache_differences
from screening.decisions.removal import references_remove, references_restore
from screening.decisions.selectors import stage_counts
from screening.decisions.services import conflict_resolve, decision_retract, stage_reopen
from screening.identification.duplicates import duplicate_merge, duplicate_undo
from screening.models import (
    DuplicateCandidate,
    Record,
    RecordCount,
    ReviewerCount,
    ScreeningItem,
    StageCount,
    Vote,
)
from screening.prisma.counts import prisma_report
from screening.retrieval.services import full_text_record
from tests.screening.decisions.test_screening import reason as reason_named
from tests.screening.decisions.test_screening import ris, vote

pytestmark = pytest.mark.django_db

TA, RETRIEVAL, FT = Stage.TITLE_ABSTRACT, Stage.RETRIEVAL, Stage.FULL_TEXT


def rows_counted(review) -> dict:
    """Every counter as a GROUP BY over the rows would give it (zeros left out)."""
    items = ScreeningItem.objects.filter(review=review).values_list(*ItemKey._fields)
    votes = Vote.objects.filter(review=review).values_list("stage", "reviewer_id")
    records = Record.objects.filter(review=review).values_list("search_id")
    return {
        "items": {row[:-1]: row[-1] for row in items.annotate(n=Count("id")).order_by()},
        "votes": {row[:-1]: row[-1] for row in votes.annotate(n=Count("id")).order_by()},
        "records": dict(records.annotate(n=Count("id")).order_by()),
    }


def cached_counters(review) -> dict:
    items = StageCount.objects.filter(review=review, n__gt=0)
    votes = ReviewerCount.objects.filter(review=review, n__gt=0)
    return {
        "items": {row[:-1]: row[-1] for row in items.values_list(*ItemKey._fields, "n")},
        "votes": {row[:-1]: row[-1] for row in votes.values_list("stage", "reviewer_id", "n")},
        "records": dict(
            RecordCount.objects.filter(review=review, n__gt=0).values_list("search_id", "n")
        ),
    }


def assert_counted(review) -> None:
    assert cached_counters(review) == rows_counted(review)
    assert cache_differences(review) == []


def test_counters_follow_every_write_to_the_log(review, import_text, owner, reviewer):
    """Imports, votes, a conflict and its resolution, a withdrawal, a reopening, removal and
    restoring, retrieval and full-text exclusions under reasons: the counters after each."""
    refs = [r.reference for r in import_text(ris(6), source="Embase").records.order_by("pk")]
    import_text(ris(2, start=5), name="pubmed.ris", source="PubMed")  # two duplicates
    assert_counted(review)
    design, population = reason_named(review), reason_named(review, "Wrong patient population")

    vote(review, refs[0], owner)
    vote(review, refs[0], reviewer, "exclude", reason=design)  # a conflict
    conflict_resolve(review=review, reference=refs[0], stage=TA, resolver=owner, verdict="include")
    for ref in refs[1:4]:
        vote(review, ref, owner)
        vote(review, ref, reviewer, "maybe")
    vote(review, refs[4], owner, "exclude", reason=design)
    decision_retract(review=review, reference=refs[4], stage=TA, reviewer=owner)
    vote(review, refs[4], owner, "exclude", reason=population)
    vote(review, refs[4], reviewer, "exclude", reason=population)
    stage_reopen(review=review, reference=refs[4], stage=TA, owner=owner)
    references_remove(review=review, reference_ids=[refs[5].pk], reason="language", user=owner)
    assert_counted(review)
    references_restore(review=review, reference_ids=[refs[5].pk], user=owner)

    for ref, status in zip(refs[:3], ("retrieved", "retrieved", "not_retrieved"), strict=True):
        full_text_record(review=review, reference=ref, user=owner, status=status,
                         reason="Not found", max_bytes=1)  # fmt: skip
    for who in (owner, reviewer):
        vote(review, refs[0], who, "exclude", stage=FT, reason=design)
        vote(review, refs[1], who, "exclude", stage=FT, reason=population)
    assert_counted(review)
    counted = rows_counted(review)["items"]
    assert counted[(FT, ItemState.EXCLUDED, TA, design.pk)] == 1
    assert counted[(FT, ItemState.EXCLUDED, TA, population.pk)] == 1
    report = prisma_report(review)
    assert [(r.reason, r.n) for r in report.dbr_excluded] == [
        ("Wrong study design", 1),
        ("Wrong patient population", 1),
    ]
    assert (report.database_results, report.duplicates) == (8, 2)


def test_a_website_record_found_again_in_a_database_moves_its_count_to_the_left_column(
    review, import_text, owner, reviewer
):
    import_text(ris(2), name="akeso.ris", source="Akeso", kind=SourceKind.WEBSITE)
    assert rows_counted(review)["items"] == {(RETRIEVAL, ItemState.AWAITING_RETRIEVAL, RETRIEVAL,
                                              None): 2}  # fmt: skip
    both = import_text(ris(1), name="embase.ris", source="Embase").records.get().reference
    assert_counted(review)
    report = prisma_report(review)
    assert (report.records_screened, report.other_sought_reports) == (1, 1)
    assert (report.website_results, report.database_results, report.duplicates) == (2, 1, 0)

    vote(review, both, owner)
    vote(review, both, reviewer)  # sought now, in the left column
    assert_counted(review)
    # The pages add the columns up: two references sought, one in each.
    assert stage_counts(review)[RETRIEVAL] == {ItemState.AWAITING_RETRIEVAL: 2}
    assert (prisma_report(review).dbr_sought_reports, report.other_sought_reports) == (1, 1)


def test_a_merge_and_its_undo_move_the_counts(review, import_text, owner):
    text = ris(2).replace("DO  - 10.1000/ivo.1\n", "")
    import_text(text, name="a.ris", source="Embase")
    import_text(text.replace("lung cancer", "lung cancers").split("ER  - \n")[0] + "ER  - \n",
                name="b.ris", source="Scopus")  # fmt: skip
    candidate = DuplicateCandidate.objects.get()
    before = prisma_report(review)
    duplicate_merge(candidate=candidate, user=owner)
    assert_counted(review)
    merged = prisma_report(review)
    assert merged.duplicates == before.duplicates + 1
    assert merged.records_screened == before.records_screened - 1
    duplicate_undo(candidate=DuplicateCandidate.objects.get(), user=owner)
    assert_counted(review)
    assert prisma_report(review).duplicates == before.duplicates


# --- counters_add ---------------------------------------------------------------------------------


def test_counters_add_makes_rows_adds_to_them_and_keeps_no_reason_apart(review, owner):
    design = reason_named(review)
    excluded = ItemKey(TA, ItemState.EXCLUDED, TA)
    counters_add(review=review, items={excluded: 2, excluded._replace(reason_id=design.pk): 1})
    counters_add(review=review, items={excluded: 3, ItemKey(TA, ItemState.AWAITING, TA): 0})
    counters_add(review=review, reviewers={(TA, owner.pk): 4})
    rows = {(c.reason_id, c.state): c.n for c in StageCount.objects.filter(review=review)}
    assert rows == {(None, ItemState.EXCLUDED): 5, (design.pk, ItemState.EXCLUDED): 1}
    assert ReviewerCount.objects.get(review=review, stage=TA, reviewer=owner).n == 4


# --- screening_state ------------------------------------------------------------------------------


def test_screening_state_names_a_drifted_counter_and_fix_rebuilds_it(
    review, import_text, owner, reviewer
):
    search = import_text(ris(3), source="Embase")
    refs = [r.reference for r in search.records.order_by("pk")]
    vote(review, refs[0], owner, "exclude")
    vote(review, refs[0], reviewer, "exclude")
    call_command("screening_state", review.slug, "--check")
    StageCount.objects.filter(review=review, stage=TA, state=ItemState.EXCLUDED).update(n=7)
    RecordCount.objects.filter(search=search).update(n=2)

    with pytest.raises(CommandError, match="differ from the decision log"):
        call_command("screening_state", review.slug, "--check")
    assert cache_differences(review) == [
        "state count title_abstract excluded (entered at title_abstract, reason None): "
        "cached 7, computed 1",
        f"record count of search {search.pk}: cached 2, computed 3",
    ]
    assert prisma_report(review).database_results == 2  # what the page would show

    call_command("screening_state", review.slug, "--fix")
    assert_counted(review)
    assert prisma_report(review).database_results == 3


def test_a_counter_row_missing_or_left_over_is_a_difference(review, import_text, owner):
    import_text(ris(2), source="Embase")
    StageCount.objects.filter(review=review).delete()
    counters_add(review=review, reviewers={(TA, owner.pk): 1})
    differences = cache_differences(review)
    assert "cached 0, computed 2" in differences[0]
    assert differences[1] == (
        f"vote count of reviewer {owner.pk} at title_abstract: cached 1, computed 0"
    )


def test_the_migration_counts_the_rows_as_the_cache_does(review, import_text, owner, reviewer):
    refs = [r.reference for r in import_text(ris(3), source="Embase").records.all()]
    vote(review, refs[0], owner, "exclude", reason=reason_named(review))
    vote(review, refs[0], reviewer, "exclude", reason=reason_named(review))
    StageCount.objects.all().delete()
    RecordCount.objects.all().update(n=0)
    migration = importlib.import_module("screening.migrations.0023_prisma_counters")

    migration.count_from_rows(apps, connection.schema_editor())

    assert_counted(review)


# --- PRISMA reads the counters ----------------------------------------------------------------


def test_prisma_counts_cost_the_same_queries_at_any_size(
    review, import_text, owner, reviewer, django_assert_num_queries
):
    def grow(start: int, count: int, name: str) -> None:
        search = import_text(ris(count, start=start), name=name, source="Embase")
        refs = [r.reference for r in search.records.order_by("pk")]
        for ref in refs[: count // 2]:  # half go all the way to an inclusion
            vote(review, ref, owner)
            vote(review, ref, reviewer)
            full_text_record(review=review, reference=ref, user=owner, status="retrieved",
                             max_bytes=1)  # fmt: skip
            vote(review, ref, owner, stage=FT)
            vote(review, ref, reviewer, stage=FT)

    grow(1, 4, "small.ris")
    # Records per source, items by stage, state, column and reason, and the studies' links.
    with django_assert_num_queries(3):
        small = prisma_report(review)
    grow(100, 40, "larger.ris")
    with django_assert_num_queries(3):
        larger = prisma_report(review)
    assert (small.new_reports, larger.new_reports) == (2, 22)
    assert larger.database_specific_results == [("Embase", 44)] and larger.errors == []
