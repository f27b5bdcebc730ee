"""EndNote XML and CSL-JSON files imported into a review, end to end: through
`references_import` and through the `import_references` command."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from references.models import Reference
from references.parsers.base import ImportFileError
from screening.constants import FileFormat, SourceKind
from screening.identification.imports import references_import, source_get_or_create
from screening.models import Record, Search

pytestmark = pytest.mark.django_db

ENDNOTE = "endnote/reconstructed/endnote20_pubmed_ovid_embase.xml"  # 4 records
CSL_JSON = "csl-json/reconstructed/zotero_csl_json.json"  # 4 items, 3 of them the same works


def _import(review, owner, path, source="EndNote library", **kwargs):
    src = source_get_or_create(review=review, name=source, kind=SourceKind.DATABASE, user=owner)
    return references_import(
        review=review, source=src, path=path, file_name=path.name, user=owner, **kwargs
    )


def test_the_new_formats_are_choices_of_a_search():
    assert ("endnote-xml", "EndNote XML") in FileFormat.choices
    assert ("csl-json", "CSL-JSON (Zotero, Mendeley)") in FileFormat.choices


def test_an_endnote_xml_library_becomes_a_search_with_every_record(review, owner, data_path):
    search = _import(review, owner, data_path / ENDNOTE)
    assert search.file_format == "endnote-xml"
    assert search.get_file_format_display() == "EndNote XML"
    assert (search.entries, search.records_count, search.references_created) == (4, 4, 4)
    trial = Reference.objects.get(pmid="38501234")
    assert (trial.doi, trial.pmcid, trial.year) == ("10.1111/tmi.13999", "PMC10987654", 2024)
    assert trial.authors[0] == "Okafor, C. N."
    assert trial.journal == "Trop Med Int Health"
    assert trial.abstract.startswith("BACKGROUND: Zinc is recommended")
    assert trial.source_format == "endnote-xml"
    assert trial.raw.startswith("<record>")
    assert Reference.objects.filter(pmid="9512345").exists()  # from Ovid MEDLINE
    assert not Reference.objects.filter(pmid="2011234567").exists()  # Embase's number


def test_a_csl_json_export_becomes_a_search_and_finds_the_same_works(review, owner, data_path):
    _import(review, owner, data_path / ENDNOTE)
    search = _import(review, owner, data_path / CSL_JSON, source="Zotero")
    assert search.file_format == "csl-json"
    assert (search.entries, search.records_count) == (4, 4)
    # The trial (PMID), the cholera trial (PMID from Zotero's Extra) and the chapter (title,
    # year and first name) are in the review already; the WHO manual is new.
    assert (search.references_created, search.duplicates) == (1, 3)
    assert Reference.objects.get(pmid="38501234").source_format == "endnote-xml"
    assert Record.objects.filter(search=search).count() == 4


def test_json_that_is_not_csl_json_is_refused_and_imports_nothing(review, owner, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"results": [{"title": "A trial"}]}))
    with pytest.raises(ImportFileError, match="This is a JSON file, but not CSL-JSON"):
        _import(review, owner, path)
    assert not Search.objects.exists()


def run(*args) -> str:
    out = StringIO()
    call_command("import_references", *args, stdout=out)
    return out.getvalue()


def test_the_command_imports_both_formats_detected_or_chosen(review, data_path):
    output = run(
        review.slug, str(data_path / ENDNOTE), str(data_path / CSL_JSON), "--source", "Library"
    )
    assert "endnote20_pubmed_ovid_embase.xml: EndNote XML into Library: 4 entries" in output
    assert "zotero_csl_json.json: CSL-JSON (Zotero, Mendeley) into Library: 4 entries" in output
    lines = run(
        review.slug,
        str(data_path / "endnote/jabref/EndnoteXmlImporterTestArticle2.xml"),
        "--format",
        "endnote-xml",
        "--json",
    )
    assert json.loads(lines)["records"] == 2


def test_the_command_refuses_a_format_chosen_wrongly_and_imports_nothing(review, data_path):
    with pytest.raises(CommandError, match="You chose CSL-JSON, but the file looks like EndNote"):
        run(review.slug, str(data_path / ENDNOTE), "--format", "csl-json")
    assert not Record.objects.exists()
