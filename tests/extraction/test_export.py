"""The extraction export: one CSV row per arm result and per comparison, each with the report it
came from; the JSON of studies and rows; the command and the download; few queries at any size."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from extraction.constants import Measure, OutcomeKind, Phase, StudyKind, StudyStatus
from extraction.export import COLUMNS, csv_text, export_json
from extraction.models import Arm, ArmResult, Comparison, Outcome, Study, StudyReport
from extraction.services import extraction_save, study_create
from references.models import Reference

pytestmark = pytest.mark.django_db
D = Decimal


def trials(review, owner, included) -> dict:
    """HARMONi-2 (two reports: the Lancet paper, primary, and the conference abstract),
    HARMONi-A, and the phase Ib study as a document without data; their values as the papers
    and the worked example give them."""

    def save(instance, **fields):
        return extraction_save(instance=instance, user=owner, **fields)

    lancet, abstract, jama, phase1b = included
    h2 = study_create(
        review=review, user=owner, name="Xiong 2025 (HARMONi-2)", acronym="HARMONi-2",
        reports=[lancet, abstract], registry_ids=["NCT05499390"], phase=Phase.PHASE_3,
        randomised=True, blinding="double", setting="55 hospitals", countries="China",
        number_randomised=398, status=StudyStatus.ACTIVE,
    )  # fmt: skip
    ivo = save(Arm(study=h2), label="Ivonescimab", intervention="20 mg/kg IV every 3 weeks",
               number_randomised=198, report=lancet)  # fmt: skip
    pembro = save(Arm(study=h2), label="Pembrolizumab", comparator=True, position=1,
                  intervention="200 mg IV every 3 weeks", number_randomised=200,
                  report=lancet)  # fmt: skip
    pfs = save(Outcome(study=h2), name="Progression-free survival",
               kind=OutcomeKind.TIME_TO_EVENT, timepoint="2024-11-29")  # fmt: skip
    save(ArmResult(outcome=pfs, arm=ivo, report=lancet), value=D("11.14"), page="1215")
    save(ArmResult(outcome=pfs, arm=pembro, report=lancet), value=D("5.82"),
         ci_low=D("5.03"), ci_high=D("8.21"))  # fmt: skip
    save(Comparison(outcome=pfs, arm=ivo, comparator=pembro, report=lancet),
         measure=Measure.HAZARD_RATIO, estimate=D("0.51"), ci_low=D("0.38"), ci_high=D("0.69"),
         p_value="<0.0001", page="1215", quote="stratified HR 0·51 (95% CI 0·38–0·69)")  # fmt: skip
    orr = save(Outcome(study=h2), name="Objective response rate", kind=OutcomeKind.PROPORTION,
               position=1)  # fmt: skip
    save(ArmResult(outcome=orr, arm=ivo, report=abstract), value=D("50.0"), ci_low=D("43"),
         ci_high=D("57"), events=99, n=198)  # fmt: skip
    save(ArmResult(outcome=orr, arm=pembro, report=abstract), value=D("38.5"),
         ci_low=D("32"), ci_high=D("46"), note="=the abstract rounds to 39%")  # fmt: skip

    ha = study_create(review=review, user=owner, name="Fang 2024 (HARMONi-A)",
                      acronym="HARMONi-A", reports=[jama], registry_ids=["NCT05184712"],
                      phase=Phase.PHASE_3, number_randomised=322)  # fmt: skip
    ivo_a = save(Arm(study=ha), label="Ivonescimab + chemotherapy", report=jama)
    placebo = save(Arm(study=ha), label="Placebo + chemotherapy", comparator=True, position=1,
                   report=jama)  # fmt: skip
    pfs_a = save(Outcome(study=ha), name="progression-free survival",
                 kind=OutcomeKind.TIME_TO_EVENT)  # fmt: skip
    save(Comparison(outcome=pfs_a, arm=ivo_a, comparator=placebo, report=jama),
         measure=Measure.HAZARD_RATIO, estimate=D("0.46"), ci_low=D("0.34"), ci_high=D("0.62"),
         p_value="<0.001")  # fmt: skip
    orr_a = save(Outcome(study=ha), name="Objective response rate", kind=OutcomeKind.PROPORTION)
    save(ArmResult(outcome=orr_a, arm=ivo_a, report=jama), value=D("50.6"), ci_low=D("42.6"),
         ci_high=D("58.6"))  # fmt: skip
    save(ArmResult(outcome=orr_a, arm=placebo, report=jama), value=D("35.4"), ci_low=D("28.0"),
         ci_high=D("43.3"))  # fmt: skip
    qol = save(Outcome(study=ha), name="Quality of life", kind=OutcomeKind.CONTINUOUS,
               unit="points", position=2)  # fmt: skip
    save(Comparison(outcome=qol, arm=ivo_a, comparator=placebo, report=jama),
         measure=Measure.MEAN_DIFFERENCE, estimate=D("-1.5"), ci_low=D("-3.0"),
         ci_high=D("0"))  # fmt: skip

    document = study_create(review=review, user=owner, name="Wang 2024 (phase Ib)",
                            kind=StudyKind.DOCUMENT, reports=[phase1b])  # fmt: skip
    return {"harmoni2": h2, "harmonia": ha, "document": document}


def more_studies(review, count: int, start: int = 0) -> None:
    """`count` more studies, each with two arms, two outcomes, four arm results and one
    comparison; written straight to the tables, since only their number matters here."""
    for i in range(start, start + count):
        report = Reference.objects.create(title=f"Trial {i}", authors=["Doe, J"], year=2024)
        study = Study.objects.create(review=review, name=f"Trial {i:03}")
        StudyReport.objects.create(review=review, study=study, reference=report, primary=True)
        arm = Arm.objects.create(study=study, label="Drug", report=report)
        control = Arm.objects.create(study=study, label="Placebo", comparator=True, report=report)
        for name in ("Progression-free survival", "Objective response rate"):
            outcome = Outcome.objects.create(study=study, name=name, kind=OutcomeKind.PROPORTION)
            for which in (arm, control):
                ArmResult.objects.create(outcome=outcome, arm=which, report=report, value=D(i))
        Comparison.objects.create(
            outcome=outcome, arm=arm, comparator=control, report=report,
            measure=Measure.RISK_RATIO, estimate=D("0.8"), ci_low=D("0.6"), ci_high=D("1.1"),
        )  # fmt: skip


@pytest.fixture
def data(review, owner, included):
    return trials(review, owner, included)


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_csv_has_a_row_per_arm_result_and_per_comparison_with_its_report(
    review, data, included
):
    rows = read_csv(csv_text(review))
    assert list(rows[0]) == COLUMNS
    assert len(rows) == ArmResult.objects.count() + Comparison.objects.count() == 9
    assert [(r["acronym"], r["outcome"], r["row_kind"], r["arm"]) for r in rows] == [
        ("HARMONi-A", "progression-free survival", "comparison", "Ivonescimab + chemotherapy"),
        ("HARMONi-A", "Objective response rate", "arm_result", "Ivonescimab + chemotherapy"),
        ("HARMONi-A", "Objective response rate", "arm_result", "Placebo + chemotherapy"),
        ("HARMONi-A", "Quality of life", "comparison", "Ivonescimab + chemotherapy"),
        ("HARMONi-2", "Progression-free survival", "arm_result", "Ivonescimab"),
        ("HARMONi-2", "Progression-free survival", "arm_result", "Pembrolizumab"),
        ("HARMONi-2", "Progression-free survival", "comparison", "Ivonescimab"),
        ("HARMONi-2", "Objective response rate", "arm_result", "Ivonescimab"),
        ("HARMONi-2", "Objective response rate", "arm_result", "Pembrolizumab"),
    ]  # studies in name order: Fang 2024 (HARMONi-A), Xiong 2025 (HARMONi-2)
    hr = rows[6]
    assert {k: hr[k] for k in ("acronym", "registry_ids", "phase", "status", "comparator",
                               "measure", "estimate", "ci_low", "ci_high", "p", "page")} == {
        "acronym": "HARMONi-2", "registry_ids": "NCT05499390", "phase": "Phase III",
        "status": "Active, not recruiting", "comparator": "Pembrolizumab", "measure": "hr",
        "estimate": "0.51", "ci_low": "0.38", "ci_high": "0.69", "p": "<0.0001", "page": "1215",
    }  # fmt: skip
    assert hr["quote"] == "stratified HR 0·51 (95% CI 0·38–0·69)"
    assert hr["intervention"] == "20 mg/kg IV every 3 weeks" and hr["arm_n"] == "198"
    # Each row names the report its numbers came from: the paper, or the conference abstract.
    lancet, abstract = included[0], included[1]
    assert (hr["report_id"], hr["report"], hr["report_doi"]) == (
        str(lancet.pk),
        lancet.citation,
        "10.1016/harmoni2.lancet",
    )
    assert rows[7]["report_id"] == str(abstract.pk) and rows[7]["report_doi"].endswith("abstract")
    # Numbers as typed; the control arm said so; blanks blank.
    orr = rows[7]
    assert (orr["value"], orr["ci_low"], orr["ci_high"], orr["events"], orr["n"]) == (
        "50",
        "43",
        "57",
        "99",
        "198",
    )
    assert rows[2]["value"] == "35.4" and rows[2]["ci_low"] == "28"
    assert (rows[4]["control_arm"], rows[5]["control_arm"]) == ("no", "yes")
    assert rows[4]["ci_low"] == rows[4]["measure"] == ""
    # Negative numbers stay numbers; text that starts like a formula is kept as text.
    assert (rows[3]["estimate"], rows[3]["ci_low"], rows[3]["unit"]) == ("-1.5", "-3", "points")
    assert rows[8]["note"] == "'=the abstract rounds to 39%"


def test_the_json_holds_every_study_with_its_reports_and_the_rows(review, data, included):
    exported = export_json(review)
    assert set(exported) == {"studies", "rows"}
    json.dumps(exported)  # plain JSON
    studies = {s["name"]: s for s in exported["studies"]}
    assert list(studies) == ["Fang 2024 (HARMONi-A)", "Wang 2024 (phase Ib)",
                             "Xiong 2025 (HARMONi-2)"]  # fmt: skip
    h2 = studies["Xiong 2025 (HARMONi-2)"]
    assert {k: h2[k] for k in ("id", "acronym", "kind", "registry_ids", "phase", "design",
                               "setting", "countries", "number_randomised", "status")} == {
        "id": data["harmoni2"].pk, "acronym": "HARMONi-2", "kind": "trial",
        "registry_ids": ["NCT05499390"], "phase": "3",
        "design": {"randomised": True, "blinding": "double"}, "setting": "55 hospitals",
        "countries": "China", "number_randomised": 398, "status": "active",
    }  # fmt: skip
    assert h2["reports"] == [
        {"reference_id": r.pk, "citation": r.citation, "pmid": r.pmid, "doi": r.doi,
         "primary": primary}
        for r, primary in ((included[0], True), (included[1], False))
    ]  # fmt: skip
    assert [a["label"] for a in h2["arms"]] == ["Ivonescimab", "Pembrolizumab"]
    document = studies["Wang 2024 (phase Ib)"]
    assert document["kind"] == "document" and document["reports"][0]["reference_id"] == (
        included[3].pk
    )
    assert document["arms"] == document["outcomes"] == []
    # The rows are the CSV's, as dicts: numbers as numbers, blanks as null.
    rows = exported["rows"]
    assert [list(row) for row in rows] == [COLUMNS] * 9
    csv_rows = read_csv(csv_text(review))
    assert [r["row_kind"] for r in rows] == [r["row_kind"] for r in csv_rows]
    hr = rows[6]
    assert (hr["estimate"], hr["ci_low"], hr["ci_high"], hr["p"]) == (0.51, 0.38, 0.69, "<0.0001")
    assert (rows[7]["value"], rows[7]["events"], rows[4]["ci_low"]) == (50, 99, None)
    assert rows[3]["estimate"] == -1.5


def test_the_command_writes_both_formats_to_stdout_and_to_a_file(review, data, tmp_path):
    out = StringIO()
    call_command("export_extraction", review.slug, stdout=out)
    assert read_csv(out.getvalue()) == read_csv(csv_text(review))
    out = StringIO()
    call_command("export_extraction", str(review.pk), "--format", "json", stdout=out)
    assert json.loads(out.getvalue()) == json.loads(json.dumps(export_json(review)))
    for fmt in ("csv", "json"):
        path = tmp_path / f"extraction.{fmt}"
        err = StringIO()
        call_command("export_extraction", review.slug, "--format", fmt, "--output", str(path),
                     stdout=StringIO(), stderr=err)  # fmt: skip
        assert f"Wrote {path}" in err.getvalue()
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        if fmt == "csv":
            assert len(read_csv(text)) == 9
            assert raw.count(b"\r\n") == 10  # the csv module's line ends, unchanged
        else:
            assert len(json.loads(text)["studies"]) == 3


def test_the_command_says_what_is_wrong(review, tmp_path):
    with pytest.raises(CommandError, match="No review 'nope'"):
        call_command("export_extraction", "nope")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_extraction", review.slug, "--output", str(tmp_path / "no" / "x.csv"))


def test_an_empty_review_exports_a_header_and_no_studies(review):
    assert read_csv(csv_text(review)) == []
    assert csv_text(review).removeprefix("\ufeff").startswith(",".join(COLUMNS))
    assert export_json(review) == {"studies": [], "rows": []}


def test_the_download_gives_the_same_files_to_members_only(
    review, data, client_reviewer, client_outsider
):
    url = reverse("extraction:export", args=[review.slug])
    response = client_reviewer.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ivonescimab-')
    assert response.content.decode() == csv_text(review)
    response = client_reviewer.get(url, {"format": "json"})
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    assert (
        json.loads(response.content)["rows"] == json.loads(json.dumps(export_json(review)))["rows"]
    )
    assert client_reviewer.get(url, {"format": "xml"}).status_code == 400
    assert client_outsider.get(url).status_code == 404


def test_the_export_costs_the_same_queries_at_any_size(
    review, data, client_owner, django_assert_max_num_queries
):
    url = reverse("extraction:export", args=[review.slug])
    with django_assert_max_num_queries(12) as small:
        export_json(review)
    with django_assert_max_num_queries(20) as small_page:
        client_owner.get(url)
    more_studies(review, 25)
    assert len(export_json(review)["rows"]) == 9 + 25 * 5
    with django_assert_max_num_queries(len(small.captured_queries)):
        export_json(review)
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert len(read_csv(client_owner.get(url).content.decode())) == 9 + 25 * 5
