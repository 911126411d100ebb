"""Retention: removing partner data older than each dataset's retention period.

``saferplaces partners purge`` keeps the last ``retention_months`` months of each partner
dataset (counting the current month) and removes older month partitions, with their validation
reports and quarantined rows. Each partition is removed atomically: its folder is first renamed
into a hidden trash folder (a rename is atomic, so a reader sees the partition or nothing),
then deleted. Every purge is logged in ``lake/_log/`` with what was removed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..lake.catalog import list_partitions
from ..workspace import Workspace
from .definitions import list_definitions, read_definition
from .importer import REPORT_DIR, _new_id, write_log

__all__ = ["PurgeReport", "cutoff_month", "purge"]

TRASH_DIR = ".trash-partners"


def cutoff_month(today: dt.date, retention_months: int) -> str:
    """The oldest month kept: ``retention_months`` months ending with today's month."""
    index = today.year * 12 + today.month - 1 - (retention_months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class PurgeReport:
    purge_id: str
    today: str
    dry_run: bool
    cutoffs: dict[str, str] = field(default_factory=dict)
    removed: list[dict[str, Any]] = field(default_factory=list)
    reports_removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "partner-purge", **asdict(self)}


def purge(
    ws: Workspace,
    name: str | None = None,
    *,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """Remove partitions (and reports) older than retention; ``name`` limits it to one."""
    today = today or dt.date.today()
    report = PurgeReport(_new_id(), today.isoformat(), dry_run)
    lake = ws.lake_dir
    trash = lake / TRASH_DIR / report.purge_id
    defs = list_definitions(ws.root)
    if name is not None:
        from .definitions import load_definition

        load_definition(name, ws.root)  # a clear error for an unknown name
        defs = {name: defs[name]}
    try:
        for ds_name, source in sorted(defs.items()):
            defn = read_definition(source.path)
            cutoff = cutoff_month(today, defn.retention_months)
            report.cutoffs[ds_name] = cutoff
            for part in list_partitions(lake, defn.dataset):
                if part.keys["month"] >= cutoff:
                    continue
                folder = part.path.parent
                report.removed.append({
                    "dataset": ds_name, "month": part.keys["month"],
                    "rows": part.provenance.get("rows_kept"),
                    "source_file": part.provenance.get("source_file"),
                    "source_sha256": part.provenance.get("source_sha256"),
                })  # fmt: skip
                if not dry_run:
                    target = trash / folder.relative_to(lake)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(folder, target)
            report.reports_removed += _old_reports(lake, ds_name, cutoff, dry_run)
    finally:
        shutil.rmtree(trash, ignore_errors=True)
        if not dry_run:
            write_log(lake, report.purge_id, report.to_dict())
    return report


def _old_reports(lake: Path, name: str, cutoff: str, dry_run: bool) -> list[str]:
    """Validation reports and quarantine files of ``name`` made before the cutoff month."""
    folder = lake / REPORT_DIR
    out: list[str] = []
    if not folder.exists():
        return out
    for p in sorted(folder.glob(f"*-{name}-*.csv")):
        stamp = p.name[:6]  # YYYYMM of the import id
        if not stamp.isdigit() or f"{stamp[:4]}-{stamp[4:]}" >= cutoff:
            continue
        if not p.name.endswith((f"-{name}-validation.csv", f"-{name}-quarantine.csv")):
            continue
        out.append(str(p))
        if not dry_run:
            p.unlink(missing_ok=True)
    return out
