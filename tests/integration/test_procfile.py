"""The Procfile, booted by honcho as production runs it: a fresh PostgreSQL database migrated
under config.settings.prod, static files collected into a folder of the test's own, then
`honcho start` with gunicorn, a Celery worker and beat against Redis. /health/ answers 200
with both parts ok over plain HTTP, WhiteNoise serves the page's stylesheet by its hashed name
with a year-long cache, the worker answers through the broker and runs a task against the
new database, and when the process group is told to stop, every process of it is gone.
`make procfile-check` runs this test alone."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
from celery import Celery
from django.db import connection

from screening import dispatch
from tests.conftest import SERVICE_HELP, redis_answers, require_postgresql, require_service
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("INTEGRATION_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
BROKER_URL = f"{REDIS_URL}/9"  # the worker tests use 10-15
BIN = Path(sys.executable).parent
SETUP_TIMEOUT = 120  # migrate on a loaded 2-core machine: ~20 s
BOOT_TIMEOUT = 60  # gunicorn, a worker and beat answering: ~5 s when idle
STOP_TIMEOUT = 20  # honcho gives its processes 5 s, then kills them
HOST = "127.0.0.1"
# A request as the TLS-terminating proxy in front would forward it (SECURE_PROXY_SSL_HEADER).
VIA_HTTPS = {"X-Forwarded-Proto": "https"}
# Whatever the developer's shell holds for these would point the processes elsewhere.
SCRUBBED = (
    "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL",
    "PUBMED_RATE_LIMIT_REDIS_URL", "DJANGO_DEBUG", "DJANGO_SECURE_SSL_REDIRECT", "PORT",
    "WEB_CONCURRENCY", "PYTEST_XDIST_WORKER",
)  # fmt: skip


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def get(port: int, path: str, headers: dict[str, str] | None = None) -> Response:
    """One request, straight to the port: no proxy from the environment, no redirect followed."""
    client = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        client.request("GET", path, headers=headers or {})
        response = client.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def process_table() -> dict[int, tuple[int, int, str]]:
    """Every live process: pid to (parent pid, session id, "pid command"); zombies left out."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        command = text[text.index("(") + 1 : text.rindex(")")]
        state, parent, _group, session = text[text.rindex(")") + 2 :].split()[:4]
        if state != "Z":
            pid = int(stat.parent.name)
            table[pid] = (int(parent), int(session), f"{pid} {command}")
    return table


def sessions_alive(sessions: set[int]) -> list[str]:
    """The live processes of these sessions ("pid command")."""
    return [name for _, session, name in process_table().values() if session in sessions]


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test database's server; its URL. Dropped afterwards."""
    require_postgresql()
    params = connection.settings_dict
    server = {
        "host": params.get("HOST") or HOST,
        "port": params.get("PORT") or 5432,
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
    }
    name = f"screening_procfile_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    credentials = server["user"] or ""
    if server["password"]:
        credentials += f":{server['password']}"
    try:
        yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def broker() -> Iterator[str]:
    require_service(
        f"Redis at {REDIS_URL}", lambda: redis_answers(REDIS_URL), how=SERVICE_HELP["redis"]
    )
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    try:
        yield BROKER_URL
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def production_env(fresh_database, broker, tmp_path) -> dict[str, str]:
    """What config.settings.prod needs, and nothing from the shell that could point elsewhere."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    env.update(
        PATH=os.pathsep.join([str(BIN), env.get("PATH", "")]),  # gunicorn, celery
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        DJANGO_SECRET_KEY=f"procfile-test-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
        DJANGO_ALLOWED_HOSTS=HOST,
        AUDIT_KEY=f"procfile-test-audit-{uuid.uuid4().hex}",
        DATABASE_URL=fresh_database,
        CELERY_BROKER_URL=broker,
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        EMBEDDING_CACHE_DIR=str(tmp_path / "embeddings"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        NCBI_EMAIL="procfile-test@example.org",
    )
    return env


@pytest.fixture
def released(production_env, tmp_path) -> dict[str, str]:
    """migrate and collectstatic, as a release runs them before the processes start; the
    environment. The two do not depend on each other: run side by side, to save time."""
    steps = {
        "migrate": ["migrate", "--noinput"],
        "collectstatic": ["collectstatic", "--noinput", "--verbosity", "0"],
    }
    running = {}
    try:
        for name, arguments in steps.items():
            with open(tmp_path / f"{name}.log", "wb") as log:
                running[name] = subprocess.Popen(
                    [sys.executable, "manage.py", *arguments],
                    cwd=ROOT, env=production_env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
        returncodes = {name: step.wait(timeout=SETUP_TIMEOUT) for name, step in running.items()}
    finally:
        for step in running.values():
            step.kill()  # a no-op once it has exited
            step.wait()
    for name, returncode in returncodes.items():
        output = (tmp_path / f"{name}.log").read_text(errors="replace")
        assert returncode == 0, f"manage.py {name} exited with {returncode}:\n{output}"
    return production_env


@dataclass
class Honcho:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def started(self) -> dict[str, int]:
        """The processes honcho started ("web.1": pid), each the leader of a session of its
        own."""
        started = re.findall(r"([\w.]+) started \(pid=(\d+)\)", self.log())
        return {name: int(pid) for name, pid in started}

    def sessions(self) -> set[int]:
        """honcho's session, and those of its processes and all they started."""
        table = process_table()
        sessions = {self.process.pid, *self.started().values()}
        family = {self.process.pid}
        while grown := {pid for pid, (parent, _, _) in table.items() if parent in family} - family:
            family |= grown
        return sessions | {table[pid][1] for pid in family if pid in table}

    def kill_all(self) -> None:
        """SIGKILL to whatever is left of honcho and everything it started."""
        sessions = self.sessions()
        for pid, (_, session, _) in process_table().items():
            if session in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture
