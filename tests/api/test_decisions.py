"""A decision posted through the API is the screening page's decision: the same service with the
form's one-off token, so it lands in the decision log, the audit chain (which verifies) and
PRISMA exactly as the page's POST does; sent twice it is recorded once; bad input is refused
field by field, in words, and a refusal of the service (a settled reference) says why."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from screening.audit.verify import audit_verify
from screening.constants import AuditAction, Role, SourceKind, Stage
from screening.decisions.services import decision_record
from screening.identification.imports import references_import, source_get_or_create
from screening.models import AuditEvent, Decision, ExclusionReason, Membership, ScreeningItem
from screening.prisma.counts import as_json, prisma_report
from screening.reviews.services import review_create
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris

pytestmark = pytest.mark.django_db

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT


def _decide(client, review, **fields):
    return client.post(reverse("api:decisions", args=[review.slug]), fields, format="json")


def _twin(slug: str, owner, reviewer, folder) -> tuple:
    """A review like the `review` fixture's, with the same six references imported."""
    review = review_create(slug=slug, title=f"Twin {slug}", owner=owner)
    Membership.objects.create(review=review, user=reviewer, role=Role.REVIEWER)
    path = folder / f"{slug}.ris"
    path.write_text(ris(6))
    source = source_get_or_create(
        review=review, name="Embase", kind=SourceKind.DATABASE, user=owner
    )
    search = references_import(
        review=review, source=source, path=path, file_name="embase.ris", user=owner
    )
    return review, [record.reference for record in search.records.order_by("position")]


# The same votes, by the same people, in the same order: (who, reference's place, verdict,
# reason label or None, note).
VOTES = [
    ("reviewer", 0, "include", None, "Looks eligible."),
    ("reviewer", 1, "exclude", "Wrong study design", ""),
    ("owner", 0, "include", None, ""),
    ("owner", 1, "include", None, "Randomised after all?"),
    ("reviewer", 2, "maybe", None, ""),
]


def _log(review, references) -> list[tuple]:
    place = {reference.pk: n for n, reference in enumerate(references)}
    return [
        (d.reviewer.username, place[d.reference_id], d.stage, d.kind, d.verdict, d.reason_label,
         d.note, d.supersedes_id is not None)
        for d in Decision.objects.in_review(review).select_related("reviewer").order_by("id")
    ]  # fmt: skip


def _events(review, references) -> list[tuple]:
    place = {reference.pk: n for n, reference in enumerate(references)}
    return [
        (e.actor.username, e.action, place[e.after["reference"]], e.after["verdict"],
         e.after["reason"], e.after["note"], e.before)
        for e in AuditEvent.objects.in_review(review)
        .filter(action=AuditAction.DECISION)
        .select_related("actor")
        .order_by("id")
    ]  # fmt: skip


def test_a_decision_posted_through_the_api_lands_as_one_from_the_page(
    owner, reviewer, client_owner, client_reviewer, tmp_path
):
    by_page, page_refs = _twin("by-page", owner, reviewer, tmp_path)
    by_api, api_refs = _twin("by-api", owner, reviewer, tmp_path)
    pages = {"owner": client_owner, "reviewer": client_reviewer}
    tokens = {"owner": token_client(owner), "reviewer": token_client(reviewer)}
    for n, (who, place, verdict, reason, note) in enumerate(VOTES):
        fields = {"verdict": verdict, "note": note}
        page_reason = ExclusionReason.objects.filter(review=by_page, label=reason).first()
        api_reason = ExclusionReason.objects.filter(review=by_api, label=reason).first()
        response = pages[who].post(
            reverse("screening:screen-decide", args=[by_page.slug, "title-abstract"]),
            {
                **fields,
                "reference": page_refs[place].pk,
                "reason": page_reason.pk if reason else "",
            },
        )
        assert response.status_code == 302
        response = _decide(
            tokens[who], by_api, **fields, reference=api_refs[place].pk, stage=TA,
            reason=api_reason.pk if reason else None, token=f"api-vote-{n}",
        )  # fmt: skip
        assert response.status_code == 201, response.json()

    assert _log(by_api, api_refs) == _log(by_page, page_refs)
    assert len(_log(by_api, api_refs)) == len(VOTES)
    assert _events(by_api, api_refs) == _events(by_page, page_refs)
    assert as_json(prisma_report(by_api)) == as_json(prisma_report(by_page))
    counts = as_json(prisma_report(by_api))
    assert counts["records_screened"] == 6
    assert counts["dbr_sought_reports"] == 1  # reference 0: both included it
    assert counts["pending"]["screening"] == 5  # 1 in conflict, 1 awaiting a second, 3 unseen
    for review in (by_api, by_page):
        report = audit_verify(review)
        assert report.ok, report.failed
        call_command("audit_verify", review.slug)  # raises CommandError if the chain breaks
        call_command("screening_state", review.slug, "--check")


