"""A review whose references are included at full text, ready to be grouped into studies."""

from __future__ import annotations

import pytest

from screening.constants import Stage
from screening.services.screening import decision_record, full_text_record


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


TRIALS_RIS = """TY  - JOUR
TI  - Ivonescimab versus pembrolizumab for PD-L1-positive NSCLC (HARMONi-2): a randomised, double-blind, phase 3 study
AU  - Xiong, A
PY  - 2025
DO  - 10.1016/harmoni2.lancet
N2  - Registered with ClinicalTrials.gov, NCT05499390.
ER  - 
TY  - JOUR
TI  - PL02.04 Phase 3 Study of Ivonescimab vs. Pembrolizumab: Primary Analysis of HARMONI-2
AU  - Zhou, C
PY  - 2024
DO  - 10.1016/harmoni2.abstract
ER  - 
TY  - JOUR
TI  - Ivonescimab Plus Chemotherapy in NSCLC With EGFR Variant: A Randomized Clinical Trial
AU  - Fang, W
PY  - 2024
DO  - 10.1001/harmonia.jama
N2  - Trial Registration: ClinicalTrials.gov Identifier: NCT05184712
ER  - 
TY  - JOUR
TI  - A phase 1b study of ivonescimab (AK112) in NSCLC
AU  - Wang, L
PY  - 2024
DO  - 10.1016/phase1b
ER  - 
"""


@pytest.fixture
def included(review, owner, reviewer, import_text):
    """Four included reports: two of HARMONi-2 (one with its NCT number), HARMONi-A, and a
    phase Ib study; in that order."""
    search = import_text(TRIALS_RIS, name="trials.ris", source="PubMed")
    references = [record.reference for record in search.records.order_by("position")]
    include(review, references, owner, reviewer)
    return references
