"""An upload over IMPORT_MAX_FILE_BYTES is refused before its body is read, with a message that
names the limit and the file's size; nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from screening.models import ImportJob

pytestmark = pytest.mark.django_db
BOUNDARY = "BoUnDaRyStRiNg"


def test_a_body_declared_over_the_limit_is_refused_unread(client_owner, review, settings):
    settings.IMPORT_MAX_FILE_BYTES = 1_000_000
    url = reverse("screening:import-upload", args=[review.slug])
    # The body is empty but says it is 600 MB: the test client's input raises if anything
    # tries to read past what is there, so a 413 proves the view never read it.
    response = client_owner.generic(
        "POST", url, b"", content_type=MULTIPART_CONTENT, CONTENT_LENGTH=str(600 * 1024**2)
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is 600.0\xa0MB, over the limit of 976.6\xa0KB for an import" in page
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_cut_off_as_it_streams(client_owner, review, settings):
    """A body whose length is near the limit: read until the file passes it, then refused."""
    settings.IMPORT_MAX_FILE_BYTES = 50_000
    url = reverse("screening:import-upload", args=[review.slug])
    body = encode_multipart(
        BOUNDARY,
        {
            "file": SimpleUploadedFile("big.ris", b"TY  - JOUR\n" * 6000),  # 66 KB
            "source_name": "Embase",
            "source_kind": "database",
            "file_format": "auto",
        },
    )
    response = client_owner.generic(
        "POST", url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 413
    assert "over the limit of 48.8\xa0KB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_upload_within_the_limit_is_read_as_before(client_owner, review, settings):
    settings.IMPORT_MAX_FILE_BYTES = 50_000
    url = reverse("screening:import-upload", args=[review.slug])
    ris = b"TY  - JOUR\nTI  - Ivonescimab in lung cancer\nPY  - 2024\nER  - \n"
    response = client_owner.post(
        url,
        {"file": SimpleUploadedFile("one.ris", ris), "source_name": "Embase",
         "source_kind": "database", "file_format": "auto"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ImportJob.objects.get().preview["records"] == 1


def test_the_upload_still_needs_its_csrf_token(review, owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("screening:import-upload", args=[review.slug])
    response = client.post(url, {"source_name": "Embase"})
    assert response.status_code == 403
