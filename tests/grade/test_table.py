"""The summary-of-findings table from the review's analyses: proposals from the data, a person's
decisions (a downgrade without a footnote refused in words), the certainty, the absolute
effect from the control arms, and the table as a page, a Word document and CSV."""

from __future__ import annotations

import csv
import io

import docx
import pytest
from django.urls import reverse

from grade.models import Certainty
from grade.selectors import sof_rows
from grade.services import GradeRefused, certainty_save
from meta_analysis.services import analysis_save
from screening.constants import AuditAction
from screening.models import AuditEvent
from tests.meta_analysis.test_analyses import ORR, TRIALS, _trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysis(review, owner, included):
    for name, index, experimental, control, hr in TRIALS:
        _trial(review, owner, included[index], name, experimental, control, hr)
    return analysis_save(review=review, user=owner, outcome=ORR, measure="RR", model="random",
                         method="DL", benefit=True)  # fmt: skip


def test_proposals_decisions_and_the_certainty(review, owner, analysis):
    (row,) = sof_rows(review)
    by_domain = {j.domain: j for j in row.judgements}
    assert by_domain["inconsistency"].proposed == 0  # I² = 0
    assert by_domain["imprecision"].proposed is None  # no thresholds yet
    assert by_domain["risk_of_bias"].proposed is None  # not assessed
    assert row.certainty == ""  # nothing confirmed yet
    assert (row.participants, row.studies) == (161 + 161 + 198 + 200, 2)
    # The control risk from the control arms: (57 + 77) / (161 + 200) per 1,000.
    assert row.absolute.control_per_1000 == pytest.approx(1000 * 134 / 361)

    with pytest.raises(GradeRefused, match="Indirectness: a downgrade needs a footnote"):
        certainty_save(analysis=analysis, user=owner, decisions={"indirectness": (-1, " ")})
    with pytest.raises(GradeRefused, match="only evidence from non-randomised studies"):
        certainty_save(analysis=analysis, user=owner, decisions={"large_effect": (1, "big")})
    certainty_save(analysis=analysis, user=owner, threshold_low="0.8", threshold_high="1,25")
    (row,) = sof_rows(review)
    assert {j.domain: j.proposed for j in row.judgements}["imprecision"] == -1
    with pytest.raises(GradeRefused, match="Imprecision: say in a footnote why you judge it"):
        certainty_save(analysis=analysis, user=owner, threshold_low="0.8",
                       threshold_high="1.25", decisions={"imprecision": (0, "")})  # fmt: skip
    certainty_save(
        analysis=analysis, user=owner, threshold_low="0.8", threshold_high="1.25",
        decisions={
            "risk_of_bias": (0, ""), "inconsistency": (0, ""), "publication_bias": (0, ""),
            "indirectness": (-1, "Different comparators."),
            "imprecision": (-1, "The CI crosses 1.25."),
        },
    )  # fmt: skip
    (row,) = sof_rows(review)
    assert row.certainty == "low" and row.symbols == "⊕⊕◯◯"
    assert row.footnotes == [("a", "Different comparators."), ("b", "The CI crosses 1.25.")]
    assert AuditEvent.objects.filter(action=AuditAction.GRADE_SAVE).count() == 2
    assert Certainty.objects.get().threshold_high == 1.25


def test_the_table_as_a_page_a_word_document_and_csv(review, owner, analysis, client_owner):
    certainty_save(
        analysis=analysis, user=owner, control_per_1000="400", threshold_low="0.8",
        threshold_high="1.25",
        decisions={
            "risk_of_bias": (0, ""), "inconsistency": (0, ""), "publication_bias": (0, ""),
            "indirectness": (-1, "Different comparators."), "imprecision": (-1, "Wide CI."),
        },
    )  # fmt: skip
    page = client_owner.get(reverse("grade:table", args=[review.slug])).content.decode()
    assert "⊕⊕◯◯ LOW (ab)" in page and "Different comparators." in page
    assert "400 per 1,000 (assumed by the review team)" in page
    assert 'value="0.8"' in page and 'value="1.25"' in page  # as typed, not 0.8000
    word = client_owner.get(reverse("grade:export", args=[review.slug, "docx"]))
    document = docx.Document(io.BytesIO(word.content))
    cells = [cell.text for cell in document.tables[0].rows[1].cells]
    assert cells[0].startswith(ORR) and cells[5] == "⊕⊕◯◯ LOW (ab)"
    assert any(p.text == "a. Different comparators." for p in document.paragraphs)
    text = client_owner.get(reverse("grade:export", args=[review.slug, "csv"])).content
    rows = list(csv.DictReader(io.StringIO(text.decode().lstrip("\ufeff"))))
    assert {r["Domain"]: r["Decided"] for r in rows}["Imprecision"] == "-1"
    assert client_owner.get(reverse("grade:export", args=[review.slug, "pdf"])).status_code == 404


def test_a_decision_posted_on_the_page_and_a_refusal_in_words(
    review, owner, analysis, client_owner, client_outsider
):
    url = reverse("grade:certainty", args=[review.slug, analysis.pk])
    response = client_owner.post(url, {"design": "randomised", "level-indirectness": "-1",
                                       "footnote-indirectness": ""}, follow=True)  # fmt: skip
    assert "Indirectness: a downgrade needs a footnote saying why." in response.content.decode()
    assert not Certainty.objects.exists()
    client_owner.post(url, {"design": "randomised", "level-indirectness": "-1",
                            "footnote-indirectness": "Different comparators."})  # fmt: skip
    assert Certainty.objects.get().judgements["indirectness"]["level"] == -1
    assert client_outsider.post(url, {"design": "randomised"}).status_code == 404
    assert client_outsider.get(reverse("grade:table", args=[review.slug])).status_code == 404


def test_malformed_empty_and_huge_settings_are_refused_in_words(review, owner, analysis):
    cases = [
        ({"threshold_low": "abc"}, "Important effect below: “abc” is not a number."),
        ({"control_per_1000": "1e9"}, "Assumed control risk: give a number from 0 to 1000."),
        ({"threshold_low": "1.25", "threshold_high": "0.8"}, "must be below the upper"),
        ({"design": "cohort"}, "randomised trials or not"),
        ({"decisions": {"not_a_domain": (0, "")}}, "not one of GRADE's domains"),
        ({"decisions": {"indirectness": (-3, "x")}}, "choose one of the levels offered"),
    ]
    for given, words in cases:
        with pytest.raises(GradeRefused, match=words):
            certainty_save(analysis=analysis, user=owner, **given)
    assert not Certainty.objects.exists()  # nothing of a refused save is kept
    long = "x" * 5000  # a huge footnote is kept to its first 500 characters
    certainty_save(analysis=analysis, user=owner, decisions={"indirectness": (-1, long)})
    assert len(Certainty.objects.get().judgements["indirectness"]["footnote"]) == 500
