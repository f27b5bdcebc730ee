"""Screening writes: decisions (votes, withdrawals, resolutions, reopenings), removals before
screening, full-text retrieval, and keeping the cached states in step with them.

Every write adds to the log (Decision, Removal, FullText) and then calls `items_refresh` in the
same transaction: it recomputes the references' states with the pure functions of
screening/states.py and brings the cache (ScreeningItem, Vote, StageCount, ReviewerCount) in line.
A decision locks its reference's row at that stage first, so two reviewers deciding at once
both land, one after the other, and a decision sent twice (the same form token) is recorded
once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from references.models import Reference

from screening.constants import (
    AuditAction,
    DecisionKind,
    FullTextStatus,
    ItemState,
    RemovalReason,
    Role,
    SourceKind,
    Stage,
    Verdict,
)
from screening.models import (
    Decision,
    ExclusionReason,
    FullText,
    Membership,
    Record,
    Removal,
    Review,
    ReviewerCount,
    ScreeningItem,
    StageCount,
    Vote,
)
from screening.queue import rank_for
from screening.states import DecisionFact, Outcome, ReferenceFacts, reference_outcomes
from screening.services.audit import audit_record, review_lock
from screening.services.ranking import (
    ranking_count_decision,
    ranking_for_decision,
    ranking_place,
    ranking_request,
)

CHUNK = 2000
SCREENERS = {Role.OWNER, Role.REVIEWER}


class ScreeningRefused(Exception):
    """The action is not allowed now; `str(error)` is the sentence for the reviewer."""


# --- The cache --------------------------------------------------------------------------------


def _chunks(values: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def reference_facts(review: Review, reference_ids: list[int]) -> dict[int, ReferenceFacts]:
    """What the log says of these references, as the state functions take it."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for ref_id, kind in (
        Record.objects.filter(review=review, reference_id__in=reference_ids)
        .values_list("reference_id", "search__source__kind")
        .distinct()
    ):
        kinds[ref_id].add(kind)
    removed: dict[int, tuple[bool, str]] = {}
    for ref_id, is_removed, reason in (
        Removal.objects.filter(review=review, reference_id__in=reference_ids)
        .order_by("id")
        .values_list("reference_id", "removed", "reason")
    ):
        removed[ref_id] = (is_removed, reason)  # the latest holds
    full_text: dict[int, str] = {}
    for ref_id, status in (
        FullText.objects.filter(review=review, reference_id__in=reference_ids)
        .order_by("id")
        .values_list("reference_id", "status")
    ):
        full_text[ref_id] = status
    decisions: dict[int, dict[str, list[DecisionFact]]] = defaultdict(lambda: defaultdict(list))
    for row in (
        Decision.objects.filter(review=review, reference_id__in=reference_ids)
        .order_by("id")
        .values_list(
            "id",
            "reference_id",
            "stage",
            "kind",
            "reviewer_id",
            "verdict",
            "reason_id",
            "reviewers_required",
            "reasons_conflict",
        )
    ):
        decision_id, ref_id, stage, kind, reviewer, verdict, reason, required, conflict = row
        decisions[ref_id][stage].append(
            DecisionFact(decision_id, kind, reviewer, verdict, reason, required, conflict)
        )
    facts = {}
    for ref_id in reference_ids:
        found = kinds.get(ref_id, set())
        if found - SourceKind.other_methods():
            entry = Stage.TITLE_ABSTRACT
        elif found:
            entry = Stage.RETRIEVAL
        else:
            entry = None  # no record points at it any more (merged into another reference)
        facts[ref_id] = ReferenceFacts(
            entry=entry,
            removed=removed.get(ref_id, (False, ""))[0],
            automated=removed.get(ref_id, (False, ""))[1] == RemovalReason.AUTOMATION,
            decisions=dict(decisions.get(ref_id, {})),
            full_text=full_text.get(ref_id),
        )
    return facts


