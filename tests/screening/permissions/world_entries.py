"""The crawl world's double extraction (see world.py): two studies with independent entries
whose rows no one but their extractor may see yet. "Entries-crawl": A's submitted entry (an
outcome named with a sentinel) and the owner's draft, so the study's entries are not all in.
"Entries-draft-crawl": A's draft (a sentinel too), alone. Not B, not the viewer, and not the
owner (who may make the consensus, and must not have read an entry first) may see either."""

from __future__ import annotations

from typing import Any

from extraction.constants import OutcomeKind
from extraction.entries import entry_start, entry_submit
from extraction.models import Outcome
from extraction.services import extraction_save, study_create

ENTRY_SUBMITTED = "Zqx-entry-submitted-sentinel-5804"  # A's submitted entry, the owner's a draft
ENTRY_DRAFT = "Zqx-entry-draft-sentinel-9427"  # A's draft entry
ENTRY_SENTINELS = {
    ENTRY_SUBMITTED: "A's submitted extraction entry, the owner's pending (Entries-crawl)",
    ENTRY_DRAFT: "A's draft extraction entry (Entries-draft-crawl)",
}


def _entry(study, user, outcome_name: str, submit: bool):
    entry = entry_start(study=study, user=user)
    outcome = extraction_save(instance=Outcome(study=study, entry=entry), user=user,
                              name=outcome_name, kind=OutcomeKind.PROPORTION)  # fmt: skip
    if submit:
        entry = entry_submit(entry=entry, user=user)
    return entry, outcome


def entries_world(review, owner, a) -> dict[str, Any]:
    """Make the two studies and their entries; the objects the crawl names."""
    both = study_create(review=review, user=owner, name="Entries-crawl")
    alone = study_create(review=review, user=owner, name="Entries-draft-crawl")
    submitted, submitted_outcome = _entry(both, a, ENTRY_SUBMITTED, submit=True)
    owners, owners_outcome = _entry(both, owner, "Plain outcome", submit=False)
    draft, draft_outcome = _entry(alone, a, ENTRY_DRAFT, submit=False)
    return {
        "entry_studies": [both, alone],
        "entries": [submitted, owners, draft],
        "entry_outcomes": [submitted_outcome, owners_outcome, draft_outcome],
    }
