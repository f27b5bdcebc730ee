"""The consensus of a study's independent entries: the entries aligned row by row and compared
field by field (`compare`), and the consensus rows made from them, each value taken from an
entry, and the consensus row linked to the entry rows it came from (`consensus_take`,
`consensus_take_agreed`). A value no entry has is typed on the study's page afterwards, as an
ordinary (logged) edit of the consensus.

Rows are matched across entries by what names them: an arm by its label, an outcome by its name
and time point (case and spacing aside), a result by its outcome and arm, a comparison by its
outcome, arms and measure. Values are compared as numbers (50.6 and 50.60 agree); the quote,
page and note are the evidence, shown side by side but not counted as disagreements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction

from .access import ExtractionRefused, check_consensus_writer, check_editor, entry_state
from .models import Arm, ArmResult, Comparison, Entry, Outcome, Study
from .services import row_snapshot

ARM, OUTCOME, RESULT, COMPARISON = "arm", "outcome", "result", "comparison"
KINDS = (ARM, OUTCOME, RESULT, COMPARISON)  # the order a consensus is built in
MODELS = {ARM: Arm, OUTCOME: Outcome, RESULT: ArmResult, COMPARISON: Comparison}

# The fields compared, by kind (the naming ones are the key), and their headings.
COMPARED = {
    ARM: ("intervention", "comparator", "number_randomised", "report"),
    OUTCOME: ("kind", "unit"),
    RESULT: ("value", "ci_low", "ci_high", "events", "n", "sd", "se", "q1", "q3", "report"),
    COMPARISON: ("estimate", "ci_low", "ci_high", "p_value", "report"),
}
EVIDENCE = ("page", "quote", "note")
LABELS = {
    "intervention": "Intervention", "comparator": "Control arm", "number_randomised": "Randomised",
    "report": "Report", "kind": "Kind", "unit": "Unit", "value": "Value", "ci_low": "CI lower",
    "ci_high": "CI upper", "events": "Events", "n": "n", "estimate": "Estimate", "p_value": "p",
    "sd": "SD", "se": "SE", "q1": "Lower quartile", "q3": "Upper quartile",
}  # fmt: skip


def _words(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def row_key(kind: str, row: models.Model, arm_keys: dict[int, str]) -> tuple:
    """What names a row, the same in every entry."""
    if kind == ARM:
        return (_words(row.label),)
    if kind == OUTCOME:
        return (_words(row.name), _words(row.timepoint))
    outcome = (_words(row.outcome.name), _words(row.outcome.timepoint))
    if kind == RESULT:
        return (*outcome, arm_keys[row.arm_id])
    return (*outcome, arm_keys[row.arm_id], arm_keys[row.comparator_id], row.measure)


def _comparable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize()
    return "" if value is None else value


def shown(name: str, value: Any, reports: dict[int, str]) -> str:
    """A value as the comparison page writes it."""
    if value is None or value == "":
        return "—"
    if name == "report":
        return reports.get(value, f"report {value}")
    if name == "comparator":
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


@dataclass
class Field:
    name: str
    values: list[Any]  # per entry (None where the entry lacks the row)
    consensus: Any = None

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def agree(self) -> bool:
        return len({_comparable(v) for v in self.values}) == 1


@dataclass
class Aligned:
    """One row across the entries (None where an entry lacks it) and the consensus."""

    kind: str
    key: tuple
    title: str
    rows: list[models.Model | None]
    consensus: models.Model | None = None
    fields: list[Field] = field(default_factory=list)

    @property
    def in_all(self) -> bool:
        return all(row is not None for row in self.rows)

    @property
    def agree(self) -> bool:
        return self.in_all and all(f.agree for f in self.fields)

    @property
    def differing(self) -> list[str]:
        return [f.name for f in self.fields if not f.agree]

    @property
    def token(self) -> str:
        """The row's key as one form value (the take form posts it back)."""
        return json.dumps([self.kind, *self.key], ensure_ascii=False)


