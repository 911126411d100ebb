"""Synthetic national police.uk street archive, for the ingest benchmark.

    python benchmarks/synth_policeuk.py OUT_DIR [--months 12] [--forces 43] [--seed 1] [--small]

Writes ``OUT_DIR/YYYY-MM/YYYY-MM-<force>-street.csv`` exactly as data.police.uk unpacks: the
published header, CRLF line endings, no quoting, one month per file, rows ordered by LSOA name
with the "No Location" rows last.

Forces are the real slugs of ``taxonomy/data/forces.csv`` (all but btp and northern-ireland),
taken in that file's order when ``--forces`` is below 43. A force's monthly volume is its
population (mid-2019 estimates, thousands) times the Avon and Somerset rate of street rows per
thousand people per month, ±8% month to month; the full set is ~6M rows for 12 months.

Distributions are calibrated on the real Avon and Somerset archive (44 months, 620,495 rows)
when it is on disk (``/work/shared/data/policeuk/``, or ``--calibrate ZIP``), else the constants
in :data:`FALLBACK`, which were measured on that archive:

* category mix (ASB ~20%), no-location share per category (~9% of all rows; ASB never),
* outcome label mix of crime rows (ASB: blank Crime ID and blank outcome),
* duplicate Crime IDs within a month (extra copies = ~1.9% of crime rows, group sizes 2–8);
  a copy gets a new location (~74% a new LSOA, ~10% another point in the same LSOA) and/or a new
  outcome (~61%), as in the real files,
* exact duplicate ASB rows (extra copies = ~34% of ASB rows, group sizes 2–32),
* points just outside the force (~0.2%: an LSOA of another force),
* LSOA popularity (log-normal, sigma measured); ~22 snap points per LSOA (over the 44 months;
  ~6 in use in a month) with a Zipf-like popularity and real-looking location names ("On or
  near <street>" or a POI such as "On or near Supermarket"); coordinates have up to 6
  decimals, as published.

LSOA codes and names are real (LSOA 2011, from ``reference/lookups/lsoa2011-msoa-lad-region-
force.csv``) for the English forces the lookup maps; Welsh forces get W01 codes with their
districts' names; without the lookup, codes are synthetic. Crime IDs are 64 random hex digits,
so no ID appears in two months. Coordinates are jittered around a rough force centre: right
format and cardinality, not real geography.

Vectorised with numpy and pyarrow: ~6M rows take well under a minute.
"""

from __future__ import annotations

import argparse
import binascii
import csv
import json
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
FORCES_CSV = ROOT / "src" / "saferplaces" / "taxonomy" / "data" / "forces.csv"
DATA = Path("/work/shared/data")
REAL_ZIP = DATA / "policeuk" / "avon-and-somerset-street-2018-01_2021-09.zip"
LSOA_LOOKUP = DATA / "reference" / "lookups" / "lsoa2011-msoa-lad-region-force.csv"

#: The published header of a street file (data.police.uk).
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
EXCLUDED_FORCES = {"btp", "northern-ireland"}

#: Approximate mid-2019 resident population of each force area, thousands (ONS estimates,
#: rounded). City of London's resident population (~10k) says nothing of its volume: its value
#: is the one that reproduces the real City of London archive (~620 street rows a month).
POPULATION_K: dict[str, float] = {
    "avon-and-somerset": 1720, "bedfordshire": 670, "cambridgeshire": 860, "cheshire": 1070,
    "city-of-london": 76, "cleveland": 570, "cumbria": 500, "derbyshire": 1060,
    "devon-and-cornwall": 1780, "dorset": 775, "durham": 640, "dyfed-powys": 520,
    "essex": 1850, "gloucestershire": 640, "greater-manchester": 2840, "gwent": 600,
    "hampshire": 2000, "hertfordshire": 1190, "humberside": 930, "kent": 1850,
    "lancashire": 1510, "leicestershire": 1100, "lincolnshire": 760, "merseyside": 1430,
    "metropolitan": 8950, "norfolk": 910, "north-wales": 700, "north-yorkshire": 830,
    "northamptonshire": 750, "northumbria": 1460, "nottinghamshire": 1160,
    "south-wales": 1330, "south-yorkshire": 1410, "staffordshire": 1130, "suffolk": 760,
    "surrey": 1200, "sussex": 1710, "thames-valley": 2420, "warwickshire": 580,
    "west-mercia": 1310, "west-midlands": 2930, "west-yorkshire": 2330, "wiltshire": 720,
}  # fmt: skip
AVON_POPULATION_K = POPULATION_K["avon-and-somerset"]

