"""A background job: what to run, who asked, and how far it has got."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

#: A running job's worker writes a heartbeat this often (seconds) ...
HEARTBEAT_S = 5.0
#: ... so a running job without one for this long has lost its worker (killed, machine down).
STALE_AFTER_S = 60.0


class Kind(StrEnum):
    INGEST = "ingest"
    REBUILD = "rebuild"
    PUBLISH = "publish"
    IMPORT_AREAS = "import_areas"


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# StrEnums with their labels beside them, as in accounts/roles.py: plain strings to the type
# checker (Django's TextChoices are not typed here) and in the migrations.
KIND_CHOICES = [
    (Kind.INGEST.value, "Load police.uk data"),
    (Kind.REBUILD.value, "Rebuild the base mart"),
    (Kind.PUBLISH.value, "Publish a Scorecard edition"),
    (Kind.IMPORT_AREAS.value, "Import area boundaries"),
]
STATUS_CHOICES = [
    (Status.QUEUED.value, "Waiting to start"),
    (Status.RUNNING.value, "Running"),
    (Status.SUCCEEDED.value, "Finished"),
    (Status.FAILED.value, "Failed"),
]


class Job(models.Model):
    Kind = Kind
    Status = Status

    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    #: What to run: JSON the task reads (file names under the job's upload folder, levels, ...).
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=STATUS_CHOICES, default=Status.QUEUED.value, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Who asked, as text that survives the account's deletion.
    created_by_label = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    #: ``host:pid`` of the worker that claimed the job.
    worker = models.CharField(max_length=200, blank=True)
    #: What the job is doing now, in words ("Loading into the lake").
    stage = models.CharField(max_length=200, blank=True)
    files_done = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    #: The task's summary (JSON): an ingest's files and rejected rows, an edition's number, ...
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "id"], name="jobs_status_id")
        ]

    def __str__(self) -> str:
        return f"Job {self.pk}: {self.get_kind_display()} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def percent(self) -> int | None:
        """Files done as a percentage, once the job knows how many there are."""
        if not self.files_total:
            return None
        return min(100, round(100 * int(self.files_done) / int(self.files_total)))

    @property
    def took(self) -> str:
        """How long it ran, in words ("4 seconds", "2 minutes 5 seconds")."""
        if self.started_at is None or self.finished_at is None:
            return ""
        seconds = max(0, round((self.finished_at - self.started_at).total_seconds()))
        minutes, seconds = divmod(seconds, 60)
        parts = [f"{minutes} minute{'s' * (minutes != 1)}"] if minutes else []
        if seconds or not minutes:
            parts.append(f"{seconds} second{'s' * (seconds != 1)}")
        return " ".join(parts)

    def is_stale(self, now: Any = None) -> bool:
        """Running, but its worker has not been heard from for :data:`STALE_AFTER_S`."""
        if self.status != self.Status.RUNNING or self.heartbeat_at is None:
            return False
        now = now or timezone.now()
        return bool(now - self.heartbeat_at > timedelta(seconds=STALE_AFTER_S))
