"""Declared schemas of the police.uk datasets, as read from CSV and as stored in the lake.

Schemas are declared, never sniffed (sniffing was 3× slower in measurements, and a declared
schema is what lets a wrong file be told apart from a right one). Bump :data:`SCHEMA_VERSION`
when a stored schema changes; every partition records the version it was written with.
"""

from __future__ import annotations

from ..sources.policeuk_archive import HEADERS, Kind

SCHEMA_VERSION = 1

#: Lake dataset name for each police.uk file kind.
DATASET: dict[Kind, str] = {
    "street": "street",
    "outcomes": "outcomes",
    "stop-and-search": "stop_and_search",
}

#: DuckDB types used to read each CSV column (in file order). Coordinates are DOUBLE so that a
#: value that is not a number is caught, with its line, as the file is read.
_READ_TYPES: dict[Kind, list[str]] = {
    "street": ["VARCHAR"] * 4 + ["DOUBLE", "DOUBLE"] + ["VARCHAR"] * 6,
    "outcomes": ["VARCHAR"] * 4 + ["DOUBLE", "DOUBLE"] + ["VARCHAR"] * 4,
    "stop-and-search": ["VARCHAR"] * 4 + ["DOUBLE", "DOUBLE"] + ["VARCHAR"] * 9,
}


def snake(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def read_columns(kind: Kind) -> dict[str, str]:
    """``columns=`` argument for DuckDB ``read_csv``: snake_case name → type."""
    return {snake(h): t for h, t in zip(HEADERS[kind], _READ_TYPES[kind], strict=True)}


# The stored columns per dataset, documented in docs/lake.md. Partition keys (force, month) are
# in the path, not in the files.
OUTCOMES_SELECT = """
    NULLIF(r.crime_id, '') AS crime_id,
    r.reported_by, r.falls_within,
    r.longitude, r.latitude,
    NULLIF(r.location, '') AS location,
    NULLIF(r.lsoa_code, '') AS lsoa_code,
    NULLIF(r.lsoa_name, '') AS lsoa_name,
    r.outcome_type,
    COALESCE(o.code, 'unknown') AS outcome_code,
    COALESCE(o.grp, 'unknown') AS outcome_group,
    (r.longitude IS NULL OR r.latitude IS NULL) AS no_location,
    r.line
"""

STOP_SEARCH_SELECT = """
    NULLIF(r.type, '') AS type,
    TRY_CAST(r.date AS TIMESTAMPTZ) AS date,
    CASE lower(r.part_of_a_policing_operation) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE
         ELSE NULL END AS part_of_a_policing_operation,
    NULLIF(r.policing_operation, '') AS policing_operation,
    r.latitude, r.longitude,
    NULLIF(r.gender, '') AS gender,
    NULLIF(r.age_range, '') AS age_range,
    NULLIF(r.self_defined_ethnicity, '') AS self_defined_ethnicity,
    NULLIF(r.officer_defined_ethnicity, '') AS officer_defined_ethnicity,
    NULLIF(r.legislation, '') AS legislation,
    NULLIF(r.object_of_search, '') AS object_of_search,
    NULLIF(r.outcome, '') AS outcome,
    CASE lower(r.outcome_linked_to_object_of_search) WHEN 'true' THEN TRUE
         WHEN 'false' THEN FALSE ELSE NULL END AS outcome_linked_to_object_of_search,
    CASE lower(r.removal_of_more_than_just_outer_clothing) WHEN 'true' THEN TRUE
         WHEN 'false' THEN FALSE ELSE NULL END AS removal_of_more_than_just_outer_clothing,
    (r.longitude IS NULL OR r.latitude IS NULL) AS no_location,
    -- police.uk files a search by the local month; Date is UTC, so a search just after
    -- midnight on the 1st (BST) is dated the previous month. Kept in this file's partition.
    (strftime(TRY_CAST(r.date AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m') <> r.file_month)
        AS dated_previous_month,
    r.line
"""

# Street rows are shaped with Arrow (lake.ingest.street_columns); the others with SQL.
SELECTS: dict[Kind, str] = {
    "outcomes": OUTCOMES_SELECT,
    "stop-and-search": STOP_SEARCH_SELECT,
}