#: Rough centre (lon, lat) of each force area: coordinates are jittered around it.
CENTRE: dict[str, tuple[float, float]] = {
    "avon-and-somerset": (-2.75, 51.25), "bedfordshire": (-0.45, 52.05),
    "cambridgeshire": (0.05, 52.35), "cheshire": (-2.55, 53.2), "city-of-london": (-0.092, 51.515),
    "cleveland": (-1.2, 54.57), "cumbria": (-2.95, 54.5), "derbyshire": (-1.6, 53.0),
    "devon-and-cornwall": (-4.2, 50.55), "dorset": (-2.3, 50.75), "durham": (-1.7, 54.7),
    "dyfed-powys": (-3.9, 52.1), "essex": (0.55, 51.8), "gloucestershire": (-2.2, 51.85),
    "greater-manchester": (-2.25, 53.5), "gwent": (-3.0, 51.7), "hampshire": (-1.25, 51.0),
    "hertfordshire": (-0.25, 51.8), "humberside": (-0.5, 53.75), "kent": (0.75, 51.2),
    "lancashire": (-2.6, 53.85), "leicestershire": (-1.1, 52.65), "lincolnshire": (-0.3, 53.1),
    "merseyside": (-2.95, 53.42), "metropolitan": (-0.12, 51.5), "norfolk": (1.0, 52.65),
    "north-wales": (-3.7, 53.1), "north-yorkshire": (-1.4, 54.1),
    "northamptonshire": (-0.9, 52.3), "northumbria": (-1.8, 55.1),
    "nottinghamshire": (-1.1, 53.1), "south-wales": (-3.5, 51.6),
    "south-yorkshire": (-1.35, 53.5), "staffordshire": (-2.0, 52.85), "suffolk": (1.05, 52.2),
    "surrey": (-0.4, 51.25), "sussex": (-0.3, 50.95), "thames-valley": (-1.0, 51.6),
    "warwickshire": (-1.55, 52.3), "west-mercia": (-2.6, 52.4), "west-midlands": (-1.9, 52.48),
    "west-yorkshire": (-1.65, 53.78), "wiltshire": (-1.9, 51.35),
}  # fmt: skip

#: Force names as the LSOA lookup spells them, where they differ from ours.
LOOKUP_FORCE = {"metropolitan": "Metropolitan Police", "devon-and-cornwall": "Devon and Cornwall"}

#: Welsh forces (absent from the English lookup) and their districts, for LSOA names.
WELSH_DISTRICTS = {
    "dyfed-powys": ["Carmarthenshire", "Ceredigion", "Pembrokeshire", "Powys"],
    "gwent": ["Blaenau Gwent", "Caerphilly", "Monmouthshire", "Newport", "Torfaen"],
    "north-wales": ["Conwy", "Denbighshire", "Flintshire", "Gwynedd", "Isle of Anglesey",
                    "Wrexham"],
    "south-wales": ["Bridgend", "Cardiff", "Merthyr Tydfil", "Neath Port Talbot",
                    "Rhondda Cynon Taf", "Swansea", "The Vale of Glamorgan"],
}  # fmt: skip
#: Share of the measured groups of identical ASB rows made explicitly (see Generator.month).
ASB_EXPLICIT_COPIES = 0.5
#: Popularity of an LSOA's snap points: weight 1 / rank**ZIPF_EXPONENT.
ZIPF_EXPONENT = 1.1
#: Snap points per LSOA (mean), as a multiple of the distinct points measured over the
#: calibration period. With these three values a 12-month Avon and Somerset matches the real
#: 2018 (18 distinct points per LSOA, ~6 a month, 74% of ASB rows unique; see --check).
POINTS_FACTOR = 1.0
PEOPLE_PER_LSOA_K = 1.71  # Avon and Somerset: 1,720k people, 1,005 LSOAs (2011)

#: Places police.uk snaps to, named as in the real files ("On or near Supermarket").
POIS = [
    "Supermarket", "Parking Area", "Shopping Area", "Sports/Recreation Area", "Petrol Station",
    "Pedestrian Subway", "Nightclub", "High Street", "Hospital", "Park/Open Space",
    "Further/Higher Educational Building", "Police Station", "Theatre/Concert Hall",
    "Conference/Exhibition Centre", "Bus/Coach Station", "Prison", "Airport/Airfield",
]  # fmt: skip
AVON_LADS = {
    "Bristol", "Bath and North East Somerset", "North Somerset", "South Gloucestershire",
    "Mendip", "Sedgemoor", "South Somerset", "Taunton Deane", "West Somerset",
}  # fmt: skip

_SYLLABLES = [
    "Ash", "Beech", "Birch", "Brook", "Church", "Cliff", "Crown", "Dale", "Elm", "Fair", "Fern",
    "Field", "Ford", "Glen", "Green", "Hall", "Hazel", "Heath", "High", "Hill", "Holly", "Kings",
    "Lark", "Lime", "Long", "Manor", "Maple", "Marsh", "Meadow", "Mill", "Moor", "New", "North",
    "Oak", "Old", "Orchard", "Park", "Pine", "Priory", "Queens", "Red", "Rose", "Sand", "School",
    "South", "Spring", "Station", "Stone", "Thorn", "Vale", "Water", "West", "White", "Wil",
    "Willow", "Wood", "York",
]  # fmt: skip
_SUFFIXES = [
    "Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Gardens", "Crescent", "Place",
    "Court", "Grove", "Terrace", "Hill", "View", "Walk", "Rise", "Mews", "Park", "Row", "Square",
    "Green",
]  # fmt: skip


