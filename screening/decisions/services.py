"""Decisions: a reviewer's vote, its withdrawal, a resolver's settlement of a conflict, and an
owner's reopening. Each locks the review, then the reference's row at the stage, writes the
log, refreshes the cache (items.py) and appends its audit event, in one transaction; two
reviewers deciding at once both land, one after the other, and a decision sent twice (the
same form token) is recorded once."""

from __future__ import annotations

from datetime import UTC

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Subquery

from references.models import Reference
from screening.audit.chain import audit_record, review_lock
from screening.constants import (
    EDITOR_ROLES,
    OWNER_ROLES,
    AuditAction,
    DecisionKind,
    FullTextStatus,
    ItemState,
    Stage,
    Verdict,
)
from screening.decisions.items import items_refresh
from screening.decisions.selectors import revision_check
from screening.models import (
    Decision,
    ExclusionReason,
    FullText,
    Membership,
    Review,
    ScreeningItem,
    Search,
    Vote,
)
from screening.permissions.refusals import Refused
from screening.prioritisation.bookkeeping import (
    ranking_count_decision,
    ranking_for_decision,
    ranking_place,
)


class ScreeningRefused(Refused):
    """A screening action is not allowed now; `str(error)` is the sentence for the reviewer."""


# --- Decisions --------------------------------------------------------------------------------


def screener_membership(
    review: Review, user: AbstractBaseUser, membership: Membership | None = None
) -> Membership:
    if membership is None or membership.review_id != review.pk or membership.user_id != user.pk:
        membership = Membership.objects.in_review(review).filter(user=user).first()
    if membership is None or membership.role not in EDITOR_ROLES:
        raise ScreeningRefused("Only the review's owners and reviewers screen its references.")
    return membership


def locked_item(
    review: Review,
    reference: Reference,
    stage: str,
    *,
    submitted_by: AbstractBaseUser | None = None,
    token: str | None = None,
) -> ScreeningItem:
    """The reference's item at the stage, locked until the transaction ends. With a form's
    `token`, the item carries `earlier_id`: the decision `submitted_by` already recorded with
    that token (the form sent twice), or None, read in the same statement."""
    items = ScreeningItem.objects.select_for_update(of=("self",))
    if token:
        earlier = Decision.objects.filter(reviewer=submitted_by, token=token).values("pk")[:1]
        items = items.annotate(earlier_id=Subquery(earlier))
    try:
        return items.get(review=review, reference=reference, stage=stage)
    except ScreeningItem.DoesNotExist:
        raise ScreeningRefused(
            f"This reference is not at the {Stage(stage).label.lower()} stage of the review."
        ) from None


def _check_reason(review: Review, stage: str, verdict: str, reason: ExclusionReason | None):
    if verdict != Verdict.EXCLUDE:
        if reason is not None:
            raise ScreeningRefused("A reason goes with an exclusion only.")
        return
    if reason is None:
        if review.reason_required(stage):
            raise ScreeningRefused("Choose the reason for excluding it.")
        return
    if reason.review_id != review.pk or not reason.usable_at(stage):
        raise ScreeningRefused(f"The reason '{reason.label}' is not one of this stage's reasons.")


def _log(
    *,
    review: Review,
    reference: Reference,
    stage: str,
    kind: str,
    reviewer,
    reviewers_required: int | None = None,
    **fields,
) -> Decision:
    """Add a decision to the log with the rules it is made under (the review's settings now,
    or an imported decision's own)."""
    return Decision.objects.create(
        review=review,
        reference=reference,
        stage=stage,
        kind=kind,
        reviewer=reviewer,
        reviewers_required=reviewers_required or review.reviewers_required(stage),
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
    imported_from: Search | None = None,
    reviewers_required: int | None = None,
) -> Decision:
    """A reviewer's vote on a reference at a stage (include, exclude with its reason, maybe).
    Voting again is a change of mind, while the reviewer may revise their vote
    (selectors.revision_check: while it waits or is in conflict; with one reviewer, until the
    stage has moved it on): the new vote supersedes the old. The same token twice records one
    decision. `membership`: the reviewer's, if the caller has it already.

    `imported_from`: the file import whose other tool's export this decision was made in
    (identification/transfer_land.py). It records what happened there, so it lands whatever
    the reference's state here, a full-text one recording the full text as retrieved first;
    `reviewers_required`: the rules it was made under there (1: it settled the reference)."""
    if stage not in Stage.screened():
        raise ScreeningRefused("Reviewers vote at the title and abstract and full-text stages.")
    if verdict not in Verdict.values:
        raise ScreeningRefused(f"'{verdict}' is not a decision: include, exclude or maybe.")
    screener_membership(review, reviewer, membership)
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    if imported_from is not None and stage == Stage.FULL_TEXT:
        _imported_full_text(review, reference, reviewer, imported_from)
    item = locked_item(review, reference, stage, submitted_by=reviewer, token=token)
    if getattr(item, "earlier_id", None):
        return Decision.objects.get(pk=item.earlier_id)
    mine = _own_vote(item, reviewer)
    if imported_from is None:
        _check_open(item, mine)
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
        imported_from=imported_from,
        reviewers_required=reviewers_required if imported_from is not None else None,
    )
    items_refresh(review=review, reference_ids=[reference.pk])
    ranking_count_decision(review, stage, ranking)
    after = _decision_dict(decision)
    if imported_from is not None:
        after["imported_from"] = imported_from.file_name
    audit_record(
        review=review,
        review_locked=True,
        actor=reviewer,
        action=AuditAction.DECISION,
        obj=decision,
        before={"verdict": mine.decision.verdict, "reason": mine.decision.reason_label}
        if mine
        else None,
        after=after,
    )
    return decision


