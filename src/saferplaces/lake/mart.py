"""The base mart and the outcome links built from the lake.

``crime_monthly`` (one partition per force and month) holds, per LSOA and category, the counts
every statistic starts from. Counting rules (docs/lake.md):

* **crimes** = distinct non-blank Crime IDs. A Crime ID that appears more than once in a month
  (about 2% of crime rows; the copies differ in location or outcome) is counted once, at its
  first row in the file, so LSOA counts add up to the force's distinct total.
* **ASB incidents** = rows (ASB has no Crime ID; identical ASB rows are separate incidents).
* **no_location_rows** = rows with no coordinates and no LSOA (``lsoa_code`` is NULL for them).
* outcome-group counts use each crime's ``Last outcome category`` *as published in that street
  file* (a snapshot); the ``crime_outcomes`` view gives the latest outcome from outcome files.

A mart partition records the checksum of the street partition it came from, so rebuilding only
touches partitions whose source changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from .catalog import list_partitions
from .partition import DATA_FILE, partition_dir, read_provenance, write_partition
from .schemas import SCHEMA_VERSION

MART = "crime_monthly"
OUTCOME_GROUPS = (
    "charged_court",
    "out_of_court",
    "evidential_closure",
    "no_suspect",
    "open",
    "unknown",
)

_OUTCOME_COUNTS = ",\n    ".join(
    f"count(*) FILTER (WHERE counts_as_crime AND outcome_group = '{g}')::INTEGER AS outcome_{g}"
    for g in OUTCOME_GROUPS
)


def mart_sql(source: str, file_key: str | None = None) -> str:
    """The mart query over ``source`` (a table, view or ``read_parquet(...)``). With
    ``file_key``, ``source`` holds several street files told apart by that column, and the
    result is grouped by it too (one ingest batch at once). One template serves both, so the
    counting rule cannot drift between an ingest and a rebuild."""
    part = f"{file_key}, " if file_key else ""
    return _MART_SQL.format(part=part, source=source)


_MART_SQL = f"""
WITH firsts AS (
    -- Only rows flagged duplicate_id (a Crime ID seen more than once in its file, about 2%)
    -- need the window that finds each ID's first row; every other row is its ID's first.
    SELECT *, (crime_id IS NOT NULL AND NOT is_asb) AS counts_as_crime
    FROM {{source}} WHERE NOT duplicate_id
    UNION ALL
    SELECT *, (crime_id IS NOT NULL AND NOT is_asb
               AND row_number() OVER (PARTITION BY {{part}}crime_id ORDER BY line) = 1)
    FROM {{source}} WHERE duplicate_id
)
SELECT
    {{part}}lsoa_code,
    category,
    count(*) FILTER (WHERE counts_as_crime)::INTEGER AS crimes,
    count(*) FILTER (WHERE is_asb)::INTEGER AS asb_incidents,
    count(*)::INTEGER AS rows,
    count(*) FILTER (WHERE no_location)::INTEGER AS no_location_rows,
    count(*) FILTER (WHERE duplicate_id)::INTEGER AS duplicate_id_rows,
    {_OUTCOME_COUNTS}
FROM firsts
GROUP BY {{part}}lsoa_code, category
ORDER BY {{part}}lsoa_code NULLS LAST, category
"""


def rebuild_mart_partition(lake_dir: Path, force: str, month: str) -> Path:
    """(Re)build ``crime_monthly`` for one force-month from its street partition."""
    keys = {"force": force, "month": month}
    source = partition_dir(lake_dir, "street", keys) / DATA_FILE
    prov = read_provenance(source)
    path = str(source).replace("'", "''")
    with duckdb.connect() as con:
        table = con.sql(mart_sql(f"read_parquet('{path}')")).to_arrow_table()
    return write_mart_partition(lake_dir, force, month, table, prov)


def mart_provenance(force: str, month: str, street_prov: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataset": MART,
        "force": force,
        "month": month,
        "source_sha256": street_prov.get("source_sha256"),
        "source_ingest_id": street_prov.get("ingest_id"),
        "schema_version": SCHEMA_VERSION,
    }


def write_mart_partition(
    lake_dir: Path, force: str, month: str, table: Any, street_prov: dict[str, Any]
) -> Path:
    keys = {"force": force, "month": month}
    return write_partition(lake_dir, MART, keys, table, mart_provenance(force, month, street_prov))


def rebuild_marts(lake_dir: Path, changed: Iterable[tuple[str, str, str]] | None = None) -> int:
    """Rebuild the mart partitions that are stale; ``changed`` limits the check to those
    (dataset, force, month) triples. Returns how many partitions were rebuilt."""
    wanted = None if changed is None else {(f, m) for d, f, m in changed if d == "street"}
    n = 0
    for part in list_partitions(lake_dir, "street"):
        key = (part.keys["force"], part.keys["month"])
        if wanted is not None and key not in wanted:
            continue
        mart = partition_dir(lake_dir, MART, part.keys) / DATA_FILE
        built = read_provenance(mart) if mart.exists() else {}
        if (
            built.get("source_sha256") == part.provenance.get("source_sha256")
            and built.get("schema_version") == SCHEMA_VERSION
        ):
            continue
        rebuild_mart_partition(lake_dir, *key)
        n += 1
    return n


def create_outcome_views(con: duckdb.DuckDBPyConnection) -> None:
    """Views linking outcome files to street crimes by Crime ID (needs both views to exist).

    ``crime_outcomes``: one row per Crime ID with its latest outcome and the month it was
    reached. ``street_outcomes``: street rows with ``latest_outcome`` (from outcome files when
    there is one, else the street file's snapshot) and ``outcome_month``."""
    con.execute(
        """
        CREATE OR REPLACE VIEW crime_outcomes AS
        SELECT crime_id, force,
               arg_max(outcome_type, month || lpad(line::VARCHAR, 9, '0')) AS outcome_type,
               arg_max(outcome_group, month || lpad(line::VARCHAR, 9, '0')) AS outcome_group,
               max(month) AS outcome_month
        FROM outcomes WHERE crime_id IS NOT NULL GROUP BY crime_id, force
        """
    )
    con.execute(
        """
        CREATE OR REPLACE VIEW street_outcomes AS
        SELECT s.*,
               COALESCE(o.outcome_type, s.last_outcome_category) AS latest_outcome,
               COALESCE(o.outcome_group, s.outcome_group) AS latest_outcome_group,
               o.outcome_month
        FROM street s LEFT JOIN crime_outcomes o
          ON o.crime_id = s.crime_id AND o.force = s.force
        """
    )
