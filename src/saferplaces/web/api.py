"""The JSON API (django-ninja), with its OpenAPI schema at ``/api/openapi.json``.

Same permission rules as the pages, through the same seam (:mod:`.datasource`): anonymous
callers get public data; partner-only figures need a partner role, shown either by the session
of a signed-in user or by an API token (``Authorization: Bearer sp_...``) made with
``saferplaces users token EMAIL`` or in the admin. Every route is a GET: nothing here changes
anything, so there is no CSRF surface. The interactive docs page is off: it needs inline script,
which the site's Content-Security-Policy forbids."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from .accounts.roles import Capability, can
from .datasource import partner_data, public_data


class TokenAuth(HttpBearer):
    openapi_description = "An API token from 'saferplaces users token EMAIL' (sp_...)."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from .accounts.models import ApiToken

        return ApiToken.user_for(token)


def caller(request: HttpRequest) -> Any:
    """The user a request acts as: a valid bearer token's, else the session's."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        from .accounts.models import ApiToken

        user = ApiToken.user_for(header[7:].strip())
        if user is None:
            raise HttpError(401, "invalid or revoked API token")
        return user
    return request.user


api = NinjaAPI(
    title="SaferPlaces API",
    version="1",
    description=(
        "Open data (police.uk counts and rates, published Scorecard editions, coverage) for "
        "anyone; partner evaluations with a partner token or session. Crime data: police.uk, "
        "Open Government Licence v3.0."
    ),
    docs_url=None,
    urls_namespace="api",
)


# --- schemas ---------------------------------------------------------------------------------


class Area(Schema):
    code: str
    name: str
    level: str
    parent: str | None


class Edition(Schema):
    number: int
    published_at: str
    data_cutoff: str
    corrects: int | None
    corrected_by: list[int]
    note: str
    verified: bool
    files: list[str]


class CategoryCounts(Schema):
    slug: str
    label: str
    counts: list[int | None]


class Counts(Schema):
    area: Area
    months: list[str]
    categories: list[CategoryCounts]
    total: list[int | None]
    asb_incidents: list[int | None]
    note: str


class Rates(Schema):
    area: Area
    months: list[str]
    crimes: list[int | None]
    rate_per_1000: list[float | None]
    residents: float | None
    denominator: str | None


class DatasetSpan(Schema):
    label: str
    first_month: str
    last_month: str
    months_present: int
    missing_months: list[str]
    rows: int


class Coverage(Schema):
    force: str
    force_name: str
    in_partnership: bool
    street: DatasetSpan | None
    crimes: int
    asb_incidents: int


class Error(Schema):
    detail: str


class AreaQuery(Schema):
    level: str = "force"
    area: str


def _level(level: str) -> str:
    levels = public_data().levels()
    if level not in levels:
        raise HttpError(400, f"unknown level {level!r}: use one of {', '.join(levels)}")
    return level


def _area_counts(q: AreaQuery) -> Any:
    counts = public_data().area_counts(_level(q.level), q.area)
    if counts is None:
        raise HttpError(404, f"no {q.level} area {q.area!r} in this partnership's data")
    return counts


# --- routes ----------------------------------------------------------------------------------


@api.get("/areas", response={200: list[Area], 400: Error}, tags=["areas"])
def areas(request: HttpRequest, level: str = "force") -> Any:
    """The partnership's areas of a level (force, lad, msoa, or a level the workspace imported,
    such as ward) with names and parents."""
    return public_data().areas(_level(level)) or []


@api.get("/indicators", response=dict[str, Any], tags=["indicators"])
def indicators(request: HttpRequest) -> Any:
    """Objectives and indicator definitions (indicators on partner data the caller may not see
    are left out)."""
    user = caller(request)
    data = partner_data(user) if can(user, Capability.VIEW_DASHBOARD) else public_data()
    return data.indicator_definitions()


@api.get("/scorecard/editions", response=list[Edition], tags=["scorecard"])
def editions(request: HttpRequest) -> Any:
    """Every published Scorecard edition, newest first."""
    data = public_data()
    return [
        {
            **e.__dict__,
            "corrected_by": list(e.corrected_by),
            "verified": data.verify(e.number).ok,
            "files": sorted(e.files),
        }
        for e in data.editions()
    ]