def _own_vote(item: ScreeningItem, reviewer: AbstractBaseUser) -> Vote | None:
    """The reviewer's live vote on the locked item, if any. Not looked for when the item's
    cache (kept in step in every decision's transaction, under the same lock) counts no live
    vote: a reference's first vote, half of all votes at dual screening."""
    if not item.votes:
        return None
    return Vote.objects.filter(item=item, reviewer=reviewer).select_related("decision").first()


def _check_open(item: ScreeningItem, mine: Vote | None) -> None:
    """A first vote needs a reference that waits for one; a new vote over one's own is a
    revision (selectors.revision_check: the one rule, also the page's)."""
    if mine is None:
        if item.state not in ItemState.pending():
            raise ScreeningRefused(_why_closed(item))
        return
    _check_revisable(item, mine)


def _check_revisable(item: ScreeningItem, mine: Vote) -> None:
    allowed, why = revision_check(item, mine.reviewer_id)
    if not allowed:
        raise ScreeningRefused(why)


def _imported_full_text(
    review: Review, reference: Reference, reviewer: AbstractBaseUser, imported_from: Search
) -> None:
    """A full-text decision made in another tool says its full text was read there: record it
    as retrieved, if the reference awaits retrieval here (or was not retrieved)."""
    at = set(
        ScreeningItem.objects.in_review(review)
        .filter(reference=reference)
        .values_list("stage", flat=True)
    )
    if Stage.FULL_TEXT in at or Stage.RETRIEVAL not in at:
        return  # at full text already, or not there yet (locked_item says so)
    full_text = FullText.objects.create(
        review=review, reference=reference, status=FullTextStatus.RETRIEVED, created_by=reviewer
    )
    full_text_logged(full_text, actor=reviewer, imported_from=imported_from.file_name)


def _why_closed(item: ScreeningItem) -> str:
    if item.state == ItemState.CONFLICT:
        return "The reviewers disagree on this reference: it waits for a resolver."
    if item.state == ItemState.REMOVED:
        return "This reference was removed before screening."
    return "This reference has had the decisions it needs; only the review's owner can reopen it."


def _decision_dict(decision: Decision) -> dict:
    """What a decision's audit event records of it: its hash then covers the decision, and
    `audit_verify` compares the two (screening/audit/verify.py, COVERED)."""
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
    them again. Only while they may revise it (selectors.revision_check)."""
    screener_membership(review, reviewer)
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = locked_item(review, reference, stage)
    mine = Vote.objects.filter(item=item, reviewer=reviewer).select_related("decision").first()
    if mine is None:
        raise ScreeningRefused("You have no decision on this reference to undo.")
    _check_revisable(item, mine)
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
        review_locked=True,
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
        Vote.objects.in_review(review)
        .filter(stage=stage, reviewer=reviewer)
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
    membership = screener_membership(review, resolver)
    if not membership.resolves:
        raise ScreeningRefused(
            "Only the review's owners and designated resolvers settle conflicts."
        )
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = locked_item(review, reference, stage)
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
        review_locked=True,
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
    membership = screener_membership(review, owner)
    if membership.role not in OWNER_ROLES:
        raise ScreeningRefused("Only the review's owners reopen a settled reference.")
    review_lock(review)  # the review first, then its rows: one lock order everywhere
    item = locked_item(review, reference, stage)
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
        review_locked=True,
        actor=owner,
        action=AuditAction.REOPEN,
        obj=decision,
        before={"state": item.state, "verdict": item.verdict},
        after=_decision_dict(decision),
    )
    return decision


def full_text_logged(full_text: FullText, *, actor: AbstractBaseUser, **more) -> None:
    """After a full text's retrieval record is saved: the reference's states follow, and its
    audit event says what was recorded (`more`: what the caller adds, e.g. the file it was
    imported from). The review's row is locked already."""
    items_refresh(review=full_text.review, reference_ids=[full_text.reference_id])
    audit_record(
        review=full_text.review,
        review_locked=True,
        actor=actor,
        action=AuditAction.FULL_TEXT,
        obj=full_text,
        after={
            "reference": full_text.reference_id,
            "status": full_text.status,
            "file": full_text.file_name,
            "url": full_text.url,
            "reason": full_text.reason,
            # The file's checksum: the log pins which PDF was attached, byte for byte.
            **({"sha256": full_text.sha256} if full_text.sha256 else {}),
            **more,
        },
    )
