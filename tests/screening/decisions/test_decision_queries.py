"""What one decision costs in SQL statements, pinned exactly: the key press that reviewers
repeat thousands of times. Counted for the htmx request as the screening page sends it (the
session, the member, the reference, the decision's transaction and the next reference).

Before the feature packages (issue 14) the same four decisions took 42, 36, 36 and 38
statements (measured with this test on commit 1f61055): the review row was locked twice (by
the decision, then by the audit append), the ranking row was always read back after the count,
and asking for a retrain read the whole row again (its order runs to megabytes). Now the review
is locked once per transaction, the row is read back only when a retrain was on its way, and a
request is claimed with one UPDATE: 41, 35, 34 and 35."""

from __future__ import annotations

from django.utils import timezone

from screening.models import Ranking
from tests.screening.decisions.test_screening import ris
from tests.screening.decisions.test_screening_pages import shown_reference, url

# The first decision of a review also makes its two counter rows (a savepoint, an INSERT and a
# release each). The later ones read the ranking row back only while a retrain is requested.
FIRST_DECISION = 41
LATER_DECISION_RETRAIN_REQUESTED = 35
LATER_DECISION = 34
LATER_DECISION_ASKING_A_RETRAIN = 35  # one UPDATE claims the request; the row is not read


def _decide(client, review, reference: int, verdict: str, token: str):
    response = client.post(
        url("screen-decide", review, "title-abstract"),
        {"reference": reference, "verdict": verdict, "token": token},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response


def test_one_decision_costs_a_pinned_number_of_statements(
    client_reviewer, review, import_text, django_assert_num_queries
):
    import_text(ris(6), name="small.ris", source="Embase")
    screen = url("screen", review, "title-abstract")
    # In this test's transaction nothing runs on commit: the import's retrain request stays.
    assert Ranking.objects.get(review=review).requested_at is not None

    shown = shown_reference(client_reviewer.get(screen))
    with django_assert_num_queries(FIRST_DECISION):
        _decide(client_reviewer, review, shown, "include", "a")
    shown = shown_reference(client_reviewer.get(screen))
    with django_assert_num_queries(LATER_DECISION_RETRAIN_REQUESTED):
        _decide(client_reviewer, review, shown, "exclude", "b")

    # A retrain has run, past the warm-up: the next retrain is due in a few decisions.
    Ranking.objects.filter(review=review).update(
        requested_at=None, trained_at=timezone.now(), includes=400, excludes=600, decisions_since=0
    )
    shown = shown_reference(client_reviewer.get(screen))
    with django_assert_num_queries(LATER_DECISION):
        _decide(client_reviewer, review, shown, "include", "c")
    ranking = Ranking.objects.get(review=review)
    assert (ranking.decisions_since, ranking.requested_at) == (1, None)  # counted, not read back

    Ranking.objects.filter(review=review).update(decisions_since=4)  # the fifth is due
    shown = shown_reference(client_reviewer.get(screen))
    with django_assert_num_queries(LATER_DECISION_ASKING_A_RETRAIN):
        _decide(client_reviewer, review, shown, "exclude", "d")
    assert Ranking.objects.get(review=review).requested_at is not None
