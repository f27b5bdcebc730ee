"""Near-duplicate candidates: proposed by title similarity, then merged or rejected by a person.

A merge moves the records of one reference onto the other, and the labels and discussion posts
on it with them; it never deletes a reference, so undoing it moves exactly those back.
"""

from collections import deque
from collections.abc import Iterator

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from references.duplicates import (
    MIN_TITLE_LENGTH,
    NEIGHBOURS,
    NearItem,
    compatible_identifiers,
    near_pair,
)
from references.models import Reference
from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction, CandidateStatus, DuplicateRule
from screening.decisions.items import items_refresh
from screening.identification.server_settings import jit_off
from screening.models import (
    Decision,
    DuplicateCandidate,
    Post,
    Record,
    ReferenceLabel,
    Review,
    ScreeningItem,
)

# The reference columns that make a NearItem, in its fields' order.
NEAR_COLUMNS = ("id", "title_key", "year", "first_author_key", "pmid", "doi")


def _review_references_sql(*, blocked: bool) -> str:
    """The review's references with a title long enough to compare, as NearItem's fields."""
    quote = connection.ops.quote_name
    reference, record = quote(Reference._meta.db_table), quote(Record._meta.db_table)
    return (
        f"SELECT {', '.join(f'r.{c}' for c in NEAR_COLUMNS)} FROM {reference} r "
        f"WHERE r.id IN (SELECT reference_id FROM {record} WHERE review_id = %(review)s) "
        "AND length(r.title_key) >= %(shortest)s"
        + (" AND r.year <> 0 AND r.first_author_key <> ''" if blocked else "")
    )


def _streamed_rows(sql: str, review: Review) -> Iterator[tuple]:
    """The rows of a query on the review's references, fetched in chunks (a server-side cursor
    on PostgreSQL), so that none of them is held longer than its chunk."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, {"review": review.pk, "shortest": MIN_TITLE_LENGTH})
        while rows := cursor.fetchmany(2000):
            yield from rows


def _block_pairs(review: Review) -> Iterator[tuple[NearItem, NearItem]]:
    """near_pairs' first blocking, by the database: pairs of references with the same year and
    first author, less those compatible_identifiers refuses (the same rule, in SQL)."""
    both = ", ".join([f"a.{c}" for c in NEAR_COLUMNS] + [f"b.{c}" for c in NEAR_COLUMNS])
    sql = f"""
        WITH refs AS MATERIALIZED ({_review_references_sql(blocked=True)})
        SELECT {both} FROM refs a JOIN refs b
            ON b.year = a.year AND b.first_author_key = a.first_author_key AND b.id > a.id
        WHERE NOT (a.pmid <> '' AND b.pmid <> '' AND a.pmid <> b.pmid)
          AND NOT (a.doi <> '' AND b.doi <> '' AND a.doi <> b.doi)
        ORDER BY a.id, b.id
    """
    width = len(NEAR_COLUMNS)
    for row in _streamed_rows(sql, review):
        yield NearItem(*row[:width]), NearItem(*row[width:])


def _neighbour_pairs(review: Review) -> Iterator[tuple[NearItem, NearItem]]:
    """near_pairs' second blocking: each title with the NEIGHBOURS before it in alphabetical
    order (by code point, as Python sorts), read in order from the database, so that only
    those few titles are held. Pairs of the same year and first author were the first
    blocking's; pairs compatible_identifiers refuses are left out here already."""
    by_code_point = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = f"{_review_references_sql(blocked=False)} ORDER BY r.title_key{by_code_point}, r.id"
    window: deque[NearItem] = deque(maxlen=NEIGHBOURS)
    for row in _streamed_rows(sql, review):
        item = NearItem(*row)
        # The first blocking's key, if it has one.
        block = (item.year, item.first_author) if item.year and item.first_author else None
        for earlier in window:
            if block and (earlier.year, earlier.first_author) == block:
                continue
            if compatible_identifiers(earlier, item):
                yield earlier, item
        window.append(item)