def items_refresh(*, review: Review, reference_ids: Iterable[int]) -> None:
    """Recompute these references' states and bring the cache in line. Call inside the
    transaction that changed the log."""
    ids = sorted(set(reference_ids))
    stage_delta: Counter = Counter()
    reviewer_delta: Counter = Counter()
    for chunk in _chunks(ids):
        _refresh_chunk(review, chunk, stage_delta, reviewer_delta)
    _bump(StageCount, review, stage_delta, key_fields=("stage", "state"))
    _bump(ReviewerCount, review, reviewer_delta, key_fields=("stage", "reviewer_id"))


def items_create_new(*, review: Review, reference_ids: list[int], source_kind: str) -> None:
    """Items for references an import has just made: they have no decision, removal or full
    text yet, and all their records come from one source, so their state is known without
    reading anything (the fast path of items_refresh, for imports of 100,000 records)."""
    if not reference_ids:
        return
    if source_kind in SourceKind.other_methods():
        stage, state = Stage.RETRIEVAL, ItemState.AWAITING_RETRIEVAL
    else:
        stage, state = Stage.TITLE_ABSTRACT, ItemState.AWAITING
    ScreeningItem.objects.bulk_create(
        [
            ScreeningItem(
                review=review,
                reference_id=ref_id,
                stage=stage,
                state=state,
                rank=rank_for(review.pk, ref_id),
                waiting=state in ItemState.pending(),
                entry=stage,
            )
            for ref_id in reference_ids
        ],
        batch_size=1000,
    )
    _bump(StageCount, review, Counter({(stage, state): len(reference_ids)}), key_fields=(
        "stage", "state"))  # fmt: skip
    if stage == Stage.TITLE_ABSTRACT:
        # New records to rank: the retrain fits their text features once, off the request.
        ranking_request(review)


def _refresh_chunk(review, chunk, stage_delta: Counter, reviewer_delta: Counter) -> None:
    facts = reference_facts(review, chunk)
    existing = {
        (item.reference_id, item.stage): item
        for item in ScreeningItem.objects.filter(review=review, reference_id__in=chunk)
    }
    votes: dict[int, dict[int, Vote]] = defaultdict(dict)
    for vote in Vote.objects.filter(item__in=[item.pk for item in existing.values()]):
        votes[vote.item_id][vote.reviewer_id] = vote

    wanted: dict[tuple[int, str], Outcome] = {}
    entries: dict[int, str] = {}
    for ref_id in chunk:
        entries[ref_id] = facts[ref_id].entry or ""
        for stage, outcome in reference_outcomes(facts[ref_id]).items():
            wanted[(ref_id, stage)] = outcome

    to_create, to_update = [], []
    for key, outcome in wanted.items():
        item = existing.get(key)
        fields = {
            "state": outcome.state,
            "verdict": outcome.verdict,
            "reason_id": outcome.reason,
            "resolved": outcome.resolved,
            "votes": outcome.vote_count,
            "waiting": outcome.state in ItemState.pending(),
            "entry": entries[key[0]],
        }
        if item is None:
            to_create.append(
                ScreeningItem(
                    review=review,
                    reference_id=key[0],
                    stage=key[1],
                    rank=rank_for(review.pk, key[0]),
                    **fields,
                )
            )
            stage_delta[(key[1], outcome.state)] += 1
        elif any(getattr(item, name) != value for name, value in fields.items()):
            stage_delta[(item.stage, item.state)] -= 1
            stage_delta[(item.stage, outcome.state)] += 1
            for name, value in fields.items():
                setattr(item, name, value)
            to_update.append(item)
    gone = [item for key, item in existing.items() if key not in wanted]
    for item in gone:
        stage_delta[(item.stage, item.state)] -= 1
        for reviewer_id in votes.get(item.pk, {}):
            reviewer_delta[(item.stage, reviewer_id)] -= 1
    if gone:
        ScreeningItem.objects.filter(pk__in=[item.pk for item in gone]).delete()  # votes go too
    ScreeningItem.objects.bulk_create(to_create, batch_size=1000)
    _update(
        ScreeningItem,
        to_update,
        ["state", "verdict", "reason_id", "resolved", "votes", "waiting", "entry"],
    )

    # The live votes of every item that stays or was made.
    items = {
        (i.reference_id, i.stage): i for i in [*to_create, *existing.values()] if i not in gone
    }
    vote_create, vote_update, vote_delete = [], [], []
    for key, outcome in wanted.items():
        item = items[key]
        have = votes.get(item.pk, {})
        for reviewer_id, decision in outcome.votes.items():
            vote = have.get(reviewer_id)
            if vote is None:
                vote_create.append(
                    Vote(
                        item=item,
                        review=review,
                        stage=item.stage,
                        reviewer_id=reviewer_id,
                        decision_id=decision.id,
                        verdict=decision.verdict,
                    )
                )
                reviewer_delta[(item.stage, reviewer_id)] += 1
            elif vote.decision_id != decision.id:
                vote.decision_id, vote.verdict = decision.id, decision.verdict
                vote_update.append(vote)
        for reviewer_id, vote in have.items():
            if reviewer_id not in outcome.votes:
                vote_delete.append(vote.pk)
                reviewer_delta[(item.stage, reviewer_id)] -= 1
    Vote.objects.filter(pk__in=vote_delete).delete()
    Vote.objects.bulk_create(vote_create, batch_size=1000)
    _update(Vote, vote_update, ["decision_id", "verdict"])


