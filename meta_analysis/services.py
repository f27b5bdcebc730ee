"""Writes to analyses: defined or changed, deleted, and the studies left out of them. The review's
owners and reviewers define analyses (viewers read them); every write is audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.forms.models import model_to_dict

from extraction.access import ExtractionRefused, check_editor
from extraction.models import Study
from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction
from screening.models import Review

from .inputs import subgroup_choices
from .models import Analysis, AnalysisExclusion

FIELDS = [
    "outcome", "comparison", "measure", "model", "method", "hksj", "benefit", "subgroup_by",
    "convert_medians", "note",
]  # fmt: skip


class AnalysisRefused(ExtractionRefused):
    """The action is not allowed now; `str(error)` is the sentence for the person."""


def _snapshot(analysis: Analysis) -> dict[str, Any]:
    found = model_to_dict(analysis, fields=FIELDS)
    found["left_out"] = {
        str(e.study_id): e.reason for e in AnalysisExclusion.objects.filter(analysis=analysis)
    }
    return found


@transaction.atomic
def analysis_save(
    *,
    review: Review,
    user: AbstractBaseUser | None,
    analysis: Analysis | None = None,
    left_out: dict[int, str] | None = None,
    **fields: Any,
) -> Analysis:
    """Define an analysis, or change one; `left_out` (study id -> reason), when given, replaces
    the studies left out. A study is left out only with a reason."""
    check_editor(review, user)
    review_lock(review)
    analysis = analysis or Analysis(review=review, created_by=user)
    if analysis.review_id != review.pk:
        raise AnalysisRefused("That analysis is of another review.")
    before = _snapshot(analysis) if analysis.pk else None
    for name, value in fields.items():
        if name not in FIELDS:
            raise TypeError(f"analysis_save() got an unexpected field {name!r}")
        setattr(analysis, name, value.strip() if isinstance(value, str) else value)
    if analysis.subgroup_by not in dict(subgroup_choices(review)):
        raise AnalysisRefused("Choose a subgroup the review has.")
    analysis.full_clean(exclude=["review", "created_by"])
    analysis.save()
    if left_out is not None:
        _left_out(analysis, review, left_out)
    after = _snapshot(analysis)
    changed = {k: v for k, v in after.items() if before is None or before.get(k) != v}
    if changed:
        audit_record(
            review=review,
            review_locked=True,
            actor=user,
            action=AuditAction.ANALYSIS_SAVE,
            obj=analysis,
            before={k: before.get(k) for k in changed} if before else None,
            after={"title": str(analysis), **changed},
        )
    return analysis


def _left_out(analysis: Analysis, review: Review, left_out: dict[int, str]) -> None:
    studies = set(
        Study.objects.in_review(review).filter(pk__in=left_out).values_list("pk", flat=True)
    )
    for study_id, reason in left_out.items():
        if study_id not in studies:
            raise AnalysisRefused("That study is not in this review.")
        if not reason.strip():
            raise AnalysisRefused("Say why the study is left out of the analysis.")
    AnalysisExclusion.objects.filter(analysis=analysis).exclude(study_id__in=left_out).delete()
    for study_id, reason in left_out.items():
        AnalysisExclusion.objects.update_or_create(
            analysis=analysis, study_id=study_id, defaults={"reason": reason.strip()[:300]}
        )


@transaction.atomic
def analysis_delete(*, analysis: Analysis, user: AbstractBaseUser | None) -> None:
    check_editor(analysis.review, user)
    review_lock(analysis.review)
    audit_record(
        review=analysis.review,
        review_locked=True,
        actor=user,
        action=AuditAction.ANALYSIS_DELETE,
        obj=analysis,
        before={"title": str(analysis), **_snapshot(analysis)},
    )
    analysis.delete()
