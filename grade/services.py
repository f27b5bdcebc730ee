"""A person's GRADE decisions on one outcome, saved with the rules GRADE sets: every downgrade
(and upgrade) carries a footnote, and so does every decision other than the app's proposal;
upgrades are for non-randomised evidence only. Audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from extraction.access import ExtractionRefused, check_editor
from meta_analysis.models import Analysis
from meta_analysis.run import run_analysis
from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction

from .models import Certainty
from .selectors import judgements
from .table import DOMAIN_LABELS, DOWNGRADES, UPGRADES


class GradeRefused(ExtractionRefused):
    """The action is not allowed now; `str(error)` is the sentence for the person."""


def _decimal(value, what: str, low: float, high: float) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation as error:
        raise GradeRefused(f"{what}: “{value}” is not a number.") from error
    if not low <= number <= high:
        raise GradeRefused(f"{what}: give a number from {low:g} to {high:g}.")
    return number


def _snapshot(found: Certainty) -> dict:
    return {
        "design": found.design,
        "control_per_1000": str(found.control_per_1000 or ""),
        "threshold_low": str(found.threshold_low or ""),
        "threshold_high": str(found.threshold_high or ""),
        "judgements": found.judgements,
    }


@transaction.atomic
def certainty_save(
    *,
    analysis: Analysis,
    user: AbstractBaseUser | None,
    design: str = Certainty.RANDOMISED,
    control_per_1000=None,
    threshold_low=None,
    threshold_high=None,
    decisions: dict[str, tuple[int | None, str]] | None = None,
) -> Certainty:
    """Save the outcome's GRADE settings and the decisions given (domain -> (level or None to
    leave it unconfirmed, footnote)); the domains not given keep theirs."""
    review = analysis.review
    check_editor(review, user)
    review_lock(review)
    if design not in dict(Certainty.DESIGNS):
        raise GradeRefused("Say whether the evidence is from randomised trials or not.")
    found = Certainty.objects.filter(analysis=analysis).first() or Certainty(analysis=analysis)
    before = _snapshot(found) if found.pk else None
    found.design = design
    found.control_per_1000 = _decimal(control_per_1000, "Assumed control risk", 0, 1000)
    found.threshold_low = _decimal(threshold_low, "Important effect below", -1e6, 1e6)
    found.threshold_high = _decimal(threshold_high, "Important effect above", -1e6, 1e6)
    if (
        found.threshold_low is not None
        and found.threshold_high is not None
        and found.threshold_low >= found.threshold_high
    ):
        raise GradeRefused("The lower threshold of an important effect must be below the upper.")
    proposed = {j.domain: j.proposed for j in judgements(run_analysis(analysis), found)}
    decided = dict(found.judgements)
    for domain, (level, footnote) in (decisions or {}).items():
        decided[domain] = _decision(domain, level, footnote.strip(), design, proposed)
    found.judgements = {k: v for k, v in decided.items() if v is not None}
    found.updated_by = user
    found.save()
    after = _snapshot(found)
    if after != before:
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.GRADE_SAVE,
            obj=found,
            before=before,
            after={"analysis": analysis.pk, "title": str(analysis), **after},
        )
    return found


def _decision(domain: str, level, footnote: str, design: str, proposed: dict) -> dict | None:
    label = DOMAIN_LABELS.get(domain)
    if label is None:
        raise GradeRefused("That is not one of GRADE's domains.")
    if level is None:
        return None  # left unconfirmed
    allowed = (0, -1, -2) if domain in DOWNGRADES else (0, 1, 2)
    if level not in allowed:
        raise GradeRefused(f"{label}: choose one of the levels offered.")
    if domain in UPGRADES and level and design != Certainty.NON_RANDOMISED:
        raise GradeRefused(f"{label}: only evidence from non-randomised studies is rated up.")
    if level and not footnote:
        what = "A downgrade" if level < 0 else "An upgrade"
        raise GradeRefused(f"{label}: {what.lower()} needs a footnote saying why.")
    if level != proposed.get(domain) and proposed.get(domain) is not None and not footnote:
        raise GradeRefused(f"{label}: say in a footnote why you judge it otherwise than proposed.")
    return {"level": level, "footnote": footnote[:500]}
