"""factory_boy factories. Rows that belong to a review stay in one review: a search's source, a
record's search and the record itself all share it, whichever of them a test passes in.

    record = RecordFactory(review=review)           # its search and source are in `review`
    record = RecordFactory(search=search)           # its review is search.review
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from references.duplicates import first_author_key, title_key
from references.models import Reference
from screening.constants import SourceKind
from screening.models import Record, Review, Search, Source
from screening.reviews.services import review_create

TEST_PASSWORD = "screening-test-pass-7"  # the same as tests.conftest.TEST_PASSWORD


class _ParentFromChild(DjangoModelFactory):
    """When a test passes the child (a search) but not its review, take the child's review,
    instead of making a second review that the rows would straddle."""

    class Meta:
        abstract = True

    _child_field: str = ""  # e.g. "search": `review` defaults to `search.review`

    @classmethod
    def _generate(cls, strategy, params):
        child = params.get(cls._child_field)
        if child is not None and "review" not in params:
            params = {**params, "review": child.review}
        return super()._generate(strategy, params)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        child = kwargs.get(cls._child_field)
        if child is not None and child.review_id != kwargs["review"].pk:
            raise ValueError(
                f"{model_class.__name__}: its {cls._child_field} belongs to another review"
            )
        return super()._create(model_class, *args, **kwargs)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = factory.Sequence(lambda n: f"Person{n}")
    last_name = "Tester"
    password = factory.django.Password(TEST_PASSWORD)


class ReviewFactory(DjangoModelFactory):
    """A review made through `review_create`, so its owner is a member (role owner) and the
    creation is audited. `created_by` is the owner."""

    class Meta:
        model = Review

    slug = factory.Sequence(lambda n: f"review-{n}")
    title = factory.Sequence(lambda n: f"Review {n}: ivonescimab versus pembrolizumab")
    question = ""
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, created_by, slug, title, question="", **kwargs):
        if kwargs:
            raise TypeError(f"ReviewFactory cannot set {', '.join(kwargs)} through review_create")
        return review_create(slug=slug, title=title, owner=created_by, question=question)


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = Source

    review = factory.SubFactory(ReviewFactory)
    name = factory.Sequence(lambda n: f"Database {n}")
    kind = SourceKind.DATABASE


class SearchFactory(_ParentFromChild):
    class Meta:
        model = Search

    _child_field = "source"

    review = factory.SubFactory(ReviewFactory)
    source = factory.SubFactory(SourceFactory, review=factory.SelfAttribute("..review"))
    query = "ivonescimab"
    run_at = factory.LazyFunction(timezone.now)
    run_by = factory.LazyAttribute(lambda search: search.review.created_by)


class ReferenceFactory(DjangoModelFactory):
    """A reference with its duplicate keys computed as an import would."""

    class Meta:
        model = Reference

    title = factory.Sequence(lambda n: f"Ivonescimab trial report number {n}")
    abstract = "Background: ... Methods: ... Results: ... Conclusions: ..."
    authors = factory.Sequence(lambda n: [f"Author{n}, Anna", "Second, Bo"])
    journal = "Lancet"
    year = 2024
    pmid = factory.Sequence(lambda n: str(39000000 + n))
    doi = factory.Sequence(lambda n: f"10.1000/test.{n}")
    title_key = factory.LazyAttribute(lambda ref: title_key(ref.title))
    first_author_key = factory.LazyAttribute(lambda ref: first_author_key(ref.authors))


class RecordFactory(_ParentFromChild):
    class Meta:
        model = Record

    _child_field = "search"

    review = factory.SubFactory(ReviewFactory)
    search = factory.SubFactory(SearchFactory, review=factory.SelfAttribute("..review"))
    reference = factory.SubFactory(ReferenceFactory)
    position = factory.Sequence(lambda n: n + 1)
