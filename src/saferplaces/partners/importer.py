"""Importing a partner's file (CSV or XLSX) into the lake.

One import reads one file in chunks, types and validates every mapped value, and stages the
accepted rows per month in a hidden folder. Only when the whole file has been read, no
personal data was found where it may not be, and no more than ``max_reject_share`` of rows
failed, is each month written as an atomic, provenance-carrying partition
``lake/partner_<name>/month=YYYY-MM/data.parquet``. Anything short of that leaves the lake as it
was. Rejected rows never enter the dataset: they are listed (row, column, value, rule) in a
validation report and kept with their raw values in a quarantine file, both under
``lake/_reports/``; every import, refused or not, is logged in ``lake/_log/``.

A file replaces each month it contains (partners send whole months); re-importing the same
file with the same mapping and definition changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError, SaferPlacesError
from ..lake.catalog import list_partitions
from ..lake.partition import DATA_FILE, partition_dir, read_provenance, write_partition
from ..publish.exports import neutralise
from ..workspace import Workspace
from ._read import SourceFile, iter_chunks, open_source, read_header
from ._values import ParseContext, Parsed, arrow_type, parse_column
from .definitions import DatasetDefinition, list_definitions, load_definition, read_definition
from .mapping import ColumnMapping, check_mapping, load_mapping, propose, save_mapping
from .personal import Finding, PersonalDataScanner

__all__ = [
    "LOG_DIR",
    "REPORT_DIR",
    "ImportReport",
    "PersonalDataError",
    "WrongDatasetError",
    "import_file",
]

LOG_DIR = "_log"
REPORT_DIR = "_reports"
STAGING_DIR = ".staging-partners"
DEFAULT_CHUNK_ROWS = 50_000
DEFAULT_MAX_REJECT_SHARE = 0.05

# Plausible coordinates for England and Wales (and a margin): outside them a point is wrong.
_BOUNDS = {
    "EPSG:4326": (-9.0, 2.5, 49.0, 61.5),
    "EPSG:27700": (0.0, 700_000.0, 0.0, 1_300_000.0),
}

Status = Literal["loaded", "replaced", "unchanged", "rejected"]


class WrongDatasetError(InputError):
    """Most of the dataset's required columns are missing: probably another dataset's file."""


class PersonalDataError(InputError):
    """The file holds personal data in columns that would be stored, for a dataset that is
    not restricted."""

    def __init__(self, path: str | Path, findings: list[Finding], dataset: str) -> None:
        self.findings = findings
        listed = "; ".join(f.describe() for f in findings)
        super().__init__(
            path,
            f"refused: personal data in columns to be stored in '{dataset}', which may not "
            f"hold it — {listed}. Remove or unmap these columns (or truncate "
            "postcodes to their district) and import again",
        )


@dataclass
class ImportReport:
    ingest_id: str
    dataset: str
    source: str
    started_at: str
    sha256: str | None = None
    status: Status = "rejected"
    finished_at: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    months_written: list[str] = field(default_factory=list)
    months_unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None
    validation_report: str | None = None
    quarantine: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    mapping_saved: str | None = None
    date_resolution: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "rejected" and self.rows_rejected == 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "partner-import", **asdict(self), "ok": self.ok}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _new_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ") + "-" + uuid.uuid4().hex[:6]


def _definition_sha(defn: DatasetDefinition) -> str:
    return hashlib.sha256(defn.model_dump_json().encode()).hexdigest()


def write_log(lake_dir: Path, ingest_id: str, payload: dict[str, Any]) -> Path:
    """One JSON file per import or purge, written atomically (temporary file + rename)."""
    folder = lake_dir / LOG_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{ingest_id}.json"
    tmp.write_text(json.dumps(payload, indent=1, default=str), "utf-8")
    final = folder / f"{ingest_id}.json"
    os.replace(tmp, final)
    return final


# --------------------------------------------------------------------------------------------
# choosing the mapping
# --------------------------------------------------------------------------------------------


def _sample(src: SourceFile, header: list[str], n: int = 500) -> dict[str, list[str]]:
    for _, chunk in iter_chunks(src, n):
        return {h: [r[i] for r in chunk.rows] for i, h in enumerate(header)}
    return {}


def _is_wrong_dataset(
    defn: DatasetDefinition, mapping: dict[str, str | None], headers: list[str]
) -> tuple[bool, float]:
    """Most required columns missing *and* most of the file's headers unused: the file is
    probably another dataset's (a renamed column or two is not). Returns (wrong, share of
    required columns found)."""
    present = set(headers)
    req = defn.required_columns
    found = sum(1 for c in req if mapping.get(c) in present)
    share = found / len(req) if req else 1.0
    used = sum(1 for h in set(mapping.values()) if h in present)
    return share < 0.5 and used < 0.5 * len(headers), share


def _looks_like(root: Path, name: str, headers: list[str]) -> tuple[str, int, int] | None:
    """The definition other than ``name`` whose required columns the headers match best."""
    best: tuple[float, str, int, int] | None = None
    for other, source in list_definitions(root).items():
        if other == name:
            continue
        try:
            od = read_definition(source.path)
        except SaferPlacesError:
            continue
        prop = propose(od, headers)
        total = len(od.required_columns)
        found = total - len(prop.missing_required)
        frac = found / total if total else 0.0
        if best is None or frac > best[0]:
            best = (frac, other, found, total)
    if best is None or best[0] < 0.6:
        return None
    return best[1], best[2], best[3]


def _wrong_dataset(
    root: Path, defn: DatasetDefinition, headers: list[str], path: Path, own: float
) -> WrongDatasetError:
    req = defn.required_columns
    found = round(own * len(req))
    msg = (
        f"this does not look like a '{defn.name}' file: only {found} of its {len(req)} required "
        f"columns ({', '.join(req)}) are in the header"
    )
    other = _looks_like(root, defn.name, headers)
    if other and other[1] / other[2] > own:
        msg += (
            f". It looks like a '{other[0]}' file ({other[1]} of {other[2]} required columns "
            f"found): import it with --dataset {other[0]}"
        )
    return WrongDatasetError(path, msg)


def _choose_mapping(
    ws: Workspace,
    defn: DatasetDefinition,
    src: SourceFile,
    header: list[str],
    given: ColumnMapping | None,
    report: ImportReport,
) -> tuple[ColumnMapping, bool]:
    """The mapping to use and whether it is new (to be saved after a successful import)."""
    mapping = given or load_mapping(ws.root, defn.name)
    remap = f"saferplaces partners map {defn.name} {src.path.name}"
    if mapping is None:
        prop = propose(defn, header, _sample(src, header))
        wrong, own = _is_wrong_dataset(defn, prop.columns, header)
        if wrong:
            raise _wrong_dataset(ws.root, defn, header, src.path, own)
        if not prop.confident:
            shown = ", ".join(f"{c} ← '{h}'" for c, h in prop.columns.items() if h)
            missing = ", ".join(prop.missing_required) or "none"
            raise InputError(
                src.path,
                f"no saved column mapping for '{defn.name}' and the headers do not match its "
                f"columns exactly (proposed: {shown}; required but not found: {missing}). "
                f"Run '{remap}' to check and save a mapping",
            )
        report.warnings.extend(prop.notes)
        return prop.to_mapping(defn, src.path.name), True
    if mapping.dataset != defn.name:
        raise InputError(
            src.path, f"the mapping given is for '{mapping.dataset}', not '{defn.name}'"
        )
    if mapping.definition_version != defn.version:
        report.warnings.append(
            f"the saved mapping was made for version {mapping.definition_version} of "
            f"'{defn.name}' (now version {defn.version}); run '{remap}' if columns changed"
        )
    wrong, own = _is_wrong_dataset(defn, mapping.columns, header)
    if wrong:
        raise _wrong_dataset(ws.root, defn, header, src.path, own)
    check_mapping(defn, mapping, header, src.path)
    return mapping, False


# --------------------------------------------------------------------------------------------
# reading and validating
# --------------------------------------------------------------------------------------------


@dataclass
class _Staging:
    folder: Path
    columns: list[str]  # mapped file headers, for the quarantine file
    writers: dict[str, pq.ParquetWriter] = field(default_factory=dict)
    month_rows: dict[str, int] = field(default_factory=dict)
    no_location: dict[str, int] = field(default_factory=dict)
    report_rows: int = 0
    quarantine_rows: int = 0

    @property
    def report_path(self) -> Path:
        return self.folder / "validation.csv"

    @property
    def quarantine_path(self) -> Path:
        return self.folder / "quarantine.csv"

    def _append(self, path: Path, header: list[str], rows: list[list[Any]]) -> None:
        new = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            if new:
                w.writerow([neutralise(h) for h in header])
            # Values come from the partner's file: neutralise anything a spreadsheet would
            # run as a formula when the analyst opens the report.
            w.writerows([[neutralise(v) for v in r] for r in rows])

    def reject(self, errors: list[list[Any]], quarantine: list[list[Any]]) -> None:
        if errors:
            self._append(
                self.report_path, ["row", "column", "header", "value", "rule", "message"], errors
            )
            self.report_rows += len(errors)
        if quarantine:
            self._append(self.quarantine_path, ["row", "reasons", *self.columns], quarantine)
            self.quarantine_rows += len(quarantine)

    def write(self, month: str, table: pa.Table, no_location: int) -> None:
        w = self.writers.get(month)
        if w is None:
            w = pq.ParquetWriter(self.folder / f"{month}.parquet", table.schema)
            self.writers[month] = w
        w.write_table(table)
        self.month_rows[month] = self.month_rows.get(month, 0) + table.num_rows
        self.no_location[month] = self.no_location.get(month, 0) + no_location

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def _schema(defn: DatasetDefinition) -> pa.Schema:
    fields = [pa.field(c.name, arrow_type(c.type)) for c in defn.columns]
    if defn.geography.kind == "point":
        fields += [pa.field("bng_x", pa.float64()), pa.field("bng_y", pa.float64())]
    if defn.geography.kind != "none":
        fields.append(pa.field("has_location", pa.bool_()))
    fields += [pa.field("date_resolution", pa.string()), pa.field("source_row", pa.int64())]
    return pa.schema(fields)


def _month_key(values: pa.Array, col_type: str) -> pa.Array:
    """YYYY-MM for each (valid) date value: the partition it belongs to."""
    if col_type == "month":
        return values
    if col_type == "quarter":
        year = pc.utf8_slice_codeunits(values, 0, 4)
        q = pc.cast(pc.utf8_slice_codeunits(values, 6, 7), pa.int64())
        m = pc.subtract(pc.multiply(q, 3), 2)
        mm = pc.utf8_lpad(pc.cast(m, pa.string()), 2, "0")
        return pc.binary_join_element_wise(year, mm, "-")
    return pc.strftime(pc.cast(values, pa.timestamp("s")), format="%Y-%m")


class _Validator:
    def __init__(
        self,
        defn: DatasetDefinition,
        mapping: ColumnMapping,
        header: list[str],
        today: dt.date,
    ) -> None:
        self.defn = defn
        self.mapping = mapping
        self.header = header
        self.index = {h: i for i, h in enumerate(header)}
        self.resolution = mapping.date_resolution or defn.date.resolution
        self.today = today
        self.schema = _schema(defn)
        self.lsoa_codes: set[str] = set()

    def _ctx(self, col: str) -> ParseContext:
        g = self.defn.geography
        return ParseContext(
            earliest=self.defn.date.earliest,
            latest=self.today + dt.timedelta(days=1),
            date_column=self.defn.date.column,
            resolution=self.resolution,
            geography_kind=g.kind if g.column == col and g.kind != "none" else None,
            non_negative=col in self.defn.measure_columns,
        )

    def run(
        self, rows: list[list[str]], numbers: np.ndarray
    ) -> tuple[pa.Table, pa.Array, np.ndarray, list[list[Any]], list[list[Any]], int]:
        """Accepted rows (as a table), their months, and the errors and quarantined rows."""
        n = len(rows)
        bad = np.zeros(n, dtype=bool)
        reasons: list[list[str]] = [[] for _ in range(n)]
        errors: list[list[Any]] = []
        typed: dict[str, pa.Array] = {}
        for col in self.defn.columns:
            header = self.mapping.columns.get(col.name)
            if header is None:
                typed[col.name] = pa.nulls(n, arrow_type(col.type))
                continue
            i = self.index[header]
            raw = pa.array([r[i] for r in rows], pa.string())
            parsed: Parsed = parse_column(raw, col, self._ctx(col.name))
            typed[col.name] = parsed.values
            if parsed.bad.any():
                raw_list = raw.to_pylist()
                for j in np.flatnonzero(parsed.bad):
                    code = parsed.codes[j]
                    rule, msg = parsed.rules[code], parsed.messages[code]
                    errors.append([int(numbers[j]), col.name, header, raw_list[j][:200], rule, msg])
                    reasons[j].append(f"{col.name}: {msg}")
                bad |= parsed.bad
        geo_cols, loc_bad = self._geography(typed, n)
        g = self.defn.geography
        for row_i, msg in loc_bad:
            if bad[row_i]:
                continue  # already rejected for a coordinate that is not a number
            header_x = self.mapping.columns.get(g.x or "")
            errors.append([int(numbers[row_i]), g.x, header_x, "", "coordinates", msg])
            reasons[row_i].append(msg)
            bad[row_i] = True
        for chk in self.defn.checks:
            a, b = typed[chk.column], typed[chk.not_more_than]
            over = pc.fill_null(pc.greater(a, b), False).to_numpy(zero_copy_only=False)
            for j in np.flatnonzero(np.asarray(over, dtype=bool) & ~bad):
                msg = f"{chk.column} is more than {chk.not_more_than}"
                errors.append([int(numbers[j]), chk.column, self.mapping.columns.get(chk.column),
                               str(a[j].as_py()), "check", msg])  # fmt: skip
                reasons[j].append(msg)
                bad[j] = True
        keep = ~bad
        cols = dict(typed)
        cols.update(geo_cols)
        cols["date_resolution"] = pa.array([self.resolution] * n, pa.string())
        cols["source_row"] = pa.array(numbers, pa.int64())
        table = pa.table({f.name: cols[f.name] for f in self.schema}, schema=self.schema)
        mask = pa.array(keep)
        kept = table.filter(mask)
        months = _month_key(kept.column(self.defn.date.column).combine_chunks(),
                            self.defn.column(self.defn.date.column).type)  # fmt: skip
        if g.kind == "lsoa" and g.column:
            self.lsoa_codes.update(v for v in pc.unique(kept.column(g.column)).to_pylist() if v)
        quarantine = []
        if bad.any():
            mapped = [h for h in self.mapping.columns.values() if h]
            for j in np.flatnonzero(bad):
                quarantine.append(
                    [int(numbers[j]), "; ".join(reasons[j])]
                    + [rows[j][self.index[h]] for h in mapped]
                )
        no_loc = np.asarray(
            pc.invert(kept.column("has_location")).to_numpy(zero_copy_only=False)
            if "has_location" in kept.column_names
            else np.zeros(kept.num_rows, dtype=bool),
            dtype=bool,
        )
        return kept, months, no_loc, errors, quarantine, int(bad.sum())

    def _geography(
        self, typed: dict[str, pa.Array], n: int
    ) -> tuple[dict[str, pa.Array], list[tuple[int, str]]]:
        g = self.defn.geography
        if g.kind == "none":
            return {}, []
        if g.kind != "point":
            code = typed[g.column or ""]
            return {"has_location": pc.is_valid(code)}, []
        from ..geo.projection import to_bng

        x, y = (_floats(typed[c or ""]) for c in (g.x, g.y))
        fx, fy = np.isfinite(x), np.isfinite(y)
        problems: list[tuple[int, str]] = []
        for j in np.flatnonzero(fx ^ fy):
            problems.append((int(j), "only one of the two coordinates is given"))
        lo_x, hi_x, lo_y, hi_y = _BOUNDS[g.crs]
        both = fx & fy
        out = both & ((x < lo_x) | (x > hi_x) | (y < lo_y) | (y > hi_y))
        for j in np.flatnonzero(out):
            where = f"({x[j]:g}, {y[j]:g})"
            problems.append((int(j), f"coordinates {where} are not in Great Britain ({g.crs})"))
        ok = both & ~out
        if g.crs == "EPSG:4326":
            e, nn = np.full(n, np.nan), np.full(n, np.nan)
            if ok.any():
                e[ok], nn[ok] = to_bng(x[ok], y[ok])
        else:
            e, nn = np.where(ok, x, np.nan), np.where(ok, y, np.nan)
        return (
            {
                "bng_x": pa.array(e, pa.float64(), mask=~ok),
                "bng_y": pa.array(nn, pa.float64(), mask=~ok),
                "has_location": pa.array(ok),
            },
            problems,
        )


def _floats(values: pa.Array) -> np.ndarray:
    filled = pc.fill_null(pc.cast(values, pa.float64()), np.nan)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=float)


# --------------------------------------------------------------------------------------------
# the import
# --------------------------------------------------------------------------------------------


def _unchanged(
    lake_dir: Path, defn: DatasetDefinition, sha: str, mapping_sha: str, defn_sha: str
) -> dict[str, dict[str, Any]] | None:
    """Provenance of this file's months if every one is still stored from this very file,
    mapping and definition (then re-importing it would change nothing)."""
    parts = {p.keys["month"]: p.provenance for p in list_partitions(lake_dir, defn.dataset)}
    mine = {
        m: p
        for m, p in parts.items()
        if p.get("source_sha256") == sha
        and p.get("mapping_sha256") == mapping_sha
        and p.get("definition_sha256") == defn_sha
    }
    if not mine:
        return None
    months = next(iter(mine.values())).get("file_months", [])
    if months and all(m in mine for m in months):
        return {m: mine[m] for m in months}
    return None


def import_file(
    ws: Workspace,
    name: str,
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping: ColumnMapping | None = None,
    max_reject_share: float = DEFAULT_MAX_REJECT_SHARE,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one partner file into dataset ``name`` (see the module docs).

    Raises :class:`InputError` (or :class:`WrongDatasetError`, :class:`PersonalDataError`)
    for a file that cannot be used at all; returns a report with ``status == "rejected"``
    when too many rows failed validation. Either way nothing is written to the dataset."""
    if not 0 <= max_reject_share < 1:
        raise ValueError("max_reject_share must be at least 0 and below 1")
    today = today or dt.date.today()
    lake = ws.lake_dir
    report = ImportReport(_new_id(), name, str(path), _now())
    staging = lake / STAGING_DIR / report.ingest_id
    try:
        defn = load_definition(name, ws.root)
        src = open_source(path, sheet)
        report.sha256 = src.sha256
        header = read_header(src)
        chosen, is_new = _choose_mapping(ws, defn, src, header, mapping, report)
        if chosen.sheet and not sheet and src.kind == "xlsx":
            src = open_source(path, chosen.sheet)
            header = read_header(src)
            check_mapping(defn, chosen, header, src.path)
        report.mapping = dict(chosen.columns)
        report.date_resolution = chosen.date_resolution or defn.date.resolution
        if src.encoding == "cp1252":
            report.warnings.append("the file is not UTF-8; it was read as Windows-1252 (cp1252)")
        defn_sha = _definition_sha(defn)
        same = _unchanged(lake, defn, src.sha256, chosen.sha256(), defn_sha)
        if same is not None:
            first = next(iter(same.values()))
            report.status = "unchanged"
            report.months_unchanged = sorted(same)
            report.rows_read = int(first.get("rows_read", 0))
            report.rows_rejected = int(first.get("rows_rejected", 0))
            report.rows_kept = sum(int(p.get("rows_kept", 0)) for p in same.values())
            return report
        staging.mkdir(parents=True)
        _run(ws, defn, src, header, chosen, report, staging, max_reject_share, chunk_rows,
             today, progress, defn_sha)  # fmt: skip
        if is_new and report.status in ("loaded", "replaced"):
            report.mapping_saved = str(save_mapping(ws.root, chosen))
        return report
    except SaferPlacesError as exc:
        report.status = "rejected"
        report.reason = str(exc)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        report.finished_at = _now()
        write_log(lake, report.ingest_id, report.to_dict())


