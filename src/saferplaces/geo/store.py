"""Areas, lookups and denominators in the workspace lake.

=================  =====================  ====================================================
dataset            partition              one row per
=================  =====================  ====================================================
``areas``          ``level=<level>``      area: code, name, level, parent_code, source,
                                          vintage, area_m2, bbox{xmin,ymin,xmax,ymax}, geometry
                                          (WKB, EPSG:27700; GeoParquet 1.1 ``geo`` metadata)
``area_lookups``   ``level=<level>``      LSOA: lsoa_code, area_code, area_name, level,
                                          lsoa_vintage, source
``denominators``   ``name=<slug>``        area: code, level, value, name, year, source, note
=================  =====================  ====================================================

Every write replaces one whole partition atomically (:func:`~saferplaces.lake.write_partition`)
and carries provenance in the Parquet footer; a failed import never touches what is stored.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..lake import list_partitions, write_partition
from ..lake.partition import DATA_FILE, partition_dir
from .areas import AreaNotFoundError, Areas, check_level
from .lookups import AreaLookup

AREAS = "areas"
LOOKUPS = "area_lookups"
DENOMINATORS = "denominators"
SCHEMA_VERSION = 1


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def provenance(
    source: str | Path | None, *, rows_read: int, rows_kept: int, **extra: Any
) -> dict[str, Any]:
    """Provenance for a partition: source file, checksum, row counts, when, schema version."""
    out: dict[str, Any] = {
        "source_file": str(source) if source else None,
        "sha256": file_sha256(source) if source and Path(source).is_file() else None,
        "rows_read": rows_read,
        "rows_kept": rows_kept,
        "rows_rejected": rows_read - rows_kept,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
    }
    out.update(extra)
    return out


# ---- areas ---------------------------------------------------------------------------------


def save_areas(
    lake_dir: Path, areas: Areas, prov: dict[str, Any] | None = None, *, merge: bool = False
) -> Areas:
    """Store ``areas`` as the ``level=<level>`` partition (replacing it, or with ``merge``
    replacing only the codes given and keeping the others). Returns what is now stored."""
    if merge and has_level(lake_dir, areas.level):
        old = load_areas(lake_dir, areas.level)
        keep = [c for c in old.codes if c not in areas]
        kept = old.subset(keep) if keep else None
        if kept is not None:
            areas = Areas.build(
                areas.level,
                [*kept.codes, *areas.codes],
                [*kept.names, *areas.names],
                [*kept.geometries, *areas.geometries],
                parent_codes=[*kept.parent_codes, *areas.parent_codes],
                source=areas.source,
                vintage=areas.vintage,
            )
    prov = dict(prov or provenance(None, rows_read=len(areas), rows_kept=len(areas)))
    prov.setdefault("kind", "areas")
    write_partition(lake_dir, AREAS, {"level": areas.level}, areas.to_table(), prov)
    return areas


def has_level(lake_dir: Path, level: str) -> bool:
    return (partition_dir(lake_dir, AREAS, {"level": check_level(level)}) / DATA_FILE).exists()


def load_areas(lake_dir: Path, level: str) -> Areas:
    """The stored areas of ``level``; :class:`AreaNotFoundError` if none were imported."""
    path = partition_dir(lake_dir, AREAS, {"level": check_level(level)}) / DATA_FILE
    if not path.exists():
        stored = ", ".join(stored_levels(lake_dir)) or "none yet"
        raise AreaNotFoundError(
            f"no areas of level '{level}' in the workspace (stored levels: {stored});"
            " import them with 'saferplaces areas import'"
        )
    return Areas.from_table(pq.read_table(path), level)


def stored_levels(lake_dir: Path) -> list[str]:
    return [p.keys["level"] for p in list_partitions(lake_dir, AREAS)]


def level_summaries(lake_dir: Path) -> list[dict[str, Any]]:
    """One dict per stored level: level, areas, source, vintage, written_at."""
    out = []
    for part in list_partitions(lake_dir, AREAS):
        meta = pq.read_metadata(part.path)
        table = pq.read_table(part.path, columns=["source", "vintage"])
        out.append(
            {
                "level": part.keys["level"],
                "areas": meta.num_rows,
                "source": (table.column("source")[0].as_py() if meta.num_rows else "") or "",
                "vintage": (table.column("vintage")[0].as_py() if meta.num_rows else None),
                "written_at": part.provenance.get("written_at"),
                "repaired": len(part.provenance.get("repaired", {})),
            }
        )
    return out


# ---- lookups -------------------------------------------------------------------------------


def save_lookup(lake_dir: Path, lookup: AreaLookup, prov: dict[str, Any] | None = None) -> None:
    prov = dict(
        prov or provenance(None, rows_read=len(lookup.lsoa_codes), rows_kept=len(lookup.lsoa_codes))
    )
    prov.setdefault("kind", "area_lookup")
    write_partition(lake_dir, LOOKUPS, {"level": lookup.level}, lookup.to_table(), prov)


def load_lookup(lake_dir: Path, level: str) -> AreaLookup | None:
    path = partition_dir(lake_dir, LOOKUPS, {"level": check_level(level)}) / DATA_FILE
    return AreaLookup.from_table(pq.read_table(path)) if path.exists() else None


def lookup_levels(lake_dir: Path) -> list[str]:
    return [p.keys["level"] for p in list_partitions(lake_dir, LOOKUPS)]
