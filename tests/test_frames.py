"""No page is framed and no page frames: the PDF reader draws on canvases, so the policy says
'none' both ways, and X-Frame-Options says DENY to browsers that ignore CSP."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_neither_frame_nor_may_be_framed(client_owner, review):
    response = client_owner.get(reverse("screening:reference-list", args=[review.slug]))
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["frame-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["worker-src"] == "'self'"  # the PDF reader's pdf.js worker
    assert response["X-Frame-Options"] == "DENY"