def compared_pairs(review: Review) -> Iterator[tuple[NearItem, NearItem]]:
    """The pairs of the review's references that near_pairs would compare, each once: done by
    the database and a window of titles, so that proposing holds no list of the review's
    references (50 MB at 100,000). tests/screening/identification/test_duplicates.py checks
    that it gives near_pairs' pairs."""
    with jit_off():
        yield from _block_pairs(review)
        yield from _neighbour_pairs(review)


def duplicate_candidates_propose(*, review: Review, reference_ids: list[int] | None = None) -> int:
    """Propose near-duplicate pairs touching `reference_ids` (all references when None).

    A pair already proposed, merged or rejected is never proposed again. Returns how many new
    pairs were proposed. Runs inside the caller's transaction (the import's).
    """
    if reference_ids is not None and not reference_ids:
        return 0
    only = set(reference_ids) if reference_ids is not None else None
    known = set(
        DuplicateCandidate.objects.in_review(review).values_list("reference_a", "reference_b")
    )
    new = []
    for a, b in compared_pairs(review):
        pair = near_pair(a, b, only_ids=only)
        if pair and (pair.a, pair.b) not in known:
            new.append(
                DuplicateCandidate(
                    review=review,
                    reference_a_id=pair.a,
                    reference_b_id=pair.b,
                    score=pair.score,
                    evidence=pair.evidence,
                )
            )
    DuplicateCandidate.objects.bulk_create(new, batch_size=1000)
    return len(new)


def _locked(candidate: DuplicateCandidate) -> DuplicateCandidate:
    review_lock(candidate.review)  # the review first, then its rows: one lock order everywhere
    return DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)


@transaction.atomic
def duplicate_merge(
    *, candidate: DuplicateCandidate, user: AbstractBaseUser, keep: Reference | None = None
) -> DuplicateCandidate:
    """Merge the pair: every record of the other reference now points at `keep` (default a)."""
    candidate = _locked(candidate)
    if candidate.status == CandidateStatus.MERGED:
        return candidate  # a second click on "merge" changes nothing
    if candidate.status == CandidateStatus.REJECTED:
        raise ValidationError("This pair was marked as not duplicates; undo that first.")
    kept_id = keep.pk if keep is not None else candidate.reference_a_id
    if kept_id not in (candidate.reference_a_id, candidate.reference_b_id):
        raise ValidationError("The reference to keep must be one of the pair.")
    removed_id = (
        candidate.reference_b_id
        if kept_id == candidate.reference_a_id
        else candidate.reference_a_id
    )
    if (
        ScreeningItem.objects.in_review(candidate.review)
        .filter(reference_id=removed_id, votes__gt=0)
        .exists()
        or Decision.objects.in_review(candidate.review).filter(reference_id=removed_id).exists()
    ):
        raise ValidationError(
            "The reference that would be merged away has been screened already: keep that one, "
            "and merge the other into it."
        )
    records = list(
        Record.objects.select_for_update()
        .filter(review=candidate.review, reference_id=removed_id)
        .values_list("id", "duplicate_rule")
    )
    if not records:
        raise ValidationError("One side of this pair was merged into another reference already.")
    moved = {str(record_id): rule for record_id, rule in records}
    Record.objects.filter(id__in=[r for r, rule in records if rule]).update(reference_id=kept_id)
    Record.objects.filter(id__in=[r for r, rule in records if not rule]).update(
        reference_id=kept_id, duplicate_rule=DuplicateRule.MERGED
    )
    merged = {"kept": kept_id, "removed": removed_id, "records": moved}
    candidate.status = CandidateStatus.MERGED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    # The labels and posts moved are kept on the pair, for the undo, but not in the audit
    # event: every member sees it, and even a count of label uses would tell of a private one.
    notes = _notes_move(candidate.review, removed_id, kept_id)
    candidate.moved_records = {**merged, "notes": notes}
    candidate.save(update_fields=["status", "decided_by", "decided_at", "moved_records"])
    items_refresh(review=candidate.review, reference_ids=[kept_id, removed_id])
    audit_record(
        review=candidate.review,
        actor=user,
        action=AuditAction.DUPLICATE_MERGE,
        obj=candidate,
        before={"status": CandidateStatus.PROPOSED},
        after={"status": CandidateStatus.MERGED, **merged},
    )
    return candidate


