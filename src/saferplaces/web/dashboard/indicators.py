"""The partnership's indicators on the dashboard: a fresh evaluation as the signed-in role may
see it (computed once per lake state, see :mod:`saferplaces.web.lake_views`), filtered with a
plain GET form, exported as CSV/XLSX, with server-side SVG trend charts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..accounts.roles import Capability, require
from ..datasource import PartnerData, build_objectives, partner_data

LEVEL_CHOICES = [("", "All levels"), ("force", "Police force area"), ("district", "District")]
EXPORT_HEADER = [
    "objective",
    "indicator",
    "title",
    "area_code",
    "area_name",
    "level",
    "period",
    "value",
    "lower_95",
    "upper_95",
    "unit",
    "numerator",
    "denominator",
    "denominator_label",
    "comparison",
    "score",
    "reason",
    "caveats",
]


class FilterForm(forms.Form):
    objective = forms.ChoiceField(required=False, label="Objective")
    level = forms.ChoiceField(required=False, choices=LEVEL_CHOICES, label="Area level")
    area = forms.ChoiceField(required=False, label="Area")

    def __init__(self, data: Any, objectives: list[tuple[str, str]], areas: list[tuple[str, str]]):
        super().__init__(data)
        self.fields["objective"].choices = [("", "All objectives"), *objectives]
        self.fields["area"].choices = [("", "All areas"), *areas]


def _filtered(request: HttpRequest) -> tuple[PartnerData, FilterForm, dict[str, Any], Any]:
    data = partner_data(request.user)
    defs = data.indicator_definitions()
    evaluations = data.evaluations()
    areas = list(dict.fromkeys((e["area_code"], e["area_name"]) for e in evaluations))
    form = FilterForm(
        request.GET or None, [(o["id"], o["title"]) for o in defs["objectives"]], areas
    )
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    objectives = build_objectives(
        defs,
        evaluations,
        objective=chosen.get("objective") or None,
        level=chosen.get("level") or None,
        area=chosen.get("area") or None,
    )
    return data, form, chosen, objectives


_fragments: dict[tuple[str, str, str], str] = {}


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def indicators(request: HttpRequest) -> HttpResponse:
    data, form, chosen, objectives = _filtered(request)
    query = urlencode({k: v for k, v in chosen.items() if v})
    charts = {}
    for obj in objectives:
        for ind in obj.indicators:
            if any(a.status == "ok" and a.series for a in ind.areas):
                url = reverse("dashboard:chart", args=[ind.id])
                charts[ind.id] = f"{url}?{query}" if query else url
    key = (data.lake_state(), data.audience(), query)
    if key not in _fragments:
        if len(_fragments) > 256:
            _fragments.clear()
        _fragments[key] = render_to_string(
            "dashboard/objectives.html", {"objectives": objectives, "charts": charts}
        )
    return render(
        request,
        "dashboard/indicators.html",
        {
            "form": form,
            # The same for everyone of this role at this lake state and filter; every value
            # in it is escaped by the template (no user-supplied HTML is marked safe).
            "objectives_html": mark_safe(_fragments[key]),
            "query": query,
            "coverage": data.coverage(),
            "audience": data.audience(),
        },
    )


def _export_rows(objectives: Any) -> list[list[Any]]:
    rows = []
    for obj in objectives:
        for ind in obj.indicators:
            for a in ind.areas:
                rows.append(
                    [
                        obj.id,
                        ind.id,
                        ind.title,
                        a.code,
                        a.name,
                        a.level,
                        a.period,
                        a.value,
                        a.lower,
                        a.upper,
                        a.unit,
                        a.numerator,
                        a.denominator,
                        a.denominator_label,
                        a.comparison,
                        a.score,
                        a.reason,
                        " | ".join(a.caveats),
                    ]
                )
    return rows


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    from ...publish.exports import csv_text, write_xlsx

    _, _, _, objectives = _filtered(request)
    rows = _export_rows(objectives)
    if fmt == "csv":
        response = HttpResponse(
            csv_text(EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8"
        )
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "indicators.xlsx"
            write_xlsx(path, {"Indicators": (EXPORT_HEADER, rows)})
            response = HttpResponse(
                path.read_bytes(),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
    response["Content-Disposition"] = f'attachment; filename="indicators.{fmt}"'
    return response


_charts: dict[tuple[str, str, str], str] = {}


@require_safe
@never_cache
@require(Capability.VIEW_DASHBOARD)
def chart(request: HttpRequest, indicator: str) -> HttpResponse:
    """The indicator's monthly series per area with the average and control limits, as SVG made
    by vl-convert from :func:`saferplaces.publish.scorecard.chart_spec` (the same chart as the
    published edition). Shown with ``<img>``; the figures are in the table beside it."""
    from ...indicators.definitions import Indicator
    from ...indicators.evaluate import Evaluation
    from ...publish.scorecard import _svg, chart_spec

    data, _, chosen, objectives = _filtered(request)
    defs = {i["id"]: i for i in data.indicator_definitions()["indicators"]}
    block = next((i for o in objectives for i in o.indicators if i.id == indicator), None)
    if block is None or indicator not in defs:
        raise Http404("no such indicator")
    key = (data.lake_state() + data.audience(), indicator, urlencode(sorted(chosen.items())))
    svg = _charts.get(key)
    if svg is None:
        evals = [
            Evaluation(**{k: v for k, v in e.items() if k != "comparisons"})
            for e in data.evaluations()
            if e["indicator"] == indicator
            and e["status"] == "ok"
            and e["series"]
            and any(a.code == e["area_code"] and a.level == e["level"] for a in block.areas)
        ]
        if not evals:
            raise Http404("no monthly series for this indicator")
        svg = _svg(chart_spec(Indicator.model_validate(defs[indicator]), evals))
        if svg is None:
            raise Http404("charts need vl-convert-python (the pdf extra)")
        _charts[key] = svg
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    return response
