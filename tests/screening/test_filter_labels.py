"""Filters say what an unset choice does ("Any", "Anyone"), never django-filter's "---------" or
"Unknown" (issue 16)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "expected"),
    [("audit-log", ["Anyone", "Any action", "Any stage"]), ("reference-list", ["Any state"])],
)
def test_unset_filters_read_any(client_owner, review, name, expected):
    html = client_owner.get(reverse(f"screening:{name}", args=[review.slug])).content.decode()
    for label in expected:
        assert f">{label}</option>" in html
    assert "---------" not in html
    assert ">Unknown<" not in html
