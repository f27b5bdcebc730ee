"""Near duplicates: proposed on import, merged, rejected and undone by a person."""

import random

import pytest
from django.core.exceptions import ValidationError

from references.duplicates import NearItem, near_pair, near_pairs
from references.models import Reference
from screening.constants import AuditAction, CandidateStatus, DuplicateRule
from screening.identification.duplicates import (
    compared_pairs,
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


def _medline(entries) -> str:
    """A MEDLINE file of (pmid, title, year, author, doi) entries."""
    blocks = []
    for pmid, title, year, author, doi in entries:
        lines = [f"PMID- {pmid}"] if pmid else []
        lines.append(f"TI  - {title}")
        if year:
            lines.append(f"DP  - {year}")
        if author:
            lines.append(f"FAU - {author}")
        if doi:
            lines.append(f"LID - {doi} [doi]")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _review_items(review) -> list[NearItem]:
    rows = (
        Reference.objects.filter(records__review=review)
        .values_list("id", "title_key", "year", "first_author_key", "pmid", "doi")
        .distinct()
        .order_by("id")
    )
    return [NearItem(*row) for row in rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_database_compares_the_same_pairs_as_near_pairs_in_memory(import_text, review, seed):
    """The review's proposal blocks in SQL (compared_pairs) and scores in Python; near_pairs
    blocks in memory. On references built to collide (a few title stems with typos, shared
    years, authors, PMIDs and DOIs, missing ones, short titles), both give the same pairs, for
    a whole review and for the references of a second import only."""
    rng = random.Random(seed)
    stems = [
        "Ivonescimab plus chemotherapy in non-small cell lung cancer",
        "Deep learning for systematic review screening of abstracts",
        "Evidence-based software engineering part 1 of 4 the method",
        "Evidence-based software engineering part 2 of 4 the method",
        "Short title",
    ]

    def entries(count: int, first_pmid: int):
        for n in range(count):
            title = list(rng.choice(stems))
            for _ in range(rng.choice([0, 0, 1, 2])):  # a typo or two
                i = rng.randrange(len(title) - 1)
                title[i], title[i + 1] = title[i + 1], title[i]
            yield (
                rng.choice(["", "", str(first_pmid + n), "30000001"]),
                "".join(title),
                rng.choice([None, 2020, 2021]),
                rng.choice(["", "Smith, Jane", "Jones, Tom", "Brown, Ann"]),
                rng.choice(["", "", "10.1000/a", f"10.1000/x{first_pmid + n}"]),
            )

    import_text(_medline(entries(120, 1000)), name="first.nbib", source="PubMed")
    before = {item.id for item in _review_items(review)}
    second = import_text(_medline(entries(60, 5000)), name="second.nbib", source="Embase")
    items = _review_items(review)
    new = {item.id for item in items} - before
    assert second.references_created == len(new) > 0

    def in_database(only):
        pairs = (near_pair(a, b, only_ids=only) for a, b in compared_pairs(review))
        return {(p.a, p.b, p.score) for p in pairs if p}

    whole = {(p.a, p.b, p.score) for p in near_pairs(items)}
    assert len(whole) >= 5  # the data does make pairs
    assert in_database(None) == whole
    assert in_database(new) == {(p.a, p.b, p.score) for p in near_pairs(items, only_ids=new)}
