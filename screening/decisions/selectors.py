"""Page-sized reads that join several models."""

from collections import Counter, defaultdict

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)

from references.models import Reference

from screening.blinding import VoteView
from screening.constants import CandidateStatus, ItemState, Stage
from screening.models import (
    Decision,
    DuplicateCandidate,
    ExclusionReason,
    FullText,
    Record,
    Review,
    ReviewerCount,
    ScreeningItem,
    Search,
    StageCount,
    Vote,
)


def references_in_review(review: Review) -> QuerySet[Reference]:
    """Every reference at least one record of the review points at, with its record count."""
    records = Record.objects.filter(review=review, reference=OuterRef("pk"))
    record_count = records.order_by().values("reference").annotate(n=Count("id")).values("n")[:1]
    return (
        Reference.objects.filter(Exists(records))
        .annotate(record_count=Subquery(record_count, output_field=IntegerField()))
        .defer("raw", "abstract_sections")
    )


def reference_visible_in_review(review: Review, reference_id: int) -> bool:
    """A reference belongs to a review if a record points at it, or it was merged away there."""
    if Record.objects.filter(review=review, reference_id=reference_id).exists():
        return True
    return DuplicateCandidate.objects.filter(
        Q(reference_a_id=reference_id) | Q(reference_b_id=reference_id), review=review
    ).exists()


def review_counts(review: Review) -> dict:
    """Identification figures for the review home page."""
    records = Record.objects.filter(review=review)
    totals = records.aggregate(
        records=Count("id"),
        duplicates=Count("id", filter=~Q(duplicate_rule="")),
        references=Count("reference", distinct=True),
    )
    totals["proposed_pairs"] = (
        live_candidates(review).filter(status=CandidateStatus.PROPOSED).count()
    )
    return totals


def searches_with_sources(review: Review) -> QuerySet[Search]:
    return review.searches.select_related("source", "run_by").order_by("source__name", "run_at")


def live_candidates(review: Review) -> QuerySet[DuplicateCandidate]:
    """Candidate pairs whose references are both still in the review (or that were merged)."""
    has_records_a = Record.objects.filter(review=review, reference=OuterRef("reference_a"))
    has_records_b = Record.objects.filter(review=review, reference=OuterRef("reference_b"))
    return DuplicateCandidate.objects.filter(review=review).filter(
        Q(status__in=[CandidateStatus.MERGED])
        | (Q(Exists(has_records_a)) & Q(Exists(has_records_b)))
    )


def records_of_reference(review: Review, reference: Reference) -> QuerySet[Record]:
    return (
        Record.objects.filter(review=review, reference=reference)
        .select_related("search__source", "search__run_by")
        .select_related("run", "dropped_in")
        .defer("run__pmids", "dropped_in__pmids")
        .order_by("created_at", "id")
    )


# --- Screening -----------------------------------------------------------------------------------


def stage_counts(review: Review) -> dict[str, dict[str, int]]:
    """{stage: {state: n}} from the cached counters (one small query, whatever the size)."""
    counts: dict[str, dict[str, int]] = {stage: {} for stage in Stage.values}
    for stage, state, n in StageCount.objects.filter(review=review, n__gt=0).values_list(
        "stage", "state", "n"
    ):
        counts[stage][state] = n
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
        ReviewerCount.objects.filter(review=review, stage=stage, reviewer=reviewer)
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


def latest_full_text(review: Review, reference_id: int) -> FullText | None:
    return FullText.objects.filter(review=review, reference_id=reference_id).order_by("-id").first()


def decision_history(review: Review, reference_id: int, view: VoteView) -> list[Decision]:
    """Every decision on a reference the member may see, oldest first, with what each one
    superseded."""
    return list(
        view.decisions(Decision.objects.filter(review=review, reference_id=reference_id))
        .select_related("reviewer", "supersedes")
        .order_by("id")
    )


def conflicts(review: Review, view: VoteView, stage: str | None = None):
    """References in conflict whose votes the member may see (under blind screening, a
    reviewer who has not voted on one does not see it here)."""
    items = ScreeningItem.objects.filter(review=review, state=ItemState.CONFLICT).exclude(
        pk__in=view.hidden_items().values("pk")
    )
    if stage:
        items = items.filter(stage=stage)
    return items.select_related("reference").prefetch_related(
        Prefetch(
            "live_votes",
            queryset=Vote.objects.select_related("reviewer", "decision").order_by("decision_id"),
        )
    )


