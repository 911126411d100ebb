"""What an analyst runs from the web app's background jobs, done as the CLI does it: each
operation is a library call that reports progress and returns a JSON-ready summary.

No Django here: ``saferplaces.web.jobs.tasks`` turns a job's parameters into these calls,
writes the progress to the job and keeps the summary for the job's page. An operation may raise
(:class:`~saferplaces.errors.SaferPlacesError` names the problem); one that ends with rejected
files or rows has still done what the CLI would, and its summary says what and why.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

from .lake import ingest as ingest_mod
from .lake.mart import rebuild_marts
from .workspace import Workspace

#: Rejected rows and files listed in a summary (the full lists are in the lake's reports).
SHOWN_REJECTS = 100
SHOWN_FILES = 1000


class Reporter(Protocol):
    """Progress: any of ``stage`` (words), ``files_done``, ``files_total``, ``rows_done``."""

    def __call__(self, **fields: Any) -> None: ...


def _shown(source: str, names: dict[str, str]) -> str:
    """A file as the analyst knows it: the name they uploaded, not where we stored it."""
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
    """An ingest report as a job's page shows it, files named as in ``names``."""
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


def load_policeuk(
    ws: Workspace, files: list[Path], names: dict[str, str], report: Reporter
) -> dict[str, Any]:
    """``saferplaces ingest FILES``; ``names`` maps each path to the name to show."""
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
        files,
        max_zip_ratio=limits.max_zip_ratio,
        max_zip_total_bytes=limits.max_zip_total_mb * 1024 * 1024,
        max_line_bytes=limits.max_line_bytes,
        progress=on_progress,
    )
    summary = ingest_summary(result, names)
    report(
        files_done=len(result.files), files_total=len(result.files), rows_done=summary["rows_kept"]
    )
    return summary


def rebuild(ws: Workspace, report: Reporter) -> dict[str, Any]:
    """Rebuild every stale base-mart partition (``rebuild_marts``, as the end of an ingest
    does): repairs a mart left behind by an interrupted ingest or an older schema. The web
    app's cached figures follow the lake's state by themselves."""
    report(stage="Rebuilding stale base-mart partitions")
    return {"marts_rebuilt": rebuild_marts(ws.lake_dir)}


def publish(
    ws: Workspace,
    report: Reporter,
    *,
    levels: list[str],
    corrects: int | None,
    note: str,
    formats: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """``saferplaces scorecard publish``: evaluate and write an immutable edition."""
    from .indicators import workspace_indicators
    from .indicators.editions import publish_edition

    report(stage="Evaluating the indicators and writing the edition")
    extra: dict[str, Any] = {"formats": formats} if formats else {}
    info = publish_edition(
        ws, workspace_indicators(ws), levels=levels, corrects=corrects, note=note, **extra
    )
    return {
        "edition": info.number,
        "data_cutoff": info.data_cutoff,
        "published_at": info.published_at,
        "corrects": info.corrects,
        "note": info.note,
        "files": sorted(info.files),
    }


def import_boundaries(
    ws: Workspace, file: Path, report: Reporter, *, level: str, **fields: Any
) -> dict[str, Any]:
    """``saferplaces areas import FILE --level LEVEL ...`` (``fields``: code_field, name_field,
    parent_field, vintage, merge)."""
    from .geo.importer import import_areas

    report(stage="Reading and checking the boundaries")
    imported = import_areas(ws, file, level=level, **fields)
    rep = imported.result.report
    return {
        "level": level,
        "imported": len(imported.result.areas),
        "stored": len(imported.stored),
        "source_crs": rep.source_crs,
        "warnings": rep.messages(),
        "checked_against": imported.checked_against,
    }
