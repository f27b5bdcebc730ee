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
