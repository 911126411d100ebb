"""``saferplaces fetch``: recent months from the optional police.uk API client, written as
police.uk street CSV files for ``saferplaces ingest``."""

from __future__ import annotations

import csv
import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..taxonomy import forces as known_forces
from . import console, err_console, main

if TYPE_CHECKING:
    from ..sources.policeuk_api import PoliceUkClient


def make_client() -> PoliceUkClient:
    """The client the commands use (tests replace this to inject a mock transport)."""
    from ..sources.policeuk_api import PoliceUkClient

    return PoliceUkClient()


@main.group()
def fetch() -> None:
    """Fetch recent months from the police.uk API (optional: needs 'saferplaces[api]').

    The API serves about the last 36 months; for anything older, or for whole forces, download
    the archives from data.police.uk/data and use 'saferplaces ingest'."""


def _check_force(slug: str) -> str:
    if slug not in known_forces():
        slugs = sorted(known_forces())
        close = [s for s in slugs if s.startswith(slug)] or difflib.get_close_matches(slug, slugs)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise click.BadParameter(f"unknown force slug '{slug}'{hint}", param_hint="--force")
    return slug


@fetch.command()
@click.option("--poly", metavar="LAT,LON:LAT,LON:...", help="Polygon, latitude first.")
@click.option(
    "--neighbourhood",
    metavar="FORCE/ID",
    help="A police.uk neighbourhood, e.g. gloucestershire/AA3 (its boundary is the polygon).",
)
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to fetch.")
@click.option(
    "--force",
    "force_slug",
    metavar="SLUG",
    help="Force slug for 'Reported by' and the file name (default: the neighbourhood's force).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write YYYY-MM-<force>-street.csv into (created if needed).",
)
@click.option("--category", default="all-crime", show_default=True, help="API category slug.")
def crimes(
    poly: str | None,
    neighbourhood: str | None,
    month: str,
    force_slug: str | None,
    out: Path,
    category: str,
) -> None:
    """Street-level crimes in a polygon or neighbourhood for one month, as archive CSV files."""
    from ..sources.policeuk_api import parse_poly, write_street_csvs

    if (poly is None) == (neighbourhood is None):
        raise click.UsageError("give exactly one of --poly or --neighbourhood")
    hood: tuple[str, str] | None = None
    if neighbourhood is not None:
        force_part, _, hood_id = neighbourhood.partition("/")
        if not force_part or not hood_id:
            raise click.BadParameter("expected FORCE/ID", param_hint="--neighbourhood")
        hood = (force_part, hood_id)
        force_slug = force_slug or force_part
    if force_slug is None:
        raise click.UsageError("--force is required with --poly (it names the output file)")
    _check_force(force_slug)
    points = parse_poly(poly) if poly is not None else []  # refuse a bad polygon before I/O

    with make_client() as api:
        if hood is not None:
            found = api.crimes_in_neighbourhood(*hood, month, category=category)
        else:
            found = api.crimes_street(points, month, category=category)
        stats, anomalies = api.stats, api.anomalies

    notes = [f"{stats.requests} request(s)"]
    if stats.posts:
        notes.append(f"{stats.posts} sent as POST (long polygon)")
    if stats.splits:
        notes.append(f"polygon split {stats.splits} time(s) (over 10,000 crimes)")
    if stats.duplicates:
        notes.append(f"{stats.duplicates} duplicate(s) from split pieces removed")
    console.print(f"Fetched {len(found):,} crimes for {month} ({'; '.join(notes)}).")
    for what, n in sorted(anomalies.items()):
        err_console.print(f"[yellow]note[/] {n:,} record(s) with {what.replace('_', ' ')}")
    if not found:
        console.print("Nothing to write: the API returned no crimes for this area and month.")
        return
    for path in write_street_csvs(found, out, force_slug):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = sum(1 for _ in csv.reader(fh)) - 1
        console.print(f"Wrote {path} ({rows:,} rows)")
    console.print(
        "LSOA code and name are blank (the API does not give them). "
        f"Load with: saferplaces ingest {out}",
        soft_wrap=True,
    )


@fetch.command()
def availability() -> None:
    """The months the police.uk API serves (crimes-street-dates)."""
    from ..sources.policeuk_api import MonthWindow

    with make_client() as api:
        months = api.availability()
    window = MonthWindow.from_months(m.date for m in months)
    if window is None:
        console.print("The API lists no months.")
        return
    console.print(
        f"The police.uk API serves {len(months)} months: {window.first} to {window.last}."
    )
    newest = max(months, key=lambda m: m.date)
    console.print(
        f"Stop and search for {newest.date}: {len(newest.stop_and_search)} force(s).",
        soft_wrap=True,
    )
