"""Rendering a briefing's content: one accessible HTML page, and a printable A4 PDF.

Both come from one Jinja2 template (autoescaping on, so area names and the neighbourhood text
from ``briefings.yaml`` are always text, never markup). The web page uses GOV.UK Frontend
classes with the vendored stylesheet, as the Scorecard does. The PDF is the same markup in
``print`` mode: a cover, then at most four pages (figures; month by month; map and outcomes;
the partnership, caveats and sources), with a small print stylesheet of its own instead of
GOV.UK Frontend's 140 kB one, parsed once per process: WeasyPrint matches every rule against
every element, and the full stylesheet made each PDF slower for no visible gain.
"""

from __future__ import annotations

import base64
import functools
import shutil
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from ..indicators.evaluate import month_name
from ..publish.scorecard import _govuk_css  # the vendored GOV.UK Frontend stylesheet
from . import charts

Mode = Literal["web", "print"]
WEB_CSS = "briefing.css"
PRINT_CSS = "briefing-print.css"
#: The most pages a briefing PDF may have: a cover and four pages (issue #6).
MAX_PAGES = 5


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("saferplaces.briefings", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["ramp"] = charts.RAMP
    env.filters["month"] = lambda m: month_name(m) if m else ""
    return env


def _template_text(name: str) -> str:
    return resources.files("saferplaces.briefings").joinpath("templates", name).read_text("utf-8")


def _as_img(svg: str, alt: str) -> str:
    # In the PDF each chart is an <img> of a data: URL rather than inline SVG: WeasyPrint
    # then parses it with the C XML parser instead of its pure-Python HTML tokenizer, and does
    # not cascade the page's styles into every SVG node (about 15% of the layout time).
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="sp-svg" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def chart_markup(content: dict[str, Any], mode: Mode = "web") -> dict[str, Any]:
    """Markup for the trend charts, the map and the funnel plot of one briefing: inline SVG
    on the web page (with ``<title>`` and ``<desc>``), images in the PDF."""
    svgs = _chart_svgs(content, mode)
    if mode == "web":
        return svgs
    alts = _chart_alts(content)
    return {
        "trends": {k: _as_img(v, alts["trends"][k]) for k, v in svgs["trends"].items()},
        "map": _as_img(svgs["map"], alts["map"]) if svgs["map"] else None,
        "funnel": _as_img(svgs["funnel"], alts["funnel"]) if svgs["funnel"] else None,
    }


def _chart_alts(content: dict[str, Any]) -> dict[str, Any]:
    peer = content.get("peer")
    return {
        "trends": {t["id"]: t["description"] for t in content["trends"]},
        "map": map_description(content) if content["map"].get("available") else "",
        "funnel": peer["text"] if peer else "",
    }


def _chart_svgs(content: dict[str, Any], mode: Mode) -> dict[str, Any]:
    name = content["area"]["name"]
    out: dict[str, Any] = {"trends": {}, "map": None, "funnel": None}
    for t in content["trends"]:
        if t["chart"]:
            out["trends"][t["id"]] = charts.trend_svg(
                t["months"],
                t["values"],
                centre=t["centre"],
                lower=t["lower"],
                upper=t["upper"],
                title=f"{t['title']} each month in {name}",
                desc=t["description"],
                ident=f"trend-{t['id']}",
                with_months=mode == "web",
            )
    m = content["map"]
    if m.get("available"):
        out["map"] = charts.map_svg(
            m, title=f"Map of {name}", desc=map_description(content), ident="map"
        )
    peer = content.get("peer")
    if peer:
        out["funnel"] = charts.funnel_svg(
            peer["funnel"],
            title=f"{peer['measure']} per 1,000 residents: {name} and its peer group",
            desc=peer["text"],
            ident="funnel",
        )
    return out


def map_description(content: dict[str, Any]) -> str:
    """The map in words (its text alternative, also printed under it)."""
    m = content["map"]
    name = content["area"]["name"]
    what = m["what"]
    period = content["period"]["label"]
    if not m.get("count"):
        return (
            f"Map of {name} showing its boundary. No {what} with a location were recorded in "
            f"{period}."
        )
    size = m["cell_size"]
    size_text = f"{size / 1000:g} km" if size >= 1000 else f"{size} m"
    text = (
        f"Map of {name}: its boundary (black line) over {size_text} squares shaded by how many "
        f"{what} were recorded in each in {period} (darker means more). {m['count']:,} {what} "
        f"fell in {m['squares']:,} squares; half of them in the busiest {m['half_in']:,}, and "
        f"the busiest square had {m['busiest']:,}."
    )
    if m.get("places"):
        text += (
            " Most often recorded near: "
            + "; ".join(f"{p['place']} ({p['count']})" for p in m["places"])
            + "."
        )
    return text


def render_html(
    content: dict[str, Any],
    *,
    mode: Mode = "web",
    assets: str = "assets/",
    css_govuk: str | None = None,
    pdf_href: str | None = None,
    index_href: str | None = None,
) -> str:
    """The briefing as HTML: the web page (``mode="web"``), or the PDF's markup (``"print"``)."""
    svgs = chart_markup(content, mode)
    return (
        environment()
        .get_template("briefing.html.j2")
        .render(
            c=content,
            svg=svgs,
            map_text=map_description(content) if content["map"].get("available") else "",
            print=mode == "print",
            assets=assets,
            css_govuk=css_govuk,
            pdf_href=pdf_href,
            index_href=index_href,
        )
    )


@functools.lru_cache(maxsize=1)
def _print_stylesheet() -> Any:
    import weasyprint

    return weasyprint.CSS(string=_template_text(PRINT_CSS))


def render_pdf(content: dict[str, Any], target: Path | None = None) -> bytes:
    """The briefing as an A4 PDF (needs the ``pdf`` extra: WeasyPrint)."""
    pdf, _ = _pdf(content)
    if target is not None:
        target.write_bytes(pdf)
    return pdf


def render_pdf_pages(content: dict[str, Any], target: Path) -> int:
    """Write the briefing's PDF to ``target``; returns its number of pages."""
    pdf, pages = _pdf(content)
    target.write_bytes(pdf)
    return pages


def _pdf(content: dict[str, Any]) -> tuple[bytes, int]:
    import weasyprint

    html = render_html(content, mode="print")
    doc = weasyprint.HTML(string=html).render(stylesheets=[_print_stylesheet()])
    pdf: bytes = doc.write_pdf()
    return pdf, len(doc.pages)


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return False
    return True


def copy_assets(folder: Path) -> str | None:
    """Copy the web stylesheets into ``folder``; returns the GOV.UK stylesheet's file name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / WEB_CSS).write_text(_template_text(WEB_CSS), "utf-8")
    css = _govuk_css()
    if css is None:
        return None
    shutil.copy(css, folder / css.name)
    return css.name


def render_index(
    rows: list[dict[str, Any]],
    failures: list[dict[str, str]],
    meta: dict[str, Any],
    *,
    css_govuk: str | None,
    assets: str = "assets/",
) -> str:
    """The index page of a bulk run: every area with its headline and links, and failures."""
    return (
        environment()
        .get_template("index.html.j2")
        .render(rows=rows, failures=failures, meta=meta, css_govuk=css_govuk, assets=assets)
    )
