"""load_demo builds the worked example (ivonescimab-review.md) from the files the repository
ships, and its PRISMA numbers, computed from records and decisions, are the article's."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from extraction.methods import methods_paragraph
from extraction.models import ArmResult, Entry, Study
from grade.selectors import sof_rows
from screening.audit.chain import audit_chain_verify
from screening.constants import AuditAction, DecisionKind, ItemState, Stage
from screening.decisions.items import cache_differences
from screening.models import (
    AuditEvent,
    Decision,
    DuplicateCandidate,
    Label,
    Post,
    Record,
    ReferenceLabel,
    ScreeningItem,
)
from tests.meta_analysis.test_analyses import dersimonian_laird
from tests.module_data import module_transaction

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module (tests/module_data.py); its media folder."""
    with module_transaction(django_db_blocker, tmp_path_factory, "demo") as media:
        run("load_demo")
        yield media


@pytest.fixture
def demo(db, settings, demo_module):
    settings.MEDIA_ROOT = str(demo_module)
    return Study.objects.filter(review__slug="ivonescimab")


def test_the_prisma_numbers_are_the_articles(demo):
    counts = json.loads(run("prisma", "ivonescimab"))
    assert {
        key: counts[key]
        for key in (
            "database_results", "duplicates", "records_screened", "records_excluded",
            "dbr_sought_reports", "dbr_notretrieved_reports", "dbr_assessed", "website_results",
            "other_sought_reports", "other_assessed", "new_reports", "new_studies",
        )
    } == {
        "database_results": 133, "duplicates": 0, "records_screened": 133,
        "records_excluded": 91, "dbr_sought_reports": 42, "dbr_notretrieved_reports": 0,
        "dbr_assessed": 42, "website_results": 5, "other_sought_reports": 5,
        "other_assessed": 5, "new_reports": 15, "new_studies": 13,
    }  # fmt: skip
    assert counts["dbr_excluded"] == [
        {"reason": "Excluded at full text (the published review gives no reasons)", "n": 32}
    ]
    assert counts["other_excluded"] == [] and counts["errors"] == []
    assert not any(counts["pending"].values())


def test_the_91_exclusions_use_the_articles_three_reasons(demo):
    excluded = ScreeningItem.objects.filter(
        review__slug="ivonescimab", stage=Stage.TITLE_ABSTRACT, state=ItemState.EXCLUDED
    )
    by_reason = sorted(excluded.values_list("reason__label", flat=True))
    assert {label: by_reason.count(label) for label in set(by_reason)} == {
        "No open-access full text": 31,
        "Low quality or unclear methodology": 30,
        "Different subject area": 30,
    }


def test_unidentified_records_are_marked_placeholders_that_never_merge(demo):
    records = Record.objects.filter(review__slug="ivonescimab", search__file_name="databases.ris")
    placeholders = records.filter(
        reference__title__endswith="not identified in the published review"
    )
    assert placeholders.count() == 123
    assert records.values("reference").distinct().count() == 133
    assert not DuplicateCandidate.objects.filter(review__slug="ivonescimab").exists()
    included = ScreeningItem.objects.filter(
        review__slug="ivonescimab", stage=Stage.FULL_TEXT, state=ItemState.INCLUDED
    )
    assert not included.filter(reference__title__contains="not identified").exists()


def test_some_disagreements_were_resolved_by_the_owner(demo):
    resolutions = Decision.objects.filter(review__slug="ivonescimab", kind=DecisionKind.RESOLUTION)
    assert resolutions.count() == 6
    assert set(resolutions.values_list("reviewer__username", flat=True)) == {"demo"}
    assert set(resolutions.values_list("stage", flat=True)) == {
        Stage.TITLE_ABSTRACT,
        Stage.FULL_TEXT,
    }


def test_studies_hold_their_reports_and_the_articles_values(demo):
    assert demo.count() == 13
    harmoni_3 = demo.get(acronym="HARMONi-3")
    assert (harmoni_3.registry_ids, harmoni_3.status) == (["NCT05899608"], "recruiting")
    harmoni_2 = demo.get(acronym="HARMONi-2")
    assert [link.reference.pmid for link in harmoni_2.links.all()] == ["40057343", ""]
    assert harmoni_2.links.get(primary=True).reference.journal == "Lancet"
    orr = ArmResult.objects.reported().filter(outcome__study__acronym="HARMONi-A",
                                              outcome__name="Objective response rate")  # fmt: skip
    assert sorted((r.value, r.ci_low, r.ci_high, r.report.pmid) for r in orr) == [
        (Decimal("35.4"), Decimal("28.0"), Decimal("43.3"), "38820549"),
        (Decimal("50.6"), Decimal("42.6"), Decimal("58.6"), "38820549"),
    ]
    pfs = ArmResult.objects.reported().get(outcome__study=harmoni_2, arm__label="Ivonescimab",
                                           outcome__name="Progression-free survival")  # fmt: skip
    assert pfs.value == 11 and "approximately 11 months" in pfs.note
    documents = demo.filter(kind="document")
    assert documents.count() == 3 and not documents.filter(arms__isnull=False).exists()


