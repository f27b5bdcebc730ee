"""What one decision costs in SQL statements, pinned exactly: the key press that reviewers
repeat thousands of times. Counted for the htmx request as the screening page sends it (the
session, the member, the decision's transaction and the next reference). And the order of
things: the decision commits, and its locks go, before the next reference is rendered.

Before the feature packages (issue 14) the same four decisions took 42, 36, 36 and 38
statements (measured with this test on commit 1f61055): the review row was locked twice (by
the decision, then by the audit append), the ranking row was always read back after the count,
and asking for a retrain read the whole row again (its order runs to megabytes). Then the review
was locked once per transaction, the row read back only when a retrain was on its way, and a
request claimed with one UPDATE: 41, 35, 34 and 35.

Issue 23 took six more from each: the review and the member are one query
(`review_for_user`); the reference decided on is not read (the locked item is the check that it
is at this stage of this review); the form's token is looked for in the locking statement; the
reviewer's own vote is not looked for when the item counts no live vote; and the next
reference's votes, and whether blinding hides them, are not asked when it has none: 35, 29, 28
and 29. Each decision below is a reference's first vote, as half of them are at dual screening;
a second vote, and a next reference someone has voted on, cost the last three back."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.test.signals import template_rendered
from django.utils import timezone

from screening.audit.chain import review_lock
from screening.models import Decision, Ranking
from tests.screening.decisions.test_screening import ris
from tests.screening.decisions.test_screening_pages import shown_reference, url

# The first decision of a review also makes its two counter rows (a savepoint, an INSERT and a
# release each). The later ones read the ranking row back only while a retrain is requested.
FIRST_DECISION = 35
LATER_DECISION_RETRAIN_REQUESTED = 29
LATER_DECISION = 28
LATER_DECISION_ASKING_A_RETRAIN = 29  # one UPDATE claims the request; the row is not read


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


# --- No lock held across rendering ----------------------------------------------------------


def _review_row_free(review_id: int) -> bool | None:
    """Whether another connection could lock the review's row at once (PostgreSQL; None on
    SQLite, which has no row locks: there the open transaction is the check)."""
    if connection.vendor != "postgresql":
        return None
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM screening_review WHERE id = %s FOR UPDATE NOWAIT", [review_id]
            )
        return True
    except OperationalError:  # could not obtain lock: a transaction holds it
        return False
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)  # real commits: a lock is held or it is not
def test_the_decision_commits_and_frees_the_review_before_the_next_reference_renders(
    client_reviewer, review, import_text, settings
):
    settings.RANKING_RETRAIN = "off"  # the import's retrain would run on its commit
    import_text(ris(3), name="small.ris", source="Embase")
    shown = shown_reference(client_reviewer.get(url("screen", review, "title-abstract")))

    # The probe sees a lock when one is held: the review's row, locked as a decision locks it.
    with transaction.atomic():
        review_lock(review)
        assert _review_row_free(review.pk) in (False, None)
    assert _review_row_free(review.pk) in (True, None)

    rendering = []

    def record(sender, template, context, **kwargs):
        rendering.append((template.name, connection.in_atomic_block, _review_row_free(review.pk)))

    template_rendered.connect(record)
    try:
        response = _decide(client_reviewer, review, shown, "include", "t1")
    finally:
        template_rendered.disconnect(record)

    assert Decision.objects.filter(reference_id=shown, token="t1").exists()
    assert shown_reference(response) != shown  # the next reference, rendered
    assert rendering and rendering[0][0] == "screening/decisions/_screen_item.html"
    # No transaction open while any template of the response renders, and the review's row
    # free for the next reviewer's decision.
    assert [(name, False, free) for name, _, free in rendering] == rendering
    expected = {None} if connection.vendor == "sqlite" else {True}
    assert {free for _, _, free in rendering} == expected
