"""The background worker: claiming jobs, running them through the library on a workspace of
their own (an ingest of the committed police.uk sample, then a publication), progress and
outcomes recorded, failures recorded, stale jobs recovered, and ``saferplaces worker`` as a
process (run until the queue is empty; SIGTERM; two workers sharing one queue)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from tests.support import REPO
from tests.web.sample import SAMPLE

from saferplaces.demo import demo_data
from saferplaces.geo.store import level_summaries
from saferplaces.indicators.editions import list_editions
from saferplaces.lake.catalog import list_partitions
from saferplaces.lake.ingest import ingest
from saferplaces.web.accounts.models import AuditEvent, User
from saferplaces.web.jobs import queue, worker
from saferplaces.web.jobs.models import Job
from saferplaces.web.jobs.tasks import TASKS
from saferplaces.web.jobs.uploads import INCOMING, UPLOADS, upload_folder
from saferplaces.workspace import Workspace

# Real commits: the heartbeat thread has a database connection of its own.
pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE_FILES = sorted(SAMPLE.rglob("*.csv"))


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "ws", "Worker test", forces=["avon-and-somerset"])


def uploaded(ws: Workspace, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Job parameters for files placed as the upload view places them."""
    folder = uuid.uuid4().hex
    upload_folder(ws, folder).mkdir(parents=True)
    for name, data in files:
        (upload_folder(ws, folder) / name).write_bytes(data)
    return {
        "upload": folder,
        "files": [{"original": f"my-{n}", "stored": n, "size": len(d)} for n, d in files],
    }


def sample_upload(ws: Workspace) -> dict[str, Any]:
    return uploaded(ws, [(p.name, p.read_bytes()) for p in SAMPLE_FILES])


def test_claim_takes_the_oldest_queued_job_once() -> None:
    first = queue.enqueue(Job.Kind.REBUILD, {})
    second = queue.enqueue(Job.Kind.REBUILD, {})
    Job.objects.filter(pk=first.pk).update(created_at=timezone.now() + timedelta(hours=1))
    a = queue.claim_next("host:1")
    b = queue.claim_next("host:2")
    assert a is not None and b is not None
    assert (a.pk, b.pk) == (first.pk, second.pk)  # by id: the order they were asked for
    assert a.status == "running" and a.worker == "host:1" and a.heartbeat_at is not None
    assert queue.claim_next("host:3") is None


