"""Reads of screening: counts by stage and state, a reviewer's progress, the votes on an item,
whether a reviewer may still revise their vote, a reference's decision history and the
conflicts (both through the blinding rule), and the pairs of judgements agreement is computed
from."""

from django.conf import settings
from django.db.models import (
    OuterRef,
    Prefetch,
    Subquery,
)
from django.utils.module_loading import import_string

from screening.constants import DecisionKind, ItemState, Stage
from screening.decisions.states import DecisionFact, live_votes, revisable
from screening.models import (
    Decision,
    ExclusionReason,
    FullText,
    Review,
    ReviewerCount,
    ScreeningItem,
    StageCount,
    Vote,
)
from screening.permissions.blinding import VoteView

# --- Screening -----------------------------------------------------------------------------------


def stage_counts(review: Review) -> dict[str, dict[str, int]]:
    """{stage: {state: n}} from the cached counters (one small query, whatever the size),
    added up over PRISMA's columns and the reasons."""
    counts: dict[str, dict[str, int]] = {stage: {} for stage in Stage.values}
    for stage, state, n in (
        StageCount.objects.in_review(review).filter(n__gt=0).values_list("stage", "state", "n")
    ):
        counts[stage][state] = counts[stage].get(state, 0) + n
    return counts


def reasons_for(review: Review, stage: str) -> list[ExclusionReason]:
    return [r for r in review.reasons.filter(retired=False) if r.usable_at(stage)]


def screening_progress(review: Review, reviewer, stage: str) -> dict:
    counts = stage_counts(review)[stage]
    total = (
        sum(counts.values()) - counts.get(ItemState.REMOVED, 0) - counts.get(ItemState.AUTOMATED, 0)
    )
    waiting = counts.get(ItemState.AWAITING, 0) + counts.get(ItemState.AWAITING_SECOND, 0)
    conflicts = counts.get(ItemState.CONFLICT, 0)
    mine = (
        ReviewerCount.objects.in_review(review)
        .filter(stage=stage, reviewer=reviewer)
        .values_list("n", flat=True)
        .first()
        or 0
    )
    settled = total - waiting - conflicts
    return {
        "total": total,
        "mine": mine,
        "waiting": waiting,
        "conflicts": conflicts,
        "settled": settled,
        "moved_on": counts.get(ItemState.INCLUDED, 0),
        "percent": round(100 * settled / total) if total else 0,
    }


def item_for_screening(review: Review, stage: str, reference_id: int) -> ScreeningItem | None:
    try:
        return ScreeningItem.objects.select_related("reference", "reason").get(
            review=review, stage=stage, reference_id=reference_id
        )
    except ScreeningItem.DoesNotExist:
        return None


def votes_on(item: ScreeningItem) -> list[Vote]:
    return list(
        item.live_votes.select_related("reviewer", "decision__reason").order_by("decision_id")
    )


def revision_check(item: ScreeningItem, reviewer_id: int) -> tuple[bool, str]:
    """Whether the reviewer may revise (change or withdraw) their own vote on this item now,
    and if not why: the facts `states.revisable` decides on, read from the log."""
    decisions = [
        DecisionFact(*row)
        for row in Decision.objects.filter(
            review_id=item.review_id, reference_id=item.reference_id, stage=item.stage
        )
        .order_by("id")
        .values_list(
            "id", "kind", "reviewer_id", "verdict", "reason_id", "reviewers_required",
            "reasons_conflict",
        )
    ]  # fmt: skip
    return revisable(
        decisions,
        item.stage,
        item.state,
        reviewer_id,
        used_later=item.state not in ItemState.open() and _used_later(item),
    )


def _used_later(item: ScreeningItem) -> bool:
    """Whether the next step has used the reference: after title and abstract, a full text
    recorded at retrieval or any decision at full text; after full text, a study it is in (the
    extraction app, a layer above, links reports to studies: asked through the REPORT_IN_STUDY
    setting, never imported)."""
    ours = {"review_id": item.review_id, "reference_id": item.reference_id}
    if item.stage == Stage.TITLE_ABSTRACT:
        return (
            FullText.objects.filter(**ours).exists()
            or Decision.objects.filter(**ours, stage=Stage.FULL_TEXT).exists()
        )
    in_study = getattr(settings, "REPORT_IN_STUDY", "")
    if item.stage == Stage.FULL_TEXT and in_study:
        return import_string(in_study)(item.review_id, item.reference_id)
    return False


def decision_history(review: Review, reference_id: int, view: VoteView) -> list[Decision]:
    """Every decision on a reference the member may see, oldest first, with what each one
    superseded."""
    return list(
        view.decisions(Decision.objects.in_review(review).filter(reference_id=reference_id))
        .select_related("reviewer", "supersedes")
        .order_by("id")
    )


