"""Denominators: residents, households and user-supplied counts (businesses, adult females...).

Every :class:`Denominator` carries its name, year and source, so every rate computed with it
can say "per 1,000 residents (Census 2021, ONS)". Bundled: Census 2021 usual residents by LSOA
2021; Census 2011 usual residents and households by LSOA 2011 (households are the denominator
for burglary). Aggregation to a larger area goes through a lookup (best-fit for areas that do
not follow LSOA boundaries) and reports LSOAs that could not be placed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..lake import list_partitions, write_partition
from ..lake.partition import DATA_FILE, partition_dir
from .areas import AreaNotFoundError, check_level
from .lookups import AreaLookup, _read_bundled, detect_lsoa_vintage, lookup_from_level

DENOMINATORS = "denominators"
CENSUS_SOURCE = "ONS, Census {year}"
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


@dataclass(frozen=True, eq=False)
class Denominator:
    """Values of one denominator for areas of one level."""

    name: str  # e.g. "residents", "households", "businesses"
    year: int
    source: str
    level: str
    values: dict[str, float]
    note: str = ""
    missing: list[str] = field(default_factory=list)  # codes that could not be placed

    @property
    def label(self) -> str:
        """How a rate states its denominator: ``residents, 2021 (ONS, Census 2021)``."""
        return f"{self.name}, {self.year} ({self.source})"

    def value(self, code: str) -> float:
        try:
            return self.values[code]
        except KeyError:
            raise AreaNotFoundError(
                f"no '{self.name}' value for area {code!r} at level '{self.level}'"
            ) from None

    def total(self, codes: Iterable[str] | None = None) -> float:
        if codes is None:
            return float(sum(self.values.values()))
        return float(sum(self.value(c) for c in codes))

    def to_table(self) -> pa.Table:
        codes = sorted(self.values)
        n = len(codes)
        return pa.table(
            {
                "code": pa.array(codes, pa.string()),
                "level": pa.array([self.level] * n, pa.string()),
                "value": pa.array([self.values[c] for c in codes], pa.float64()),
                "name": pa.array([self.name] * n, pa.string()),
                "year": pa.array([self.year] * n, pa.int16()),
                "source": pa.array([self.source] * n, pa.string()),
                "note": pa.array([self.note] * n, pa.string()),
            }
        )

    @classmethod
    def from_table(cls, table: pa.Table) -> Denominator:
        d = table.to_pydict()
        return cls(
            d["name"][0],
            int(d["year"][0]),
            d["source"][0],
            d["level"][0],
            dict(zip(d["code"], d["value"], strict=True)),
            d["note"][0] or "",
        )


def residents(vintage: Literal[2011, 2021] = 2021) -> Denominator:
    """Usual residents by LSOA of the same vintage (Census 2011 or Census 2021)."""
    if vintage == 2021:
        rows = _read_bundled("census2021_lsoa.csv.gz")
        values = {r["lsoa_code"]: float(r["residents"]) for r in rows}
    elif vintage == 2011:
        rows = _read_bundled("census2011_lsoa.csv.gz")
        values = {r["lsoa_code"]: float(r["persons"]) for r in rows}
    else:
        raise ValueError("census vintage must be 2011 or 2021")
    return Denominator(
        "residents",
        vintage,
        CENSUS_SOURCE.format(year=vintage),
        "lsoa",
        values,
        note=f"usual residents by LSOA {vintage}",
    )


def households() -> Denominator:
    """Households by LSOA 2011 (Census 2011): the denominator for domestic burglary."""
    rows = _read_bundled("census2011_lsoa.csv.gz")
    return Denominator(
        "households",
        2011,
        CENSUS_SOURCE.format(year=2011),
        "lsoa",
        {r["lsoa_code"]: float(r["households"]) for r in rows},
        note="households by LSOA 2011",
    )


def aggregate(denom: Denominator, lookup: AreaLookup) -> Denominator:
    """Sum an LSOA denominator into ``lookup``'s areas. LSOAs of the denominator that the
    lookup does not cover are listed in ``missing`` (and mentioned in ``note``); a vintage
    mismatch between the denominator and the lookup raises :class:`InputError`."""
    if denom.level != "lsoa":
        raise ValueError(f"'{denom.name}' is already at level '{denom.level}', not LSOA")
    dv = detect_lsoa_vintage(denom.values).vintage
    if lookup.vintage is not None and isinstance(dv, int) and dv != lookup.vintage:
        raise InputError(
            lookup.source or "lookup",
            f"the lookup uses LSOA {lookup.vintage} codes but '{denom.name}' ({denom.year}) is"
            f" by LSOA {dv}; use a denominator by LSOA {lookup.vintage} or a lookup by LSOA {dv}",
        )
    mapping = lookup.mapping()
    totals: dict[str, float] = dict.fromkeys(lookup.area_code_set(), 0.0)
    not_in_denominator = [c for c in mapping if c not in denom.values]
    for lsoa, area in mapping.items():
        totals[area] += denom.values.get(lsoa, 0.0)
    how = "best-fit lookup" if lookup.method == "best-fit" else "lookup"
    note = f"{denom.note}, summed to {lookup.level} by {how} {lookup.source}".rstrip()
    if not_in_denominator:
        note += f"; {len(not_in_denominator)} LSOAs of the lookup have no value"
    return Denominator(
        denom.name,
        denom.year,
        denom.source,
        lookup.level,
        totals,
        note,
        sorted(not_in_denominator),
    )


def aggregate_to_level(denom: Denominator, level: str) -> Denominator:
    """Sum an LSOA denominator to a bundled lookup level (msoa, lad, region, force) using the
    lookup of the denominator's own LSOA vintage."""
    vintage: Literal[2011, 2021] = 2021 if denom.year >= 2021 else 2011
    return aggregate(denom, lookup_from_level(vintage, level))