def _run(
    ws: Workspace,
    defn: DatasetDefinition,
    src: SourceFile,
    header: list[str],
    mapping: ColumnMapping,
    report: ImportReport,
    staging: Path,
    max_reject_share: float,
    chunk_rows: int,
    today: dt.date,
    progress: Callable[[int], None] | None,
    defn_sha: str,
) -> None:
    mapped_headers = [h for h in mapping.columns.values() if h]
    stage = _Staging(staging, mapped_headers)
    validator = _Validator(defn, mapping, header, today)
    date_header = mapping.columns.get(defn.date.column)
    scanner = PersonalDataScanner(
        header, today=today, skip_dates={date_header} if date_header else set()
    )
    try:
        for _, chunk in iter_chunks(src, chunk_rows):
            numbers = np.array(chunk.row_numbers, dtype=np.int64)
            if chunk.malformed:
                stage.reject(
                    [[n, "", "", "", "columns", why] for n, why, _ in chunk.malformed],
                    [
                        [n, f"{why}; raw values: {src.delimiter.join(raw)[:500]}"]
                        + [""] * len(mapped_headers)
                        for n, why, raw in chunk.malformed
                    ],
                )
                report.rows_read += len(chunk.malformed)
                report.rows_rejected += len(chunk.malformed)
            if not chunk.rows:
                continue
            for i, h in enumerate(header):
                scanner.scan(h, pa.array([r[i] for r in chunk.rows], pa.string()), numbers)
            kept, months, no_loc, errors, quarantine, n_bad = validator.run(chunk.rows, numbers)
            stage.reject(errors, quarantine)
            report.rows_read += len(chunk.rows)
            report.rows_rejected += n_bad
            month_list = np.asarray(months.to_numpy(zero_copy_only=False), dtype=object)
            for m in sorted(set(month_list.tolist())):
                sel = month_list == m
                stage.write(str(m), kept.filter(pa.array(sel)), int(no_loc[sel].sum()))
            if progress:
                progress(report.rows_read)
    finally:
        stage.close()
    report.rows_kept = report.rows_read - report.rows_rejected
    # Personal data: refuse before anything is written, unless the dataset may hold it.
    stored = set(mapped_headers)
    findings = scanner.findings()
    in_stored = [f for f in findings if f.column in stored]
    for f in findings:
        if f.column not in stored:
            report.warnings.append(
                f"personal data in a column that is not mapped, so not stored: {f.describe()}"
            )
    if in_stored and defn.personal_data_policy == "refuse":
        raise PersonalDataError(src.path, in_stored, defn.name)
    for f in in_stored:
        report.warnings.append(f"personal data stored in restricted dataset: {f.describe()}")
    share = report.rows_rejected / report.rows_read if report.rows_read else 0.0
    if stage.report_rows or stage.quarantine_rows:
        report.validation_report, report.quarantine = _keep_reports(ws.lake_dir, report, stage)
    if report.rows_read == 0:
        report.reason = "the file has a header but no rows"
        return
    if share > max_reject_share:
        report.reason = (
            f"{report.rows_rejected:,} of {report.rows_read:,} rows ({share:.1%}) failed "
            f"validation, more than the {max_reject_share:.0%} allowed: the whole file is "
            f"rejected and nothing was loaded (see {report.validation_report})"
        )
        report.rows_kept = 0
        return
    if report.rows_kept == 0:
        report.reason = "no row passed validation"
        return
    if defn.geography.kind == "lsoa":
        from ..geo.lookups import detect_lsoa_vintage

        vint = detect_lsoa_vintage(sorted(validator.lsoa_codes))
        if defn.geography.vintage and vint.vintage not in (None, defn.geography.vintage):
            report.warnings.append(
                f"LSOA codes look like {vint.describe()}, but the dataset declares "
                f"{defn.geography.vintage} codes"
            )
    _commit(ws.lake_dir, defn, src, mapping, report, stage, defn_sha)


