"""Coverage and quality of the lake: what ``saferplaces status`` prints.

Everything here is read from partition provenance (no data scan), except the Home Office
cross-check, which counts distinct Crime IDs from the base mart.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError
from ..taxonomy import forces
from .catalog import list_partitions
from .schemas import DATASET

#: A force-quarter whose police.uk total differs from the Home Office figure by more is flagged.
CROSSCHECK_TOLERANCE = 0.05


def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def _month_name(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def missing_months(months: list[str]) -> list[str]:
    """Months absent between the first and last month present (a gap in the run)."""
    if not months:
        return []
    idx = sorted({_month_index(m) for m in months})
    have = set(idx)
    return [_month_name(i) for i in range(idx[0], idx[-1] + 1) if i not in have]


@dataclass
class DatasetCoverage:
    dataset: str
    force: str
    first_month: str
    last_month: str
    months_present: int
    missing_months: list[str]
    rows: int
    rows_rejected: int
    crimes: int | None = None
    asb_rows: int | None = None
    duplicate_id_share: float | None = None
    no_location_share: float | None = None
    lsoa_vintages: dict[str, int] = field(default_factory=dict)
    replaced_partitions: int = 0


def coverage(lake_dir: Path) -> list[DatasetCoverage]:
    """Per dataset and force: months present and missing, rows and data-quality shares."""
    out: list[DatasetCoverage] = []
    for dataset in DATASET.values():
        by_force: dict[str, list[dict[str, Any]]] = {}
        for part in list_partitions(lake_dir, dataset):
            by_force.setdefault(part.keys["force"], []).append(
                {**part.provenance, "month": part.keys["month"]}
            )
        for force, provs in sorted(by_force.items()):
            months = sorted(p["month"] for p in provs)
            rows = sum(int(p.get("rows_kept", 0)) for p in provs)
            cov = DatasetCoverage(
                dataset=dataset,
                force=force,
                first_month=months[0],
                last_month=months[-1],
                months_present=len(months),
                missing_months=missing_months(months),
                rows=rows,
                rows_rejected=sum(int(p.get("rows_rejected", 0)) for p in provs),
                replaced_partitions=sum(1 for p in provs if p.get("replaces")),
            )
            if rows:
                cov.no_location_share = sum(int(p.get("no_location_rows", 0)) for p in provs) / rows
            if dataset == "street":
                cov.crimes = sum(int(p.get("crimes", 0)) for p in provs)
                cov.asb_rows = sum(int(p.get("asb_rows", 0)) for p in provs)
                # Share of crime rows that are extra copies of an ID already seen that month.
                crime_rows = rows - cov.asb_rows
                extra = crime_rows - cov.crimes
                cov.duplicate_id_share = extra / crime_rows if crime_rows else 0.0
                for p in provs:
                    v = str(p.get("lsoa_vintage", "unknown"))
                    cov.lsoa_vintages[v] = cov.lsoa_vintages.get(v, 0) + 1
            out.append(cov)
    return out


def coverage_dict(lake_dir: Path) -> list[dict[str, Any]]:
    """:func:`coverage` as plain JSON-ready dicts."""
    return [asdict(c) for c in coverage(lake_dir)]


# ---------------------------------------------------------------------------------------------
# Home Office recorded-crime cross-check

_HO_SPECIAL = {
    "metropolitan police": "metropolitan",
    "london, city of": "city-of-london",
    "british transport police": "btp",
}


def homeoffice_force_slug(name: str) -> str | None:
    """police.uk slug for a Home Office ``Force_Name``; None for non-force rows (Action Fraud)."""
    key = name.strip().lower()
    slug = _HO_SPECIAL.get(key) or re.sub(r"[^a-z0-9]+", "-", key).strip("-")
    return slug if slug in forces() else None


@dataclass
class CrossCheck:
    force: str
    financial_year: str
    quarter: int
    months: list[str]
    months_missing: list[str]
    policeuk_crimes: int
    homeoffice_offences: int
    ratio: float | None
    flagged: bool
    note: str


def _quarter_months(financial_year: str, quarter: int) -> list[str]:
    start = int(financial_year[:4])
    first = start * 12 + 3 + (quarter - 1) * 3  # April of the start year is index start*12+3
    return [_month_name(first + i) for i in range(3)]


def homeoffice_crosscheck(
    lake_dir: Path, homeoffice_csv: Path, tolerance: float = CROSSCHECK_TOLERANCE
) -> list[CrossCheck]:
    """Distinct police.uk Crime IDs per force-quarter against Home Office recorded crime.

    ``homeoffice_csv`` is the Home Office police recorded crime table by force and quarter
    (columns ``Financial_Year``, ``Financial_Quarter``, ``Force_Name``, ``Number_of_Offences``).
    Quarters with a month missing in the lake are reported but not flagged: the ratio would
    reflect the gap, not the data."""
    need = {"Financial_Year", "Financial_Quarter", "Force_Name", "Number_of_Offences"}
    with duckdb.connect() as con:
        try:
            rel = con.read_csv(str(homeoffice_csv), header=True)
        except duckdb.Error as exc:
            raise InputError(homeoffice_csv, f"cannot read as CSV ({exc})") from None
        missing = need - set(rel.columns)
        if missing:
            raise InputError(
                homeoffice_csv,
                f"not a Home Office recorded-crime table: no column(s) {sorted(missing)}",
            )
        ho = con.sql(
            "SELECT Force_Name, Financial_Year, Financial_Quarter::INTEGER, "
            "sum(Number_of_Offences)::BIGINT FROM rel GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    have: dict[tuple[str, str], int] = {}
    for part in list_partitions(lake_dir, "street"):
        have[(part.keys["force"], part.keys["month"])] = int(part.provenance.get("crimes", 0))
    out: list[CrossCheck] = []
    for name, fy, q, total in ho:
        slug = homeoffice_force_slug(name)
        if slug is None:
            continue
        months = _quarter_months(fy, q)
        present = [m for m in months if (slug, m) in have]
        if not present:
            continue
        absent = [m for m in months if m not in present]
        crimes = sum(have[(slug, m)] for m in present)
        ratio = crimes / total if total else None
        flagged = bool(not absent and ratio is not None and abs(ratio - 1) > tolerance)
        if absent:
            note = f"months missing from the lake: {', '.join(absent)}; not compared"
        elif ratio is None:
            note = "Home Office total is zero"
        elif flagged:
            note = (
                f"police.uk differs from Home Office by {ratio - 1:+.1%}, outside ±{tolerance:.0%}"
            )
        else:
            note = f"within ±{tolerance:.0%}"
        out.append(
            CrossCheck(slug, fy, q, months, absent, crimes, int(total), ratio, flagged, note)
        )
    return out
