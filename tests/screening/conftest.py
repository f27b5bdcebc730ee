import pytest

from screening.reviews.services import review_create


@pytest.fixture
def other_review(db, owner):
    return review_create(slug="other-review", title="Another team's review", owner=owner)
