"""Postcode districts → areas, from an ONS postcode lookup (NSPL or ONSPD), for the public area
finder ("BS1" or "BS1 4ST" → the districts and neighbourhoods its postcodes lie in).

SaferPlaces bundles no postcode data: the ONS National Statistics Postcode Lookup (NSPL) or
Postcode Directory (ONSPD) is published quarterly under the Open Government Licence (with
Royal Mail and OS attribution for the postcodes). ``saferplaces areas postcodes import FILE``
reads its CSV and keeps, per postcode district (the outward code, ``BS1`` of ``BS1 4ST``), how
many live postcodes lie in each LSOA. Areas are found from the LSOAs through the same lookups
the figures use, so a district spread over two neighbourhoods finds both, each with its share
of the district's postcodes.

Columns read (by name, in any order; every other column is ignored):

=============  ==============================================================================
``pcds``       the postcode in its one-space form (``BS1 4ST``); required
``lsoa21``,    the LSOA (2021 and/or 2011) the postcode lies in; at least one is required.
``lsoa11``     Both are kept when both are present.
``laua``       the local authority district (``oslaua`` in the ONSPD, ``lad`` in some
               editions); required, used to check the file
``doterm``     the date a postcode was terminated; terminated postcodes are skipped (optional)
=============  ==============================================================================

Postcodes whose LSOA is not an English or Welsh LSOA (Scotland's data zones, Northern Ireland,
the Channel Islands and the Isle of Man, blank) are counted and skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from .lookups import LSOA_RE

DATASET = "postcode_districts"
DISTRICT_COLUMNS = ("laua", "oslaua", "lad")
LSOA_COLUMNS = {"lsoa21": 2021, "lsoa11": 2011}
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?) ([0-9][A-Z]{2})$")
MAX_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class PostcodeImport:
    source: str
    rows_read: int
    postcodes: int
    terminated: int
    outside: int
    districts: int
    vintages: tuple[int, ...]


def _open_text(path: Path) -> io.TextIOWrapper:
    # NSPL/ONSPD CSVs are ASCII; utf-8-sig also accepts a byte order mark.
    return open(path, encoding="utf-8-sig", newline="")


def read_postcode_lookup(path: str | Path) -> tuple[pa.Table, PostcodeImport]:
    """Read an NSPL/ONSPD CSV into (district, lsoa_vintage, lsoa_code, postcodes) rows.

    Raises :class:`InputError` naming the file (and the line) for a missing column, a row with
    the wrong number of fields, or a postcode not in the one-space ``pcds`` form."""
    path = Path(path)
    counts: Counter[tuple[str, int, str]] = Counter()
    rows_read = kept = terminated = outside = 0
    try:
        fh = _open_text(path)
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(path, f"not a CSV file: {exc}", 1) from None
        if not header:
            raise InputError(path, "the file is empty: expected an NSPL or ONSPD CSV")
        names = [h.strip().lower() for h in header]
        col = {n: i for i, n in enumerate(names)}
        missing = []
        if "pcds" not in col:
            missing.append("pcds")
        district = next((c for c in DISTRICT_COLUMNS if c in col), None)
        if district is None:
            missing.append(" or ".join(DISTRICT_COLUMNS))
        lsoa_cols = [(c, v) for c, v in LSOA_COLUMNS.items() if c in col]
        if not lsoa_cols:
            missing.append(" or ".join(LSOA_COLUMNS))
        if missing:
            raise InputError(
                path,
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: expected "
                "the ONS National Statistics Postcode Lookup (NSPL) or Postcode Directory "
                f"(ONSPD) CSV; the header has: {', '.join(names[:12])}"
                f"{' …' if len(names) > 12 else ''}",
                1,
            )
        i_pcds, i_term = col["pcds"], col.get("doterm")
        width = len(header)
        line = 1
        try:
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                rows_read += 1
                if len(row) != width:
                    raise InputError(
                        path, f"expected {width} fields as in the header, found {len(row)}", line
                    )
                pcds = row[i_pcds].strip().upper()
                m = POSTCODE_RE.match(pcds)
                if m is None:
                    raise InputError(
                        path,
                        f"column pcds: {row[i_pcds]!r} is not a postcode in the one-space form "
                        "(e.g. 'BS1 4ST')",
                        line,
                    )
                if i_term is not None and row[i_term].strip():
                    terminated += 1
                    continue
                placed = False
                for name, vintage in lsoa_cols:
                    lsoa = row[col[name]].strip().upper()
                    if LSOA_RE.match(lsoa):
                        counts[(m.group(1), vintage, lsoa)] += 1
                        placed = True
                if placed:
                    kept += 1
                else:
                    outside += 1
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not UTF-8 or ASCII text: {exc.reason}", line + 1) from None
        except csv.Error as exc:
            raise InputError(path, f"not a valid CSV row: {exc}", reader.line_num) from None
    if not kept:
        raise InputError(
            path,
            f"no postcode in England or Wales with an LSOA code ({rows_read:,} rows read, "
            f"{terminated:,} terminated, {outside:,} outside England and Wales or without an "
            "LSOA)",
        )
    keys = sorted(counts)
    table = pa.table(
        {
            "district": pa.array([k[0] for k in keys], pa.string()),
            "lsoa_vintage": pa.array([k[1] for k in keys], pa.int16()),
            "lsoa_code": pa.array([k[2] for k in keys], pa.string()),
            "postcodes": pa.array([counts[k] for k in keys], pa.int32()),
        }
    )
    report = PostcodeImport(
        source=path.name,
        rows_read=rows_read,
        postcodes=kept,
        terminated=terminated,
        outside=outside,
        districts=len({k[0] for k in keys}),
        vintages=tuple(sorted({k[1] for k in keys})),
    )
    return table, report


def import_postcodes(lake_dir: Path, path: str | Path) -> PostcodeImport:
    """Read ``path`` and replace the workspace's postcode lookup with it (atomically: a file
    that fails to read leaves the stored lookup as it was)."""
    from ..lake import write_partition
    from .store import provenance

    table, report = read_postcode_lookup(path)
    prov = provenance(
        path,
        rows_read=report.rows_read,
        rows_kept=report.postcodes,
        kind="postcode_districts",
        terminated=report.terminated,
        outside_england_and_wales=report.outside,
        districts=report.districts,
        lsoa_vintages=list(report.vintages),
    )
    write_partition(lake_dir, DATASET, {"source": "ons"}, table, prov)
    return report


def _partition(lake_dir: Path) -> Any:
    from ..lake.catalog import list_partitions

    parts = list_partitions(lake_dir, DATASET)
    return parts[0] if parts else None


def postcode_lookup_info(lake_dir: Path) -> dict[str, Any] | None:
    """What was imported (file name, SHA-256, when, counts); None if nothing was."""
    part = _partition(lake_dir)
    if part is None:
        return None
    p = dict(part.provenance)
    p["source_file"] = Path(str(p.get("source_file") or "")).name
    return p


@dataclass(frozen=True)
class PostcodeDistricts:
    """The imported lookup: postcode district → LSOAs with their number of postcodes."""

    rows: dict[str, list[tuple[int, str, int]]]  # district → (vintage, lsoa, postcodes)

    @classmethod
    def load(cls, lake_dir: Path) -> PostcodeDistricts | None:
        part = _partition(lake_dir)
        if part is None:
            return None
        t = pq.read_table(part.path).to_pydict()
        rows: dict[str, list[tuple[int, str, int]]] = {}
        for d, v, lsoa, n in zip(
            t["district"], t["lsoa_vintage"], t["lsoa_code"], t["postcodes"], strict=True
        ):
            rows.setdefault(d, []).append((int(v), lsoa, int(n)))
        return cls(rows)

    def known(self, district: str) -> bool:
        return district.upper() in self.rows

    def lsoas(self, district: str, vintage: int) -> dict[str, int]:
        """LSOA → postcodes of the district, in LSOAs of ``vintage`` (the other vintage if the
        file had only that one)."""
        entries = self.rows.get(district.upper(), [])
        have = {v for v, _, _ in entries}
        use = vintage if vintage in have else (min(have) if have else vintage)
        return {lsoa: n for v, lsoa, n in entries if v == use}

    def areas(
        self, district: str, mappings: dict[str, dict[str, str]], vintage: int
    ) -> list[tuple[str, str, float]]:
        """(level, area code, share of the district's postcodes) for each level of
        ``mappings`` (level → LSOA → area code), largest share first."""
        lsoas = self.lsoas(district, vintage)
        total = sum(lsoas.values())
        out: list[tuple[str, str, float]] = []
        if not total:
            return out
        for level, mapping in mappings.items():
            per: Counter[str] = Counter()
            for lsoa, n in lsoas.items():
                code = mapping.get(lsoa)
                if code:
                    per[code] += n
            out.extend((level, code, n / total) for code, n in per.items())
        out.sort(key=lambda x: (-x[2], x[0], x[1]))
        return out
