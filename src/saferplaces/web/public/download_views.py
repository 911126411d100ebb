"""Open-data downloads: monthly police.uk counts by area and category for each level (CSV with
its CSV-on-the-Web metadata, JSON, GeoJSON) and the areas' boundaries (GeoJSON), each with the
licence and the provenance of the data (source files, SHA-256, ingest time).

The CSV stays a plain table (one header row, no comment lines) so that any tool reads it; its
licence, counting rules and provenance are in a W3C CSVW metadata file served beside it
(``counts.csv-metadata.json``, linked from the CSV with ``Link: rel="describedby"``), in the
JSON's ``meta`` block and in the GeoJSON's ``metadata`` member, and on the downloads page."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from ..area_data import LICENCE_NAME, LICENCE_URL
from ..datasource import public_data


def _file(body: str, content_type: str, filename: str, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    kind = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{kind}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _name(level: str, what: str) -> str:
    slug = public_data().workspace.config.partnership.name.lower()
    slug = "".join(c if c.isalnum() else "-" for c in slug).strip("-")[:40] or "saferplaces"
    return f"{slug}-{level}-{what}"


@require_safe
def downloads(request: HttpRequest) -> HttpResponse:
    data = public_data()
    levels = []
    for info in data.public_levels():
        levels.append(
            {
                "info": info,
                "meta": data.download_meta(info.level),
                "csv": reverse("public:download_counts_csv", args=[info.level]),
                "csvw": reverse("public:download_counts_csvw", args=[info.level]),
                "json": reverse("public:download_counts_json", args=[info.level]),
                "geojson": reverse("public:download_counts_geojson", args=[info.level])
                if info.has_boundaries
                else None,
                "boundaries": reverse("public:download_boundaries", args=[info.level])
                if info.has_boundaries
                else None,
            }
        )
    meta = levels[0]["meta"] if levels else None
    # Every statement any of the files needs (boundaries add the OS one).
    attribution = list(dict.fromkeys(line for lv in levels for line in lv["meta"]["attribution"]))
    return render(
        request,
        "public/downloads.html",
        {
            "levels": levels,
            "meta": meta,
            "attribution": attribution,
            "licence_name": LICENCE_NAME,
            "licence_url": LICENCE_URL,
        },
    )


def _level_or_404(level: str) -> None:
    if public_data().level_info(level) is None:
        raise Http404("no such area level")


@require_safe
def counts_csv(request: HttpRequest, level: str) -> HttpResponse:
    _level_or_404(level)
    text = public_data().counts_csv(level)
    if text is None:
        raise Http404("no figures for this level")
    response = _file(text, "text/csv; charset=utf-8", _name(level, "counts.csv"), attachment=True)
    meta_url = reverse("public:download_counts_csvw", args=[level])
    response["Link"] = f'<{meta_url}>; rel="describedby"; type="application/csvm+json"'
    return response


@require_safe
def counts_csvw(request: HttpRequest, level: str) -> HttpResponse:
    _level_or_404(level)
    doc: dict[str, Any] | None = public_data().counts_csv_metadata(
        level, request.build_absolute_uri(reverse("public:download_counts_csv", args=[level]))
    )
    if doc is None:
        raise Http404("no figures for this level")
    return _file(
        json.dumps(doc, indent=1, ensure_ascii=False),
        "application/csvm+json",
        _name(level, "counts.csv-metadata.json"),
        attachment=False,
    )


@require_safe
def counts_json(request: HttpRequest, level: str) -> HttpResponse:
    _level_or_404(level)
    text = public_data().counts_json(level)
    if text is None:
        raise Http404("no figures for this level")
    return _file(text, "application/json", _name(level, "counts.json"), attachment=False)


@require_safe
def counts_geojson(request: HttpRequest, level: str) -> HttpResponse:
    _level_or_404(level)
    text = public_data().level_geojson(level, counts=True)
    if text is None:
        raise Http404("no boundaries are loaded for this level")
    return _file(text, "application/geo+json", _name(level, "counts.geojson"), attachment=False)


@require_safe
def boundaries(request: HttpRequest, level: str) -> HttpResponse:
    _level_or_404(level)
    text = public_data().level_geojson(level, counts=False)
    if text is None:
        raise Http404("no boundaries are loaded for this level")
    return _file(text, "application/geo+json", _name(level, "boundaries.geojson"), attachment=False)
