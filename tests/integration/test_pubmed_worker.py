"""PubMed searches run by real Celery worker processes, through the Redis on 127.0.0.1:6379,
into PostgreSQL, against the fake E-utilities server this test process runs: progress on the
job row, a worker killed halfway and the job resumed whole by another, requests paced across
two workers by the limiter they share in Redis, and `import_pubmed` following a worker."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from references.pubmed import ClientConfig
from screening.constants import JobStatus, PubmedPhase
from screening.identification.pubmed_client import PACE_KEY_PREFIX
from screening.identification.pubmed_jobs import pubmed_job_create, pubmed_jobs_sweep
from screening.models import PubmedJob, Record
from tests.conftest import TOPIC
from tests.fake_eutils import ArticleStore, serve
from tests.integration.conftest import table_locked, wait_for_job, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ARTICLES = 200
BATCH = 20


@pytest.fixture
def server():
    store = ArticleStore.real()
    store.add_synthetic(ARTICLES, topic=TOPIC)
    with serve(store, enforce_rate=True) as fake:
        yield fake


@pytest.fixture
def worker_env(server, celery_workers, settings):
    """What the workers (and this process) need to reach the fake PubMed."""
    settings.PUBMED_EUTILS_URL = server.url
    settings.NCBI_API_KEY = "integration-key"
    settings.PUBMED_BATCH_SIZE = BATCH
    return {
        "PUBMED_EUTILS_URL": server.url,
        "NCBI_API_KEY": "integration-key",
        "PUBMED_BATCH_SIZE": str(BATCH),
        "PUBMED_RATE_LIMIT_REDIS_URL": celery_workers.broker_url,
    }


def efetched(server) -> Counter:
    return Counter(
        pmid
        for r in server.requests
        if r.endpoint == "efetch" and r.status == 200
        for pmid in r.ids
    )


def assert_whole(review, job: PubmedJob) -> None:
    assert job.status == JobStatus.DONE, f"{job.status}: {job.error}"
    records = Record.objects.filter(review=review)
    assert records.count() == ARTICLES
    assert records.values("pmid").distinct().count() == ARTICLES
    assert records.values("reference").distinct().count() == ARTICLES
    assert job.search.records_count == ARTICLES
    assert job.run.number == 1


def test_a_search_runs_in_a_worker_and_its_progress_shows_on_the_job(
    celery_workers, worker_env, server, review, owner
):
    celery_workers.start(environment=worker_env)
    job = pubmed_job_create(review=review, user=owner, query=TOPIC)

    seen = set()

    def finished():
        job.refresh_from_db()
        seen.add((job.phase, job.fetched))
        return job.is_finished

    wait_until(finished, timeout=60, what="the PubMed job to finish", interval=0.02)

    assert_whole(review, job)
    fetched_values = sorted({fetched for phase, fetched in seen if phase == PubmedPhase.FETCH})
    assert len(fetched_values) >= 3, f"progress seen: {sorted(seen)}"
    assert all(value % BATCH == 0 for value in fetched_values)
    assert max(efetched(server).values()) == 1
    assert {r.status for r in server.requests} == {200}  # paced under NCBI's limit


def test_a_worker_killed_halfway_leaves_a_job_the_next_worker_finishes_without_duplicates(
    celery_workers, worker_env, server, review, owner, settings
):
    first = celery_workers.start(environment=worker_env)
    job = pubmed_job_create(review=review, user=owner, query=TOPIC)

    def halfway():
        job.refresh_from_db()
        return job.phase == PubmedPhase.FETCH and job.fetched >= ARTICLES // 2

    wait_until(halfway, timeout=60, what="the job to fetch half its records", interval=0.01)
    # Every write the worker makes next waits on this lock: it is stopped between two steps,
    # with a batch fetched but not yet recorded, and killed there.
    with table_locked(PubmedJob._meta.db_table) as lock:
        wait_until(lambda: lock.waiters() > 0, timeout=30, what="the worker to wait on the lock")
        first.kill()
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.fetched < ARTICLES
    assert not Record.objects.exists()  # the import is all or nothing: it has not begun

    # The sweeper (Celery beat's job) sees a job whose worker has gone quiet and queues it;
    # the next worker carries it on from its last committed batch.
    settings.PUBMED_JOB_STALE_SECONDS = 1
    # The killed worker beats no more: its last heartbeat (and the job) older than the stale
    # time, as they would be a second later.
    gone = timezone.now() - timedelta(seconds=5)
    PubmedJob.objects.filter(pk=job.pk).update(heartbeat_at=gone, created_at=gone)
    assert pubmed_jobs_sweep() == [job.pk]
    second = celery_workers.start(environment=worker_env, visibility_timeout=2)
    job = wait_for_job(job, timeout=90)

    assert_whole(review, job)
    assert job.attempts == 2
    twice = [pmid for pmid, n in efetched(server).items() if n > 1]
    assert len(twice) <= BATCH, "more than the batch in flight was fetched again"
    assert "pubmed_job_run_task" in second.log()


class GrantedSlots:
    """The slots the shared limiter grants, read off Redis with MONITOR: each grant is the
    limiter's Lua script setting its key to the slot plus the interval (PX 60000; a hold after
    a 429 sets it with PX 120000). These are what the limiter decided, on Redis's one clock,
    whatever the scheduling of the workers and however late their requests then arrive."""

    def __init__(self, url: str) -> None:
        self._monitor = redis.Redis.from_url(url).monitor()
        self._monitor.__enter__()  # MONITOR is on once this returns: nothing is missed
        self.values: list[int] = []
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        with contextlib.suppress(redis.ConnectionError, ValueError, OSError, AttributeError):
            for command in self._monitor.listen():
                words = command["command"].split()
                if (
                    words[:1] == ["SET"]
                    and words[1].startswith(PACE_KEY_PREFIX)
                    and words[3:] == ["PX", "60000"]
                ):
                    self.values.append(int(words[2]))

    def close(self) -> None:
        self._monitor.connection.disconnect()
        self._thread.join(timeout=10)


def test_two_workers_share_the_pace_through_redis(
    celery_workers, worker_env, server, review, owner
):
    worker_env = {**worker_env, "NCBI_API_KEY": ""}  # 3 a second for the two of them together
    granted = GrantedSlots(celery_workers.broker_url)
    try:
        celery_workers.start(environment=worker_env)
        celery_workers.start(environment=worker_env)
        first = pubmed_job_create(review=review, user=owner, query=TOPIC)
        second = pubmed_job_create(
            review=review, user=owner, pmids=["12091962", "9997", "11748933"]
        )
        wait_for_job(first, timeout=90)
        wait_for_job(second, timeout=90)
    finally:
        granted.close()

    assert first.status == second.status == JobStatus.DONE
    assert {r.status for r in server.requests} == {200}  # the server enforces NCBI's 3 a second
    # Every request the server saw was granted a slot by the one limiter, and the slots it
    # granted, across both workers, are a whole interval apart (microseconds, Redis's clock).
    assert len(granted.values) == len(server.requests)
    interval = int(ClientConfig(api_key="").interval * 1_000_000)
    gaps = [b - a for a, b in zip(granted.values, granted.values[1:], strict=False)]
    assert min(gaps) >= interval, gaps
    workers = {r.params.get("tool") for r in server.requests}
    assert workers == {"screening"}


def test_import_pubmed_follows_a_worker_with_its_progress_bar(
    celery_workers, worker_env, server, review
):
    celery_workers.start(environment=worker_env)
    out, err = StringIO(), StringIO()
    call_command("import_pubmed", review.slug, "--query", TOPIC, stdout=out, stderr=err)
    assert f"{ARTICLES} new records" in out.getvalue()
    assert "records fetched" in err.getvalue()


def test_import_pubmed_says_plainly_when_no_worker_takes_the_job(
    celery_workers, worker_env, review
):
    with pytest.raises(CommandError) as error:
        call_command(
            "import_pubmed", review.slug, "--query", TOPIC, "--worker-timeout", "1",
            stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    job = PubmedJob.objects.get()
    assert f"No worker has picked up job {job.pk} in 1 s" in str(error.value)
    assert "celery -A config worker" in str(error.value)
    assert job.status == JobStatus.QUEUED

    out = StringIO()
    call_command("import_pubmed", review.slug, "--query", TOPIC, "--no-wait", stdout=out)
    assert out.getvalue().startswith(f"Job {job.pk} is queued.")  # the same query: that job
