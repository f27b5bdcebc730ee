"""The reference list's export rows: each reference with its state at each stage, the
decisions a member may see (through the blinding rule) and its sources."""

from django.db.models import (
    QuerySet,
)

from references.export import ExportRow
from references.models import Reference
from screening.constants import Stage
from screening.models import (
    Record,
    Review,
    ScreeningItem,
    Vote,
)
from screening.permissions.blinding import VoteView
from screening.permissions.labels import labels_on

EXPORT_COLUMNS = ["title_abstract", "retrieval", "full_text", "decisions", "sources", "labels"]


def export_rows(review: Review, references: QuerySet, view: VoteView, chunk: int = 500):
    """ExportRows for a filtered list of references, with each one's screening: its state at
    every stage (and the reason that counts), the live votes the member may see, the sources
    that found it, and the labels the member sees on it (in RIS, all of these go in the N1
    note). Read in chunks, so that a list of 100,000 streams in flat memory."""
    ids = list(references.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        states: dict[int, dict[str, str]] = {}
        for item in (
            ScreeningItem.objects.in_review(review)
            .filter(reference_id__in=part)
            .select_related("reason")
        ):
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
            Record.objects.in_review(review)
            .filter(reference_id__in=part)
            .values_list("reference_id", "search__source__name")
            .distinct()
        ):
            sources.setdefault(ref_id, set()).add(name)
        labels = labels_on(review, view, part)
        for reference in Reference.objects.filter(pk__in=part).order_by("id"):
            screening = states.get(reference.pk, {})
            yield ExportRow.from_reference(
                reference,
                extra={
                    **{stage: screening.get(stage, "") for stage in Stage.values},
                    "decisions": "; ".join(votes.get(reference.pk, [])),
                    "sources": "; ".join(sorted(sources.get(reference.pk, set()))),
                    "labels": "; ".join(label.name for label in labels.get(reference.pk, [])),
                },
            )
