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

import hashlib
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import redis
from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from references.models import Reference
from references.parsers import read_file
from references.parsers.base import ImportFileError, ParsedReference, UnreadableEntry
from references.pubmed import (
    ClientConfig,
    LocalRateLimiter,
    PubmedClient,
    PubmedError,
    RateLimiter,
    RedisRateLimiter,
    parse_pmid_list,
)

from screening.constants import AuditAction, JobStatus, PubmedPhase, SearchMethod, SourceKind
from screening.models import PubmedJob, Record, Review, Search, SearchRun
from screening.services.audit import audit_record
from screening.services.duplicates import duplicate_candidates_propose
from screening.services.imports import ImportRefused, records_insert, search_add_tally, source_get_or_create

logger = logging.getLogger(__name__)

MAX_PMIDS = 100_000  # in one PMID list
DEFAULT_SOURCE = "PubMed"


# --- The client, configured from settings ----------------------------------------------------

_local_limiters: dict[float, LocalRateLimiter] = {}
_redis_clients: dict[str, redis.Redis] = {}
_limiters_lock = threading.Lock()


def rate_limiter(interval: float) -> RateLimiter:
    """The limiter every PubMed request of this deployment shares: in Redis when there is one
    (all workers count against the same NCBI limit), else one per process."""
    url = settings.PUBMED_RATE_LIMIT_REDIS_URL
    with _limiters_lock:
        if url:
            client = _redis_clients.get(url)
            if client is None:
                client = _redis_clients[url] = redis.Redis.from_url(url)
            # NCBI counts per API key (or per address without one).
            who = hashlib.sha256(settings.NCBI_API_KEY.encode()).hexdigest()[:12]
            return RedisRateLimiter(client, f"screening:eutils-pace:{who}", interval)
        limiter = _local_limiters.get(interval)
        if limiter is None:
            limiter = _local_limiters[interval] = LocalRateLimiter(interval)
        return limiter


def pubmed_client(*, tick: Callable[[], None] | None = None) -> PubmedClient:
    config = ClientConfig(
        base_url=settings.PUBMED_EUTILS_URL,
        email=settings.NCBI_EMAIL,
        tool=settings.NCBI_TOOL,
        api_key=settings.NCBI_API_KEY,
        timeout=settings.PUBMED_TIMEOUT,
        max_tries=settings.PUBMED_MAX_TRIES,
        backoff=settings.PUBMED_BACKOFF,
        backoff_ceiling=settings.PUBMED_BACKOFF_CEILING,
        batch_size=settings.PUBMED_BATCH_SIZE,
        max_ids=settings.PUBMED_ESEARCH_MAX_IDS,
    )
    return PubmedClient(config, rate_limiter(config.interval), tick=tick)


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
        Search.objects.filter(
            review=review, method=SearchMethod.PUBMED_QUERY, query=normalise_query(query)
        )
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


def runs_in_process() -> bool:
    """True when no broker is configured: Celery runs tasks at once, in this process."""
    return bool(current_app.conf.task_always_eager)


def pubmed_job_enqueue(job_id: int) -> None:
    """Hand the job to a Celery worker; without a broker, run it in-process: beside the
    request in a thread where PUBMED_EAGER_IN_THREAD is on (`make run`, so that its page shows
    progress), else at once (tests)."""
    if runs_in_process() and settings.PUBMED_EAGER_IN_THREAD:
        threading.Thread(
            target=_run_beside, args=(job_id,), name=f"pubmed-job-{job_id}", daemon=True
        ).start()
        return
    from screening.tasks import pubmed_job_run_task

    pubmed_job_run_task.delay(job_id)


def _run_beside(job_id: int) -> None:
    try:
        pubmed_job_run(job_id=job_id)
    finally:
        connections.close_all()  # this thread's own connection


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


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.PUBMED_JOB_STALE_SECONDS)


def job_is_stale(job: PubmedJob) -> bool:
    """A running job whose worker has not been heard of for PUBMED_JOB_STALE_SECONDS."""
    return job.status == JobStatus.RUNNING and (
        job.heartbeat_at is None or job.heartbeat_at < _stale_before()
    )


@transaction.atomic
def pubmed_job_resume(
    *, job: PubmedJob, user: AbstractBaseUser | None, force: bool = False, enqueue: bool = True
) -> PubmedJob:
    """Queue a failed job, or a running one whose worker is gone, to carry on from its last
    committed step. `force` takes over a running job whose worker still beats."""
    job = _for_update().get(pk=job.pk)
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
    job = _for_update().get(pk=job.pk)
    if job.status in (JobStatus.DONE, JobStatus.CANCELLED):
        return job
    if job.status == JobStatus.RUNNING and not job_is_stale(job):
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
        return job
    _mark_cancelled(job, user)
    return job


