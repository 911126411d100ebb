"""Workspaces for the briefing tests.

* ``small_ws``: constructed police.uk files (26 months, Bristol and Bath) with known counts:
  Bristol has a real rise in violence; Bath has 3 vehicle crimes a year and nothing else (the
  small-number area); a drawn level ``ward`` holds a ward around the files' single snap point,
  named ``<script>alert(1)</script>``, and an empty ward (0 crimes).
* ``gap_ws``: like it, but 2020-03 is missing (in the year before the latest 12 months), and
  crimes are mostly closed (3 in 4 "no suspect identified").
* ``lancashire``: the partner example (ASB only, 12 months, 271 drawn wards); see lancashire.py.
* ``demo``: the Avon and Somerset demo workspace from ``build_demo`` with its district
  briefings (about a minute: used by one test only, so pytest-xdist builds it once).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from tests.indicators.conftest import BATH, BRISTOL, lsoas, make_workspace, months
from tests.support import shared

from saferplaces import Workspace
from saferplaces.geo import Areas, save_areas, to_bng

MONTHS = months("2019-08", 26)
LATEST = MONTHS[-12:]
SCRIPT_NAME = "<script>alert(1)</script>"
POINT = (-2.6, 51.45)  # every row of the constructed files is at this snap point


def counts_for(i: int, month: str) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    rise = month in LATEST
    for lsoa in lsoas(BRISTOL, 5):
        out[(lsoa, "Violence and sexual offences")] = 14 if rise else 10
        out[(lsoa, "Burglary")] = 3
        out[(lsoa, "Anti-social behaviour")] = 8
        out[(lsoa, "Shoplifting")] = 2
    # Bath: one vehicle crime every 4th month (3 a year), nothing else.
    if i % 4 == 1:
        out[(lsoas(BATH, 1)[0], "Vehicle crime")] = 1
    return out


def add_wards(ws: Workspace) -> None:
    x, y = to_bng(np.array([POINT[0]]), np.array([POINT[1]]))
    around = shapely.Point(float(x[0]), float(y[0])).buffer(400)
    elsewhere = shapely.Point(float(x[0]) + 5000, float(y[0])).buffer(400)
    save_areas(
        ws.lake_dir,
        Areas.build(
            "ward", ["W01", "W02"], [SCRIPT_NAME, "Quiet Ward"], [around, elsewhere], source="test"
        ),
    )


def closed_mostly(k: int) -> str:
    return "Under investigation" if k % 4 == 0 else "Investigation complete; no suspect identified"


@pytest.fixture(scope="session")
def small_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = make_workspace(tmp_path_factory.mktemp("small"), MONTHS, counts_for)
    add_wards(ws)
    return ws


@pytest.fixture(scope="session")
def gap_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(
        tmp_path_factory.mktemp("gap"),
        MONTHS,
        counts_for,
        outcome=closed_mostly,
        skip={"2020-03"},
    )


@pytest.fixture(scope="module")
def lancashire(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Path]:
    from tests.briefings.lancashire import FILES, build_lancashire

    data = shared("partner-examples/lancashire/lancashire_asb.tab").parent
    for f in FILES:
        shared(f"partner-examples/lancashire/{f}")
    return build_lancashire(data, tmp_path_factory.mktemp("lancashire")), data


def pdf_pages(path: Path) -> int:
    import subprocess

    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(ln for ln in out.stdout.splitlines() if ln.startswith("Pages:")).split()[1])


def pdf_text(path: Path) -> str:
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout


def needs_poppler() -> None:
    import shutil

    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils (pdfinfo, pdftotext) not installed")
