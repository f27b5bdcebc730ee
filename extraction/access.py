"""Who may write extracted data, and who sees an extractor's entry.

Double extraction rests on one rule, kept by the services under the review's lock: **while a
study has an entry not yet submitted, its consensus is empty.** An entry starts only on a study
with no consensus rows, and the consensus is written only once every entry the study needs is
submitted. So no page, export or plot that reads the consensus (all but the entry and comparison
pages) can show an extractor anything of another's entry early; and the entries themselves are
shown by `EntryState.visible`, the one rule of who sees which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

from screening.constants import EDITOR_ROLES
from screening.models import Membership, Review
from screening.permissions.refusals import Refused

from .models import Arm, Entry, ExtractionSettings, Outcome, Study


class ExtractionRefused(Refused):
    """The action is not allowed now; `str(error)` is the sentence for the person."""


def check_editor(review: Review, user: AbstractBaseUser | None) -> None:
    """Owners and reviewers edit studies; None is the system (the demo loader, a command)."""
    if user is None:
        return
    if not Membership.objects.in_review(review).filter(user=user, role__in=EDITOR_ROLES).exists():
        raise ExtractionRefused("Only the review's owners and reviewers edit its studies.")


MAX_EXTRACTORS = 3


@dataclass
class EntryState:
    """A study's entries and how far they are, as the rule of who sees what needs them."""

    study: Study
    wanted: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def double(self) -> bool:
        return self.wanted >= 2

    @property
    def submitted(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.submitted]

    @property
    def pending(self) -> list[Entry]:
        return [entry for entry in self.entries if not entry.submitted]

    @property
    def revealed(self) -> bool:
        """Every entry the study needs is in: the entries are seen by all members."""
        return bool(self.entries) and not self.pending and len(self.submitted) >= self.wanted

    def mine(self, user_id: int | None) -> Entry | None:
        return next((e for e in self.entries if e.extractor_id == user_id), None)

    def visible(self, user_id: int | None) -> list[Entry]:
        """The entries whose rows the member may read: their own, and the others' once the
        study's entries are all submitted."""
        return [e for e in self.entries if e.extractor_id == user_id or self.revealed]

    @property
    def consensus_waits(self) -> str:
        """Why the consensus cannot be written yet ("" when it can, as far as entries go)."""
        if not self.entries:
            return ""
        if self.pending or len(self.submitted) < self.wanted:
            return (
                f"The consensus waits for the {self.wanted} independent entries: "
                f"{len(self.submitted)} submitted so far."
            )
        return ""

    @property
    def who(self) -> str:
        """ "ana (submitted), ben (in progress)"."""
        return ", ".join(
            f"{e.extractor.username} ({'submitted' if e.submitted else 'in progress'})"
            for e in self.entries
        )


def _entries():
    return Entry.objects.select_related("extractor").order_by("started_at", "id")


def entry_state(study: Study, wanted: int | None = None) -> EntryState:
    if wanted is None:
        wanted = ExtractionSettings.for_review(study.review).extractors
    return EntryState(study, wanted, list(_entries().filter(study=study)))


def entry_states(
    review: Review, studies: list[Study], wanted: int | None = None
) -> dict[int, EntryState]:
    """Each study's EntryState, in one query for all of them (the studies page)."""
    if wanted is None:
        wanted = ExtractionSettings.for_review(review).extractors
    states = {study.pk: EntryState(study, wanted) for study in studies}
    for entry in _entries().filter(study__in=studies):
        states[entry.study_id].entries.append(entry)
    return states


def has_consensus(study: Study) -> bool:
    return (
        Arm.objects.reported().filter(study=study).exists()
        or Outcome.objects.reported().filter(study=study).exists()
    )


# --- Who writes what --------------------------------------------------------------------------


def check_consensus_writer(study: Study, user: AbstractBaseUser | None) -> None:
    """The consensus (the reported rows) is written by the review's owners and resolvers when
    it extracts twice or more (by any editor when once), and never while the study's entries
    are not all in. None is the system (the demo loader, a command)."""
    state = entry_state(study)
    if state.consensus_waits:
        raise ExtractionRefused(state.consensus_waits)
    if user is None or not state.double:
        return
    membership = Membership.objects.in_review(study.review).filter(user=user).first()
    if membership is None or not membership.resolves:
        raise ExtractionRefused(
            "This review extracts each study independently: its owners and resolvers make the "
            "consensus. Start your own entry instead."
        )


def check_entry_writer(entry: Entry, user: AbstractBaseUser | None) -> None:
    """An entry is written by its extractor alone, until it is submitted."""
    if user is not None and entry.extractor_id != user.pk:
        raise ExtractionRefused("Only its extractor changes an entry.")
    if entry.submitted:
        raise ExtractionRefused("This entry was submitted: it cannot change any more.")


def check_row_writer(row: models.Model, study: Study, user: AbstractBaseUser | None) -> None:
    """May the user write this arm, outcome, result or comparison: an entry's row by the
    entry's extractor, a consensus row by the consensus's writers."""
    check_editor(study.review, user)
    if row.entry_id is None:
        check_consensus_writer(study, user)
    else:  # read again: the caller's copy may predate its submission
        check_entry_writer(Entry.objects.get(pk=row.entry_id), user)