def _update(model, objects: list, fields: list[str]) -> None:
    """Save these fields of these rows. A decision changes one or two: an UPDATE each is far
    cheaper to build than bulk_update's CASE per field, which pays off for many rows only."""
    if len(objects) > 5:
        model.objects.bulk_update(objects, fields, batch_size=1000)
        return
    for obj in objects:
        model.objects.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in fields})


def _bump(model, review: Review, delta: Counter, *, key_fields: tuple[str, str]) -> None:
    """Add the deltas to the counter rows in one UPDATE (it locks the rows in index order, the
    same in every transaction, so two cannot deadlock), then make the rows that were missing.
    Written out by hand: this runs with every decision, and building the same statement through
    the ORM's Case/When cost more than the rest of the decision's queries together."""
    changes = {key: n for key, n in delta.items() if n}
    if not changes:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in key_fields]
    match = " AND ".join(f"{c} = %s" for c in columns)
    cases, params_case, params_where = [], [], []
    for (a, b), n in changes.items():
        cases.append(f"WHEN {match} THEN %s")
        params_case += [a, b, n]
        params_where += [a, b]
    where = " OR ".join(f"({match})" for _ in changes)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote('n')} = {quote('n')} + CASE {' '.join(cases)} "
        f"ELSE 0 END WHERE {quote('review_id')} = %s AND ({where}) "
        f"RETURNING {columns[0]}, {columns[1]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params_case, review.pk, *params_where])
        found = {tuple(row) for row in cursor.fetchall()}
    first, second = key_fields
    for a, b in sorted(set(changes) - found):
        lookup = {"review": review, first: a, second: b}
        try:
            with transaction.atomic():
                model.objects.create(**lookup, n=changes[(a, b)])
        except IntegrityError:  # another transaction made the row first
            model.objects.filter(**lookup).update(n=F("n") + changes[(a, b)])


# --- Decisions --------------------------------------------------------------------------------


def _membership(
    review: Review, user: AbstractBaseUser, membership: Membership | None = None
) -> Membership:
    if membership is None or membership.review_id != review.pk or membership.user_id != user.pk:
        membership = Membership.objects.filter(review=review, user=user).first()
    if membership is None or membership.role not in SCREENERS:
        raise ScreeningRefused("Only the review's owners and reviewers screen its references.")
    return membership


def _locked_item(review: Review, reference: Reference, stage: str) -> ScreeningItem:
    try:
        return ScreeningItem.objects.select_for_update(of=("self",)).get(
            review=review, reference=reference, stage=stage
        )
    except ScreeningItem.DoesNotExist:
        raise ScreeningRefused(
            f"This reference is not at the {Stage(stage).label.lower()} stage of the review."
        ) from None


def _check_reason(review: Review, stage: str, verdict: str, reason: ExclusionReason | None):
    if verdict != Verdict.EXCLUDE:
        if reason is not None:
            raise ScreeningRefused("A reason goes with an exclusion only.")
        return
    required = stage == Stage.FULL_TEXT or review.reason_required_title_abstract
    if reason is None:
        if required:
            raise ScreeningRefused("Choose the reason for excluding it.")
        return
    if reason.review_id != review.pk or not reason.usable_at(stage):
        raise ScreeningRefused(f"The reason '{reason.label}' is not one of this stage's reasons.")


