"""Stages in URLs ("title-abstract", "full-text"), and back."""

from __future__ import annotations

from django.http import Http404

from screening.constants import Stage

STAGE_SLUGS = {"title-abstract": Stage.TITLE_ABSTRACT, "full-text": Stage.FULL_TEXT}
SLUG_OF = {stage: slug for slug, stage in STAGE_SLUGS.items()}


def stage_from_slug(stage_slug: str) -> str:
    try:
        return STAGE_SLUGS[stage_slug]
    except KeyError:
        raise Http404("No such stage.") from None


def stage_context(review, membership, stage: str) -> dict:
    """What every page of a stage shows: the review, the member, the stage and its names."""
    return {
        "review": review,
        "membership": membership,
        "stage": stage,
        "stage_slug": SLUG_OF[stage],
        "stage_label": Stage(stage).label,
    }
