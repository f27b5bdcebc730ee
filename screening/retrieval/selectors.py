"""Reads of retrieval: the references waiting for their full text, and a reference's PDF."""

from __future__ import annotations

from references.models import Reference
from screening.constants import ItemState, Stage
from screening.models import FullText, Review, ScreeningItem


def waiting_references(review: Review) -> list[Reference]:
    """The references sought and not yet recorded (awaiting retrieval), by title: those a bulk
    upload's PDFs may be attached to."""
    waiting = ScreeningItem.objects.in_review(review).filter(
        stage=Stage.RETRIEVAL, state=ItemState.AWAITING_RETRIEVAL
    )
    return list(
        Reference.objects.filter(pk__in=waiting.values("reference_id"))
        .only("id", "title", "doi", "pmid", "authors", "year")
        .order_by("title", "id")
    )


def latest_pdf(review: Review, reference_id: int) -> FullText | None:
    """The reference's latest full text that has a file, or None."""
    return (
        FullText.objects.in_review(review)
        .filter(reference_id=reference_id)
        .exclude(file="")
        .order_by("-id")
        .first()
    )


def same_pdf_elsewhere(review: Review, sha256s: list[str], reference_id: int | None = None):
    """sha256 -> the references of the review (other than `reference_id`) whose full text is a
    file with that checksum, by citation: the same PDF attached to two references is worth a
    look (a wrong match, or two records of one report)."""
    found: dict[str, dict[int, Reference]] = {}
    rows = (
        FullText.objects.in_review(review)
        .filter(sha256__in=[digest for digest in sha256s if digest])
        .exclude(reference_id=reference_id)
        .select_related("reference")
        .order_by("id")
    )
    for full_text in rows:
        found.setdefault(full_text.sha256, {})[full_text.reference_id] = full_text.reference
    return {digest: list(references.values()) for digest, references in found.items()}