def agreement_judgements(review: Review, stage: str, view: VoteView) -> list[tuple[int, str, str]]:
    """(reference, reviewer, verdict) of every reviewer's vote before any resolution: their
    latest vote since the latest reopening, withdrawn votes left out; only the votes the member
    may see."""
    from screening.states import DecisionFact, live_votes

    by_reference: dict[int, list[DecisionFact]] = {}
    names: dict[int, str] = {}
    rows = (
        view.decisions(Decision.objects.filter(review=review, stage=stage))
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


EXPORT_COLUMNS = ["title_abstract", "retrieval", "full_text", "decisions", "sources"]


def export_rows(review: Review, references: QuerySet, view: VoteView, chunk: int = 500):
    """ExportRows for a filtered list of references, with each one's screening: its state at
    every stage (and the reason that counts), the live votes the member may see, and the
    sources that found it. Read in chunks, so that a list of 100,000 streams in flat memory."""
    from references.export import ExportRow

    ids = list(references.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        states: dict[int, dict[str, str]] = {}
        for item in ScreeningItem.objects.filter(
            review=review, reference_id__in=part
        ).select_related("reason"):
            text = item.get_state_display()
            if item.reason:
                text += f": {item.reason.label}"
            if item.resolved:
                text += " (resolved)"
            states.setdefault(item.reference_id, {})[item.stage] = text
        votes: dict[int, list[str]] = {}
        for vote in (
            view.votes(Vote.objects.filter(item__review=review, item__reference_id__in=part))
            .select_related("reviewer", "decision", "item")
            .order_by("item__stage", "decision_id")
        ):
            reason = f" ({vote.decision.reason_label})" if vote.decision.reason_label else ""
            votes.setdefault(vote.item.reference_id, []).append(
                f"{Stage(vote.stage).label}: {vote.reviewer.get_username()} {vote.verdict}{reason}"
            )
        sources: dict[int, set[str]] = {}
        for ref_id, name in (
            Record.objects.filter(review=review, reference_id__in=part)
            .values_list("reference_id", "search__source__name")
            .distinct()
        ):
            sources.setdefault(ref_id, set()).add(name)
        for reference in Reference.objects.filter(pk__in=part).order_by("id"):
            screening = states.get(reference.pk, {})
            yield ExportRow.from_reference(
                reference,
                extra={
                    **{stage: screening.get(stage, "") for stage in Stage.values},
                    "decisions": "; ".join(votes.get(reference.pk, [])),
                    "sources": "; ".join(sorted(sources.get(reference.pk, set()))),
                },
            )


def exclusions(review: Review):
    """Every excluded reference, at either stage, with the votes that excluded it."""
    return (
        ScreeningItem.objects.filter(
            review=review, stage__in=Stage.screened(), state=ItemState.EXCLUDED
        )
        .select_related("reference", "reason")
        .prefetch_related(
            Prefetch(
                "live_votes",
                queryset=Vote.objects.select_related("reviewer", "decision").order_by(
                    "decision_id"
                ),
            )
        )
        .order_by("stage", "reference_id")
    )


DRIFT_POINTS = 20  # a reviewer's share of a reason this far from the others' stands out
DRIFT_MIN = 5  # ... once they have excluded at least this many


def reason_distribution(review: Review, stage: str, view: VoteView) -> dict:
    """How each reviewer's exclusions at a stage spread over the reasons, against everyone
    else's: {"reasons": [...], "rows": [{"reviewer", "total", "cells": [{n, share, others,
    drift}]}]}. A share DRIFT_POINTS or more from the others' stands out."""
    counts: dict[str, Counter] = defaultdict(Counter)
    votes = view.votes(Vote.objects.filter(review=review, stage=stage, verdict="exclude"))
    for username, label in votes.values_list("reviewer__username", "decision__reason_label"):
        counts[username][label or "No reason"] += 1
    reasons = sorted({label for per in counts.values() for label in per})
    rows = []
    for username in sorted(counts):
        mine = counts[username]
        total = sum(mine.values())
        others = Counter()
        for other, per in counts.items():
            if other != username:
                others.update(per)
        others_total = sum(others.values())
        cells = []
        for label in reasons:
            share = 100 * mine[label] / total if total else 0.0
            other_share = 100 * others[label] / others_total if others_total else None
            drift = (
                other_share is not None
                and total >= DRIFT_MIN
                and abs(share - other_share) >= DRIFT_POINTS
            )
            cells.append({"n": mine[label], "share": share, "others": other_share, "drift": drift})
        rows.append({"reviewer": username, "total": total, "cells": cells})
    return {"reasons": reasons, "rows": rows}
