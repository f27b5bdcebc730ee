"""Writes to studies, their reports and their data. Each service checks who may do it, validates
(the models' clean(), so forms and the demo loader pass the same checks), saves, and writes its
audit event in the same transaction."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.forms.models import model_to_dict

from references.models import Reference
from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction
from screening.models import Review

from .access import ExtractionRefused, check_editor, check_row_writer
from .models import Arm, ArmResult, Comparison, Entry, Outcome, Study, StudyReport
from .selectors import included_report_ids

STUDY_FIELDS = [
    "name", "acronym", "kind", "registry_ids", "phase", "randomised", "blinding", "setting",
    "countries", "population", "number_randomised", "status", "notes",
]  # fmt: skip


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The instance's fields as JSON for the audit log (decimals as text without trailing
    zeros, so that 50.6 typed and 50.6000 stored are the same value)."""
    data = model_to_dict(instance, fields=fields)
    return {
        key: format(value.normalize(), "f") if isinstance(value, Decimal) else value
        for key, value in data.items()
    }


# --- Studies and their reports ----------------------------------------------------------------


@transaction.atomic
def study_create(
    *,
    review: Review,
    user: AbstractBaseUser | None,
    name: str,
    reports: list[Reference] = (),
    **fields: Any,
) -> Study:
    """A study, with the given included reports linked to it (the first is its primary)."""
    check_editor(review, user)
    review_lock(review)
    study = Study(review=review, name=name.strip(), **fields)
    study.full_clean()
    study.save()
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.STUDY_CREATE,
        obj=study,
        after=snapshot(study, STUDY_FIELDS),
    )
    for reference in reports:
        report_link(study=study, reference=reference, user=user)
    return study


@transaction.atomic
def study_update(*, study: Study, user: AbstractBaseUser | None, **fields: Any) -> Study:
    check_editor(study.review, user)
    review_lock(study.review)
    before = snapshot(study, STUDY_FIELDS)
    for name, value in fields.items():
        if name not in STUDY_FIELDS:
            raise TypeError(f"study_update() got an unexpected field {name!r}")
        setattr(study, name, value)
    study.full_clean()
    study.save()
    after = snapshot(study, STUDY_FIELDS)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        audit_record(
            review=study.review,
            actor=user,
            action=AuditAction.STUDY_EDIT,
            obj=study,
            before={k: before.get(k) for k in changed},
            after=changed,
        )
    return study


@transaction.atomic
def study_delete(*, study: Study, user: AbstractBaseUser | None) -> None:
    """Delete a study that holds no data yet; its reports become unlinked."""
    check_editor(study.review, user)
    review_lock(study.review)
    if Entry.objects.filter(study=study).exists():
        raise ExtractionRefused(f"{study} has independent extraction entries: it stays.")
    if study.arms.exists() or study.outcomes.exists():
        raise ExtractionRefused(
            f"{study} holds extracted data: delete its arms and outcomes first."
        )
    before = {**snapshot(study, STUDY_FIELDS), "reports": list(
        study.links.values_list("reference_id", flat=True)
    )}  # fmt: skip
    audit_record(
        review=study.review,
        actor=user,
        action=AuditAction.STUDY_DELETE,
        obj=study,
        before=before,
    )
    study.delete()


@transaction.atomic
def report_link(
    *, study: Study, reference: Reference, user: AbstractBaseUser | None, primary: bool = False
) -> StudyReport:
    """Link an included report to the study, moving it from another study if it was in one.
    A study's first report is its primary one."""
    review = study.review
    check_editor(review, user)
    review_lock(review)
    if not included_report_ids(review).filter(reference_id=reference.pk).exists():
        raise ExtractionRefused(
            "Only reports included at full text belong to studies; this one is not included."
        )
    link = StudyReport.objects.in_review(review).filter(reference=reference).first()
    before = None
    if link is not None:
        if link.study_id == study.pk:
            return link
        if _values_from(link.study, reference):
            raise ExtractionRefused(
                f"Values of {link.study} come from this report: it stays in that study."
            )
        before = {"study": link.study_id, "primary": link.primary}
        old_study = link.study
        link.delete()
        _promote_primary(old_study)
    make_primary = primary or not study.links.filter(primary=True).exists()
    if make_primary:
        study.links.filter(primary=True).update(primary=False)
    link = StudyReport.objects.create(
        review=review, study=study, reference=reference, primary=make_primary, linked_by=user
    )
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.REPORT_LINK,
        obj=link,
        before=before,
        after={"study": study.pk, "reference": reference.pk, "primary": make_primary},
    )
    return link


@transaction.atomic
def reports_link(
    *, study: Study, references: list[Reference], user: AbstractBaseUser | None
) -> list[StudyReport]:
    """Link several included reports to a study: all of them, or none."""
    return [report_link(study=study, reference=r, user=user) for r in references]


@transaction.atomic
def report_unlink(*, link: StudyReport, user: AbstractBaseUser | None) -> None:
    """Undo a link: the report is unlinked (PRISMA counts it as a study of its own again)."""
    study = link.study
    check_editor(study.review, user)
    review_lock(study.review)
    if _values_from(study, link.reference):
        raise ExtractionRefused(
            "Values of this study come from that report: change or delete them first."
        )
    audit_record(
        review=study.review,
        actor=user,
        action=AuditAction.REPORT_UNLINK,
        obj=link,
        before={"study": study.pk, "reference": link.reference_id, "primary": link.primary},
    )
    link.delete()
    _promote_primary(study)


