"""The demo's extracted data, entered as people would: most studies once, by the owner, straight
into the consensus; HARMONi-A and HARMONi-2 twice, independently, by the two demo reviewers,
then compared, the owner taking the values they agree on and settling the one value on which
each study's entries differ. The slips are the demo's (see SLIPS), not the article's; the
consensus holds the article's values, as a single entry would."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from references.models import Reference

from .consensus import compare, consensus_take, consensus_take_agreed
from .entries import entry_start, entry_submit
from .models import Arm, ArmResult, Entry, Outcome, Study
from .services import extraction_save

# Double-extracted studies: the second reviewer's slip in each (outcome, arm, field, as typed).
SLIPS = {
    "HARMONi-A": ("Objective response rate", "Placebo + chemotherapy", "ci_high", "43.0"),
    "HARMONi-2": ("Objective response rate", "Pembrolizumab", "ci_high", "45"),
}


def enter(
    study: Study,
    entry: Entry | None,
    user: AbstractBaseUser,
    plan: dict,
    report: dict[int, Reference],
    slip: tuple | None = None,
) -> None:
    """A study's arms, outcomes and results from its plan in studies.json, into the entry
    (None: the consensus), with `slip` typed in place of one value."""
    arms = {}
    for position, arm in enumerate(plan.get("arms", [])):
        arms[arm["label"]] = extraction_save(
            instance=Arm(study=study, entry=entry), user=user, position=position,
            **{**arm, "report": report[arm["report"]]},
        )  # fmt: skip
    for position, planned in enumerate(plan.get("outcomes", [])):
        fields = {k: v for k, v in planned.items() if k != "results"}
        outcome = extraction_save(
            instance=Outcome(study=study, entry=entry), user=user, position=position, **fields
        )
        for result in planned["results"]:
            values = {k: result[k] for k in ("value", "ci_low", "ci_high") if k in result}
            if slip and (planned["name"], result["arm"]) == slip[:2]:
                values[slip[2]] = slip[3]
            counts = {k: result[k] for k in ("events", "n") if k in result}
            extraction_save(
                instance=ArmResult(outcome=outcome, arm=arms[result["arm"]]), user=user,
                report=report[result["report"]], quote=result.get("quote", ""),
                note=result.get("note", ""), **{k: Decimal(v) for k, v in values.items()},
                **counts,
            )  # fmt: skip


def double_extract(study, plan, report, owner, first, second) -> None:
    """Two blind entries (the second with its slip), submitted; the owner's consensus, each
    disagreement settled with the first reviewer's value, which is the article's."""
    mine = entry_start(study=study, user=first)
    enter(study, mine, first, plan, report)
    theirs = entry_start(study=study, user=second)
    enter(study, theirs, second, plan, report, slip=SLIPS[study.acronym])
    entry_submit(entry=mine, user=first)
    entry_submit(entry=theirs, user=second)
    consensus_take_agreed(study=study, user=owner)
    for row in compare(study, [mine, theirs]).rows:
        if row.consensus is None:
            choices = dict.fromkeys(row.differing, mine.pk)
            consensus_take(study=study, user=owner, token=row.token, choices=choices)
