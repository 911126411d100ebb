"""Reading partner files (CSV/TSV or XLSX) as text, in chunks of rows.

Everything is read as text and typed later (see ``_values``), so a stray value never changes how
a whole column is read. CSV files are read with the standard library's C reader from a text
stream, XLSX files with openpyxl in read-only mode: both stream, so memory is bounded by the
chunk size, not the file size (a 1 GB file is read ``chunk_rows`` rows at a time).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError

CSV_SUFFIXES = {".csv", ".tsv", ".tab", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_MAX_FIELD = 1024 * 1024  # one CSV value may not exceed 1 MB


@dataclass(frozen=True)
class SourceFile:
    path: Path
    kind: Literal["csv", "xlsx"]
    sha256: str
    size: int
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    sheet: str | None = None


@dataclass
class Chunk:
    """Up to ``chunk_rows`` rows, each with as many values as the header, and the rows that
    had the wrong number of values (which are rejected, never guessed)."""

    rows: list[list[str]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    malformed: list[tuple[int, str, list[str]]] = field(default_factory=list)


def _hash_and_check_utf8(path: Path) -> tuple[str, int, bool, bool]:
    """sha256, size, whether the bytes are valid UTF-8 and whether they hold NUL bytes,
    in one streaming pass."""
    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    nul = False
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
            size += len(block)
            if not nul and b"\x00" in block:
                nul = True
            if utf8:
                try:
                    dec.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return h.hexdigest(), size, utf8, nul


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_source(path: str | Path, sheet: str | None = None) -> SourceFile:
    """Check a file can be read and work out how; :class:`InputError` if it cannot."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if not p.is_file():
        raise InputError(p, "not a file")
    suffix = p.suffix.lower()
    if suffix == ".xls":
        raise InputError(p, "old Excel (.xls) files are not read; save it as .xlsx or CSV")
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InputError(
            p, f"unsupported file type '{suffix}': give a CSV (.csv, .tsv, .tab, .txt) or .xlsx"
        )
    sha, size, utf8, nul = _hash_and_check_utf8(p)
    if size == 0:
        raise InputError(p, "the file is empty")
    if suffix in XLSX_SUFFIXES:
        return SourceFile(p, "xlsx", sha, size, sheet=sheet)
    if sheet:
        raise InputError(p, "a sheet can only be chosen in an Excel file")
    if nul:
        raise InputError(p, "the file holds NUL bytes: it is not a text (CSV) file")
    # Excel's "CSV" on Windows writes cp1252; anything that is not UTF-8 is read as that.
    encoding = "utf-8-sig" if utf8 else "cp1252"
    with open(p, encoding=encoding, errors="replace", newline="") as fh:
        first = fh.readline()
    return SourceFile(p, "csv", sha, size, encoding, _sniff_delimiter(first))


def _clean_header(values: list[str], path: Path) -> list[str]:
    header = [(v or "").strip() for v in values]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise InputError(path, "the first row (the header) is empty", line=1)
    header = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    seen: dict[str, int] = {}
    for h in header:
        seen[h.casefold()] = seen.get(h.casefold(), 0) + 1
    dupes = sorted(h for h in {x.casefold() for x in header} if seen[h] > 1)
    if dupes:
        raise InputError(path, f"the header repeats column names: {', '.join(dupes)}", line=1)
    return header


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx_rows(src: SourceFile) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(src.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(src.path, f"not a readable Excel file ({exc})") from None
    try:
        if src.sheet is not None:
            if src.sheet not in wb.sheetnames:
                raise InputError(
                    src.path,
                    f"no sheet called '{src.sheet}' (sheets: {', '.join(wb.sheetnames)})",
                )
            ws = wb[src.sheet]
        else:
            ws = wb.worksheets[0]
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, [_cell_text(v) for v in row]
    finally:
        wb.close()


def _csv_rows(src: SourceFile) -> Iterator[tuple[int, list[str]]]:
    csv.field_size_limit(_MAX_FIELD)
    with open(src.path, encoding=src.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=src.delimiter)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as exc:
            raise InputError(src.path, f"broken CSV: {exc}", line=reader.line_num + 1) from None


def _rows(src: SourceFile) -> Iterator[tuple[int, list[str]]]:
    return _xlsx_rows(src) if src.kind == "xlsx" else _csv_rows(src)


def read_header(src: SourceFile) -> list[str]:
    for _, row in _rows(src):
        return _clean_header(row, src.path)
    raise InputError(src.path, "the file has no header row")


def iter_chunks(src: SourceFile, chunk_rows: int) -> Iterator[tuple[list[str], Chunk]]:
    """The header and chunks of at most ``chunk_rows`` data rows. Blank rows are skipped; a
    row with more non-blank values than the header is malformed, and so is a shorter one in
    a CSV (a cut line); in an Excel sheet a shorter row is padded, as sheets drop trailing
    empty cells."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    rows = _rows(src)
    header: list[str] | None = None
    for _, row in rows:
        header = _clean_header(row, src.path)
        break
    if header is None:
        raise InputError(src.path, "the file has no header row")
    width = len(header)
    chunk = Chunk()
    for number, row in rows:
        if not any(v.strip() for v in row):
            continue
        if len(row) > width:
            extra = row[width:]
            if any(v.strip() for v in extra):
                chunk.malformed.append(
                    (number, f"{len(row)} values for {width} columns in the header", row)
                )
                continue
            row = row[:width]
        elif len(row) < width:
            if src.kind == "csv":
                chunk.malformed.append(
                    (number, f"{len(row)} values for {width} columns in the header", row)
                )
                continue
            row = row + [""] * (width - len(row))
        chunk.rows.append(row)
        chunk.row_numbers.append(number)
        if len(chunk.rows) + len(chunk.malformed) >= chunk_rows:
            yield header, chunk
            chunk = Chunk()
    yield header, chunk
