"""Views: authorise, bind a form or filter, call one service or selector, render or redirect."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from references import export
from references.models import Reference
from references.parsers.base import ImportFileError

from screening.selectors import EXPORT_COLUMNS, decision_history, export_rows, live_candidates, records_of_reference, reference_visible_in_review, references_in_review, review_counts, searches_with_sources, stage_summary
from screening.access import CAN_EDIT, CAN_MANAGE, next_url, review_for_user
from screening.blinding import VoteView
from screening.constants import CandidateStatus, ItemState, JobStatus, RemovalReason
from screening.filters import ReferenceFilter
from screening.forms import InvitationForm, ReviewCreateForm, UploadForm
from screening.models import DuplicateCandidate, ImportJob, Invitation, Membership, Review
from screening.ranking.model import MIN_EXCLUDES, MIN_INCLUDES, WARM_UP
from screening.services.duplicates import duplicate_merge, duplicate_reject, duplicate_undo
from screening.services.import_jobs import (
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_is_stale,
    import_job_resume,
)
from screening.services.imports import ImportRefused, same_file_search
from screening.services.reviews import (
    invitation_accept,
    invitation_accept_check,
    invitation_create,
    invitation_send,
    membership_remove,
    membership_set_resolver,
    membership_set_role,
    review_create,
)
from screening.services.screening import ScreeningRefused, references_remove, references_restore
from screening.stopping_views import stopping_aid
from screening.upload_limit import UploadLimitHandler

REFERENCES_PER_PAGE = 50
# What an upload's form adds to its file (boundaries, the other fields): a body declared longer
# than the limit plus this is refused unread.
UPLOAD_FORM_OVERHEAD = 64 * 1024
CANDIDATES_PER_PAGE = 25


def review_list(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("review")
        .order_by("-review__created_at")
    )
    return render(request, "screening/review_list.html", {"memberships": memberships})


def review_create_view(request: HttpRequest) -> HttpResponse:
    form = ReviewCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        review = review_create(
            slug=form.cleaned_data["slug"],
            title=form.cleaned_data["title"],
            question=form.cleaned_data["question"],
            owner=request.user,
        )
        messages.success(request, "Review created. Import the records of your searches next.")
        return redirect(review)
    return render(request, "screening/review_form.html", {"form": form})


def review_home(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    view = VoteView.of(review, membership)
    context = {
        "review": review,
        "membership": membership,
        "counts": review_counts(review),
        "stages": stage_summary(review),
        "searches": searches_with_sources(review),
        "jobs": review.import_jobs.exclude(status=JobStatus.DONE).select_related("created_by")[:10],
        "pubmed_jobs": review.pubmed_jobs.exclude(status__in=[JobStatus.DONE, JobStatus.CANCELLED])[
            :10
        ],
        # The stopping aid counts every include, before the second vote: under blind screening
        # only those who see all votes see it (owners and resolvers, who use it).
        "aid": stopping_aid(review) if view.sees_all else None,
        "retrain_every": settings.RANKING_RETRAIN_EVERY,
        "retrain_seconds": settings.RANKING_RETRAIN_SECONDS,
        "warm_up": WARM_UP,
        "min_includes": MIN_INCLUDES,
        "min_excludes": MIN_EXCLUDES,
    }
    return render(request, "screening/review_home.html", context)


def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        review, membership = review_for_user(request, slug, roles=CAN_MANAGE)
        if form.is_valid():
            try:
                invitation = invitation_create(
                    review=review,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                link = request.build_absolute_uri(
                    reverse("screening:invitation-accept", args=[invitation.token])
                )
                problem = invitation_send(invitation=invitation, link=link)
                if problem:
                    messages.warning(
                        request,
                        f"The invitation of {invitation.email} is saved, but its email was not "
                        f"sent: {problem}. Pass this link on yourself: {link}",
                    )
                else:
                    messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("screening:member-list", review.slug)
    context = {
        "review": review,
        "membership": membership,
        "members": review.memberships.select_related("user"),
        "invitations": review.invitations.filter(accepted_at=None, revoked_at=None),
        "form": form,
        "can_manage": membership.role in CAN_MANAGE,
    }
    return render(request, "screening/member_list.html", context)


@require_POST
def member_change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=CAN_MANAGE)
    target = get_object_or_404(Membership, review=review, pk=pk)
    try:
        if request.POST.get("action") == "remove":
            membership_remove(membership=target, removed_by=request.user)
            messages.success(request, f"{target.user.get_username()} was removed from the review.")
        elif request.POST.get("action") == "resolver":
            resolves = request.POST.get("resolves") == "1"
            membership_set_resolver(membership=target, resolves=resolves, changed_by=request.user)
            messages.success(
                request,
                f"{target.user.get_username()} "
                + ("now resolves conflicts." if resolves else "no longer resolves conflicts."),
            )
        else:
            membership_set_role(
                membership=target, role=request.POST["role"], changed_by=request.user
            )
            messages.success(request, f"{target.user.get_username()} is now {target.role}.")
    except (ValidationError, KeyError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("screening:member-list", review.slug)


@login_not_required
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("review"), token=token)
    if not invitation.is_open:
        return _invitation_taken(request, invitation)
    signup, refused = None, ""
    if request.user.is_authenticated:
        refused = invitation_accept_check(invitation=invitation, user=request.user)
        if request.method == "POST" and not refused:
            try:
                invitation_accept(invitation=invitation, user=request.user)
            except ValidationError:
                return _invitation_taken(request, invitation)
            messages.success(request, f"You joined '{invitation.review.title}'.")
            return redirect(invitation.review)
    else:
        signup = UserCreationForm(request.POST or None)
        if request.method == "POST" and signup.is_valid():
            try:
                with transaction.atomic():  # the account only with the membership
                    user = signup.save(commit=False)
                    user.email = invitation.email
                    user.save()
                    invitation_accept(invitation=invitation, user=user)
            except ValidationError:
                return _invitation_taken(request, invitation)
            except IntegrityError:  # the same username, chosen by someone a moment earlier
                signup.add_error("username", "That username was just taken: choose another.")
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome. You joined '{invitation.review.title}'.")
                return redirect(invitation.review)
    return render(
        request,
        "screening/invitation_accept.html",
        {"invitation": invitation, "signup": signup, "refused": refused},
        status=403 if refused and request.method == "POST" else 200,
    )


def _invitation_taken(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """The invitation is used: by this person (a double submission: on to the review), or by
    someone else, maybe a moment ago (several people opened the link at once)."""
    invitation.refresh_from_db()
    if (
        request.user.is_authenticated
        and Membership.objects.filter(review=invitation.review, user=request.user).exists()
    ):
        return redirect(invitation.review)  # it was this person: a double submission
    return render(request, "screening/invitation_used.html", {"invitation": invitation}, status=410)


@csrf_exempt  # checked by the view below, once the upload limit is in place (Django's docs)
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Refuse an upload over IMPORT_MAX_FILE_BYTES before its body is read: by its declared
    length at once, or, for a body that does not declare it, as soon as the bytes read pass
    the limit. Only then is the form (and the CSRF token in it) read."""
    review, membership = review_for_user(request, slug, roles=CAN_EDIT)
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
        "refused": f"The file is {filesizeformat(size)}, over the limit of "
        f"{filesizeformat(limit)} for an import, so it was not uploaded. Split the export into "
        "smaller files (most databases export in batches), and import each one.",
        "source_names": review.sources.values_list("name", flat=True),
    }
    return render(request, "screening/import_upload.html", context, status=413)


