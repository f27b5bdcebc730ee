"""Work handed to Celery by task name, so that services never import `tasks` (which imports
the services: the cycle this module breaks).

With a broker the task goes to the workers. Without one (`make run`, the SQLite tests) Celery
runs tasks in this process: at once, or, with `beside`, in a thread of its own, so that the
request which asked returns at once and its page can show progress. The task names are here,
once; `tasks.py` registers each function under its name. A process with a broker sends the
name alone and never imports `tasks` (nor the libraries its services load, such as
scikit-learn); a process without one imports the module by name when it first runs a task."""

from __future__ import annotations

import importlib
import threading

from celery import current_app
from django.db import close_old_connections, connections, transaction

IMPORT_JOB_RUN = "screening.tasks.import_job_run_task"
IMPORT_JOBS_SWEEP = "screening.tasks.import_jobs_sweep_task"
PUBMED_JOB_RUN = "screening.tasks.pubmed_job_run_task"
PUBMED_JOBS_SWEEP = "screening.tasks.pubmed_jobs_sweep_task"
PUBMED_RERUNS_DUE = "screening.tasks.pubmed_reruns_due_task"
RANKING_RETRAIN = "screening.tasks.ranking_retrain_task"
EMBEDDINGS_COMPUTE = "screening.tasks.embeddings_compute_task"


def runs_in_process() -> bool:
    """True when no broker is configured: Celery runs tasks at once, in this process."""
    return bool(current_app.conf.task_always_eager)


def enqueue(name: str, *args, now: bool = False, beside: bool = False, daemon: bool = False):
    """Run the task `name` with `args` the way this deployment can.

    `now`: in this process and this thread, broker or not (tests and benchmarks).
    `beside`: without a broker, in a new thread (`daemon` as threading means it)."""
    if not (now or runs_in_process()):
        return current_app.send_task(name, args=args)
    task = _registered(name)
    if beside and not now:
        thread = threading.Thread(
            target=_run_beside, args=(task, args), name=f"{name}{args}", daemon=daemon
        )
        thread.start()
        return thread
    return task.apply(args=args, throw=current_app.conf.task_eager_propagates)


def _registered(name: str):
    """The task called `name`. A worker's autodiscovery has registered it; elsewhere its
    module is imported by name, as that autodiscovery would."""
    if name not in current_app.tasks:
        importlib.import_module(name.rsplit(".", 1)[0])
    return current_app.tasks[name]


def enqueue_on_commit(name: str, *args, **how) -> None:
    """`enqueue` once the current transaction commits (at once outside one): a worker must
    never look for a row the request has not committed yet."""
    transaction.on_commit(lambda: enqueue(name, *args, **how))


def _run_beside(task, args) -> None:
    close_old_connections()
    try:
        task.apply(args=args, throw=True)
    finally:
        connections.close_all()  # this thread's own connections