def test_the_answer_says_what_was_recorded_and_where_the_reference_stands_now(
    api_reviewer, api_owner, review, references
):
    first = _decide(api_reviewer, review, reference=references[0].pk, stage=TA,
                    verdict="include", token="first-vote-1")  # fmt: skip
    assert first.status_code == 201
    body = first.json()
    decision = Decision.objects.get()
    assert body == {
        "id": decision.pk,
        "reference": references[0].pk,
        "stage": TA,
        "kind": "vote",
        "verdict": "include",
        "reason": None,
        "reason_label": "",
        "note": "",
        "reviewer": "rui-reviewer",
        "supersedes": None,
        "created_at": body["created_at"],
        "state": "awaiting_second",
    }
    second = _decide(api_owner, review, reference=references[0].pk, stage=TA,
                     verdict="include", token="second-vote-1")  # fmt: skip
    assert second.json()["state"] == "included"


def test_the_same_decision_sent_twice_is_recorded_once(api_reviewer, review, references):
    fields = {"reference": references[0].pk, "stage": TA, "verdict": "include",
              "note": "Sent on a flaky line.", "token": "c0ffee-1234"}  # fmt: skip
    first = _decide(api_reviewer, review, **fields)
    again = _decide(api_reviewer, review, **fields)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Decision.objects.in_review(review).count() == 1
    assert AuditEvent.objects.in_review(review).filter(action=AuditAction.DECISION).count() == 1
    # The token of one decision is not a key to another: said, and nothing recorded.
    other = _decide(api_reviewer, review, **{**fields, "verdict": "exclude",
                                             "reason": None})  # fmt: skip
    assert other.status_code == 400
    assert other.json() == {
        "token": [
            f"This token was sent before with another decision (decision "
            f"{first.json()['id']}): send a new token for a new decision."
        ]
    }
    assert Decision.objects.in_review(review).count() == 1


def test_bad_input_is_refused_field_by_field_in_words(api_reviewer, review, references, owner):
    other_review = review_create(slug="elsewhere", title="Elsewhere", owner=owner)
    foreign_reason = ExclusionReason.objects.filter(review=other_review).first()
    ft_only = ExclusionReason.objects.create(review=review, label="No full text", stages=FT)
    ok = {"reference": references[0].pk, "stage": TA, "verdict": "include", "token": "token-ok-1"}
    cases = [
        ({"verdict": "yes"}, {"verdict": ["'yes' is not a decision: include, exclude or maybe."]}),
        ({"stage": "retrieval"},
         {"stage": ["'retrieval' is not a screening stage: title_abstract or full_text."]}),
        ({"reference": 10**9},
         {"reference": [f"Reference {10**9} is not at the title and abstract stage of this "
                        "review."]}),
        ({"reference": references[0].pk, "stage": FT},
         {"reference": [f"Reference {references[0].pk} is not at the full text stage of this "
                        "review."]}),
        ({"verdict": "exclude", "reason": foreign_reason.pk},
         {"reason": [f"This review has no exclusion reason {foreign_reason.pk}."]}),
        ({"verdict": "exclude", "reason": ft_only.pk},
         {"reason": ["The reason 'No full text' is not one of this stage's reasons."]}),
        ({"verdict": "include", "reason": ft_only.pk},
         {"reason": ["A reason goes with an exclusion only."]}),
        ({"token": "x"}, {"token": ["Send a token of 8 to 64 letters, digits, '-', '_', '.' or "
                                    "':' (a UUID): one per decision, so that sending it twice "
                                    "records it once."]}),
        ({"token": None}, {"token": ["This field may not be null."]}),
    ]  # fmt: skip
    for change, errors in cases:
        response = _decide(api_reviewer, review, **{**ok, **change})
        assert (response.status_code, response.json()) == (400, errors), change
    assert not Decision.objects.in_review(review).exists()


def test_an_exclusion_without_the_reason_the_review_requires_is_refused(
    api_reviewer, review, references
):
    review.reason_required_title_abstract = True
    review.save(update_fields=["reason_required_title_abstract"])
    response = _decide(api_reviewer, review, reference=references[0].pk, stage=TA,
                       verdict="exclude", token="no-reason-1")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "reason": [
            "Choose the reason for excluding it: this review requires one at the title and "
            "abstract stage."
        ]
    }


def test_a_vote_on_a_settled_reference_is_refused_by_the_service_in_its_words(
    api_reviewer, review, references, owner, reviewer
):
    for who in (owner, reviewer):
        decision_record(review=review, reference=references[0], stage=TA, reviewer=who,
                        verdict="include")  # fmt: skip
    third = token_client(_third_reviewer(review))
    response = _decide(third, review, reference=references[0].pk, stage=TA,
                       verdict="exclude", token="late-vote-1")  # fmt: skip
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This reference has had the decisions it needs; only the review's owner can "
        "reopen it."
    }
    state = ScreeningItem.objects.get(review=review, reference=references[0], stage=TA).state
    assert state == "included"


def _third_reviewer(review):
    user = UserFactory(username="tia-third")
    Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    return user
