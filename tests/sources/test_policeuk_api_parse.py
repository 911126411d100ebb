"""Every saved police.uk API response (tests/data/api, see tests/data/README.md) parses into the
typed records, edge cases are repaired and counted, and malformed bodies fail clearly."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from saferplaces.errors import SaferPlacesError
from saferplaces.sources.policeuk_api import ApiResponseError, decode_json, parse_crimes
from saferplaces.sources.policeuk_api import _models as m
from saferplaces.sources.policeuk_api._json import Node, ShapeError
from saferplaces.sources.policeuk_api._text import html_to_text
from saferplaces.taxonomy import forces as taxonomy_forces

API = Path(__file__).resolve().parents[1] / "data" / "api"


def body(rel: str) -> bytes:
    raw = (API / rel).read_bytes()
    return gzip.decompress(raw) if rel.endswith(".gz") else raw


def node(rel: str) -> Node:
    return Node(decode_json(body(rel)))


def fixture(name: str) -> Any:
    return json.loads(body(f"fixtures/{name}.json"))


# ------------------------------------------------------------------ large real responses


@pytest.mark.parametrize(
    ("rel", "count", "month", "btp"),
    [
        ("crimes-street/leicester-all-crime-2023-01.json.gz", 1448, "2023-01", 10),
        ("crimes-street/cheltenham-AA3-all-crime-2021-05.json.gz", 469, "2021-05", 3),
        ("crimes-street/cheltenham-AA3-all-crime-2025-09.json.gz", 425, "2025-09", 0),
    ],
)
def test_crimes_street_responses(rel: str, count: int, month: str, btp: int) -> None:
    tally: Counter[str] = Counter()
    crimes = parse_crimes(body(rel), rel, tally)
    assert len(crimes) == count
    assert len({c.id for c in crimes}) == count
    assert {c.month for c in crimes} == {month}
    assert all(c.position is not None for c in crimes)
    assert not tally
    asb = [c for c in crimes if c.category == "anti-social-behaviour"]
    assert asb and all(c.persistent_id == "" and c.outcome_category is None for c in asb)
    # police.uk gives no persistent_id for British Transport Police crimes either.
    assert sum(c.location_type == "BTP" for c in crimes) == btp
    no_pid = [c for c in crimes if not c.persistent_id and c.category != "anti-social-behaviour"]
    assert len(no_pid) == btp
    assert all(len(c.persistent_id) == 64 for c in crimes if c.persistent_id)


def test_first_leicester_crime_fields() -> None:
    raw = json.loads(body("crimes-street/leicester-all-crime-2023-01.json.gz"))
    crime = m.parse_crime(Node(raw[0]), Counter())
    assert crime.id == raw[0]["id"] == 107770574
    assert crime.category == "anti-social-behaviour"
    assert crime.street_name == "On or near Winifred Street"
    assert crime.street_id == 1738022
    assert crime.position == m.LatLon(52.627433, -1.137632)


def test_forces_list() -> None:
    forces = [m.parse_force_ref(n) for n in node("forces/forces.json").items()]
    assert len(forces) == 44
    assert forces[0] == m.ForceRef("avon-and-somerset", "Avon and Somerset Constabulary")
    # Every API force id is a slug the rest of SaferPlaces knows.
    assert {f.id for f in forces} <= set(taxonomy_forces())


def test_gloucestershire_neighbourhoods() -> None:
    listing = node("neighbourhoods/gloucestershire-neighbourhoods.json")
    refs = [m.parse_neighbourhood_ref(n) for n in listing.items()]
    assert len(refs) == 55
    assert m.NeighbourhoodRef("AA3", "St Marks") in refs


def test_aa3_detail_and_boundary() -> None:
    tally: Counter[str] = Counter()
    hood = m.parse_neighbourhood(node("neighbourhoods/gloucestershire-AA3.json"), tally)
    assert (hood.id, hood.name, hood.population) == ("AA3", "St Marks", 12266)
    assert hood.centre == m.LatLon(51.9042, -2.10141)
    assert len(hood.links) == 6 and hood.links[1].description == (
        "Gloucester & District Citizens Advice Bureau"
    )
    assert hood.contact_details == {"twitter": "https://twitter.com/CheltPolice"}
    assert hood.url_force is not None and hood.url_force.startswith("https://www.glouc")
    boundary = m.parse_boundary(node("neighbourhoods/gloucestershire-AA3-boundary.json"), tally)
    assert len(boundary) == 1068
    assert boundary[0] == boundary[-1] == m.LatLon(51.903804961, -2.0854821269999)
    assert not tally


# ------------------------------------------------------------------ every small fixture


def test_case_history() -> None:
    history = m.parse_case_history(Node(fixture("case-history")), Counter())
    assert [o.category.code for o in history.outcomes] == [
        "under-investigation",
        "no-further-action",
    ]
    assert history.outcomes[1].category.name == "Investigation complete; no suspect identified"
    assert history.crime is not None and history.crime.position is None  # a no-location crime
    assert history.crime.id == 82067369 and history.crime.location_type is None


def test_contact_details() -> None:
    full = dict(
        fixture("neighbourhood-empty-force-url"), contact_details=fixture("contact-details")
    )
    hood = m.parse_neighbourhood(Node(full), Counter())
    assert len(hood.contact_details) == 15 and hood.contact_details["telephone"] == "101"
    empty = dict(full, contact_details=fixture("contact-details-none"))
    assert m.parse_neighbourhood(Node(empty), Counter()).contact_details == {}


@pytest.mark.parametrize(
    ("name", "expected", "counted"),
    [
        ("coordinate", m.LatLon(52.6389, -1.13619), None),
        ("coordinate-invalid", None, "invalid_coordinates"),
        ("location", m.LatLon(52.633888, -1.138924), None),
        ("location-invalid-coordinate", None, "invalid_coordinates"),
        ("neighbourhood-location-null-coordinates", None, "null_coordinates"),
        ("neighbourhood-location-invalid-coordinates", None, "invalid_coordinates"),
        ("neighbourhood-location", m.LatLon(52.6389, -1.13619), None),
    ],
)
def test_coordinates(name: str, expected: m.LatLon | None, counted: str | None) -> None:
    tally: Counter[str] = Counter()
    assert m.parse_latlon(Node(fixture(name)), tally) == expected
    assert tally == (Counter({counted: 1}) if counted else Counter())


def test_crime_and_outcome_status() -> None:
    tally: Counter[str] = Counter()
    crime = m.parse_crime(Node(fixture("crime")), tally)
    assert crime.category == "violent-crime" and crime.month == "2020-02"
    assert crime.outcome_category == "Status update unavailable" and crime.outcome_date == "2020-06"
    other = dict(fixture("crime"), outcome_status=fixture("outcome-status"))
    assert m.parse_crime(Node(other), tally).outcome_category == (
        "Investigation complete; no suspect identified"
    )
    bad = dict(fixture("crime"), location=fixture("location-invalid-coordinate"))
    parsed = m.parse_crime(Node(bad), tally)
    assert parsed.position is None and parsed.street_name == "On or near Marquis Street"
    assert tally == Counter({"invalid_coordinates": 1})
    outcome_crime = m.parse_crime(Node(fixture("outcome-crime")), tally)
    assert outcome_crime.location_subtype == "ROAD" and outcome_crime.outcome_category is None


def test_outcome_and_categories() -> None:
    outcome = m.parse_outcome(Node(fixture("outcome")), Counter())
    assert outcome.category == m.OutcomeCategory(
        "no-further-action", "Investigation complete; no suspect identified"
    )
    assert outcome.person_id is None and outcome.crime is not None
    assert outcome.crime.persistent_id.startswith("c69de56f")
    assert m.parse_outcome_category(Node(fixture("outcome-category"))).code == "no-further-action"
    assert m.parse_crime_category(Node(fixture("crime-category"))) == m.CrimeCategory(
        "anti-social-behaviour", "Anti-social behaviour"
    )
    assert fixture("crime-location-types") == ["Force", "BTP"]


def test_availability_entry() -> None:
    month = m.parse_available_month(Node(fixture("data-set")))
    assert month == m.AvailableMonth("2015-06", ("bedfordshire", "cleveland", "durham"))


def test_force_detail_and_engagement() -> None:
    force = m.parse_force(Node(fixture("police-force")))
    assert (force.id, force.name, force.telephone) == (
        "leicestershire",
        "Leicestershire Constabulary",
        "0116 222 2222",
    )
    assert len(force.engagement_methods) == 5
    assert force.engagement_methods[-1].url is None  # "" in the API
    assert m.parse_engagement_method(Node(fixture("engagement-method-empty-url"))).url is None
    assert m.parse_engagement_method(Node(fixture("engagement-method"))).title == "Facebook"
    ref = m.parse_force_ref(Node(fixture("police-force-reference")))
    assert ref.id == "avon-and-somerset"


def test_links() -> None:
    assert m.parse_link(Node(fixture("link"))).description == "Leicester City Council description"
    assert m.parse_link(Node(fixture("link-no-description"))).description is None


def test_neighbourhood_variants() -> None:
    tally: Counter[str] = Counter()
    plain = m.parse_neighbourhood(Node(fixture("neighbourhood")), tally)
    assert (plain.name, plain.population) == ("City Centre", 1000)
    assert plain.locations[0].position is None and plain.locations[0].postcode == "LE1 3GG"
    assert (
        m.parse_neighbourhood(Node(fixture("neighbourhood-empty-force-url")), tally).url_force
        is None
    )
    ref = m.parse_neighbourhood_ref(Node(fixture("neighbourhood-reference")))
    assert ref == m.NeighbourhoodRef("NC04", "City Centre")
    assert tally == Counter({"null_coordinates": 1})


def test_html_in_names_becomes_plain_text() -> None:
    hood = m.parse_neighbourhood(Node(fixture("neighbourhood-html-in-name")), Counter())
    assert hood.name == "Leake & Keyworth"
    assert hood.description is not None
    assert "<" not in hood.description and "&" not in hood.description
    assert hood.description.startswith("The Castle neighbourhood")
    assert "\n\nThe Highcross" in hood.description  # paragraphs kept as blank lines
    # A literal "&" that is not an entity stays as it is.
    raw = m.parse_neighbourhood(Node(fixture("neighbourhood-empty-force-url")), Counter())
    assert raw.name == "Banks & Hesketh" and raw.description == "Some & description"


def test_invalid_population_becomes_none_and_is_counted() -> None:
    tally: Counter[str] = Counter()
    hood = m.parse_neighbourhood(Node(fixture("neighbourhood-invalid-population")), tally)
    assert hood.population is None
    assert tally["invalid_population"] == 1


def test_neighbourhood_location_null_type() -> None:
    loc = m.parse_neighbourhood_location(
        Node(fixture("neighbourhood-location-null-type")), Counter()
    )
    assert loc.type is None and loc.position == m.LatLon(52.2253, -2.17512)


def test_locator_team_and_priorities() -> None:
    assert m.parse_locator(Node(fixture("neighbourhood-policing-team"))) == m.NeighbourhoodLocator(
        "metropolitan", "00BKX6"
    )
    officer = m.parse_officer(Node(fixture("police-officer")))
    assert officer.rank == "Assistant Chief Officer (Crime)" and officer.bio is not None
    nulls = m.parse_officer(Node(fixture("police-officer-nulls")))
    assert (nulls.name, nulls.rank, nulls.bio, nulls.contact_details) == (
        "Dave Smith",
        None,
        None,
        {},
    )
    html = m.parse_priority(Node(fixture("neighbourhood-priority-html")))
    assert html.issue is not None and html.issue.startswith("Beggars") and "<p>" not in html.issue
    assert html.action_date == "2019-01-14T00:00:00"
    none = m.parse_priority(Node(fixture("neighbourhood-priority-no-action")))
    assert none.action is None and none.action_date is None
    plain = m.parse_priority(Node(fixture("neighbourhood-priority")))
    assert plain.issue_date == "2015-10-08T00:00:00"


def test_stop_and_search() -> None:
    stop = m.parse_stop_and_search(Node(fixture("stop-and-search")), Counter())
    assert stop.type == "Person search" and stop.involved_person is True
    assert stop.outcome_id == "bu-no-further-action"
    assert stop.position == m.LatLon(52.63625, -1.133691)
    assert stop.outcome_linked_to_object_of_search is None
    old = dict(fixture("stop-and-search"), outcome=False, location=None)
    legacy = m.parse_stop_and_search(Node(old), Counter())
    assert legacy.outcome is None and legacy.position is None


def test_every_fixture_file_is_covered_by_a_test() -> None:
    """Adding a fixture without a test fails here (this module names each file it reads)."""
    source = Path(__file__).read_text("utf-8")
    for path in (API / "fixtures").glob("*.json"):
        assert f'"{path.stem}"' in source, path.name


# ------------------------------------------------------------------ malformed bodies


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Crimes.Multiple.json", "JavaScript object literal"),
        ("Crimes.Single.json", "JavaScript object literal"),
        ("Empty.json", "empty response body"),
        ("Malformed.json", "invalid JSON at line 2, column 12"),
    ],
)
def test_malformed_bodies(name: str, reason: str) -> None:
    with pytest.raises(ApiResponseError) as err:
        parse_crimes(body(f"malformed/{name}"), f"saved/{name}")
    assert isinstance(err.value, SaferPlacesError)
    assert str(err.value).startswith(f"saved/{name}: ")
    assert reason in str(err.value)


@pytest.mark.parametrize("cut", [5000, 5017, 100_000])
def test_truncated_body(cut: int) -> None:
    whole = body("crimes-street/leicester-all-crime-2023-01.json.gz")
    with pytest.raises(ApiResponseError, match="truncated JSON"):
        parse_crimes(whole[:cut], "leicester")


def test_wrong_shape_names_the_json_path() -> None:
    with pytest.raises(ApiResponseError, match=r"\$\[0\]\.id: expected an integer, got a string"):
        parse_crimes(b'[{"id": "x"}]', "src")
    with pytest.raises(ShapeError, match=r"\$: expected a list, got an object"):
        Node({"a": 1}).items()


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Leake &amp; Keyworth", "Leake & Keyworth"),
        ("<p>One</p>\n<p>Two &lt;b&gt;</p>", "One\n\nTwo <b>"),
        ("a < b and c > d", "a < b and c > d"),
        ("<script>alert(1)</script>x", "alert(1)x"),
        ("  plain  ", "plain"),
    ],
)
def test_html_to_text(raw: str, text: str) -> None:
    assert html_to_text(raw) == text
