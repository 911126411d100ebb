"""Ingest police.uk archives into the lake.

One police.uk file becomes one partition (dataset / force / month), written atomically with its
provenance. Whole-file problems (name, header, encoding, broken CSV structure, truncation, a month
inside the file that differs from its name) reject the file and leave its partition as it was;
row problems (a coordinate that is not a number, a stop-and-search date outside the file's month)
reject the row. Every rejection is written to a per-ingest report with file, line and reason.

Files are read by DuckDB in batches with a declared schema; a batch bounds memory, not
correctness, since every partition is written on its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..sources.policeuk_archive import ArchiveFile, Kind, discover
from ..taxonomy import categories, lsoa_vintages, outcomes
from .mart import mart_sql, write_mart_partition
from .mart import rebuild_marts as _rebuild_marts
from .partition import (
    DATA_FILE,
    partition_dir,
    read_provenance,
    sweep_temporary_files,
    write_partition,
)
from .schemas import DATASET, SCHEMA_VERSION, SELECTS, read_columns

Status = Literal["loaded", "replaced", "unchanged", "rejected"]

# DuckDB reject types that mean the CSV structure itself is broken: the whole file is refused.
_FILE_LEVEL_ERRORS = {
    "INVALID UNICODE": "bytes that are not valid UTF-8",
    "INVALID ENCODING": "bytes that are not valid UTF-8",
    "TOO MANY COLUMNS": "a row with more columns than the header",
    "MISSING COLUMNS": "a row with fewer columns than the header",
    "UNQUOTED VALUE": "a badly quoted value",
    "LINE SIZE OVER MAXIMUM": "a line longer than the limit (ingest.max_line_bytes)",
}
_BATCH_BYTES = 128 * 1024 * 1024  # of CSV per batch: bounds memory (about 1 GB at peak)
_WRITERS = 2
#: One partition to write: file, dataset, partition keys, rows, provenance, base-mart rows.
_WriteJob = tuple[ArchiveFile, str, dict[str, str], pa.Table, dict[str, Any], pa.Table | None]
LOG_DIR = "_log"
REPORT_DIR = "_reports"
STAGING_DIR = ".staging"


@dataclass
class FileResult:
    source: str
    kind: str
    force: str | None = None
    month: str | None = None
    status: Status = "rejected"
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    reason: str | None = None
    line: int | None = None
    sha256: str | None = None


@dataclass
class IngestReport:
    ingest_id: str
    started_at: str
    finished_at: str = ""
    files: list[FileResult] = field(default_factory=list)
    rejected_rows_report: str | None = None
    marts_rebuilt: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing (no file, no row) was rejected."""
        return all(f.status != "rejected" and f.rows_rejected == 0 for f in self.files)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_kept(self) -> int:
        return sum(f.rows_kept for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class Progress:
    files_done: int
    files_total: int
    rows_done: int


ProgressCallback = Callable[[Progress], None]


def _blank_to_null(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, col.type), col)


