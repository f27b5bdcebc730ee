"""The machinery of bench/load.py around the application: the benchmark's PostgreSQL
databases, the gunicorn server, and what the machine's /proc and PostgreSQL's statistics say
the run cost."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Postgres:
    """The benchmark's databases on the server of --postgres: made, copied, dropped."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.admin_url)._replace(path="/" + name))

    def execute(self, sql: str, params=None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def create(self, name: str, template: str | None = None) -> str:
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self.created)):
            try:
                self.drop(name)
            except Exception as error:  # noqa: BLE001 - report, go on dropping the rest
                log(f"warning: could not drop database {name}: {error}")


def django_env(database_url: str, conn_max_age: int = 0) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": str(conn_max_age),
        "PYTHONPATH": str(REPO),
    }
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL"):  # no broker: see the docstring
        env.pop(name, None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(database_url: str, workers: int, conn_max_age: int, logfile: Path):
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--timeout", "120", "--no-control-socket",
        "--error-logfile", str(logfile),
    ]  # fmt: skip
    with logfile.open("ab") as output:  # the application's log too (logins, warnings)
        process = subprocess.Popen(
            command, cwd=REPO, env=django_env(database_url, conn_max_age), stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}: see {logfile}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, base
        except OSError:
            time.sleep(0.2)  # waiting for a server to listen, not for a result
    process.terminate()
    raise SystemExit("gunicorn did not listen within 90 s")


def gunicorn_stop(process) -> None:
    process.terminate()  # SIGTERM: gunicorn's graceful stop
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of one process, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


class DatabaseSampler(threading.Thread):
    """Every 0.2 s: the database's connections, those waiting on a lock, and the CPU each of
    their backends has used (from /proc: the server runs on this machine). A backend's last
    reading stays when it ends (DATABASE_CONN_MAX_AGE recycles them): only what it used after
    its last sample, at most 0.2 s of work, is lost."""

    def __init__(self, postgres: Postgres, name: str) -> None:
        super().__init__(daemon=True)
        self.postgres, self.name = postgres, name
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.connections: list[int] = []
        self.lock_waits: list[int] = []
        self.first: dict[int, float] | None = None  # from the start of the timed part
        self.last: dict[int, float] = {}

    def start_timing(self) -> None:
        """Forget the samples so far (the warm-up); count CPU from now."""
        with self.lock:
            self.connections, self.lock_waits = [], []
            alive = {pid: cpu_seconds(pid) for pid in self.last}
            self.first = {pid: used for pid, used in alive.items() if used is not None}

    def database_cpu(self) -> float:
        with self.lock:
            first = self.first or {}
            return sum(self.last[pid] - first[pid] for pid in first if pid in self.last)

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.postgres.admin_url, autocommit=True) as connection:
            while not self.stop.wait(0.2):
                rows = connection.execute(
                    "SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = %s",
                    [self.name],
                ).fetchall()
                with self.lock:
                    self.connections.append(len(rows))
                    self.lock_waits.append(sum(1 for _, wait in rows if wait == "Lock"))
                    for pid, _ in rows:
                        used = cpu_seconds(pid)
                        if used is not None:
                            self.last[pid] = used
                            if self.first is not None:  # one that began in the timed part
                                self.first.setdefault(pid, 0.0)