def _existing_submission(reviewer, token: str | None) -> Decision | None:
    if not token:
        return None
    return Decision.objects.filter(reviewer=reviewer, token=token).first()


def _log(
    *, review: Review, reference: Reference, stage: str, kind: str, reviewer, **fields
) -> Decision:
    """Add a decision to the log with the rules it is made under (the review's settings now)."""
    return Decision.objects.create(
        review=review,
        reference=reference,
        stage=stage,
        kind=kind,
        reviewer=reviewer,
        reviewers_required=review.reviewers_required(stage),
        reasons_conflict=review.full_text_reasons_conflict,
        **fields,
    )


@transaction.atomic
def decision_record(
    *,
    review: Review,
    reference: Reference,
    stage: str,
    reviewer: AbstractBaseUser,
    verdict: str,
    reason: ExclusionReason | None = None,
    note: str = "",
    token: str | None = None,
    membership: Membership | None = None,
) -> Decision:
    """A reviewer's vote on a reference at a stage (include, exclude with its reason, maybe).
    Voting again while the reference waits or is in conflict is a change of mind: the new vote
    supersedes the old. The same token twice records one decision. `membership`: the
    reviewer's, if the caller has it already."""
    if stage not in Stage.screened():
        raise ScreeningRefused("Reviewers vote at the title and abstract and full-text stages.")
    if verdict not in Verdict.values:
        raise ScreeningRefused(f"'{verdict}' is not a decision: include, exclude or maybe.")
    _membership(review, reviewer, membership)
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = _locked_item(review, reference, stage)
    earlier = _existing_submission(reviewer, token)
    if earlier is not None:
        return earlier
    mine = Vote.objects.filter(item=item, reviewer=reviewer).select_related("decision").first()
    if mine is None and item.state not in ItemState.pending():
        raise ScreeningRefused(_why_closed(item))
    if mine is not None and item.state not in ItemState.open():
        raise ScreeningRefused(
            "This reference has moved on since your decision; only the review's owner can "
            "reopen it."
        )
    _check_reason(review, stage, verdict, reason)
    ranking = ranking_for_decision(review, stage)
    ranking_version, ranking_position = ranking_place(ranking, reference.pk)
    decision = _log(
        review=review,
        reference=reference,
        stage=stage,
        kind=DecisionKind.VOTE,
        verdict=verdict,
        reason=reason,
        reason_label=reason.label if reason else "",
        note=note.strip(),
        reviewer=reviewer,
        supersedes=mine.decision if mine else None,
        token=token or None,
        ranking_version=ranking_version,
        ranking_position=ranking_position,
    )
    items_refresh(review=review, reference_ids=[reference.pk])
    ranking_count_decision(review, stage, ranking)
    audit_record(
        review=review,
        actor=reviewer,
        action=AuditAction.DECISION,
        obj=decision,
        before={"verdict": mine.decision.verdict, "reason": mine.decision.reason_label}
        if mine
        else None,
        after=_decision_dict(decision),
    )
    return decision


def _why_closed(item: ScreeningItem) -> str:
    if item.state == ItemState.CONFLICT:
        return "The reviewers disagree on this reference: it waits for a resolver."
    if item.state == ItemState.REMOVED:
        return "This reference was removed before screening."
    return "This reference has had the decisions it needs; only the review's owner can reopen it."


def _decision_dict(decision: Decision) -> dict:
    """What a decision's audit event records of it: its hash then covers the decision, and
    `audit_verify` compares the two (services/audit_verify.py, COVERED)."""
    return {
        "reference": decision.reference_id,
        "stage": decision.stage,
        "kind": decision.kind,
        "verdict": decision.verdict,
        "reason": decision.reason_label,
        "note": decision.note,
        "at": decision.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }


