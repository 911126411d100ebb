"""Typed records for API responses and the parsers that build them from decoded JSON.

Parsers take a :class:`~._json.Node` and a ``tally`` (a :class:`collections.Counter`) in which
they count the anomalies they repaired: ``null_coordinates``, ``invalid_coordinates`` and
``invalid_population`` (each value became ``None``). Anything else that does not match the
documented shape raises :class:`~._json.ShapeError`."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ._errors import ApiResponseError
from ._json import Node, decode_json
from ._text import html_to_text, opt_html_to_text

Tally = Counter[str]


@dataclass(frozen=True, slots=True)
class LatLon:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ForceRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class EngagementMethod:
    title: str
    url: str | None  # "" in the API becomes None
    description: str | None


@dataclass(frozen=True, slots=True)
class Force:
    id: str
    name: str
    url: str | None
    telephone: str | None
    description: str | None
    engagement_methods: tuple[EngagementMethod, ...]


@dataclass(frozen=True, slots=True)
class NeighbourhoodRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    title: str
    description: str | None


@dataclass(frozen=True, slots=True)
class NeighbourhoodLocation:
    name: str | None
    address: str | None
    postcode: str | None
    type: str | None
    description: str | None
    position: LatLon | None


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    id: str
    name: str
    description: str | None
    population: int | None
    url_force: str | None
    centre: LatLon | None
    contact_details: dict[str, str]
    links: tuple[Link, ...]
    locations: tuple[NeighbourhoodLocation, ...]


@dataclass(frozen=True, slots=True)
class NeighbourhoodLocator:
    """Answer of locate-neighbourhood: which force and neighbourhood cover a point."""

    force: str
    neighbourhood: str


@dataclass(frozen=True, slots=True)
class Officer:
    name: str
    rank: str | None
    bio: str | None
    contact_details: dict[str, str]


@dataclass(frozen=True, slots=True)
class Priority:
    issue: str | None
    issue_date: str | None
    action: str | None
    action_date: str | None


@dataclass(frozen=True, slots=True)
class CrimeCategory:
    url: str
    name: str


@dataclass(frozen=True, slots=True)
class AvailableMonth:
    """One entry of crimes-street-dates: a month and the forces with stop and search data."""

    date: str
    stop_and_search: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Crime:
    id: int  # the API's own id: unique within a response, not stable over time
    persistent_id: str  # "" when police.uk gives none (anti-social behaviour, most BTP crimes)
    category: str  # slug, e.g. "violent-crime"
    month: str
    location_type: str | None  # "Force" or "BTP"
    location_subtype: str
    context: str
    position: LatLon | None
    street_id: int | None
    street_name: str | None
    outcome_category: str | None  # display text, e.g. "Under investigation"
    outcome_date: str | None


@dataclass(frozen=True, slots=True)
class OutcomeCategory:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Outcome:
    category: OutcomeCategory
    date: str
    person_id: int | None
    crime: Crime | None


@dataclass(frozen=True, slots=True)
class CaseHistory:
    """Answer of outcomes-for-crime: the crime and every outcome recorded for it."""

    crime: Crime | None
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True, slots=True)
class StopAndSearch:
    type: str | None
    involved_person: bool | None
    datetime: str | None
    operation: bool | None
    operation_name: str | None
    position: LatLon | None
    street_name: str | None
    gender: str | None
    age_range: str | None
    self_defined_ethnicity: str | None
    officer_defined_ethnicity: str | None
    legislation: str | None
    object_of_search: str | None
    outcome: str | None
    outcome_id: str | None
    outcome_linked_to_object_of_search: bool | None
    removal_of_more_than_outer_clothing: bool | None


# ---------------------------------------------------------------------------------- helpers


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_latlon(node: Node, tally: Tally) -> LatLon | None:
    """``{"latitude": "52.6", "longitude": "-1.1"}`` (strings in the API) → :class:`LatLon`.

    Null coordinates and text that is not a valid WGS84 position become ``None`` (counted)."""
    if node.is_null():
        return None
    lat_node, lon_node = node["latitude"], node["longitude"]
    if lat_node.is_null() or lon_node.is_null():
        tally["null_coordinates"] += 1
        return None
    lat = _number(str(lat_node.value))
    lon = _number(str(lon_node.value))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        tally["invalid_coordinates"] += 1
        return None
    return LatLon(lat, lon)


def _population(node: Node, tally: Tally) -> int | None:
    if node.is_null():
        return None
    text = str(node.value).replace(",", "").strip()
    if text.isdigit():
        return int(text)
    tally["invalid_population"] += 1
    return None


def _contacts(node: Node) -> dict[str, str]:
    if node.is_null():
        return {}
    return {k: v.text() for k, v in node.entries().items() if not v.is_null()}


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


# ---------------------------------------------------------------------------------- parsers


def parse_force_ref(node: Node) -> ForceRef:
    return ForceRef(node["id"].text(), node["name"].text())


def parse_engagement_method(node: Node) -> EngagementMethod:
    return EngagementMethod(
        title=html_to_text(node["title"].text()),
        url=_blank_to_none(node["url"].opt_text()),
        description=opt_html_to_text(node["description"].opt_text()),
    )


def parse_force(node: Node) -> Force:
    return Force(
        id=node["id"].text(),
        name=html_to_text(node["name"].text()),
        url=_blank_to_none(node["url"].opt_text()),
        telephone=_blank_to_none(node["telephone"].opt_text()),
        description=opt_html_to_text(node["description"].opt_text()),
        engagement_methods=tuple(
            parse_engagement_method(m) for m in _list_or_empty(node["engagement_methods"])
        ),
    )


def parse_neighbourhood_ref(node: Node) -> NeighbourhoodRef:
    return NeighbourhoodRef(node["id"].text(), html_to_text(node["name"].text()))


def parse_link(node: Node) -> Link:
    return Link(
        url=node["url"].text(),
        title=html_to_text(node["title"].text()),
        description=opt_html_to_text(node["description"].opt_text()),
    )


def parse_neighbourhood_location(node: Node, tally: Tally) -> NeighbourhoodLocation:
    return NeighbourhoodLocation(
        name=opt_html_to_text(node["name"].opt_text()),
        address=opt_html_to_text(node["address"].opt_text()),
        postcode=node["postcode"].opt_text(),
        type=node["type"].opt_text(),
        description=opt_html_to_text(node["description"].opt_text()),
        position=parse_latlon(node, tally),
    )


def parse_neighbourhood(node: Node, tally: Tally) -> Neighbourhood:
    return Neighbourhood(
        id=node["id"].text(),
        name=html_to_text(node["name"].text()),
        description=_blank_to_none(opt_html_to_text(node["description"].opt_text())),
        population=_population(node["population"], tally),
        url_force=_blank_to_none(node["url_force"].opt_text()),
        centre=parse_latlon(node["centre"], tally),
        contact_details=_contacts(node["contact_details"]),
        links=tuple(parse_link(n) for n in _list_or_empty(node["links"])),
        locations=tuple(
            parse_neighbourhood_location(n, tally) for n in _list_or_empty(node["locations"])
        ),
    )


def parse_boundary(node: Node, tally: Tally) -> list[LatLon]:
    """A neighbourhood boundary: points that cannot be read are dropped (and counted)."""
    points = (parse_latlon(n, tally) for n in node.items())
    return [p for p in points if p is not None]


def parse_locator(node: Node) -> NeighbourhoodLocator:
    return NeighbourhoodLocator(node["force"].text(), node["neighbourhood"].text())


def parse_officer(node: Node) -> Officer:
    return Officer(
        name=html_to_text(node["name"].text()),
        rank=opt_html_to_text(node["rank"].opt_text()),
        bio=opt_html_to_text(node["bio"].opt_text()),
        contact_details=_contacts(node["contact_details"]),
    )


def parse_priority(node: Node) -> Priority:
    return Priority(
        issue=opt_html_to_text(node["issue"].opt_text()),
        issue_date=node["issue-date"].opt_text(),
        action=opt_html_to_text(node["action"].opt_text()),
        action_date=node["action-date"].opt_text(),
    )


def parse_crime_category(node: Node) -> CrimeCategory:
    return CrimeCategory(node["url"].text(), node["name"].text())


def parse_available_month(node: Node) -> AvailableMonth:
    forces = tuple(n.text() for n in _list_or_empty(node["stop-and-search"]))
    return AvailableMonth(node["date"].text(), forces)


def parse_crime(node: Node, tally: Tally) -> Crime:
    location = node["location"]
    street = Node(None) if location.is_null() else location["street"]
    outcome = node["outcome_status"]
    return Crime(
        id=node["id"].integer(),
        persistent_id=node["persistent_id"].opt_text() or "",
        category=node["category"].text(),
        month=node["month"].text(),
        location_type=node["location_type"].opt_text(),
        location_subtype=node["location_subtype"].opt_text() or "",
        context=node["context"].opt_text() or "",
        position=parse_latlon(location, tally),
        street_id=None if street.is_null() else street["id"].opt_integer(),
        street_name=None if street.is_null() else street["name"].opt_text(),
        outcome_category=None if outcome.is_null() else outcome["category"].opt_text(),
        outcome_date=None if outcome.is_null() else outcome["date"].opt_text(),
    )


def parse_outcome_category(node: Node) -> OutcomeCategory:
    return OutcomeCategory(node["code"].text(), node["name"].text())


def parse_outcome(node: Node, tally: Tally) -> Outcome:
    crime = node["crime"]
    return Outcome(
        category=parse_outcome_category(node["category"]),
        date=node["date"].text(),
        person_id=node["person_id"].opt_integer(),
        crime=None if crime.is_null() else parse_crime(crime, tally),
    )


def parse_case_history(node: Node, tally: Tally) -> CaseHistory:
    crime = node["crime"]
    return CaseHistory(
        crime=None if crime.is_null() else parse_crime(crime, tally),
        outcomes=tuple(parse_outcome(n, tally) for n in _list_or_empty(node["outcomes"])),
    )


def parse_stop_and_search(node: Node, tally: Tally) -> StopAndSearch:
    location = node["location"]
    street = Node(None) if location.is_null() else location["street"]
    outcome_object = node["outcome_object"]
    # Older records give `"outcome": false` for "nothing found"; keep only text.
    outcome = node["outcome"].value
    return StopAndSearch(
        type=node["type"].opt_text(),
        involved_person=node["involved_person"].opt_bool(),
        datetime=node["datetime"].opt_text(),
        operation=node["operation"].opt_bool(),
        operation_name=node["operation_name"].opt_text(),
        position=parse_latlon(location, tally),
        street_name=None if street.is_null() else street["name"].opt_text(),
        gender=node["gender"].opt_text(),
        age_range=node["age_range"].opt_text(),
        self_defined_ethnicity=node["self_defined_ethnicity"].opt_text(),
        officer_defined_ethnicity=node["officer_defined_ethnicity"].opt_text(),
        legislation=node["legislation"].opt_text(),
        object_of_search=node["object_of_search"].opt_text(),
        outcome=outcome if isinstance(outcome, str) else None,
        outcome_id=None if outcome_object.is_null() else outcome_object["id"].opt_text(),
        outcome_linked_to_object_of_search=node["outcome_linked_to_object_of_search"].opt_bool(),
        removal_of_more_than_outer_clothing=node["removal_of_more_than_outer_clothing"].opt_bool(),
    )


def _list_or_empty(node: Node) -> list[Node]:
    return [] if node.is_null() else node.items()


def parse_crimes(body: bytes, source: str, tally: Tally | None = None) -> list[Crime]:
    """A saved crimes-street body → crimes, for working from responses kept on disk.

    :class:`~._errors.ApiResponseError` naming ``source`` if the body is not a crime list."""
    try:
        return [
            parse_crime(n, Counter() if tally is None else tally)
            for n in Node(decode_json(body)).items()
        ]
    except ValueError as exc:  # ShapeError is a ValueError too
        raise ApiResponseError(source, str(exc)) from None
