"""The dashboard's hotspot map: where the partnership's police.uk crimes cluster (Gi* on a
grid), with the equality checks beside it. A plain GET form picks the period, category and
cell size; the map is drawn by map.js from the GeoJSON view, and the page's tables carry the
same figures without JavaScript."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ...hotspots import CELL_SIZES, HotspotError
from ...stats.hotspots import GI_BIN_LABELS
from ..accounts.roles import Capability, require
from ..datasource import HotspotRequest, month_name, partner_data
from ..drilldown_data import category_labels
from ..hotspot_data import PERIODS

#: Shading of the Gi* classes on the map (GOV.UK red/blue; no class is shown without a label).
GI_COLOURS = {
    GI_BIN_LABELS[3]: "#942514",
    GI_BIN_LABELS[2]: "#d4351c",
    GI_BIN_LABELS[1]: "#f499be",
    GI_BIN_LABELS[0]: "#f3f2f1",
    GI_BIN_LABELS[-1]: "#9fc1e3",
    GI_BIN_LABELS[-2]: "#5694ca",
    GI_BIN_LABELS[-3]: "#003078",
}


def _category_choices() -> list[tuple[str, str]]:
    return [("", "All crime"), *category_labels().items()]


class HotspotForm(forms.Form):
    months = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, f"Latest {n} months") for n in PERIODS],
        required=False,
        label="Period",
    )
    category = forms.ChoiceField(required=False, label="Crime type")
    cell_size = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, f"{n} m squares") for n in CELL_SIZES],
        required=False,
        label="Grid",
    )

    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.fields["category"].choices = _category_choices()

    def hotspot_request(self) -> HotspotRequest:
        chosen = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return HotspotRequest(
            months=chosen.get("months") or 12,
            category=chosen.get("category") or "",
            cell_size=chosen.get("cell_size") or 500,
        )


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def hotspots(request: HttpRequest) -> HttpResponse:
    form = HotspotForm(request.GET or None)
    wanted = form.hotspot_request()
    data = partner_data(request.user)
    context: dict[str, Any] = {"form": form, "wanted": wanted, "coverage": data.coverage()}
    try:
        m = data.hotspots(wanted)
    except HotspotError as exc:
        context["problem"] = str(exc)
        return render(request, "dashboard/hotspots.html", context, status=200)
    hot = sorted(m.hot_cells, key=lambda c: (-c.gi_bin, -c.crimes))
    query = urlencode(
        {"months": wanted.months, "category": wanted.category, "cell_size": wanted.cell_size}
    )
    context.update(
        map=m,
        period=f"{month_name(m.months[0])} to {month_name(m.months[-1])}",
        n_months=len(m.months),
        hot=[
            {
                "cell": c.cell,
                "crimes": c.crimes,
                "gi_label": GI_BIN_LABELS[c.gi_bin],
                "proactive_share": c.proactive_share,
            }
            for c in hot[:25]
        ],
        n_hot=len(hot),
        query=query,
        gi_colours=json.dumps(GI_COLOURS),
        category_label=dict(_category_choices()).get(wanted.category, "All crime"),
    )
    return render(request, "dashboard/hotspots.html", context)


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def hotspots_geojson(request: HttpRequest) -> HttpResponse:
    form = HotspotForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse("unknown period, crime type or grid\n", status=400)
    try:
        m = partner_data(request.user).hotspots(form.hotspot_request())
    except HotspotError as exc:
        return HttpResponse(f"{exc}\n", status=404, content_type="text/plain")
    return HttpResponse(json.dumps(m.to_geojson()), content_type="application/geo+json")