def test_claim_skips_a_job_another_worker_took_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim is a conditional update: a job claimed between our read and our update is
    left to its worker, and we take the next one."""
    taken = queue.enqueue(Job.Kind.REBUILD, {})
    free = queue.enqueue(Job.Kind.REBUILD, {})
    real_filter = Job.objects.filter
    raced = []

    def filter_then_race(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("pk") == taken.pk and "status" in kwargs and not raced:
            raced.append(True)
            real_filter(pk=taken.pk).update(status="running", worker="other:9")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Job.objects, "filter", filter_then_race)
    got = queue.claim_next("me:1")
    assert raced and got is not None and got.pk == free.pk
    assert Job.objects.get(pk=taken.pk).worker == "other:9"


def test_ingest_job_loads_the_sample_and_records_progress(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = User.objects.create(email="ann@example.org", role="analyst")
    job = queue.enqueue(Job.Kind.INGEST, sample_upload(ws), user)
    folder = upload_folder(ws, job.params["upload"])
    seen: list[dict[str, Any]] = []
    real_update = queue.update

    def spy(pk: int, **fields: Any) -> None:
        seen.append(fields)
        real_update(pk, **fields)

    monkeypatch.setattr(queue, "update", spy)
    done = worker.run_next(ws)

    assert done is not None and done.pk == job.pk
    assert done.status == "succeeded", done.error
    assert done.started_at and done.finished_at and done.finished_at >= done.started_at
    r = done.result
    assert r["ok"] is True and r["counts"] == {
        "loaded": 5,
        "replaced": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert r["rows_kept"] == sum(f["rows_kept"] for f in r["files"]) > 1200
    assert {f["source"] for f in r["files"]} == {f"my-{p.name}" for p in SAMPLE_FILES}
    assert (done.files_done, done.files_total, done.rows_done) == (5, 5, r["rows_kept"])
    # Progress as the library reported it: the stage, then files and rows as batches finished.
    assert seen[0] == {"stage": "Unpacking and checking the files"}
    loading = [s for s in seen if s.get("stage") == "Loading into the lake"]
    assert loading and loading[-1]["files_done"] == 5 and loading[-1]["rows_done"] > 0
    # The lake has the data; the uploaded copies are gone.
    months = {p.keys["month"] for p in list_partitions(ws.lake_dir, "street")}
    assert months == {"2018-01", "2018-02", "2018-03"}
    assert not folder.exists()

    # Then a Scorecard edition from it, audited in the name of who asked.
    params = {"levels": ["force"], "note": "First", "corrects": None, "formats": ["html", "csv"]}
    pub = queue.enqueue(Job.Kind.PUBLISH, params, user)
    done = worker.run_next(ws)
    assert done is not None and done.pk == pub.pk and done.status == "succeeded", done.error
    assert done.result["edition"] == 1 and done.result["data_cutoff"] == "2018-03"
    assert [e.number for e in list_editions(ws)] == [1]
    (event,) = AuditEvent.objects.filter(kind="edition_published")
    assert event.actor == user and event.detail["edition"] == 1 and event.detail["job"] == pub.pk


def test_rebuild_job_rebuilds_a_missing_mart_partition(ws: Workspace) -> None:
    assert ingest(ws.lake_dir, [SAMPLE / "2018-01", SAMPLE / "2018-02"]).ok
    marts = list_partitions(ws.lake_dir, "crime_monthly")
    assert len(marts) == 2
    marts[0].path.unlink()
    queue.enqueue(Job.Kind.REBUILD, {})
    done = worker.run_next(ws)
    assert done is not None and done.status == "succeeded"
    assert done.result == {"marts_rebuilt": 1}
    assert len(list_partitions(ws.lake_dir, "crime_monthly")) == 2


def test_area_import_job_stores_the_boundaries(ws: Workspace) -> None:
    geojson = demo_data("boundaries", "avon-and-somerset-districts-2011.geojson")
    params = uploaded(ws, [("lad.geojson", geojson.read_bytes())])
    params.update(level="lad", code_field="code", name_field="name", vintage="2011", merge=False)
    queue.enqueue(Job.Kind.IMPORT_AREAS, params)
    done = worker.run_next(ws)
    assert done is not None and done.status == "succeeded", done.error
    assert done.result["level"] == "lad" and done.result["imported"] == 9
    assert done.result["stored"] == 9 and done.result["source_crs"]
    assert [s["level"] for s in level_summaries(ws.lake_dir)] == ["lad"]
    assert not upload_folder(ws, params["upload"]).exists()


def test_rejected_rows_and_files_are_reported_not_failed(ws: Workspace) -> None:
    february = SAMPLE / "2018-02" / "2018-02-avon-and-somerset-street.csv"
    lines = february.read_bytes().split(b"\r\n")
    cells = lines[5].split(b",")
    cells[4] = b"not-a-number"  # Longitude
    lines[5] = b",".join(cells)
    bad_row = b"\r\n".join(lines)
    params = uploaded(
        ws,
        [
            ("2018-02-avon-and-somerset-street.csv", bad_row),
            ("2018-03-avon-and-somerset-street.csv", b"Crime ID,Month\r\nx,2018-03\r\n"),
        ],
    )
    job = queue.enqueue(Job.Kind.INGEST, params)
    done = worker.run_next(ws)
    assert done is not None and done.status == "succeeded"
    r = done.result
    assert r["ok"] is False
    assert r["counts"]["loaded"] == 1 and r["counts"]["rejected"] == 1
    (rejected,) = r["rejected_files"]
    assert rejected["source"] == "my-2018-03-avon-and-somerset-street.csv"
    assert "wrong or missing header" in rejected["reason"]
    (row,) = r["rejected_rows"]
    assert row["file"] == "my-2018-02-avon-and-somerset-street.csv" and row["line"] == "6"
    assert "not-a-number" in row["raw"] and r["rejected_rows_total"] == 1
    assert re.fullmatch(r"_reports/.+-rejected-rows\.csv", r["rejected_rows_report"])
    assert (ws.lake_dir / r["rejected_rows_report"]).exists()
    assert job.pk == done.pk


def test_a_failing_job_is_recorded_with_its_error(ws: Workspace) -> None:
    job = queue.enqueue(Job.Kind.PUBLISH, {"levels": ["force"], "corrects": 99, "note": "x"})
    done = worker.run_next(ws)
    assert done is not None and done.pk == job.pk
    assert done.status == "failed" and done.finished_at is not None
    assert done.error == "edition 99 does not exist, so it cannot be corrected"
    assert not AuditEvent.objects.filter(kind="edition_published").exists()


def test_a_worker_on_another_workspace_says_so(ws: Workspace, tmp_path: Path) -> None:
    job = queue.enqueue(Job.Kind.INGEST, sample_upload(ws))
    other = Workspace.create(tmp_path / "other", "Other")
    done = worker.run_next(other)
    assert done is not None and done.pk == job.pk and done.status == "failed"
    assert "does the worker run on the web app's workspace" in done.error


def test_an_unexpected_crash_is_recorded_and_the_upload_removed(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(TASKS, Job.Kind.INGEST, crash)
    job = queue.enqueue(Job.Kind.INGEST, sample_upload(ws))
    done = worker.run_next(ws)
    assert done is not None and done.status == "failed"
    assert done.error.startswith("Unexpected error (RuntimeError: disk on fire)")
    assert not upload_folder(ws, job.params["upload"]).exists()


def test_a_stopped_worker_records_the_job_as_stopped_and_stops(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    monkeypatch.setitem(TASKS, Job.Kind.REBUILD, interrupted)
    job = queue.enqueue(Job.Kind.REBUILD, {})
    with pytest.raises(KeyboardInterrupt):
        worker.run_next(ws)
    job.refresh_from_db()
    assert job.status == "failed" and "The worker was stopped before this job finished" in job.error


def test_stale_running_jobs_are_recovered(ws: Workspace) -> None:
    now = timezone.now()
    params = sample_upload(ws)
    dead = Job.objects.create(
        kind="ingest", status="running", params=params, heartbeat_at=now - timedelta(minutes=5)
    )
    alive = Job.objects.create(kind="rebuild", status="running", heartbeat_at=now)
    queued = Job.objects.create(kind="rebuild")
    assert dead.is_stale() and not alive.is_stale()

    recovered = worker.recover(ws)

    assert [j.pk for j in recovered] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == "failed" and "stopped without finishing it" in dead.error
    assert "Start the job again" in dead.error
    assert Job.objects.get(pk=alive.pk).status == "running"
    assert Job.objects.get(pk=queued.pk).status == "queued"
    assert not upload_folder(ws, params["upload"]).exists()
    assert worker.recover(ws) == []  # once


def test_abandoned_temporary_uploads_are_swept(ws: Workspace) -> None:
    incoming = ws.root / UPLOADS / INCOMING
    incoming.mkdir(parents=True)
    abandoned, live = incoming / "tmpold.upload", incoming / "tmpnew.upload"
    abandoned.write_bytes(b"x")
    live.write_bytes(b"y")
    day_ago = time.time() - 2 * 86400
    os.utime(abandoned, (day_ago, day_ago))
    worker.recover(ws)
    assert not abandoned.exists() and live.exists()


def test_heartbeat_keeps_a_long_job_alive() -> None:
    job = Job.objects.create(
        kind="rebuild", status="running", heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    with queue.Heartbeat(job.pk, every=0.05):
        deadline = time.monotonic() + 5
        while Job.objects.get(pk=job.pk).is_stale() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not Job.objects.get(pk=job.pk).is_stale()
    assert queue.recover_stale() == []


def test_work_once_runs_everything_queued(ws: Workspace) -> None:
    for _ in range(3):
        queue.enqueue(Job.Kind.REBUILD, {})
    assert worker.work(ws, once=True) == 3
    assert set(Job.objects.values_list("status", flat=True)) == {"succeeded"}
    assert list(Job.objects.values_list("result", flat=True)) == [{"marts_rebuilt": 0}] * 3


# --- saferplaces worker, as a process --------------------------------------------------------

PREPARE = """
import sys
from saferplaces.web import setup
setup(sys.argv[1])
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from saferplaces.web.jobs import queue
for _ in range(int(sys.argv[2])):
    queue.enqueue("rebuild", {})
