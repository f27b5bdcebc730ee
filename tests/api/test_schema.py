"""The OpenAPI schema at /api/schema/: open to anyone (it holds no data), valid OpenAPI 3, made
without a warning, and naming every endpoint of the app."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.api.conftest import api_patterns

pytestmark = pytest.mark.django_db


# A stand-in value for each URL kwarg, and how OpenAPI names it in a path.
PLACEHOLDERS = {"slug": ("slug-x", "{slug}"), "pk": (987654, "{id}"), "name": ("name-x", "{name}")}


def _path(name: str, kwargs: list[str]) -> str:
    """The URL's path as the schema writes it: /api/v1/reviews/{slug}/references/{id}/."""
    url = reverse(name, kwargs={k: PLACEHOLDERS[k][0] for k in kwargs})
    for value, template in PLACEHOLDERS.values():
        url = url.replace(str(value), template)
    return url


def test_the_schema_is_readable_without_logging_in_and_names_every_endpoint():
    response = APIClient().get(reverse("api:schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)  # raises on anything that is not OpenAPI 3
    paths = {_path(name, kwargs) for name, kwargs in api_patterns() if name != "api:schema"}
    assert paths == set(schema["paths"])
    decide = schema["paths"]["/api/v1/reviews/{slug}/decisions/"]["post"]
    assert {"200", "201", "409"} <= set(decide["responses"])
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_the_schema_comes_as_yaml_by_default():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "Screening API"
    assert "/api/v1/reviews/" in schema["paths"]


def test_the_schema_is_made_without_a_warning(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/reviews/{slug}/references/" in yaml.safe_load(out.read_text())["paths"]