@transaction.atomic
def report_set_primary(*, link: StudyReport, user: AbstractBaseUser | None) -> StudyReport:
    study = link.study
    check_editor(study.review, user)
    review_lock(study.review)
    previous = study.links.filter(primary=True).exclude(pk=link.pk).first()
    if previous is None and link.primary:
        return link
    study.links.filter(primary=True).update(primary=False)
    link.primary = True
    link.save(update_fields=["primary"])
    audit_record(
        review=study.review,
        actor=user,
        action=AuditAction.REPORT_PRIMARY,
        obj=link,
        before={"primary": previous.reference_id if previous else None},
        after={"primary": link.reference_id},
    )
    return link


def _promote_primary(study: Study) -> None:
    """After a link goes, the oldest remaining report becomes primary if none is."""
    if not study.links.filter(primary=True).exists():
        first = study.links.order_by("id").first()
        if first is not None:
            first.primary = True
            first.save(update_fields=["primary"])


def _values_from(study: Study, reference: Reference) -> bool:
    return (
        Arm.objects.filter(study=study, report=reference).exists()
        or ArmResult.objects.filter(outcome__study=study, report=reference).exists()
        or Comparison.objects.filter(outcome__study=study, report=reference).exists()
    )


# --- Extracted data ---------------------------------------------------------------------------

EXTRACTED = (Arm, Outcome, ArmResult, Comparison)


def row_snapshot(row: models.Model) -> dict[str, Any]:
    """A consensus row's values for the log (whose entry and consensus links are not values)."""
    return {k: v for k, v in snapshot(row).items() if k not in ("entry", "consensus")}


def _study_of(instance: models.Model) -> Study:
    if isinstance(instance, (Arm, Outcome)):
        return instance.study
    return instance.outcome.study


@transaction.atomic
def extraction_save(
    *, instance: models.Model, user: AbstractBaseUser | None, **fields: Any
) -> models.Model:
    """Create or change an arm, outcome, arm result or comparison: set the fields, validate
    (lower <= estimate <= upper, ratios positive, percentages 0-100, events <= n, the report
    one of the study's), save, and audit what changed."""
    if not isinstance(instance, EXTRACTED):
        raise TypeError(f"extraction_save() does not save {type(instance).__name__}")
    # Check who may edit before touching the caller's object (which may get its study only
    # from the fields, as a new arm result gets its outcome).
    with suppress(ObjectDoesNotExist):
        check_editor(_study_of(instance).review, user)
    for name, value in fields.items():
        setattr(instance, name, value)
    study = _study_of(instance)
    if isinstance(instance, (ArmResult, Comparison)):
        instance.entry_id = instance.outcome.entry_id  # a result is in its outcome's entry
    review_lock(study.review)
    check_row_writer(instance, study, user)
    before = None
    if instance.pk is not None:
        stored = type(instance).objects.get(pk=instance.pk)
        before = row_snapshot(stored)
    instance.full_clean()
    if isinstance(instance, Outcome) and instance.pk is not None:
        _recheck_results(instance)
    instance.save()
    if instance.entry_id is not None:
        return instance  # an entry's draft: its submission logs it (entries.entry_submit)
    after = row_snapshot(instance)
    if before is not None:
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if not changed:
            return instance
        before, after = {k: before.get(k) for k in changed}, changed
    audit_record(
        review=study.review,
        actor=user,
        action=AuditAction.EXTRACTION_EDIT,
        obj=instance,
        before=before,
        after={"study": study.pk, **after},
    )
    return instance


def _recheck_results(outcome: Outcome) -> None:
    """An outcome's kind says what its results are (a percentage, a median): a change of kind
    must leave every saved result valid, or it is refused."""
    problems = []
    for result in ArmResult.objects.filter(outcome_id=outcome.pk).select_related("arm"):
        result.outcome = outcome
        try:
            result.full_clean()
        except ValidationError as error:
            problems.append(f"{result.arm}: {' '.join(error.messages)}")
    if problems:
        raise ValidationError(
            {"kind": [f"The saved results do not fit this kind: {'; '.join(problems)}"]}
        )


@transaction.atomic
def extraction_delete(*, instance: models.Model, user: AbstractBaseUser | None) -> None:
    if not isinstance(instance, EXTRACTED):
        raise TypeError(f"extraction_delete() does not delete {type(instance).__name__}")
    study = _study_of(instance)
    review_lock(study.review)
    check_row_writer(instance, study, user)
    if instance.entry_id is not None:
        instance.delete()  # an entry's draft: its submission logs it
        return
    # What goes with it (an arm's or an outcome's results and comparisons) is in the event too.
    if isinstance(instance, Arm):
        results = ArmResult.objects.filter(arm=instance)
        comparisons = Comparison.objects.filter(Q(arm=instance) | Q(comparator=instance))
    elif isinstance(instance, Outcome):
        results = ArmResult.objects.filter(outcome=instance)
        comparisons = Comparison.objects.filter(outcome=instance)
    else:
        results, comparisons = ArmResult.objects.none(), Comparison.objects.none()
    dependants = [row_snapshot(row) for row in [*results, *comparisons]]
    before = {"study": study.pk, **row_snapshot(instance)}
    if dependants:
        before["with"] = dependants
    audit_record(
        review=study.review,
        actor=user,
        action=AuditAction.EXTRACTION_DELETE,
        obj=instance,
        before=before,
    )
    instance.delete()
