"""Recording a reference's retrieval; a PDF is checked (its magic bytes, its size) before it
is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from references.models import Reference
from screening.audit.chain import review_lock
from screening.constants import (
    FullTextStatus,
    Stage,
)

# --- Retrieval ----------------------------------------------------------------------------------
from screening.decisions.services import (
    ScreeningRefused,
    full_text_logged,
    locked_item,
    screener_membership,
)
from screening.models import (
    FullText,
    Review,
)

PDF_MAGIC = b"%PDF-"


@transaction.atomic
def full_text_record(
    *,
    review: Review,
    reference: Reference,
    user: AbstractBaseUser,
    status: str,
    upload=None,
    url: str = "",
    reason: str = "",
    max_bytes: int,
    logged: Mapping[str, object] | None = None,
) -> FullText:
    """Record a reference's retrieval: a PDF, a link, retrieved without a file, or not
    retrieved with a reason. The latest record holds. `logged`: what the audit event adds
    (a bulk upload says which batch the file came from and how it was matched)."""
    screener_membership(review, user)
    review_lock(review)
    locked_item(review, reference, Stage.RETRIEVAL)
    if status not in FullTextStatus.values:
        raise ScreeningRefused("Say whether the full text was retrieved.")
    if status == FullTextStatus.NOT_RETRIEVED and not reason.strip():
        raise ScreeningRefused("Say why the full text could not be retrieved.")
    full_text = FullText(
        review=review,
        reference=reference,
        status=status,
        url=url.strip(),
        reason=reason.strip() if status == FullTextStatus.NOT_RETRIEVED else "",
        created_by=user,
    )
    if upload is not None:
        if status != FullTextStatus.RETRIEVED:
            raise ScreeningRefused("A file goes with a retrieved full text.")
        _check_pdf(upload, max_bytes)
        full_text.sha256 = _sha256(upload)
        _refuse_the_same_pdf(review, reference, full_text.sha256)
        full_text.file_name = upload.name[:255]
        full_text.file.save(upload.name, upload, save=False)
    try:
        full_text.save()
        full_text_logged(full_text, actor=user, **(logged or {}))
    except BaseException:
        if full_text.file:
            full_text.file.delete(save=False)  # no row will point at it
        raise
    return full_text


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _refuse_the_same_pdf(review: Review, reference: Reference, sha256: str) -> None:
    """A PDF identical to the one the reference holds now is a second submission of it: said,
    and nothing recorded. (The same PDF on another reference is allowed, a supplement of
    several conference abstracts say, and the pages warn of it: `same_pdf_elsewhere`.)"""
    latest = (
        FullText.objects.in_review(review)
        .filter(reference=reference)
        .exclude(file="")
        .select_related("created_by")
        .order_by("-id")
        .first()
    )
    if latest is not None and latest.sha256 == sha256:
        who = latest.created_by.get_username() if latest.created_by else "someone"
        raise ScreeningRefused(
            f"This PDF is the one already attached ({latest.file_name}, by {who} on "
            f"{latest.created_at:%d %b %Y}); nothing was changed."
        )


def _check_pdf(upload, max_bytes: int) -> None:
    if upload.size > max_bytes:
        raise ScreeningRefused(
            f"The file is {filesizeformat(upload.size)}, over the limit of "
            f"{filesizeformat(max_bytes)} for a full text."
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if PDF_MAGIC not in head:
        raise ScreeningRefused("The file is not a PDF; upload the article as a PDF, or link to it.")
