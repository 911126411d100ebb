"""The Lancashire partner-style example as a workspace (shared by the tests and the benchmark).

``lancashire_asb.tab`` (../shared/data/partner-examples/lancashire/) holds 56,434 police.uk ASB
incidents of 2022 as a council might extract them: tab-separated ``month`` (YYYY-MM-01),
``longitude``, ``latitude``, ``location`` and ``lsoa_code``. :func:`write_policeuk_street`
turns it back into police.uk street files so it goes through the ordinary ingest:

* one file per month, ``2022-MM/2022-MM-lancashire-street.csv``, with the exact police.uk
  header and CRLF line endings (as every real police.uk file has);
* ``Crime ID`` and ``Last outcome category`` blank, ``Crime type`` "Anti-social behaviour"
  (police.uk ASB rows have no ID and no outcome);
* ``Location`` "On or near <location>"; ``Reported by`` and ``Falls within`` "Lancashire
  Constabulary"; ``LSOA name`` and ``Context`` blank (the extract has no LSOA names);
* rows keep the file's order (identical rows are separate incidents, never de-duplicated).

:func:`build_lancashire` then ingests them, imports the 271 ward boundaries (point-in-polygon
assignment: the wards do not follow LSOAs) and the ward populations as the denominator
``population`` at level ``ward``. This converter is test/benchmark scaffolding, not library code.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from saferplaces import Workspace
from saferplaces.geo import read_denominators, save_denominator
from saferplaces.geo.importer import import_areas
from saferplaces.geo.store import provenance
from saferplaces.lake.ingest import ingest
from saferplaces.sources.policeuk_archive import HEADERS

FORCE = "lancashire"
FORCE_NAME = "Lancashire Constabulary"
FILES = ("lancashire_asb.tab", "lancashire_wards.gpkg", "lancashire_ward_pop.xlsx")


def read_asb(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def write_policeuk_street(tab: Path, out_dir: Path) -> dict[str, int]:
    """Write the ASB extract as police.uk street files; returns rows per month."""
    by_month: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_asb(tab):
        by_month[row["month"][:7]].append(row)
    counts = {}
    for month, rows in sorted(by_month.items()):
        folder = out_dir / month
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{month}-{FORCE}-street.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(HEADERS["street"])
            for r in rows:
                w.writerow(
                    [
                        "",
                        month,
                        FORCE_NAME,
                        FORCE_NAME,
                        r["longitude"],
                        r["latitude"],
                        f"On or near {r['location']}" if r["location"] else "No Location",
                        r["lsoa_code"],
                        "",
                        "Anti-social behaviour",
                        "",
                        "",
                    ]
                )
        counts[month] = len(rows)
    return counts


def build_lancashire(data_dir: Path, root: Path) -> Workspace:
    """The Lancashire workspace: ASB incidents, 271 wards, ward populations."""
    ws = Workspace.create(root / "ws", "Lancashire example partnership", [FORCE], [])
    src = root / "policeuk"
    write_policeuk_street(data_dir / "lancashire_asb.tab", src)
    report = ingest(ws.lake_dir, [src])
    assert report.ok, [f for f in report.files if f.status == "rejected"]
    import_areas(
        ws,
        data_dir / "lancashire_wards.gpkg",
        level="ward",
        code_field="ward_code",
        name_field="ward_name",
    )
    pop_file = data_dir / "lancashire_ward_pop.xlsx"
    denom = read_denominators(
        pop_file,
        name="population",
        year=2020,
        source="Lancashire ward population estimates (partner example)",
        level="ward",
        code_field="gss_code",
        value_field="population",
    )
    save_denominator(
        ws.lake_dir,
        denom,
        provenance(pop_file, rows_read=len(denom.values), rows_kept=len(denom.values)),
    )
    return ws