"""


def _env() -> dict[str, str]:
    # A clean environment: this process has DJANGO_SETTINGS_MODULE set to the test settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SAFERPLACES_"))}
    env.pop("DATABASE_URL", None)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from saferplaces.cli import main; main()", *args]


def _worker(ws: Workspace, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _cli("worker", "-w", str(ws.root), *args),
        env=_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _statuses(ws: Workspace) -> list[tuple[str, str]]:
    with sqlite3.connect(ws.database_path) as con:
        return con.execute("SELECT status, worker FROM jobs_job ORDER BY id").fetchall()


@pytest.mark.slow
def test_worker_command_runs_jobs_and_two_workers_share_a_queue(ws: Workspace) -> None:
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(ws.root), "12"], env=_env(), cwd=REPO, check=True
    )
    procs = [_worker(ws, "--once", "--poll", "0.1") for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    rows = _statuses(ws)
    assert len(rows) == 12 and {s for s, _ in rows} == {"succeeded"}
    ran = [int(o.split("Worker finished: ")[1].split(" ")[0]) for o in outputs]
    assert sum(ran) == 12  # each job run exactly once, by one worker or the other
    assert {w for _, w in rows} <= {f"{os.uname().nodename}:{p.pid}" for p in procs}


KILLED = """
import sys
from datetime import timedelta
from django.utils import timezone
from saferplaces.web import setup
setup(sys.argv[1])
from saferplaces.web.jobs.models import Job
# What a worker killed with SIGKILL leaves: a running job whose heartbeat stopped.
Job.objects.filter(pk=1).update(
    status="running", worker="gone:1", heartbeat_at=timezone.now() - timedelta(minutes=5)
)
"""


@pytest.mark.slow
def test_the_next_worker_recovers_a_killed_workers_job(ws: Workspace) -> None:
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(ws.root), "2"], env=_env(), cwd=REPO, check=True
    )
    subprocess.run([sys.executable, "-c", KILLED, str(ws.root)], env=_env(), cwd=REPO, check=True)
    proc = _worker(ws, "--once")
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0 and "Worker finished: 1 job(s) run." in out, out
    assert "job 1 (rebuild): its worker stopped; marked failed" in out
    (dead, _), (ran, _) = _statuses(ws)
    assert (dead, ran) == ("failed", "succeeded")


@pytest.mark.slow
def test_worker_command_stops_on_sigterm(ws: Workspace) -> None:
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(ws.root), "0"], env=_env(), cwd=REPO, check=True
    )
    proc = _worker(ws)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0]
    assert "waiting for jobs" in first
    assert proc.returncode == 0 and "Worker stopped." in out


def test_worker_command_without_a_migrated_database(tmp_path: Path) -> None:
    bare = Workspace.create(tmp_path / "bare", "Bare")
    result = subprocess.run(
        _cli("worker", "-w", str(bare.root), "--once"),
        env=_env(), cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "the application database is not ready" in result.stderr
    assert "django-admin migrate" in result.stderr