def _keep_reports(
    lake: Path, report: ImportReport, stage: _Staging
) -> tuple[str | None, str | None]:
    folder = lake / REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    out: list[str | None] = []
    for path, suffix in ((stage.report_path, "validation"), (stage.quarantine_path, "quarantine")):
        if path.exists():
            target = folder / f"{report.ingest_id}-{report.dataset}-{suffix}.csv"
            os.replace(path, target)
            out.append(str(target))
        else:
            out.append(None)
    return out[0], out[1]


def _commit(
    lake: Path,
    defn: DatasetDefinition,
    src: SourceFile,
    mapping: ColumnMapping,
    report: ImportReport,
    stage: _Staging,
    defn_sha: str,
) -> None:
    """Write each staged month as its partition (each write atomic)."""
    months = sorted(stage.month_rows)
    replaced = False
    for month in months:
        table = pq.read_table(stage.folder / f"{month}.parquet")
        target = partition_dir(lake, defn.dataset, {"month": month}) / DATA_FILE
        previous = read_provenance(target) if target.exists() else None
        if (
            previous
            and previous.get("source_sha256") == src.sha256
            and previous.get("mapping_sha256") == mapping.sha256()
            and previous.get("definition_sha256") == defn_sha
        ):
            report.months_unchanged.append(month)
            continue
        prov: dict[str, Any] = {
            "dataset": defn.dataset, "partner_dataset": defn.name, "month": month,
            "source_file": str(src.path), "source_sha256": src.sha256,
            "source_encoding": src.encoding if src.kind == "csv" else "xlsx",
            "sheet": src.sheet, "rows_read": report.rows_read, "rows_kept": table.num_rows,
            "rows_rejected": report.rows_rejected, "file_rows_kept": report.rows_kept,
            "file_months": months, "no_location_rows": stage.no_location.get(month, 0),
            "mapping": mapping.columns, "mapping_sha256": mapping.sha256(),
            "date_resolution": report.date_resolution,
            "definition_version": defn.version, "definition_sha256": defn_sha,
            "sensitivity": str(defn.sensitivity), "ingested_at": _now(),
            "ingest_id": report.ingest_id,
            "validation_report": report.validation_report, "quarantine": report.quarantine,
        }  # fmt: skip
        if previous:
            replaced = True
            prov["replaces"] = {
                k: previous.get(k)
                for k in ("source_file", "source_sha256", "ingested_at", "ingest_id", "rows_kept")
            }
            if previous.get("source_sha256") != src.sha256:
                report.warnings.append(
                    f"{month}: replaces {previous.get('rows_kept', 0):,} rows from "
                    f"{Path(str(previous.get('source_file'))).name} with {table.num_rows:,} rows"
                )
        write_partition(lake, defn.dataset, {"month": month}, table, prov)
        report.months_written.append(month)
    if report.months_written:
        report.status = "replaced" if replaced else "loaded"
    else:
        report.status = "unchanged"
