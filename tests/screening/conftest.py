import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from screening.constants import SourceKind
from screening.identification.import_jobs import import_job_create
from screening.reviews.services import review_create
from tests.screening.identification.test_imports import RIS_TWO


@pytest.fixture
def other_review(db, owner):
    return review_create(slug="other-review", title="Another team's review", owner=owner)


@pytest.fixture
def job(review, owner):
    """An upload of two RIS records, waiting for its owner to confirm it."""
    upload = SimpleUploadedFile("two.ris", RIS_TWO.encode())
    return import_job_create(
        review=review, upload=upload, source_name="Embase", source_kind=SourceKind.DATABASE,
        user=owner,
    )  # fmt: skip
