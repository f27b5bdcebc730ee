"""The bulk upload's services (screening/retrieval/bulk.py): a batch is kept apart from the
database until it is confirmed; confirming attaches every chosen PDF, audited one by one like a
single upload, or nothing at all; a batch is confirmed once, and can be thrown away."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from screening.audit.verify import audit_verify
from screening.constants import AuditAction, ItemState, Role, Stage
from screening.decisions.services import ScreeningRefused
from screening.models import AuditEvent, FullText, Membership, ScreeningItem
from screening.retrieval.bulk import (
    CHOSEN_BY_HAND,
    bulk_upload_confirm,
    bulk_upload_create,
    bulk_upload_discard,
)
from screening.retrieval.bulk_batches import batch_load, batches_of, batches_sweep
from screening.retrieval.bulk_files import BulkRefused, Limits
from screening.retrieval.services import full_text_record
from tests.factories import UserFactory
from tests.screening.retrieval.conftest import PDF_BY_DOI, PDF_BY_TITLE, PDF_OTHER
from tests.screening.retrieval.pdfs import zip_of

pytestmark = pytest.mark.django_db

LIMITS = Limits(max_files=10, max_total_bytes=10**6, max_file_bytes=10**5)


def three_pdfs_zip() -> SimpleUploadedFile:
    data = zip_of({
        "jama.pdf": PDF_BY_DOI, "ak112.pdf": PDF_BY_TITLE, "melanoma.pdf": PDF_OTHER,
        "readme.txt": b"Downloaded from the library",
    })  # fmt: skip
    return SimpleUploadedFile("papers.zip", data)


@pytest.fixture
def batch(review, owner, waiting):
    return bulk_upload_create(review=review, user=owner, uploads=[three_pdfs_zip()], limits=LIMITS)


def state(review, reference) -> str:
    return ScreeningItem.objects.get(
        review=review, reference=reference, stage=Stage.RETRIEVAL
    ).state


def stored_full_texts(media: Path) -> list[Path]:
    return [p for p in (media / "fulltexts").rglob("*") if p.is_file()]


def test_an_upload_proposes_a_reference_for_each_pdf_and_writes_nothing_to_the_database(
    review, waiting, batch
):
    events = AuditEvent.objects.filter(review=review).count()
    assert [(f.name, f.reference_id, f.how) for f in batch.files] == [
        ("papers.zip: jama.pdf", waiting[0].pk, "DOI 10.1001/jama.2024.10613 in the text"),
        ("papers.zip: ak112.pdf", waiting[2].pk, "title found on the first page (100% similar)"),
        ("papers.zip: melanoma.pdf", None,
         "No DOI, PMID or title of a waiting reference was found in it."),
    ]  # fmt: skip
    assert [(n.name, n.why) for n in batch.not_taken] == [
        ("papers.zip: readme.txt", "It is not a PDF.")
    ]
    assert FullText.objects.count() == 0
    assert AuditEvent.objects.filter(review=review).count() == events
    assert batch_load(review.pk, batch.token) == batch
    assert [b.token for b in batches_of(review.pk)] == [batch.token]


def test_confirming_attaches_each_pdf_as_a_retrieved_full_text_audited_one_by_one(
    review, owner, waiting, batch, django_capture_on_commit_callbacks
):
    jama, ak112, melanoma = batch.files
    choices = {jama.index: waiting[0].pk, ak112.index: waiting[2].pk, melanoma.index: waiting[1].pk}
    with django_capture_on_commit_callbacks(execute=True):
        attached = bulk_upload_confirm(
            review=review, user=owner, token=batch.token, choices=choices, max_bytes=10**5
        )
    assert [(ft.reference_id, ft.file_name, ft.status) for ft in attached] == [
        (waiting[0].pk, "jama.pdf", "retrieved"),
        (waiting[2].pk, "ak112.pdf", "retrieved"),
        (waiting[1].pk, "melanoma.pdf", "retrieved"),
    ]
    assert attached[1].file.read() == PDF_BY_TITLE
    for reference in waiting:
        assert state(review, reference) == ItemState.RETRIEVED
        assert ScreeningItem.objects.get(reference=reference, stage=Stage.FULL_TEXT).state == (
            ItemState.AWAITING
        )
    events = AuditEvent.objects.filter(review=review, action=AuditAction.FULL_TEXT).order_by("seq")
    assert [(e.after["reference"], e.after["file"], e.after["matched"]) for e in events] == [
        (waiting[0].pk, "jama.pdf", "DOI 10.1001/jama.2024.10613 in the text"),
        (waiting[2].pk, "ak112.pdf", "title found on the first page (100% similar)"),
        (waiting[1].pk, "melanoma.pdf", CHOSEN_BY_HAND),
    ]
    assert {e.after["bulk_upload"] for e in events} == {batch.token}
    assert audit_verify(review).ok
    assert batch_load(review.pk, batch.token) is None and not batch.folder.exists()


def test_a_file_left_without_a_reference_is_not_attached(review, owner, waiting, batch):
    jama, ak112, melanoma = batch.files
    attached = bulk_upload_confirm(
        review=review, user=owner, token=batch.token, max_bytes=10**5,
        choices={jama.index: waiting[0].pk, ak112.index: None, melanoma.index: None},
    )  # fmt: skip
    assert [ft.reference_id for ft in attached] == [waiting[0].pk]
    assert state(review, waiting[2]) == ItemState.AWAITING_RETRIEVAL


def test_a_file_refused_half_way_attaches_nothing_and_keeps_the_batch(
    review, owner, waiting, batch, _private_media_root
):
    jama, ak112, _ = batch.files
    events = AuditEvent.objects.filter(review=review).count()
    # The second file is over the limit the confirmation is given: the first one was attached
    # already, inside the transaction, when the second is refused.
    with pytest.raises(BulkRefused, match=r"^papers.zip: ak112.pdf: The file is .* over the lim"):
        bulk_upload_confirm(
            review=review, user=owner, token=batch.token, max_bytes=ak112.size - 1,
            choices={jama.index: waiting[0].pk, ak112.index: waiting[2].pk},
        )  # fmt: skip
    assert jama.size < ak112.size
    assert FullText.objects.count() == 0
    assert AuditEvent.objects.filter(review=review).count() == events
    assert stored_full_texts(_private_media_root) == []  # the first file's copy is gone too
    assert {state(review, r) for r in waiting} == {ItemState.AWAITING_RETRIEVAL}
    assert batch_load(review.pk, batch.token) == batch  # still there, to be corrected


def test_a_reference_recorded_since_the_upload_refuses_the_batch_whole(
    review, owner, waiting, batch
):
    full_text_record(
        review=review, reference=waiting[2], user=owner, status="not_retrieved",
        reason="Paywalled", max_bytes=1,
    )  # fmt: skip
    jama, ak112, _ = batch.files
    with pytest.raises(BulkRefused, match="is not waiting for its full text any more"):
        bulk_upload_confirm(
            review=review, user=owner, token=batch.token, max_bytes=10**5,
            choices={jama.index: waiting[0].pk, ak112.index: waiting[2].pk},
        )  # fmt: skip
    assert list(FullText.objects.values_list("reference_id", flat=True)) == [waiting[2].pk]
    assert state(review, waiting[0]) == ItemState.AWAITING_RETRIEVAL


def test_two_files_chosen_for_one_reference_are_refused(review, owner, waiting, batch):
    jama, ak112, _ = batch.files
    with pytest.raises(BulkRefused, match="jama.pdf and papers.zip: ak112.pdf are both chosen"):
        bulk_upload_confirm(
            review=review, user=owner, token=batch.token, max_bytes=10**5,
            choices={jama.index: waiting[0].pk, ak112.index: waiting[0].pk},
        )  # fmt: skip
    assert FullText.objects.count() == 0


def test_a_batch_with_nothing_chosen_is_refused(review, owner, waiting, batch):
    with pytest.raises(BulkRefused, match="No file was given a reference"):
        bulk_upload_confirm(
            review=review, user=owner, token=batch.token, max_bytes=10**5,
            choices={f.index: None for f in batch.files},
        )  # fmt: skip


def test_a_batch_is_confirmed_once(review, owner, waiting, batch):
    choices = {batch.files[0].index: waiting[0].pk}
    bulk_upload_confirm(
        review=review, user=owner, token=batch.token, choices=choices, max_bytes=10**5
    )
    with pytest.raises(BulkRefused, match="confirmed or discarded already"):
        bulk_upload_confirm(
            review=review, user=owner, token=batch.token, choices=choices, max_bytes=10**5
        )
    assert FullText.objects.count() == 1


def test_a_discarded_batch_is_gone_and_attaches_nothing(review, reviewer, waiting, batch):
    assert bulk_upload_discard(review=review, user=reviewer, token=batch.token) == 3
    assert batch_load(review.pk, batch.token) is None and not batch.folder.exists()
    with pytest.raises(BulkRefused, match="confirmed or discarded already"):
        bulk_upload_confirm(
            review=review, user=reviewer, token=batch.token, max_bytes=10**5,
            choices={batch.files[0].index: waiting[0].pk},
        )  # fmt: skip
    assert FullText.objects.count() == 0


def test_a_viewer_may_not_upload_confirm_or_discard(review, owner, waiting, batch):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    with pytest.raises(ScreeningRefused, match="Only the review's owners and reviewers"):
        bulk_upload_create(review=review, user=viewer, uploads=[three_pdfs_zip()], limits=LIMITS)
    with pytest.raises(ScreeningRefused):
        bulk_upload_confirm(
            review=review, user=viewer, token=batch.token, max_bytes=10**5,
            choices={batch.files[0].index: waiting[0].pk},
        )  # fmt: skip
    with pytest.raises(ScreeningRefused):
        bulk_upload_discard(review=review, user=viewer, token=batch.token)
    assert [b.token for b in batches_of(review.pk)] == [batch.token]


def test_an_upload_without_a_single_pdf_is_refused_and_keeps_no_folder(
    review, owner, waiting, _private_media_root
):
    uploads = [SimpleUploadedFile("notes.txt", b"hello"), SimpleUploadedFile("a.html", b"<p>")]
    with pytest.raises(BulkRefused, match="No PDF was kept.*notes.txt: It is not a PDF"):
        bulk_upload_create(review=review, user=owner, uploads=uploads, limits=LIMITS)
    assert batches_of(review.pk) == []
    assert list((_private_media_root / "bulk-pdf" / str(review.pk)).iterdir()) == []


def test_batches_left_for_a_week_are_swept(review, owner, waiting, batch):
    assert batches_sweep(review.pk, now=timezone.now() + timedelta(days=6)) == 0
    assert batches_sweep(review.pk, now=timezone.now() + timedelta(days=8)) == 1
    assert batches_of(review.pk) == []
