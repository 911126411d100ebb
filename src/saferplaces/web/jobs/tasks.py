"""What each kind of job does: a job's parameters turned into the library operation
(:mod:`saferplaces.operations`, no Django), whose progress is written to the job and whose
summary is kept for its page. Publications are audited here, in the name of who asked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ... import operations
from ...errors import SaferPlacesError
from ...operations import Reporter
from ...workspace import Workspace
from .models import Job
from .uploads import upload_folder

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


def run_ingest(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    folder = _uploaded(ws, job.params)
    stored = [(folder / f["stored"], f["original"]) for f in job.params["files"]]
    names = {str(path): original for path, original in stored}
    return operations.load_policeuk(ws, [path for path, _ in stored], names, report)


def run_rebuild(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    return operations.rebuild(ws, report)


def run_publish(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    from ..accounts import audit

    params = job.params
    result = operations.publish(
        ws,
        report,
        levels=list(params.get("levels") or ["force", "lad"]),
        corrects=params.get("corrects"),
        note=str(params.get("note", "")),
        formats=tuple(params["formats"]) if params.get("formats") else None,
    )
    audit.record(
        audit.EventKind.EDITION_PUBLISHED,
        actor=job.created_by,
        subject_label=f"Scorecard edition {result['edition']}",
        detail={**result, "job": job.pk},
    )
    return result


def run_import_areas(ws: Workspace, job: Job, report: Reporter) -> dict[str, Any]:
    params = job.params
    (stored,) = params["files"]
    return operations.import_boundaries(
        ws,
        _uploaded(ws, params) / stored["stored"],
        report,
        level=params["level"],
        code_field=params.get("code_field") or None,
        name_field=params.get("name_field") or None,
        parent_field=params.get("parent_field") or None,
        vintage=params.get("vintage") or None,
        merge=bool(params.get("merge")),
    )


TASKS: dict[str, Task] = {
    Job.Kind.INGEST: run_ingest,
    Job.Kind.REBUILD: run_rebuild,
    Job.Kind.PUBLISH: run_publish,
    Job.Kind.IMPORT_AREAS: run_import_areas,
}