def _mark_cancelled(job: PubmedJob, user: AbstractBaseUser | None) -> None:
    job.status = JobStatus.CANCELLED
    job.cancel_requested = True
    job.lease = ""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "cancel_requested", "lease", "finished_at"])
    audit_record(
        review=job.review,
        actor=user,
        action=AuditAction.PUBMED_CANCEL,
        obj=job,
        after={"query": job.query, "pmids": len(job.requested_pmids), "fetched": job.fetched},
    )
    transaction.on_commit(lambda: staging_dir(job.pk).exists() and _remove_staging(job.pk))


def pubmed_job_fail(*, job_id: int, error: str) -> None:
    """Mark a running job failed (its runner was interrupted); resuming carries it on."""
    PubmedJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, error=error, lease="", finished_at=timezone.now()
    )


def pubmed_jobs_sweep() -> list[int]:
    """Queue again the running jobs whose worker is gone, and the queued ones no worker has
    taken for a long time (their message may be lost). Safe to repeat: a job is run by whoever
    claims it first, and the others find it taken."""
    stale = _stale_before()
    with transaction.atomic():
        lost = list(
            PubmedJob.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=[JobStatus.RUNNING, JobStatus.QUEUED])
            .exclude(heartbeat_at__gte=stale)
            .filter(created_at__lt=stale)
        )
        for job in lost:
            if job.cancel_requested:
                _mark_cancelled(job, None)
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


# --- Running a job ---------------------------------------------------------------------------


class _LeaseLost(Exception):
    """Another runner holds the job now (this one was taken for dead): stop writing."""


class _Cancelled(Exception):
    """Someone asked the job to stop."""


def staging_dir(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "pubmed-jobs" / str(job_id)


def _remove_staging(job_id: int) -> None:
    shutil.rmtree(staging_dir(job_id), ignore_errors=True)


Progress = Callable[[PubmedJob], None]
_TIMED_PHASES = (PubmedPhase.SEARCH, PubmedPhase.FETCH, PubmedPhase.IMPORT)


def pubmed_job_run(*, job_id: int, progress: Progress | None = None) -> PubmedJob:
    """Run a queued job (or carry on a resumed one) to its end. Safe to call twice, even at
    once: the second finds the job claimed, or finished, and returns it."""
    runner = uuid.uuid4().hex
    job = _claim(job_id, runner)
    if job is None:
        return PubmedJob.objects.get(pk=job_id)
    progress = progress or (lambda job: None)
    base_stats = dict(job.stats)
    client = pubmed_client(tick=lambda: _beat(job_id, runner))
    # Seconds spent in each phase, over every runner the job has had.
    spent = {phase: base_stats.get(f"seconds_{phase}", 0.0) for phase in _TIMED_PHASES}
    clock = {"phase": job.phase, "since": time.monotonic()}

    def enter(phase: str) -> None:
        if clock["phase"] in spent:
            spent[clock["phase"]] += time.monotonic() - clock["since"]
        clock.update(phase=phase, since=time.monotonic())

    def stats() -> dict:
        now = client.stats.as_dict()
        merged = {key: round(base_stats.get(key, 0) + value, 3) for key, value in now.items()}
        for phase, seconds in spent.items():
            running = time.monotonic() - clock["since"] if clock["phase"] == phase else 0.0
            merged[f"seconds_{phase}"] = round(seconds + running, 3)
        return merged

    try:
        progress(job)
        if job.phase == PubmedPhase.SEARCH:
            job = _search_phase(job, runner, client, stats)
            enter(job.phase)
            progress(job)
        while job.phase == PubmedPhase.FETCH:
            job = _fetch_step(job, runner, client, stats)
            enter(job.phase)
            progress(job)
        if job.phase == PubmedPhase.IMPORT:
            job = _import_phase(job_id, runner, stats)
            transaction.on_commit(lambda: _remove_staging(job_id))
            progress(job)
        return job
    except _LeaseLost:
        return PubmedJob.objects.get(pk=job_id)
    except _Cancelled:
        with transaction.atomic():
            job = _for_update().get(pk=job_id)
            if job.lease == runner:
                _mark_cancelled(job, job.created_by)
        progress(job)
        return job
    except (PubmedError, ImportRefused, ImportFileError) as error:
        failure = str(error)
    except Exception:
        logger.exception("PubMed job %s failed", job_id)
        failure = (
            "The PubMed search stopped on an unexpected error and nothing reached the review. "
            "The error has been logged; resume the job to try again."
        )
    PubmedJob.objects.filter(pk=job_id, lease=runner).update(
        status=JobStatus.FAILED, error=failure, finished_at=timezone.now(), stats=stats()
    )
    job = PubmedJob.objects.get(pk=job_id)
    progress(job)
    return job


def _for_update():
    """Job rows locked for update, and only they (not the review they join)."""
    return PubmedJob.objects.select_for_update(of=("self",))


def _claim(job_id: int, runner: str) -> PubmedJob | None:
    """Take the job, if it is queued or its runner is gone; None if someone else has it."""
    with transaction.atomic():
        job = _for_update().select_related("review").get(pk=job_id)
        if job.status == JobStatus.RUNNING and not job_is_stale(job):
            return None
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return None
        if job.cancel_requested:
            _mark_cancelled(job, job.created_by)
            return None
        now = timezone.now()
        job.status = JobStatus.RUNNING
        job.lease = runner
        job.attempts += 1
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "lease", "attempts", "heartbeat_at", "started_at"])
        return job


