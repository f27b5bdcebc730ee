"""Studies, their reports and their data through the services: validation in words a reviewer
understands, every change audited, and PRISMA counting studies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from extraction.constants import Measure, OutcomeKind
from extraction.models import Arm, ArmResult, Comparison, Outcome, StudyReport
from extraction.selectors import included_studies_count, unlinked_reports
from extraction.services import (
    ExtractionRefused,
    extraction_delete,
    extraction_save,
    report_link,
    report_set_primary,
    report_unlink,
    reports_link,
    study_create,
)
from extraction.suggestions import acronyms, suggestions
from screening.audit.chain import audit_chain_verify
from screening.constants import AuditAction
from screening.models import AuditEvent
from screening.prisma.counts import prisma_report

pytestmark = pytest.mark.django_db


def actions(review) -> list[str]:
    return list(
        AuditEvent.objects.filter(review=review).order_by("seq").values_list("action", flat=True)
    )


def test_prisma_counts_studies_once_reports_are_grouped(review, owner, included):
    assert prisma_report(review).new_studies == 4  # each report a study of its own
    study_create(review=review, user=owner, name="HARMONi-2", acronym="HARMONi-2",
                 reports=included[:2])  # fmt: skip
    report = prisma_report(review)
    assert (report.new_reports, report.new_studies) == (4, 3)
    assert included_studies_count(review) == 3
    assert list(unlinked_reports(review)) == sorted(included[2:], key=lambda r: (r.year, r.pk))


def test_the_first_report_is_primary_and_the_next_takes_over_when_it_goes(review, owner, included):
    study = study_create(review=review, user=owner, name="HARMONi-2", reports=included[:2])
    first, second = study.links.order_by("id")
    assert (first.primary, second.primary) == (True, False)
    report_set_primary(link=second, user=owner)
    first.refresh_from_db()
    assert not first.primary and StudyReport.objects.get(pk=second.pk).primary
    report_unlink(link=StudyReport.objects.get(pk=second.pk), user=owner)
    assert StudyReport.objects.get(pk=first.pk).primary
    assert actions(review)[-3:] == [AuditAction.REPORT_LINK, AuditAction.REPORT_PRIMARY,
                                    AuditAction.REPORT_UNLINK]  # fmt: skip


def test_only_included_reports_join_a_study(review, owner, included, import_text):
    other = import_text("TY  - JOUR\nTI  - Not screened\nPY  - 2024\nER  - \n", name="x.ris")
    study = study_create(review=review, user=owner, name="HARMONi-A")
    with pytest.raises(ExtractionRefused, match="included at full text"):
        report_link(study=study, reference=other.records.get().reference, user=owner)


def test_linking_a_report_elsewhere_moves_it(review, owner, included):
    a = study_create(review=review, user=owner, name="A", reports=[included[0]])
    b = study_create(review=review, user=owner, name="B")
    report_link(study=b, reference=included[0], user=owner)
    assert StudyReport.objects.get(reference=included[0]).study == b
    assert not a.links.exists()
    moved = AuditEvent.objects.filter(action=AuditAction.REPORT_LINK).order_by("seq").last()
    assert moved.before == {"study": a.pk, "primary": True}


@pytest.fixture
def harmoni_a(review, owner, included):
    study = study_create(review=review, user=owner, name="HARMONi-A", reports=[included[2]],
                         number_randomised=322)  # fmt: skip
    report = included[2]
    ivo = extraction_save(instance=Arm(study=study), user=owner, label="Ivonescimab + chemo",
                          intervention="20 mg/kg IV every 3 weeks", report=report)  # fmt: skip
    placebo = extraction_save(instance=Arm(study=study), user=owner, label="Placebo + chemo",
                              comparator=True, report=report, position=1)  # fmt: skip
    orr = extraction_save(instance=Outcome(study=study), user=owner,
                          name="Objective response rate", kind=OutcomeKind.PROPORTION)  # fmt: skip
    return study, report, ivo, placebo, orr


def test_values_are_validated_in_words(harmoni_a, owner):
    study, report, ivo, placebo, orr = harmoni_a
    cases = [
        ({"value": Decimal("50.6"), "ci_low": Decimal("58.6"), "ci_high": Decimal("42.6")},
         "lower bound (58.6) is above the upper bound (42.6)"),
        ({"value": Decimal("60.0"), "ci_low": Decimal("42.6"), "ci_high": Decimal("58.6")},
         "above the upper bound of its interval"),
        ({"value": Decimal("120")}, "between 0 and 100"),
        ({"value": Decimal("50"), "ci_low": Decimal("40")}, "both bounds"),
        ({"events": 12, "n": 10}, "more events (12) than patients (10)"),
    ]  # fmt: skip
    for fields, words in cases:
        with pytest.raises(ValidationError) as error:
            extraction_save(instance=ArmResult(outcome=orr, arm=ivo, report=report), user=owner,
                            **fields)  # fmt: skip
        assert words in str(error.value), fields
    with pytest.raises(ValidationError, match="above 0"):
        extraction_save(instance=Comparison(outcome=orr, arm=ivo, comparator=placebo),
                        user=owner, measure=Measure.ODDS_RATIO, estimate=Decimal("-1"),
                        report=report)  # fmt: skip
    assert not ArmResult.objects.exists() and not Comparison.objects.exists()


def test_a_value_comes_from_one_of_the_studys_reports(harmoni_a, owner, included):
    study, report, ivo, placebo, orr = harmoni_a
    with pytest.raises(ValidationError, match="not one of this study's"):
        extraction_save(instance=ArmResult(outcome=orr, arm=ivo), user=owner,
                        value=Decimal("50.6"), report=included[3])  # fmt: skip
    with pytest.raises(ExtractionRefused, match="come from that report"):
        report_unlink(link=study.links.get(), user=owner)


def test_extraction_edits_are_audited_with_what_changed(harmoni_a, owner, review):
    study, report, ivo, placebo, orr = harmoni_a
    result = extraction_save(instance=ArmResult(outcome=orr, arm=ivo, report=report), user=owner,
                             value=Decimal("50.6"), ci_low=Decimal("42.6"),
                             ci_high=Decimal("58.6"))  # fmt: skip
    extraction_save(instance=result, user=owner, ci_high=Decimal("58.7"))
    edit = AuditEvent.objects.filter(action=AuditAction.EXTRACTION_EDIT).order_by("seq").last()
    assert (edit.before, edit.after) == (
        {"ci_high": "58.6"},
        {"study": study.pk, "ci_high": "58.7"},
    )
    extraction_delete(instance=ivo, user=owner)
    deleted = AuditEvent.objects.filter(action=AuditAction.EXTRACTION_DELETE).get()
    assert deleted.before["label"] == "Ivonescimab + chemo" and len(deleted.before["with"]) == 1
    assert not ArmResult.objects.exists()
    assert audit_chain_verify(review)[1] is None


def test_outsiders_and_viewers_do_not_edit(review, included, outsider):
    with pytest.raises(ExtractionRefused):
        study_create(review=review, user=outsider, name="X")


def test_acronyms_are_trial_names_not_drug_codes():
    assert acronyms("Primary Analysis of HARMONI-2 and KEYNOTE-189 (CheckMate 227)") == [
        "HARMONI-2", "KEYNOTE-189", "CheckMate 227"]  # fmt: skip
    assert acronyms("AK112 (SMT112), a PD-1/VEGF bispecific, in COVID-19 times") == []


def test_reports_sharing_an_acronym_or_registry_id_are_suggested(review, owner, included):
    found = suggestions(review)
    assert [(s.key.upper(), s.why, sorted(r.pk for r in s.reports)) for s in found] == [
        ("HARMONI-2", "the same trial acronym in the title",
         sorted([included[0].pk, included[1].pk]))
    ]  # fmt: skip
    study = study_create(review=review, user=owner, name="HARMONi-A", registry_ids=["NCT05184712"])
    by_study = [s for s in suggestions(review) if s.study == study]
    assert [r.pk for r in by_study[0].reports] == [included[2].pk]


def test_an_outcome_cannot_change_kind_under_results_that_no_longer_fit(harmoni_a, owner):
    study, report, ivo, placebo, orr = harmoni_a
    quality = extraction_save(instance=Outcome(study=study), user=owner, name="Quality of life",
                              kind=OutcomeKind.CONTINUOUS, unit="points")  # fmt: skip
    extraction_save(instance=ArmResult(outcome=quality, arm=ivo, report=report), user=owner,
                    value=Decimal("150"))  # fmt: skip
    with pytest.raises(ValidationError, match="do not fit this kind.*between 0 and 100"):
        extraction_save(instance=quality, user=owner, kind=OutcomeKind.PROPORTION)
    assert Outcome.objects.get(pk=quality.pk).kind == OutcomeKind.CONTINUOUS


def test_several_reports_join_a_study_all_or_none(review, owner, included, import_text):
    study = study_create(review=review, user=owner, name="HARMONi-2")
    stray = import_text("TY  - JOUR\nTI  - Not screened\nPY  - 2024\nER  - \n", name="x.ris")
    with pytest.raises(ExtractionRefused):
        reports_link(study=study, references=[included[0], stray.records.get().reference],
                     user=owner)  # fmt: skip
    assert not study.links.exists()
    reports_link(study=study, references=included[:2], user=owner)
    assert study.links.count() == 2
