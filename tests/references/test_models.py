"""Reference rows: bulk_insert (COPY on PostgreSQL, bulk_create elsewhere) stores every field."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from references.models import Reference

pytestmark = pytest.mark.django_db


def test_bulk_insert_gives_each_reference_its_id_and_stores_every_field():
    references = [
        Reference(
            title=f'Ivonescimab "HARMONi-{n}" \\ trial\ttab',
            abstract="Line one.\nLine two, with ünïcode and a backslash \\N.",
            abstract_sections=[{"label": "METHODS", "text": "Randomised."}],
            authors=["Fang, Wenfeng", "Zhang, Li"],
            year=2024 + n,
            pmid=str(40000000 + n),
            doi=f"10.1000/harmoni.{n}",
            registry_ids=["NCT05184712"],
            publication_types=["Randomized Controlled Trial"],
            mesh_terms=[],
            raw="<PubmedArticle>" + "x" * 20_000 + "</PubmedArticle>",
        )
        for n in range(3)
    ]
    before = Reference.objects.count()

    inserted = Reference.objects.bulk_insert(references)

    assert Reference.objects.count() == before + 3
    assert all(reference.pk for reference in inserted)
    assert len({reference.pk for reference in inserted}) == 3
    for reference in inserted:
        stored = Reference.objects.get(pk=reference.pk)
        assert model_to_dict(stored) == model_to_dict(reference)
        assert stored.created_at is not None
    # The sequence moved past the ids taken: the next ordinary insert gets a new one.
    later = Reference.objects.create(title="Later")
    assert later.pk > max(reference.pk for reference in inserted)
    assert connection.vendor in ("postgresql", "sqlite")


def test_a_citation_names_the_first_author_or_else_the_site():
    paper = Reference(title="HARMONi-2", authors=["Xiong, A", "Wang, L"], year=2025)
    page = Reference(title="Clinical Study of Ivonescimab", journal="ClinicalTrials.gov", year=2025)
    nothing = Reference(title="An untitled note")
    assert paper.citation == "Xiong et al. 2025. HARMONi-2"
    assert page.citation == "ClinicalTrials.gov 2025. Clinical Study of Ivonescimab"
    assert nothing.citation == "Anonymous. An untitled note"
