"""The dashboard's hotspot map (dashboard/maps.py) over the test workspace's police.uk sample:
the page, its choices, the GeoJSON and the equality notes beside the map."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from tests.web.test_pages import EXPECTED, signed_in, text_of

from saferplaces.hotspots import police_hotspots

pytestmark = pytest.mark.django_db


def test_partner_sees_the_map_the_notes_and_the_hot_squares(workspace: Any) -> None:
    client = signed_in("partner")
    page = client.get("/dashboard/hotspots/?months=3&cell_size=1000")
    assert page.status_code == 200
    text = text_of(page)
    assert "Read before using this map: equality and data checks" in text
    assert "not a forecast" in text
    assert "drugs or possession of weapons" in text  # the proactive-share check ran
    html = page.content.decode()
    assert (
        'data-geojson-url="/dashboard/hotspots.geojson?months=3&amp;category=&amp;cell_size=1000"'
        in html
    )
    assert 'id="hot-cells"' in html  # the no-JavaScript list of hot squares


def test_geojson_counts_every_located_crime_in_the_sample(workspace: Any) -> None:
    client = signed_in("partner")
    response = client.get("/dashboard/hotspots.geojson?months=3&cell_size=1000")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    geo = json.loads(response.content)
    crimes = sum(f["properties"]["crimes"] for f in geo["features"])
    direct = police_hotspots(workspace, sorted(EXPECTED)[-3:], cell_size=1000)
    assert crimes == direct.crimes_located > 0
    assert geo["meta"]["cell_size_m"] == 1000 and geo["meta"]["notes"][:2] == direct.notes[:2]
    first = geo["features"][0]
    assert first["geometry"]["type"] == "Polygon" and len(first["geometry"]["coordinates"][0]) == 5


def test_a_category_with_too_few_crimes_shows_counts_only(workspace: Any) -> None:
    client = signed_in("analyst")
    text = text_of(client.get("/dashboard/hotspots/?months=3&category=robbery&cell_size=250"))
    assert "No hotspot test" in text
    assert "0 squares are hotspots" in text


def test_unknown_choices_fall_back_to_the_defaults_or_400(workspace: Any) -> None:
    client = signed_in("partner")
    page = client.get("/dashboard/hotspots/?months=7&cell_size=10&category=<script>")
    assert page.status_code == 200
    assert "Some choices were not recognised" in text_of(page)
    assert b"<script>" not in page.content  # the bad choice is not echoed
    bad = client.get("/dashboard/hotspots.geojson?cell_size=10")
    assert bad.status_code == 400


def test_public_and_parish_councils_cannot_see_hotspots() -> None:
    for role in ("parish_council", "public"):
        assert signed_in(role).get("/dashboard/hotspots.geojson").status_code == 403
    anonymous = Client().get("/dashboard/hotspots/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/sign-in/")