@transaction.atomic
def decision_retract(
    *, review: Review, reference: Reference, stage: str, reviewer: AbstractBaseUser
) -> Decision:
    """Withdraw the reviewer's vote (undo): it no longer counts, and the reference waits for
    them again. Only while the reference has not moved on."""
    _membership(review, reviewer)
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = _locked_item(review, reference, stage)
    mine = Vote.objects.filter(item=item, reviewer=reviewer).select_related("decision").first()
    if mine is None:
        raise ScreeningRefused("You have no decision on this reference to undo.")
    if item.state not in ItemState.open():
        raise ScreeningRefused(
            "This reference has moved on since your decision; only the review's owner can "
            "reopen it."
        )
    decision = _log(
        review=review,
        reference=reference,
        stage=stage,
        kind=DecisionKind.RETRACT,
        reviewer=reviewer,
        supersedes=mine.decision,
    )
    items_refresh(review=review, reference_ids=[reference.pk])
    audit_record(
        review=review,
        actor=reviewer,
        action=AuditAction.DECISION_RETRACT,
        obj=decision,
        before=_decision_dict(mine.decision),
        after={**_decision_dict(decision), "supersedes": mine.decision_id},
    )
    return decision


def decision_undo_last(*, review: Review, stage: str, reviewer: AbstractBaseUser) -> Reference:
    """Withdraw the reviewer's most recent vote at the stage; return its reference, to show it
    again."""
    last = (
        Vote.objects.filter(review=review, stage=stage, reviewer=reviewer)
        .order_by("-decision_id")
        .select_related("item__reference")
        .first()
    )
    if last is None:
        raise ScreeningRefused("You have no decision at this stage to undo.")
    reference = last.item.reference
    decision_retract(review=review, reference=reference, stage=stage, reviewer=reviewer)
    return reference


@transaction.atomic
def conflict_resolve(
    *,
    review: Review,
    reference: Reference,
    stage: str,
    resolver: AbstractBaseUser,
    verdict: str,
    reason: ExclusionReason | None = None,
    note: str = "",
) -> Decision:
    """Settle a conflict: the resolver's verdict and reason count; the votes are kept."""
    membership = _membership(review, resolver)
    if not membership.resolves:
        raise ScreeningRefused(
            "Only the review's owners and designated resolvers settle conflicts."
        )
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = _locked_item(review, reference, stage)
    if item.state != ItemState.CONFLICT:
        raise ScreeningRefused("This reference is not in conflict.")
    if verdict not in Verdict.values:
        raise ScreeningRefused(f"'{verdict}' is not a decision: include, exclude or maybe.")
    _check_reason(review, stage, verdict, reason)
    decision = _log(
        review=review,
        reference=reference,
        stage=stage,
        kind=DecisionKind.RESOLUTION,
        verdict=verdict,
        reason=reason,
        reason_label=reason.label if reason else "",
        note=note.strip(),
        reviewer=resolver,
    )
    items_refresh(review=review, reference_ids=[reference.pk])
    audit_record(
        review=review,
        actor=resolver,
        action=AuditAction.RESOLVE,
        obj=decision,
        after=_decision_dict(decision),
    )
    return decision


@transaction.atomic
def stage_reopen(
    *, review: Review, reference: Reference, stage: str, owner: AbstractBaseUser, note: str = ""
) -> Decision:
    """Send a settled reference back to be screened again at a stage (owners only). Earlier
    decisions stay in the history; from now on they no longer count."""
    membership = _membership(review, owner)
    if membership.role != Role.OWNER:
        raise ScreeningRefused("Only the review's owners reopen a settled reference.")
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = _locked_item(review, reference, stage)
    if item.state not in (ItemState.INCLUDED, ItemState.EXCLUDED):
        raise ScreeningRefused("Only a settled reference (included or excluded) can be reopened.")
    decision = _log(
        review=review,
        reference=reference,
        stage=stage,
        kind=DecisionKind.REOPEN,
        note=note.strip(),
        reviewer=owner,
    )
    items_refresh(review=review, reference_ids=[reference.pk])
    audit_record(
        review=review,
        actor=owner,
        action=AuditAction.REOPEN,
        obj=decision,
        before={"state": item.state, "verdict": item.verdict},
        after=_decision_dict(decision),
    )
    return decision


# --- Before screening: removals -------------------------------------------------------------------


