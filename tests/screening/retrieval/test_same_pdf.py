"""The same PDF twice: attached again to the reference that holds it, it is refused and nothing
is recorded; attached to another reference, it is kept and the page warns; in a bulk upload,
a file that is already some reference's full text says so beside it. Every full text keeps
its file's SHA-256, and its audit event carries it."""

from __future__ import annotations

import hashlib
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction

from screening.constants import AuditAction
from screening.decisions.services import ScreeningRefused
from screening.models import AuditEvent, FullText
from screening.retrieval.bulk_batches import batches_of
from screening.retrieval.services import full_text_record
from tests.screening.retrieval.conftest import PDF_BY_DOI, PDF_OTHER
from tests.screening.retrieval.test_bulk_views import papers_zip, said, url

pytestmark = pytest.mark.django_db


def _attach(review, reference, user, data: bytes, name="paper.pdf") -> FullText:
    return full_text_record(
        review=review, reference=reference, user=user, status="retrieved",
        upload=SimpleUploadedFile(name, data, content_type="application/pdf"),
        max_bytes=settings.FULLTEXT_MAX_FILE_BYTES,
    )  # fmt: skip


def test_each_full_text_keeps_its_checksum_and_the_log_carries_it(review, owner, waiting):
    full_text = _attach(review, waiting[0], owner, PDF_BY_DOI)
    assert full_text.sha256 == hashlib.sha256(PDF_BY_DOI).hexdigest()
    event = AuditEvent.objects.filter(action=AuditAction.FULL_TEXT).latest("id")
    assert event.after["sha256"] == full_text.sha256
    with full_text.file.open("rb") as stream:  # the stored bytes are those the log names
        assert hashlib.sha256(stream.read()).hexdigest() == event.after["sha256"]


def test_the_same_pdf_again_on_the_same_reference_is_refused_and_records_nothing(
    review, owner, waiting
):
    _attach(review, waiting[0], owner, PDF_BY_DOI, name="jama.pdf")
    events = AuditEvent.objects.count()
    files = sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "fulltexts").rglob("*.pdf"))
    with pytest.raises(ScreeningRefused, match=r"already attached \(jama.pdf, by olivia-owner"):
        _attach(review, waiting[0], owner, PDF_BY_DOI, name="again.pdf")
    assert FullText.objects.filter(reference=waiting[0]).count() == 1
    assert AuditEvent.objects.count() == events
    assert sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "fulltexts").rglob("*.pdf")) == files
    # A different PDF replaces it, as before.
    _attach(review, waiting[0], owner, PDF_OTHER, name="corrected.pdf")
    assert FullText.objects.filter(reference=waiting[0]).count() == 2


def test_the_same_pdf_on_another_reference_is_kept_with_a_warning(client_owner, review, waiting):
    def upload(reference, name):
        return client_owner.post(
            url("retrieval-record", review, reference.pk),
            {"status": "retrieved", "file": SimpleUploadedFile(name, PDF_BY_DOI)},
        )

    assert said(upload(waiting[0], "jama.pdf")) == [f"Recorded for: {waiting[0].citation[:80]}"]
    # The first upload's message is still in the session: the test client follows no redirect.
    messages = said(upload(waiting[1], "jama-again.pdf"))[-2:]
    assert messages[0] == f"Recorded for: {waiting[1].citation[:80]}"
    assert messages[1].startswith(f"The same PDF is the full text of {waiting[0].citation[:80]}")
    assert FullText.objects.filter(sha256=hashlib.sha256(PDF_BY_DOI).hexdigest()).count() == 2


def test_a_bulk_file_already_attached_says_to_which_reference(client_owner, review, owner, waiting):
    _attach(review, waiting[1], owner, PDF_OTHER, name="melanoma.pdf")
    client_owner.post(url("retrieval-bulk-upload", review), {"files": [papers_zip()]})
    (batch,) = batches_of(review.pk)
    page = client_owner.get(url("retrieval-bulk-batch", review, batch.token)).content.decode()
    melanoma = next(f for f in batch.files if f.name.endswith("melanoma.pdf"))
    row = page.split(f'id="bulk-file-{melanoma.index}"')[1].split("</tr>")[0]
    assert "This very PDF is already the full text of" in row
    assert url("reference-detail", review, waiting[1].pk) in row
    assert page.count("already-attached") == 1  # the other two files are new


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_the_migration_fills_the_checksums_of_stored_files(review, owner, waiting):
    full_text = _attach(review, waiting[0], owner, PDF_BY_DOI)
    missing = _attach(review, waiting[1], owner, PDF_OTHER)
    missing.file.delete(save=False)  # a file gone from the disk keeps a blank checksum
    table = FullText._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # append-only there, as the migration knows
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(f"UPDATE {table} SET sha256 = ''")
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    migration = import_module("screening.migrations.0016_full_text_checksum")
    # What RunPython's schema editor offers the function: the connection and execute().
    editor = SimpleNamespace(connection=connection, execute=lambda sql: _execute(sql))
    migration.fill_checksums(apps, editor)
    assert FullText.objects.get(pk=full_text.pk).sha256 == hashlib.sha256(PDF_BY_DOI).hexdigest()
    assert FullText.objects.get(pk=missing.pk).sha256 == ""
    if connection.vendor == "postgresql":  # and the table is append-only again
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            FullText.objects.filter(pk=full_text.pk).update(sha256="")