@dataclass
class Calibration:
    """Distributions a synthetic archive reproduces (see the module docstring)."""

    source: str
    rows_per_1k_people_month: float
    categories: list[str]
    category_p: list[float]
    no_location_p: list[float]  # per category
    outcomes: list[str]
    outcome_p: list[float]
    dup_id_extra_rate: float  # extra copies / crime rows
    dup_id_group_p: list[float]  # P(group size = 2, 3, ...) among duplicated IDs
    dup_new_lsoa_p: float
    dup_same_lsoa_new_point_p: float
    dup_new_outcome_p: float
    asb_group_p: list[float]  # P(size = 1, 2, ...) of groups of identical ASB rows
    outside_force_p: float
    lsoa_log_sigma: float
    snap_points_per_lsoa: float  # distinct, over the whole calibration period
    snap_points_per_lsoa_month: float  # distinct, in one month
    poi_p: list[float]  # share of located rows at each of POIS


#: Measured on avon-and-somerset-street-2018-01_2021-09.zip (``--show-calibration``).
FALLBACK = Calibration(
    source="constants measured on avon-and-somerset-street-2018-01_2021-09.zip",
    rows_per_1k_people_month=8.199,
    categories=[
        "Violence and sexual offences", "Anti-social behaviour", "Public order",
        "Criminal damage and arson", "Other theft", "Vehicle crime", "Shoplifting", "Burglary",
        "Drugs", "Bicycle theft", "Other crime", "Robbery", "Theft from the person",
        "Possession of weapons",
    ],
    category_p=[
        0.2983, 0.2013, 0.112, 0.08911, 0.06973, 0.05786, 0.05321, 0.04983, 0.01755, 0.01733,
        0.01254, 0.009757, 0.006316, 0.005168,
    ],
    no_location_p=[
        0.1183, 2.402e-05, 0.1221, 0.1035, 0.1106, 0.1139, 0.08525, 0.07798, 0.2003, 0.1205,
        0.1588, 0.1715, 0.148, 0.1818,
    ],
    outcomes=[
        "Status update unavailable", "Unable to prosecute suspect", "Court result unavailable",
        "Under investigation", "Investigation complete; no suspect identified",
        "Formal action is not in the public interest", "Local resolution",
        "Offender given a caution", "Further investigation is not in the public interest",
        "Awaiting court outcome", "Further action is not in the public interest",
        "Suspect charged as part of another case", "Action to be taken by another organisation",
        "Offender given community sentence", "Offender sent to prison",
        "Defendant found not guilty", "Offender given a drugs possession warning",
        "Offender fined", "Court case unable to proceed", "Offender given conditional discharge",
        "Offender given suspended prison sentence", "Offender given penalty notice",
        "Offender ordered to pay compensation", "Offender otherwise dealt with",
        "Offender deprived of property", "Defendant sent to Crown Court",
        "Offender given absolute discharge",
    ],
    outcome_p=[
        0.4824, 0.2739, 0.05705, 0.05522, 0.03799, 0.02482, 0.01309, 0.01294, 0.01151, 0.01052,
        0.006051, 0.003186, 0.002738, 0.001887, 0.001447, 0.001077, 0.001009, 0.0006638,
        0.0006436, 0.0005993, 0.0004479, 0.0003208, 0.0002098, 0.0001977, 4.439e-05, 3.027e-05,
        2.018e-06,
    ],
    dup_id_extra_rate=0.01868,
    dup_id_group_p=[
        0.9585, 0.03435, 0.004891, 0.0006824, 0.001251, 0.0001137, 0.0002275,
    ],
    dup_new_lsoa_p=0.7388,
    dup_same_lsoa_new_point_p=0.09612,
    dup_new_outcome_p=0.615,
    asb_group_p=[
        0.7358, 0.1573, 0.05399, 0.02294, 0.0114, 0.006293, 0.003637, 0.002619, 0.001904,
        0.001273, 0.0007396, 0.0005941, 0.0004971, 0.0002425, 0.0001819, 0.0001697, 0.0001455,
        2.425e-05, 7.275e-05, 3.637e-05, 1.212e-05, 2.425e-05, 3.637e-05, 1.212e-05, 0.0,
        1.212e-05, 0.0, 1.212e-05, 0.0, 0.0, 0.0, 2.425e-05,
    ],
    outside_force_p=0.002304,
    lsoa_log_sigma=0.7633,
    snap_points_per_lsoa=22.09,
    snap_points_per_lsoa_month=5.95,
    poi_p=[
        0.04196, 0.03371, 0.02322, 0.02119, 0.01966, 0.008749, 0.008215, 0.007491, 0.00707,
        0.005002, 0.004688, 0.001589, 0.002558, 0.003536, 0.001367, 0.001873, 0.0009674,
    ],
)  # fmt: skip