def street_columns(raw: pa.Table) -> pa.Table:
    """The stored street columns (docs/lake.md), in file and line order.

    Done with Arrow and numpy rather than SQL joins and a window: those reorder rows, and
    putting 6 million rows back in order cost more than everything else here."""
    cats = list(categories().values())
    outs = list(outcomes().values())
    crime_type = raw.column("crime_type")
    outcome = _blank_to_null(raw.column("last_outcome_category"))
    cat_idx = pc.index_in(crime_type, value_set=pa.array([c.label for c in cats]))
    category = pc.fill_null(pc.take(pa.array([c.slug for c in cats]), cat_idx), "unknown")
    is_asb = pc.fill_null(pc.take(pa.array([c.kind == "asb" for c in cats]), cat_idx), False)
    out_idx = pc.index_in(outcome, value_set=pa.array([o.label for o in outs]))
    group = pc.take(pa.array([o.group for o in outs]), out_idx)
    group = pc.if_else(
        pc.is_null(outcome), pa.scalar(None, pa.string()), pc.fill_null(group, "unknown")
    )
    crime_id = _blank_to_null(raw.column("crime_id"))
    # A Crime ID seen more than once in its file: count (file, id) pairs with numpy.
    ids = pc.dictionary_encode(crime_id).combine_chunks()
    code = np.asarray(ids.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    file_idx = np.asarray(raw.column("file_idx").to_numpy(), dtype=np.int64)
    key = file_idx * (len(ids.dictionary) + 1) + code
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    duplicate = (counts[inverse] > 1) & (code >= 0)
    lon, lat = raw.column("longitude"), raw.column("latitude")
    return pa.table(
        {
            "_file_idx": raw.column("file_idx"),
            "crime_id": crime_id,
            "reported_by": raw.column("reported_by"),
            "falls_within": raw.column("falls_within"),
            "longitude": lon,
            "latitude": lat,
            "location": _blank_to_null(raw.column("location")),
            "lsoa_code": _blank_to_null(raw.column("lsoa_code")),
            "lsoa_name": _blank_to_null(raw.column("lsoa_name")),
            "crime_type": crime_type,
            "category": category,
            "is_asb": is_asb,
            "last_outcome_category": outcome,
            "outcome_group": group,
            "context": _blank_to_null(raw.column("context")),
            "no_location": pc.or_(pc.is_null(lon), pc.is_null(lat)),
            "duplicate_id": pa.array(duplicate),
            "line": raw.column("line"),
        }
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _vintage(codes: Iterable[str]) -> str:
    """LSOA vintage of a set of codes: '2011', '2021', '2011/2021' (only codes both share), or
    'unknown' (no codes we know)."""
    table = lsoa_vintages()
    only11 = only21 = common = 0
    for code in codes:
        v = table.get(code)
        if v is None:
            continue
        if v == (True, False):
            only11 += 1
        elif v == (False, True):
            only21 += 1
        else:
            common += 1
    if only11 and only21:
        return "mixed"
    if only11:
        return "2011"
    if only21:
        return "2021"
    return "2011/2021" if common else "unknown"


def _lookup_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The outcome labels as a table, for the SQL that shapes outcome files."""
    outs = pa.table(
        {
            "label": [o.label for o in outcomes().values()],
            "code": [o.code for o in outcomes().values()],
            "grp": [o.group for o in outcomes().values()],
        }
    )
    con.register("out_lookup", outs)


def _batches(files: Sequence[ArchiveFile]) -> list[list[ArchiveFile]]:
    out: list[list[ArchiveFile]] = []
    cur: list[ArchiveFile] = []
    size = 0
    for f in files:
        if cur and (f.kind != cur[0].kind or size + f.size > _BATCH_BYTES):
            out.append(cur)
            cur, size = [], 0
        cur.append(f)
        size += f.size
    if cur:
        out.append(cur)
    return out


def _prev_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


class _Batch:
    """Reads one batch of same-kind files and writes one partition per accepted file."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        files: list[ArchiveFile],
        max_line_bytes: int,
    ) -> None:
        self.con = con
        self.files = files
        self.kind: Kind = files[0].kind
        self.max_line_bytes = max_line_bytes
        self.results = {
            f.source: FileResult(f.source, f.kind, f.force, f.month, sha256=f.sha256) for f in files
        }
        self.row_rejects: list[tuple[str, int, str, str]] = []  # source, line, reason, raw text

    def read(self) -> pa.Table | None:
        con = self.con
        paths = [str(f.path) for f in self.files]
        by_path = {str(f.path): f for f in self.files}
        con.execute("DROP TABLE IF EXISTS rej; DROP TABLE IF EXISTS rej_scan")
        rel = con.read_csv(
            paths,  # type: ignore[arg-type]  # DuckDB reads a list; its stubs say one path
            header=True,
            sep=",",
            quotechar='"',
            escapechar='"',
            columns=read_columns(self.kind),
            filename=True,
            store_rejects=True,
            rejects_table="rej",
            rejects_scan="rej_scan",
            max_line_size=self.max_line_bytes,
            auto_detect=False,
            null_padding=False,
        )
        raw = rel.to_arrow_table()
        rejects = con.execute(
            "SELECT s.file_path, e.line, e.error_type, e.error_message, e.csv_line "
            "FROM rej e JOIN rej_scan s USING (scan_id, file_id) ORDER BY s.file_path, e.line"
        ).fetchall()
        bad_lines: dict[str, list[int]] = {}
        for file_path, line, etype, message, csv_line in rejects:
            f = by_path[file_path]
            res = self.results[f.source]
            bad_lines.setdefault(file_path, []).append(int(line))
            if etype in _FILE_LEVEL_ERRORS and res.reason is None:
                res.status = "rejected"
                res.reason = f"{_FILE_LEVEL_ERRORS[etype]} ({message.splitlines()[0]})"
                res.line = int(line)
            elif etype not in _FILE_LEVEL_ERRORS:
                reason = message.splitlines()[0]
                self.row_rejects.append((f.source, int(line), reason, csv_line or ""))
        # Line numbers of kept rows: data starts on line 2; skip the lines DuckDB rejected.
        names = raw.column("filename").to_numpy(zero_copy_only=False)
        if len(names) == 0:
            for f in self.files:
                res = self.results[f.source]
                if res.reason is None:
                    res.status, res.reason = "rejected", "the file has a header but no rows"
            return None
        change = np.flatnonzero(names[1:] != names[:-1]) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(names)]])
        lines = np.empty(len(names), dtype=np.int64)
        file_idx = np.empty(len(names), dtype=np.int32)
        order = {str(f.path): i for i, f in enumerate(self.files)}
        for s, e in zip(starts, ends, strict=True):
            path = str(names[s])
            n = int(e - s)
            bad = np.array(sorted(bad_lines.get(path, [])), dtype=np.int64)
            candidates = np.arange(2, 2 + n + len(bad), dtype=np.int64)
            lines[s:e] = np.setdiff1d(candidates, bad, assume_unique=True)[:n]
            file_idx[s:e] = order[path]
        months = pa.array([f.month for f in self.files], pa.string())
        prevs = pa.array([_prev_month(f.month) for f in self.files], pa.string())
        fi = pa.array(file_idx)
        raw = (
            raw.append_column("line", pa.array(lines))
            .append_column("file_idx", fi)
            .append_column("file_month", months.take(fi))
            .append_column("prev_month", prevs.take(fi))
        )
        for f in self.files:
            res = self.results[f.source]
            if res.reason is None and order[str(f.path)] not in set(file_idx[starts].tolist()):
                res.status, res.reason = "rejected", "the file has a header but no rows"
        return raw

    def check_months(self, raw: pa.Table) -> pa.Table:
        """Street and outcome files hold one month; a file whose rows say another month is
        refused. Stop-and-search rows not dated in the file's month, or the month before (see
        schemas.STOP_SEARCH_SELECT), are rejected row by row."""
        con = self.con
        con.register("raw", raw)
        if self.kind == "stop-and-search":
            bad_cond = (
                "TRY_CAST(date AS TIMESTAMPTZ) IS NULL "
                "OR substr(date, 1, 7) NOT IN (file_month, prev_month)"
            )
            for idx, line, date, parsed in con.execute(
                f"SELECT file_idx, line, date, TRY_CAST(date AS TIMESTAMPTZ) IS NOT NULL "
                f"FROM raw WHERE {bad_cond} ORDER BY file_idx, line"
            ).fetchall():
                f = self.files[idx]
                reason = (
                    f"Date {date!r} is outside {f.month} and the month before"
                    if parsed
                    else f"Date {date!r} is not a date"
                )
                self.row_rejects.append((f.source, int(line), reason, ""))
            raw = con.sql(f"SELECT * FROM raw WHERE NOT ({bad_cond})").to_arrow_table()
            con.register("raw", raw)
            return raw
        wrong = con.execute(
            "SELECT file_idx, count(*) AS n, min(line) AS first_line, any_value(month) "
            "FROM raw WHERE month IS DISTINCT FROM file_month GROUP BY file_idx"
        ).fetchall()
        for idx, n, first_line, month in wrong:
            f = self.files[idx]
            res = self.results[f.source]
            if res.reason is None:
                res.status = "rejected"
                res.line = int(first_line)
                res.reason = (
                    f"{n:,} rows are dated {month!r}, not {f.month} as the file name says "
                    f"(first at line {first_line})"
                )
        return raw

    def transform(self, raw: pa.Table) -> pa.Table:
        if self.kind == "street":
            return street_columns(raw)
        select = SELECTS[self.kind]
        joins = ""
        if self.kind == "outcomes":
            joins = "LEFT JOIN out_lookup o ON o.label = r.outcome_type"
        return self.con.sql(
            f"SELECT r.file_idx AS _file_idx, {select} FROM raw r {joins} "
            "ORDER BY r.file_idx, r.line"
        ).to_arrow_table()

    def marts(self, table: pa.Table) -> tuple[Any, pa.Table]:
        """Base-mart rows of every file in the batch at once: (file index per row, table)."""
        self.con.register("tbl", table)
        marts = self.con.sql(mart_sql("tbl", file_key="_file_idx")).to_arrow_table()
        idx = marts.column("_file_idx").to_numpy()
        return idx, marts.drop_columns(["_file_idx"])

    def partition_stats(
        self, table: pa.Table, marts: tuple[Any, pa.Table] | None = None
    ) -> dict[int, dict[str, Any]]:
        stats: dict[int, dict[str, Any]] = {}
        if self.kind == "street":
            assert marts is not None
            # Counts come from the batch's base-mart rows (a few per LSOA and category, not
            # millions of rows): crimes there are already the distinct Crime IDs.
            self.con.register(
                "mart_rows",
                pa.Table.from_arrays(
                    [pa.array(marts[0]), *marts[1].columns],
                    names=["_file_idx", *marts[1].column_names],
                ),
            )
            rows = self.con.execute(
                "SELECT _file_idx, sum(rows), sum(crimes), sum(asb_incidents), "
                "sum(no_location_rows), sum(duplicate_id_rows), "
                "sum(rows) FILTER (WHERE category = 'unknown'), "
                "list(DISTINCT lsoa_code) FILTER (WHERE lsoa_code IS NOT NULL) "
                "FROM mart_rows GROUP BY _file_idx"
            ).fetchall()
            unknown_outcome = np.bincount(
                np.asarray(table.column("_file_idx").to_numpy(), dtype=np.int64),
                weights=pc.fill_null(
                    pc.equal(table.column("outcome_group"), "unknown"), False
                ).to_numpy(zero_copy_only=False),
                minlength=len(self.files),
            )
            for idx, n, crimes, asb, noloc, dup, unk_cat, codes in rows:
                stats[idx] = {
                    "rows": int(n),
                    "crimes": int(crimes),
                    "asb_rows": int(asb),
                    "no_location_rows": int(noloc),
                    "duplicate_id_rows": int(dup),
                    "unknown_category_rows": int(unk_cat or 0),
                    "unknown_outcome_rows": int(unknown_outcome[idx]),
                    "lsoa_vintage": _vintage(codes or []),
                }
        else:
            self.con.register("tbl", table)
            extra = (
                ", count(*) FILTER (WHERE dated_previous_month)"
                if self.kind == "stop-and-search"
                else ", 0"
            )
            rows = self.con.execute(
                f"SELECT _file_idx, count(*), count(*) FILTER (WHERE no_location){extra} "
                "FROM tbl GROUP BY _file_idx"
            ).fetchall()
            for idx, n, noloc, prev in rows:
                stats[idx] = {"rows": n, "no_location_rows": noloc}
                if self.kind == "stop-and-search":
                    stats[idx]["dated_previous_month_rows"] = prev
        return stats


