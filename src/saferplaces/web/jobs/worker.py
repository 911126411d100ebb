"""The background worker: claim queued jobs, run them through the library, record the outcome.

``saferplaces worker`` runs :func:`work`. Jobs that change a workspace run one at a time per
workspace (a lock file; the ingest clears the lake's staging folder when it starts, so two
at once would trip each other up), whatever the number of workers. A job whose worker dies is
found by its missing heartbeat and marked failed (:func:`.queue.recover_stale`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import close_old_connections

from ...errors import SaferPlacesError
from ...workspace import Workspace
from . import queue
from .models import HEARTBEAT_S, Job
from .tasks import TASKS
from .uploads import remove_upload, sweep_incoming

log = logging.getLogger("saferplaces.jobs")

LOCK_FILE = ".saferplaces-jobs.lock"
#: How often an idle worker looks for stale jobs (seconds).
RECOVER_EVERY_S = 30.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def workspace_lock(ws: Workspace, waiting: Callable[[], None]) -> Iterator[None]:
    """Exclusive use of the workspace for one job (``waiting`` is called if another has it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: one worker per workspace, by hand
        yield
        return
    with open(ws.root / LOCK_FILE, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def describe(exc: BaseException) -> str:
    """The error as the job's page shows it."""
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return (
            "The worker was stopped before this job finished. Nothing half-written is kept: "
            "the lake replaces each partition whole, and an edition or an area level appears "
            "only when complete. Start the job again."
        )
    if isinstance(exc, SaferPlacesError | ValueError):
        return str(exc)  # the library's own message names the file or setting
    return f"Unexpected error ({type(exc).__name__}: {exc}); the worker's log has the details."


def execute(job: Job, ws: Workspace, heartbeat_s: float = HEARTBEAT_S) -> None:
    """Run a claimed job to the end and record its outcome. A stop (Ctrl-C, SIGTERM) is
    recorded as a failure of the job, then passed on."""

    def report(**fields: Any) -> None:
        queue.update(job.pk, **fields)

    try:
        with queue.Heartbeat(job.pk, heartbeat_s):
            wait_text = "Waiting for another job on this workspace to finish"
            with workspace_lock(ws, lambda: report(stage=wait_text)):
                result = TASKS[job.kind](ws, job, report)
    except BaseException as exc:
        if isinstance(exc, Exception) and not isinstance(exc, SaferPlacesError | ValueError):
            log.error("job %s (%s) failed:\n%s", job.pk, job.kind, traceback.format_exc())
        else:
            log.warning("job %s (%s) failed: %s", job.pk, job.kind, describe(exc))
        queue.fail(job.pk, describe(exc))
        if not isinstance(exc, Exception):
            raise
    else:
        queue.succeed(job.pk, result)
        log.info("job %s (%s) finished", job.pk, job.kind)
    finally:
        remove_upload(ws, job.params)


def recover(ws: Workspace) -> list[Job]:
    """Fail the jobs whose worker died and delete their uploaded files, and delete uploads
    abandoned half-way by a web server that was killed."""
    jobs = queue.recover_stale()
    for job in jobs:
        log.warning("job %s (%s): its worker stopped; marked failed", job.pk, job.kind)
        remove_upload(ws, job.params)
    sweep_incoming(ws)
    return jobs


def run_next(ws: Workspace, heartbeat_s: float = HEARTBEAT_S) -> Job | None:
    """Claim and run the oldest queued job; None when none is waiting."""
    job = queue.claim_next(worker_name())
    if job is None:
        return None
    log.info("job %s (%s) started for %s", job.pk, job.kind, job.created_by_label or "?")
    execute(job, ws, heartbeat_s)
    job.refresh_from_db()
    return job


def work(
    ws: Workspace,
    *,
    once: bool = False,
    poll_s: float = 1.0,
    stop: threading.Event | None = None,
    parent_pid: int | None = None,
) -> int:
    """Run jobs until ``stop`` is set (or, with ``once``, until none is queued); returns how
    many ran. With ``parent_pid``, also stop when that process is gone (``serve``'s child)."""
    stop = stop or threading.Event()
    ran = 0
    last_recovery = float("-inf")
    while not stop.is_set():
        # A long-running process outside a request: drop connections that broke or aged.
        close_old_connections()
        if time.monotonic() - last_recovery > RECOVER_EVERY_S:
            recover(ws)
            last_recovery = time.monotonic()
        if run_next(ws) is not None:
            ran += 1
            continue
        if once or (parent_pid is not None and os.getppid() != parent_pid):
            break
        stop.wait(poll_s)
    return ran