def honcho(released, tmp_path) -> Iterator[tuple[Honcho, int]]:
    """`honcho start` in a process group of its own, on a free port; whatever is left of it is
    killed afterwards, and its output printed (pytest shows it when the test fails)."""
    port = free_port()
    log_path = tmp_path / "honcho.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "honcho", "start", "--procfile", "Procfile",
                "--app-root", str(ROOT), "--env", os.devnull, "--port", str(port), "--no-colour",
            ],
            cwd=ROOT, env=released, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    running = Honcho(process, log_path)
    try:
        yield running, port
    finally:
        running.kill_all()
        print(running.log())


def _healthy(honcho: Honcho, port: int) -> bool:
    if honcho.process.poll() is not None:
        pytest.fail(
            f"honcho exited with {honcho.process.returncode}:\n{honcho.log()}", pytrace=False
        )
    try:
        response = get(port, "/health/")
    except OSError:  # not listening yet
        return False
    return response.status == 200 and json.loads(response.body) == {
        "database": "ok",
        "broker": "ok",
    }


def _worker_pids(app: Celery) -> list[int]:
    """The pid of every worker that answers on the broker (a broadcast, and its replies)."""
    return [stats["pid"] for stats in (app.control.inspect(timeout=1.0).stats() or {}).values()]


def test_the_procfile_boots_and_serves_health_static_files_and_tasks(released, honcho, tmp_path):
    running, port = honcho

    # The health check, over plain HTTP as a load balancer sends it: not redirected to HTTPS.
    wait_until(
        lambda: _healthy(running, port),
        timeout=BOOT_TIMEOUT,
        interval=0.25,
        what=lambda: f"/health/ to answer 200 with both parts ok:\n{running.log()}",
    )
    assert set(running.started()) == {"web.1", "worker.1", "beat.1"}
    health = get(port, "/health/")
    assert "no-store" in health.headers["Cache-Control"]
    # Any other page over plain HTTP is sent to HTTPS (SECURE_SSL_REDIRECT).
    plain = get(port, "/accounts/login/")
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{HOST}:{port}/accounts/login/"

    # The login page's stylesheet, by the hashed name collectstatic gave it, through WhiteNoise.
    page = get(port, "/accounts/login/", VIA_HTTPS)
    assert page.status == 200
    (href,) = re.findall(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.body.decode())
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert href == f"/static/{manifest['paths']['css/app.css']}"
    css = get(port, href, {**VIA_HTTPS, "Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in css.headers["Cache-Control"]  # hashed: cached for good
    assert "immutable" in css.headers["Cache-Control"]
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.body) == (ROOT / "static" / "css" / "app.css").read_bytes()

    # The worker answers through the broker, and runs a task that reads the new database (the
    # beat's import sweeper, sent now rather than in a minute); beat has started its schedule.
    app = Celery("procfile-check", broker=released["CELERY_BROKER_URL"])
    try:
        answered = wait_until(
            lambda: _worker_pids(app),
            timeout=BOOT_TIMEOUT,
            what=lambda: f"the Celery worker to answer through the broker:\n{running.log()}",
        )
        # The Procfile execs celery: the worker's pid is the one honcho started.
        assert answered == [running.started()["worker.1"]], "another worker uses this broker"
        task_id = app.send_task(dispatch.IMPORT_JOBS_SWEEP).id
    finally:
        app.close()
    wait_until(
        lambda: f"{dispatch.IMPORT_JOBS_SWEEP}[{task_id}] succeeded" in running.log(),
        timeout=BOOT_TIMEOUT,
        what=lambda: f"the worker to run the sweeper:\n{running.log()}",
    )
    wait_until(
        lambda: "beat: Starting..." in running.log(),
        timeout=BOOT_TIMEOUT,
        what=lambda: f"beat to start:\n{running.log()}",
    )

    # Stopped as a terminal or a supervisor stops it: the whole group, then nothing left.
    sessions = running.sessions()
    os.killpg(running.process.pid, signal.SIGTERM)
    running.process.wait(timeout=STOP_TIMEOUT)
    for name in running.started():
        assert f"{name} stopped (rc=" in running.log(), f"{name} never stopped"
    wait_until(
        lambda: not sessions_alive(sessions),
        timeout=STOP_TIMEOUT,
        what=lambda: f"every process to exit; left: {sessions_alive(sessions)}",
    )
