"""The dashboard's drill-down: force → district → MSOA → LSOA, one crime category or all crime,
each level a table (with CSV/XLSX export) of the areas inside the one shown."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..accounts.roles import Capability, require
from ..datasource import Drill, partner_data
from ..drilldown_data import category_labels

EXPORT_HEADER = [
    "level",
    "code",
    "name",
    "category",
    "crimes_latest_12_months",
    "latest_period",
    "crimes_previous_12_months",
    "previous_period",
    "change",
    "test",
    "p_value",
    "residents",
    "crimes_per_1000_residents",
]


def _drill(request: HttpRequest, level: str, code: str) -> Drill:
    category = request.GET.get("category", "")
    found = partner_data(request.user).drill(level, code, category)
    if found is None:
        raise Http404("no such area or category")
    return found


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def start(request: HttpRequest) -> HttpResponse:
    forces = partner_data(request.user).dashboard_forces()
    if not forces:
        raise Http404("no police.uk data is loaded")
    return redirect("dashboard:drill", level="force", code=forces[0])


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def area(request: HttpRequest, level: str, code: str) -> HttpResponse:
    d = _drill(request, level, code)
    data = partner_data(request.user)
    info = data.level_info(d.child_level) if d.child_level else None
    return render(
        request,
        "dashboard/drill.html",
        {
            "d": d,
            "categories": list(category_labels().items()),
            # A map of the areas one level down when their boundaries are loaded.
            "map_level": d.child_level if info is not None and info.has_boundaries else None,
            "map_value": d.category or "crimes",
        },
    )


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def export(request: HttpRequest, level: str, code: str, fmt: str) -> HttpResponse:
    from ...publish.exports import csv_text, write_xlsx

    d = _drill(request, level, code)
    rows = [
        [
            r.area.level,
            r.area.code,
            r.area.name,
            d.category or "all-crime",
            r.latest,
            d.latest.label,
            r.previous,
            d.previous.label,
            r.change.short,
            r.change.test,
            r.change.p_value,
            r.residents,
            r.rate_per_1000,
        ]
        for r in [d.area, *d.rows]
    ]
    name = f"{level}-{code}-{d.category or 'all-crime'}"
    if fmt == "csv":
        response = HttpResponse(
            csv_text(EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "areas.xlsx"
            write_xlsx(path, {"Areas": (EXPORT_HEADER, rows)})
            response = HttpResponse(
                path.read_bytes(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
