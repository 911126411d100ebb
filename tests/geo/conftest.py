"""Fixtures for the geography tests: real boundaries and incidents, read once per session."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from tests.support import TEST_DATA, shared

from saferplaces.geo import Areas, read_boundaries
from saferplaces.workspace import Workspace

GEO_DATA = TEST_DATA / "geo"
LAD_SHP = "reference/boundaries/lad2011-england-generalised/england_lad_2011_gen.shp"
WARDS = "partner-examples/lancashire/lancashire_wards.gpkg"
DISTRICTS = "partner-examples/lancashire/lancashire_districts.geojson"
ASB = "partner-examples/lancashire/lancashire_asb.tab"

# The nine Avon and Somerset districts (LAD 2011 codes).
AVON_AND_SOMERSET = {
    "E06000022": "Bath and North East Somerset",
    "E06000023": "Bristol, City of",
    "E06000024": "North Somerset",
    "E06000025": "South Gloucestershire",
    "E07000187": "Mendip",
    "E07000188": "Sedgemoor",
    "E07000189": "South Somerset",
    "E07000190": "Taunton Deane",
    "E07000191": "West Somerset",
}


@pytest.fixture(scope="session")
def lads() -> Areas:
    return read_boundaries(
        shared(LAD_SHP), level="lad", code_field="label", name_field="name", vintage="2011"
    ).areas


@pytest.fixture(scope="session")
def wards() -> Areas:
    return read_boundaries(
        shared(WARDS), level="ward", code_field="ward_code", name_field="ward_name"
    ).areas


@pytest.fixture(scope="session")
def districts() -> Areas:
    return read_boundaries(
        shared(DISTRICTS), level="lad", code_field="objectid", name_field="district"
    ).areas


@pytest.fixture(scope="session")
def asb() -> dict[str, np.ndarray]:
    with open(shared(ASB), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))

    def num(v: str) -> float:
        return float(v) if v.strip() else np.nan

    return {
        "lon": np.array([num(r["longitude"]) for r in rows]),
        "lat": np.array([num(r["latitude"]) for r in rows]),
        "lsoa": np.array([r["lsoa_code"] or None for r in rows], dtype=object),
    }


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.create(
        tmp_path / "ws", "Bristol CSP", forces=["avon-and-somerset"], areas=["E06000023"]
    )
