"""The factories keep a review's rows in one review, whichever row a test passes in."""

import pytest

from tests.factories import RecordFactory, ReviewFactory, SearchFactory

pytestmark = pytest.mark.django_db


def test_a_record_made_from_a_review_has_its_search_and_source_in_that_review():
    review = ReviewFactory()
    record = RecordFactory(review=review)
    assert record.search.review == record.search.source.review == review


def test_a_record_made_from_a_search_takes_the_search_s_review():
    search = SearchFactory()
    assert RecordFactory(search=search).review == search.review


def test_a_record_cannot_straddle_two_reviews():
    with pytest.raises(ValueError, match="another review"):
        RecordFactory(search=SearchFactory(), review=ReviewFactory())
