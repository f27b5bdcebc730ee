"""Decisions made at the same moment, on the real PostgreSQL, from parallel threads (each with
its own connection and transaction): no decision lost, none recorded twice, and the cached
states and counts still agree with the log."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections

from screening.constants import ItemState, Role, Stage
from screening.decisions.items import cache_differences
from screening.decisions.services import decision_record
from screening.models import Decision, Membership, ScreeningItem, StageCount, Vote
from tests.conftest import require_postgresql
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TA = Stage.TITLE_ABSTRACT


@pytest.fixture(autouse=True)
def _postgresql():
    require_postgresql()


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; return their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_reviewers_deciding_the_same_reference_at_once_both_land(
    review, owner, reviewer, import_text
):
    reference = import_text(ris(1)).records.get().reference

    results = at_once(
        lambda: decision_record(
            review=review, reference=reference, stage=TA, reviewer=owner, verdict="include"
        ),
        lambda: decision_record(
            review=review, reference=reference, stage=TA, reviewer=reviewer, verdict="exclude"
        ),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Decision.objects.count() == 2
    item = ScreeningItem.objects.get(reference=reference, stage=TA)
    assert (item.state, item.votes) == (ItemState.CONFLICT, 2)
    assert cache_differences(review) == []


def test_a_decision_sent_twice_at_once_is_recorded_once(review, reviewer, import_text):
    reference = import_text(ris(1)).records.get().reference

    def send():
        return decision_record(
            review=review,
            reference=reference,
            stage=TA,
            reviewer=reviewer,
            verdict="include",
            token="the-same-form",
        ).pk

    results = at_once(send, send, send)

    assert len(set(results)) == 1, results
    assert Decision.objects.count() == 1
    assert Vote.objects.get().decision_id == results[0]
    assert cache_differences(review) == []


def test_reviewers_screening_side_by_side_lose_nothing(review, owner, reviewer, import_text):
    third = UserFactory(username="tess-third")
    Membership.objects.create(review=review, user=third, role=Role.REVIEWER)
    references = [r.reference for r in import_text(ris(30)).records.all()]

    def screen_all(who, verdict):
        def run():
            for reference in references:
                try:
                    decision_record(
                        review=review, reference=reference, stage=TA, reviewer=who,
                        verdict=verdict, token=f"{who.pk}-{reference.pk}",
                    )  # fmt: skip
                except Exception as error:  # a third vote is refused: that is expected
                    if "has had the decisions it needs" not in str(error):
                        raise
            return True

        return run

    results = at_once(
        screen_all(owner, "include"),
        screen_all(reviewer, "include"),
        screen_all(third, "include"),
        screen_all(reviewer, "include"),  # the same reviewer twice, as a double submission
    )

    assert results == [True] * 4, results
    assert all(item.votes == 2 for item in ScreeningItem.objects.filter(stage=TA))
    assert ScreeningItem.objects.filter(stage=TA, state=ItemState.INCLUDED).count() == 30
    assert Decision.objects.count() == 60  # two per reference, none doubled
    assert StageCount.objects.get(review=review, stage=TA, state=ItemState.INCLUDED).n == 30
    assert cache_differences(review) == []