def _beat(job_id: int, runner: str) -> None:
    """After every answer from PubMed: say the runner is alive; stop if it should."""
    alive = PubmedJob.objects.filter(
        pk=job_id, lease=runner, status=JobStatus.RUNNING, cancel_requested=False
    ).update(heartbeat_at=timezone.now())
    if not alive:
        _raise_why_not(job_id, runner)


def _raise_why_not(job_id: int, runner: str):
    job = PubmedJob.objects.only("lease", "cancel_requested").get(pk=job_id)
    if job.lease == runner and job.cancel_requested:
        raise _Cancelled
    raise _LeaseLost


def _locked(job_id: int, runner: str) -> PubmedJob:
    """The job row, locked, if this runner still holds it and no one asked it to stop."""
    job = _for_update().select_related("review").get(pk=job_id)
    if job.lease != runner or job.status != JobStatus.RUNNING:
        raise _LeaseLost
    if job.cancel_requested:
        raise _Cancelled
    return job


def _search_phase(job: PubmedJob, runner: str, client: PubmedClient, stats) -> PubmedJob:
    if job.method == SearchMethod.PUBMED_QUERY:
        result = client.search(job.query)
        pmids, count = result.pmids, result.count
        translation, warnings = result.translation, result.warnings
        if result.parts:
            warnings = [
                *warnings,
                f"PubMed lists at most {client.config.max_ids:,} PMIDs per search, so the "
                f"{count:,} were fetched in {len(result.parts)} parts by publication date.",
            ]
    else:
        pmids, count, translation, warnings = list(job.requested_pmids), None, "", []
    on_search: set[str] = set()
    if job.search_id:
        on_search = set(
            Record.objects.filter(search_id=job.search_id)
            .exclude(pmid="")
            .values_list("pmid", flat=True)
        )
    with transaction.atomic():
        job = _locked(job.pk, runner)
        job.pmids = pmids
        job.to_fetch = [pmid for pmid in pmids if pmid not in on_search]
        job.result_count = count
        job.query_translation = translation
        job.warnings = warnings
        job.fetched = 0
        job.staged = []
        job.unknown = []
        job.phase = PubmedPhase.FETCH if job.to_fetch else PubmedPhase.IMPORT
        job.heartbeat_at = timezone.now()
        job.stats = stats()
        job.save()
    return job


def _fetch_step(job: PubmedJob, runner: str, client: PubmedClient, stats) -> PubmedJob:
    _beat(job.pk, runner)  # a cancelled job stops before its next request
    batch = job.to_fetch[job.fetched : job.fetched + client.config.batch_size]
    name = f"batch-{job.fetched:08d}.xml"
    returned = set(client.fetch(batch, staging_dir(job.pk) / name))
    with transaction.atomic():
        job = _locked(job.pk, runner)
        job.staged = [*job.staged, name]
        job.unknown = [*job.unknown, *(pmid for pmid in batch if pmid not in returned)]
        job.fetched += len(batch)
        if job.fetched >= len(job.to_fetch):
            job.phase = PubmedPhase.IMPORT
        job.heartbeat_at = timezone.now()
        job.stats = stats()
        job.save(update_fields=["staged", "unknown", "fetched", "phase", "heartbeat_at", "stats"])
    return job


