"""The screening pages through Django's test client: the flow with and without htmx, blind
screening, conflicts, agreement, retrieval, settings, lists and exports; who may do what; and
query counts that do not grow with the review."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from references.parsers import read_file
from screening.constants import ItemState, Role, Stage
from screening.decisions.services import decision_record
from screening.models import Decision, ExclusionReason, Membership, ScreeningItem
from screening.retrieval.services import full_text_record
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import PDF, ris

pytestmark = pytest.mark.django_db

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT


def url(name, review, *args):
    return reverse(f"screening:{name}", args=[review.slug, *args])


@pytest.fixture
def references(review, import_text):
    search = import_text(ris(8), name="embase.ris", source="Embase")
    return [record.reference for record in search.records.order_by("position")]


@pytest.fixture
def client_viewer(review, client):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    return client


def reason(review, label="Wrong study design"):
    return ExclusionReason.objects.get(review=review, label=label)


def shown_reference(response) -> int:
    return response.context["reference"].pk


def test_the_screening_page_shows_a_reference_with_its_form_and_keys(
    client_reviewer, review, references
):
    review.criteria = "Adults with advanced NSCLC; ivonescimab in any arm."
    review.highlight_include = "ivonescimab, lung*"
    review.save()
    response = client_reviewer.get(url("screen", review, "title-abstract"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="decision-form"' in page and 'hx-post="' in page
    assert '<mark class="hl-include">Ivonescimab</mark>' in page
    assert "Adults with advanced NSCLC" in page
    assert "<kbd>1</kbd>" in page and "Wrong study design" in page
    assert "js/screening.js" in page


def test_deciding_without_javascript_records_and_redirects_to_the_next(
    client_reviewer, review, references, reviewer
):
    first = shown_reference(client_reviewer.get(url("screen", review, "title-abstract")))
    response = client_reviewer.post(
        url("screen-decide", review, "title-abstract"),
        {"reference": first, "verdict": "exclude", "reason": reason(review).pk, "token": "t1"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("screen", review, "title-abstract")
    decision = Decision.objects.get()
    assert (decision.reference_id, decision.verdict, decision.reason_label) == (
        first,
        "exclude",
        "Wrong study design",
    )
    assert shown_reference(client_reviewer.get(response["Location"])) != first


def test_deciding_with_htmx_returns_the_next_reference_only(client_reviewer, review, references):
    first = shown_reference(client_reviewer.get(url("screen", review, "title-abstract")))
    response = client_reviewer.post(
        url("screen-decide", review, "title-abstract"),
        {"reference": first, "verdict": "include", "token": "t1"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="screen"')
    assert "<html" not in body
    assert shown_reference(response) != first


def test_a_double_submission_records_one_decision(client_reviewer, review, references):
    first = shown_reference(client_reviewer.get(url("screen", review, "title-abstract")))
    form = {"reference": first, "verdict": "include", "token": "same"}
    client_reviewer.post(url("screen-decide", review, "title-abstract"), form)
    client_reviewer.post(url("screen-decide", review, "title-abstract"), form)
    assert Decision.objects.count() == 1


def test_a_refused_decision_is_explained_on_the_same_reference(client_owner, review, references):
    review.reason_required_title_abstract = True
    review.save()
    first = shown_reference(client_owner.get(url("screen", review, "title-abstract")))
    response = client_owner.post(
        url("screen-decide", review, "title-abstract"),
        {"reference": first, "verdict": "exclude"},
        HTTP_HX_REQUEST="true",
    )
    assert "Choose the reason for excluding it." in response.content.decode()
    assert shown_reference(response) == first
    assert not Decision.objects.exists()


def test_undo_brings_the_last_reference_back(client_reviewer, review, references):
    first = shown_reference(client_reviewer.get(url("screen", review, "title-abstract")))
    client_reviewer.post(
        url("screen-decide", review, "title-abstract"), {"reference": first, "verdict": "include"}
    )
    response = client_reviewer.post(url("screen-undo", review, "title-abstract"))
    assert response["Location"].endswith(f"?reference={first}")
    page = client_reviewer.get(response["Location"])
    assert shown_reference(page) == first and page.context["can_vote"]


def test_blind_screening_hides_the_other_vote_until_both_have_decided(
    client_reviewer, review, references, owner, reviewer
):
    ref = references[0]
    decision_record(
        review=review, reference=ref, stage=TA, reviewer=owner, verdict="exclude",
        reason=reason(review), note="Phase I only",
    )  # fmt: skip
    screen = url("screen", review, "title-abstract") + f"?reference={ref.pk}"
    assert "Phase I only" not in client_reviewer.get(screen).content.decode()
    review.blind = False
    review.save()
    assert "Phase I only" in client_reviewer.get(screen).content.decode()


def test_the_screening_page_costs_the_same_queries_at_any_size(
    client_reviewer, review, import_text, django_assert_max_num_queries
):
    import_text(ris(3), name="small.ris", source="Embase")
    screen = url("screen", review, "title-abstract")
    with django_assert_max_num_queries(16) as small:
        reference = shown_reference(client_reviewer.get(screen))
    with django_assert_max_num_queries(44):
        client_reviewer.post(
            url("screen-decide", review, "title-abstract"),
            {"reference": reference, "verdict": "include", "token": "q1"},
            HTTP_HX_REQUEST="true",
        )
    import_text(ris(300, start=100), name="big.ris", source="Scopus")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client_reviewer.get(screen)


def test_viewers_cannot_screen_and_outsiders_see_nothing(
    client_viewer, client_outsider, review, references
):
    pages = [
        url("conflict-list", review),
        url("agreement", review),
        url("retrieval-list", review),
    ]
    for page in pages:
        assert client_viewer.get(page).status_code == 200
        assert client_outsider.get(page).status_code == 404
    assert client_viewer.get(url("screen", review, "title-abstract")).status_code == 403
    assert client_outsider.get(url("screen", review, "title-abstract")).status_code == 404
    assert client_viewer.get(url("screening-settings", review)).status_code == 403
    assert (
        client_viewer.post(
            url("screen-decide", review, "title-abstract"), {"reference": references[0].pk}
        ).status_code
        == 403
    )
    assert client_viewer.get(url("screen", review, "nonsense")).status_code == 403


def test_an_unknown_stage_is_not_found(client_reviewer, review):
    assert client_reviewer.get(url("screen", review, "retrieval")).status_code == 404


def test_conflicts_are_listed_and_the_owner_resolves_them(
    client_owner, review, references, owner, reviewer, django_assert_max_num_queries
):
    for ref in references[:3]:
        decision_record(review=review, reference=ref, stage=TA, reviewer=owner, verdict="include")
        decision_record(
            review=review, reference=ref, stage=TA, reviewer=reviewer, verdict="exclude",
            reason=reason(review),
        )  # fmt: skip
    with django_assert_max_num_queries(12):
        page = client_owner.get(url("conflict-list", review)).content.decode()
    assert page.count("Resolve: include") == 3
    item = ScreeningItem.objects.filter(state=ItemState.CONFLICT).first()
    client_owner.post(
        url("conflict-resolve", review, item.pk),
        {"verdict": "exclude", "reason": reason(review, "Wrong comparator").pk, "note": "agreed"},
    )
    item.refresh_from_db()
    assert (item.state, item.resolved, item.reason.label) == (
        ItemState.EXCLUDED,
        True,
        "Wrong comparator",
    )
    home = client_owner.get(review.get_absolute_url())
    assert home.context["stages"][TA]["conflict"] == 2


def test_the_agreement_page_and_its_csv(client_owner, review, references, owner, reviewer):
    verdicts = ["include", "include", "exclude", "exclude", "include", "exclude"]
    others = ["include", "exclude", "exclude", "exclude", "include", "include"]
    for ref, mine, theirs in zip(references, verdicts, others, strict=False):
        for who, verdict in ((owner, mine), (reviewer, theirs)):
            decision_record(
                review=review, reference=ref, stage=TA, reviewer=who, verdict=verdict,
                reason=reason(review) if verdict == "exclude" else None,
            )  # fmt: skip
    page = client_owner.get(url("agreement", review)).content.decode()
    assert "olivia-owner &amp; rui-reviewer" in page
    assert "66.7%" in page  # 4 of 6 agree
    rows = list(
        csv.reader(
            io.StringIO(client_owner.get(url("agreement", review) + "?format=csv").content.decode())
        )
    )
    assert rows[0][:4] == ["stage", "reviewer_a", "reviewer_b", "n"]
    assert rows[1][:4] == ["title_abstract", "olivia-owner", "rui-reviewer", "6"]
    assert rows[1][8] == "66.7"
    assert rows[1][9] == ""  # kappa (0.333) is not estimable from 6 references
    assert rows[1][-1] == "kappa not estimable: fewer than 10 references decided by both"


def test_a_pdf_is_attached_on_the_retrieval_page_and_served_to_members_only(
    client_owner, client_outsider, review, references, owner, reviewer
):
    ref = references[0]
    for who in (owner, reviewer):
        decision_record(review=review, reference=ref, stage=TA, reviewer=who, verdict="include")
    page = client_owner.get(url("retrieval-list", review)).content.decode()
    assert f"retrieval-{ref.pk}" in page
    client_owner.post(
        url("retrieval-record", review, ref.pk),
        {"status": "retrieved", "file": SimpleUploadedFile("harmoni.pdf", PDF), "next": "/"},
    )
    item = ScreeningItem.objects.get(reference=ref, stage=FT)
    assert item.state == ItemState.AWAITING
    screen = client_owner.get(url("screen", review, "full-text") + f"?reference={ref.pk}")
    full_text = screen.context["full_text"]
    # Shown in the PDF reader (tests/browser/test_pdf_reader.py), with a link for no JavaScript.
    assert f'data-pdf-url="{full_text.get_absolute_url()}"' in screen.content.decode()
    response = client_owner.get(full_text.get_absolute_url())
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("inline")
    assert client_outsider.get(full_text.get_absolute_url()).status_code == 404


def test_a_wrong_file_is_refused_on_the_retrieval_page(
    client_owner, review, references, owner, reviewer
):
    ref = references[0]
    for who in (owner, reviewer):
        decision_record(review=review, reference=ref, stage=TA, reviewer=who, verdict="include")
    response = client_owner.post(
        url("retrieval-record", review, ref.pk),
        {"status": "retrieved", "file": SimpleUploadedFile("x.pdf", b"<html>")},
        follow=True,
    )
    assert "The file is not a PDF" in response.content.decode()


def test_the_owner_changes_settings_and_reasons(client_owner, client_reviewer, review):
    response = client_owner.post(
        url("screening-settings", review),
        {
            "action": "settings",
            "settings-reviewers_title_abstract": "1",
            "settings-reviewers_full_text": "2",
            "settings-blind": "on",
            "settings-full_text_reasons_conflict": "on",
            "settings-criteria": "RCTs only",
            "settings-highlight_include": "ivonescimab",
            "settings-highlight_exclude": "mouse, mice",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.reviewers_title_abstract, review.criteria) == (1, "RCTs only")
    client_owner.post(
        url("screening-settings", review),
        {
            "action": "add-reason",
            "new-label": "Animal study",
            "new-stages": "both",
            "new-hotkey": "8",
        },
    )
    assert review.reasons.get(label="Animal study").hotkey == 8
    too_many = ", ".join(f"term{i}" for i in range(250))
    page = client_owner.post(
        url("screening-settings", review),
        {"action": "settings", "settings-reviewers_title_abstract": "1",
         "settings-reviewers_full_text": "2", "settings-highlight_include": too_many},
    ).content.decode()  # fmt: skip
    assert "terms" in page and review.highlight_include == "ivonescimab"


def test_the_reference_list_filters_by_screening_and_exports_it(
    client_owner, review, references, owner, reviewer
):
    excluded = references[0]
    decision_record(
        review=review,
        reference=excluded,
        stage=TA,
        reviewer=owner,
        verdict="exclude",
        reason=reason(review),
    )
    decision_record(
        review=review,
        reference=excluded,
        stage=TA,
        reviewer=reviewer,
        verdict="exclude",
        reason=reason(review),
    )
    listed = client_owner.get(url("reference-list", review), {"stage": TA, "state": "excluded"})
    assert [r.pk for r in listed.context["page"]] == [excluded.pk]
    by_reason = client_owner.get(url("reference-list", review), {"reason": reason(review).pk})
    assert [r.pk for r in by_reason.context["page"]] == [excluded.pk]
    by_reviewer = client_owner.get(url("reference-list", review), {"reviewer": reviewer.pk})
    assert [r.pk for r in by_reviewer.context["page"]] == [excluded.pk]

    response = client_owner.get(
        url("reference-list", review), {"state": "excluded", "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-6:] == [
        "title_abstract", "retrieval", "full_text", "decisions", "sources", "labels"
    ]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][-6] == "Excluded: Wrong study design"
    assert "olivia-owner exclude (Wrong study design)" in rows[1][-3]
    assert rows[1][-2:] == ["Embase", ""]

    ris_response = client_owner.get(
        url("reference-list", review), {"state": "excluded", "format": "ris"}
    )
    assert ris_response["Content-Disposition"].endswith('.ris"')


def test_the_exported_ris_reads_back(client_owner, review, references, tmp_path):
    response = client_owner.get(url("reference-list", review), {"format": "ris"})
    path = tmp_path / "export.ris"
    path.write_bytes(b"".join(response.streaming_content))
    entries = list(read_file(path).entries())
    assert len(entries) == len(references)
    assert {e.doi for e in entries} == {r.doi for r in references}


def test_the_filtered_list_is_removed_before_screening_and_restored(
    client_owner, review, references
):
    response = client_owner.post(
        url("reference-remove", review) + "?q=number+1",
        {"action": "remove", "reason": "language", "detail": ""},
    )
    assert response.status_code == 302
    removed = ScreeningItem.objects.filter(state=ItemState.REMOVED)
    assert removed.count() == 1  # "number 1" matches one title of the eight
    client_owner.post(url("reference-remove", review) + "?state=removed", {"action": "restore"})
    assert not ScreeningItem.objects.filter(state=ItemState.REMOVED).exists()


def test_the_reference_page_shows_the_history_and_the_owner_reopens(
    client_owner, review, references, owner, reviewer
):
    ref = references[0]
    decision_record(review=review, reference=ref, stage=TA, reviewer=owner, verdict="include")
    decision_record(review=review, reference=ref, stage=TA, reviewer=reviewer, verdict="include")
    page = client_owner.get(url("reference-detail", review, ref.pk)).content.decode()
    assert "Decision history" in page and page.count("Vote: Include") == 2
    client_owner.post(url("reference-reopen", review, ref.pk, "title-abstract"), {"note": "why"})
    assert ScreeningItem.objects.get(reference=ref, stage=TA).state == ItemState.AWAITING


def test_a_full_text_reviewer_sees_what_was_retrieved(
    client_owner, review, references, owner, reviewer
):
    ref = references[0]
    for who in (owner, reviewer):
        decision_record(review=review, reference=ref, stage=TA, reviewer=who, verdict="include")
    full_text_record(
        review=review, reference=ref, user=owner, status="retrieved",
        url="https://example.org/harmoni.pdf", max_bytes=1,
    )  # fmt: skip
    page = client_owner.get(url("screen", review, "full-text")).content.decode()
    assert "https://example.org/harmoni.pdf" in page
    assert "(required)" in page  # a reason is always required at full text


def test_the_owner_designates_a_resolver_on_the_members_page(client_owner, review, reviewer):
    member = Membership.objects.get(user=reviewer)
    client_owner.post(
        reverse("screening:member-change", args=[review.slug, member.pk]),
        {"action": "resolver", "resolves": "1"},
    )
    member.refresh_from_db()
    assert member.can_resolve and member.resolves
    page = client_owner.get(reverse("screening:member-list", args=[review.slug])).content.decode()
    assert "Stop" in page


def _decide_some(review, references, owner, reviewer):
    """A little of everything: included, excluded, in conflict, retrieved, resolved."""
    for n, ref in enumerate(references):
        theirs = ("include", "exclude", "include")[n % 3]
        decision_record(review=review, reference=ref, stage=TA, reviewer=owner, verdict="include")
        decision_record(
            review=review, reference=ref, stage=TA, reviewer=reviewer, verdict=theirs,
            reason=reason(review) if theirs == "exclude" else None,
        )  # fmt: skip
        if theirs == "include" and n % 2 == 0:
            full_text_record(
                review=review, reference=ref, user=owner, status="retrieved", max_bytes=1
            )


def test_every_screening_view_costs_the_same_queries_small_or_large(
    client_owner,
    review,
    import_text,
    owner,
    reviewer,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    views = [
        url("review-home", review),
        url("screen", review, "title-abstract"),
        url("screen", review, "full-text"),
        url("conflict-list", review),
        url("agreement", review),
        url("retrieval-list", review),
        url("screening-settings", review),
        url("reference-list", review) + "?stage=title_abstract&state=included",
        url("reference-list", review) + "?conflict=true",
    ]
    small = [r.reference for r in import_text(ris(6)).records.all()]
    _decide_some(review, small, owner, reviewer)
    counts = {}
    for view in views:
        with django_assert_max_num_queries(999) as captured:  # measure only
            assert client_owner.get(view).status_code == 200
        counts[view] = len(captured.captured_queries)

    big = [r.reference for r in import_text(ris(60, start=100), name="more.ris").records.all()]
    _decide_some(review, big, owner, reviewer)
    for view in views:
        with django_assert_num_queries(counts[view]):
            client_owner.get(view)


@pytest.mark.parametrize(
    "next_value",
    [
        "//evil.example/phish",
        "https://evil.example/",
        "http:///evil.example",
        "javascript:alert(1)",
    ],
)
def test_the_retrieval_form_never_sends_anyone_to_another_site(
    client_owner, review, references, owner, reviewer, next_value
):
    ref = references[0]
    for who in (owner, reviewer):
        decision_record(review=review, reference=ref, stage=TA, reviewer=who, verdict="include")
    response = client_owner.post(
        url("retrieval-record", review, ref.pk),
        {"status": "not_retrieved", "reason": "Not found", "next": next_value},
    )
    assert response.status_code == 302
    assert response["Location"] == url("retrieval-list", review)


def test_the_retrieval_form_goes_back_to_the_page_it_came_from(
    client_owner, review, references, owner, reviewer
):
    ref = references[0]
    for who in (owner, reviewer):
        decision_record(review=review, reference=ref, stage=TA, reviewer=who, verdict="include")
    back = url("retrieval-list", review) + "?state=awaiting_retrieval&page=1"
    response = client_owner.post(
        url("retrieval-record", review, ref.pk),
        {"status": "not_retrieved", "reason": "Not found", "next": back},
    )
    assert response["Location"] == back
