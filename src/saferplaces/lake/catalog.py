"""Reading the lake: partition listings and a DuckDB connection with one view per dataset."""

from __future__ import annotations

from pathlib import Path

import duckdb

from .partition import DATA_FILE, PartitionInfo, read_provenance


def dataset_glob(lake_dir: Path, dataset: str) -> str:
    """Glob matching every partition file of ``dataset`` (any partitioning depth)."""
    return str(lake_dir / dataset / "**" / DATA_FILE)


def list_partitions(lake_dir: Path, dataset: str) -> list[PartitionInfo]:
    """Every partition of ``dataset`` with its keys and provenance, in path order."""
    base = lake_dir / dataset
    out: list[PartitionInfo] = []
    if not base.exists():
        return out
    for path in sorted(base.rglob(DATA_FILE)):
        parts = path.parent.relative_to(base).parts
        keys = dict(p.split("=", 1) for p in parts if "=" in p)
        out.append(PartitionInfo(dataset, keys, path, read_provenance(path)))
    return out


def connect(lake_dir: Path, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per dataset found in the lake (Hive keys as columns).

    Views read the files at query time, so a view always sees whole partitions."""
    con = duckdb.connect(database)
    if not lake_dir.exists():
        return con
    for ds in sorted(
        p for p in lake_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    ):
        if not any(ds.rglob(DATA_FILE)):
            continue
        glob = dataset_glob(lake_dir, ds.name).replace("'", "''")
        con.execute(
            f'CREATE OR REPLACE VIEW "{ds.name}" AS SELECT * FROM read_parquet('
            f"'{glob}', hive_partitioning = true, union_by_name = true, "
            "hive_types_autocast = false)"
        )
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    if {"street", "outcomes"} <= views:
        from .mart import create_outcome_views

        create_outcome_views(con)
    return con
