"""Review-scoped querysets: `Model.objects.in_review(review)` is the one way to ask for a
review's rows (HAWC's scoped managers), so that "which review does this row belong to" is
written once, on the model, and a read that forgets the review stands out."""

from __future__ import annotations

from django.db import models


class InReviewQuerySet(models.QuerySet):
    """For models with a `review` foreign key; subclass and override `in_review` for a model
    that reaches its review through a relation."""

    def in_review(self, review) -> InReviewQuerySet:
        return self.filter(review=review)


InReviewManager = models.Manager.from_queryset(InReviewQuerySet)