def ingest(
    lake_dir: Path,
    paths: Iterable[str | Path],
    *,
    max_zip_ratio: float = 200.0,
    max_zip_total_bytes: int = 8192 * 1024 * 1024,
    max_line_bytes: int = 65536,
    progress: ProgressCallback | None = None,
    rebuild_marts: bool = True,
) -> IngestReport:
    """Ingest police.uk files (zips, folders or CSVs) into the lake at ``lake_dir``.

    Returns an :class:`IngestReport`; ``report.ok`` is False when anything was rejected, and
    ``report.rejected_rows_report`` names the CSV listing rejected rows (file, line, reason)."""
    lake_dir = Path(lake_dir)
    lake_dir.mkdir(parents=True, exist_ok=True)
    sweep_temporary_files(lake_dir)
    shutil.rmtree(lake_dir / STAGING_DIR, ignore_errors=True)
    ingest_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(ingest_id, _now())
    staging = lake_dir / STAGING_DIR / ingest_id
    staging.mkdir(parents=True)
    try:
        files, problems = discover(
            [Path(p) for p in paths],
            staging,
            max_zip_ratio=max_zip_ratio,
            max_zip_total_bytes=max_zip_total_bytes,
            max_line_bytes=max_line_bytes,
        )
        for p in problems:
            report.files.append(
                FileResult(
                    p.source, p.kind or "unknown", p.force, p.month, reason=p.reason, line=p.line
                )
            )
        todo = _skip_unchanged_and_repeats(lake_dir, files, report)
        _load(lake_dir, todo, report, ingest_id, max_line_bytes, progress, len(files))
        if rebuild_marts:
            # Every stale mart partition, not only this run's: a killed earlier run may have
            # written street partitions without reaching their marts.
            report.marts_rebuilt = _rebuild_marts(lake_dir)
    finally:
        shutil.rmtree(lake_dir / STAGING_DIR, ignore_errors=True)
    report.finished_at = _now()
    _write_log(lake_dir, report)
    return report