@transaction.atomic
def references_remove(
    *,
    review: Review,
    reference_ids: list[int],
    reason: str,
    detail: str = "",
    user: AbstractBaseUser,
) -> int:
    """Remove references before screening (outside the date range, language, retracted...).
    Only references no one has voted on yet; returns how many were removed."""
    _membership(review, user)
    if reason not in dict(RemovalReason.by_hand()):
        raise ScreeningRefused("Choose why the references are removed.")
    if reason == RemovalReason.OTHER and not detail.strip():
        raise ScreeningRefused("Say why, for a removal for another reason.")
    review_lock(review)
    waiting = list(
        ScreeningItem.objects.select_for_update(of=("self",))
        .filter(
            review=review,
            reference_id__in=reference_ids,
            stage=Stage.TITLE_ABSTRACT,  # PRISMA removes records before screening only
            state=ItemState.AWAITING,
            votes=0,
        )
        .values_list("reference_id", flat=True)
    )
    Removal.objects.bulk_create(
        [
            Removal(
                review=review,
                reference_id=ref_id,
                removed=True,
                reason=reason,
                detail=detail.strip(),
                created_by=user,
            )
            for ref_id in waiting
        ]
    )
    items_refresh(review=review, reference_ids=waiting)
    if waiting:
        audit_record(
            review=review,
            actor=user,
            action=AuditAction.REMOVE,
            obj=review,
            after={"references": waiting, "reason": reason, "detail": detail.strip()},
        )
    return len(waiting)


@transaction.atomic
def references_restore(*, review: Review, reference_ids: list[int], user: AbstractBaseUser) -> int:
    """Put removed references back into screening; returns how many."""
    _membership(review, user)
    review_lock(review)
    removed = list(
        ScreeningItem.objects.filter(
            review=review, reference_id__in=reference_ids, state=ItemState.REMOVED
        ).values_list("reference_id", flat=True)
    )
    Removal.objects.bulk_create(
        [
            Removal(review=review, reference_id=ref_id, removed=False, created_by=user)
            for ref_id in removed
        ]
    )
    items_refresh(review=review, reference_ids=removed)
    if removed:
        audit_record(
            review=review,
            actor=user,
            action=AuditAction.RESTORE,
            obj=review,
            after={"references": removed},
        )
    return len(removed)


# --- Retrieval ----------------------------------------------------------------------------------

PDF_MAGIC = b"%PDF-"


@transaction.atomic
def full_text_record(
    *,
    review: Review,
    reference: Reference,
    user: AbstractBaseUser,
    status: str,
    upload=None,
    url: str = "",
    reason: str = "",
    max_bytes: int,
) -> FullText:
    """Record a reference's retrieval: a PDF, a link, retrieved without a file, or not
    retrieved with a reason. The latest record holds."""
    _membership(review, user)
    review_lock(review)
    _locked_item(review, reference, Stage.RETRIEVAL)
    if status not in FullTextStatus.values:
        raise ScreeningRefused("Say whether the full text was retrieved.")
    if status == FullTextStatus.NOT_RETRIEVED and not reason.strip():
        raise ScreeningRefused("Say why the full text could not be retrieved.")
    full_text = FullText(
        review=review,
        reference=reference,
        status=status,
        url=url.strip(),
        reason=reason.strip() if status == FullTextStatus.NOT_RETRIEVED else "",
        created_by=user,
    )
    if upload is not None:
        if status != FullTextStatus.RETRIEVED:
            raise ScreeningRefused("A file goes with a retrieved full text.")
        _check_pdf(upload, max_bytes)
        full_text.file_name = upload.name[:255]
        full_text.file.save(upload.name, upload, save=False)
    try:
        full_text.save()
        items_refresh(review=review, reference_ids=[reference.pk])
        audit_record(
            review=review,
            actor=user,
            action=AuditAction.FULL_TEXT,
            obj=full_text,
            after={
                "reference": reference.pk,
                "status": status,
                "file": full_text.file_name,
                "url": full_text.url,
                "reason": full_text.reason,
            },
        )
    except BaseException:
        if full_text.file:
            full_text.file.delete(save=False)  # no row will point at it
        raise
    return full_text


