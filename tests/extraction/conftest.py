"""A review whose references are included at full text, ready to be grouped into studies."""

from __future__ import annotations

import pytest

from extraction.services import study_create
from screening.constants import Role, Stage
from screening.decisions.services import decision_record
from screening.models import Membership
from screening.retrieval.services import full_text_record
from tests.factories import UserFactory


def include(review, references, owner, reviewer) -> None:
    """Both reviewers include each reference at title and abstract and at full text."""
    for reference in references:
        for who in (owner, reviewer):
            decision_record(
                review=review, reference=reference, stage=Stage.TITLE_ABSTRACT, reviewer=who,
                verdict="include",
            )  # fmt: skip
        full_text_record(
            review=review, reference=reference, user=owner, status="retrieved", max_bytes=1
        )
        for who in (owner, reviewer):
            decision_record(
                review=review, reference=reference, stage=Stage.FULL_TEXT, reviewer=who,
                verdict="include",
            )  # fmt: skip


# (title, first author, year, DOI, abstract): two reports of HARMONi-2 (one with its NCT
# number), HARMONi-A, and a phase Ib study.
TRIALS = [
    ("Ivonescimab versus pembrolizumab for PD-L1-positive NSCLC (HARMONi-2): a randomised, "
     "double-blind, phase 3 study", "Xiong, A", 2025, "10.1016/harmoni2.lancet",
     "Registered with ClinicalTrials.gov, NCT05499390."),
    ("PL02.04 Phase 3 Study of Ivonescimab vs. Pembrolizumab: Primary Analysis of HARMONI-2",
     "Zhou, C", 2024, "10.1016/harmoni2.abstract", ""),
    ("Ivonescimab Plus Chemotherapy in NSCLC With EGFR Variant: A Randomized Clinical Trial",
     "Fang, W", 2024, "10.1001/harmonia.jama",
     "Trial Registration: ClinicalTrials.gov Identifier: NCT05184712"),
    ("A phase 1b study of ivonescimab (AK112) in NSCLC", "Wang, L", 2024, "10.1016/phase1b", ""),
]  # fmt: skip
TRIALS_RIS = "".join(
    f"TY  - JOUR\nTI  - {title}\nAU  - {author}\nPY  - {year}\nDO  - {doi}\n"
    + (f"N2  - {abstract}\n" if abstract else "")
    + "ER  - \n"
    for title, author, year, doi, abstract in TRIALS
)


@pytest.fixture
def included(review, owner, reviewer, import_text):
    """Four included reports: two of HARMONi-2 (one with its NCT number), HARMONi-A, and a
    phase Ib study; in that order."""
    search = import_text(TRIALS_RIS, name="trials.ris", source="PubMed")
    references = [record.reference for record in search.records.order_by("position")]
    include(review, references, owner, reviewer)
    return references


@pytest.fixture
def second(review):
    """A second reviewer: the other extractor of the double-extraction tests."""
    user = UserFactory(username="sara-second")
    Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def study(review, owner, included):
    """HARMONi-A with its JAMA report (included[2]), no data yet."""
    return study_create(review=review, user=owner, name="HARMONi-A", reports=[included[2]])
