"""The web page and the PDF: escaping, accessible structure, page count and key text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.briefings.conftest import (
    BATH,
    BRISTOL,
    SCRIPT_NAME,
    needs_poppler,
    pdf_pages,
    pdf_text,
)

from saferplaces import Workspace
from saferplaces.briefings import BriefingSet, render_html, render_pdf
from saferplaces.briefings.charts import map_svg, trend_svg
from saferplaces.briefings.render import MAX_PAGES


@pytest.fixture(scope="module")
def wards(small_ws: Workspace) -> BriefingSet:
    (small_ws.root / "briefings.yaml").write_text(
        "areas:\n  W01:\n    team: <b>Team</b>\n    priorities: ['<img src=x onerror=alert(2)>']\n"
        "    links: [{text: Plan, url: 'https://example.org/a?b=1&c=2'}]\n",
        "utf-8",
    )
    try:
        return BriefingSet.prepare(small_ws, "ward")
    finally:
        (small_ws.root / "briefings.yaml").unlink()


class Outline(HTMLParser):
    """Headings in order, tables with their captions and header cells, images and SVGs."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.th_scoped = 0
        self.th = 0
        self.svgs: list[dict[str, str | None]] = []
        self.imgs: list[dict[str, str | None]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th":
            self.th += 1
            self.th_scoped += a.get("scope") in ("col", "row")
        elif tag == "svg":
            self.svgs.append(a)
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "script":
            self.scripts += 1


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


def test_html_escapes_names_and_neighbourhood_text(wards: BriefingSet) -> None:
    html = render_html(wards.content("W01"))
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>Team</b>" not in html and "&lt;b&gt;Team&lt;/b&gt;" in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html
    o = outline(html)
    assert o.scripts == 0  # not one <script> element, from the name or anywhere else
    print_html = render_html(wards.content("W01"), mode="print")
    assert SCRIPT_NAME not in print_html and outline(print_html).scripts == 0


def test_html_is_accessible(small_ws: Workspace) -> None:
    b = BriefingSet.prepare(small_ws, "lad")
    html = render_html(b.content(BRISTOL), css_govuk="govuk.css")
    o = outline(html)
    assert o.headings[0] == 1 and o.headings.count(1) == 1
    for prev, cur in zip(o.headings, o.headings[1:], strict=False):
        assert cur <= prev + 1, f"heading level jumps from h{prev} to h{cur}"
    assert o.tables >= 3 and o.captions == o.tables
    assert o.th and o.th_scoped == o.th
    assert o.svgs, "trend charts are inline SVG on the web page"
    for svg in o.svgs:
        assert svg.get("role") == "img" and svg.get("aria-labelledby")
    assert re.search(r'<html lang="en"', html)
    assert "Skip to main content" in html
    # Meaning never by colour alone: every verdict is a word.
    assert "Up: a real change" in html and "No real change" in html


def test_charts_are_small_and_say_what_they_show() -> None:
    svg = trend_svg(
        ["2021-01", "2021-02", "2021-03", "2021-04"],
        [5.0, None, 7.0, 6.0],
        centre=6.0,
        lower=1.0,
        upper=11.0,
        title="Burglary <each> month",
        desc="Between 5 & 7",
        ident="t",
    )
    assert '<title id="t-t">Burglary &lt;each&gt; month</title>' in svg
    assert "Between 5 &amp; 7" in svg
    assert svg.count("<path") <= 6  # each kind of mark is one path
    line = re.search(r'<path d="([^"]+)" fill="none" stroke="#1d70b8"', svg)
    assert line and line.group(1).count("M") == 2  # the missing month breaks the line
    m = map_svg(
        {
            "bounds": [0, 0, 1000, 1000],
            "outline": [[[0, 0], [1000, 0], [1000, 1000], [0, 0]]],
            "neighbours": [],
            "cell_shapes": [[0, [[[0, 0], [200, 0], [200, 200], [0, 0]]]]],
            "scale_m": 200,
        },
        title="Map",
        desc="d",
        ident="m",
    )
    assert m.count("<path") <= 4 and "200 m" in m


def test_pdf_small_number_area(small_ws: Workspace, tmp_path: Path) -> None:
    needs_poppler()
    b = BriefingSet.prepare(small_ws, "lad")
    target = tmp_path / "bath.pdf"
    render_pdf(b.content(BATH), target)
    assert 2 <= pdf_pages(target) <= MAX_PAGES
    text = pdf_text(target)
    flat = " ".join(text.split())
    assert "Bath and North East Somerset" in flat
    assert "too few to tell" in flat
    assert "Too few to tell" in flat
    assert "likely range 0 to 9" in flat
    assert "Open Government Licence v3.0" in flat
