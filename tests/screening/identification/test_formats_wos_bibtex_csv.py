"""Importing the exports that used to fail, end to end: a Web of Science file with tags outside
rispy's list, a Scopus BibTeX file with a repeated field (its warning shown in the preview), and
tables from Rayyan and ASReview whose notes and labels reach the preview's reader."""

import pytest

from references.models import Reference
from screening.constants import SourceKind
from screening.identification.imports import (
    import_preview,
    references_import,
    source_get_or_create,
)
from screening.models import Record

pytestmark = pytest.mark.django_db


def _import(review, owner, path, source):
    src = source_get_or_create(review=review, name=source, kind=SourceKind.DATABASE, user=owner)
    return references_import(review=review, source=src, path=path, file_name=path.name, user=owner)


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("wos/reconstructed/savedrecs_current_tags.txt", 2),
        ("wos/reconstructed/zoological_record.ciw", 2),
        ("wos/reconstructed/biosis_unindented.txt", 1),
    ],
)
def test_a_web_of_science_file_with_unknown_tags_imports_every_record(
    review, owner, data_path, name, records
):
    search = _import(review, owner, data_path / name, source="Web of Science")
    assert (search.file_format, search.records_count, search.unreadable) == ("wos", records, 0)
    assert Record.objects.filter(search=search).count() == records


def test_an_email_in_a_wos_author_field_does_not_reach_the_stored_reference(
    review, owner, data_path
):
    _import(review, owner, data_path / "wos/reconstructed/savedrecs_current_tags.txt", "WoS")
    reference = Reference.objects.get(doi="10.5555/example.2024.0012")
    assert reference.authors[:2] == ["Example, Ana B.", "Sample, Carlos"]
    assert reference.first_author_key == "example"


def test_a_scopus_bibtex_entry_with_a_repeated_field_is_imported_and_its_warning_previewed(
    review, owner, data_path
):
    path = data_path / "bibtex/reconstructed/scopus_export.bib"
    preview = import_preview(path=path, review=review)
    assert (preview.records, preview.unreadable) == (2, 0)
    assert preview.sample[0]["warnings"] == [
        "the field 'funding_details' appears 2 times: the first value was kept, the others are "
        "in the entry's text"
    ]
    search = _import(review, owner, path, source="Scopus")
    assert (search.records_count, search.unreadable) == (2, 0)
    reference = Reference.objects.get(doi="10.5555/example.2024.101")
    assert "85.58% (95% CI 83.1–88.0%)" in reference.abstract
    assert reference.abstract.endswith("© 2024 Example Press")


def test_notes_and_labels_of_other_tools_reach_the_reader_of_the_preview(review, data_path):
    seen = []
    import_preview(
        path=data_path / "csv/rayyan/articles.csv",
        review=review,
        on_entry=lambda entry: seen.append((entry.notes[:17], entry.extra.get("key"))),
    )
    import_preview(
        path=data_path / "csv/asreview/asreview_export.csv",
        review=review,
        on_entry=lambda entry: seen.append((entry.title[:11], entry.extra.get("included"))),
    )
    assert seen == [
        ("RAYYAN-INCLUSION:", "1"),
        ("RAYYAN-INCLUSION:", "2"),
        ("Proximal an", "1"),
        ("Interaction", "0"),
        ("An unlabell", None),
    ]