def _skip_unchanged_and_repeats(
    lake_dir: Path, files: list[ArchiveFile], report: IngestReport
) -> list[ArchiveFile]:
    todo: list[ArchiveFile] = []
    seen: dict[tuple[str, str, str], str] = {}
    for f in files:
        key = (f.kind, f.force, f.month)
        if key in seen:
            report.files.append(
                FileResult(
                    f.source,
                    f.kind,
                    f.force,
                    f.month,
                    "rejected",
                    sha256=f.sha256,
                    reason=f"another file for {f.force} {f.month} ({seen[key]}) is in this ingest; "
                    "give one file per force-month",
                )
            )
            continue
        seen[key] = f.source
        existing = (
            partition_dir(lake_dir, DATASET[f.kind], {"force": f.force, "month": f.month})
            / DATA_FILE
        )
        prov = read_provenance(existing) if existing.exists() else {}
        if prov.get("source_sha256") == f.sha256:
            report.files.append(
                FileResult(
                    f.source,
                    f.kind,
                    f.force,
                    f.month,
                    "unchanged",
                    prov.get("rows_read", 0),
                    prov.get("rows_kept", 0),
                    prov.get("rows_rejected", 0),
                    sha256=f.sha256,
                )
            )
            continue
        todo.append(f)
    return todo


