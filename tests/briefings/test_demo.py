"""The demo workspace's district briefings (Avon and Somerset, 26 months of real police.uk data).

``build_demo`` takes about a minute, so everything about it is checked in one test (pytest-xdist
would otherwise build it once per worker).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from tests.briefings.conftest import needs_poppler, pdf_pages, pdf_text

from saferplaces.briefings import BriefingSet, render_html, render_pdf
from saferplaces.demo import DEMO_DISTRICTS, build_demo
from saferplaces.geo import lsoa_lookup, save_peer_group
from saferplaces.geo.peers import PeerGroup
from saferplaces.lake.catalog import dataset_glob

pytestmark = pytest.mark.slow

SECTIONS = (
    "In brief",
    "Key figures",
    "Crime and anti-social behaviour in",
    "Month by month",
    "Where crimes were recorded",
    "How crimes were resolved",
    "What the partnership is doing",
    "About these figures",
    "Contains public sector information licensed under the Open Government Licence v3.0",
)


def mart_crimes(lake: Path, lsoas: list[str], first: str, last: str) -> int:
    """Distinct crimes in the base mart over ``lsoas`` and the months, read independently."""
    glob = dataset_glob(lake, "crime_monthly").replace("'", "''")
    with duckdb.connect() as con:
        (n,) = con.execute(
            f"SELECT sum(crimes) FROM read_parquet('{glob}', hive_partitioning = true) "
            "WHERE category <> 'anti-social-behaviour' AND month BETWEEN ? AND ? "
            "AND lsoa_code IN (SELECT unnest(?))",
            [first, last, lsoas],
        ).fetchone()
    return int(n)


def test_demo_district_briefings(tmp_path_factory: pytest.TempPathFactory) -> None:
    needs_poppler()
    summary = build_demo(tmp_path_factory.mktemp("demo"))
    ws = summary.workspace
    index = summary.briefings_index
    assert index is not None and index == ws.published_dir / "briefings" / "lad" / "index.html"
    out = index.parent
    page = index.read_text("utf-8")
    for code in DEMO_DISTRICTS:
        assert f'href="{code}.html"' in page
        assert 2 <= pdf_pages(out / f"{code}.pdf") <= 5, code  # a cover and at most 4 pages
    # Visual regression: page count and key text of one PDF.
    bristol = "E06000023"
    assert pdf_pages(out / f"{bristol}.pdf") == 5
    text = " ".join(pdf_text(out / f"{bristol}.pdf").split())
    for s in SECTIONS:
        assert s in text, s
    assert "Bristol, City of" in text and "the 12 months to Sep 2021" in text
    assert "Page 2 of 5" in text

    # Figures: a district's crime count is the base mart's sum over its LSOAs.
    b = BriefingSet.prepare(ws, "lad")
    for code in (bristol, "E07000191"):
        c = b.content(code)
        lsoas = lsoa_lookup(2011).members("lad", code)
        expected = mart_crimes(ws.lake_dir, lsoas, c["period"]["start"], c["period"]["end"])
        assert c["measures"][0]["id"] == "all-crime"
        assert c["measures"][0]["count"] == expected
        assert c["period"] == {**c["period"], "start": "2020-10", "end": "2021-09"}
        assert c["map"]["available"] and c["map"]["count"] == expected
        # About 6% of the force's rows have no location in this period: said, with the count.
        assert any(
            re.search(r"^[\d,]+ crimes and incidents .* had no location", cv) for cv in c["caveats"]
        )
    # Real outcome snapshots: most crimes of the outcome window are still open in these files.
    o = b.content(bristol)["outcomes"]
    assert o["available"] and o["total"] > 1000
    open_share = next(g["count"] for g in o["groups"] if g["group"] == "open") / o["total"]
    assert o["show_shares"] == (open_share <= 0.5)

    # A peer group of the nine districts: a funnel comparison appears.
    save_peer_group(ws.root, PeerGroup("avon-somerset", "lad", list(DEMO_DISTRICTS)))
    c = BriefingSet.prepare(ws, "lad").content(bristol)
    assert c["peer"] is not None and c["peer"]["members"] == 9
    html = render_html(c)
    assert "Compared with similar areas" in html and 'id="funnel-t"' in html
    target = out.parent / "bristol-peers.pdf"
    render_pdf(c, target)
    assert pdf_pages(target) <= 5  # the peer comparison still fits the page budget
    assert "Compared with similar areas" in " ".join(pdf_text(target).split())