@csrf_protect
def _import_upload(request: HttpRequest, review: Review, membership) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                review=review,
                upload=form.cleaned_data["file"],
                source_name=form.cleaned_data["source_name"],
                source_kind=form.cleaned_data["source_kind"],
                file_format=form.cleaned_data["file_format"],
                skip_unreadable=form.cleaned_data["skip_unreadable"],
                allow_same_file=form.cleaned_data["allow_same_file"],
                user=request.user,
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect(job)
    context = {
        "review": review,
        "membership": membership,
        "form": form,
        "source_names": review.sources.values_list("name", flat=True),
    }
    return render(request, "screening/import_upload.html", context)


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
        "stale": import_job_is_stale(job),
        "stale_seconds": settings.IMPORT_JOB_STALE_SECONDS,
    }
    template = "screening/import_job.html"
    if request.htmx:
        template = "screening/partials/import_job_status.html"
    return render(request, template, context)


@require_POST
def import_job_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    review, job = _job_for(request, slug, pk, roles=CAN_EDIT)
    if action == "confirm":
        import_job_confirm(job=job, user=request.user)
    elif action == "cancel":
        outcome = import_job_cancel(job=job, user=request.user)
        messages.info(request, outcome.message)
    elif action == "resume":
        try:
            import_job_resume(job=job, user=request.user)
            messages.info(request, "The import is queued again.")
        except ImportRefused as error:
            messages.error(request, str(error))
    else:
        raise Http404("No such action.")
    return redirect(job)