def _notes_move(review: Review, removed_id: int, kept_id: int) -> dict[str, list[int]]:
    """Move the labels and posts on the reference merged away onto the one kept, so that they
    stay in sight (a reference with no record is in no list). A label a member has put on both
    stays where it is: the kept reference carries it already. The ids moved, for the undo."""
    on_kept = set(
        ReferenceLabel.objects.in_review(review)
        .filter(reference_id=kept_id)
        .values_list("label_id", "applied_by_id")
    )
    labels = [
        pk
        for pk, label_id, member_id in ReferenceLabel.objects.in_review(review)
        .filter(reference_id=removed_id)
        .values_list("pk", "label_id", "applied_by_id")
        if (label_id, member_id) not in on_kept
    ]
    posts = list(
        Post.objects.in_review(review).filter(reference_id=removed_id).values_list("pk", flat=True)
    )
    ReferenceLabel.objects.filter(pk__in=labels).update(reference_id=kept_id)
    Post.objects.filter(pk__in=posts).update(reference_id=kept_id)
    return {"labels": labels, "posts": posts}


def _notes_move_back(review: Review, moved: dict, kept_id: int, removed_id: int) -> None:
    """Undo `_notes_move`: the labels and posts it moved, still on the kept reference, go back
    (a label taken off or a post deleted since stays gone)."""
    notes = moved.get("notes") or {}  # a merge made before labels moved with it has none
    ReferenceLabel.objects.in_review(review).filter(
        pk__in=notes.get("labels", []), reference_id=kept_id
    ).update(reference_id=removed_id)
    Post.objects.in_review(review).filter(
        pk__in=notes.get("posts", []), reference_id=kept_id
    ).update(reference_id=removed_id)


@transaction.atomic
def duplicate_reject(
    *, candidate: DuplicateCandidate, user: AbstractBaseUser
) -> DuplicateCandidate:
    """Say the pair is not a duplicate; it is not proposed again."""
    candidate = _locked(candidate)
    if candidate.status == CandidateStatus.REJECTED:
        return candidate
    if candidate.status == CandidateStatus.MERGED:
        raise ValidationError("This pair is merged; undo the merge first.")
    before = {"status": candidate.status}
    candidate.status = CandidateStatus.REJECTED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        review=candidate.review,
        actor=user,
        action=AuditAction.DUPLICATE_REJECT,
        obj=candidate,
        before=before,
        after={"status": CandidateStatus.REJECTED},
    )
    return candidate


@transaction.atomic
def duplicate_undo(*, candidate: DuplicateCandidate, user: AbstractBaseUser) -> DuplicateCandidate:
    """Undo a merge (the moved records go back) or a rejection (the pair is proposed again)."""
    candidate = _locked(candidate)
    before = {"status": candidate.status}
    if candidate.status == CandidateStatus.MERGED:
        kept, removed = candidate.moved_records["kept"], candidate.moved_records["removed"]
        moved = {int(k): rule for k, rule in candidate.moved_records["records"].items()}
        still_there = set(
            Record.objects.select_for_update()
            .filter(id__in=moved, reference_id=kept)
            .values_list("id", flat=True)
        )
        if still_there != set(moved):
            raise ValidationError(
                "Some of these records have been merged again since; undo that merge first."
            )
        for rule in set(moved.values()):
            Record.objects.filter(id__in=[r for r, x in moved.items() if x == rule]).update(
                reference_id=removed, duplicate_rule=rule
            )
        _notes_move_back(candidate.review, candidate.moved_records, kept, removed)
        candidate.status = CandidateStatus.UNDONE
        after = {"status": CandidateStatus.UNDONE, "restored_to": removed, "records": list(moved)}
        items_refresh(review=candidate.review, reference_ids=[kept, removed])
    elif candidate.status == CandidateStatus.REJECTED:
        candidate.status = CandidateStatus.PROPOSED
        after = {"status": CandidateStatus.PROPOSED}
    else:
        return candidate
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        review=candidate.review,
        actor=user,
        action=AuditAction.DUPLICATE_UNDO,
        obj=candidate,
        before=before,
        after=after,
    )
    return candidate
