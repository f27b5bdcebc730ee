"""The management commands others depend on (DESIGN.md)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from screening.models import Record, Review, Search

pytestmark = pytest.mark.django_db

MEDLINE = "biopython/Medline/pubmed_result2.txt"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_review_creates_the_owner_account_too():
    output = run("create_review", "ivonescimab", "--title", "Ivonescimab", "--owner", "lead")
    review = Review.objects.get(slug="ivonescimab")
    assert review.memberships.get().user.username == "lead"
    assert "password" in output


def test_create_review_refuses_a_taken_slug(review):
    with pytest.raises(CommandError, match="exists already"):
        run("create_review", review.slug)


def test_import_references_prints_one_json_line_per_file(review, data_path):
    output = run(
        "import_references",
        review.slug,
        str(data_path / MEDLINE),
        str(data_path / "biopython/Entrez/pubmed2.xml"),
        "--json",
    )
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["records"] for line in lines] == [4, 2]
    for line in lines:
        assert line["entries"] == line["records"] + line["unreadable"]
        assert line["records"] == line["references_created"] + line["duplicates"]
    assert Search.objects.get(pk=lines[0]["search"]).source.name == "PubMed"


def test_import_references_fails_listing_unreadable_entries_and_imports_nothing(review, tmp_path):
    path = tmp_path / "bad.ris"
    path.write_text("TY  - JOUR\nTI  - Readable\nER  -\n\nTY  - JOUR\nN1  - nothing\nER  -\n")
    with pytest.raises(CommandError, match="entry 2"):
        run("import_references", review.slug, str(path))
    assert not Record.objects.exists()
    output = run("import_references", review.slug, str(path), "--skip-unreadable", "--json")
    assert json.loads(output)["unreadable"] == 1


def test_import_references_is_all_or_nothing_across_files(review, data_path, tmp_path):
    bad = tmp_path / "page.html"
    bad.write_text("<html><body>Error</body></html>")
    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_references", review.slug, str(data_path / MEDLINE), str(bad))
    assert not Search.objects.exists()


def test_import_references_names_a_missing_review():
    with pytest.raises(CommandError, match="No review 'nope'"):
        run("import_references", "nope", "x.ris")
