"""The public area finder, area pages, briefings links and open-data downloads.

Expected figures are counted here with DuckDB straight from the police.uk files in the test
workspace's lake (the street partitions: one row per CSV row, with its line number), joined to
the bundled ONS LSOA lookup, following the counting rule: a crime is a distinct Crime ID in a
month, counted at its first row; anti-social behaviour is counted in rows (incidents). The base
mart, the cube and the area arrays the pages read are not used.

The committed sample (tests/data/policeuk/avon-sample) holds January to March 2018, almost all
in Bath and North East Somerset (E06000022).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from html import unescape
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.test import Client
from tests.support import TEST_DATA
from tests.web.sample import SAMPLE

from saferplaces.demo import demo_data
from saferplaces.errors import InputError
from saferplaces.geo.importer import import_areas
from saferplaces.geo.postcodes import import_postcodes, read_postcode_lookup
from saferplaces.lake.ingest import ingest
from saferplaces.publish.exports import FORMULA_PREFIXES
from saferplaces.taxonomy import categories
from saferplaces.web.area_data import LATEST, Figure, Window, change_between
from saferplaces.web.datasource import public_data
from saferplaces.workspace import Workspace

pytestmark = pytest.mark.django_db

BATH = "E06000022"
BRISTOL = "E06000023"
FORCE = "avon-and-somerset"
MONTHS = ["2018-01", "2018-02", "2018-03"]
NSPL = TEST_DATA / "geo" / "nspl-sample.csv"


def text_of(response: Any) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def expected(lake_dir: Path, level: str, code: str) -> dict[str, Counter[str]]:
    """Per month: crimes by category slug and ``"asb"`` incidents in one district or MSOA,
    counted by DuckDB from the street partitions and the bundled lookup."""
    lookup = resources.files("saferplaces.geo").joinpath("data", "lsoa2011_lookup.csv.gz")
    column = {"lad": "lad_code", "msoa": "msoa_code"}[level]
    slugs = {label: cat.slug for label, cat in categories().items()}
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW street AS SELECT * FROM read_parquet('{lake_dir}/street/**/*.parquet', "
        "hive_partitioning = true)"
    )
    con.execute(f"CREATE VIEW lk AS SELECT * FROM read_csv('{lookup}', all_varchar = true)")
    crimes = con.execute(
        f"""
        WITH firsts AS (
            SELECT month, crime_id, arg_min(lsoa_code, line) AS lsoa,
                   arg_min(crime_type, line) AS crime_type
            FROM street WHERE crime_id IS NOT NULL AND crime_type <> 'Anti-social behaviour'
            GROUP BY month, crime_id
        )
        SELECT month, crime_type, count(*) FROM firsts JOIN lk ON lk.lsoa_code = firsts.lsoa
        WHERE lk.{column} = ? GROUP BY ALL
        """,
        [code],
    ).fetchall()
    asb = con.execute(
        f"""
        SELECT month, count(*) FROM street JOIN lk ON lk.lsoa_code = street.lsoa_code
        WHERE crime_type = 'Anti-social behaviour' AND lk.{column} = ? GROUP BY ALL
        """,
        [code],
    ).fetchall()
    out: dict[str, Counter[str]] = {m: Counter() for m in MONTHS}
    for month, label, n in crimes:
        out[month][slugs[label]] += n
    for month, n in asb:
        out[month]["asb"] += n
    return out


def crimes_in(counts: dict[str, Counter[str]], months: list[str] = MONTHS) -> int:
    return sum(n for m in months for k, n in counts[m].items() if k != "asb")


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


# --- the finder --------------------------------------------------------------------------------


def test_search_by_name_finds_the_district_first_then_its_neighbourhoods(client: Client) -> None:
    response = client.get("/areas/", {"q": "bath"})
    assert response.status_code == 200
    links = re.findall(
        r'<a class="govuk-link govuk-!-font-weight-bold" href="([^"]+)"', response.content.decode()
    )
    assert links[0] == f"/areas/lad/{BATH}/"
    assert all(link.startswith("/areas/msoa/E02") for link in links[1:])
    assert len(links) == 1 + 27  # Bath and North East Somerset's 27 MSOAs (ONS 2011)
    text = text_of(response)
    assert "28 areas match “bath”" in text
    assert "Neighbourhood (MSOA) in Bath and North East Somerset" in text


def test_search_by_code_is_exact_and_case_blind(client: Client) -> None:
    text = text_of(client.get("/areas/", {"q": "e06000023"}))
    assert "1 area matches “e06000023”" in text
    assert "Bristol, City of District in Avon and Somerset Constabulary · E06000023" in text
    html = client.get("/areas/", {"q": " E02002985 "}).content.decode()
    assert 'href="/areas/msoa/E02002985/"' in html


def test_search_with_no_result_says_so(client: Client) -> None:
    text = text_of(client.get("/areas/", {"q": "Atlantis"}))
    assert "No areas match “Atlantis”" in text
    assert "Check the spelling" in text


def test_search_query_is_escaped(client: Client) -> None:
    probe = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    html = client.get("/areas/", {"q": probe}).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count('value="&lt;script&gt;') == 1  # the search box keeps the query, escaped


def test_postcode_search_without_a_lookup_says_what_it_needs(client: Client) -> None:
    text = text_of(client.get("/areas/", {"q": "BA1 1AA"}))
    assert "postcode search is not available on this site: it needs the ONS postcode lookup" in text
    assert "Searching by postcode is not available on this site" in text


def test_finder_lists_every_area_and_the_map_with_its_data(client: Client) -> None:
    html = client.get("/areas/").content.decode()
    text = text_of(client.get("/areas/"))
    assert "Police force areas (1)" in text and "Districts (9)" in text
    assert "Neighbourhoods (MSOAs) in Bath and North East Somerset (27)" in text
    assert 'data-geojson-url="/data/downloads/lad/counts.geojson"' in html
    assert 'data-link-template="/areas/lad/{code}/"' in html
    assert 'data-list="list-lad"' in html and 'id="list-lad"' in html
    assert html.count("data-area-code=") >= 9 + 211  # every district and MSOA is a link


# --- area pages --------------------------------------------------------------------------------


def test_district_page_figures_match_an_independent_count(
    client: Client, sample_lake: Path
) -> None:
    want = expected(sample_lake, "lad", BATH)
    response = client.get(f"/areas/lad/{BATH}/")
    assert response.status_code == 200
    html = response.content.decode()
    total = crimes_in(want)
    asb = sum(want[m]["asb"] for m in MONTHS)
    assert total > 500 and asb > 100  # the sample is mostly Bath
    assert re.search(rf'data-figure="crimes-latest">{total:,}<', html)
    assert re.search(rf'data-figure="asb-latest">{asb:,}<', html)
    for m in MONTHS:
        row = re.search(rf'data-month="{m}">(.*?)</tr>', html, re.S)
        assert row is not None
        cells = re.findall(r'numeric">([\d,]+)</td>', row.group(1))
        assert cells == [f"{crimes_in(want, [m]):,}", f"{want[m]['asb']:,}"]
    top = re.search(r'data-category="([^"]+)">.*?numeric">([\d,]+)</td>', html, re.S)
    assert top is not None
    by_category = Counter()
    for m in MONTHS:
        by_category.update({k: v for k, v in want[m].items() if k != "asb"})
    slug, count = by_category.most_common(1)[0]
    assert top.groups() == (slug, f"{count:,}")
    text = text_of(response)
    # Residents: Census 2011, 176,016 in Bath and North East Somerset (bundled ONS figures).
    assert "for every 1,000 residents: 176,016 residents, 2011 (ONS, Census 2011)" in text
    assert f"{total / 176016 * 1000:.1f} (95% confidence interval" in text
    assert "Each police.uk crime reference (Crime ID) is counted once." in text
    # Three months held: no change is claimed, and the page says why.
    assert "Not compared: 3 months of data are held" in text
    assert "Only 3 months of data are held" in text


def test_msoa_page_figures_match_an_independent_count(client: Client, sample_lake: Path) -> None:
    want = expected(sample_lake, "msoa", "E02002991")
    html = client.get("/areas/msoa/E02002991/").content.decode()
    assert re.search(rf'data-figure="crimes-latest">{crimes_in(want):,}<', html)
    assert re.search(rf'data-figure="asb-latest">{sum(want[m]["asb"] for m in MONTHS):,}<', html)


@pytest.mark.parametrize(
    "path",
    [
        "/areas/lad/E99999999/",
        "/areas/msoa/E06000022/",  # a district's code at the MSOA level
        "/areas/ward/W1/",  # no such level in this workspace
        "/areas/lad/E99999999/chart.svg",
        "/briefings/lad/E06000023.html",  # no briefing was written for Bristol
        "/briefings/lad/../../saferplaces.toml",
        "/briefings/lad/report.json",  # not a file the briefings' report offers
        "/briefings/Lad/E06000022.html",
        "/data/downloads/ward/counts.csv",
        "/data/downloads/msoa/counts.geojson",  # no MSOA boundaries stored
    ],
)
def test_unknown_areas_files_and_levels_are_not_found(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_parent_and_child_links(client: Client) -> None:
    html = client.get(f"/areas/lad/{BATH}/").content.decode()
    assert 'id="parent-link">Avon and Somerset Constabulary<' in html
    assert f'href="/areas/force/{FORCE}/" id="parent-link"' in html
    kids = re.search(r'id="children-list-msoa">(.*?)</ul>', html, re.S)
    assert kids is not None
    codes = re.findall(r'href="/areas/msoa/(E02\d+)/"', kids.group(1))
    lookup = resources.files("saferplaces.geo").joinpath("data", "lsoa2011_lookup.csv.gz")
    want = duckdb.sql(
        f"SELECT DISTINCT msoa_code FROM read_csv('{lookup}') WHERE lad_code = '{BATH}'"
    ).fetchall()
    assert sorted(codes) == sorted(r[0] for r in want)
    force = client.get(f"/areas/force/{FORCE}/").content.decode()
    districts = re.findall(r'href="/areas/lad/(E0\d+)/"', force)
    assert len(set(districts)) == 9 and BATH in districts
    msoa = client.get("/areas/msoa/E02002991/").content.decode()
    assert f'href="/areas/lad/{BATH}/" id="parent-link"' in msoa
    # Breadcrumbs: force, then district.
    crumbs = re.findall(r'govuk-breadcrumbs__link" href="([^"]+)"', msoa)
    assert crumbs == ["/", "/areas/", f"/areas/force/{FORCE}/", f"/areas/lad/{BATH}/"]


def test_district_page_links_its_briefing_and_the_briefing_is_served(client: Client) -> None:
    html = client.get(f"/areas/lad/{BATH}/").content.decode()
    assert (
        f'href="/briefings/lad/{BATH}.html">Read the briefing for Bath and North East Somerset<'
        in html
    )
    assert "Download the briefing as a PDF" not in html  # the test briefing has no PDF
    response = client.get(f"/briefings/lad/{BATH}.html")
    assert response.status_code == 200
    page = b"".join(response.streaming_content).decode()
    assert "Bath and North East Somerset" in page
    csp = response["Content-Security-Policy"]
    assert "script-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert "'unsafe-hashes' 'sha256-" in csp
    # Every style attribute of the briefing is allowed by one of the hashes, nothing else.
    import base64
    import hashlib

    for style in set(re.findall(r'style="([^"]*)"', page)):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp, style
    response.close()
    css = client.get("/briefings/lad/assets/briefing.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    css.close()
    bristol = client.get(f"/areas/lad/{BRISTOL}/").content.decode()
    assert "Neighbourhood briefing" not in bristol


def test_area_chart_is_svg_with_a_text_alternative(client: Client) -> None:
    response = client.get(f"/areas/lad/{BATH}/chart.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")
    html = client.get(f"/areas/lad/{BATH}/").content.decode()
    img = re.search(r'<img class="app-chart" src="/areas/lad/E06000022/chart.svg"[^>]*>', html)
    assert img is not None
    assert (
        'alt="Line chart of crimes and anti-social behaviour incidents each month in Bath and '
        "North East Somerset, January 2018 to March 2018. The same figures are in the table "
        'below."'
    ) in img.group(0)
    assert 'id="monthly-table"' in html


def test_area_page_map_points_at_the_level_geojson(client: Client) -> None:
    html = client.get(f"/areas/lad/{BATH}/").content.decode()
    assert f'data-focus="{BATH}"' in html
    assert "maplibre-gl-csp-5.24.1.min.js" in html and "saferplaces/map.js" in html
    assert "pmtiles" not in html  # no basemap unless configured
    force = client.get(f"/areas/force/{FORCE}/").content.decode()
    # The force has no stored boundary: its districts' map, with the page's list of them.
    assert 'data-list="children-list-lad"' in force
    msoa = client.get("/areas/msoa/E02002991/").content.decode()
    assert "data-map" not in msoa and "maplibre" not in msoa  # no MSOA boundaries stored


# --- change statements ---------------------------------------------------------------------


def _windows(missing: list[str] | None = None) -> tuple[Window, Window]:
    months = [f"{y}-{m:02d}" for y in (2019, 2020) for m in range(1, 13)]
    gone = missing or []
    return (
        Window("latest", months[12:], [m for m in months[12:] if m in gone]),
        Window("previous", months[:12], [m for m in months[:12] if m in gone]),
    )


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (1000, 1200, "up"),  # E-test p far below 0.05
        (1200, 1000, "down"),
        (1000, 1030, "same"),  # within chance
        (4, 9, "too-few"),
    ],
)
def test_a_change_is_called_a_change_only_when_the_test_says_so(
    before: int, after: int, kind: str
) -> None:
    latest, previous = _windows()
    change = change_between(Figure(before, 0), Figure(after, 0), latest, previous, "crimes")
    assert change.kind == kind
    if kind in {"up", "down", "same"}:
        assert change.test is not None and change.p_value is not None
        assert (change.p_value < 0.05) == (kind != "same")


def test_no_change_is_claimed_across_a_missing_month_or_a_hidden_total() -> None:
    latest, previous = _windows(["2019-07"])
    change = change_between(Figure(1000, 0), Figure(1500, 0), latest, previous, "crimes")
    assert change.kind == "not-compared" and "July 2019" in change.text
    latest, previous = _windows()
    hidden = change_between(Figure(None, 1), Figure(1500, 0), latest, previous, "crimes")
    assert hidden.kind == "not-compared" and "disclosure control" in hidden.text


# --- downloads ---------------------------------------------------------------------------------


def test_downloads_page_shows_licence_and_provenance(client: Client, sample_lake: Path) -> None:
    response = client.get("/data/downloads/")
    text = text_of(response)
    assert "Open Government Licence v3.0" in text
    assert "Crime and anti-social behaviour data: police.uk (data.police.uk)" in text
    assert "Contains OS data © Crown copyright and database right." in text
    assert "police.uk data is published as open data: no figure is suppressed." in text
    html = response.content.decode()
    for level in ("force", "lad", "msoa"):
        assert f'href="/data/downloads/{level}/counts.csv"' in html
    assert 'href="/data/downloads/lad/boundaries.geojson"' in html
    assert 'href="/data/downloads/msoa/boundaries.geojson"' not in html
    # Each police.uk file as loaded: name and SHA-256 from the lake's partition provenance.
    for month in MONTHS:
        name = f"{month}-avon-and-somerset-street.csv"
        digest = _sha256(SAMPLE / month / name)
        assert name in text and digest in text
    assert str(sample_lake.parent) not in text  # file names only, never server folders


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_counts_csv_parses_matches_the_count_and_is_described(
    client: Client, sample_lake: Path
) -> None:
    response = client.get("/data/downloads/lad/counts.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response["Link"] == (
        '</data/downloads/lad/counts.csv-metadata.json>; rel="describedby"; '
        'type="application/csvm+json"'
    )
    rows = csv_rows(response)
    assert list(rows[0]) == [
        "level", "area_code", "area_name", "parent_code", "month", "category",
        "category_label", "unit", "count", "status",
    ]  # fmt: skip
    want = expected(sample_lake, "lad", BATH)
    bath = [r for r in rows if r["area_code"] == BATH]
    for m in MONTHS:
        got = {r["category"]: int(r["count"]) for r in bath if r["month"] == m}
        assert got["all-crime"] == crimes_in(want, [m])
        assert got["anti-social-behaviour"] == want[m]["asb"]
        for slug, n in want[m].items():
            if slug != "asb":
                assert got[slug] == n, (m, slug)
    assert {r["status"] for r in rows} == {"published"}
    assert {r["unit"] for r in rows if r["category"] == "anti-social-behaviour"} == {"incidents"}
    # Every area × every node × every month: a complete grid.
    n_nodes = len({r["category"] for r in rows})
    assert len(rows) == 9 * n_nodes * 3
    meta = client.get("/data/downloads/lad/counts.csv-metadata.json").json()
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    assert meta["url"].endswith("/data/downloads/lad/counts.csv")
    assert meta["dc:license"] == {
        "@id": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    }
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == list(rows[0])
    assert {d["rdfs:label"].split("!")[-1] for d in meta["prov:wasDerivedFrom"]} == {
        f"{m}-avon-and-somerset-street.csv" for m in MONTHS
    }


def test_counts_json_and_geojson_carry_licence_provenance_and_the_same_figures(
    client: Client, sample_lake: Path
) -> None:
    doc = client.get("/data/downloads/lad/counts.json").json()
    meta = doc["meta"]
    assert meta["licence"]["name"] == "Open Government Licence v3.0"
    assert meta["disclosure"] == {
        "min_cell_size": 0,
        "mode": "raw",
        "rule": "police.uk data is published as open data: no figure is suppressed.",
        "notes": [],
    }
    files = meta["provenance"]["policeuk"]
    assert [f["month"] for f in files] == MONTHS
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) and f["ingested_at"] for f in files)
    assert meta["provenance"]["boundaries"]["source_file"] == (
        "avon-and-somerset-districts-2011.geojson"
    )
    assert doc["months"] == MONTHS
    want = expected(sample_lake, "lad", BATH)
    bath = next(a for a in doc["areas"] if a["code"] == BATH)
    assert bath["counts"]["all-crime"] == [crimes_in(want, [m]) for m in MONTHS]
    assert bath["counts"]["anti-social-behaviour"] == [want[m]["asb"] for m in MONTHS]
    assert bath["residents"] == 176016

    gj = client.get("/data/downloads/lad/counts.geojson").json()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 9
    assert gj["metadata"]["licence"]["name"] == "Open Government Licence v3.0"
    assert "Contains OS data © Crown copyright and database right." in gj["metadata"]["attribution"]
    feature = next(f for f in gj["features"] if f["properties"]["code"] == BATH)
    assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    ring = feature["geometry"]["coordinates"][0]
    ring = ring[0] if feature["geometry"]["type"] == "MultiPolygon" else ring
    assert ring[0] == ring[-1] and all(-3.7 < x < -2.2 and 50.8 < y < 51.7 for x, y in ring)
    props = feature["properties"]
    assert props["crimes"] == crimes_in(want)
    assert props["rate_per_1000"] == round(crimes_in(want) / 176016 * 1000, 2)
    assert props["suppressed"] == []
    shapes = client.get("/data/downloads/lad/boundaries.geojson").json()
    assert {f["properties"]["code"] for f in shapes["features"]} == {
        f["properties"]["code"] for f in gj["features"]
    }
    assert "crimes" not in shapes["features"][0]["properties"]


# --- a workspace of its own: an imported level, postcodes, a formula in a name --------------

WARDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "W1", "name": '=HYPERLINK("http://evil.example","x")'},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [-2.38, 51.37],
                        [-2.34, 51.37],
                        [-2.34, 51.395],
                        [-2.38, 51.395],
                        [-2.38, 51.37],
                    ]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"code": "W2", "name": "<b>Widcombe</b> & Lyncombe"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[-2.34, 51.35], [-2.30, 51.35], [-2.30, 51.37], [-2.34, 51.37], [-2.34, 51.35]]
                ],
            },
        },
    ],
}


def _workspace(root: Path, *, min_cell_size: int = 0, basemap: bool = False) -> Workspace:
    ws = Workspace.create(root, "Areas test partnership", forces=[FORCE])
    path = ws.root / "saferplaces.toml"
    text = path.read_text("utf-8")
    if min_cell_size:
        text = text.replace("min_cell_size = 0", f"min_cell_size = {min_cell_size}")
    if basemap:
        text = text.replace('basemap_pmtiles = ""', 'basemap_pmtiles = "/basemap/uk.pmtiles"')
        text = text.replace('basemap_attribution = ""', 'basemap_attribution = "© OSM <b>x</b>"')
    path.write_text(text, "utf-8")
    ws = Workspace.open(ws.root)
    assert ingest(ws.lake_dir, [SAMPLE]).ok
    import_areas(
        ws,
        demo_data("boundaries", "avon-and-somerset-districts-2011.geojson"),
        level="lad",
        code_field="code",
        name_field="name",
        vintage="2011",
    )
    return ws


@pytest.fixture(scope="module")
def own_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = _workspace(tmp_path_factory.mktemp("areas") / "ws")
    wards = ws.root / "wards.geojson"
    wards.write_text(json.dumps(WARDS), "utf-8")
    import_areas(ws, wards, level="ward", code_field="code", name_field="name")
    import_postcodes(ws.lake_dir, NSPL)
    return ws


@pytest.fixture
def own(own_workspace: Workspace, settings: Any) -> Workspace:
    settings.SAFERPLACES_WORKSPACE = str(own_workspace.root)
    return own_workspace


def test_imported_levels_are_offered_searched_and_escaped(client: Client, own: Workspace) -> None:
    text = text_of(client.get("/areas/"))
    assert "Wards (2)" in text
    html = client.get("/areas/", {"q": "widcombe"}).content.decode()
    assert "&lt;b&gt;Widcombe&lt;/b&gt; &amp; Lyncombe" in html and "<b>Widcombe" not in html
    assert 'href="/areas/ward/W2/"' in html
    page = client.get("/areas/ward/W1/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'href="/areas/lad/{BATH}/" id="parent-link"' in body  # the ward lies in Bath
    assert "&quot;http://evil.example&quot;" in body
    # Points in the ward are counted (point-in-polygon, the mart's rules).
    assert re.search(r'data-figure="crimes-latest">[1-9][\d,]*<', body)
    bath = client.get(f"/areas/lad/{BATH}/").content.decode()
    assert 'id="children-list-ward"' in bath


def test_a_name_that_is_a_formula_is_made_inert_in_the_csv(client: Client, own: Workspace) -> None:
    rows = csv_rows(client.get("/data/downloads/ward/counts.csv"))
    names = {r["area_name"] for r in rows}
    assert names == {'\'=HYPERLINK("http://evil.example","x")', "<b>Widcombe</b> & Lyncombe"}
    for r in rows:
        for value in r.values():
            assert not value.lstrip(" ").startswith(FORMULA_PREFIXES), value


def test_postcode_search_finds_the_areas_of_a_postcode_district(
    client: Client, own: Workspace
) -> None:
    text = text_of(client.get("/areas/", {"q": "ba2 3ab"}))
    # BA2 in the test lookup: two live postcodes, both in MSOA E02002985 of Bath.
    district = "District in Avon and Somerset Constabulary · E06000022 · 100% of postcodes in BA2"
    msoa = "in Bath and North East Somerset · E02002985 · 100% of postcodes in BA2"
    assert f"Bath and North East Somerset {district}" in text
    assert f"Bath and North East Somerset 001 Neighbourhood (MSOA) {msoa}" in text
    ba1 = text_of(client.get("/areas/", {"q": "BA1"}))
    # BA1: three live postcodes in E01014370 (MSOA E02002991), one in E01014404 (E02002986);
    # the terminated BA1 9ZZ is not counted.
    assert "E02002991 · 75% of postcodes in BA1" in ba1
    assert "E02002986 · 25% of postcodes in BA1" in ba1
    assert "Enter a postcode (such as BS1 4ST)" in ba1
    london = text_of(client.get("/areas/", {"q": "SW1A 1AA"}))
    assert "The postcode district SW1A is not in this partnership's area." in london
    unknown = text_of(client.get("/areas/", {"q": "ZZ9 9ZZ"}))
    assert "ZZ9 is not a postcode district in the postcode lookup." in unknown


def test_suppression_applies_to_pages_downloads_and_the_api(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    ws = _workspace(tmp_path / "ws", min_cell_size=10)
    settings.SAFERPLACES_WORKSPACE = str(ws.root)
    rows = csv_rows(client.get("/data/downloads/msoa/counts.csv"))
    published = [int(r["count"]) for r in rows if r["status"] == "published"]
    hidden = [r for r in rows if r["status"] == "suppressed"]
    assert hidden and all(r["count"] == "" for r in hidden)
    assert not [n for n in published if 0 < n < 10]  # no small number is ever shown
    # No hidden figure can be worked out by subtracting from a published total: a published
    # all-crime month has no hidden category or at least two, and a published 12-month total
    # (here the three months held) no hidden month or at least two.
    doc = client.get("/data/downloads/msoa/counts.json").json()
    assert doc["meta"]["disclosure"]["mode"] == "controlled"
    assert doc["meta"]["disclosure"]["min_cell_size"] == 10
    table = public_data().open_table("msoa")
    assert table is not None
    crime_slugs = [s for s, _ in table.crime_categories]
    for area in doc["areas"]:
        counts = area["counts"]
        for t in range(len(MONTHS)):
            if counts["all-crime"][t] is not None:
                assert sum(counts[s][t] is None for s in crime_slugs) != 1, area["code"]
        for node, values in counts.items():
            if table.figure(area["code"], node, LATEST).published:
                assert sum(v is None for v in values) != 1, (area["code"], node)
    text = text_of(client.get("/data/downloads/"))
    assert "Counts from 1 to 9 are suppressed" in text
    page = text_of(client.get("/areas/msoa/E02002991/"))
    assert "Not shown" in page
    api = client.get("/api/counts", {"level": "msoa", "area": "E02002991"}).json()
    assert not [v for v in api["total"] if v is not None and 0 < v < 10]


# --- the postcode lookup importer ------------------------------------------------------------


def test_postcode_lookup_is_read_from_the_nspl_layout() -> None:
    table, report = read_postcode_lookup(NSPL)
    assert report.rows_read == 10
    assert (report.postcodes, report.terminated, report.outside) == (7, 1, 2)
    assert report.districts == 3 and report.vintages == (2011,)
    rows = sorted(zip(*table.to_pydict().values(), strict=True))
    assert rows == [
        ("BA1", 2011, "E01014370", 3),
        ("BA1", 2011, "E01014404", 1),
        ("BA2", 2011, "E01014399", 1),
        ("BA2", 2011, "E01014400", 1),
        ("SW1A", 2011, "E01004736", 1),
    ]


def _nspl_lines() -> list[str]:
    return NSPL.read_text("utf-8").splitlines()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, rows: [h.replace("pcds", "postcode"), *rows], "missing column pcds"),
        (
            lambda h, rows: [h.replace("lsoa11", "lsoa"), *rows],
            "missing column lsoa21 or lsoa11",
        ),
        (
            lambda h, rows: [h.replace(",laua,", ",district,"), *rows],
            "missing column laua or oslaua or lad",
        ),
        (lambda h, rows: [h, rows[0], rows[1][:-3], *rows[2:]], "line 3: expected 41 fields"),
        (
            lambda h, rows: [h, *rows[:3], rows[3].replace(",BA1 2AA,", ",BA12AA,"), *rows[4:]],
            "line 5: column pcds: 'BA12AA' is not a postcode",
        ),
        (lambda h, rows: [], "the file is empty"),
        (lambda h, rows: [h], "no postcode in England or Wales"),
    ],
)
def test_postcode_lookup_bad_input_names_the_file_and_line(
    tmp_path: Path, change: Any, message: str
) -> None:
    header, *rows = _nspl_lines()
    path = tmp_path / "NSPL_bad.csv"
    path.write_text("\n".join(change(header, rows)) + "\n", "utf-8")
    with pytest.raises(InputError) as err:
        read_postcode_lookup(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_a_failed_postcode_import_keeps_the_stored_lookup(tmp_path: Path) -> None:
    from saferplaces.geo.postcodes import PostcodeDistricts

    lake = tmp_path / "lake"
    import_postcodes(lake, NSPL)
    bad = tmp_path / "bad.csv"
    bad.write_text("pcds,laua\nBA1 1AA,E06000022\n", "utf-8")
    with pytest.raises(InputError):
        import_postcodes(lake, bad)
    stored = PostcodeDistricts.load(lake)
    assert stored is not None and stored.known("BA1") and stored.known("sw1a")


def test_postcode_import_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from saferplaces.cli import main

    ws = Workspace.create(tmp_path / "ws", "Postcodes", forces=[FORCE])
    ok = CliRunner().invoke(
        main, ["areas", "postcodes", "import", str(NSPL), "--workspace", str(ws.root)]
    )
    assert ok.exit_code == 0, ok.output
    assert "Imported 7 live postcodes in England and Wales from nspl-sample.csv" in " ".join(
        ok.output.split()
    )
    assert "skipped 1 terminated and 2 outside England and Wales" in " ".join(ok.output.split())
    bad = tmp_path / "bad.csv"
    bad.write_text("pcds,laua\nBA1 1AA,E06000022\n", "utf-8")
    refused = CliRunner().invoke(
        main, ["areas", "postcodes", "import", str(bad), "--workspace", str(ws.root)]
    )
    assert refused.exit_code != 0
    assert f"{bad}, line 1: missing column lsoa21 or lsoa11" in " ".join(refused.output.split())


def test_the_api_serves_the_open_data_documents(client: Client) -> None:
    counts = client.get("/api/open-data/lad/counts")
    assert counts.status_code == 200 and counts["Content-Type"] == "application/json"
    assert counts.content == client.get("/data/downloads/lad/counts.json").content
    gj = client.get("/api/open-data/lad/geojson")
    assert gj["Content-Type"] == "application/geo+json"
    assert gj.json()["metadata"]["licence"]["name"] == "Open Government Licence v3.0"
    assert client.get("/api/open-data/msoa/geojson").status_code == 404  # no MSOA boundaries
    assert client.get("/api/open-data/parish/counts").status_code == 400
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/open-data/{level}/counts", "/api/open-data/{level}/geojson"} <= set(paths)


def test_a_configured_basemap_reaches_the_maps(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    ws = _workspace(tmp_path / "ws", basemap=True)
    settings.SAFERPLACES_WORKSPACE = str(ws.root)
    html = client.get("/areas/").content.decode()
    assert 'data-basemap-pmtiles="/basemap/uk.pmtiles"' in html
    assert 'data-basemap-attribution="© OSM &lt;b&gt;x&lt;/b&gt;"' in html
    assert "vendor/pmtiles-4.5.0.min.js" in html


def test_a_missing_month_is_shown_as_missing_never_as_zero(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    import shutil

    sample = tmp_path / "sample"
    for month in ("2018-01", "2018-03"):  # police.uk "published nothing" for February
        shutil.copytree(SAMPLE / month, sample / month)
    ws = Workspace.create(tmp_path / "ws", "Gap", forces=[FORCE])
    assert ingest(ws.lake_dir, [sample]).ok
    settings.SAFERPLACES_WORKSPACE = str(ws.root)
    html = client.get(f"/areas/lad/{BATH}/").content.decode()
    row = re.search(r'data-month="2018-02">(.*?)</tr>', html, re.S)
    assert row is not None and "No data: police.uk published nothing for this month" in row.group(1)
    text = text_of(client.get(f"/areas/lad/{BATH}/"))
    assert "with 1 month missing from police.uk" in text
    assert "police.uk has no data for February 2018" in text
    rows = csv_rows(client.get("/data/downloads/lad/counts.csv"))
    feb = [r for r in rows if r["month"] == "2018-02"]
    assert feb and all(r["count"] == "" and r["status"] == "no data" for r in feb)
    doc = client.get("/data/downloads/lad/counts.json").json()
    assert doc["meta"]["months"]["missing"] == ["2018-02"]


def test_an_empty_lake_has_no_areas_yet(client: Client, settings: Any, tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws", "Empty", forces=[FORCE])
    settings.SAFERPLACES_WORKSPACE = str(ws.root)
    assert "No police.uk data has been loaded yet" in text_of(client.get("/areas/"))
    assert "nothing to download" in text_of(client.get("/data/downloads/"))
    assert client.get(f"/areas/lad/{BATH}/").status_code == 404
    assert client.get("/data/downloads/lad/counts.csv").status_code == 404
