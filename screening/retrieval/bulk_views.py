"""The bulk PDF upload's pages: the upload (from the retrieval page), the batch to check and
confirm, its PDFs, and discarding it. For the review's owners and reviewers only, as a single
upload is: a viewer neither uploads nor sees a batch."""

from __future__ import annotations

from dataclasses import dataclass, field

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import TooManyFilesSent
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat, pluralize
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from screening.constants import EDITOR_ROLES
from screening.models import Review
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt, show_form_errors
from screening.permissions.upload_limit import UploadLimitHandler
from screening.retrieval.bulk import (
    bulk_upload_confirm,
    bulk_upload_create,
    bulk_upload_discard,
)
from screening.retrieval.bulk_batches import Batch, BatchFile, batch_load
from screening.retrieval.bulk_files import Limits
from screening.retrieval.forms import BulkConfirmForm, BulkUploadForm
from screening.retrieval.selectors import same_pdf_elsewhere, waiting_references

# What the form adds to its files (boundaries, the token): a body declared longer than the
# batch's limit plus this is refused unread.
UPLOAD_FORM_OVERHEAD = 64 * 1024


def bulk_limits() -> Limits:
    return Limits(max_file_bytes=settings.FULLTEXT_MAX_FILE_BYTES)


def _retrieval_url(review: Review) -> str:
    return reverse("screening:retrieval-list", args=[review.slug])


@csrf_exempt  # checked by the view below, once the upload limit is in place (Django's docs)
@require_POST
def bulk_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Keep the uploaded PDFs as a batch and show it to be checked. A body over the batch's
    limit is refused before it is read, or as soon as the bytes read pass it."""
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    limits = bulk_limits()
    too_big = (
        f"The upload is over the limit of {filesizeformat(limits.max_total_bytes)} for one "
        "batch, so nothing was kept. Upload the PDFs in smaller batches."
    )
    if int(request.META.get("CONTENT_LENGTH") or 0) > limits.max_total_bytes + UPLOAD_FORM_OVERHEAD:
        messages.error(request, too_big)
        return redirect(_retrieval_url(review))
    guard = UploadLimitHandler(request, limit=limits.max_total_bytes)
    request.upload_handlers.insert(0, guard)
    try:
        return _bulk_upload(request, review, limits, guard, too_big)
    except TooManyFilesSent:  # Django's own cap on files in one request
        messages.error(
            request,
            f"More than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files were sent at once, so "
            "nothing was kept. Put them in a zip, or upload them in smaller batches.",
        )
        return redirect(_retrieval_url(review))


@csrf_protect
def _bulk_upload(request, review, limits: Limits, guard: UploadLimitHandler, too_big: str):
    form = BulkUploadForm(request.POST, request.FILES)
    if guard.exceeded:
        messages.error(request, too_big)
        return redirect(_retrieval_url(review))
    if not form.is_valid():
        show_form_errors(request, form)
        return redirect(_retrieval_url(review))
    made: list[Batch] = []

    def create() -> None:
        made.append(
            bulk_upload_create(
                review=review, user=request.user, uploads=form.cleaned_data["files"], limits=limits
            )
        )

    if attempt(request, create):
        return redirect("screening:retrieval-bulk-batch", review.slug, made[0].token)
    return redirect(_retrieval_url(review))


@dataclass
class _Row:
    file: BatchFile
    field: object  # the bound field of its select
    proposed: object  # the reference proposed for it, when it is still waiting
    shared_with: list[str] = field(default_factory=list)  # other files proposed for it
    attached_to: list = field(default_factory=list)  # references holding this very PDF now


def _rows(review: Review, batch: Batch, form: BulkConfirmForm, references) -> list[_Row]:
    by_id = {ref.pk: ref for ref in references}
    attached = same_pdf_elsewhere(review, [file.sha256 for file in batch.files])
    rows = [
        _Row(
            file,
            form[form.field_name(file)],
            by_id.get(file.reference_id),
            attached_to=attached.get(file.sha256, []),
        )
        for file in batch.files
    ]
    for row in rows:
        if row.proposed is not None:
            row.shared_with = [
                other.file.name
                for other in rows
                if other is not row and other.proposed is row.proposed
            ]
    return rows


def bulk_batch(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A batch's files, each with the reference proposed for it and a select to correct it;
    confirming attaches them all."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    batch = batch_load(review.pk, token)
    if batch is None:
        raise Http404("No such batch: it was confirmed or discarded.")
    references = waiting_references(review)
    form = BulkConfirmForm(request.POST or None, batch=batch, references=references)
    if request.method == "POST" and form.is_valid():

        def confirm() -> str:
            attached = bulk_upload_confirm(
                review=review, user=request.user, token=batch.token,
                choices=form.choices(batch), max_bytes=settings.FULLTEXT_MAX_FILE_BYTES,
            )  # fmt: skip
            n = len(attached)
            return f"{n} PDF{pluralize(n)} attached as retrieved full text{pluralize(n)}."

        if attempt(request, confirm):
            return redirect(_retrieval_url(review) + "?state=retrieved")
    elif request.method == "POST":
        show_form_errors(request, form)
    rows = _rows(review, batch, form, references)
    context = {
        "review": review,
        "membership": membership,
        "batch": batch,
        "matched": [row for row in rows if row.proposed is not None],
        "unmatched": [row for row in rows if row.proposed is None],
        "waiting": len(references),
    }
    return render(request, "screening/retrieval/bulk_batch.html", context)


@require_POST
def bulk_discard(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)

    def discard() -> str:
        n = bulk_upload_discard(review=review, user=request.user, token=token)
        return f"The batch of {n} PDF{pluralize(n)} was discarded; none was attached."

    attempt(request, discard, level=messages.INFO)
    return redirect(_retrieval_url(review))


@csp_exempt()  # a PDF: the browser's own viewer renders it, and a CSP would block that viewer
def bulk_file(request: HttpRequest, slug: str, token: str, pk: int) -> FileResponse:
    """One PDF of a batch, to look at before choosing its reference."""
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    batch = batch_load(review.pk, token)
    file = batch.file(pk) if batch is not None else None
    if file is None:
        raise Http404("No such file in a batch waiting for confirmation.")
    try:
        stream = batch.path_of(file).open("rb")
    except FileNotFoundError:
        raise Http404("The batch was confirmed or discarded meanwhile.") from None
    response = FileResponse(
        stream, content_type="application/pdf", as_attachment=False, filename=file.file_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
