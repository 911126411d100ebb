"""Retention: purge removes partitions (and reports) older than the retention period."""

from __future__ import annotations

import datetime as dt
import json

from tests.partners.conftest import ASB_HEADER, TODAY, WriteCsv, asb_rows

from saferplaces.lake import list_partitions
from saferplaces.partners import import_file
from saferplaces.partners.query import dataset_frame
from saferplaces.partners.retention import cutoff_month, purge
from saferplaces.workspace import Workspace


def test_cutoff_month() -> None:
    assert cutoff_month(dt.date(2026, 11, 22), 36) == "2023-12"
    assert cutoff_month(dt.date(2026, 1, 5), 1) == "2026-01"
    assert cutoff_month(dt.date(2026, 1, 5), 13) == "2025-01"


def test_purge_removes_old_months_atomically_and_logs(ws: Workspace, write_csv: WriteCsv) -> None:
    rows = asb_rows(20, "2018-11") + asb_rows(20, "2018-12", 100) + asb_rows(20, "2019-01", 200)
    rows[0][2] = "bad category"
    r = import_file(ws, "council_asb", write_csv("old.csv", ASB_HEADER, rows), today=TODAY,
                    max_reject_share=0.1)  # fmt: skip
    assert r.validation_report
    # council_asb keeps 72 months: on 2024-12-15 the oldest kept month is 2019-01.
    dry = purge(ws, "council_asb", today=dt.date(2024, 12, 15), dry_run=True)
    assert [x["month"] for x in dry.removed] == ["2018-11", "2018-12"]
    assert len(list_partitions(ws.lake_dir, "partner_council_asb")) == 3
    done = purge(ws, "council_asb", today=dt.date(2024, 12, 15))
    assert done.cutoffs == {"council_asb": "2019-01"}
    assert [p.keys["month"] for p in list_partitions(ws.lake_dir, "partner_council_asb")] == [
        "2019-01"
    ]
    assert dataset_frame(ws, "council_asb", "analyst").num_rows == 20
    assert not (ws.lake_dir / ".trash-partners" / done.purge_id).exists()
    log = json.loads((ws.lake_dir / "_log" / f"{done.purge_id}.json").read_text())
    assert log["kind"] == "partner-purge" and len(log["removed"]) == 2
    assert log["removed"][0]["rows"] == 19 and log["removed"][0]["source_file"].endswith("old.csv")
    # The import's report is recent (made today), so it stays; a purge far in the future
    # removes the rest, reports included.
    later = purge(ws, today=dt.date.today() + dt.timedelta(days=400 * 8))
    assert [x["month"] for x in later.removed] == ["2019-01"]
    assert r.validation_report in later.reports_removed
    assert not list((ws.lake_dir / "_reports").glob("*council_asb*"))
