"""The extraction models' QuerySets: the one place that says how each model reaches its review."""

from __future__ import annotations

from django.db import models


class StudyQuerySet(models.QuerySet):
    def in_review(self, review) -> StudyQuerySet:
        return self.filter(review=review)


class StudyReportQuerySet(models.QuerySet):
    def in_review(self, review) -> StudyReportQuerySet:
        return self.filter(review=review)


class OutcomeQuerySet(models.QuerySet):
    def in_review(self, review) -> OutcomeQuerySet:
        return self.filter(study__review=review)


class ComparisonQuerySet(models.QuerySet):
    def in_review(self, review) -> ComparisonQuerySet:
        return self.filter(outcome__study__review=review)
