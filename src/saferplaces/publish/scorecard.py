"""Rendering a Scorecard edition: accessible HTML, PDF (WeasyPrint), CSV, XLSX, Vega-Lite charts.

Charts are Vega-Lite specs: small multiples of each indicator's monthly values by area with the
control chart's average and limits. The static edition embeds them as SVG (rendered by
vl-convert, no browser needed) with a text alternative beside each; the same spec serves the
web page through vega-embed. PDF and SVG need the ``pdf`` extra; without it the HTML, CSV and
XLSX are still written, without charts.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..indicators.definitions import Indicator, IndicatorSet
from ..indicators.evaluate import Evaluation, month_name
from .exports import write_csv, write_xlsx

TAGS = {
    "improving": "govuk-tag--green",
    "deteriorating": "govuk-tag--red",
    "stable": "govuk-tag--grey",
    "changed": "govuk-tag--blue",
    "not computable": "govuk-tag--yellow",
}

CSV_HEADER = [
    "edition",
    "data_cutoff",
    "objective",
    "indicator",
    "title",
    "type",
    "polarity",
    "area_code",
    "area_name",
    "level",
    "period",
    "period_start",
    "period_end",
    "value",
    "lower_95",
    "upper_95",
    "unit",
    "numerator",
    "denominator",
    "denominator_label",
    "comparison",
    "before",
    "after",
    "test",
    "p_value",
    "comparison_verdict",
    "control_chart",
    "score",
    "reason",
    "target",
    "caveats",
]


def fmt(v: float | None, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit == "%":
        return f"{v:.1f}%"
    if unit.startswith("per "):
        return f"{v:,.2f}"
    return f"{v:,.0f}"


def chart_spec(ind: Indicator, evals: Sequence[Evaluation]) -> dict[str, Any]:
    """Vega-Lite small multiples: monthly values per area with average and control limits."""
    rows: list[dict[str, Any]] = []
    for e in evals:
        for m, v in zip(e.months, e.series, strict=True):
            rows.append(
                {
                    "area": e.area_name,
                    "month": f"{m}-01",
                    "value": v,
                    "centre": e.spc.get("centre"),
                    "upper": e.spc.get("upper"),
                    "lower": max(e.spc["lower"], 0.0) if e.spc.get("lower") is not None else None,
                }
            )
    unit = evals[0].unit if evals else ""
    x = {
        "field": "month",
        "type": "temporal",
        "title": None,
        "axis": {"format": "%b %y", "labelAngle": 0, "tickCount": 4},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": chart_alt(ind, evals),
        "data": {"values": rows},
        "facet": {"field": "area", "type": "nominal", "title": None, "sort": None},
        "columns": 4,
        "spec": {
            "width": 160,
            "height": 90,
            "layer": [
                {
                    "mark": {"type": "rule", "color": "#b1b4b6", "strokeDash": [4, 3]},
                    "encoding": {
                        "y": {"field": "upper", "aggregate": "max", "type": "quantitative"}
                    },
                },
                {
                    "mark": {"type": "rule", "color": "#b1b4b6", "strokeDash": [4, 3]},
                    "encoding": {
                        "y": {"field": "lower", "aggregate": "max", "type": "quantitative"}
                    },
                },
                {
                    "mark": {"type": "rule", "color": "#505a5f"},
                    "encoding": {
                        "y": {"field": "centre", "aggregate": "max", "type": "quantitative"}
                    },
                },
                {
                    "mark": {"type": "line", "color": "#1d70b8", "point": {"size": 12}},
                    "encoding": {
                        "x": x,
                        "y": {"field": "value", "type": "quantitative", "title": unit},
                    },
                },
            ],
        },
        "resolve": {"scale": {"y": "independent"}},
        "config": {"font": "Arial", "view": {"stroke": None}},
    }


def chart_alt(ind: Indicator, evals: Sequence[Evaluation]) -> str:
    if not evals or not evals[0].months:
        return f"No chart for {ind.title}: no monthly data."
    first, last = month_name(evals[0].months[0]), month_name(evals[0].months[-1])
    scores = "; ".join(f"{e.area_name}: {e.score}" for e in evals)
    return (
        f"Charts of {ind.title.lower()} each month from {first} to {last}, one per area, with the "
        f"average (solid line) and control limits (dashed). Scores: {scores}. "
        "The figures are in the table above and in the CSV."
    )


def _svg(spec: dict[str, Any]) -> str | None:
    try:
        import vl_convert as vlc
    except ImportError:
        return None
    svg: str = vlc.vegalite_to_svg(spec)
    return svg


def _govuk_css() -> Path | None:
    vendor = resources.files("saferplaces").joinpath("web", "static", "vendor")
    try:
        found = sorted(Path(str(vendor)).glob("govuk-frontend-*.min.css"))
    except OSError:
        return None
    return found[-1] if found else None


def csv_rows(
    meta: dict[str, Any], indicators: IndicatorSet, evals: Sequence[Evaluation]
) -> list[list[Any]]:
    by_id = {i.id: i for i in indicators.indicators}
    rows = []
    for e in evals:
        ind = by_id[e.indicator]
        c = e.comparisons[-1] if e.comparisons else None
        rows.append(
            [
                meta["edition"],
                meta["data_cutoff"],
                ind.objective,
                ind.id,
                ind.title,
                ind.type,
                ind.polarity,
                e.area_code,
                e.area_name,
                e.level,
                e.period,
                e.period_start,
                e.period_end,
                e.value,
                e.lower,
                e.upper,
                e.unit,
                e.numerator,
                e.denominator,
                e.denominator_label,
                c.label if c else None,
                c.before if c else None,
                c.after if c else None,
                c.test if c else None,
                c.p_value if c else None,
                c.verdict if c else None,
                e.spc.get("status"),
                e.score,
                e.reason,
                e.target["text"] if e.target else None,
                " | ".join(e.caveats),
            ]
        )
    return rows


def render_html(
    meta: dict[str, Any],
    indicators: IndicatorSet,
    evals: Sequence[Evaluation],
    *,
    css_govuk: str | None,
    chart_dir: Path | None = None,
) -> str:
    """The edition's page. Charts are written as SVG files into ``chart_dir`` (``charts/`` beside
    the page) and shown with ``<img>``, which scales in browsers and in WeasyPrint alike."""
    env = Environment(
        loader=PackageLoader("saferplaces.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    objectives = []
    for obj in indicators.objectives:
        items = []
        for ind in indicators.indicators:
            if ind.objective != obj.id:
                continue
            ev = [e for e in evals if e.indicator == ind.id]
            caveats = list(dict.fromkeys(c for e in ev for c in e.caveats))
            ok = [e for e in ev if e.status == "ok" and e.series]
            chart_src = None
            svg = _svg(chart_spec(ind, ok)) if chart_dir is not None and ok else None
            if svg is not None and chart_dir is not None:
                chart_dir.mkdir(exist_ok=True)
                (chart_dir / f"{ind.id}.svg").write_text(svg, "utf-8")
                chart_src = f"{chart_dir.name}/{ind.id}.svg"
            items.append(
                {
                    "indicator": ind,
                    "evaluations": ev,
                    "caveats": caveats,
                    "period": next((e.period for e in ev if e.period), ""),
                    "unit": next((e.unit for e in ev if e.unit), ""),
                    "chart_src": chart_src,
                    "chart_alt": chart_alt(ind, ok),
                }
            )
        if items:
            objectives.append(
                {"title": obj.title, "description": obj.description, "indicators": items}
            )
    return env.get_template("scorecard.html.j2").render(
        meta=meta, objectives=objectives, fmt=fmt, tag=TAGS, css_govuk=css_govuk
    )


def write_outputs(
    folder: Path,
    meta: dict[str, Any],
    indicators: IndicatorSet,
    evals: Sequence[Evaluation],
    formats: Sequence[str] = ("html", "pdf", "csv", "xlsx"),
) -> list[Path]:
    """Write the edition's files into ``folder``; returns the paths written."""
    written: list[Path] = []
    rows = csv_rows(meta, indicators, evals)
    if "csv" in formats:
        write_csv(folder / "scorecard.csv", CSV_HEADER, rows)
        written.append(folder / "scorecard.csv")
    if "xlsx" in formats:
        write_xlsx(folder / "scorecard.xlsx", {"Scorecard": (CSV_HEADER, rows)})
        written.append(folder / "scorecard.xlsx")
    if "html" in formats or "pdf" in formats:
        assets = folder / "assets"
        assets.mkdir(exist_ok=True)
        shutil.copy(
            Path(str(resources.files("saferplaces.publish").joinpath("assets", "scorecard.css"))),
            assets,
        )
        css = _govuk_css()
        css_href = None
        if css is not None:
            shutil.copy(css, assets / css.name)
            css_href = f"assets/{css.name}"
        html = render_html(meta, indicators, evals, css_govuk=css_href, chart_dir=folder / "charts")
        (folder / "index.html").write_text(html, "utf-8")
        written.append(folder / "index.html")
        if "pdf" in formats:
            try:
                import weasyprint
            except ImportError:
                pass  # the pdf extra is not installed: HTML, CSV and XLSX are enough
            else:
                weasyprint.HTML(
                    filename=str(folder / "index.html"), base_url=str(folder)
                ).write_pdf(folder / "scorecard.pdf")
                written.append(folder / "scorecard.pdf")
    return written
