"""PubMed searches in a review: count a query, run it (or a PMID list) as a job, re-run it,
resume a job whose worker died, cancel one.

A job runs in three phases, each committed before the next begins, so that a worker that dies
leaves a job the next one carries on from its last committed step:
  1. search: every PMID the query finds (or the PMID list), and those the search has not
     returned before (the ones to fetch);
  2. fetch: a batch of PMIDs at a time is fetched into a staging file; the job row records each
     batch in the same transaction that advances its progress;
  3. import: one transaction reads the staged files with the same PubMed XML reader as file
     imports, adds the new records to the search, marks the ones that dropped out, and marks
     the job done. The review gets all of a run or none of it.
A runner writes only while the job's lease is its own: a worker taken for dead that wakes up
again finds the lease gone and stops, so nothing is written twice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from references.models import Reference
from references.pubmed import (
    parse_pmid_list,
)
from screening import dispatch
from screening.audit.chain import audit_record
from screening.constants import AuditAction, JobStatus, SearchMethod, SourceKind
from screening.identification.imports import (
    ImportRefused,
)
from screening.identification.pubmed_client import pubmed_client
from screening.identification.pubmed_run import (
    job_is_stale,
    locked_jobs,
    mark_cancelled,
    stale_before,
)
from screening.models import PubmedJob, Review, Search

logger = logging.getLogger(__name__)

MAX_PMIDS = 100_000  # in one PMID list
DEFAULT_SOURCE = "PubMed"


# --- Before running: what would it bring? ------------------------------------------------------


@dataclass
class PubmedPreview:
    method: str
    query: str = ""
    count: int = 0  # records PubMed finds, or valid PMIDs in the list
    translation: str = ""
    warnings: list[str] = field(default_factory=list)
    pmids: list[str] = field(default_factory=list)  # a PMID list's PMIDs
    invalid: list[str] = field(default_factory=list)  # tokens of the list that are no PMID
    already_in_review: int | None = None  # PMIDs the review holds a reference for
    rerun_of: int | None = None  # the search this query would re-run
    rerun_last_count: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def normalise_query(query: str) -> str:
    """The query as it is stored and compared: whitespace runs made one space."""
    return " ".join(query.split())


def search_for_query(review: Review, query: str) -> Search | None:
    """The review's PubMed search with exactly this query: running it again is a re-run."""
    return (
        Search.objects.in_review(review)
        .filter(method=SearchMethod.PUBMED_QUERY, query=normalise_query(query))
        .select_related("source")
        .first()
    )


def pubmed_query_preview(*, review: Review, query: str) -> PubmedPreview:
    """PubMed's count and translation of a query (one request). Raises PubmedError."""
    query = normalise_query(query)
    if not query:
        raise ImportRefused("Type a PubMed query, such as: ivonescimab AND lung cancer.")
    answer = pubmed_client().count(query)
    preview = PubmedPreview(
        method=SearchMethod.PUBMED_QUERY,
        query=query,
        count=answer.count,
        translation=answer.translation,
        warnings=answer.warnings,
    )
    earlier = search_for_query(review, query)
    if earlier is not None:
        preview.rerun_of = earlier.pk
        preview.rerun_last_count = earlier.result_count
    return preview


def pubmed_pmids_preview(*, review: Review, text: str) -> PubmedPreview:
    """The PMIDs of a pasted or uploaded list, and how many the review holds already."""
    pmids, invalid = parse_pmid_list(text)
    if not pmids:
        shown = ", ".join(invalid[:5])
        raise ImportRefused(
            "No PMID found in the list"
            + (f" (it holds {shown}{'...' if len(invalid) > 5 else ''})" if invalid else "")
            + ". Give PMIDs one per line, or separated by commas or spaces."
        )
    if len(pmids) > MAX_PMIDS:
        raise ImportRefused(
            f"The list holds {len(pmids):,} PMIDs, more than {MAX_PMIDS:,}; split it."
        )
    known = set()
    for start in range(0, len(pmids), 5000):
        known.update(
            Reference.objects.filter(
                records__review=review, pmid__in=pmids[start : start + 5000]
            ).values_list("pmid", flat=True)
        )
    return PubmedPreview(
        method=SearchMethod.PUBMED_PMIDS,
        count=len(pmids),
        pmids=pmids,
        invalid=invalid,
        already_in_review=len(known),
    )