@dataclass
class SideBySide:
    """A study's entries side by side: `rows` in the order of the grid (arms, then each
    outcome with its results and comparisons)."""

    study: Study
    entries: list[Entry]
    rows: list[Aligned]

    @property
    def disagreements(self) -> int:
        return sum(1 for row in self.rows if not row.agree)

    @property
    def open(self) -> list[Aligned]:
        return [row for row in self.rows if row.consensus is None]

    def find(self, token: str) -> Aligned | None:
        return next((row for row in self.rows if row.token == token), None)


def _rows_of(study: Study, entry: Entry | None) -> dict[str, dict[tuple, models.Model]]:
    """An entry's rows (None: the consensus), by kind and key."""
    arms = list(Arm.objects.filter(study=study, entry=entry).order_by("position", "id"))
    outcomes = list(Outcome.objects.filter(study=study, entry=entry).order_by("position", "id"))
    by_pk = {o.pk: o for o in outcomes}
    arms_by_pk = {arm.pk: arm for arm in arms}
    arm_keys = {arm.pk: _words(arm.label) for arm in arms}
    found: dict[str, dict[tuple, models.Model]] = {kind: {} for kind in KINDS}
    for arm in arms:
        found[ARM][row_key(ARM, arm, arm_keys)] = arm
    for outcome in outcomes:
        found[OUTCOME][row_key(OUTCOME, outcome, arm_keys)] = outcome
    for kind, model in ((RESULT, ArmResult), (COMPARISON, Comparison)):
        for row in model.objects.filter(outcome__in=outcomes).order_by("id"):
            row.outcome = by_pk[row.outcome_id]
            row.arm = arms_by_pk[row.arm_id]
            if kind == COMPARISON:
                row.comparator = arms_by_pk[row.comparator_id]
            found[kind][row_key(kind, row, arm_keys)] = row
    return found


def _title(kind: str, row: models.Model) -> str:
    if kind == ARM:
        return f"Arm: {row.label}"
    if kind == OUTCOME:
        return f"Outcome: {row}"
    if kind == RESULT:
        return f"{row.outcome}: {row.arm.label}"
    return f"{row.outcome}: {row.get_measure_display()}, {row.arm.label} vs {row.comparator.label}"


def compare(study: Study, entries: list[Entry]) -> SideBySide:
    """The entries (and the consensus so far) aligned and compared, row by row."""
    per_entry = [_rows_of(study, entry) for entry in entries]
    consensus = _rows_of(study, None)
    aligned: list[Aligned] = []
    for kind in KINDS:
        keys: list[tuple] = []
        for rows in per_entry:
            keys += [key for key in rows[kind] if key not in keys]
        for key in keys:
            rows = [each[kind].get(key) for each in per_entry]
            first = next(row for row in rows if row is not None)
            found = Aligned(kind, key, _title(kind, first), rows, consensus[kind].get(key))
            for name in COMPARED[kind]:
                attr = f"{name}_id" if name == "report" else name
                values = [getattr(row, attr) if row is not None else None for row in rows]
                kept = getattr(found.consensus, attr) if found.consensus is not None else None
                found.fields.append(Field(name, values, kept))
            aligned.append(found)
    _in_grid_order(aligned)
    return SideBySide(study, entries, aligned)


def _in_grid_order(aligned: list[Aligned]) -> None:
    """Arms first, then each outcome followed by its results and comparisons."""
    outcome_rank = {row.key: i for i, row in enumerate(r for r in aligned if r.kind == OUTCOME)}

    def rank(row: Aligned):
        if row.kind == ARM:
            return (0,)
        outcome = row.key[:2]
        return (1, outcome_rank.get(outcome, 0), KINDS.index(row.kind))

    aligned.sort(key=rank)


# --- Taking values into the consensus ---------------------------------------------------------


def _revealed_entries(study: Study, user: AbstractBaseUser | None) -> list[Entry]:
    check_editor(study.review, user)
    state = entry_state(study)
    if not state.entries:
        raise ExtractionRefused("This study has no independent entries to take values from.")
    check_consensus_writer(study, user)
    return state.submitted


def _parent(kind: str, key: tuple, consensus: dict[str, dict[tuple, models.Model]], what: str):
    found = consensus[kind].get(key)
    if found is None:
        raise ExtractionRefused(f"Agree the {what} first: the consensus has none yet.")
    return found


