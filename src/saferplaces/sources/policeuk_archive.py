"""Finding and vetting police.uk archive files.

Accepts what analysts actually have: the zip downloaded from data.police.uk, an unpacked folder of
``YYYY-MM/YYYY-MM-<force>-{street,outcomes,stop-and-search}.csv``, or single CSV files. Zips are
never trusted: members with absolute or ``..`` paths (zip-slip) or links are refused, and
expansion is capped per member (ratio) and in total (size), counting the bytes actually
inflated rather than the sizes the zip claims.

The checks here are the cheap, whole-file ones (name, header, binary content, truncation); row
checks happen while DuckDB reads the file (see :mod:`saferplaces.lake.ingest`).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from ..errors import InputError, UnsafeArchiveError
from ..taxonomy import forces

Kind = Literal["street", "outcomes", "stop-and-search"]

#: The exact header of each file kind, as published by data.police.uk.
HEADERS: dict[Kind, list[str]] = {
    "street": [
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
    ],
    "outcomes": [
        "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
        "Location", "LSOA code", "LSOA name", "Outcome type",
    ],
    "stop-and-search": [
        "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
        "Longitude", "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
        "Legislation", "Object of search", "Outcome", "Outcome linked to object of search",
        "Removal of more than just outer clothing",
    ],
}  # fmt: skip

NAME_RE = re.compile(
    r"^(?P<month>\d{4}-(?:0[1-9]|1[0-2]))-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)\.csv$"
)
BOM = b"\xef\xbb\xbf"
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveFile:
    """One police.uk CSV ready to read: where it is on disk and what it claims to be."""

    path: Path  # a real file on disk (extracted from a zip if need be)
    source: str  # what the user gave: 'archive.zip!2019-06/2019-06-x-street.csv' or a path
    kind: Kind
    force: str
    month: str  # YYYY-MM
    sha256: str
    size: int


@dataclass(frozen=True)
class FileProblem:
    source: str
    reason: str
    line: int | None = None
    kind: Kind | None = None  # known when the file name could be read
    force: str | None = None
    month: str | None = None


def parse_name(name: str, source: str) -> tuple[Kind, str, str]:
    """(kind, force, month) from a police.uk file name, or :class:`InputError`."""
    m = NAME_RE.match(PurePosixPath(name).name)
    if not m:
        raise InputError(
            source,
            "file name is not a police.uk name like '2019-06-avon-and-somerset-street.csv' "
            "(YYYY-MM-<force>-street|outcomes|stop-and-search.csv)",
        )
    force = m["force"]
    if force not in forces():
        raise InputError(source, f"unknown force slug '{force}' in the file name")
    return m["kind"], force, m["month"]  # type: ignore[return-value]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_COPY_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def vet_file(path: Path, source: str, kind: Kind, max_line_bytes: int) -> None:
    """Whole-file checks. Raises :class:`InputError` naming the problem; returns if all pass."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(source, "the file is empty")
    with open(path, "rb") as fh:
        head = fh.read(max_line_bytes + 2)
        fh.seek(-1, 2)
        last = fh.read(1)
    if b"\x00" in head:
        raise InputError(source, "not a CSV file (it contains binary data)")
    start = len(BOM) if head.startswith(BOM) else 0
    end = head.find(b"\n", start)
    if end < 0:
        if len(head) > max_line_bytes:
            raise InputError(source, f"line longer than {max_line_bytes} bytes", line=1)
        raise InputError(source, "no complete header line (the file is truncated or not a CSV)")
    try:
        header_text = head[start:end].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(source, "the header is not valid UTF-8", line=1) from None
    got = header_text.split(",")
    want = HEADERS[kind]
    if got != want:
        if len(got) != len(want):
            reason = f"header has {len(got)} columns, expected {len(want)}"
        else:
            diff = next(i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b)
            reason = f"header column {diff + 1} is {got[diff]!r}, expected {want[diff]!r}"
        raise InputError(
            source,
            f"wrong or missing header for a police.uk {kind} file: {reason}",
            line=1,
        )
    if last != b"\n":
        raise InputError(
            source,
            "the file does not end with a line break: it looks truncated (download it again)",
        )


