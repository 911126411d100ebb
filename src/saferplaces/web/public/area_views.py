"""The public area finder and area pages: search by name, code or postcode, a list of every
area, a map, and one page per area in plain English. They read the lake only through
:func:`~saferplaces.web.datasource.public_data` (police.uk open data; never partner data).

Every page works without JavaScript: the search form and the lists are the way in; the map
(``static/saferplaces/map.js``) only adds a way to click on an area."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from ..area_data import MAX_QUERY, charts_available, level_names, postcode_district
from ..datasource import EDITION_CONTENT_TYPES, parent_level, public_data

#: Levels whose areas are listed in full on the finder; larger levels are grouped by parent.
LIST_IN_FULL = 30


def _map_context(level: str, *, focus: str | None = None) -> dict[str, Any] | None:
    """Data attributes for map.js: the level's GeoJSON with counts, a link to each area."""
    data = public_data()
    info = data.level_info(level)
    if info is None or not info.has_boundaries:
        return None
    many = level_names(level)[1]
    link = reverse("public:area", args=[level, "CODE"]).replace("CODE", "{code}")
    return {
        "level": level,
        "geojson_url": reverse("public:download_counts_geojson", args=[level]),
        "link_template": link,
        "value_property": "rate_per_1000",
        "value_label": "Crimes per 1,000 residents, latest 12 months",
        "label": f"Map of {many}, shaded by crimes per 1,000 residents",
        "focus": focus or "",
        "settings": data.map_settings(),
    }


@require_safe
def finder(request: HttpRequest) -> HttpResponse:
    data = public_data()
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    results = data.search_areas(query) if query else []
    postcodes = data.postcode_lookup_info()
    district = postcode_district(query) if query else None
    postcode_note = None
    if district is not None:
        if postcodes is None:
            postcode_note = (
                f"'{query}' looks like a postcode, but postcode search is not available on this "
                "site: it needs the ONS postcode lookup, which has not been loaded. Search for "
                "the name of your town, district or neighbourhood instead."
            )
        elif not data.postcode_areas(district):
            known = data.postcode_districts()
            postcode_note = (
                f"The postcode district {district} is not in this partnership's area."
                if known is not None and known.known(district)
                else f"{district} is not a postcode district in the postcode lookup."
            )
    groups = []
    for info in data.public_levels():
        areas = data.areas(info.level) or []
        if len(areas) <= LIST_IN_FULL:
            groups.append({"info": info, "areas": sorted(areas, key=lambda a: a.name), "by": []})
            continue
        by_parent: dict[str, list[Any]] = {}
        for a in areas:
            by_parent.setdefault(a.parent or "", []).append(a)
        above = parent_level(info.level)
        parents = {a.code: a.name for a in (data.areas(above) or [])} if above else {}
        by = sorted(
            (
                {
                    "code": code,
                    "name": parents.get(code, code) if code else "No parent area",
                    "areas": sorted(kids, key=lambda a: a.name),
                }
                for code, kids in by_parent.items()
            ),
            key=lambda g: str(g["name"]),
        )
        groups.append({"info": info, "areas": [], "by": by})
    map_level = next(
        (
            info.level
            for info in data.public_levels()
            if info.level == "lad" and info.has_boundaries
        ),
        next((info.level for info in data.public_levels() if info.has_boundaries), None),
    )
    return render(
        request,
        "public/areas/finder.html",
        {
            "query": query,
            "results": results,
            "postcodes": postcodes,
            "postcode_note": postcode_note,
            "groups": groups,
            "map": _map_context(map_level) if map_level else None,
        },
    )


@require_safe
def area(request: HttpRequest, level: str, code: str) -> HttpResponse:
    data = public_data()
    summary = data.area_summary(level, code)
    if summary is None:
        raise Http404("no such area")
    chain: list[Any] = []
    parent = summary.parent
    while parent is not None and len(chain) < 6:
        chain.append(parent)
        parent = data.parent_of(parent)
    chain.reverse()
    map_ctx = _map_context(level, focus=code)
    map_list_id = None
    if map_ctx is None:
        # No boundaries for this level: a map of its areas one level down, if they have any.
        for group in summary.children:
            map_ctx = _map_context(group.level)
            if map_ctx is not None:
                map_ctx["label"] = f"Map of the {group.label} in {summary.area.name}"
                map_list_id = f"children-list-{group.level}"
                break
    months = summary.monthly
    chart_alt = (
        f"Line chart of crimes and anti-social behaviour incidents each month in "
        f"{summary.area.name}, {months[0].label} to {months[-1].label}. The same figures are "
        "in the table below."
        if months
        else ""
    )
    return render(
        request,
        "public/areas/area.html",
        {
            "s": summary,
            "measures": [summary.crimes, summary.asb],
            "has_proactive": any(c.proactive for c in summary.categories),
            "ancestors": chain,
            "briefing": data.briefing(level, code),
            "map": map_ctx,
            "map_list_id": map_list_id,
            "chart": bool(months) and charts_available(),
            "chart_alt": chart_alt,
        },
    )


@require_safe
def chart(request: HttpRequest, level: str, code: str) -> HttpResponse:
    """The area's monthly chart as SVG (the page shows it with ``<img>``, beside a table of the
    same figures)."""
    svg = public_data().area_chart_svg(level, code)
    if svg is None:
        raise Http404("no chart for this area")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def briefing_csp() -> str:
    """The Content-Security-Policy of a published briefing page: no script at all; style only
    from this site, plus the few style attributes the briefing's map key uses (allowed by their
    hashes, not by 'unsafe-inline')."""
    import base64
    import hashlib

    from ...briefings.charts import RAMP

    hashes = " ".join(
        "'sha256-"
        + base64.b64encode(hashlib.sha256(f"background-color: {c}".encode()).digest()).decode()
        + "'"
        for c in RAMP
    )
    return (
        "default-src 'none'; script-src 'none'; "
        f"style-src 'self' 'unsafe-hashes' {hashes}; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


@require_safe
def briefing_file(request: HttpRequest, level: str, name: str) -> FileResponse:
    """A file of the published neighbourhood briefings of a level (the HTML page, its PDF,
    JSON and stylesheets): only files the briefings' report lists are served."""
    path = public_data().briefing_file(level, name)
    if path is None:
        raise Http404("no such briefing file")
    suffix = path.suffix.lower()
    response = FileResponse(
        path.open("rb"),
        content_type=EDITION_CONTENT_TYPES.get(suffix, "application/octet-stream"),
        as_attachment=suffix not in {".html", ".css", ".pdf", ".json"},
        filename=path.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if suffix == ".html":
        response["Content-Security-Policy"] = briefing_csp()
    return response
