"""Importing boundaries into a workspace: read, check against the force or partnership area,
and store with provenance. The CLI and the demo call this; it holds no presentation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..workspace import Workspace
from .areas import AreaNotFoundError, Areas, check_level
from .boundaries import BoundaryImport, read_any
from .hierarchy import Hierarchy
from .store import provenance, save_areas


@dataclass(frozen=True)
class AreaImport:
    result: BoundaryImport
    stored: Areas  # what the level now holds
    checked_against: str  # '' when the extent could not be checked


def import_extent(ws: Workspace, level: str) -> tuple[Any, str]:
    """What imported areas should lie in: the force area if stored, else the partnership's."""
    if level == "force":
        return None, ""
    h = Hierarchy.for_workspace(ws)
    force = h.force_geometry(ws)
    if force is not None:
        return force, "the force area"
    try:
        refs = h.partnership_areas(ws)
        if any(r.level == level for r in refs):
            return None, ""
        geom = h.partnership_geometry(ws)
    except AreaNotFoundError:
        return None, ""
    return (geom, "the partnership area") if geom is not None else (None, "")


def import_areas(
    ws: Workspace,
    file: str | Path,
    *,
    level: str,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    code: str | None = None,
    name: str | None = None,
    vintage: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    merge: bool = False,
) -> AreaImport:
    """Read a boundary file and store it as ``level`` in the workspace's lake (atomically)."""
    check_level(level)
    within, label = import_extent(ws, level)
    result = read_any(
        file,
        level=level,
        code_field=code_field,
        name_field=name_field,
        code=code,
        name=name,
        parent_field=parent_field,
        crs=crs,
        layer=layer,
        vintage=vintage,
        within=within,
        within_label=label or "the force area",
        max_total_mb=min(ws.config.ingest.max_zip_total_mb, 1024),
        max_ratio=ws.config.ingest.max_zip_ratio,
    )
    rep = result.report
    prov = provenance(
        file,
        rows_read=rep.features,
        rows_kept=len(result.areas),
        kind="areas",
        level=level,
        source_crs=rep.source_crs,
        dropped_z=rep.dropped_z,
        repaired=rep.repaired,
        dropped=rep.dropped,
        overlaps=[list(o) for o in rep.overlaps[:100]],
        outside=[list(o) for o in rep.outside[:100]],
        outside_checked_against=label or None,
    )
    stored = save_areas(ws.lake_dir, result.areas, prov, merge=merge)
    return AreaImport(result, stored, label)
