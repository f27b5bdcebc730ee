"""Bulk PDF upload at retrieval: many PDFs (or zips of them) at once, each matched to the
waiting reference it is the full text of, shown for a person to check, then attached together.

The upload keeps the files in a batch folder (bulk_batches.py) and writes nothing to the
database; the confirmation attaches every chosen file through `full_text_record`, as a single
upload would, in one transaction: the batch is attached whole or not at all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from references.models import Reference
from screening.audit.chain import review_lock
from screening.constants import ItemState, Stage
from screening.decisions.services import ScreeningRefused, screener_membership
from screening.models import FullText, Review, ScreeningItem
from screening.retrieval.bulk_batches import (
    Batch,
    BatchFile,
    batch_claim,
    batch_load,
    batch_new_folder,
    batch_release,
    batch_remove,
    batch_save,
    batches_sweep,
)
from screening.retrieval.bulk_files import BulkRefused, Limits, gather
from screening.retrieval.pdf_match import Candidate, pdf_match, pdf_read
from screening.retrieval.selectors import waiting_references
from screening.retrieval.services import full_text_record

CHOSEN_BY_HAND = "chosen by hand"


def bulk_upload_create(
    *, review: Review, user: AbstractBaseUser, uploads: Iterable, limits: Limits
) -> Batch:
    """Keep the uploaded PDFs (and those of uploaded zips) as a batch of the review, each with
    the waiting reference proposed for it. Raises BulkRefused, keeping nothing, when the batch
    is over its limits or holds no PDF at all."""
    screener_membership(review, user)
    batches_sweep(review.pk)
    token, folder = batch_new_folder(review.pk)
    try:
        gathered = gather(uploads, folder, limits)
        if not gathered.taken:
            reasons = "; ".join(f"{n.name}: {n.why}" for n in gathered.not_taken)
            raise BulkRefused(f"No PDF was kept, so there is nothing to match. {reasons}".strip())
        candidates = [
            Candidate(id=r.pk, title=r.title, doi=r.doi, pmid=r.pmid)
            for r in waiting_references(review)
        ]
        files = []
        for index, taken in enumerate(gathered.taken, start=1):
            match = pdf_match(pdf_read((folder / taken.stored).read_bytes()), candidates)
            files.append(
                BatchFile(
                    index=index,
                    name=taken.name,
                    file_name=taken.file_name,
                    stored=taken.stored,
                    size=taken.size,
                    sha256=taken.sha256,
                    reference_id=match.reference_id,
                    how=match.how,
                )
            )
        batch = Batch(
            token=token,
            review_id=review.pk,
            created_at=timezone.now(),
            created_by=user.get_username(),
            files=files,
            not_taken=gathered.not_taken,
        )
        batch_save(batch)
    except BaseException:
        batch_remove(folder)  # nothing of a refused upload is kept
        raise
    return batch


def bulk_batch_get(review: Review, token: str) -> Batch:
    """The review's batch of that token; BulkRefused if it was confirmed or discarded."""
    batch = batch_load(review.pk, token)
    if batch is None:
        raise BulkRefused("This batch was confirmed or discarded already; nothing more was done.")
    return batch


@dataclass(frozen=True)
class _Attachment:
    file: BatchFile
    reference: Reference


def bulk_upload_confirm(
    *,
    review: Review,
    user: AbstractBaseUser,
    token: str,
    choices: Mapping[int, int | None],
    max_bytes: int,
) -> list[FullText]:
    """Attach each file of the batch to the reference chosen for it (`choices`: file index ->
    reference id, None for "do not attach"), each as a retrieved full text audited like a
    single upload, all in one transaction; then the batch is gone. Raises BulkRefused (or the
    retrieval's own refusal, naming the file) and attaches nothing when any file cannot be."""
    screener_membership(review, user)
    batch = bulk_batch_get(review, token)
    claimed = batch_claim(batch)
    created: list[FullText] = []
    try:
        with transaction.atomic():
            review_lock(review)
            for attachment in _attachments(review, batch, choices):
                created.append(_attach(review, user, batch, claimed, attachment, max_bytes))
    except BaseException:
        for full_text in created:  # their rows were rolled back: no row points at these files
            full_text.file.delete(save=False)
        batch_release(batch, claimed)
        raise
    transaction.on_commit(lambda: batch_remove(claimed))
    return created


def _attachments(
    review: Review, batch: Batch, choices: Mapping[int, int | None]
) -> list[_Attachment]:
    """The files to attach and their references, checked under the review's lock: each a file
    of the batch, each reference still waiting for its full text, no reference chosen twice."""
    unknown = sorted(set(choices) - {f.index for f in batch.files})
    if unknown:
        raise BulkRefused(f"The batch has no file number {unknown[0]}.")
    chosen = {index: ref for index, ref in choices.items() if ref is not None}
    if not chosen:
        raise BulkRefused(
            "No file was given a reference, so nothing was attached. Choose the references, "
            "or discard the batch."
        )
    waiting = set(
        ScreeningItem.objects.in_review(review)
        .filter(stage=Stage.RETRIEVAL, state=ItemState.AWAITING_RETRIEVAL)
        .filter(reference_id__in=chosen.values())
        .values_list("reference_id", flat=True)
    )
    references = Reference.objects.in_bulk(chosen.values())
    by_reference: dict[int, BatchFile] = {}
    attachments = []
    for index, reference_id in sorted(chosen.items()):
        file = batch.file(index)
        reference = references.get(reference_id)
        if reference is None or reference_id not in waiting:
            what = reference.citation[:80] if reference else f"reference {reference_id}"
            raise BulkRefused(
                f"{file.name}: {what} is not waiting for its full text any more (it was "
                "recorded since the upload); choose again. Nothing was attached."
            )
        if reference_id in by_reference:
            raise BulkRefused(
                f"{by_reference[reference_id].name} and {file.name} are both chosen for "
                f"{reference.citation[:80]}: keep one. Nothing was attached."
            )
        by_reference[reference_id] = file
        attachments.append(_Attachment(file, reference))
    return attachments


def _attach(review, user, batch, claimed, attachment: _Attachment, max_bytes) -> FullText:
    file = attachment.file
    how = file.how if file.reference_id == attachment.reference.pk else CHOSEN_BY_HAND
    with (claimed / file.stored).open("rb") as stream:
        try:
            return full_text_record(
                review=review, reference=attachment.reference, user=user, status="retrieved",
                upload=File(stream, name=file.file_name), max_bytes=max_bytes,
                logged={"bulk_upload": batch.token, "matched": how},
            )  # fmt: skip
        except ScreeningRefused as error:  # too big, not a PDF...: said of this file
            raise BulkRefused(f"{file.name}: {error} Nothing was attached.") from error


def bulk_upload_discard(*, review: Review, user: AbstractBaseUser, token: str) -> int:
    """Throw the batch away, attaching nothing; how many files it held."""
    screener_membership(review, user)
    batch = bulk_batch_get(review, token)
    batch_remove(batch_claim(batch))
    return len(batch.files)