def reference_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    query = request.GET.copy()
    export = query.pop("format", [None])[0]
    view = VoteView.of(review, membership)
    filterset = ReferenceFilter(
        query or None, queryset=references_in_review(review), review=review, view=view
    )
    if export in ("ris", "csv"):
        return _export(review, filterset.qs, export, view)
    page = Paginator(filterset.qs.order_by("id"), REFERENCES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query.pop("page", None)
    context = {
        "review": review,
        "membership": membership,
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_edit": membership.role in CAN_EDIT,
        "removal_reasons": RemovalReason.by_hand(),
    }
    return render(request, "references/reference_list.html", context)


def _export(review: Review, references, kind: str, view: VoteView) -> StreamingHttpResponse:
    """The filtered list as RIS (for reference managers) or CSV (for the paper), streamed."""
    stem = f"{review.slug} references {timezone.now():%Y-%m-%d}"
    rows = export_rows(review, references, view)
    if kind == "ris":
        body, name = export.iter_ris(rows), export.ris_filename(stem)
        content_type = "application/x-research-info-systems; charset=utf-8"
    else:
        body = export.iter_csv(rows, EXPORT_COLUMNS)
        name, content_type = export.csv_filename(stem), "text/csv; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def reference_remove(request: HttpRequest, slug: str) -> HttpResponse:
    """Remove before screening (or restore) every reference of the filtered list."""
    review, membership = review_for_user(request, slug, roles=CAN_EDIT)
    query = request.GET.copy()
    filterset = ReferenceFilter(
        query or None,
        queryset=references_in_review(review),
        review=review,
        view=VoteView.of(review, membership),
    )
    ids = list(filterset.qs.values_list("id", flat=True))
    try:
        if request.POST.get("action") == "restore":
            n = references_restore(review=review, reference_ids=ids, user=request.user)
            messages.success(request, f"{n} reference(s) restored to screening.")
        else:
            n = references_remove(
                review=review,
                reference_ids=ids,
                reason=request.POST.get("reason", ""),
                detail=request.POST.get("detail", ""),
                user=request.user,
            )
            skipped = len(ids) - n
            messages.success(
                request,
                f"{n} reference(s) removed before screening"
                + (
                    f"; {skipped} were left, being screened already or elsewhere."
                    if skipped
                    else "."
                ),
            )
    except ScreeningRefused as error:
        messages.error(request, str(error))
    url = reverse("screening:reference-list", args=[review.slug])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def reference_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    if not reference_visible_in_review(review, pk):
        raise Http404("No such reference in this review.")
    reference = get_object_or_404(Reference, pk=pk)
    view = VoteView.of(review, membership)
    history = decision_history(review, reference.pk, view)
    context = {
        "review": review,
        "membership": membership,
        "reference": reference,
        "records": records_of_reference(review, reference),
        "candidates": live_candidates(review)
        .filter(Q(reference_a=reference) | Q(reference_b=reference))
        .select_related("reference_a", "reference_b"),
        "items": review.items.filter(reference=reference).select_related("reason"),
        "history": history,
        "hidden_votes": not view.sees_all
        and view.decisions_hidden().filter(reference_id=reference.pk).exists(),
        "can_edit": membership.role in CAN_EDIT,
        "can_manage": membership.role in CAN_MANAGE,
        "open_states": ItemState.open(),
        "settled_states": [ItemState.INCLUDED, ItemState.EXCLUDED],
    }
    return render(request, "references/reference_detail.html", context)


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
        "can_edit": membership.role in CAN_EDIT,
    }
    return render(request, "screening/duplicate_list.html", context)


@require_POST
def duplicate_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=CAN_EDIT)
    candidate = get_object_or_404(DuplicateCandidate, review=review, pk=pk)
    try:
        if action == "merge":
            keep_id = request.POST.get("keep")
            keep = None
            if keep_id in (str(candidate.reference_a_id), str(candidate.reference_b_id)):
                keep = Reference.objects.get(pk=keep_id)
            duplicate_merge(candidate=candidate, user=request.user, keep=keep)
            messages.success(request, "Merged: the records now share one reference.")
        elif action == "reject":
            duplicate_reject(candidate=candidate, user=request.user)
            messages.success(request, "Marked as not duplicates.")
        elif action == "undo":
            duplicate_undo(candidate=candidate, user=request.user)
            messages.success(request, "Undone.")
        else:
            raise Http404("No such action.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(next_url(request, reverse("screening:duplicate-list", args=[slug])))
