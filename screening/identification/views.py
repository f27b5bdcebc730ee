"""Identification pages: the upload and its preview, an import job's progress, resume and
cancel, and the duplicate candidates with their merge, reject and undo."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from references.models import Reference
from references.parsers.base import ImportFileError
from screening.constants import EDITOR_ROLES, CandidateStatus, JobStatus
from screening.identification.duplicates import duplicate_merge, duplicate_reject, duplicate_undo
from screening.identification.forms import DecisionMappingForm, SearchDocumentForm, UploadForm
from screening.identification.import_jobs import (
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_is_stale,
    import_job_refusals,
    import_job_resume,
)
from screening.identification.imports import ImportRefused, same_file_search
from screening.identification.selectors import PREVIEW_LIVE_HOURS, live_candidates
from screening.identification.transfer_land import (
    decision_mapping_save,
    editor_choices,
    imported_count,
    reasons_plan,
    shared_members,
    transfer_of,
)
from screening.models import DuplicateCandidate, ImportJob, Review
from screening.permissions.access import next_url, review_for_user
from screening.permissions.actions import run_action
from screening.permissions.upload_limit import UploadLimitHandler

# What an upload's form adds to its file (boundaries, the other fields): a body declared longer
# than the limit plus this is refused unread.
UPLOAD_FORM_OVERHEAD = 64 * 1024
CANDIDATES_PER_PAGE = 25


@csrf_exempt  # checked by the view below, once the upload limit is in place (Django's docs)
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Refuse an upload over IMPORT_MAX_FILE_BYTES before its body is read: by its declared
    length at once, or, for a body that does not declare it, as soon as the bytes read pass
    the limit. Only then is the form (and the CSRF token in it) read."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    limit = settings.IMPORT_MAX_FILE_BYTES
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit + UPLOAD_FORM_OVERHEAD:
            return _upload_refused(request, review, membership, declared, limit)
        guard = UploadLimitHandler(request, limit=limit)
        request.upload_handlers.insert(0, guard)
        response = _import_upload(request, review, membership)
        if guard.exceeded:
            return _upload_refused(request, review, membership, guard.received, limit)
        return response
    return _import_upload(request, review, membership)


def _upload_refused(request, review, membership, size: int, limit: int) -> HttpResponse:
    context = {
        "review": review,
        "membership": membership,
        "form": UploadForm(),
        "details_form": SearchDocumentForm(prefix="search"),
        "refused": f"The file is {filesizeformat(size)}, over the limit of "
        f"{filesizeformat(limit)} for an import, so it was not uploaded. Split the export into "
        "smaller files (most databases export in batches), and import each one.",
        "source_names": review.sources.values_list("name", flat=True),
    }
    return render(request, "screening/identification/import_upload.html", context, status=413)


@csrf_protect
def _import_upload(request: HttpRequest, review: Review, membership) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    # How the search was run (PRISMA-S), kept on the job and given to the search it makes.
    details = SearchDocumentForm(request.POST or None, prefix="search")
    refused = ""
    if request.method == "POST" and all([form.is_valid(), details.is_valid()]):
        try:
            job = import_job_create(
                review=review,
                upload=form.cleaned_data["file"],
                source_name=form.cleaned_data["source_name"],
                source_kind=form.cleaned_data["source_kind"],
                file_format=form.cleaned_data["file_format"],
                skip_unreadable=form.cleaned_data["skip_unreadable"],
                allow_same_file=form.cleaned_data["allow_same_file"],
                search_details=details.details(),
                user=request.user,
            )
        except ImportFileError as error:
            # Said once, above the form: nothing was kept, and the form takes another file.
            refused = f"{error} Choose a file again below."
        else:
            return redirect(job)
    context = {
        "review": review,
        "membership": membership,
        "form": form,
        "details_form": details,
        "refused": refused,
        "source_names": review.sources.values_list("name", flat=True),
    }
    return render(request, "screening/identification/import_upload.html", context)


def _job_for(request: HttpRequest, slug: str, pk: int, roles=None) -> tuple[Review, ImportJob]:
    review, _ = review_for_user(request, slug, roles=roles)
    return review, get_object_or_404(
        ImportJob.objects.select_related("search"), review=review, pk=pk
    )


def import_job_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, job = _job_for(request, slug, pk)
    same_file = None
    if job.status == JobStatus.PREVIEWED:
        same_file = same_file_search(
            review=review, source_name=job.source_name, sha256=job.file_sha256
        )
    context = {
        "review": review,
        "job": job,
        "preview": job.preview,
        "same_file": same_file,
        "refusals": import_job_refusals(job),
        "preview_hours": PREVIEW_LIVE_HOURS,
        "stale": import_job_is_stale(job),
        "stale_seconds": settings.IMPORT_JOB_STALE_SECONDS,
        **_transfer_context(review, job),
    }
    template = "screening/identification/import_job.html"
    if request.htmx:
        template = "screening/identification/_import_job_status.html"
    return render(request, template, context)


@require_POST
def import_job_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    review, job = _job_for(request, slug, pk, roles=EDITOR_ROLES)

    def confirm() -> None:
        if transfer_of(job) and job.status == JobStatus.PREVIEWED:
            _mapping_save(request, review, job)
        import_job_confirm(job=job, user=request.user)

    def map_decisions() -> str:
        _mapping_save(request, review, job)
        return "Saved: the counts below follow what you chose."

    def cancel() -> str:
        return import_job_cancel(job=job, user=request.user).message

    def resume() -> str:
        import_job_resume(job=job, user=request.user)
        return "The import is queued again."

    handlers = {"confirm": confirm, "cancel": cancel, "resume": resume, "map": map_decisions}
    run_action(request, action, handlers, level=messages.INFO)
    return redirect(job)


def _transfer_context(review: Review, job: ImportJob) -> dict:
    """Another tool's decisions in the file: the preview's counts, the reasons confirming
    creates, and the form mapping the file's reviewers to members; after the import, how many
    landed."""
    transfer = transfer_of(job)
    if not transfer:
        return {}
    context = {"transfer": transfer, "decision_mapping": job.decision_mapping or {}}
    if job.status == JobStatus.PREVIEWED:
        context["mapping_form"] = DecisionMappingForm(
            transfer=transfer, members=editor_choices(review), initial=job.decision_mapping
        )
        context["reasons_plan"] = reasons_plan(review, transfer)
        context["shared_members"] = shared_members(job.decision_mapping)
    elif job.status == JobStatus.DONE:
        context["decisions_imported"] = imported_count(job.search)
    return context


def _mapping_save(request: HttpRequest, review: Review, job: ImportJob) -> None:
    form = DecisionMappingForm(
        request.POST, transfer=transfer_of(job), members=editor_choices(review)
    )
    if not form.is_valid():
        raise ImportRefused(" ".join(e for errors in form.errors.values() for e in errors))
    decision_mapping_save(job=job, mapping=form.mapping())


def duplicate_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    status = request.GET.get("status", CandidateStatus.PROPOSED)
    if status not in CandidateStatus.values:
        status = CandidateStatus.PROPOSED
    candidates = (
        live_candidates(review)
        .filter(status=status)
        .select_related("reference_a", "reference_b", "decided_by")
    )
    page = Paginator(candidates, CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "status": status,
        "statuses": CandidateStatus.choices,
        "can_edit": membership.can_edit,
    }
    return render(request, "screening/identification/duplicate_list.html", context)


@require_POST
def duplicate_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    candidate = get_object_or_404(DuplicateCandidate, review=review, pk=pk)

    def merge() -> str:
        keep_id = request.POST.get("keep")
        keep = None
        if keep_id in (str(candidate.reference_a_id), str(candidate.reference_b_id)):
            keep = Reference.objects.get(pk=keep_id)
        duplicate_merge(candidate=candidate, user=request.user, keep=keep)
        return "Merged: the records now share one reference."

    def reject() -> str:
        duplicate_reject(candidate=candidate, user=request.user)
        return "Marked as not duplicates."

    def undo() -> str:
        duplicate_undo(candidate=candidate, user=request.user)
        return "Undone."

    run_action(request, action, {"merge": merge, "reject": reject, "undo": undo})
    return redirect(next_url(request, reverse("screening:duplicate-list", args=[slug])))
