"""Fixtures of the decisions tests: a second reviewer, and six references waiting at title and
abstract (a test file that needs another number defines its own `references`)."""

from __future__ import annotations

import pytest

from screening.constants import Role
from screening.models import Membership
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris


@pytest.fixture
def second(review):
    user = UserFactory(username="sara-second")
    Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    return user


@pytest.fixture
def references(review, import_text):
    search = import_text(ris(6), name="embase.ris", source="Embase")
    return [record.reference for record in search.records.order_by("position")]
