"""Migration references 0002 recomputes the first-author keys stored before names written
given-name first were read by their surname, so that old references and new imports meet."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from references.models import Reference

pytestmark = pytest.mark.django_db
upgrade = import_module("references.migrations.0002_first_author_key_given_name_first")


def test_stored_keys_of_given_name_first_authors_are_recomputed():
    old = Reference.objects.create(
        title="Zinc for diarrhoea", authors=["P Nazzaro", "Lindqvist, M."], first_author_key="p"
    )
    kept = Reference.objects.create(
        title="Another", authors=["Nazzaro, Paolo"], first_author_key="nazzaro"
    )
    anonymous = Reference.objects.create(title="No authors", authors=[], first_author_key="")
    upgrade.recompute(apps, None)
    keys = dict(Reference.objects.values_list("id", "first_author_key"))
    assert keys == {old.pk: "nazzaro", kept.pk: "nazzaro", anonymous.pk: ""}
