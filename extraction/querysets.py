"""The extraction models' QuerySets: the one place that says how each model reaches its review.

For the extracted rows (arms, outcomes, results, comparisons), `in_review` gives the review's
reported data, the consensus: the rows of no entry. An extractor's entry is reached through
the entry alone (`of_entry`), by the pages that may show it."""

from __future__ import annotations

from django.db import models


class StudyQuerySet(models.QuerySet):
    def in_review(self, review) -> StudyQuerySet:
        return self.filter(review=review)


class StudyReportQuerySet(models.QuerySet):
    def in_review(self, review) -> StudyReportQuerySet:
        return self.filter(review=review)


class EntryRowQuerySet(models.QuerySet):
    def reported(self) -> EntryRowQuerySet:
        """The consensus rows: what the review reports."""
        return self.filter(entry__isnull=True)

    def of_entry(self, entry) -> EntryRowQuerySet:
        """An entry's rows; None: the consensus."""
        return self.filter(entry=entry)


class ArmQuerySet(EntryRowQuerySet):
    def in_review(self, review) -> ArmQuerySet:
        return self.reported().filter(study__review=review)


class OutcomeQuerySet(EntryRowQuerySet):
    def in_review(self, review) -> OutcomeQuerySet:
        return self.reported().filter(study__review=review)


class ArmResultQuerySet(EntryRowQuerySet):
    def in_review(self, review) -> ArmResultQuerySet:
        return self.reported().filter(outcome__study__review=review)


class ComparisonQuerySet(EntryRowQuerySet):
    def in_review(self, review) -> ComparisonQuerySet:
        return self.reported().filter(outcome__study__review=review)