def _safe_member_path(info: zipfile.ZipInfo, zip_path: Path) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchiveError(zip_path, f"unsafe path in zip: {info.filename!r} (zip-slip)")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(zip_path, f"zip member {info.filename!r} is a symbolic link")
    return p


def extract_zip(
    zip_path: Path, dest: Path, max_ratio: float, max_total_bytes: int
) -> Iterator[tuple[Path, str]]:
    """Safely extract the CSV members of a zip into ``dest``; yields (path, source label).

    The expansion of each member is counted as it is inflated, so a zip that lies about its
    sizes is caught too."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(zip_path, f"not a readable zip archive ({exc})") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        for info in infos:
            _safe_member_path(info, zip_path)
        declared = sum(i.file_size for i in infos)
        if declared > max_total_bytes:
            raise UnsafeArchiveError(
                zip_path,
                f"zip expands to {declared:,} bytes, over the limit of {max_total_bytes:,} "
                "(ingest.max_zip_total_mb)",
            )
        total = 0
        for info in infos:
            member = _safe_member_path(info, zip_path)
            if member.suffix.lower() != ".csv":
                continue
            limit = max(int(info.compress_size * max_ratio), 1 << 16)
            out = dest / member.name
            written = 0
            try:
                with zf.open(info) as src, open(out, "wb") as dst:
                    while chunk := src.read(_COPY_CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > limit:
                            raise UnsafeArchiveError(
                                zip_path,
                                f"zip member {info.filename!r} expands more than {max_ratio:g}× "
                                "(a zip bomb?)",
                            )
                        if total > max_total_bytes:
                            raise UnsafeArchiveError(
                                zip_path, f"zip expands past {max_total_bytes:,} bytes"
                            )
                        dst.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                if isinstance(exc, InputError):
                    raise
                raise InputError(
                    zip_path, f"corrupt zip member {info.filename!r} ({exc})"
                ) from None
            yield out, f"{zip_path.name}!{info.filename}"


def discover(
    paths: Iterable[Path],
    staging: Path,
    *,
    max_zip_ratio: float,
    max_zip_total_bytes: int,
    max_line_bytes: int,
) -> tuple[list[ArchiveFile], list[FileProblem]]:
    """Every police.uk file under ``paths`` (zips extracted into ``staging``), vetted.

    Returns the usable files and the problems; a problem with one file never stops the others.
    A problem with a whole zip (unsafe, corrupt) rejects that zip."""
    files: list[ArchiveFile] = []
    problems: list[FileProblem] = []
    candidates: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(FileProblem(str(path), "no such file or folder"))
        elif path.is_dir():
            for f in sorted(path.rglob("*")):
                if (f.is_file() and f.suffix.lower() == ".csv") or (
                    f.is_file() and f.suffix.lower() == ".zip"
                ):
                    candidates.append((f, str(f)))
        else:
            candidates.append((path, str(path)))

    for path, source in candidates:
        if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            dest = staging / f"zip-{len(files)}-{path.stem}"
            dest.mkdir(parents=True, exist_ok=True)
            try:
                members = list(extract_zip(path, dest, max_zip_ratio, max_zip_total_bytes))
            except InputError as exc:
                problems.append(FileProblem(source, exc.reason))
                shutil.rmtree(dest, ignore_errors=True)
                continue
            for member_path, member_source in members:
                _vet_into(member_path, member_source, max_line_bytes, files, problems)
        else:
            _vet_into(path, source, max_line_bytes, files, problems)
    files.sort(key=lambda f: (f.kind, f.force, f.month))
    return files, problems


def _vet_into(
    path: Path,
    source: str,
    max_line_bytes: int,
    files: list[ArchiveFile],
    problems: list[FileProblem],
) -> None:
    try:
        kind, force, month = parse_name(path.name, source)
    except InputError as exc:
        problems.append(FileProblem(source, exc.reason, exc.line))
        return
    try:
        vet_file(path, source, kind, max_line_bytes)
    except InputError as exc:
        problems.append(FileProblem(source, exc.reason, exc.line, kind, force, month))
        return
    files.append(ArchiveFile(path, source, kind, force, month, _sha256(path), path.stat().st_size))
