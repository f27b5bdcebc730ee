"""Reads of the reference list: each listed reference's screening (its state at each stage, the
reason that counts, who decided, as far as the member may see), and the PRISMA box a list was
opened from."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from screening.constants import DecisionKind, Stage
from screening.models import Decision, ExclusionReason, Review, ScreeningItem, Vote
from screening.permissions.blinding import VoteView
from screening.prisma.counts import BOXES, box_references

# PRISMA's two columns, for the boxes whose names are the same in both.
COLUMNS = {
    Stage.TITLE_ABSTRACT: "databases and registers",
    Stage.RETRIEVAL: "other methods",
}


@dataclass
class StageRow:
    """A reference at one stage: its cached state, and the votes the member may see."""

    item: ScreeningItem
    votes: list[Vote] = field(default_factory=list)
    resolver: str = ""


def screening_rows(
    review: Review, reference_ids: list[int], view: VoteView
) -> dict[int, dict[str, StageRow]]:
    """reference id -> stage -> StageRow, for one page of the list, in three queries whatever
    its length. The votes go through the member's VoteView: under blind screening, a reviewer
    sees who voted what on a reference only once they have voted on it too, or it is settled."""
    rows: dict[int, dict[str, StageRow]] = {}
    items = (
        ScreeningItem.objects.in_review(review)
        .filter(reference_id__in=reference_ids)
        .select_related("reason")
    )
    by_item = {}
    for item in items:
        by_item[item.pk] = rows.setdefault(item.reference_id, {})[item.stage] = StageRow(item)
    votes = (
        view.votes(Vote.objects.in_review(review).filter(item_id__in=list(by_item)))
        .select_related("reviewer")
        .order_by("decision_id")
    )
    for vote in votes:
        by_item[vote.item_id].votes.append(vote)
    resolved = [pk for pk, row in by_item.items() if row.item.resolved]
    if resolved:
        # A resolved item's resolver: its latest resolution (a reopening clears `resolved`).
        resolutions = (
            view.decisions(Decision.objects.in_review(review))
            .filter(kind=DecisionKind.RESOLUTION, reference_id__in=reference_ids)
            .select_related("reviewer")
            .order_by("id")
        )
        for decision in resolutions:
            row = rows.get(decision.reference_id, {}).get(decision.stage)
            if row is not None and row.item.resolved:
                row.resolver = decision.reviewer.get_username()
    return rows


@dataclass(frozen=True)
class BoxHeading:
    """The PRISMA box a list was opened from: its name and definition (screening/prisma's)."""

    name: str
    label: str
    definition: str
    reason_id: int | None = None  # a box of reports excluded, one of its reasons


def box_heading(review: Review, value: str) -> BoxHeading | None:
    """The heading for `?box=records_excluded` or `?box=dbr_excluded:12` (one reason)."""
    name, _, reason = value.partition(":")
    box = BOXES.get(name)
    if box is None:
        return None
    label = box.label
    shared = sum(other.label == label for other in BOXES.values()) > 1
    if shared and box.entry in COLUMNS:
        label = f"{label} ({COLUMNS[box.entry]})"
    reason_id = int(reason) if reason.isdigit() else None
    if reason_id is not None:
        found = ExclusionReason.objects.in_review(review).filter(pk=reason_id).first()
        label = f"{label}: {found.label if found else 'a reason this review does not have'}"
    return BoxHeading(name=name, label=label, definition=box.definition, reason_id=reason_id)


def box_total(review: Review, references: QuerySet, heading: BoxHeading) -> int:
    """How many references the box counts, whatever other filters narrow the list: the same
    definition as the box's number on the diagram (screening/prisma/counts.py)."""
    return references.filter(box_references(review, heading.name, heading.reason_id)).count()
