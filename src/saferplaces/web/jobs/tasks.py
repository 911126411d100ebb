"""What each kind of job does: the library's own entry points, as the CLI calls them, with
progress written to the job and a JSON summary returned for its page.

A task may raise: the worker records the error and marks the job failed. A task that finishes
with rejected files or rows has still succeeded (it did what the CLI would); its summary says
what was rejected and why.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ...errors import SaferPlacesError
from ...lake import ingest as ingest_mod
from ...lake.mart import rebuild_marts
from ...workspace import Workspace
from .models import Job
from .uploads import upload_folder

#: Rejected rows and files listed on the job's page (the full lists are in the lake's reports).
SHOWN_REJECTS = 100
SHOWN_FILES = 1000


class Reporter(Protocol):
    def __call__(self, **fields: Any) -> None: ...


Task = Callable[[Workspace, Job, Reporter], dict[str, Any]]


def _uploaded(ws: Workspace, params: dict[str, Any]) -> Path:
    """The job's upload folder, which the web server filled before queueing the job."""
    folder = upload_folder(ws, params["upload"])
    if not folder.is_dir():
        raise SaferPlacesError(
            f"the uploaded files are not in {folder}: does the worker run on the web app's "
            "workspace (the same folder as SAFERPLACES_WORKSPACE)?"
        )
    return folder


def _display_names(ws: Workspace, params: dict[str, Any]) -> dict[str, str]:
    """Our stored path → the name the analyst uploaded, to show sources as they know them."""
    folder = upload_folder(ws, params["upload"])
    return {str(folder / f["stored"]): f["original"] for f in params["files"]}


def _shown(source: str, names: dict[str, str]) -> str:
    for stored, original in names.items():
        if source == stored or source.startswith(stored + "!"):
            return original + source[len(stored) :]
        if source.startswith(Path(stored).name + "!"):  # a zip member: 'police-uk-0.zip!...'
            return original + source[len(Path(stored).name) :]
    return source


def _rejected_rows(path: str | None, names: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    if not path or not Path(path).exists():
        return [], 0
    rows: list[dict[str, Any]] = []
    total = 0
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            total += 1
            if len(rows) < SHOWN_REJECTS:
                rows.append(
                    {
                        "file": _shown(row["file"], names),
                        "line": row["line"],
                        "reason": row["reason"],
                        "raw": row["raw"][:300],
                    }
                )
    return rows, total


def ingest_summary(report: ingest_mod.IngestReport, names: dict[str, str]) -> dict[str, Any]:
    counts = Counter(f.status for f in report.files)
    rows, rows_total = _rejected_rows(report.rejected_rows_report, names)
    files = [
        {
            "source": _shown(f.source, names),
            "kind": f.kind,
            "force": f.force,
            "month": f.month,
            "status": f.status,
            "rows_kept": f.rows_kept,
            "rows_rejected": f.rows_rejected,
            "reason": f.reason,
            "line": f.line,
        }
        for f in report.files
    ]
    return {
        "ingest_id": report.ingest_id,
        "ok": report.ok,
        "counts": {s: counts.get(s, 0) for s in ("loaded", "replaced", "unchanged", "rejected")},
        "rows_kept": sum(f.rows_kept for f in report.files if f.status != "unchanged"),
        "rows_rejected": sum(f.rows_rejected for f in report.files),
        "files": files[:SHOWN_FILES],
        "files_total": len(files),
        "rejected_files": [f for f in files if f["status"] == "rejected"][:SHOWN_FILES],
        "rejected_rows": rows,
        "rejected_rows_total": rows_total,
        # Named inside the lake (the full path is the server's business).
        "rejected_rows_report": (
            f"{ingest_mod.REPORT_DIR}/{Path(report.rejected_rows_report).name}"
            if report.rejected_rows_report
            else None
        ),
        "marts_rebuilt": report.marts_rebuilt,
    }


def run_ingest(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    """``saferplaces ingest`` on the job's uploaded files."""
    params = job.params
    folder = _uploaded(ws, params)
    limits = ws.config.ingest
    report(stage="Unpacking and checking the files")

    def on_progress(p: ingest_mod.Progress) -> None:
        report(
            stage="Loading into the lake",
            files_done=p.files_done,
            files_total=p.files_total,
            rows_done=p.rows_done,
        )

    result = ingest_mod.ingest(
        ws.lake_dir,
        [folder / f["stored"] for f in params["files"]],
        max_zip_ratio=limits.max_zip_ratio,
        max_zip_total_bytes=limits.max_zip_total_mb * 1024 * 1024,
        max_line_bytes=limits.max_line_bytes,
        progress=on_progress,
    )
    summary = ingest_summary(result, _display_names(ws, params))
    report(
        files_done=len(result.files),
        files_total=len(result.files),
        rows_done=summary["rows_kept"],
    )
    return summary


def run_rebuild(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    """Rebuild every stale base-mart partition (``rebuild_marts``, as the end of an ingest
    does): repairs a mart left behind by an interrupted ingest or an older schema. The site's
    cached figures follow the lake's state by themselves."""
    report(stage="Rebuilding stale base-mart partitions")
    return {"marts_rebuilt": rebuild_marts(ws.lake_dir)}


def run_publish(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    """``saferplaces scorecard publish``: evaluate and write an immutable edition."""
    from ...indicators import workspace_indicators
    from ...indicators.editions import publish_edition
    from ..accounts import audit

    params = job.params
    report(stage="Evaluating the indicators and writing the edition")
    extra: dict[str, Any] = {}
    if params.get("formats"):
        extra["formats"] = tuple(params["formats"])
    info = publish_edition(
        ws,
        workspace_indicators(ws),
        levels=list(params.get("levels") or ["force", "lad"]),
        corrects=params.get("corrects"),
        note=str(params.get("note", "")),
        **extra,
    )
    result = {
        "edition": info.number,
        "data_cutoff": info.data_cutoff,
        "published_at": info.published_at,
        "corrects": info.corrects,
        "files": sorted(info.files),
    }
    audit.record(
        audit.EventKind.EDITION_PUBLISHED,
        actor=job.created_by,
        subject_label=f"Scorecard edition {info.number}",
        detail={**result, "note": info.note, "job": job.pk},
    )
    return result


def run_import_areas(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    """``saferplaces areas import`` on the job's uploaded boundary file."""
    from ...geo.importer import import_areas

    params = job.params
    folder = _uploaded(ws, params)
    (stored,) = params["files"]
    report(stage="Reading and checking the boundaries")
    imported = import_areas(
        ws,
        folder / stored["stored"],
        level=params["level"],
        code_field=params.get("code_field") or None,
        name_field=params.get("name_field") or None,
        parent_field=params.get("parent_field") or None,
        vintage=params.get("vintage") or None,
        merge=bool(params.get("merge")),
    )
    rep = imported.result.report
    return {
        "level": params["level"],
        "imported": len(imported.result.areas),
        "stored": len(imported.stored),
        "source_crs": rep.source_crs,
        "warnings": rep.messages(),
        "checked_against": imported.checked_against,
    }


TASKS: dict[str, Task] = {
    Job.Kind.INGEST: run_ingest,
    Job.Kind.REBUILD: run_rebuild,
    Job.Kind.PUBLISH: run_publish,
    Job.Kind.IMPORT_AREAS: run_import_areas,
}
