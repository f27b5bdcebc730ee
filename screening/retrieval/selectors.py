"""TODO: docstring (carved from selectors.py)."""

from screening.models import (
    FullText,
    Review,
)


def latest_full_text(review: Review, reference_id: int) -> FullText | None:
    return FullText.objects.filter(review=review, reference_id=reference_id).order_by("-id").first()
