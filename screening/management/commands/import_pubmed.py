import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from references.pubmed import PubmedError
from screening.constants import JobStatus, PubmedPhase, Role
from screening.dispatch import runs_in_process
from screening.identification.imports import ImportRefused
from screening.identification.pubmed_jobs import (
    DEFAULT_SOURCE,
    pubmed_job_cancel,
    pubmed_job_create,
    pubmed_job_fail,
    pubmed_job_resume,
    pubmed_pmids_preview,
    pubmed_query_preview,
    pubmed_search_rerun,
)
from screening.identification.pubmed_run import pubmed_job_run
from screening.management.commands._review_arg import review_from_arg, user_from_arg
from screening.models import PubmedJob, Search

FOLLOW_INTERVAL = 0.5  # seconds between looks at a job a worker runs


class TerminalProgress:
    """One progress bar for a job, whether it runs here or in a worker: redrawn in place on a
    terminal, a line per phase and per tenth of the fetching otherwise (logs, CI)."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = ""
        self.drawn = False

    def __call__(self, job: PubmedJob) -> None:
        line = self._line(job)
        if self.tty:
            self.stream.write(f"\r{line:<79}")
            self.stream.flush()
            self.drawn = True
        else:
            key = line if job.phase != PubmedPhase.FETCH else f"{job.phase}{job.percent // 10}"
            if key != self.last:
                self.stream.write(line + "\n")
                self.stream.flush()
            self.last = key

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, job: PubmedJob) -> str:
        if job.status == JobStatus.QUEUED:
            return f"Job {job.pk}: waiting for a worker..."
        if job.phase == PubmedPhase.SEARCH:
            return f"Job {job.pk}: searching PubMed..."
        if job.phase == PubmedPhase.FETCH:
            done = int(self.WIDTH * job.percent / 100)
            bar = "#" * done + "." * (self.WIDTH - done)
            return f"[{bar}] {job.fetched:,} / {job.total:,} records fetched"
        if job.phase == PubmedPhase.IMPORT:
            if not job.total:
                return "Nothing new to fetch; recording the run..."
            return f"Adding {job.total:,} fetched records to the review..."
        return f"Job {job.pk}: {job.get_status_display().lower()}"


class Command(BaseCommand):
    help = (
        "Run a PubMed search (a query, or a list of PMIDs) into a review, through NCBI's "
        "E-utilities, with a progress bar. Without a Celery broker the job runs here; with one, "
        "a worker runs it and this command follows it (--no-wait returns at once). Running a "
        "query the review has run before is a re-run: only new PMIDs become records."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--query", help="a PubMed query, as typed into PubMed")
        what.add_argument(
            "--pmids",
            metavar="FILE",
            help="a file of PMIDs (one per line, or separated by commas or spaces; - for stdin)",
        )
        what.add_argument("--rerun", type=int, metavar="SEARCH", help="run a search again")
        what.add_argument(
            "--resume", type=int, metavar="JOB", help="carry on a failed job, or one whose "
            "worker is gone, from its last committed step",
        )  # fmt: skip
        what.add_argument("--cancel", type=int, metavar="JOB", help="stop a job")
        parser.add_argument("--source", default=DEFAULT_SOURCE, help="source name (PubMed)")
        parser.add_argument("--user", help="who ran the search (default: the review's owner)")
        parser.add_argument(
            "--count-only",
            action="store_true",
            help="with --query: print PubMed's count and translation, run nothing",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="with --pmids: ignore tokens of the file that are not PMIDs",
        )
        parser.add_argument(
            "--force", action="store_true", help="with --resume: take over a running job"
        )
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="with a broker: queue the job and return without following it",
        )
        parser.add_argument(
            "--worker-timeout",
            type=float,
            default=30.0,
            help="give up following a job no worker has taken after this many seconds (30)",
        )
        parser.add_argument("--json", action="store_true", help="print the result as one line")

    def handle(self, *args, **options):
        self.options = options
        review = review_from_arg(options["review"])
        user = self._user(review, options["user"])
        self.in_process = runs_in_process()
        try:
            if options["cancel"] is not None:
                job = pubmed_job_cancel(job=self._job(review, options["cancel"]), user=user)
                self.stdout.write(self._cancel_message(job))
                return
            job = self._start(review, user, options)
            if job is None:
                return
        except (PubmedError, ImportRefused) as error:
            raise CommandError(str(error)) from error
        self._run_or_follow(job)

    # Starting ---------------------------------------------------------------------------------

    def _start(self, review, user, options) -> PubmedJob | None:
        enqueue = not self.in_process
        if options["resume"] is not None:
            job = self._job(review, options["resume"])
            return pubmed_job_resume(job=job, user=user, force=options["force"], enqueue=enqueue)
        if options["rerun"] is not None:
            search = Search.objects.in_review(review).filter(pk=options["rerun"]).first()
            if search is None:
                raise CommandError(f"No search {options['rerun']} in the review '{review.slug}'.")
            return pubmed_search_rerun(search=search, user=user, enqueue=enqueue)
        if options["query"] is not None:
            preview = pubmed_query_preview(review=review, query=options["query"])
            self._describe_query(preview)
            if options["count_only"]:
                return None
            return pubmed_job_create(
                review=review,
                user=user,
                query=preview.query,
                source_name=options["source"],
                enqueue=enqueue,
            )
        preview = pubmed_pmids_preview(review=review, text=self._read_pmids(options["pmids"]))
        if preview.invalid:
            listed = ", ".join(preview.invalid[:20]) + ("..." if len(preview.invalid) > 20 else "")
            if not options["skip_invalid"]:
                raise CommandError(
                    f"{len(preview.invalid)} token(s) of the file are not PMIDs: {listed}. Fix "
                    "the file, or ignore them with --skip-invalid."
                )
            self.stderr.write(
                f"Ignoring {len(preview.invalid)} token(s) that are not PMIDs: {listed}"
            )
        self.stderr.write(
            f"{preview.count:,} PMIDs; the review holds a reference for "
            f"{preview.already_in_review:,} of them."
        )
        return pubmed_job_create(
            review=review,
            user=user,
            pmids=preview.pmids,
            source_name=options["source"],
            enqueue=enqueue,
        )

    def _describe_query(self, preview) -> None:
        out = self.stdout if self.options["count_only"] else self.stderr
        out.write(f"PubMed finds {preview.count:,} records for: {preview.query}")
        if preview.translation:
            out.write(f"  translated as: {preview.translation}")
        for warning in preview.warnings:
            out.write(f"  {warning}")
        if preview.rerun_of:
            out.write(
                f"  The review ran this query before (search {preview.rerun_of}, "
                f"{preview.rerun_last_count or 0:,} records then): running it again adds only "
                "the new ones."
            )

    def _read_pmids(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(f"{path}: not a text file of PMIDs ({error}).") from error

    # Running here, or following a worker --------------------------------------------------------

    def _run_or_follow(self, job: PubmedJob) -> None:
        progress = TerminalProgress(self.stderr._out)
        started = time.monotonic()
        try:
            if self.in_process:
                job = pubmed_job_run(job_id=job.pk, progress=progress)
            elif self.options["no_wait"]:
                self.stdout.write(
                    f"Job {job.pk} is queued. Follow it with the review's page, or cancel it "
                    f"with: manage.py import_pubmed {job.review.slug} --cancel {job.pk}"
                )
                return
            else:
                job = self._follow(job, progress)
        except KeyboardInterrupt:
            progress.close()
            if self.in_process:
                pubmed_job_fail(job_id=job.pk, error="Interrupted at the terminal.")
                raise CommandError(
                    f"Interrupted. Carry on from the last committed step with: manage.py "
                    f"import_pubmed {job.review.slug} --resume {job.pk}"
                ) from None
            raise CommandError(f"Stopped following job {job.pk}; it goes on in a worker.") from None
        progress.close()
        self._report(job, time.monotonic() - started)

    def _follow(self, job: PubmedJob, progress: TerminalProgress) -> PubmedJob:
        deadline = time.monotonic() + self.options["worker_timeout"]
        while True:
            job.refresh_from_db()
            progress(job)
            if job.is_finished:
                return job
            if job.status == JobStatus.QUEUED and time.monotonic() > deadline:
                progress.close()
                raise CommandError(
                    f"No worker has picked up job {job.pk} in "
                    f"{self.options['worker_timeout']:g} s. Is a Celery worker running "
                    "(celery -A config worker)? The job stays queued and runs when one starts; "
                    f"cancel it with: manage.py import_pubmed {job.review.slug} --cancel {job.pk}"
                )
            time.sleep(FOLLOW_INTERVAL)

    def _report(self, job: PubmedJob, seconds: float) -> None:
        if job.status == JobStatus.CANCELLED:
            raise CommandError(f"Job {job.pk} was cancelled; nothing was imported.")
        if job.status == JobStatus.FAILED:
            raise CommandError(
                f"{job.error}\nJob {job.pk} stopped. Carry on from its last committed step "
                f"with: manage.py import_pubmed {job.review.slug} --resume {job.pk}"
            )
        run, search = job.run, job.search
        if self.options["json"]:
            self.stdout.write(json.dumps(_result(job), separators=(",", ":"), ensure_ascii=False))
            return
        what = f"query: {search.query}" if search.query else f"{len(job.pmids):,} PMIDs"
        self.stdout.write(
            f"Search {search.pk} of {search.source.name}, run {run.number} ({what}): "
            f"{run.result_count:,} found by PubMed; {run.records_count:,} new records "
            f"({run.references_created:,} new references, {run.duplicates:,} duplicates of "
            f"references in the review), {len(run.dropped):,} dropped out, "
            f"{len(run.returned_again):,} back again, {len(run.unknown):,} unknown PMIDs, "
            f"{run.unreadable:,} unreadable."
        )
        if run.unknown:
            self.stdout.write(
                "Unknown PMIDs: " + ", ".join(run.unknown[:50]) + (" ..." * (len(run.unknown) > 50))
            )
        stats = job.stats
        self.stdout.write(
            f"Took {seconds:.1f} s: {stats.get('requests', 0)} requests to E-utilities, "
            f"{stats.get('retries', 0)} retried, {stats.get('waited_for_rate_limit', 0):.1f} s "
            "waiting for NCBI's rate limit."
        )

    # Lookups ------------------------------------------------------------------------------------

    def _user(self, review, username):
        if username:
            return user_from_arg(username)
        owner = review.memberships.filter(role=Role.OWNER).select_related("user").first()
        return owner.user if owner else None

    def _job(self, review, pk: int) -> PubmedJob:
        job = PubmedJob.objects.in_review(review).filter(pk=pk).select_related("review").first()
        if job is None:
            raise CommandError(f"No PubMed job {pk} in the review '{review.slug}'.")
        return job

    def _cancel_message(self, job: PubmedJob) -> str:
        if job.status == JobStatus.CANCELLED:
            return f"Job {job.pk} is cancelled; nothing of it reached the review."
        if job.status == JobStatus.DONE:
            return f"Job {job.pk} had finished already; its records are in the review."
        return f"Job {job.pk} will stop at its next answer from PubMed."


def _result(job: PubmedJob) -> dict:
    run, search = job.run, job.search
    return {
        "job": job.pk,
        "search": search.pk,
        "run": run.number,
        "source": search.source.name,
        "method": search.method,
        "query": search.query,
        "query_translation": run.query_translation,
        "count": run.result_count,
        "records": run.records_count,
        "references_created": run.references_created,
        "duplicates": run.duplicates,
        "unreadable": run.unreadable,
        "dropped": len(run.dropped),
        "returned_again": len(run.returned_again),
        "unknown": run.unknown,
        "stats": job.stats,
    }