@transaction.atomic
def consensus_take(
    *,
    study: Study,
    user: AbstractBaseUser | None,
    token: str,
    choices: dict[str, int],
) -> models.Model:
    """Make (or change) the consensus row of one aligned row: each compared field takes the
    value of the entry `choices` names for it (entry id), or, where the entries agree or only
    one has the row, theirs. Its evidence (page, quote, note) comes from the entry chosen for
    its first field. The entry rows get linked to it; the log says which value came from which
    entry, and which fields the entries disagreed on."""
    review_lock(study.review)
    entries = _revealed_entries(study, user)
    compared = compare(study, entries)
    row = compared.find(token)
    if row is None:
        raise ExtractionRefused("That row is in none of the entries.")
    by_entry = {entry.pk: i for i, entry in enumerate(entries)}
    present = [i for i, r in enumerate(row.rows) if r is not None]
    taken: dict[str, int] = {}
    values: dict[str, Any] = {}
    for f in row.fields:
        wanted = choices.get(f.name)
        if wanted is None and (f.agree or len(present) == 1):
            index = present[0]
        elif wanted in by_entry and row.rows[by_entry[wanted]] is not None:
            index = by_entry[wanted]
        else:
            raise ExtractionRefused(f"{f.label}: the entries differ; choose whose value to keep.")
        taken[f.name] = entries[index].pk
        values[f.name] = f.values[index]
    source = row.rows[by_entry[taken[row.fields[0].name]]]
    consensus_rows = _rows_of(study, None)
    target = row.consensus or _new_row(row, source, consensus_rows)
    before = row_snapshot(target) if target.pk else None
    for name, value in values.items():
        setattr(target, f"{name}_id" if name == "report" else name, value)
    for name in EVIDENCE if row.kind in (RESULT, COMPARISON) else ():
        setattr(target, name, getattr(source, name))
    target.full_clean()
    target.save()
    for entry_row in row.rows:
        if entry_row is not None:
            type(entry_row).objects.filter(pk=entry_row.pk).update(consensus=target)
    audit_record(
        review=study.review,
        review_locked=True,
        actor=user,
        action=AuditAction.ENTRY_CONSENSUS,
        obj=target,
        before=before,
        after={
            "study": study.pk,
            "row": row.title,
            **row_snapshot(target),
            "taken": taken,
            "disagreed": row.differing if row.in_all else ["row"],
            "sources": [r.pk for r in row.rows if r is not None],
        },
    )
    return target


def _new_row(row: Aligned, source: models.Model, consensus) -> models.Model:
    """The consensus row to fill, hung from the consensus's own arm and outcome."""
    if row.kind == ARM:
        return Arm(study=source.study, label=source.label, position=source.position)
    if row.kind == OUTCOME:
        return Outcome(
            study=source.study,
            name=source.name,
            timepoint=source.timepoint,
            position=source.position,
        )
    outcome = _parent(OUTCOME, row.key[:2], consensus, f"outcome {source.outcome}")
    arm = _parent(ARM, (row.key[2],), consensus, f"arm {source.arm.label}")
    if row.kind == RESULT:
        return ArmResult(outcome=outcome, arm=arm)
    comparator = _parent(ARM, (row.key[3],), consensus, f"arm {source.comparator.label}")
    return Comparison(outcome=outcome, arm=arm, comparator=comparator, measure=source.measure)


@transaction.atomic
def consensus_take_agreed(*, study: Study, user: AbstractBaseUser | None) -> int:
    """Every row all entries have alike and the consensus has not yet: into the consensus, in
    grid order (arms and outcomes before their results). How many were taken."""
    review_lock(study.review)
    entries = _revealed_entries(study, user)
    taken = 0
    for row in compare(study, entries).rows:
        if row.agree and row.consensus is None:
            try:
                consensus_take(study=study, user=user, token=row.token, choices={})
            except ExtractionRefused:
                continue  # its arm or outcome is not agreed yet: it waits for them
            taken += 1
    return taken
