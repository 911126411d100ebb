"""Indicators from partner data: counts by area, disclosure by audience, withheld data."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from tests.indicators.conftest import BATH, BRISTOL, lsoas, make_workspace, months

from saferplaces.demo import demo_data
from saferplaces.geo import load_areas, to_wgs84
from saferplaces.geo.importer import import_areas
from saferplaces.indicators import partner_templates, workspace_indicators
from saferplaces.indicators.definitions import IndicatorSet, parse_indicator_set
from saferplaces.indicators.editions import publish_edition
from saferplaces.indicators.evaluate import evaluate
from saferplaces.partners.importer import import_file

MONTHS = months("2019-01", 36)
TODAY = dt.date(2022, 1, 15)
BRISTOL_PER_MONTH = 20
BATH_LAST_YEAR = 5  # a small number, only in the latest 12 months


def _points_in(geom: object, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = shapely.bounds(geom)
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < n:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            xs.append(x)
            ys.append(y)
    return to_wgs84(np.array(xs), np.array(ys))


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(8)
    codes = lsoas(BRISTOL, 5) + lsoas(BATH, 5)

    def counts(i: int, m: str) -> dict:
        return {(c, "Violence and sexual offences"): int(rng.poisson(5)) for c in codes}

    root = tmp_path_factory.mktemp("partner")
    ws = make_workspace(root, MONTHS, counts)
    import_areas(ws, demo_data("boundaries", "avon-and-somerset-districts-2011.geojson"),
                 level="lad", code_field="code", name_field="name")  # fmt: skip
    districts = load_areas(ws.lake_dir, "lad")
    asb = root / "council_asb.csv"
    with open(asb, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["incident_ref", "date", "longitude", "latitude"])
        n = 0
        for i, m in enumerate(MONTHS):
            lon, lat = _points_in(districts.geometry(BRISTOL), BRISTOL_PER_MONTH, rng)
            for x, y in zip(lon, lat, strict=True):
                n += 1
                w.writerow([f"A{n}", f"{m}-10", f"{x:.5f}", f"{y:.5f}"])
            if i >= 24 and i - 24 < BATH_LAST_YEAR:
                lon, lat = _points_in(districts.geometry(BATH), 1, rng)
                n += 1
                w.writerow([f"A{n}", f"{m}-11", f"{lon[0]:.5f}", f"{lat[0]:.5f}"])
    assert import_file(ws, "council_asb", asb, today=TODAY).status == "loaded"
    marac = root / "marac.csv"
    with open(marac, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["case_id", "referral_date", "repeat_case", "referral_source"])
        for i, m in enumerate(MONTHS):
            for k in range(10):  # 3 in 10 repeats every month
                w.writerow([f"MC-{i:03d}-{k}", f"{m}-05", "yes" if k < 3 else "no", "police"])
    assert import_file(ws, "marac", marac, today=TODAY).status == "loaded"
    return ws


def _set(ids: list[str]) -> IndicatorSet:
    base = parse_indicator_set(
        "version: 1\nobjectives:\n"
        "  - {id: protect-vulnerable-people, title: P}\n"
        "  - {id: create-safer-communities, title: C}\n"
        "  - {id: reduce-harm, title: R}\nindicators: []\n"
    )
    inds = [t for t in partner_templates() if t.id in ids]
    return IndicatorSet(version=1, objectives=base.objectives, indicators=inds)


def test_templates_activate_only_with_data(ws) -> None:  # type: ignore[no-untyped-def]
    ids = {i.id for i in workspace_indicators(ws).indicators}
    assert {"council-asb-incidents", "marac-repeat-rate"} <= ids
    assert "deliberate-fires" not in ids and "victims-code-compliance" not in ids


def test_partner_counts_by_district_for_analysts(ws) -> None:  # type: ignore[no-untyped-def]
    evals = evaluate(ws, _set(["council-asb-incidents"]), ["lad", "force"], audience="analyst")
    by = {(e.level, e.area_code): e for e in evals}
    assert by[("district", BRISTOL)].value == 12 * BRISTOL_PER_MONTH
    assert by[("district", BATH)].value == BATH_LAST_YEAR
    assert by[("force", "avon-and-somerset")].value == 12 * BRISTOL_PER_MONTH + BATH_LAST_YEAR
    assert len(by[("district", BRISTOL)].series) == 36
    assert any("partner" in c for c in by[("district", BRISTOL)].caveats)


def test_small_numbers_suppressed_with_complement_for_the_public(ws) -> None:  # type: ignore[no-untyped-def]
    evals = evaluate(ws, _set(["council-asb-incidents"]), ["lad"], audience="public")
    by = {e.area_code: e for e in evals}
    # Bath (5) is below the threshold of 10; Bristol must be hidden too, or Bath could be
    # worked out as the force total minus Bristol.
    for code in (BATH, BRISTOL):
        assert by[code].value is None and by[code].numerator is None
        assert "disclosure control" in by[code].reason
    assert all(e.series == [] and "upper" not in e.spc for e in evals)
    text = json.dumps([e.to_dict() for e in evals])
    assert f'"numerator": {BATH_LAST_YEAR}' not in text


def test_restricted_data_withheld_from_public_and_published_editions(ws) -> None:  # type: ignore[no-untyped-def]
    public = evaluate(ws, _set(["marac-repeat-rate"]), ["force"], audience="public")
    assert [e.status for e in public] == ["withheld"] and "restricted" in public[0].reason
    analyst = evaluate(ws, _set(["marac-repeat-rate"]), ["force"], audience="analyst")
    assert analyst[0].value == pytest.approx(30.0)
    assert analyst[0].benchmark and "SafeLives" in analyst[0].benchmark["text"]
    assert "Consistent with" in analyst[0].benchmark["text"]  # 30% vs 32%, n = 120
    info = publish_edition(ws, _set(["marac-repeat-rate", "council-asb-incidents"]),
                           levels=["force"], formats=("csv",))  # fmt: skip
    meta = json.loads((info.path / "edition.json").read_text("utf-8"))
    assert [w["indicator"] for w in meta["withheld"]] == ["marac-repeat-rate"]
    assert {e["indicator"] for e in meta["evaluations"]} == {"council-asb-incidents"}
    assert "marac" not in (info.path / "scorecard.csv").read_text("utf-8")


def test_missing_partner_month_is_not_zero(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    evals = evaluate(ws, _set(["deliberate-fires"]), ["force"], audience="analyst")
    assert evals[0].status == "not computable" and "no data" in evals[0].reason
