"""The Lancashire partner example: 56,434 ASB incidents of 2022 in 271 drawn wards.

Ward counts come from point-in-polygon; they are checked against an independent count made
here with geopandas. Only 12 months exist, so every briefing must say that the trend is short
and that no comparison with the year before is possible.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.briefings.conftest import needs_poppler, pdf_pages, pdf_text

from saferplaces import Workspace
from saferplaces.briefings import BriefingSet, generate_briefings, render_html

pytestmark = pytest.mark.slow


def independent_ward_counts(data: Path) -> dict[str, int]:
    """ASB incidents per ward by geopandas: points within each ward; a point on a shared
    edge goes to the ward with the lowest code (the rule SaferPlaces documents)."""
    gpd = pytest.importorskip("geopandas")
    pd = pytest.importorskip("pandas")
    rows = pd.read_csv(data / "lancashire_asb.tab", sep="\t")
    points = gpd.GeoDataFrame(
        rows, geometry=gpd.points_from_xy(rows.longitude, rows.latitude), crs="EPSG:4326"
    ).to_crs("EPSG:27700")
    wards = gpd.read_file(data / "lancashire_wards.gpkg")[["ward_code", "geometry"]]
    joined = gpd.sjoin(points, wards, how="inner", predicate="intersects")
    first = joined.reset_index().sort_values(["index", "ward_code"]).drop_duplicates("index")
    return {str(k): int(v) for k, v in first.groupby("ward_code").size().items()}


def test_lancashire_ward_briefings(lancashire: tuple[Workspace, Path], tmp_path: Path) -> None:
    ws, data = lancashire
    b = BriefingSet.prepare(ws, "ward")
    assert len(b.codes) == 271
    expected = independent_ward_counts(data)
    assert sum(expected.values()) > 50_000
    contents = {code: b.content(code) for code in b.codes}
    got = {c: contents[c]["measures"][0]["count"] for c in b.codes}
    assert all(contents[c]["measures"][0]["id"] == "asb" for c in b.codes)  # no crime data
    assert got == {c: expected.get(c, 0) for c in b.codes}

    c = contents["E05001643"]  # Anchorsholme, Blackpool
    assert c["period"]["label"] == "the 12 months to Dec 2022"
    assert c["period"]["months_held"] == 12 and not c["period"]["comparison_available"]
    assert c["measures"][0]["change"]["kind"] == "not-compared"
    assert c["headline"]["title"].startswith(f"{got['E05001643']:,} anti-social behaviour")
    assert (
        "cannot yet be compared with the same months a year earlier"
        in (c["headline"]["sentences"][0])
    )
    assert c["trend_note"].startswith("Only 12 months of data are held, so the trend is short")
    assert c["data"]["note"].startswith("This workspace holds anti-social behaviour incidents only")
    assert not c["outcomes"]["available"]
    # Rates per 1,000 from the ward population file; the district from the ward's points.
    assert c["population"]["label"].startswith("population, 2020")
    assert c["area"]["parent"]["name"] == "Blackpool"
    assert c["measures"][0]["parent_versus"] in ("higher", "lower", "similar")
    # 26 wards are newer than the population file: counts, and the reason there is no rate.
    no_pop = [k for k, v in contents.items() if not v["population"]["available"]]
    assert len(no_pop) == 26
    assert contents[no_pop[0]]["measures"][0]["rate"] is None
    assert any("have no figure for this ward" in cv for cv in contents[no_pop[0]]["caveats"])
    assert any(cv.startswith("Every crime and incident in the force's data") for cv in c["caveats"])

    html = render_html(c)
    flat = " ".join(html.split())
    assert "Only 12 months of data are held, so the trend is short" in flat
    assert "No comparison yet" in flat

    # PDFs for three wards (the smallest, the largest, one without a population), in parallel.
    needs_poppler()
    small = min(got, key=lambda k: (got[k], k))
    large = max(got, key=lambda k: (got[k], k))
    report = generate_briefings(ws, "ward", tmp_path, areas=[small, large, no_pop[0]], workers=2)
    assert report.ok and len(report.written) == 3
    for r in report.written:
        pdf = tmp_path / f"{r.code}.pdf"
        assert 1 < pdf_pages(pdf) <= 5
        text = " ".join(pdf_text(pdf).split())
        assert contents[r.code]["area"]["name"] in text
        assert "Only 12 months of data are held" in text
        assert "Open Government Licence v3.0" in text