@transaction.atomic
def _import_phase(job_id: int, runner: str, stats) -> PubmedJob:
    """Everything the job found reaches the review in this one transaction, or nothing does."""
    job = _locked(job_id, runner)
    review = job.review
    if job.method == SearchMethod.PUBMED_PMIDS and len(job.unknown) == len(job.requested_pmids):
        shown = ", ".join(job.unknown[:10])
        raise ImportRefused(
            f"PubMed has no record for any of the {len(job.unknown):,} PMIDs of the list "
            f"({shown}{'...' if len(job.unknown) > 10 else ''}). Check the list; nothing was "
            "imported."
        )
    source = source_get_or_create(
        review=review, name=job.source_name, kind=SourceKind.DATABASE, user=job.created_by
    )
    now = timezone.now()
    if job.search_id:
        search = Search.objects.select_for_update().get(pk=job.search_id)
    else:
        search = Search.objects.create(
            review=review,
            source=source,
            method=job.method,
            query=job.query,
            run_at=now,
            run_by=job.created_by,
            file_format="pubmed-xml",
        )
    number = (search.runs.aggregate(n=Max("number"))["n"] or 0) + 1
    run = SearchRun.objects.create(
        search=search,
        number=number,
        run_at=now,
        run_by=job.created_by,
        scheduled=job.scheduled,
        query_translation=job.query_translation,
        result_count=job.result_count if job.result_count is not None else len(job.pmids),
        pmids=job.pmids,
        unknown=job.unknown,
    )
    # PMID -> the run it dropped out of (None while it is returned), for the search's records.
    on_search = dict(
        Record.objects.filter(search=search).exclude(pmid="").values_list("pmid", "dropped_in_id")
    )
    added: list[str] = []
    start = search.records.aggregate(n=Max("position"))["n"] or 0
    tally = records_insert(
        review=review,
        search=search,
        entries=_staged_entries(job, on_search, added, start),
        file_format="pubmed-xml",
        record_fields={"run": run},
    )
    dropped: list[str] = []
    returned_again: list[str] = []
    if job.method == SearchMethod.PUBMED_QUERY:
        current = set(job.pmids)
        dropped = [p for p, gone in on_search.items() if gone is None and p not in current]
        returned_again = [p for p, gone in on_search.items() if gone is not None and p in current]
        for chunk in _chunks(dropped):
            Record.objects.filter(search=search, pmid__in=chunk, dropped_in=None).update(
                dropped_in=run
            )
        for chunk in _chunks(returned_again):
            Record.objects.filter(search=search, pmid__in=chunk).update(dropped_in=None)
    run.added = added
    run.dropped = dropped
    run.returned_again = returned_again
    run.records_count = tally.records
    run.references_created = tally.created
    run.duplicates = tally.duplicates
    run.unreadable = len(tally.unreadable)
    run.stats = stats()
    run.save()
    search_add_tally(search, tally)
    search.query_translation = job.query_translation
    search.result_count = run.result_count
    search.save(update_fields=["query_translation", "result_count"])
    proposed = duplicate_candidates_propose(review=review, reference_ids=tally.new_reference_ids)
    audit_record(
        review=review,
        actor=job.created_by,
        action=AuditAction.PUBMED_RUN,
        obj=search,
        after={
            "source": source.name,
            "method": job.method,
            "query": job.query,
            "query_translation": job.query_translation,
            "run": number,
            "scheduled": job.scheduled,
            "result_count": run.result_count,
            "records": tally.records,
            "references_created": tally.created,
            "duplicates": tally.duplicates,
            "unreadable": len(tally.unreadable),
            "dropped": len(dropped),
            "returned_again": len(returned_again),
            "unknown": len(job.unknown),
            "near_duplicates_proposed": proposed,
        },
    )
    job.search = search
    job.run = run
    job.status = JobStatus.DONE
    job.phase = PubmedPhase.FINISHED
    job.finished_at = timezone.now()
    job.lease = ""
    job.stats = run.stats
    job.save(update_fields=["search", "run", "status", "phase", "finished_at", "lease", "stats"])
    return job


def _staged_entries(
    job: PubmedJob, on_search: dict[str, int | None], added: list[str], start: int
) -> Iterator[ParsedReference | UnreadableEntry]:
    """The staged articles the search has not returned before, numbered on from `start`.
    A PMID is taken once, even if two batches hold it."""
    position = start
    seen = set(on_search)
    for name in job.staged:
        for entry in read_file(staging_dir(job.pk) / name, format="pubmed-xml").entries():
            if isinstance(entry, ParsedReference):
                if entry.pmid in seen:
                    continue
                seen.add(entry.pmid)
                added.append(entry.pmid)
            position += 1
            entry.position = position
            yield entry


def _chunks(values: list[str], size: int = 5000) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
