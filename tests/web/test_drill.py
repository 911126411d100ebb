"""The dashboard's drill-down (dashboard/drill.py): force → district → MSOA → LSOA over the
test workspace's police.uk sample, checked against counts made straight from the sample CSVs."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client
from tests.web.test_pages import EXPECTED, signed_in, text_of

from saferplaces.geo.lookups import lsoa_lookup
from saferplaces.web.drilldown_data import CHILD_LEVEL

pytestmark = pytest.mark.django_db
FORCE = "avon-and-somerset"
MONTHS = sorted(EXPECTED)


def _csv_counts(level: str, category: str = "") -> dict[str, int]:
    """Distinct Crime IDs per area of ``level`` over the sample, from the CSVs and the ONS
    lookup (not from the lake)."""
    from tests.web.sample import SAMPLE

    lk = lsoa_lookup(2011)
    first: dict[tuple[str, str], dict[str, str]] = {}  # a repeated ID counts at its first row
    for path in sorted(SAMPLE.rglob("*-street.csv")):
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                if row["Crime ID"]:
                    first.setdefault((row["Month"], row["Crime ID"]), row)
    out: dict[str, int] = {}
    for row in first.values():
        lsoa = row["LSOA code"]
        if not lsoa or (category and row["Crime type"] != category):
            continue
        code = lsoa if level == "lsoa" else lk.map([lsoa], level)[0]
        if code is not None:
            out[str(code)] = out.get(str(code), 0) + 1
    return out


def _table(html: str) -> dict[str, int]:
    """Area code → its latest-12-months figure, from the children table's links and cells."""
    out = {}
    for code, latest in re.findall(
        r'data-area-code="([^"]+)"[^>]*>[^<]*</a></td>\s*<td[^>]*>([\d,]+)</td>', html
    ):
        out[code] = int(latest.replace(",", ""))
    return out


def test_the_force_page_lists_its_districts_with_their_counts() -> None:
    client = signed_in("partner")
    start = client.get("/dashboard/areas/")
    assert start.status_code == 302 and start["Location"] == f"/dashboard/areas/force/{FORCE}/"
    page = client.get(start["Location"])
    assert page.status_code == 200
    districts = _table(page.content.decode())
    counts = _csv_counts("lad")
    # Every district of the force (by the lookup), with or without crimes in the sample; a
    # crime police.uk places outside the force (one in Basildon here) is in none of them.
    expected = {c: counts.get(c, 0) for c in lsoa_lookup(2011).children("force", FORCE, "lad")}
    assert districts == expected and len(districts) == 9
    assert sum(districts.values()) < sum(counts.values())
    text = text_of(page)
    # Three months held: no comparison and no yearly rate, said in words.
    assert "Not compared: 3 months of data are held" in text
    assert "the latest 12 months are not all held" in text


@pytest.mark.parametrize("level", ["lad", "msoa"])
def test_each_level_drills_into_the_next(level: str) -> None:
    client = signed_in("analyst")
    counts = _csv_counts(level)
    code = max(counts, key=lambda c: counts[c])  # the busiest area of the level
    page = client.get(f"/dashboard/areas/{level}/{code}/")
    assert page.status_code == 200
    children = _table(page.content.decode())
    child_counts = _csv_counts(CHILD_LEVEL[level])
    assert children == {
        c: child_counts.get(c, 0)
        for c in lsoa_lookup(2011).children(level, code, CHILD_LEVEL[level])
    }
    assert sum(children.values()) == counts[code]
    # The breadcrumb leads back up to the force.
    assert f'href="/dashboard/areas/force/{FORCE}/"' in page.content.decode()


def test_an_lsoa_is_the_bottom_and_a_category_filters() -> None:
    client = signed_in("partner")
    counts = _csv_counts("lsoa", "Burglary")
    code = max(counts, key=lambda c: counts[c])
    page = client.get(f"/dashboard/areas/lsoa/{code}/?category=burglary")
    assert page.status_code == 200
    text = text_of(page)
    assert "there is no level below" in text
    assert f"{counts[code]:,} burglary" in text


def test_exports_hold_the_same_rows_and_are_formula_safe() -> None:
    client = signed_in("partner")
    response = client.get(f"/dashboard/areas/force/{FORCE}/export.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["code"] == FORCE
    districts = {r["code"]: int(r["crimes_latest_12_months"]) for r in rows[1:]}
    counts = _csv_counts("lad")
    assert districts == {
        c: counts.get(c, 0) for c in lsoa_lookup(2011).children("force", FORCE, "lad")
    }
    xlsx = client.get(f"/dashboard/areas/force/{FORCE}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_unknown_areas_levels_and_categories_are_404(workspace: Any) -> None:
    client = signed_in("partner")
    for url in (
        "/dashboard/areas/lad/E99999999/",
        "/dashboard/areas/ward/E05000001/",
        f"/dashboard/areas/force/{FORCE}/?category=<b>x</b>",
    ):
        assert client.get(url).status_code == 404


def test_only_partners_may_drill_down() -> None:
    assert signed_in("parish_council").get("/dashboard/areas/").status_code == 403
    assert Client().get("/dashboard/areas/").status_code == 302


@pytest.fixture(scope="module")
def ward_workspace(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sample with the partnership's own wards (two drawn areas in Bath)."""
    import json

    from tests.web.test_areas import WARDS, _workspace

    from saferplaces.geo.importer import import_areas

    ws = _workspace(tmp_path_factory.mktemp("drill") / "ws")
    wards = ws.root / "wards.geojson"
    wards.write_text(json.dumps(WARDS), "utf-8")
    import_areas(ws, wards, level="ward", code_field="code", name_field="name")
    return ws


def test_a_district_lists_the_partnerships_own_wards_too(
    ward_workspace: Any, settings: Any
) -> None:
    settings.SAFERPLACES_WORKSPACE = str(ward_workspace.root)
    client = signed_in("partner")
    bath = client.get("/dashboard/areas/lad/E06000022/").content.decode()
    assert 'id="children-table-ward"' in bath
    assert 'href="/dashboard/areas/ward/W2/"' in bath
    assert "&lt;b&gt;Widcombe&lt;/b&gt; &amp; Lyncombe" in bath  # a name is text, not HTML
    ward = client.get("/dashboard/areas/ward/W2/")
    assert ward.status_code == 200
    text = text_of(ward)
    assert "LSOAs and MSOAs do not nest inside it" in text
    crumbs = ward.content.decode().split('class="govuk-breadcrumbs"')[1].split("</nav>")[0]
    assert "Bath and North East Somerset" in crumbs and "Avon and Somerset" in crumbs
