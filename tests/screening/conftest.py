import pytest

from screening.constants import SourceKind
from screening.services.imports import references_import, source_get_or_create
from screening.services.reviews import review_create


@pytest.fixture
def other_review(db, owner):
    return review_create(slug="other-review", title="Another team's review", owner=owner)


@pytest.fixture
def import_text(review, owner, tmp_path):
    """Import text as a file of a source; returns the search."""

    def run(text: str, *, name="export.ris", source="Embase", kind=SourceKind.DATABASE, **kwargs):
        path = tmp_path / name
        path.write_text(text)
        src = source_get_or_create(review=review, name=source, kind=kind, user=owner)
        return references_import(
            review=review, source=src, path=path, file_name=name, user=owner, **kwargs
        )

    return run