@api.get(
    "/scorecard/editions/{number}", response={200: dict[str, Any], 404: Error}, tags=["scorecard"]
)
def edition(request: HttpRequest, number: int) -> Any:
    """One edition's ``edition.json``: every evaluation, the method and the lake provenance."""
    meta = public_data().edition_meta(number) if 0 < number < 10**6 else None
    if meta is None:
        raise HttpError(404, f"no edition {number}")
    return meta


@api.get("/counts", response={200: Counts, 400: Error, 404: Error}, tags=["police.uk"])
def counts(request: HttpRequest, q: Query[AreaQuery]) -> Any:
    """police.uk crimes by category and month for one area (None: a month police.uk did not
    publish). Crimes are distinct Crime IDs; anti-social behaviour is in incidents."""
    c = _area_counts(q)
    return {
        "area": c.area,
        "months": c.months,
        "categories": c.categories,
        "total": c.total,
        "asb_incidents": c.asb_incidents,
        "note": "Crimes: distinct police.uk Crime IDs; ASB: incidents (not crimes).",
    }


@api.get("/rates", response={200: Rates, 400: Error, 404: Error}, tags=["police.uk"])
def rates(request: HttpRequest, q: Query[AreaQuery]) -> Any:
    """Crimes per 1,000 residents per month for one area, with the denominator named."""
    c = _area_counts(q)
    return {
        "area": c.area,
        "months": c.months,
        "crimes": c.total,
        "rate_per_1000": c.rate_per_1000,
        "residents": c.residents,
        "denominator": c.denominator_label,
    }


@api.get("/coverage", response=list[Coverage], tags=["coverage"])
def coverage(request: HttpRequest) -> Any:
    """Which months of police.uk data the lake holds per force, and what is missing."""
    return public_data().coverage()


@api.get(
    "/open-data/{level}/counts",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=["open data"],
)
def open_data_counts(request: HttpRequest, level: str) -> Any:
    """Every area of a level: monthly police.uk counts by category (``null``: no data, or
    suppressed), with ``meta`` (licence, counting rules, disclosure, provenance of every
    police.uk file). The same document as ``/data/downloads/{level}/counts.json``."""
    text = public_data().counts_json(_level(level))
    if text is None:
        raise HttpError(404, "no police.uk data has been loaded")
    return HttpResponse(text, content_type="application/json")


@api.get(
    "/open-data/{level}/geojson",
    response={200: dict[str, Any], 400: Error, 404: Error},
    tags=["open data"],
)
def open_data_geojson(request: HttpRequest, level: str) -> Any:
    """The areas of a level as GeoJSON (WGS84) with their latest 12 months' figures and a
    ``metadata`` member (licence, provenance); 404 when no boundaries are stored for the
    level. The same document as ``/data/downloads/{level}/counts.geojson``."""
    text = public_data().level_geojson(_level(level), counts=True)
    if text is None:
        raise HttpError(404, f"no boundaries are stored for level {level!r}")
    return HttpResponse(text, content_type="application/geo+json")


@api.get(
    "/evaluations",
    response={200: list[dict[str, Any]], 400: Error, 401: Error, 403: Error},
    auth=[TokenAuth(), django_auth],
    tags=["partner"],
)
def evaluations(
    request: HttpRequest, level: str | None = None, objective: str | None = None
) -> Any:
    """A fresh evaluation of every indicator, as the caller's role may see it (partner or
    analyst; partner data disclosure applied). Needs a partner token or session."""
    if level is not None and level not in {"force", "district"}:
        raise HttpError(400, "level: force or district")
    try:
        data = partner_data(request.auth)
    except PermissionDenied:
        raise HttpError(403, "partner data needs a partner role") from None
    out = data.evaluations()
    if objective is not None:
        ids = {
            i["id"]
            for i in data.indicator_definitions()["indicators"]
            if i["objective"] == objective
        }
        out = [e for e in out if e["indicator"] in ids]
    if level is not None:
        out = [e for e in out if e["level"] == level]
    return out
