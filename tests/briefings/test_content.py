"""What a briefing says, checked against known figures in constructed workspaces."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from tests.briefings.conftest import BATH, BRISTOL, MONTHS, SCRIPT_NAME, counts_for
from tests.indicators.conftest import lsoas, make_workspace

from saferplaces import Workspace
from saferplaces.briefings import MEASURES, BriefingSet, briefing_content
from saferplaces.briefings.content import class_breaks, compare_rates
from saferplaces.errors import SaferPlacesError
from saferplaces.geo import save_peer_group
from saferplaces.geo.peers import PeerGroup


@pytest.fixture(scope="module")
def lad(small_ws: Workspace) -> BriefingSet:
    return BriefingSet.prepare(small_ws, "lad")


def row(content: dict, measure: str) -> dict:
    return next(r for r in content["measures"] if r["id"] == measure)


def test_content_is_plain_json(lad: BriefingSet) -> None:
    c = lad.content(BRISTOL)
    assert json.loads(json.dumps(c)) == c
    assert c["schema"] == "saferplaces.briefing/1"
    assert [r["id"] for r in c["measures"]] == [m.id for m in MEASURES]


def test_known_counts_and_a_real_rise(lad: BriefingSet) -> None:
    c = lad.content(BRISTOL)
    assert c["period"]["label"] == "the 12 months to Sep 2021"
    assert c["period"]["comparison_available"]
    # 5 LSOAs × 14 a month × 12 months, against 5 × 10 × 12 a year earlier.
    violence = row(c, "violence")
    assert violence["count"] == 840
    assert violence["change"]["kind"] == "up"
    assert violence["change"]["before"] == 600
    assert "40% more" in violence["change"]["text"]
    # Burglary is flat: 5 × 3 × 12 both years.
    burglary = row(c, "burglary")
    assert burglary["count"] == 180
    assert burglary["change"]["kind"] == "same"
    assert "%" not in burglary["change"]["text"]  # no percentage for a change that is not real
    assert row(c, "all-crime")["count"] == 840 + 180 + 120
    assert row(c, "asb")["count"] == 5 * 8 * 12  # ASB never added to crime
    assert any("Violence and sexual offences" in s for s in c["headline"]["changes"]) or (
        c["headline"]["title"].startswith("Recorded crime in Bristol, City of rose")
    )
    # Rates use Census residents and compare with the force (located rows only).
    assert c["population"]["available"]
    assert row(c, "all-crime")["rate"] == pytest.approx(
        1140 / c["population"]["value"] * 1000, rel=1e-9
    )
    assert row(c, "all-crime")["force_versus"] in ("higher", "similar", "lower")


def test_small_numbers_read_sensibly(lad: BriefingSet) -> None:
    c = lad.content(BATH)
    vehicle = row(c, "vehicle-crime")
    assert vehicle["count"] == 3
    assert vehicle["small"]
    assert vehicle["change"]["kind"] == "too-few"
    assert vehicle["change"]["short"] == "Too few to tell"
    # Exact Poisson 95% interval for 3 is 0.62 to 8.77: shown widened, as whole counts.
    assert vehicle["range_text"] == "likely range 0 to 9"
    lead = row(c, "all-crime")
    assert lead["count"] == 3 and lead["change"]["kind"] == "too-few"
    assert "too few to tell" in c["headline"]["title"]
    text = " ".join([c["headline"]["title"], *c["headline"]["sentences"]])
    assert "%" not in text
    for r in c["measures"]:
        assert "%" not in r["change"]["text"], r
    assert row(c, "burglary")["count"] == 0
    assert any(cv.startswith("Small numbers:") for cv in c["caveats"])
    # Outcomes of 3 crimes: counts only, even for the share still open.
    o = c["outcomes"]
    assert o["total"] == 3 and not o["show_shares"]
    assert o["message"].startswith("3 of these 3 crimes are still shown as under investigation")
    assert "%" not in o["message"]
    # Nothing to chart for so few: said in words.
    trend = next(t for t in c["trends"] if t["id"] == "vehicle-crime")
    assert not trend["chart"] and trend["status"].startswith("Too few to chart")


def test_outcomes_mostly_open_are_not_shown_as_shares(lad: BriefingSet) -> None:
    c = lad.content(BRISTOL)  # every constructed crime is still "Under investigation"
    o = c["outcomes"]
    assert o["available"] and not o["show_shares"]
    assert o["message"].startswith("Most of these crimes (100%) are still shown as under")
    assert all(g["share_text"] == "" for g in o["groups"])
    assert o["period_label"] == "the 12 months to Jun 2021"  # 3-month lag


def test_missing_month_is_said(gap_ws: Workspace) -> None:
    b = BriefingSet.prepare(gap_ws, "lad")
    c = b.content(BRISTOL)
    assert c["period"]["missing_months"] == ["2020-03"]
    assert any("Missing from police.uk: Mar 2020" in cv for cv in c["caveats"])
    # The latest 12 months are complete, so counts are given; the year before is not.
    v = row(c, "violence")
    assert v["count"] == 840
    assert v["change"]["kind"] == "not-compared"
    assert "missing from police.uk" in v["change"]["text"]
    trend = next(t for t in c["trends"] if t["id"] == "violence")
    assert trend["values"][MONTHS.index("2020-03")] is None  # a gap, never a zero
    # Outcomes mostly closed: shares shown, 3 in 4 with no suspect identified.
    o = c["outcomes"]
    assert o["show_shares"]
    nsi = next(g for g in o["groups"] if g["group"] == "no_suspect")
    assert nsi["count"] / o["total"] == pytest.approx(0.75, abs=0.01)
    assert o["no_suspect"]["value_text"] == f"{nsi['count'] / o['total'] * 100:.0f}%"
    assert o["no_suspect"]["range_text"]


def test_missing_month_in_the_latest_year(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, MONTHS, counts_for, skip={"2021-05"})
    c = briefing_content(ws, "lad", BRISTOL)
    assert c["headline"]["title"].startswith("Figures for Bristol, City of cannot be given")
    assert "police.uk has no data for May 2021" in c["headline"]["sentences"][0]
    assert all(r["count"] is None for r in c["measures"])


def test_drawn_level_counts_by_point_and_escapes_nothing_in_data(small_ws: Workspace) -> None:
    b = BriefingSet.prepare(small_ws, "ward")
    c = b.content("W01")
    assert c["area"]["name"] == SCRIPT_NAME  # data keep the name as it is; HTML escapes it
    assert row(c, "all-crime")["count"] == 1140 + 3  # both districts' rows sit at the point
    assert not c["population"]["available"]
    assert any("No population is held for this ward" in cv for cv in c["caveats"])
    quiet = b.content("W02")
    assert row(quiet, "all-crime")["count"] == 0
    assert quiet["map"]["available"] and quiet["map"]["count"] == 0
    assert c["area"]["parent"]["code"] == BRISTOL  # by the majority of its points' LSOAs


def test_unknown_area_and_level(small_ws: Workspace, lad: BriefingSet) -> None:
    with pytest.raises(SaferPlacesError):
        lad.content("E99999999")
    with pytest.raises(SaferPlacesError, match="no areas of level 'parish'"):
        BriefingSet.prepare(small_ws, "parish")


def test_peer_group_gives_a_funnel_comparison(small_ws: Workspace) -> None:
    b = BriefingSet.prepare(small_ws, "ward")
    assert b.content("W01")["peer"] is None  # no group defined
    # LSOA level: the five Bristol LSOAs as a peer group.
    members = lsoas(BRISTOL, 5)
    save_peer_group(small_ws.root, PeerGroup("bristol-five", "lsoa", members, "five LSOAs"))
    try:
        c = BriefingSet.prepare(small_ws, "lsoa").content(members[0])
    finally:
        (small_ws.root / "peer_groups.toml").unlink()
    peer = c["peer"]
    assert peer is not None and peer["group"] == "bristol-five" and peer["members"] == 5
    assert len(peer["funnel"]["peers"]) == 4
    assert peer["label"] in (
        "High (99.8%)",
        "High (95%)",
        "Not significant",
        "Low (95%)",
        "Low (99.8%)",
    )
    assert "the average of its peer group 'bristol-five'" in peer["text"]
    assert [r["title"] for r in peer["rows"]][:2] == ["All crime", "Violence and sexual offences"]
    assert c["area"]["parent"]["code"] == BRISTOL


def test_compare_rates_and_class_breaks() -> None:
    counts = np.array([100.0, 100.0, 160.0, np.nan])
    pops = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    out = compare_rates(counts, pops, np.array([100.0, 60.0, 100.0, 100.0]))
    assert out == ["similar", "higher", "higher", None]
    assert class_breaks(np.array([1, 1, 2, 3])) == [1, 2, 3]
    b = class_breaks(np.arange(1, 101))
    assert b[-1] == 100 and b == sorted(set(b)) and len(b) <= 5


def test_neighbourhood_text_comes_from_the_workspace_file(small_ws: Workspace) -> None:
    (small_ws.root / "briefings.yaml").write_text(
        "defaults:\n  contact: Call 101.\n"
        "areas:\n  E06000023:\n    team: Bristol Central team\n"
        "    priorities: [Speeding on Park Street, Shop theft]\n",
        "utf-8",
    )
    try:
        b = BriefingSet.prepare(small_ws, "lad")
        bristol, bath = b.content(BRISTOL), b.content(BATH)
    finally:
        (small_ws.root / "briefings.yaml").unlink()
    assert bristol["neighbourhood"]["team"] == "Bristol Central team"
    assert bristol["neighbourhood"]["priorities"] == ["Speeding on Park Street", "Shop theft"]
    assert bristol["neighbourhood"]["contact"] == bath["neighbourhood"]["contact"] == "Call 101."
    assert not bath["neighbourhood"]["priorities"]
    assert [p["title"] for p in bristol["partnership_priorities"]] == [
        "Protect Vulnerable People",
        "Reduce Harm",
        "Create Safer Communities",
    ]


def test_provenance_and_attribution(lad: BriefingSet) -> None:
    c = lad.content(BRISTOL)
    assert re.search(r"\(26 monthly files, each recorded with its SHA-256", c["provenance"]["text"])
    assert c["provenance"]["files"] == 26
    assert any("Open Government Licence v3.0" in a for a in c["attribution"])
