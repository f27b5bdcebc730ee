"""Near duplicates: proposed on import, merged, rejected and undone by a person."""

import pytest
from django.core.exceptions import ValidationError

from screening.constants import AuditAction, CandidateStatus, DuplicateRule
from screening.identification.duplicates import (
    duplicate_candidates_propose,
    duplicate_merge,
    duplicate_reject,
    duplicate_undo,
)
from screening.identification.selectors import review_counts
from screening.models import AuditEvent, DuplicateCandidate, Record

pytestmark = pytest.mark.django_db

NEAR = """TY  - JOUR
TI  - Ivonescimab plus chemotherapy in non-small cell lung cancer with EGFR variant
AU  - Fang, Wenfeng
PY  - 2024
ER  -
"""
NEAR_TYPO = NEAR.replace("non-small cell lung cancer", "non small-cell lung cancer").replace(
    "EGFR variant", "EGFR variants"
)


@pytest.fixture
def pair(import_text):
    import_text(NEAR, name="embase.ris", source="Embase")
    import_text(NEAR_TYPO, name="scopus.ris", source="Scopus")
    return DuplicateCandidate.objects.get()


def test_a_near_duplicate_is_proposed_on_import_and_not_merged(pair, review):
    assert pair.status == CandidateStatus.PROPOSED
    assert pair.evidence["same_year"] and pair.evidence["same_first_author"]
    assert review_counts(review)["references"] == 2


def test_merging_moves_the_records_and_counts_a_duplicate(pair, review, owner):
    duplicate_merge(candidate=pair, user=owner)
    counts = review_counts(review)
    assert (counts["records"], counts["references"], counts["duplicates"]) == (2, 1, 1)
    moved = Record.objects.get(search__source__name="Scopus")
    assert moved.reference_id == pair.reference_a_id
    assert moved.duplicate_rule == DuplicateRule.MERGED
    assert AuditEvent.objects.filter(action=AuditAction.DUPLICATE_MERGE).count() == 1


def test_merging_twice_changes_nothing_more(pair, owner):
    duplicate_merge(candidate=pair, user=owner)
    duplicate_merge(candidate=pair, user=owner)
    assert AuditEvent.objects.filter(action=AuditAction.DUPLICATE_MERGE).count() == 1


def test_undoing_a_merge_puts_exactly_the_moved_records_back(pair, review, owner):
    duplicate_merge(candidate=pair, user=owner, keep=pair.reference_b)
    duplicate_undo(candidate=pair, user=owner)
    pair.refresh_from_db()
    assert pair.status == CandidateStatus.UNDONE
    embase = Record.objects.get(search__source__name="Embase")
    assert embase.reference_id == pair.reference_a_id and embase.duplicate_rule == ""
    counts = review_counts(review)
    assert (counts["references"], counts["duplicates"]) == (2, 0)


def test_a_rejected_pair_is_never_proposed_again(pair, review, owner):
    duplicate_reject(candidate=pair, user=owner)
    assert duplicate_candidates_propose(review=review) == 0
    assert DuplicateCandidate.objects.get().status == CandidateStatus.REJECTED


def test_a_rejected_pair_cannot_be_merged_until_undone(pair, owner):
    duplicate_reject(candidate=pair, user=owner)
    with pytest.raises(ValidationError):
        duplicate_merge(candidate=pair, user=owner)
    duplicate_undo(candidate=pair, user=owner)
    assert duplicate_merge(candidate=pair, user=owner).status == CandidateStatus.MERGED