def _check_pdf(upload, max_bytes: int) -> None:
    from django.template.defaultfilters import filesizeformat

    if upload.size > max_bytes:
        raise ScreeningRefused(
            f"The file is {filesizeformat(upload.size)}, over the limit of "
            f"{filesizeformat(max_bytes)} for a full text."
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if PDF_MAGIC not in head:
        raise ScreeningRefused("The file is not a PDF; upload the article as a PDF, or link to it.")


# --- Settings and reasons ------------------------------------------------------------------------

SETTING_FIELDS = (
    "reviewers_title_abstract",
    "reviewers_full_text",
    "blind",
    "prioritise",
    "reason_required_title_abstract",
    "full_text_reasons_conflict",
    "criteria",
    "highlight_include",
    "highlight_exclude",
    "previous_studies",
    "previous_reports",
)

DEFAULT_REASONS = (
    "Wrong study design",
    "Wrong patient population",
    "Wrong intervention",
    "Wrong comparator",
    "Wrong outcomes",
    "Not a primary report",
    "Duplicate report",
)


@transaction.atomic
def review_settings_update(*, review: Review, user: AbstractBaseUser, **values) -> Review:
    """Change the review's screening settings (owners). Decisions already made keep the rules
    they were made under."""
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"not screening settings: {sorted(unknown)}")
    before = {name: getattr(review, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    if not changed:
        return review
    for name, value in changed.items():
        setattr(review, name, value)
    review.full_clean(exclude=["slug"])
    review.save(update_fields=list(changed))
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.SETTINGS,
        obj=review,
        before={name: before[name] for name in changed},
        after=changed,
    )
    if changed.get("prioritise"):  # switched on: rank what is waiting now
        ranking_request(review)
    return review


def _check_hotkey(review: Review, hotkey: int | None, stages: str, exclude_pk=None) -> None:
    if hotkey is None:
        return
    if not 1 <= hotkey <= 9:
        raise ValidationError("A hotkey is a digit from 1 to 9.")
    taken = review.reasons.filter(hotkey=hotkey, retired=False).exclude(pk=exclude_pk)
    for other in taken:
        if "both" in (stages, other.stages) or stages == other.stages:
            raise ValidationError(f"The key {hotkey} is taken by '{other.label}'.")


@transaction.atomic
def reason_create(
    *,
    review: Review,
    user: AbstractBaseUser | None,
    label: str,
    stages: str = "both",
    hotkey: int | None = None,
) -> ExclusionReason:
    label = label.strip()
    if not label:
        raise ValidationError("A reason needs a label.")
    if review.reasons.filter(label__iexact=label, retired=False).exists():
        raise ValidationError(f"The review has the reason '{label}' already.")
    _check_hotkey(review, hotkey, stages)
    position = (review.reasons.order_by("-position").values_list("position", flat=True).first()
                or 0) + 1  # fmt: skip
    reason = ExclusionReason.objects.create(
        review=review, label=label, stages=stages, hotkey=hotkey, position=position
    )
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.REASON_CREATE,
        obj=reason,
        after={"label": label, "stages": stages, "hotkey": hotkey},
    )
    return reason


@transaction.atomic
def reason_update(*, reason: ExclusionReason, user: AbstractBaseUser, **values) -> ExclusionReason:
    """Edit a reason's label, stages, hotkey, place or retirement. Past decisions keep the label
    they were made with."""
    allowed = {"label", "stages", "hotkey", "position", "retired"}
    if set(values) - allowed:
        raise ValueError(f"not reason fields: {sorted(set(values) - allowed)}")
    if "label" in values:
        values["label"] = values["label"].strip()
        if not values["label"]:
            raise ValidationError("A reason needs a label.")
    merged = {name: values.get(name, getattr(reason, name)) for name in allowed}
    if not merged["retired"]:
        _check_hotkey(reason.review, merged["hotkey"], merged["stages"], exclude_pk=reason.pk)
    before = {name: getattr(reason, name) for name in values}
    for name, value in values.items():
        setattr(reason, name, value)
    reason.save(update_fields=list(values))
    audit_record(
        review=reason.review,
        actor=user,
        action=AuditAction.REASON_EDIT,
        obj=reason,
        before=before,
        after=values,
    )
    return reason


