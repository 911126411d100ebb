"""Queries as an audience: record-level access, suppressed aggregates, refusals."""

from __future__ import annotations

import pytest
from tests.partners.conftest import ASB_HEADER, TODAY, WriteCsv, asb_rows
from tests.publish.attacker import equations, exact_recoveries, interval_recoveries

from saferplaces.partners import import_file
from saferplaces.partners._examples import example_path
from saferplaces.partners.query import QueryError, counts, dataset_frame, present_datasets
from saferplaces.publish.disclosure import DisclosureRefused
from saferplaces.workspace import Workspace


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace with five examples loaded, shared by the read-only tests below."""
    ws = Workspace.create(tmp_path_factory.mktemp("q") / "ws", "Query CSP", [], [])
    for name in ("marac", "council_asb", "police_workforce", "speed_watch", "victims_code"):
        import_file(ws, name, example_path(name), today=TODAY)
    return ws


@pytest.mark.parametrize("audience", ["public", "parish_council"])
def test_restricted_data_refused_for_public_and_parish(loaded: Workspace, audience: str) -> None:
    with pytest.raises(DisclosureRefused, match="'marac' is restricted"):
        counts(loaded, "marac", ["month"], audience=audience)
    with pytest.raises(DisclosureRefused):
        dataset_frame(loaded, "marac", audience)


def test_restricted_data_is_suppressed_for_partners_and_raw_for_analysts(loaded: Workspace) -> None:
    partner = counts(loaded, "marac", ["month", "referral_source"], audience="partner")
    analyst = counts(loaded, "marac", ["month", "referral_source"], audience="analyst")
    assert partner.mode == "controlled" and analyst.mode == "raw"
    assert any(partner.table.column("suppressed").to_pylist())
    for row in partner.to_pylist():
        assert row["value"] is None or row["value"] == 0 or row["value"] >= 10
    assert partner.footnotes and "1 to 9" in partner.footnotes[0]
    with pytest.raises(DisclosureRefused, match="record-level rows"):
        dataset_frame(loaded, "marac", "partner")
    assert dataset_frame(loaded, "marac", "analyst").num_rows == 180


def test_partners_data_for_public_resists_differencing(loaded: Workspace) -> None:
    c = counts(loaded, "council_asb", ["month", "category"], audience="public", totals=True)
    published = {
        (r["month"] if r["month_level"] != "all" else None,
         r["category"] if r["category_level"] != "all" else None): r["value"]
        for r in c.to_pylist()
    }  # fmt: skip
    months = {m: m[:4] for (m, _) in published if m and len(m) == 7}
    cats = ("personal", "nuisance", "environmental")
    eqs = equations([(tuple(sorted(months)), months), (cats, {})])
    assert sum(v is None for v in published.values()) > 0
    assert exact_recoveries(published, eqs) == {}
    assert interval_recoveries(published, eqs, 1.0) == {}
    # Totals shown are the true totals.
    raw = counts(loaded, "council_asb", [], audience="analyst")
    assert published[(None, None)] == raw.to_pylist()[0]["value"] == 305


def test_below_clearance_filters_apply_after_suppression(loaded: Workspace) -> None:
    full = counts(loaded, "council_asb", ["month", "category"], audience="public")
    part = counts(
        loaded, "council_asb", ["month", "category"], audience="public",
        where={"category": "nuisance"}, since="2023-03", until="2023-05",
    )  # fmt: skip
    expected = [
        r for r in full.to_pylist()
        if r["category"] == "nuisance" and "2023-03" <= r["month"] <= "2023-05"
    ]  # fmt: skip
    assert part.to_pylist() == expected
    with pytest.raises(QueryError, match="filter only on grouped columns"):
        counts(loaded, "council_asb", ["month"], audience="public", where={"category": "nuisance"})
    with pytest.raises(QueryError, match="need a period"):
        counts(loaded, "council_asb", ["category"], audience="public", since="2023-03")
    with pytest.raises(QueryError, match="string"):
        counts(loaded, "council_asb", ["location"], audience="public")
    # Raw audiences filter first.
    raw = counts(
        loaded, "council_asb", ["month"], audience="analyst", where={"category": "nuisance"}
    )
    assert sum(raw.table.column("value").to_pylist()) == sum(
        1 for r in dataset_frame(loaded, "council_asb", "analyst").to_pylist()
        if r["category"] == "nuisance"
    )  # fmt: skip


def test_public_dataset_with_threshold_and_snapshot(loaded: Workspace) -> None:
    with pytest.raises(QueryError, match="snapshots"):
        counts(loaded, "police_workforce", ["role"], audience="analyst")
    pub = counts(
        loaded, "police_workforce", ["month", "role", "ethnicity_group"], audience="public"
    )
    assert pub.mode == "controlled" and pub.threshold == 5
    values = [v for v in pub.table.column("value").to_pylist() if v is not None]
    assert all(v == 0 or v >= 5 for v in values)
    assert any(pub.table.column("suppressed").to_pylist())
    totals = counts(loaded, "police_workforce", ["month", "role"], audience="public", totals=True)
    assert set(totals.table.column("month_level").to_pylist()) == {"month"}  # never summed
    # speed_watch is public with no threshold: raw for everyone, counts of vehicles.
    sw = counts(loaded, "speed_watch", ["month"], audience="public", measure="over_limit")
    assert sw.mode == "raw" and sw.measure == "over_limit"
    assert dataset_frame(loaded, "speed_watch", "public").num_rows == 150
    with pytest.raises(QueryError, match="not a count"):
        counts(loaded, "speed_watch", ["month"], audience="public", measure="speed_limit")


def test_quarters_years_rounding_and_totals(loaded: Workspace) -> None:
    q = counts(loaded, "victims_code", ["quarter", "entitlement"], audience="partner",
               measure="denominator")  # fmt: skip
    quarters = sorted(set(q.table.column("quarter").to_pylist()))
    assert quarters == ["2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"]
    r = counts(loaded, "council_asb", ["year"], audience="public", rounding=5, totals=True)
    rows = {(x["year"], x["year_level"]): x for x in r.to_pylist()}
    assert rows[("2023", "year")]["value"] == 305 and rows[("2023", "year")]["flag"] == "rounded"
    assert rows[(None, "all")]["value"] == 305
    assert any("nearest 5" in f for f in r.footnotes)


def test_present_datasets_and_empty_workspace(ws: Workspace, write_csv: WriteCsv) -> None:
    assert present_datasets(ws) == []
    assert len(present_datasets(ws, include_empty=True)) == 10
    import_file(ws, "council_asb", write_csv("a.csv", ASB_HEADER, asb_rows(12)), today=TODAY)
    (status,) = present_datasets(ws)
    assert (status.name, status.rows, status.months) == ("council_asb", 12, ("2024-01",))
    assert counts(ws, "nrm", ["month"], audience="analyst").table.num_rows == 0


def test_area_queries_need_boundaries(loaded: Workspace) -> None:
    with pytest.raises(QueryError, match="no 'ward' boundaries are stored"):
        counts(loaded, "council_asb", ["ward"], audience="analyst")
    with pytest.raises(QueryError, match="has no geography"):
        counts(loaded, "victims_code", ["ward"], audience="analyst")
    # MARAC is coded by ward: counts by ward need no boundaries.
    c = counts(loaded, "marac", ["ward"], audience="analyst")
    assert sum(c.table.column("value").to_pylist()) == 180
