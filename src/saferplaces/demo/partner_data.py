"""SYNTHETIC partner data for the demo workspace, labelled as such everywhere it appears.

No real council or fire-service extract can be bundled, so the demo makes two, realistically:
locations are drawn (with a little jitter) from the real police.uk ASB and criminal damage and
arson locations of each month, volumes follow the real monthly pattern at a realistic fraction,
and the categories follow published proportions roughly. They exist to show partner data
feeding indicators; they are not evidence about Avon and Somerset.

The datasets use copies of the built-in templates saved in the workspace with "SYNTHETIC" in
their titles, so the web app, the Scorecard and the briefings all show the label.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from ..geo import to_bng
from ..lake.catalog import connect
from ..partners.definitions import list_definitions, read_definition
from ..workspace import Workspace

SEED = 20211015
#: The demo is "as at" the month after its last police.uk month: partner retention rules and
#: date checks are applied against this date, not the day the demo is built.
AS_AT = dt.date(2021, 10, 15)
LABEL = " (SYNTHETIC demo data)"

_ASB_TYPES = {
    "personal": ["neighbour dispute", "harassment", "intimidation"],
    "nuisance": ["noise", "rowdy behaviour", "street drinking", "vehicle nuisance"],
    "environmental": ["fly-tipping", "graffiti", "litter", "dog fouling"],
}


def _workspace_definition(ws: Workspace, name: str) -> None:
    """Copy a built-in template into the workspace with a SYNTHETIC title."""
    import yaml

    src = list_definitions(None)[name].path
    defn = read_definition(src)
    target = ws.root / "partners" / "definitions" / f"{name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load(Path(src).read_text("utf-8"))
    data["title"] = defn.title.removesuffix(LABEL) + LABEL
    data["description"] = (
        "SYNTHETIC data made for the SaferPlaces demo from police.uk locations; not a real "
        "extract. " + str(data.get("description", ""))
    )
    target.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")


def _points(
    ws: Workspace, categories: list[str]
) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    con = connect(ws.lake_dir)
    cats = ", ".join(f"'{c}'" for c in categories)
    rows = con.sql(
        f"SELECT month, longitude, latitude, location FROM street WHERE category IN ({cats}) "
        "AND longitude IS NOT NULL ORDER BY month, line"
    ).fetchall()
    out: dict[str, tuple[list[float], list[float], list[str]]] = {}
    for month, lon, lat, loc in rows:
        xs, ys, locs = out.setdefault(month, ([], [], []))
        xs.append(lon)
        ys.append(lat)
        locs.append((loc or "").removeprefix("On or near ").strip() or "Unknown")
    return {m: (np.array(x), np.array(y), loc) for m, (x, y, loc) in out.items()}


def _day(rng: np.random.Generator, month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:])
    start = dt.date(y, m, 1)
    end = dt.date(y + (m == 12), m % 12 + 1, 1)
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days)))


def write_council_asb(ws: Workspace, folder: Path, rng: np.random.Generator) -> Path:
    path = folder / "council_asb.synthetic.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["incident_ref", "date", "category", "asb_type", "location", "longitude", "latitude"]
        )
        n = 0
        for month, (lon, lat, locs) in sorted(_points(ws, ["anti-social-behaviour"]).items()):
            k = rng.binomial(len(lon), 0.35)  # councils log roughly a third as many
            for i in rng.choice(len(lon), size=k, replace=False):
                n += 1
                cat = str(
                    rng.choice(["personal", "nuisance", "environmental"], p=[0.2, 0.55, 0.25])
                )
                w.writerow(
                    [
                        f"ASB-{month[:4]}-{n:06d}",
                        _day(rng, month).isoformat(),
                        cat,
                        str(rng.choice(_ASB_TYPES[cat])),
                        locs[i],
                        f"{lon[i] + rng.normal(0, 0.0004):.5f}",
                        f"{lat[i] + rng.normal(0, 0.0003):.5f}",
                    ]
                )
    return path


def write_fire_deliberate(ws: Workspace, folder: Path, rng: np.random.Generator) -> Path:
    path = folder / "fire_deliberate.synthetic.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["incident_id", "call_datetime", "fire_type", "property_type", "easting", "northing"]
        )
        n = 0
        for month, (lon, lat, _) in sorted(_points(ws, ["criminal-damage-arson"]).items()):
            k = rng.binomial(len(lon), 0.12)
            idx = rng.choice(len(lon), size=k, replace=False)
            x, y = to_bng(lon[idx], lat[idx])
            for j in range(k):
                n += 1
                primary = rng.random() < 0.25
                ptype = (
                    str(
                        rng.choice(
                            ["dwelling", "other building", "road vehicle"], p=[0.3, 0.2, 0.5]
                        )
                    )
                    if primary
                    else str(
                        rng.choice(
                            ["refuse and rubbish", "grassland woodland and crops", "other outdoor"]
                        )
                    )
                )
                when = dt.datetime.combine(
                    _day(rng, month), dt.time(int(rng.integers(0, 24)), int(rng.integers(0, 60)))
                )
                w.writerow(
                    [
                        f"IRS-{month[:4]}-{n:05d}",
                        when.isoformat(sep=" "),
                        "primary" if primary else "secondary",
                        ptype,
                        int(x[j] + rng.normal(0, 40)),
                        int(y[j] + rng.normal(0, 40)),
                    ]
                )
    return path


def add_demo_partner_data(ws: Workspace) -> list[str]:
    """Generate and import the two SYNTHETIC demo datasets; returns one line per dataset."""
    from ..partners.importer import import_file

    rng = np.random.default_rng(SEED)
    folder = ws.root / "partners" / "demo-inputs"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, writer in (
        ("council_asb", write_council_asb),
        ("fire_deliberate", write_fire_deliberate),
    ):
        _workspace_definition(ws, name)
        path = writer(ws, folder, rng)
        report = import_file(ws, name, path, today=AS_AT)
        lines.append(f"{name}{LABEL}: {report.status}, {report.rows_kept:,} rows from {path.name}")
    return lines