def _load(
    lake_dir: Path,
    files: list[ArchiveFile],
    report: IngestReport,
    ingest_id: str,
    max_line_bytes: int,
    progress: ProgressCallback | None,
    files_total: int,
) -> list[tuple[str, str, str]]:
    """Read, check and write; returns the (dataset, force, month) partitions written."""
    changed: list[tuple[str, str, str]] = []
    done_files = files_total - len(files)
    rows_done = 0
    rejects_path = lake_dir / REPORT_DIR / f"{ingest_id}-rejected-rows.csv"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"SET temp_directory = '{(lake_dir / STAGING_DIR / ingest_id / 'duckdb').as_posix()}'"
    )
    _lookup_tables(con)
    # Writes of batch n run in the writer threads while this thread reads and shapes batch
    # n + 1 (DuckDB's reads use both cores, our shaping one): at most two batches are held.
    pool = ThreadPoolExecutor(max_workers=_WRITERS)
    writing: tuple[list[Future[None]], _Batch] | None = None

    def finish_writes() -> None:
        nonlocal writing, done_files, rows_done
        if writing is None:
            return
        futures, written = writing
        writing = None
        for fut in futures:
            fut.result()  # re-raises a failed write: the ingest stops, partitions stay whole
        report.files.extend(written.results.values())
        done_files += len(written.files)
        rows_done += sum(r.rows_kept for r in written.results.values())
        if progress:
            progress(Progress(done_files, files_total, rows_done))

    try:
        for batch_files in _batches(files):
            batch = _Batch(con, batch_files, max_line_bytes)
            raw = batch.read()
            if raw is not None:
                raw = batch.check_months(raw)
            if batch.row_rejects:
                # Written before the partitions: a kept partition never lacks its rejects' record.
                _write_rejects(rejects_path, batch.row_rejects)
            jobs: list[_WriteJob] = []
            if raw is not None:
                table = batch.transform(raw)
                marts = batch.marts(table) if batch.kind == "street" else None
                stats = batch.partition_stats(table, marts)
                idx_col = table.column("_file_idx").to_numpy()
                table = table.drop_columns(["_file_idx"])
                for i, f in enumerate(batch_files):
                    res = batch.results[f.source]
                    lo, hi = np.searchsorted(idx_col, [i, i + 1])
                    n_rej = sum(1 for r in batch.row_rejects if r[0] == f.source)
                    res.rows_kept = int(hi - lo)
                    res.rows_rejected = n_rej
                    res.rows_read = res.rows_kept + n_rej
                    if res.reason is not None:
                        res.status = "rejected"
                        res.rows_kept = 0
                        continue
                    dataset = DATASET[f.kind]
                    keys = {"force": f.force, "month": f.month}
                    target = partition_dir(lake_dir, dataset, keys) / DATA_FILE
                    previous = read_provenance(target) if target.exists() else None
                    prov: dict[str, Any] = {
                        "dataset": dataset,
                        "force": f.force,
                        "month": f.month,
                        "source_file": f.source,
                        "source_sha256": f.sha256,
                        "rows_read": res.rows_read,
                        "rows_kept": res.rows_kept,
                        "rows_rejected": n_rej,
                        "ingested_at": _now(),
                        "ingest_id": ingest_id,
                        "schema_version": SCHEMA_VERSION,
                        **stats.get(i, {}),
                    }
                    if previous:
                        prov["replaces"] = {
                            k: previous.get(k)
                            for k in (
                                "source_file",
                                "source_sha256",
                                "ingested_at",
                                "ingest_id",
                                "rows_kept",
                            )
                        }
                    mart = None
                    if marts is not None:
                        mlo, mhi = np.searchsorted(marts[0], [i, i + 1])
                        mart = marts[1].slice(mlo, mhi - mlo)
                    jobs.append((f, dataset, keys, table.slice(lo, hi - lo), prov, mart))
                    res.status = "replaced" if previous else "loaded"
                    changed.append((dataset, f.force, f.month))
            # Partitions are independent, and Parquet encoding and fsync release the GIL:
            # two writer threads use both cores.
            finish_writes()
            writing = ([pool.submit(_write_job, lake_dir, *job) for job in jobs], batch)
        finish_writes()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        con.close()
    rejected_rows = [f for f in report.files if f.rows_rejected]
    if rejected_rows:
        report.rejected_rows_report = str(rejects_path)
    _write_file_problems(lake_dir, report, ingest_id)
    return changed