def calibrate(zip_path: Path) -> Calibration:
    """Measure the distributions on a real street archive (a police.uk zip)."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(zip_path) as zf:
            for n in zf.namelist():
                if n.endswith("-street.csv"):
                    (Path(tmp) / Path(n).name).write_bytes(zf.read(n))
        cal = measure(sorted(Path(tmp).glob("*.csv")))
    cal.source = f"measured on {zip_path.name} at generation time"
    return cal


def measure(files: list[Path]) -> Calibration:
    """The calibrated distributions, measured on street files of Avon and Somerset (the LSOA
    spread and the outside-force share use its districts)."""
    import duckdb

    con = duckdb.connect()
    cols = {c: "VARCHAR" for c in ("id", "month", "rb", "fw")}
    cols |= {"lon": "DOUBLE", "lat": "DOUBLE"}
    cols |= {c: "VARCHAR" for c in ("loc", "code", "name", "type", "outcome", "ctx")}
    con.execute(
        "CREATE TABLE t AS SELECT * FROM read_csv(?, header=true, auto_detect=false, "
        "columns=" + str(cols) + ")",
        [[str(f) for f in files]],
    )

    def one(sql: str) -> Any:
        return con.execute(sql).fetchone()[0]  # type: ignore[index]

    rows, months = con.execute("SELECT count(*), count(DISTINCT month) FROM t").fetchone()  # type: ignore[misc]
    cats = con.execute(
        "SELECT type, count(*) n, avg((lon IS NULL)::INT) FROM t GROUP BY 1 ORDER BY n DESC"
    ).fetchall()
    outs = con.execute(
        "SELECT outcome, count(*) n FROM t WHERE id IS NOT NULL GROUP BY 1 ORDER BY n DESC"
    ).fetchall()
    crime_rows = one("SELECT count(*) FROM t WHERE id IS NOT NULL")
    con.execute(
        "CREATE TEMP TABLE g AS SELECT month, id, count(*) c, "
        "count(DISTINCT coalesce(lon::VARCHAR || ',' || lat::VARCHAR, '-')) npt, "
        "count(DISTINCT coalesce(code, '-')) nlsoa, count(DISTINCT outcome) nout "
        "FROM t WHERE id IS NOT NULL GROUP BY ALL"
    )
    extra = one("SELECT sum(c - 1) FROM g")
    sizes = dict(con.execute("SELECT c, count(*) FROM g WHERE c > 1 GROUP BY 1").fetchall())
    # Per copy beyond the first: how often it moved LSOA, moved within its LSOA, changed outcome.
    new_lsoa, same_lsoa_point, new_out = con.execute(
        "SELECT sum(nlsoa - 1) / sum(c - 1), greatest(sum(npt - nlsoa), 0) / sum(c - 1), "
        "sum(nout - 1) / sum(c - 1) FROM g WHERE c > 1"
    ).fetchone()  # type: ignore[misc]
    asb_sizes = dict(
        con.execute(
            "SELECT c, count(*) FROM (SELECT count(*) c FROM t WHERE id IS NULL "
            "GROUP BY month, lon, lat, loc, code, type) GROUP BY 1"
        ).fetchall()
    )
    # An LSOA is in the force when its name ("Bristol 023A") starts with a force district.
    in_force = (
        "regexp_replace(name, ' [0-9]{3}[A-Z]$', '') IN "
        f"({', '.join(repr(x) for x in sorted(AVON_LADS))})"
    )
    outside = one(f"SELECT avg((NOT {in_force})::INT) FROM t WHERE name IS NOT NULL")
    sigma = one(
        f"SELECT stddev(ln(n)) FROM (SELECT code, count(*) n FROM t WHERE {in_force} GROUP BY 1)"
    )
    points = one(
        "SELECT avg(n) FROM (SELECT code, count(DISTINCT (lon, lat)) n FROM t "
        f"WHERE {in_force} GROUP BY 1)"
    )
    points_month = one(
        "SELECT avg(n) FROM (SELECT month, code, count(DISTINCT (lon, lat)) n FROM t "
        f"WHERE {in_force} GROUP BY ALL)"
    )
    located = one("SELECT count(*) FROM t WHERE lon IS NOT NULL")
    poi_counts = dict(
        con.execute(
            "SELECT loc, count(*) FROM t WHERE list_contains(?, loc) GROUP BY 1",
            [[f"On or near {p}" for p in POIS]],
        ).fetchall()
    )
    con.close()
    n_asb_groups = sum(asb_sizes.values())
    asb_p = [asb_sizes.get(k, 0) / n_asb_groups for k in range(1, max(asb_sizes) + 1)]
    n_dup_groups = sum(sizes.values())
    return Calibration(
        source=f"measured on {len(files)} files",
        rows_per_1k_people_month=rows / months / AVON_POPULATION_K,
        categories=[c[0] for c in cats],
        category_p=[c[1] / rows for c in cats],
        no_location_p=[float(c[2]) for c in cats],
        outcomes=[o[0] for o in outs],
        outcome_p=[o[1] / crime_rows for o in outs],
        dup_id_extra_rate=extra / crime_rows,
        dup_id_group_p=[sizes.get(k, 0) / n_dup_groups for k in range(2, max(sizes) + 1)],
        dup_new_lsoa_p=float(new_lsoa),
        dup_same_lsoa_new_point_p=float(same_lsoa_point),
        dup_new_outcome_p=float(new_out),
        asb_group_p=asb_p,
        outside_force_p=float(outside),
        lsoa_log_sigma=float(sigma),
        snap_points_per_lsoa=float(points),
        snap_points_per_lsoa_month=float(points_month),
        poi_p=[poi_counts.get(f"On or near {p}", 0) / located for p in POIS],
    )


def load_forces(n: int) -> list[tuple[str, str]]:
    """(slug, name) of the first ``n`` territorial forces of England and Wales."""
    with open(FORCES_CSV, newline="", encoding="utf-8") as fh:
        rows = [(r["slug"], r["name"]) for r in csv.DictReader(fh)]
    rows = [r for r in rows if r[0] not in EXCLUDED_FORCES]
    if not 1 <= n <= len(rows):
        raise SystemExit(f"--forces must be between 1 and {len(rows)}")
    return rows[:n]


def lsoas_for(forces: list[tuple[str, str]]) -> list[tuple[list[str], list[str]]]:
    """(codes, names) of each force's LSOAs, about one per 1,710 people (as Avon and Somerset).

    Real LSOA 2011 codes and names from the lookup where it names the force; the lookup leaves
    two-tier districts without a force, so a force short of LSOAs is topped up with whole such
    districts of its region. Welsh forces (not in the lookup) and every force when the lookup
    is absent get generated codes."""
    by_force: dict[str, tuple[list[str], list[str]]] = {}
    region_of: dict[str, str] = {}
    spare: dict[str, dict[str, tuple[list[str], list[str]]]] = {}  # region -> LAD -> LSOAs
    if LSOA_LOOKUP.exists():
        with open(LSOA_LOOKUP, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["Police_force"]:
                    codes, names = by_force.setdefault(r["Police_force"], ([], []))
                    region_of.setdefault(r["Police_force"], r["Region name"])
                else:
                    lads = spare.setdefault(r["Region name"], {})
                    codes, names = lads.setdefault(r["Local authority name"], ([], []))
                codes.append(r["LSOA Code"])
                names.append(r["LSOA Name"])
    out = []
    welsh_next = 1
    synthetic_next = 900001
    for slug, name in forces:
        key = LOOKUP_FORCE.get(slug, name.rsplit(" ", 1)[0])
        want = max(6, round(POPULATION_K[slug] / PEOPLE_PER_LSOA_K))
        if key in by_force:
            codes, names = list(by_force[key][0]), list(by_force[key][1])
            pool = spare.get(region_of[key], {})
            order = list(pool)
            if slug == "avon-and-somerset":  # its own districts first
                order.sort(key=lambda lad: lad not in AVON_LADS)
            for lad in order:
                if want - len(codes) <= len(pool[lad][0]) // 2:
                    break
                lad_codes, lad_names = pool.pop(lad)
                codes += lad_codes
                names += lad_names
            out.append((codes, names))
            continue
        if slug in WELSH_DISTRICTS:
            districts, prefix, start = WELSH_DISTRICTS[slug], "W01", welsh_next
            welsh_next += want
        else:  # no lookup: synthetic codes
            districts, prefix, start = [name.split(" ")[0]], "E01", synthetic_next
            synthetic_next += want
        nd = len(districts)
        codes = [f"{prefix}{start + i:06d}" for i in range(want)]
        # "Cardiff 001A": district, MSOA number, LSOA letter.
        names = [
            f"{districts[i % nd]} {i // nd // 4 + 1:03d}{'ABCD'[i // nd % 4]}" for i in range(want)
        ]
        out.append((codes, names))
    return out


def _fmt_coord(x: float) -> str:
    s = f"{x:.6f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def _zipf_cum(k: np.ndarray, owner_offset: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cumulative in-owner weights (Zipf-like, shuffled), offset by owner index: searching
    ``owner + u`` in it picks an item of that owner with its weight."""
    owners = np.repeat(np.arange(len(k)), k)
    rank = np.arange(len(owners)) - np.repeat(np.cumsum(k) - k, k) + 1
    w = 1.0 / rank**ZIPF_EXPONENT
    return _grouped_cum(w, owners, owner_offset)


