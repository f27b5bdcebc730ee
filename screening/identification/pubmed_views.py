"""Pages for searches: every search of a review with its runs; PubMed searches: count a query or
read a PMID list, run it, follow its job, re-run it, schedule re-runs."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from references.pubmed import PubmedError
from screening.constants import EDITOR_ROLES, OWNER_ROLES, JobStatus
from screening.identification.forms import (
    PubmedPmidsForm,
    PubmedQueryForm,
    ScheduleForm,
    SearchDocumentForm,
)
from screening.identification.imports import ImportRefused
from screening.identification.pubmed_jobs import (
    job_is_stale,
    pubmed_job_cancel,
    pubmed_job_create,
    pubmed_job_resume,
    pubmed_pmids_preview,
    pubmed_query_preview,
    pubmed_search_rerun,
    search_schedule_set,
)
from screening.identification.search_documentation import search_document_update
from screening.models import Membership, PubmedJob, Review, Search, SearchRun
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt, run_action, show_form_errors

SEARCHES_PER_PAGE = 50


def pubmed_search(request: HttpRequest, slug: str) -> HttpResponse:
    """Type a query (or paste PMIDs), see what PubMed would bring, then run it."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    query_form = PubmedQueryForm(prefix="q")
    pmids_form = PubmedPmidsForm(prefix="p")
    preview = None
    action = request.POST.get("action", "")
    if request.method == "POST" and action.endswith("-query"):
        query_form = PubmedQueryForm(request.POST, prefix="q")
        if query_form.is_valid():
            data = query_form.cleaned_data
            try:
                if action == "run-query":
                    job = pubmed_job_create(
                        review=review,
                        user=request.user,
                        query=data["query"],
                        source_name=data["source_name"],
                        submission_token=request.POST.get("token"),
                    )
                    return redirect(job)
                preview = pubmed_query_preview(review=review, query=data["query"])
            except (PubmedError, ImportRefused) as error:
                query_form.add_error("query", str(error))
    elif request.method == "POST" and action.endswith("-pmids"):
        pmids_form = PubmedPmidsForm(request.POST, request.FILES, prefix="p")
        if pmids_form.is_valid():
            data = pmids_form.cleaned_data
            try:
                preview = pubmed_pmids_preview(review=review, text=data["text"])
                if action == "run-pmids":
                    job = pubmed_job_create(
                        review=review,
                        user=request.user,
                        pmids=preview.pmids,
                        source_name=data["source_name"],
                        submission_token=request.POST.get("token"),
                    )
                    return redirect(job)
            except ImportRefused as error:
                pmids_form.add_error("pmids", str(error))
    context = {
        "review": review,
        "membership": membership,
        "query_form": query_form,
        "pmids_form": pmids_form,
        "preview": preview,
        "source_name": request.POST.get("q-source_name") or request.POST.get("p-source_name"),
        "token": uuid.uuid4().hex,  # one per page shown: the run it leads to happens once
        "jobs": review.pubmed_jobs.exclude(status=JobStatus.DONE).select_related("search")[:10],
    }
    return render(request, "screening/identification/pubmed_search.html", context)


def _job_for(
    request: HttpRequest, slug: str, pk: int, roles=None
) -> tuple[Review, Membership, PubmedJob]:
    review, membership = review_for_user(request, slug, roles=roles)
    job = get_object_or_404(
        PubmedJob.objects.select_related("search__source", "run", "created_by"),
        review=review,
        pk=pk,
    )
    return review, membership, job


def pubmed_job_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership, job = _job_for(request, slug, pk)
    context = {
        "review": review,
        "membership": membership,
        "job": job,
        "stale": job_is_stale(job),
        "can_edit": membership.can_edit,
    }
    template = "screening/identification/pubmed_job.html"
    if request.htmx:
        template = "screening/identification/_pubmed_job_status.html"
    return render(request, template, context)


@require_POST
def pubmed_job_action(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    review, _, job = _job_for(request, slug, pk, roles=EDITOR_ROLES)

    def cancel() -> str:
        if pubmed_job_cancel(job=job, user=request.user).status == JobStatus.CANCELLED:
            return "Cancelled; nothing of this search reached the review."
        return "The search stops at its next answer from PubMed."

    def resume() -> str:
        pubmed_job_resume(job=job, user=request.user)
        return "Resumed from its last completed step."

    run_action(request, action, {"cancel": cancel, "resume": resume}, level=messages.INFO)
    return redirect("screening:pubmed-job", review.slug, job.pk)


def search_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every search of the review: file imports, and PubMed searches with each of their runs."""
    review, membership = review_for_user(request, slug)
    runs = SearchRun.objects.select_related("run_by").defer("pmids").order_by("-number")
    searches = (
        review.searches.select_related("source", "run_by")
        .prefetch_related(Prefetch("runs", queryset=runs))
        .order_by("source__name", "run_at", "id")
    )
    page = Paginator(searches, SEARCHES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "can_edit": membership.can_edit,
        "token": uuid.uuid4().hex,
    }
    return render(request, "screening/identification/search_list.html", context)


def _search_for(request, slug, pk, roles=None) -> tuple[Review, Membership, Search]:
    review, membership = review_for_user(request, slug, roles=roles)
    search = get_object_or_404(review.searches.select_related("source", "run_by"), pk=pk)
    return review, membership, search


def search_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership, search = _search_for(request, slug, pk)
    context = {
        "review": review,
        "membership": membership,
        "search": search,
        "runs": search.runs.select_related("run_by").defer("pmids").order_by("-number"),
        "jobs": search.pubmed_jobs.exclude(status=JobStatus.DONE)[:5],
        "can_edit": membership.can_edit,
        "can_manage": membership.can_manage,
        "schedule_form": ScheduleForm(initial={"every_days": search.rerun_every_days}),
        "document_form": SearchDocumentForm(instance=search, prefix="search"),
        "token": uuid.uuid4().hex,
    }
    return render(request, "screening/identification/search_detail.html", context)


@require_POST
def search_document(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An editor sets how the search was run (PRISMA-S); the change is audited."""
    review, _, search = _search_for(request, slug, pk, roles=EDITOR_ROLES)
    form = SearchDocumentForm(request.POST, instance=Search(), prefix="search")
    if not form.is_valid():
        show_form_errors(request, form)
        return redirect(search)

    def document() -> str:
        changed = search_document_update(search=search, user=request.user, **form.cleaned_data)
        return "The search's documentation is saved." if changed else "Nothing changed."

    attempt(request, document)
    return redirect(search)


@require_POST
def search_rerun(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _, search = _search_for(request, slug, pk, roles=EDITOR_ROLES)
    try:
        job = pubmed_search_rerun(
            search=search, user=request.user, submission_token=request.POST.get("token")
        )
    except ImportRefused as error:
        messages.error(request, str(error))
        return redirect(search)
    return redirect(job)


@require_POST
def search_schedule(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _, search = _search_for(request, slug, pk, roles=OWNER_ROLES)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        show_form_errors(request, form)
        return redirect(search)
    days = form.cleaned_data["every_days"]

    def schedule() -> str:
        search_schedule_set(search=search, every_days=days, user=request.user)
        return f"Re-run every {days} days." if days else "No scheduled re-runs."

    attempt(request, schedule)
    return redirect(search)