def _write_job(
    lake_dir: Path,
    f: ArchiveFile,
    dataset: str,
    keys: dict[str, str],
    table: pa.Table,
    prov: dict[str, Any],
    mart: pa.Table | None,
) -> None:
    write_partition(lake_dir, dataset, keys, table, prov)
    if mart is not None:
        # Written after its street partition: a kill in between leaves a stale mart, which
        # the rebuild at the end of every ingest repairs.
        write_mart_partition(lake_dir, f.force, f.month, mart, prov)


def _write_rejects(path: Path, rows: list[tuple[str, int, str, str]]) -> None:
    """Append rejected rows to the ingest's report (created with a header on first use)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["file", "line", "reason", "raw"])
        w.writerows(rows)


def _write_file_problems(lake_dir: Path, report: IngestReport, ingest_id: str) -> None:
    rejected = [f for f in report.files if f.status == "rejected"]
    if not rejected:
        return
    path = lake_dir / REPORT_DIR / f"{ingest_id}-rejected-files.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "reason"])
        for f in rejected:
            w.writerow([f.source, f.line or "", f.reason])


def _write_log(lake_dir: Path, report: IngestReport) -> None:
    """The ingest log: one JSON file per ingest, written atomically (tmp + rename)."""
    folder = lake_dir / LOG_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{report.ingest_id}.json"
    tmp.write_text(json.dumps(report.to_dict(), indent=1), "utf-8")
    os.replace(tmp, folder / f"{report.ingest_id}.json")


def ingest_history(lake_dir: Path) -> list[dict[str, Any]]:
    """Every ingest recorded in the lake, oldest first."""
    folder = Path(lake_dir) / LOG_DIR
    if not folder.exists():
        return []
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
