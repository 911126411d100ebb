"""Workspaces built from constructed police.uk files with known answers."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from saferplaces import Workspace
from saferplaces.geo import lsoa_lookup
from saferplaces.lake.ingest import ingest
from saferplaces.sources.policeuk_archive import HEADERS

FORCE = "avon-and-somerset"
BRISTOL = "E06000023"
BATH = "E06000022"


def months(first: str, n: int) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def lsoas(lad: str, n: int) -> list[str]:
    return lsoa_lookup(2011).members("lad", lad)[:n]


def write_month(
    folder: Path,
    month: str,
    counts: dict[tuple[str, str], int],
    outcome: Callable[[int], str] | None = None,
) -> None:
    """One street file: ``counts[(lsoa, crime_type)]`` rows, with distinct Crime IDs."""
    d = folder / month
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f"{month}-{FORCE}-street.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(HEADERS["street"])
        k = 0
        for (lsoa, ctype), n in sorted(counts.items()):
            for _ in range(n):
                k += 1
                asb = ctype == "Anti-social behaviour"
                cid = "" if asb else f"{month}-{lsoa}-{k:06d}".encode().hex()[:64].ljust(64, "0")
                out = "" if asb else (outcome(k) if outcome else "Under investigation")
                w.writerow(
                    [
                        cid,
                        month,
                        FORCE,
                        FORCE,
                        "-2.6",
                        "51.45",
                        "On or near X",
                        lsoa,
                        f"Area {lsoa}",
                        ctype,
                        out,
                        "",
                    ]
                )


def make_workspace(
    root: Path,
    month_list: list[str],
    counts_for: Callable[[int, str], dict[tuple[str, str], int]],
    *,
    areas: list[str] | None = None,
    outcome: Callable[[int], str] | None = None,
    skip: set[str] | None = None,
) -> Workspace:
    ws = Workspace.create(root / "ws", "Test CSP", [FORCE], areas or [BRISTOL, BATH])
    src = root / "src"
    for i, m in enumerate(month_list):
        if skip and m in skip:
            continue
        write_month(src, m, counts_for(i, m), outcome)
    report = ingest(ws.lake_dir, [src])
    assert report.ok, [f for f in report.files if f.status == "rejected"]
    return ws


def poisson(rng: np.random.Generator, mean: float) -> int:
    return int(rng.poisson(mean))
