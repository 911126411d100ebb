"""The job queue in the application database: queue, claim, report progress, finish, recover.

Claiming is one conditional ``UPDATE ... WHERE id = ? AND status = 'queued'``: exactly one
worker's update matches, on SQLite (writes are serialised) and on PostgreSQL (the second
update waits for the first to commit, re-reads the row and no longer matches). Every query goes
through the ORM's router, so a test can pin it to another database.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connections
from django.utils import timezone

from .models import HEARTBEAT_S, STALE_AFTER_S, Job

log = logging.getLogger("saferplaces.jobs")

STALE_MESSAGE = (
    "The worker running this job stopped without finishing it (last heard from at {at} UTC). "
    "Nothing half-written is kept: the lake replaces each partition whole, and an edition or "
    "an area level appears only when complete. Start the job again."
)


def enqueue(kind: str, params: dict[str, Any], user: Any = None) -> Job:
    label = getattr(user, "email", "") or ""
    job: Job = Job.objects.create(
        kind=kind,
        params=params,
        created_by=user if getattr(user, "pk", None) else None,
        created_by_label=label,
    )
    return job


def claim_next(worker: str) -> Job | None:
    """The oldest queued job, now marked running for ``worker``; None when none is queued."""
    while True:
        pk = (
            Job.objects.filter(status=Job.Status.QUEUED)
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None
        now = timezone.now()
        claimed = Job.objects.filter(pk=pk, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING,
            worker=worker[:200],
            started_at=now,
            heartbeat_at=now,
            stage="Starting",
        )
        if claimed:
            job: Job = Job.objects.get(pk=pk)
            return job
        # Another worker claimed it between our read and our update: try the next one.


def update(pk: int, **fields: Any) -> None:
    """Record progress (``stage``, ``files_done``, ``files_total``, ``rows_done``)."""
    Job.objects.filter(pk=pk).update(heartbeat_at=timezone.now(), **fields)


def succeed(pk: int, result: dict[str, Any]) -> None:
    Job.objects.filter(pk=pk).update(
        status=Job.Status.SUCCEEDED, result=result, finished_at=timezone.now(), stage="Finished"
    )


def fail(pk: int, error: str, result: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=pk).update(
        status=Job.Status.FAILED,
        error=error,
        result=result or {},
        finished_at=timezone.now(),
        stage="Failed",
    )


def recover_stale(now: Any = None, stale_after: float = STALE_AFTER_S) -> list[Job]:
    """Mark failed every running job whose worker has stopped sending heartbeats (killed,
    machine restarted); returns them. A slow job is not stale: its heartbeat comes from a
    thread of its own, whatever the task is doing."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=stale_after)
    recovered = []
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff):
        seen = job.heartbeat_at or job.started_at or now
        # Conditional again: the worker may have sent a heartbeat since we read the row.
        n = Job.objects.filter(
            pk=job.pk, status=Job.Status.RUNNING, heartbeat_at__lt=cutoff
        ).update(
            status=Job.Status.FAILED,
            error=STALE_MESSAGE.format(at=f"{seen:%Y-%m-%d %H:%M:%S}"),
            finished_at=now,
            stage="Failed",
        )
        if n:
            recovered.append(job)
    return recovered


@dataclass
class Heartbeat:
    """While open, a thread stamps the job's ``heartbeat_at`` every ``every`` seconds, so a
    long task (one DuckDB query, a PDF) is never mistaken for a dead worker."""

    pk: int
    every: float = HEARTBEAT_S

    def __enter__(self) -> Heartbeat:
        self._stop = threading.Event()
        # The thread runs in a copy of this context (a test's pinned database goes with it).
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._run,), name=f"heartbeat-{self.pk}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    Job.objects.filter(pk=self.pk, status=Job.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:  # a busy or restarting database: try again later
                    log.warning("job %s: heartbeat not recorded: %s", self.pk, exc)
        finally:
            connections.close_all()  # this thread's own connections