def _grouped_cum(w: np.ndarray, owners: np.ndarray, owner_value: np.ndarray) -> np.ndarray:
    csum = np.cumsum(w)
    ends = np.flatnonzero(np.r_[owners[1:] != owners[:-1], True])
    starts = np.r_[0, ends[:-1] + 1]
    before = np.repeat(np.r_[0.0, csum[ends[:-1]]], ends - starts + 1)
    total = np.repeat(csum[ends] - np.r_[0.0, csum[ends[:-1]]], ends - starts + 1)
    frac = (csum - before) / total
    frac[ends] = 1.0  # u < 1, so owner + u never passes the owner's last item
    return owner_value[owners] + np.minimum(frac, 1.0)


class Generator:
    def __init__(self, forces: list[tuple[str, str]], cal: Calibration, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.cal = cal
        self.forces = forces
        rng = self.rng
        # LSOAs: global table, sorted by name (the order rows are written in).
        codes: list[str] = []
        names: list[str] = []
        owner: list[int] = []
        for fi, (c, n) in enumerate(lsoas_for(forces)):
            codes += c
            names += n
            owner += [fi] * len(c)
        order = np.argsort(np.array(names, dtype=object), kind="stable")
        self.lsoa_code = np.array(codes, dtype=object)[order]
        self.lsoa_name = np.array(names, dtype=object)[order]
        lsoa_force = np.array(owner)[order]
        # LSOA popularity, log-normal, drawn per force (LSOAs grouped by force).
        by_force = np.argsort(lsoa_force, kind="stable")
        self.lsoa_by_force = by_force
        pop = rng.lognormal(0.0, cal.lsoa_log_sigma, len(by_force))
        self.lsoa_cum = _grouped_cum(
            pop, lsoa_force[by_force], np.arange(len(forces), dtype=np.float64)
        )
        # Snap points: each LSOA has ~snap_points_per_lsoa of them, in LSOA order.
        n_l = len(self.lsoa_code)
        k = 1 + rng.poisson(cal.snap_points_per_lsoa * POINTS_FACTOR - 1, n_l)
        self.point_cum = _zipf_cum(k, np.arange(n_l, dtype=np.float64), rng)
        n_p = int(k.sum())
        point_lsoa = np.repeat(np.arange(n_l), k)
        centre = np.array([CENTRE[s] for s, _ in forces])
        spread = np.where([s == "city-of-london" for s, _ in forces], 0.01, 0.25)
        aspect = np.array([1.6, 1.0])  # a degree of longitude is shorter than one of latitude
        jitter = rng.normal(0, 1, (n_l, 2)) * spread[lsoa_force, None] * aspect
        lsoa_xy = centre[lsoa_force] + jitter
        xy = lsoa_xy[point_lsoa] + rng.normal(0, 0.004, (n_p, 2))
        poi_p = np.array(cal.poi_p)
        street_p = 1 - poi_p.sum()
        kind = rng.choice(len(POIS) + 1, n_p, p=np.r_[poi_p, street_p])
        streets = [
            f"{a}{b.lower()} {s}"
            for a in _SYLLABLES
            for b in _SYLLABLES
            if a != b
            for s in _SUFFIXES
        ]
        street_idx = rng.integers(0, len(streets), n_p)
        segs = []
        for i in range(n_p):
            place = POIS[kind[i]] if kind[i] < len(POIS) else streets[street_idx[i]]
            li = point_lsoa[i]
            segs.append(
                f"{_fmt_coord(xy[i, 0])},{_fmt_coord(xy[i, 1])},On or near {place},"
                f"{self.lsoa_code[li]},{self.lsoa_name[li]}"
            )
        segs.append(",,No Location,,")
        self.segments = pa.array(segs, pa.string())
        self.no_location = n_p  # index of the No Location segment
        self.point_lsoa = point_lsoa
        # Sort key of a location: its LSOA's rank by name; No Location after every LSOA.
        self.point_rank = np.r_[point_lsoa, n_l]
        self.cat_labels = pa.array(cal.categories, pa.string())
        self.asb = cal.categories.index("Anti-social behaviour")
        self.out_labels = pa.array([*cal.outcomes, ""], pa.string())

    # -- row draws -------------------------------------------------------------------------
    def _lsoa(self, force: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.lsoa_cum, force + self.rng.random(len(force)))
        out = self.lsoa_by_force[pos]
        away = self.rng.random(len(force)) < self.cal.outside_force_p
        out[away] = self.rng.integers(0, len(self.lsoa_code), int(away.sum()))
        return out

    def _point(self, lsoa: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.point_cum, lsoa + self.rng.random(len(lsoa)))

    def _location(self, force: np.ndarray, cat: np.ndarray) -> np.ndarray:
        loc = self._point(self._lsoa(force))
        noloc = self.rng.random(len(cat)) < np.asarray(self.cal.no_location_p)[cat]
        loc[noloc] = self.no_location
        return loc

    @staticmethod
    def _redraw(old: np.ndarray, draw: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """New values differing from ``old`` (a copy that "differs" must differ); an item
        with a single possible value keeps it."""
        new = old.copy()
        todo = np.arange(len(old))
        for _ in range(30):
            if not len(todo):
                break
            new[todo] = draw(todo)
            todo = todo[new[todo] == old[todo]]
        return new

    def month(self, month: str) -> list[tuple[str, bytes]]:
        """(force slug, file bytes) for every force in ``month``."""
        rng, cal = self.rng, self.cal
        nf = len(self.forces)
        pops = np.array([POPULATION_K[s] for s, _ in self.forces])
        n = np.maximum(
            1, np.round(pops * cal.rows_per_1k_people_month * rng.normal(1, 0.08, nf))
        ).astype(np.int64)
        cat_p = np.asarray(cal.category_p)
        p_asb = cat_p[self.asb]
        # Identical ASB rows: the measured groups include rows that coincide by chance (same
        # snap point, same month), which the snap-point draw reproduces on its own; only
        # ASB_EXPLICIT_COPIES of the measured multi-row groups are made explicitly.
        g = np.asarray(cal.asb_group_p) / sum(cal.asb_group_p)
        multi_sizes = np.arange(2, len(g) + 1)
        multi_p = g[1:] / g[1:].sum()
        p_multi = (1 - g[0]) * ASB_EXPLICIT_COPIES
        asb_mean = 1 + p_multi * (float(np.dot(multi_sizes, multi_p)) - 1)
        n_ids = np.round(n * (1 - p_asb) / (1 + cal.dup_id_extra_rate)).astype(np.int64)
        n_asb = np.round(n * p_asb / asb_mean).astype(np.int64)
        # Crime rows: distinct IDs, then their copies.
        f_id = np.repeat(np.arange(nf), n_ids)
        crime_p = np.where(np.arange(len(cat_p)) == self.asb, 0, cat_p)
        cat_id = rng.choice(len(cat_p), len(f_id), p=crime_p / crime_p.sum())
        out_p = np.asarray(cal.outcome_p) / sum(cal.outcome_p)
        out_id = rng.choice(len(out_p), len(f_id), p=out_p)
        loc_id = self._location(f_id, cat_id)
        dup_p = np.asarray(cal.dup_id_group_p) / sum(cal.dup_id_group_p)
        mean_dup = float(np.dot(np.arange(2, len(dup_p) + 2), dup_p))
        p_dup = cal.dup_id_extra_rate / (mean_dup - 1)  # share of IDs that have copies
        size = np.ones(len(f_id), np.int64)
        dup = rng.random(len(f_id)) < p_dup
        size[dup] = rng.choice(np.arange(2, len(dup_p) + 2), int(dup.sum()), p=dup_p)
        rep = np.repeat(np.arange(len(f_id)), size)
        first = np.r_[True, rep[1:] != rep[:-1]]
        c_force, c_cat, c_out, c_loc = f_id[rep], cat_id[rep], out_id[rep], loc_id[rep]
        copies = np.flatnonzero(~first)
        u = rng.random(len(copies))
        moved = copies[u < cal.dup_new_lsoa_p]
        c_loc[moved] = self._location(c_force[moved], c_cat[moved])
        p_move, p_shift = cal.dup_new_lsoa_p, cal.dup_same_lsoa_new_point_p
        shifted = copies[(u >= p_move) & (u < p_move + p_shift)]
        shifted = shifted[c_loc[shifted] != self.no_location]
        c_loc[shifted] = self._redraw(
            c_loc[shifted], lambda idx: self._point(self.point_lsoa[c_loc[shifted][idx]])
        )
        re_out = copies[rng.random(len(copies)) < cal.dup_new_outcome_p]
        c_out[re_out] = self._redraw(
            c_out[re_out], lambda idx: rng.choice(len(out_p), len(idx), p=out_p)
        )
        # ASB rows: blank ID and outcome; identical rows in groups.
        f_asb = np.repeat(np.arange(nf), n_asb)
        a_loc = self._point(self._lsoa(f_asb))
        a_size = np.ones(len(f_asb), np.int64)
        multi = rng.random(len(f_asb)) < p_multi
        a_size[multi] = rng.choice(multi_sizes, int(multi.sum()), p=multi_p)
        a_rep = np.repeat(np.arange(len(f_asb)), a_size)
        force = np.r_[c_force, f_asb[a_rep]]
        cat = np.r_[c_cat, np.full(len(a_rep), self.asb)]
        out = np.r_[c_out, np.full(len(a_rep), len(cal.outcomes))]
        loc = np.r_[c_loc, a_loc[a_rep]]
        ids = np.r_[rep, np.full(len(a_rep), len(f_id))]
        # File order: force, then LSOA name, No Location last; random within an LSOA.
        order = np.lexsort((rng.random(len(force)), self.point_rank[loc], force))
        force, cat, out, loc, ids = force[order], cat[order], out[order], loc[order], ids[order]
        # Text: every column is a small table indexed per row; one C++ join builds the lines.
        # Crime IDs: 64 hex digits each, one string per distinct ID plus a last, empty one
        # for ASB rows, built straight from the hexlified buffer.
        n_ids_total = len(f_id)
        id_offsets = np.r_[np.arange(0, 64 * n_ids_total + 1, 64), 64 * n_ids_total]
        id_table = pa.StringArray.from_buffers(
            n_ids_total + 1,
            pa.py_buffer(id_offsets.astype(np.int32)),
            pa.py_buffer(binascii.hexlify(rng.bytes(32 * n_ids_total))),
        )
        prefixes = pa.array([f"{month},{name},{name}" for _, name in self.forces], pa.string())
        lines = pc.binary_join_element_wise(
            id_table.take(pa.array(ids)),
            prefixes.take(pa.array(force)),
            self.segments.take(pa.array(loc)),
            self.cat_labels.take(pa.array(cat)),
            self.out_labels.take(pa.array(out)),
            pa.scalar("\r\n"),
            ",",
        )
        offsets = np.frombuffer(lines.buffers()[1], np.int32)[: len(lines) + 1]
        data = lines.buffers()[2]
        bounds = np.searchsorted(force, np.arange(nf + 1))
        header = (HEADER + "\r\n").encode()
        files = []
        for fi, (slug, _) in enumerate(self.forces):
            lo, hi = offsets[bounds[fi]], offsets[bounds[fi + 1]]
            files.append((slug, header + data[lo:hi].to_pybytes()))
        return files


def month_range(start: str, n: int) -> list[str]:
    y, m = int(start[:4]), int(start[5:])
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def generate(
    out_dir: Path,
    months: int = 12,
    forces: int = 43,
    seed: int = 1,
    start: str = "2019-01",
    calibration: Calibration | None = None,
) -> dict[str, Any]:
    """Write the archive; returns a summary (files, rows, bytes, seconds)."""
    t0 = time.perf_counter()
    cal = calibration or (calibrate(REAL_ZIP) if REAL_ZIP.exists() else FALLBACK)
    gen = Generator(load_forces(forces), cal, seed)
    rows = size = files = 0
    for month in month_range(start, months):
        folder = out_dir / month
        folder.mkdir(parents=True, exist_ok=True)
        for slug, blob in gen.month(month):
            (folder / f"{month}-{slug}-street.csv").write_bytes(blob)
            rows += blob.count(b"\n") - 1
            size += len(blob)
            files += 1
    return {
        "out_dir": str(out_dir), "files": files, "rows": rows, "bytes": size,
        "seconds": round(time.perf_counter() - t0, 2), "calibration": cal.source,
    }  # fmt: skip


def compare(want: Calibration, got: Calibration) -> None:
    """Print calibration against what was measured on the written files."""
    print(f"{'quantity':<44} {'calibration':>12} {'synthetic':>12}")
    w, g = asdict(want), asdict(got)
    for key, value in w.items():
        if isinstance(value, float):
            print(f"{key:<44} {value:>12.4f} {g[key]:>12.4f}")
    labelled = {"category_p": "categories", "no_location_p": "categories", "outcome_p": "outcomes"}
    for key, names_key in labelled.items():
        for name, value in list(zip(w[names_key], w[key], strict=True))[:6]:
            got_value = dict(zip(g[names_key], g[key], strict=True)).get(name, 0.0)
            print(f"{key + '[' + name[:28] + ']':<44} {value:>12.4f} {got_value:>12.4f}")
    for key, names in (("asb_group_p", None), ("poi_p", POIS)):
        for i, value in enumerate(w[key][:5]):
            label = names[i] if names else f"size {i + 1}"
            got_value = g[key][i] if i < len(g[key]) else 0.0
            print(f"{key + '[' + label + ']':<44} {value:>12.4f} {got_value:>12.4f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path, nargs="?")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--forces", type=int, default=43, help="first N forces of forces.csv")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2019-01", help="first month, YYYY-MM")
    ap.add_argument("--small", action="store_true", help="quick check: 2 months × 4 forces")
    ap.add_argument("--calibrate", type=Path, help="real street zip to calibrate on")
    ap.add_argument("--no-calibrate", action="store_true", help="use the FALLBACK constants")
    ap.add_argument("--show-calibration", action="store_true", help="print it as JSON")
    ap.add_argument(
        "--check",
        action="store_true",
        help="after writing, measure the written avon-and-somerset files and compare",
    )
    a = ap.parse_args(argv)
    if a.small:
        a.months, a.forces = 2, 4
    if a.no_calibrate:
        cal = FALLBACK
    else:
        zip_path = a.calibrate or REAL_ZIP
        cal = calibrate(zip_path) if zip_path.exists() else FALLBACK
    if a.show_calibration:
        print(json.dumps(asdict(cal), indent=1))
    if a.out_dir is None:
        if not a.show_calibration:
            ap.error("OUT_DIR is required")
        return 0
    summary = generate(a.out_dir, a.months, a.forces, a.seed, a.start, cal)
    print(json.dumps(summary))
    if a.check:
        written = sorted(a.out_dir.glob("*/*-avon-and-somerset-street.csv"))
        if not written:
            raise SystemExit("--check needs avon-and-somerset among the forces")
        compare(cal, measure(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
