"""What the API reads, and that it reads it as the pages do: a review and its sources and
searches, the reference list with its filters (and its refusals in words), a reference's page,
your queue and your decisions, PRISMA, the downloads; in pages of a size the client may choose
up to a limit, in a number of queries that does not grow with the page."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from screening.constants import Stage
from screening.decisions.queue import next_item
from screening.decisions.services import decision_record
from screening.models import ExclusionReason
from screening.prisma.counts import as_json, prisma_report
from tests.screening.decisions.test_screening import ris

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def _get(client, name, review, *args, **query):
    response = client.get(reverse(name, args=[review.slug, *args]), query)
    assert response.status_code == 200, (name, response.content[:300])
    return response


def _vote(review, reference, who, verdict="include", **kwargs):
    return decision_record(
        review=review, reference=reference, stage=TA, reviewer=who, verdict=verdict, **kwargs
    )


def test_a_review_says_its_settings_counts_and_exclusion_reasons(api_reviewer, review, references):
    body = _get(api_reviewer, "api:review-detail", review).json()
    assert (body["slug"], body["role"], body["resolves"]) == ("ivonescimab", "reviewer", False)
    assert body["settings"]["blind"] is True
    assert body["counts"] == {"records": 6, "duplicates": 0, "references": 6, "proposed_pairs": 0}
    assert body["stages"][TA] == {"awaiting": 6}
    labels = [reason["label"] for reason in body["exclusion_reasons"]]
    assert labels == list(review.reasons.order_by("position", "id").values_list("label", flat=True))


def test_sources_and_searches_are_listed_with_their_counts(api_reviewer, review, import_text):
    import_text(ris(3), name="embase.ris", source="Embase")
    import_text(ris(2, start=10), name="site.ris", source="Maker's site", kind="website")
    sources = _get(api_reviewer, "api:source-list", review).json()["results"]
    assert [(s["name"], s["kind"], s["column"], s["searches"]) for s in sources] == [
        ("Embase", "database", "databases and registers", 1),
        ("Maker's site", "website", "other methods", 1),
    ]
    searches = _get(api_reviewer, "api:search-list", review).json()["results"]
    assert [(s["source"], s["file_name"], s["records"]) for s in searches] == [
        ("Embase", "embase.ris", 3),
        ("Maker's site", "site.ris", 2),
    ]
    assert searches[0]["run_by"] == "olivia-owner"


def test_references_are_filtered_as_on_the_reference_list(
    api_reviewer, review, references, owner, reviewer
):
    _vote(review, references[0], owner)
    _vote(review, references[0], reviewer)  # included at title and abstract
    _vote(review, references[1], reviewer)  # awaiting a second vote

    def ids(**query) -> list[int]:
        return [r["id"] for r in _get(api_reviewer, "api:reference-list", review, **query).json()
                ["results"]]  # fmt: skip

    assert ids() == [r.pk for r in references]
    assert ids(stage=TA, state="included") == [references[0].pk]
    assert ids(stage=TA, state="awaiting_second") == [references[1].pk]
    assert ids(q="number 3") == [references[2].pk]
    assert ids(box="records_screened", sort="-added") == [r.pk for r in reversed(references)]
    row = _get(api_reviewer, "api:reference-list", review, stage=TA, state="included").json()
    assert row["results"][0]["screening"][0] == {
        "stage": TA, "state": "included", "verdict": "include", "reason": None, "resolved": False,
        "resolver": "", "votes": [{"reviewer": "olivia-owner", "verdict": "include"},
                                  {"reviewer": "rui-reviewer", "verdict": "include"}],
    }  # fmt: skip


def test_a_filter_value_it_cannot_take_is_refused_in_its_words(api_reviewer, review, references):
    response = api_reviewer.get(
        reverse("api:reference-list", args=[review.slug]), {"stage": "nonsense", "year_min": "x"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "stage": ["Select a valid choice. nonsense is not one of the available choices."],
        "year_min": ["Enter a number."],
    }


def test_pages_come_in_the_size_asked_for_up_to_the_limit(
    api_reviewer, review, references, settings
):
    settings.API_MAX_PAGE_SIZE = 4
    first = _get(api_reviewer, "api:reference-list", review, page_size=2).json()
    assert (first["count"], len(first["results"])) == (6, 2)
    assert first["previous"] is None and "page=2" in first["next"]
    capped = _get(api_reviewer, "api:reference-list", review, page_size=100).json()
    assert len(capped["results"]) == 4
    last = _get(api_reviewer, "api:reference-list", review, page_size=4, page=2).json()
    assert [r["id"] for r in capped["results"] + last["results"]] == [r.pk for r in references]
    beyond = api_reviewer.get(reverse("api:reference-list", args=[review.slug]), {"page": 9})
    assert (beyond.status_code, beyond.json()) == (404, {"detail": "Invalid page."})


def test_the_reference_list_costs_the_same_queries_for_a_page_of_two_or_of_twenty(
    api_reviewer, review, import_text, owner, reviewer, django_assert_max_num_queries
):
    references = [r.reference for r in import_text(ris(20)).records.order_by("position")]
    for reference in references:
        _vote(review, reference, owner)
        _vote(review, reference, reviewer, verdict="exclude")  # a conflict each
    counted = []
    for size in (2, 20):
        # The token, the membership, the labels the filters offer, the count, the page, its
        # screening items and their votes.
        with django_assert_max_num_queries(7) as queries:
            _get(api_reviewer, "api:reference-list", review, page_size=size)
        counted.append(len(queries))
    assert counted[0] == counted[1], counted


def test_a_reference_page_shows_its_records_and_history_and_404s_outside_the_review(
    api_reviewer, api_owner, review, references, owner
):
    _vote(review, references[0], owner, note="Owner's note.")
    body = _get(api_owner, "api:reference-detail", review, references[0].pk).json()
    assert [r["source"] for r in body["records"]] == ["Embase"]
    assert [(d["reviewer"], d["verdict"], d["note"]) for d in body["decisions"]] == [
        ("olivia-owner", "include", "Owner's note.")
    ]
    assert body["votes_hidden"] is False
    # The reviewer, blind, has not voted on it: the owner's vote is hidden, and said to be.
    blind = _get(api_reviewer, "api:reference-detail", review, references[0].pk).json()
    assert (blind["decisions"], blind["votes_hidden"]) == ([], True)
    assert blind["screening"][0]["votes"] == []
    missing = api_reviewer.get(reverse("api:reference-detail", args=[review.slug, 10**9]))
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "No such reference in this review."},
    )


def test_the_queue_serves_what_the_screening_page_would_and_moves_on_after_a_decision(
    api_reviewer, review, references, reviewer
):
    body = _get(api_reviewer, "api:queue", review, stage=TA).json()
    expected = next_item(review, reviewer, TA)
    assert body["next"]["reference"]["id"] == expected.reference_id
    assert body["next"]["queue_place"]["kind"] == "random"
    assert body["progress"]["total"] == 6 and body["progress"]["mine"] == 0
    response = api_reviewer.post(
        reverse("api:decisions", args=[review.slug]),
        {"reference": expected.reference_id, "stage": TA, "verdict": "include",
         "token": "queue-vote-1"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    after = _get(api_reviewer, "api:queue", review).json()
    assert after["next"]["reference"]["id"] != expected.reference_id
    assert after["progress"]["mine"] == 1
    wrong = api_reviewer.get(reverse("api:queue", args=[review.slug]), {"stage": "retrieval"})
    assert wrong.status_code == 400
    assert wrong.json() == {
        "stage": ["'retrieval' is not a screening stage: title_abstract or full_text."]
    }


def test_my_decisions_are_mine_only_and_filter_by_verdict_and_reason(
    api_reviewer, review, references, owner, reviewer
):
    design = ExclusionReason.objects.get(review=review, label="Wrong study design")
    _vote(review, references[0], reviewer, verdict="exclude", reason=design)
    _vote(review, references[1], reviewer, note="Mine.")
    _vote(review, references[2], owner)
    mine = _get(api_reviewer, "api:decisions", review).json()["results"]
    assert [(d["reference"], d["verdict"]) for d in mine] == [
        (references[1].pk, "include"),
        (references[0].pk, "exclude"),
    ]
    excluded = _get(api_reviewer, "api:decisions", review, verdict="exclude", reason=design.pk)
    assert [d["reason_label"] for d in excluded.json()["results"]] == ["Wrong study design"]


def test_prisma_and_its_downloads_are_the_prisma_pages(api_reviewer, review, references, owner):
    _vote(review, references[0], owner)
    assert _get(api_reviewer, "api:prisma", review).json() == as_json(prisma_report(review))
    page = _get(api_reviewer, "api:export", review, "prisma.json")
    assert page["Content-Disposition"] == 'attachment; filename="ivonescimab-prisma.json"'
    assert json.loads(page.content) == as_json(prisma_report(review))
    table = _get(api_reviewer, "api:export", review, "prisma.csv").content.decode()
    assert "records_screened" in table


def test_the_reference_download_takes_the_reference_lists_filters(
    api_reviewer, review, references, owner, reviewer
):
    _vote(review, references[0], owner)
    _vote(review, references[0], reviewer)
    response = _get(api_reviewer, "api:export", review, "references.csv", stage=TA,
                    state="included")  # fmt: skip
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert [row["title"] for row in rows] == [references[0].title]
    ris_file = _get(api_reviewer, "api:export", review, "references.ris")
    assert b"".join(ris_file.streaming_content).decode().count("ER  -") == 6
    unknown = api_reviewer.get(reverse("api:export", args=[review.slug, "everything.zip"]))
    assert unknown.status_code == 404
    assert "references.csv" in unknown.json()["detail"]