# --- Creating, resuming, cancelling jobs -------------------------------------------------------


def pubmed_job_enqueue(job_id: int) -> None:
    """Hand the job to a Celery worker; without a broker, run it in-process: beside the
    request in a thread where PUBMED_EAGER_IN_THREAD is on (`make run`, so that its page shows
    progress), else at once (tests)."""
    dispatch.enqueue(
        dispatch.PUBMED_JOB_RUN, job_id, beside=settings.PUBMED_EAGER_IN_THREAD, daemon=True
    )


def _unfinished(jobs):
    return jobs.exclude(status__in=JobStatus.finished())


@transaction.atomic
def pubmed_job_create(
    *,
    review: Review,
    user: AbstractBaseUser | None,
    query: str = "",
    pmids: list[str] | None = None,
    source_name: str = DEFAULT_SOURCE,
    submission_token: str | None = None,
    scheduled: bool = False,
    enqueue: bool = True,
) -> PubmedJob:
    """A job for a query (a re-run if the review has searched exactly this query before) or
    for a PMID list, queued when the transaction commits. The same submission twice, or a
    query whose run is still going, gives the job that exists."""
    if submission_token:
        existing = PubmedJob.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            if existing.review_id != review.pk:
                raise ImportRefused("That form was submitted for another review.")
            return existing
    query = normalise_query(query)
    if bool(query) == bool(pmids):
        raise ImportRefused("Give either a PubMed query or a list of PMIDs.")
    source_name = source_name.strip() or DEFAULT_SOURCE
    source = review.sources.filter(name__iexact=source_name).first()
    if source is not None and source.kind != SourceKind.DATABASE:
        raise ImportRefused(
            f"The source '{source.name}' is a {source.get_kind_display().lower()} source in "
            "this review; PubMed searches go to a database source."
        )
    search = None
    if query:
        search = search_for_query(review, query)
        if search is not None:
            running = _unfinished(search.pubmed_jobs.all()).first()
            if running is not None:
                return running
            source_name = search.source.name
        else:
            running = _unfinished(
                review.pubmed_jobs.filter(method=SearchMethod.PUBMED_QUERY, query=query)
            ).first()
            if running is not None:
                return running
    elif len(pmids) > MAX_PMIDS:
        raise ImportRefused(
            f"The list holds {len(pmids):,} PMIDs, more than {MAX_PMIDS:,}; split it."
        )
    job = PubmedJob.objects.create(
        review=review,
        method=SearchMethod.PUBMED_QUERY if query else SearchMethod.PUBMED_PMIDS,
        source_name=source_name,
        query=query,
        requested_pmids=list(pmids or []),
        search=search,
        scheduled=scheduled,
        submission_token=submission_token or None,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    if enqueue:
        transaction.on_commit(lambda: pubmed_job_enqueue(job.pk))
    return job


def pubmed_search_rerun(
    *,
    search: Search,
    user: AbstractBaseUser | None,
    scheduled: bool = False,
    submission_token: str | None = None,
    enqueue: bool = True,
) -> PubmedJob:
    """Run a PubMed query search again: only PMIDs it has not returned before become records."""
    if search.method != SearchMethod.PUBMED_QUERY:
        raise ImportRefused(
            "Only a PubMed query can be run again; this search is "
            f"{search.get_method_display().lower()}."
        )
    return pubmed_job_create(
        review=search.review,
        user=user,
        query=search.query,
        source_name=search.source.name,
        submission_token=submission_token,
        scheduled=scheduled,
        enqueue=enqueue,
    )


@transaction.atomic
def pubmed_job_resume(
    *, job: PubmedJob, user: AbstractBaseUser | None, force: bool = False, enqueue: bool = True
) -> PubmedJob:
    """Queue a failed job, or a running one whose worker is gone, to carry on from its last
    committed step. `force` takes over a running job whose worker still beats."""
    job = locked_jobs().get(pk=job.pk)
    if job.status == JobStatus.RUNNING and not (force or job_is_stale(job)):
        seconds = (timezone.now() - job.heartbeat_at).total_seconds()
        raise ImportRefused(
            f"Job {job.pk} is running: its worker was heard from {seconds:.0f} s ago. It is "
            f"taken for lost after {settings.PUBMED_JOB_STALE_SECONDS} s without news; resume "
            "it then (or force it, if you know the worker is gone)."
        )
    if job.status in (JobStatus.DONE, JobStatus.CANCELLED):
        raise ImportRefused(
            f"Job {job.pk} is {job.get_status_display().lower()}: nothing to resume."
        )
    job.status = JobStatus.QUEUED
    job.error = ""
    job.lease = ""  # whoever held it can no longer write
    job.heartbeat_at = timezone.now()  # queued now: the sweeper leaves it to its message
    job.save(update_fields=["status", "error", "lease", "heartbeat_at"])
    if enqueue:
        transaction.on_commit(lambda: pubmed_job_enqueue(job.pk))
    return job


@transaction.atomic
def pubmed_job_cancel(*, job: PubmedJob, user: AbstractBaseUser | None) -> PubmedJob:
    """Stop a job; nothing of it reaches the review. A running job stops at its next answer
    from PubMed (its import phase, once begun, finishes)."""
    job = locked_jobs().get(pk=job.pk)
    if job.status in (JobStatus.DONE, JobStatus.CANCELLED):
        return job
    if job.status == JobStatus.RUNNING and not job_is_stale(job):
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
        return job
    mark_cancelled(job, user)
    return job


def pubmed_job_fail(*, job_id: int, error: str) -> None:
    """Mark a running job failed (its runner was interrupted); resuming carries it on."""
    PubmedJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, error=error, lease="", finished_at=timezone.now()
    )


