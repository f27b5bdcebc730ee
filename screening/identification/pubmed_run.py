"""Running one PubMed job, from its last committed phase: search, fetch into staging files,
then import in one transaction. A runner holds the job by a lease and beats while it works;
one that finds its lease taken (its worker was presumed dead) stops without writing."""

from __future__ import annotations

# --- Running a job ---------------------------------------------------------------------------
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from references.parsers import read_file
from references.parsers.base import ImportFileError, ParsedReference, UnreadableEntry
from references.pubmed import (
    PubmedClient,
    PubmedError,
)
from screening.audit.chain import audit_record
from screening.constants import AuditAction, JobStatus, PubmedPhase, SearchMethod, SourceKind
from screening.identification.duplicates import duplicate_candidates_propose
from screening.identification.imports import (
    ImportRefused,
    records_insert,
    search_add_tally,
    source_get_or_create,
)
from screening.identification.pubmed_client import pubmed_client
from screening.identification.search_documentation import (
    pubmed_documentation,
    search_documentation,
)
from screening.models import PubmedJob, Record, Search, SearchRun

logger = logging.getLogger(__name__)


Progress = Callable[[PubmedJob], None]


class _LeaseLost(Exception):
    """Another runner holds the job now (this one was taken for dead): stop writing."""


class _Cancelled(Exception):
    """Someone asked the job to stop."""


def staging_dir(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "pubmed-jobs" / str(job_id)


def remove_staging(job_id: int) -> None:
    shutil.rmtree(staging_dir(job_id), ignore_errors=True)


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
            transaction.on_commit(lambda: remove_staging(job_id))
            progress(job)
        return job
    except _LeaseLost:
        return PubmedJob.objects.get(pk=job_id)
    except _Cancelled:
        with transaction.atomic():
            job = locked_jobs().get(pk=job_id)
            if job.lease == runner:
                mark_cancelled(job, job.created_by)
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


def locked_jobs():
    """Job rows locked for update, and only they (not the review they join)."""
    return PubmedJob.objects.select_for_update(of=("self",))


def _claim(job_id: int, runner: str) -> PubmedJob | None:
    """Take the job, if it is queued or its runner is gone; None if someone else has it."""
    with transaction.atomic():
        job = locked_jobs().select_related("review").get(pk=job_id)
        if job.status == JobStatus.RUNNING and not job_is_stale(job):
            return None
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return None
        if job.cancel_requested:
            mark_cancelled(job, job.created_by)
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
    job = locked_jobs().select_related("review").get(pk=job_id)
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
    _refuse_unknown_list(job)
    source = source_get_or_create(
        review=review, name=job.source_name, kind=SourceKind.DATABASE, user=job.created_by
    )
    search, run = _search_and_run(job, source)
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
    dropped, returned_again = _mark_dropped(job, search, run, on_search)
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
    _audit_run(job, source, search, run, tally, proposed)
    job.search = search
    job.run = run
    job.status = JobStatus.DONE
    job.phase = PubmedPhase.FINISHED
    job.finished_at = timezone.now()
    job.lease = ""
    job.stats = run.stats
    job.save(update_fields=["search", "run", "status", "phase", "finished_at", "lease", "stats"])
    return job


def _refuse_unknown_list(job: PubmedJob) -> None:
    """A PMID list none of whose PMIDs PubMed knows is a mistake in the list, not a search."""
    if job.method == SearchMethod.PUBMED_PMIDS and len(job.unknown) == len(job.requested_pmids):
        shown = ", ".join(job.unknown[:10])
        raise ImportRefused(
            f"PubMed has no record for any of the {len(job.unknown):,} PMIDs of the list "
            f"({shown}{'...' if len(job.unknown) > 10 else ''}). Check the list; nothing was "
            "imported."
        )


def _search_and_run(job: PubmedJob, source) -> tuple[Search, SearchRun]:
    """The job's search (a re-run adds to its own) and this run of it."""
    now = timezone.now()
    if job.search_id:
        search = Search.objects.select_for_update().get(pk=job.search_id)
        # PRISMA-S item 13 asks for the date of the last search.
        search.searched_on = timezone.localdate(now)
        search.save(update_fields=["searched_on"])
    else:
        search = Search.objects.create(
            review=job.review,
            source=source,
            method=job.method,
            query=job.query,
            run_at=now,
            run_by=job.created_by,
            file_format="pubmed-xml",
            **pubmed_documentation(
                method=job.method,
                query=job.query,
                pmids=len(job.requested_pmids),
                user=job.created_by,
                searched_on=timezone.localdate(now),
            ),
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
    return search, run


def _mark_dropped(job, search, run, on_search) -> tuple[list[str], list[str]]:
    """A query run: the search's records PubMed no longer returns (kept, marked dropped in this
    run) and those it returns again."""
    if job.method != SearchMethod.PUBMED_QUERY:
        return [], []
    current = set(job.pmids)
    dropped = [p for p, gone in on_search.items() if gone is None and p not in current]
    returned_again = [p for p, gone in on_search.items() if gone is not None and p in current]
    for chunk in _chunks(dropped):
        Record.objects.filter(search=search, pmid__in=chunk, dropped_in=None).update(dropped_in=run)
    for chunk in _chunks(returned_again):
        Record.objects.filter(search=search, pmid__in=chunk).update(dropped_in=None)
    return dropped, returned_again


def _audit_run(job, source, search, run, tally, proposed: int) -> None:
    audit_record(
        review=job.review,
        actor=job.created_by,
        action=AuditAction.PUBMED_RUN,
        obj=search,
        after={
            "source": source.name,
            "method": job.method,
            "query": job.query,
            "query_translation": job.query_translation,
            "run": run.number,
            "scheduled": job.scheduled,
            "result_count": run.result_count,
            "records": tally.records,
            "references_created": tally.created,
            "duplicates": tally.duplicates,
            "unreadable": len(tally.unreadable),
            "dropped": len(run.dropped),
            "returned_again": len(run.returned_again),
            "unknown": len(job.unknown),
            "near_duplicates_proposed": proposed,
            "documentation": search_documentation(search),
        },
    )


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


def stale_before():
    return timezone.now() - timedelta(seconds=settings.PUBMED_JOB_STALE_SECONDS)


def job_is_stale(job: PubmedJob) -> bool:
    """A running job whose worker has not been heard of for PUBMED_JOB_STALE_SECONDS."""
    return job.status == JobStatus.RUNNING and (
        job.heartbeat_at is None or job.heartbeat_at < stale_before()
    )


def mark_cancelled(job: PubmedJob, user: AbstractBaseUser | None) -> None:
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
    transaction.on_commit(lambda: staging_dir(job.pk).exists() and remove_staging(job.pk))