def test_two_trials_are_double_extracted_and_their_disagreements_settled_by_the_owner(demo):
    """HARMONi-A and HARMONi-2: an entry by each demo reviewer, submitted; one value differs
    in each; the owner's consensus holds the article's value, linked to both entries."""
    entries = Entry.objects.filter(study__in=demo).select_related("study", "extractor")
    assert sorted((e.study.acronym, e.extractor.username, e.submitted) for e in entries) == [
        ("HARMONi-2", "demo-reviewer", True), ("HARMONi-2", "demo-second", True),
        ("HARMONi-A", "demo-reviewer", True), ("HARMONi-A", "demo-second", True),
    ]  # fmt: skip
    settled = AuditEvent.objects.filter(action=AuditAction.ENTRY_CONSENSUS).exclude(
        after__disagreed=[]
    )
    assert sorted(e.after["row"] for e in settled) == [
        "Objective response rate: Pembrolizumab",
        "Objective response rate: Placebo + chemotherapy",
    ]
    assert {e.actor.username for e in settled} == {"demo"}
    placebo = ArmResult.objects.reported().get(
        outcome__study__acronym="HARMONi-A", arm__label="Placebo + chemotherapy",
        outcome__name="Objective response rate",
    )  # fmt: skip
    assert placebo.ci_high == Decimal("43.3")
    assert sorted(s.ci_high for s in placebo.sources.all()) == [Decimal("43.0"), Decimal("43.3")]
    paragraph = methods_paragraph(demo.first().review)
    assert "Data were extracted from 10 studies." in paragraph
    assert (
        "HARMONi-2 and HARMONi-A were extracted independently (two studies by two reviewers)"
        in (paragraph)
    )
    assert "disagreed on two values in two rows, resolved by consensus (demo)" in paragraph
    assert "were extracted without independent entries (8 studies by one person)" in paragraph


def test_the_demo_has_labels_for_every_lists_filter_and_a_post(demo):
    uses = {
        name: sorted(
            ReferenceLabel.objects.filter(label__name=name).values_list(
                "reference__journal", flat=True
            )
        )
        for name in ("Conference abstract", "Grey literature", "Read again")
    }
    assert uses["Conference abstract"] == ["J Clin Oncol", "J Clin Oncol", "J Thorac Oncol"]
    assert len(uses["Grey literature"]) == 5  # the manufacturer's pages and the registry's
    assert uses["Read again"] == ["Cureus"]
    assert Label.objects.get(name="Read again").private
    post = Post.objects.get()
    assert post.reference.title.startswith("PL02.04") and post.author.username == "demo-reviewer"


def test_the_demo_assesses_two_results_for_risk_of_bias_as_demo_data(demo):
    body = json.loads(run("export_risk_of_bias", "ivonescimab", "--format", "json"))
    assert body["tool"] == "RoB 2" and body["note"].startswith("Demo data")
    found = [(e["study"], e["result"], e["assessor"]) for e in body["assessments"]]
    assert found == [
        (study, "Progression-free survival", who)
        for study in ("HARMONi-2", "HARMONi-A")
        for who in ("demo-reviewer", "demo-second", "consensus")
    ]
    for study in ("HARMONi-2", "HARMONi-A"):
        first, second, consensus = (e for e in body["assessments"] if e["study"] == study)
        assert first["domains"][4]["judgement"] == "low"
        assert second["domains"][4]["judgement"] == "some concerns"  # 5.1 NI: a disagreement
        assert consensus["overall"]["judgement"] == "low"
    csv_rows = run("export_risk_of_bias", "ivonescimab", "--format", "csv").splitlines()
    assert csv_rows[1].startswith("HARMONi-2 · Progression-free survival (demo data),Low")


def test_the_demo_is_consistent_and_loads_once(demo):
    review = demo.first().review
    assert cache_differences(review) == []
    assert audit_chain_verify(review)[1] is None
    counts = (Decision.objects.count(), AuditEvent.objects.count(), Study.objects.count())
    output = run("load_demo")
    assert (Decision.objects.count(), AuditEvent.objects.count(), Study.objects.count()) == counts
    assert "ivonescimab" in output and "demo-screening" in output


def test_load_demo_refuses_under_production_settings(demo, settings):
    settings.DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        run("load_demo")


def test_the_demo_pools_the_response_rates_as_a_labelled_demonstration(demo):
    """The ORR of HARMONi-A and HARMONi-2 as risk ratios, random effects (DerSimonian-Laird),
    from the arm sizes of the trials' primary reports: the by-hand DL result, and the note."""
    found = json.loads(run("meta_analysis", "ivonescimab", "--format", "json"))["analyses"]
    assert len(found) == 1
    analysis = found[0]
    assert (analysis["measure"], analysis["model"], analysis["method"]) == ("RR", "random", "DL")
    assert analysis["note"].startswith("A demonstration, not a clinical claim")
    pooled, se, tau2, _, weights = dersimonian_laird(
        [((81, 161), (57, 161)), ((99, 198), (77, 200))]
    )
    assert analysis["pooled"]["estimate"] == pytest.approx(math.exp(pooled), abs=1e-6)
    assert analysis["tau2"] == pytest.approx(tau2, abs=1e-6)
    assert [s["study"] for s in analysis["studies"]] == ["HARMONi-2", "HARMONi-A"]
    assert sorted(s["weight"] for s in analysis["studies"]) == pytest.approx(
        sorted(weights), abs=0.01
    )
    not_pooled = {s["study"]: s["reason"] for s in analysis["not_pooled"]}
    assert all("no events and total" in reason for reason in not_pooled.values())


def test_the_demo_grades_its_pooled_outcome_low_with_each_downgrade_footnoted(demo):
    (row,) = sof_rows(demo.first().review)
    assert row.certainty == "low"
    downgrades = {j.domain: j for j in row.judgements if j.level and j.level < 0}
    assert set(downgrades) == {"indirectness", "imprecision"}
    assert all(j.footnote and j.footnote_mark for j in downgrades.values())
    assert {j.domain: j.proposed for j in row.judgements}["imprecision"] == -1  # as proposed