# ---- user-supplied denominators --------------------------------------------------------------


def _number(text: str) -> float | None:
    t = text.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    if not t:
        return None
    v = float(t)
    if not math.isfinite(v) or v < 0:
        raise ValueError(text)
    return v


def _rows_from_xlsx(p: Path) -> list[list[str]]:
    import openpyxl  # lazily: only spreadsheets need it

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(p, f"not a readable .xlsx workbook ({exc})") from None
    ws = wb.worksheets[0]
    rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def read_denominators(
    path: str | Path,
    *,
    name: str,
    year: int,
    source: str,
    level: str,
    code_field: str,
    value_field: str,
    note: str = "",
) -> Denominator:
    """A user-supplied denominator (CSV/TSV or the first sheet of an .xlsx): one row per area.

    ``name`` (e.g. ``businesses``), ``year`` and ``source`` are required so rates can state
    them. The file is rejected with the line number on a blank code, a repeated code, or a
    value that is not a non-negative number; blank values are skipped and counted in ``note``."""
    p = Path(path)
    if not NAME_RE.match(name):
        raise ValueError(f"denominator name {name!r} must be a lowercase slug like 'businesses'")
    check_level(level)
    if not source.strip():
        raise ValueError("a denominator needs its source (who published it)")
    if not p.exists():
        raise InputError(p, "file not found")
    if p.suffix.lower() == ".xlsx":
        rows = _rows_from_xlsx(p)
    else:
        try:
            text = p.read_text("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(p, f"not UTF-8 text ({exc.reason})") from None
        first = text.split("\n", 1)[0]
        delim = "\t" if first.count("\t") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    if not rows:
        raise InputError(p, "the file is empty")
    header = [h.strip() for h in rows[0]]
    for f in (code_field, value_field):
        if f not in header:
            raise InputError(p, f"no column '{f}'; the columns are: {', '.join(header)}", line=1)
    ic, iv = header.index(code_field), header.index(value_field)
    values: dict[str, float] = {}
    blank = 0
    for line, row in enumerate(rows[1:], start=2):
        if not any(str(c).strip() for c in row):
            continue
        code = row[ic].strip() if ic < len(row) else ""
        if not code:
            raise InputError(p, f"no value in '{code_field}'", line=line)
        if code in values:
            raise InputError(p, f"area {code} appears twice", line=line)
        raw = row[iv] if iv < len(row) else ""
        try:
            v = _number(raw)
        except ValueError:
            raise InputError(
                p, f"'{raw}' in '{value_field}' is not a non-negative number", line=line
            ) from None
        if v is None:
            blank += 1
            continue
        values[code] = v
    if not values:
        raise InputError(p, "no rows with values")
    if blank:
        note = (note + "; " if note else "") + f"{blank} areas had no value"
    return Denominator(name, year, source.strip(), level, values, note)


def save_denominator(lake_dir: Path, denom: Denominator, prov: dict[str, Any]) -> None:
    """Store as the ``denominators/name=<name>`` partition (replacing the previous one)."""
    prov = {**prov, "kind": "denominator", "year": denom.year, "level": denom.level}
    write_partition(lake_dir, DENOMINATORS, {"name": denom.name}, denom.to_table(), prov)


def load_denominator(lake_dir: Path, name: str) -> Denominator:
    path = partition_dir(lake_dir, DENOMINATORS, {"name": name}) / DATA_FILE
    if not path.exists():
        raise AreaNotFoundError(
            f"no denominator '{name}' in the workspace (stored: "
            f"{', '.join(denominator_names(lake_dir)) or 'none'}); bundled: residents,"
            " households"
        )
    return Denominator.from_table(pq.read_table(path))


def denominator_names(lake_dir: Path) -> list[str]:
    return [p.keys["name"] for p in list_partitions(lake_dir, DENOMINATORS)]
