"""API crimes → police.uk street CSV files, byte-compatible with the monthly archives, so fetched
data takes the same ingest path as downloaded archives.

What the API cannot give: **LSOA code and LSOA name** (not in the API; left blank — the ingest
assigns areas by point-in-polygon as it does for any row with coordinates). Everything else maps
one to one; see ``docs/policeuk-api.md``."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from ...taxonomy import categories, forces
from ._models import Crime

STREET_CSV_HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
ASB = "anti-social-behaviour"
BTP = "btp"


def category_label(slug: str) -> str:
    """API category slug → archive ``Crime type`` (``violent-crime`` → ``Violence and sexual
    offences``). A slug police.uk has not used before is kept readable rather than dropped."""
    for cat in categories().values():
        if cat.slug == slug and cat.era == "current":
            return cat.label
    return slug.replace("-", " ").capitalize()


def reporting_force(crime: Crime, force: str) -> str:
    """Archive files hold one reporting force: British Transport Police crimes (API
    ``location_type`` ``BTP``) live in the ``btp`` file, not in the territorial force's."""
    return BTP if crime.location_type == BTP.upper() else force


def street_csv_name(month: str, force: str) -> str:
    return f"{month}-{force}-street.csv"


def crime_row(crime: Crime, force_name: str) -> list[str]:
    """One archive row. ``force_name`` fills both ``Reported by`` and ``Falls within`` (police.uk
    gives the same value in both)."""
    pos = crime.position
    return [
        "" if crime.category == ASB else crime.persistent_id,
        crime.month,
        force_name,
        force_name,
        "" if pos is None else f"{pos.longitude:.6f}",  # archives use 6 decimals, as does the API
        "" if pos is None else f"{pos.latitude:.6f}",
        "No Location" if pos is None else (crime.street_name or ""),
        "",  # LSOA code: not in the API
        "",  # LSOA name: not in the API
        category_label(crime.category),
        crime.outcome_category or "",
        crime.context,
    ]


def street_csv_text(crimes: Iterable[Crime], force_name: str) -> str:
    """The file's text: the archive header, then one row per crime, CRLF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(STREET_CSV_HEADER)
    writer.writerows(crime_row(c, force_name) for c in crimes)
    return buffer.getvalue()


def write_street_csvs(crimes: Iterable[Crime], out_dir: str | Path, force: str) -> list[Path]:
    """Write ``YYYY-MM-<force>-street.csv`` files (one per month and reporting force) in
    ``out_dir``; BTP crimes go to ``YYYY-MM-btp-street.csv``. Each file is written to a
    temporary name and renamed, so no half-written file is ever visible. Existing files of the
    same name are replaced (a month fetched again carries updated outcomes)."""
    names = forces()
    groups: dict[tuple[str, str], list[Crime]] = defaultdict(list)
    for crime in crimes:
        groups[crime.month, reporting_force(crime, force)].append(crime)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for (month, slug), group in sorted(groups.items()):
        path = out / street_csv_name(month, slug)
        _write_atomic(path, street_csv_text(group, names.get(slug, slug)))
        written.append(path)
    return written


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