def reasons_create_defaults(*, review: Review, user: AbstractBaseUser | None) -> None:
    """A new review starts with the reasons most reviews use, hotkeys 1 to 7."""
    for number, label in enumerate(DEFAULT_REASONS, start=1):
        reason_create(review=review, user=user, label=label, hotkey=number)


# --- Checking the cache ------------------------------------------------------------------------


def cache_differences(review: Review) -> list[str]:
    """Recompute every reference's states from the log and compare them with the cache (items,
    live votes, counters). Returns one sentence per difference; none when all agree."""
    differences: list[str] = []
    reference_ids = sorted(
        set(Record.objects.filter(review=review).values_list("reference_id", flat=True))
        | set(ScreeningItem.objects.filter(review=review).values_list("reference_id", flat=True))
    )
    stage_counts: Counter = Counter()
    reviewer_counts: Counter = Counter()
    for chunk in _chunks(reference_ids):
        facts = reference_facts(review, chunk)
        cached = {
            (item.reference_id, item.stage): item
            for item in ScreeningItem.objects.filter(review=review, reference_id__in=chunk)
        }
        cached_votes: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
        for ref_id, stage, reviewer_id, decision_id in Vote.objects.filter(
            item__review=review, item__reference_id__in=chunk
        ).values_list("item__reference_id", "stage", "reviewer_id", "decision_id"):
            cached_votes[(ref_id, stage)][reviewer_id] = decision_id
        for ref_id in chunk:
            wanted = reference_outcomes(facts[ref_id])
            for stage, outcome in wanted.items():
                stage_counts[(stage, outcome.state)] += 1
                for reviewer_id in outcome.votes:
                    reviewer_counts[(stage, reviewer_id)] += 1
                item = cached.get((ref_id, stage))
                where = f"reference {ref_id} at {stage}"
                if item is None:
                    differences.append(f"{where}: no cached state; it should be {outcome.state}")
                    continue
                got = (item.state, item.verdict, item.reason_id, item.resolved, item.votes)
                if item.entry != (facts[ref_id].entry or ""):
                    differences.append(f"{where}: cached entry {item.entry!r}")
                if item.waiting != (item.state in ItemState.pending()):
                    differences.append(f"{where}: its waiting flag disagrees with its state")
                want = (
                    outcome.state,
                    outcome.verdict,
                    outcome.reason,
                    outcome.resolved,
                    outcome.vote_count,
                )
                if got != want:
                    differences.append(f"{where}: cached {_plain(got)}, computed {_plain(want)}")
                want_votes = {r: d.id for r, d in outcome.votes.items()}
                if cached_votes.get((ref_id, stage), {}) != want_votes:
                    differences.append(
                        f"{where}: cached votes {cached_votes.get((ref_id, stage), {})}, "
                        f"computed {want_votes}"
                    )
            for ref_stage in cached:
                if ref_stage[0] == ref_id and ref_stage[1] not in wanted:
                    differences.append(
                        f"reference {ref_id} at {ref_stage[1]}: cached, but it has not reached "
                        "that stage"
                    )
    counted = {(c.stage, c.state): c.n for c in StageCount.objects.filter(review=review) if c.n}
    if counted != {k: n for k, n in stage_counts.items() if n}:
        differences.append(f"state counts: cached {counted}, computed {dict(stage_counts)}")
    counted_reviewers = {
        (c.stage, c.reviewer_id): c.n for c in ReviewerCount.objects.filter(review=review) if c.n
    }
    if counted_reviewers != {k: n for k, n in reviewer_counts.items() if n}:
        differences.append(
            f"reviewer counts: cached {counted_reviewers}, computed {dict(reviewer_counts)}"
        )
    return differences


def _plain(values: tuple) -> tuple:
    """Choices as their plain values, for a message."""
    return tuple(str(v) if isinstance(v, str) else v for v in values)


@transaction.atomic
def cache_rebuild(review: Review) -> None:
    """Throw the cache away and compute it again from the log."""
    ScreeningItem.objects.filter(review=review).delete()
    StageCount.objects.filter(review=review).delete()
    ReviewerCount.objects.filter(review=review).delete()
    reference_ids = Record.objects.filter(review=review).values_list("reference_id", flat=True)
    items_refresh(review=review, reference_ids=reference_ids)