def conflicts(review: Review, view: VoteView, stage: str | None = None, *, resolved: bool = False):
    """References in conflict whose votes the member may see (under blind screening, a
    reviewer who has not voted on one does not see it here), in the queue's order.
    `resolved`: the conflicts a resolver settled instead, the latest first, each with
    `resolution_id` (see `with_resolutions`); settled, they hide no vote, but they go through
    the same rule."""
    items = ScreeningItem.objects.in_review(review).exclude(pk__in=view.hidden_items().values("pk"))
    if resolved:
        latest = Decision.objects.filter(
            review_id=OuterRef("review_id"),
            reference_id=OuterRef("reference_id"),
            stage=OuterRef("stage"),
            kind=DecisionKind.RESOLUTION,
        ).order_by("-id")
        items = (
            items.filter(stage__in=Stage.screened(), resolved=True)
            .annotate(resolution_id=Subquery(latest.values("id")[:1]))
            .order_by("-resolution_id", "pk")
        )
    else:
        items = items.filter(state=ItemState.CONFLICT).order_by("rank", "pk")
    if stage:
        items = items.filter(stage=stage)
    return items.select_related("reference").prefetch_related(
        Prefetch(
            "live_votes",
            queryset=Vote.objects.select_related("reviewer", "decision").order_by("decision_id"),
        )
    )


def with_resolutions(review: Review, view: VoteView, items: list[ScreeningItem]) -> None:
    """Give each resolved item of a page its `resolution` (the Decision that settled it: who,
    verdict, reason, note, when), in one query."""
    wanted = [item.resolution_id for item in items if getattr(item, "resolution_id", None)]
    found = {
        decision.pk: decision
        for decision in view.decisions(
            Decision.objects.in_review(review).filter(pk__in=wanted)
        ).select_related("reviewer")
    }
    for item in items:
        item.resolution = found.get(getattr(item, "resolution_id", None))


def latest_full_texts(review: Review, reference_ids: list[int]) -> dict[int, FullText]:
    """The latest retrieval record of each of these references (`latest_full_text` for a page of
    them), in one query."""
    latest: dict[int, FullText] = {}
    for full_text in (
        FullText.objects.in_review(review).filter(reference_id__in=reference_ids).order_by("id")
    ):
        latest[full_text.reference_id] = full_text
    return latest


def agreement_judgements(review: Review, stage: str, view: VoteView) -> list[tuple[int, str, str]]:
    """(reference, reviewer, verdict) of every reviewer's vote before any resolution: their
    latest vote since the latest reopening, withdrawn votes left out; only the votes the member
    may see."""
    by_reference: dict[int, list[DecisionFact]] = {}
    names: dict[int, str] = {}
    rows = (
        view.decisions(Decision.objects.in_review(review).filter(stage=stage))
        .order_by("id")
        .values_list("id", "reference_id", "kind", "reviewer_id", "verdict", "reviewer__username")
    )
    for decision_id, ref_id, kind, reviewer_id, verdict, username in rows:
        names[reviewer_id] = username
        by_reference.setdefault(ref_id, []).append(
            DecisionFact(decision_id, kind, reviewer_id, verdict)
        )
    judgements = []
    for ref_id, decisions in by_reference.items():
        for reviewer_id, vote in live_votes(decisions).items():
            judgements.append((ref_id, names[reviewer_id], vote.verdict))
    return judgements


def stage_summary(review: Review) -> dict[str, dict[str, int]]:
    """Per stage: waiting, conflict, forward (included or retrieved), out (excluded or not
    retrieved) and removed, for the review's home page."""
    summary = {}
    for stage, counts in stage_counts(review).items():
        summary[stage] = {
            "waiting": counts.get(ItemState.AWAITING, 0)
            + counts.get(ItemState.AWAITING_SECOND, 0)
            + counts.get(ItemState.AWAITING_RETRIEVAL, 0),
            "conflict": counts.get(ItemState.CONFLICT, 0),
            "forward": counts.get(ItemState.INCLUDED, 0) + counts.get(ItemState.RETRIEVED, 0),
            "out": counts.get(ItemState.EXCLUDED, 0) + counts.get(ItemState.NOT_RETRIEVED, 0),
            "removed": counts.get(ItemState.REMOVED, 0),
            "automated": counts.get(ItemState.AUTOMATED, 0),
        }
    return summary


def latest_full_text(review: Review, reference_id: int) -> FullText | None:
    """The report a full-text reviewer reads beside the form: the latest retrieval record."""
    return (
        FullText.objects.in_review(review).filter(reference_id=reference_id).order_by("-id").first()
    )
