"""Atomic partition writes.

A partition is the folder ``<lake>/<dataset>/<key>=<value>/.../`` holding exactly one file,
``data.parquet``. A new version is written to a hidden temporary file in the same folder, flushed
to disk, then renamed over ``data.parquet`` (``os.replace`` is atomic on POSIX), so a reader sees
the old file or the new one, never a mix or a half-written file. Provenance travels *inside* the
Parquet footer (key ``saferplaces``), so data and provenance can never disagree. Temporary files
left by a killed writer start with ``.tmp-`` and are removed by :func:`sweep_temporary_files`.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DATA_FILE = "data.parquet"
META_KEY = b"saferplaces"
TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class PartitionInfo:
    dataset: str
    keys: dict[str, str]
    path: Path
    provenance: dict[str, Any]


def partition_dir(lake_dir: Path, dataset: str, keys: dict[str, str]) -> Path:
    path = lake_dir / dataset
    for k, v in keys.items():
        if not v or "/" in v or v.startswith("."):
            raise ValueError(f"invalid partition value {k}={v!r}")
        path = path / f"{k}={v}"
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_partition(
    lake_dir: Path,
    dataset: str,
    keys: dict[str, str],
    table: pa.Table,
    provenance: dict[str, Any],
) -> Path:
    """Atomically replace one partition with ``table``; ``provenance`` is stored in its footer."""
    folder = partition_dir(lake_dir, dataset, keys)
    folder.mkdir(parents=True, exist_ok=True)
    meta = dict(table.schema.metadata or {})
    meta[META_KEY] = json.dumps(provenance, sort_keys=True, default=str).encode()
    table = table.replace_schema_metadata(meta)
    tmp = folder / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / DATA_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(folder)
    return folder / DATA_FILE


def read_provenance(path: Path) -> dict[str, Any]:
    """Provenance stored in a partition file's footer (``{}`` if it has none)."""
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(META_KEY)
    return json.loads(raw) if raw else {}


def sweep_temporary_files(lake_dir: Path) -> int:
    """Remove temporary files a killed writer left behind; returns how many were removed."""
    removed = 0
    if not lake_dir.exists():
        return 0
    for tmp in lake_dir.rglob(f"{TMP_PREFIX}*"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed
