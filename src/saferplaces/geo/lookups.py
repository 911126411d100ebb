"""LSOA lookups: the bundled LSOA → MSOA → district (LAD) → region → force tables for LSOA 2011
and 2021, user-supplied best-fit LSOA → area lookups, and LSOA vintage detection.

A *best-fit* lookup gives each LSOA exactly one area (the one holding most of it, usually by
population-weighted centroid). Counts aggregated through it are approximate at the edges of
areas whose boundaries do not follow LSOAs; say so wherever such counts are shown.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from ..errors import InputError
from ..taxonomy import forces, lsoa_vintages
from .areas import LOOKUP_LEVELS, ObjArray, check_level

LSOA_RE = re.compile(r"^[EW]01\d{6}$")
Vintage = Literal[2011, 2021]
LOOKUP_COLUMNS = {
    "lsoa": ("lsoa_code", "lsoa_name"),
    "msoa": ("msoa_code", "msoa_name"),
    "lad": ("lad_code", "lad_name"),
    "region": ("region_code", "region_name"),
    "force": ("force", "force"),
}
LOOKUP_SOURCE = {
    2011: "ONS LSOA 2011 → MSOA → LAD → region lookup with police force area (OGL v3.0)",
    2021: "ONS Census 2021 LSOA 2021 names and codes, linked to the 2011 lookup (OGL v3.0)",
}


def _obj(items: list[object]) -> ObjArray:
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


@dataclass(frozen=True, eq=False)
class LsoaLookup:
    """The bundled lookup for one LSOA vintage: one row per LSOA."""

    vintage: int
    columns: dict[str, ObjArray]

    @property
    def lsoa_codes(self) -> ObjArray:
        return self.columns["lsoa_code"]

    @property
    def source(self) -> str:
        return LOOKUP_SOURCE[self.vintage]

    def level_codes(self, level: str) -> ObjArray:
        """Codes of ``level`` for every LSOA, in lookup order (None where unknown)."""
        return self.columns[LOOKUP_COLUMNS[_lookup_level(level)][0]]

    def map(self, lsoa_codes: Iterable[str | None], level: str) -> ObjArray:
        """The ``level`` code of each LSOA code (None for codes not in this vintage)."""
        idx = _row_index(self)
        target = self.level_codes(level)
        return _obj([target[idx[c]] if c in idx else None for c in lsoa_codes])

    def names(self, level: str) -> dict[str, str]:
        if level == "force":
            return dict(forces())
        code_col, name_col = LOOKUP_COLUMNS[_lookup_level(level)]
        return {
            c: n
            for c, n in zip(self.columns[code_col], self.columns[name_col], strict=True)
            if c is not None
        }

    def members(self, level: str, code: str) -> list[str]:
        """LSOA codes whose ``level`` code is ``code``."""
        target = self.level_codes(level)
        return [str(c) for c in self.lsoa_codes[target == code]]

    def children(self, parent_level: str, parent_code: str, child_level: str) -> list[str]:
        """Codes of ``child_level`` inside ``parent_code`` (a finer level of this lookup)."""
        if LOOKUP_LEVELS.index(child_level) >= LOOKUP_LEVELS.index(parent_level):
            raise ValueError(f"'{child_level}' is not finer than '{parent_level}'")
        mask = self.level_codes(parent_level) == parent_code
        return sorted({str(c) for c in self.level_codes(child_level)[mask] if c is not None})

    def parent(self, level: str, code: str, parent_level: str) -> str | None:
        mask = self.level_codes(level) == code
        found = {c for c in self.level_codes(parent_level)[mask] if c is not None}
        return str(found.pop()) if len(found) == 1 else None

    def level_of(self, code: str) -> str | None:
        """Which lookup level a code belongs to (None if none)."""
        for level in LOOKUP_LEVELS:
            if code in _code_set(self, level):
                return level
        return None


@cache
def _row_index(lk: LsoaLookup) -> dict[str, int]:
    return {str(c): i for i, c in enumerate(lk.lsoa_codes)}


@cache
def _code_set(lk: LsoaLookup, level: str) -> frozenset[str]:
    return frozenset(str(c) for c in lk.level_codes(level) if c is not None)


def _lookup_level(level: str) -> str:
    if level not in LOOKUP_COLUMNS:
        raise ValueError(f"'{level}' is not a lookup level; use one of {', '.join(LOOKUP_LEVELS)}")
    return level


def _read_bundled(name: str) -> list[dict[str, str]]:
    raw = resources.files("saferplaces.geo").joinpath("data", name).read_bytes()
    return list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8"))))


@cache
def lsoa_lookup(vintage: Vintage = 2011) -> LsoaLookup:
    """The bundled LSOA lookup for England and Wales (2011: 34,753 LSOAs; 2021: 35,672)."""
    if vintage not in (2011, 2021):
        raise ValueError("LSOA vintage must be 2011 or 2021")
    rows = _read_bundled(f"lsoa{vintage}_lookup.csv.gz")
    cols = {k: _obj([r[k] or None for r in rows]) for k in rows[0]}
    return LsoaLookup(vintage, cols)


# ---- vintage detection ---------------------------------------------------------------------


@dataclass(frozen=True)
class VintageReport:
    """How a set of LSOA codes splits between the 2011 and 2021 code sets."""

    total: int
    both: int
    only_2011: int
    only_2021: int
    unknown: int

    @property
    def vintage(self) -> int | Literal["mixed"] | None:
        """2011 or 2021 when the codes say so; ``"mixed"`` if both; None if undecidable."""
        if self.only_2011 and self.only_2021:
            return "mixed"
        if self.only_2011:
            return 2011
        if self.only_2021:
            return 2021
        return None

    def describe(self) -> str:
        v = self.vintage
        what = {
            2011: "LSOA 2011",
            2021: "LSOA 2021",
            "mixed": "a mix of LSOA 2011 and 2021",
            None: "codes valid in both 2011 and 2021",
        }[v]
        return (
            f"{self.total} distinct codes look like {what} ({self.only_2011} only in 2011,"
            f" {self.only_2021} only in 2021, {self.both} in both, {self.unknown} unknown)"
        )


def detect_lsoa_vintage(codes: Iterable[str | None]) -> VintageReport:
    """Detect the LSOA vintage of codes by membership: a code that exists only in the 2011 set
    (or only in 2021) decides; codes in both (about 95%) say nothing."""
    known = lsoa_vintages()
    both = only11 = only21 = unknown = 0
    distinct = {c for c in codes if c}
    for c in distinct:
        flags = known.get(c)
        if flags is None:
            unknown += 1
        elif flags == (True, True):
            both += 1
        elif flags[0]:
            only11 += 1
        else:
            only21 += 1
    return VintageReport(len(distinct), both, only11, only21, unknown)


def vintage_mismatch(data: VintageReport, lookup_vintage: int | None) -> str | None:
    """A message when data and lookup vintages differ (None when they agree or can't tell)."""
    v = data.vintage
    if lookup_vintage is None or v is None or v == lookup_vintage:
        return None
    if v == "mixed":
        return (
            f"the data mix LSOA 2011 and 2021 codes; the lookup is LSOA {lookup_vintage}, so"
            f" rows with codes only in the other vintage will not match ({data.describe()})"
        )
    return (
        f"the data use LSOA {v} codes but the lookup is LSOA {lookup_vintage}: codes that"
        f" changed between vintages will not match ({data.describe()}); use a"
        f" lookup of the data's vintage"
    )


# ---- user-supplied best-fit lookups ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AreaLookup:
    """A best-fit LSOA → area lookup for one level (each LSOA in at most one area)."""

    level: str
    lsoa_codes: ObjArray
    area_codes: ObjArray
    area_names: ObjArray
    vintage: int | None
    source: str
    method: str = "best-fit"  # "nested" for the bundled lookup (LSOAs nest exactly)

    def mapping(self) -> dict[str, str]:
        return dict(zip(self.lsoa_codes.tolist(), self.area_codes.tolist(), strict=True))

    def map(self, lsoa_codes: Iterable[str | None]) -> ObjArray:
        m = self.mapping()
        return _obj([m.get(c) if c else None for c in lsoa_codes])

    def members(self, area_code: str) -> list[str]:
        return sorted(str(c) for c in self.lsoa_codes[self.area_codes == area_code])

    def area_code_set(self) -> list[str]:
        return sorted({str(c) for c in self.area_codes})

    def to_table(self) -> pa.Table:
        n = len(self.lsoa_codes)
        return pa.table(
            {
                "lsoa_code": pa.array(self.lsoa_codes.tolist(), pa.string()),
                "area_code": pa.array(self.area_codes.tolist(), pa.string()),
                "area_name": pa.array(self.area_names.tolist(), pa.string()),
                "level": pa.array([self.level] * n, pa.string()),
                "lsoa_vintage": pa.array([self.vintage] * n, pa.int16()),
                "source": pa.array([self.source] * n, pa.string()),
                "method": pa.array([self.method] * n, pa.string()),
            }
        )

    @classmethod
    def from_table(cls, table: pa.Table) -> AreaLookup:
        d = table.to_pydict()
        vintage = next((v for v in d["lsoa_vintage"] if v is not None), None)
        return cls(
            d["level"][0] if d["level"] else "",
            _obj(d["lsoa_code"]),
            _obj(d["area_code"]),
            _obj(d["area_name"]),
            vintage,
            next((s for s in d["source"] if s), ""),
            next((m for m in d.get("method", []) if m), "best-fit"),
        )


def lookup_from_level(vintage: Vintage, level: str) -> AreaLookup:
    """The bundled lookup's LSOA → ``level`` as an :class:`AreaLookup`."""
    lk = lsoa_lookup(vintage)
    codes = lk.level_codes(level)
    names = lk.columns[LOOKUP_COLUMNS[level][1]]
    keep = np.array([c is not None for c in codes], dtype=bool)
    return AreaLookup(
        level, lk.lsoa_codes[keep], codes[keep], names[keep], vintage, lk.source, "nested"
    )


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_lookup_csv(
    text: str,
    *,
    path: str | Path,
    level: str,
    lsoa_field: str,
    code_field: str,
    name_field: str | None = None,
) -> AreaLookup:
    """Parse lookup text (see :func:`read_lookup_csv`)."""
    check_level(level)
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(path, "the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(lines[0]))
    header = [h.strip() for h in next(reader)]
    for wanted in (lsoa_field, code_field, *([name_field] if name_field else [])):
        if wanted not in header:
            raise InputError(
                path, f"no column '{wanted}'; the columns are: {', '.join(header)}", line=1
            )
    i_lsoa, i_code = header.index(lsoa_field), header.index(code_field)
    i_name = header.index(name_field) if name_field else None
    seen: dict[str, tuple[str, str, int]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(i_lsoa, i_code, i_name or 0):
            raise InputError(path, f"expected {len(header)} columns, found {len(row)}", line=line)
        lsoa = row[i_lsoa].strip().upper()
        area = row[i_code].strip()
        name = row[i_name].strip() if i_name is not None else area
        if not LSOA_RE.match(lsoa):
            raise InputError(
                path,
                f"'{row[i_lsoa]}' in '{lsoa_field}' is not an LSOA code (like E01014123)",
                line=line,
            )
        if not area:
            raise InputError(path, f"LSOA {lsoa} has no value in '{code_field}'", line=line)
        if lsoa in seen and seen[lsoa][0] != area:
            raise InputError(
                path,
                f"LSOA {lsoa} is given two areas: '{seen[lsoa][0]}' (line {seen[lsoa][2]}) and"
                f" '{area}'; a best-fit lookup gives each LSOA one area",
                line=line,
            )
        seen.setdefault(lsoa, (area, name or area, line))
    if not seen:
        raise InputError(path, "the file has a header but no rows")
    report = detect_lsoa_vintage(seen)
    if report.unknown == report.total:
        raise InputError(
            path, f"none of the {report.total} LSOA codes is a known England and Wales LSOA"
        )
    vintage = report.vintage if isinstance(report.vintage, int) else None
    codes = sorted(seen)
    return AreaLookup(
        level,
        _obj(list(codes)),
        _obj([seen[c][0] for c in codes]),
        _obj([seen[c][1] for c in codes]),
        vintage,
        Path(path).name,
    )


def read_lookup_csv(
    path: str | Path,
    *,
    level: str,
    lsoa_field: str,
    code_field: str,
    name_field: str | None = None,
) -> AreaLookup:
    """Read a best-fit LSOA → area lookup (CSV, tab, ``;`` or ``|`` separated; UTF-8).

    The whole file is rejected (with its line number) on a malformed LSOA code, a missing area
    code, or an LSOA given two different areas; exact repeats are harmless. The LSOA vintage
    is detected from the codes."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(p, "file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError(p, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_lookup_csv(
        text,
        path=p,
        level=level,
        lsoa_field=lsoa_field,
        code_field=code_field,
        name_field=name_field,
    )


@dataclass(frozen=True)
class LookupMatch:
    """How well a lookup covers a set of data codes."""

    distinct: int
    matched: int
    unmatched_examples: list[str]
    message: str | None  # vintage mismatch or partial-coverage message


def check_lookup_against(
    lookup_codes: Iterable[str],
    lookup_vintage: int | None,
    data_codes: Iterable[str | None],
    *,
    source: str | Path,
) -> LookupMatch:
    """Compare a lookup's LSOA codes with the codes in the data; :class:`InputError` if none
    match (the usual cause: a lookup of the other LSOA vintage, or the wrong area)."""
    have = set(lookup_codes)
    distinct = Counter(c for c in data_codes if c)
    matched = [c for c in distinct if c in have]
    missing = sorted(c for c in distinct if c not in have)
    report = detect_lsoa_vintage(distinct)
    mismatch = vintage_mismatch(report, lookup_vintage)
    if distinct and not matched:
        raise InputError(
            source,
            f"none of the {len(distinct)} LSOA codes in the data is in this lookup"
            + (f"; {mismatch}" if mismatch else f" (e.g. {', '.join(missing[:3])})"),
        )
    msg = mismatch
    if missing and not msg:
        msg = f"{len(missing)} of {len(distinct)} LSOA codes are not in the lookup (e.g. " + (
            ", ".join(missing[:3]) + ")"
        )
    return LookupMatch(len(distinct), len(matched), missing[:10], msg)
