"""Real Celery worker processes against the test database (PostgreSQL) and a real Redis.

`celery_workers.start()` starts `celery -A config worker` as a subprocess on a queue of its
own, with DATABASE_URL naming the test database, and points this process's Celery app at the
same broker and queue, not eager. Workers are always stopped when the test ends, and their logs
are added to the report of a failing test. Every test in this folder is marked `integration`.

Needs PostgreSQL as the test database (SQLite's test database lives in this process's memory,
where no other process can see it) and Redis at INTEGRATION_REDIS_URL (default
redis://127.0.0.1:6379; the tests use its databases 10-15 and empty the one they use).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from screening.models import ImportJob
from tests.conftest import SERVICE_HELP, redis_answers, require_service

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REDIS_URL = os.environ.get("INTEGRATION_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
WORKER_START_TIMEOUT = 45  # seconds; a cold start on a loaded 2-core machine takes ~5
STOP_TIMEOUT = 10


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    workers = getattr(item, "_celery_workers", None)
    if workers is not None and report.failed:
        for worker in workers.started:
            report.sections.append((f"Celery worker {worker.name} log", worker.log()))


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    what: str | Callable[[], str],
    interval: float = 0.1,
):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds, saying
    what was awaited (`what` may be a callable, to describe the state at the time of failing)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            description = what() if callable(what) else what
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {description}", pytrace=False)
        time.sleep(interval)


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def pool_processes(self) -> list[int]:
        """Pids of the worker's pool processes (prefork); empty for --pool=solo."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no cleanup, no message acked."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """Cold shutdown (SIGQUIT: the test is over, nothing to finish); SIGKILL to the
        worker's process group if it has not gone in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Not reaped yet, so the group (its own session) is still this worker's.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)


@dataclass
class CeleryWorkers:
    queue: str
    broker_url: str
    database_url: str
    log_dir: Path
    started: list[Worker] = field(default_factory=list)

    def start(
        self,
        *,
        pool: str = "solo",
        visibility_timeout: int | None = None,
        environment: dict[str, str] | None = None,
    ) -> Worker:
        """Start a worker on this test's queue and wait until it says it is ready.
        `environment` adds variables (worker_settings.py reads the PubMed ones)."""
        name = f"{self.queue}-{len(self.started) + 1}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        env.pop("TEST_CELERY_VISIBILITY_TIMEOUT", None)
        if visibility_timeout is not None:
            env["TEST_CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        env.update(environment or {})
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            f"--pool={pool}", "--concurrency=1", "-Q", self.queue, "-n", f"{name}@%h",
            "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]  # fmt: skip
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(name=name, process=process, log_path=log_path)
        self.started.append(worker)

        def ready() -> bool:
            if not worker.alive:
                pytest.fail(
                    f"Celery worker {name} exited with {process.returncode} before it was "
                    f"ready:\n{worker.log()}",
                    pytrace=False,
                )
            return " ready." in worker.log()

        wait_until(ready, timeout=WORKER_START_TIMEOUT, what=f"Celery worker {name} to start")
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


def _database_url() -> str:
    """The URL of the test database this process uses (test_..., made by pytest-django)."""
    params = connection.settings_dict
    user = quote(params.get("USER") or "", safe="")
    password = params.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@" if user else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(params['NAME'], safe='')}"


@pytest.fixture
def celery_workers(request, transactional_db, tmp_path) -> Iterator[CeleryWorkers]:
    """Start real workers with `celery_workers.start()`; tasks sent from the test go to them.

    Requests transactional_db so that the workers are stopped before the database is flushed,
    and so that the rows the test writes are committed where the workers can see them."""
    require_service(
        "A PostgreSQL test database",
        lambda: connection.vendor == "postgresql",
        how="A Celery worker process must open the test database, and SQLite's lives in this "
        "process's memory. Run with "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/screening_ci, as `CI=true make test` "
        "does.",
    )
    require_service(
        f"Redis at {REDIS_URL}", lambda: redis_answers(REDIS_URL), how=SERVICE_HELP["redis"]
    )

    xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    redis_db = 10 + int(xdist_worker.removeprefix("gw") or 0) % 6
    broker_url = f"{REDIS_URL}/{redis_db}"
    _flush(broker_url)  # messages a killed worker left unacknowledged in an earlier run

    queue = f"test-{uuid.uuid4().hex[:12]}"
    workers = CeleryWorkers(
        queue=queue,
        broker_url=broker_url,
        database_url=_database_url(),
        log_dir=tmp_path,
    )
    request.node._celery_workers = workers

    conf = celery_app.conf
    keys = ("broker_url", "task_always_eager", "task_default_queue", "task_default_routing_key")
    saved = {key: conf.get(key) for key in keys}
    _reset_celery_connections()
    conf.update(
        broker_url=broker_url,
        task_always_eager=False,
        task_default_queue=queue,
        task_default_routing_key=queue,
    )
    try:
        yield workers
    finally:
        workers.stop_all()
        conf.update(saved)
        _reset_celery_connections()
        _flush(broker_url)


def _flush(broker_url: str) -> None:
    client = redis.Redis.from_url(broker_url)
    try:
        client.flushdb()
    finally:
        client.close()


def _reset_celery_connections() -> None:
    """Forget broker connections, queues and routes built from the previous configuration."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)  # cached: rebuilt with the current queues and routes
    kombu.pools.reset()


def wait_for_job(job: ImportJob, *, timeout: float = 60) -> ImportJob:
    """Poll the job row until the worker has finished it (done, failed or cancelled)."""

    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_until(
        finished,
        timeout=timeout,
        what=lambda: f"import job {job.pk} to finish (it is {job.status})",
    )
    return job


class TableLock:
    """An EXCLUSIVE lock on a table, held on a connection of its own: others may read the table
    but every INSERT waits. Lets a test stop a worker at a known statement of a transaction."""

    def __init__(self, table: str):
        self.table = table
        params = connection.settings_dict
        self.connection = psycopg.connect(
            dbname=params["NAME"],
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or "127.0.0.1",
            port=params.get("PORT") or 5432,
        )
        self.connection.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')

    def waiters(self) -> int:
        """How many other sessions wait for this lock."""
        return self.connection.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
            [self.table],
        ).fetchone()[0]

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.rollback()
            self.connection.close()


@contextmanager
def table_locked(table: str) -> Iterator[TableLock]:
    lock = TableLock(table)
    try:
        yield lock
    finally:
        lock.release()