def pubmed_jobs_sweep() -> list[int]:
    """Queue again the running jobs whose worker is gone, and the queued ones no worker has
    taken for a long time (their message may be lost). Safe to repeat: a job is run by whoever
    claims it first, and the others find it taken."""
    stale = stale_before()
    with transaction.atomic():
        lost = list(
            PubmedJob.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=[JobStatus.RUNNING, JobStatus.QUEUED])
            .exclude(heartbeat_at__gte=stale)
            .filter(created_at__lt=stale)
        )
        for job in lost:
            if job.cancel_requested:
                mark_cancelled(job, None)
                continue
            job.status = JobStatus.QUEUED
            job.lease = ""
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["status", "lease", "heartbeat_at"])
            transaction.on_commit(lambda pk=job.pk: pubmed_job_enqueue(pk))
    return [job.pk for job in lost if not job.cancel_requested]


def pubmed_reruns_due() -> list[PubmedJob]:
    """Re-run every PubMed query search whose interval has passed since its latest run."""
    jobs = []
    now = timezone.now()
    due = Search.objects.filter(
        method=SearchMethod.PUBMED_QUERY, rerun_every_days__isnull=False
    ).annotate(last_run=Max("runs__run_at"))
    for search in due.select_related("source", "review"):
        last = search.last_run or search.run_at
        if last + timedelta(days=search.rerun_every_days) > now:
            continue
        if _unfinished(search.pubmed_jobs.all()).exists():
            continue
        jobs.append(pubmed_search_rerun(search=search, user=None, scheduled=True))
    return jobs


@transaction.atomic
def search_schedule_set(
    *, search: Search, every_days: int | None, user: AbstractBaseUser | None
) -> Search:
    """Re-run a PubMed query search every so many days (None: never)."""
    if search.method != SearchMethod.PUBMED_QUERY:
        raise ImportRefused("Only a PubMed query can be re-run on a schedule.")
    if every_days is not None and not 1 <= every_days <= 365:
        raise ImportRefused("Re-run it every 1 to 365 days.")
    before = search.rerun_every_days
    search.rerun_every_days = every_days
    search.save(update_fields=["rerun_every_days"])
    audit_record(
        review=search.review,
        actor=user,
        action=AuditAction.SEARCH_SCHEDULE,
        obj=search,
        before={"rerun_every_days": before},
        after={"rerun_every_days": every_days},
    )
    return search
