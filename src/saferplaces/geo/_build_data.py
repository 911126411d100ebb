"""Rebuild the bundled reference tables in ``geo/data/`` from the published source files.

Run from the repository root (the source files are the project's shared reference data)::

    .venv/bin/python -m saferplaces.geo._build_data ../shared/data/reference

Every correction made to the sources is listed in ``geo/data/README.md`` and printed here. The
library never imports this module; it only reads the files it writes.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data"

# The source lookup leaves the force blank for 53 whole 2011 districts (3,335 LSOAs). A district
# lies in exactly one police force area, so the force is filled per district.
FORCE_FILL: dict[str, str] = {
    **dict.fromkeys(["E06000048", "E08000020"], "northumbria"),
    **dict.fromkeys([f"E07000{n}" for n in range(163, 170)], "north-yorkshire"),
    **dict.fromkeys(["E07000151", "E07000155"], "northamptonshire"),
    **dict.fromkeys(["E07000172", "E07000173", "E07000176"], "nottinghamshire"),
    **dict.fromkeys(["E07000221", "E07000222"], "warwickshire"),
    **dict.fromkeys([f"E07000{n}" for n in range(234, 240)], "west-mercia"),
    **dict.fromkeys(["E07000097", "E07000100", "E07000101", "E07000104"], "hertfordshire"),
    **dict.fromkeys(["E07000200", "E07000201", "E07000203", "E07000204"], "suffolk"),
    **dict.fromkeys(["E07000084", "E07000089", "E07000092"], "hampshire"),
    **dict.fromkeys(["E07000107", "E07000109"], "kent"),
    **dict.fromkeys([f"E07000{n:03d}" for n in range(40, 48)], "devon-and-cornwall"),
    **dict.fromkeys([f"E07000{n:03d}" for n in range(48, 54)], "dorset"),
    **dict.fromkeys([f"E07000{n}" for n in range(187, 192)], "avon-and-somerset"),
}

# Welsh districts are absent from the source lookup; they come from the Census 2011 table.
WALES_FORCE: dict[str, str] = {
    **dict.fromkeys([f"W0600000{n}" for n in range(1, 7)], "north-wales"),
    **dict.fromkeys(["W06000008", "W06000009", "W06000010", "W06000023"], "dyfed-powys"),
    **dict.fromkeys(
        ["W06000011", "W06000012", "W06000013", "W06000014", "W06000015", "W06000016"],
        "south-wales",
    ),
    "W06000024": "south-wales",
    **dict.fromkeys(["W06000018", "W06000019", "W06000020", "W06000021", "W06000022"], "gwent"),
}

FORCE_SLUG = {
    "Metropolitan Police": "metropolitan",
}

# 2011 districts whose code differs in the Census 2021 geography (recoded after boundary changes
# or merged). Source: ONS code history (Register of Geographic Codes); only these differ.
LAD_2021: dict[str, tuple[str, str]] = {
    "E06000048": ("E06000057", "Northumberland"),
    "E08000020": ("E08000037", "Gateshead"),
    "E07000097": ("E07000242", "East Hertfordshire"),
    "E07000100": ("E07000240", "St Albans"),
    "E07000101": ("E07000243", "Stevenage"),
    "E07000104": ("E07000241", "Welwyn Hatfield"),
    **dict.fromkeys(
        ["E06000028", "E06000029", "E07000048"],
        ("E06000058", "Bournemouth, Christchurch and Poole"),
    ),
    **dict.fromkeys([f"E07000{n:03d}" for n in range(49, 54)], ("E06000059", "Dorset")),
    **dict.fromkeys([f"E0700000{n}" for n in range(4, 8)], ("E06000060", "Buckinghamshire")),
    **dict.fromkeys(
        ["E07000150", "E07000152", "E07000153", "E07000156"],
        ("E06000061", "North Northamptonshire"),
    ),
    **dict.fromkeys(
        ["E07000151", "E07000154", "E07000155"], ("E06000062", "West Northamptonshire")
    ),
    **dict.fromkeys(["E07000205", "E07000206"], ("E07000244", "East Suffolk")),
    **dict.fromkeys(["E07000201", "E07000204"], ("E07000245", "West Suffolk")),
    **dict.fromkeys(["E07000190", "E07000191"], ("E07000246", "Somerset West and Taunton")),
}

WALES_REGION = ("W92000004", "Wales")


def _num(text: str) -> int:
    return int(text.replace(",", "").strip())


def _clean_lad_name(name: str) -> str:
    return name.removesuffix(" UA").strip()


def _slug(force: str) -> str:
    return FORCE_SLUG.get(force, force.lower().replace(" ", "-"))


def _write(name: str, header: list[str], rows: list[list[str]]) -> None:
    path = OUT / name
    # mtime=0 keeps the gzip bytes reproducible between rebuilds.
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz,
    ):
        text = [",".join(header)]
        for r in rows:
            text.append(",".join(f'"{c}"' if "," in c else c for c in r))
        gz.write(("\n".join(text) + "\n").encode())
    print(f"{path.name}: {len(rows)} rows, {path.stat().st_size / 1e6:.2f} MB")


def build(ref: Path) -> None:
    OUT.mkdir(exist_ok=True)
    rows11: dict[str, list[str]] = {}
    header = [
        "lsoa_code",
        "lsoa_name",
        "msoa_code",
        "msoa_name",
        "lad_code",
        "lad_name",
        "region_code",
        "region_name",
        "force",
    ]
    filled = 0
    with open(ref / "lookups/lsoa2011-msoa-lad-region-force.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            force = r["Police_force"].strip()
            lad = r["Local authority code"]
            if force:
                slug = _slug(force)
            else:
                slug = FORCE_FILL[lad]
                filled += 1
            rows11[r["LSOA Code"]] = [
                r["LSOA Code"],
                r["LSOA Name"],
                r["MSOA Code"],
                r["MSOA Name"],
                lad,
                _clean_lad_name(r["Local authority name"]),
                r["Region code"],
                r["Region name"].title(),
                slug,
            ]
    pop11: list[list[str]] = []
    wales = 0
    with open(ref / "population/census2011-lsoa-population-households.csv", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            lad, msoa, msoa_name, code, name = row[2], row[4], row[5], row[6], row[7]
            persons, households = _num(row[9]), _num(row[14])
            pop11.append([code, str(persons), str(households)])
            if code.startswith("W"):
                wales += 1
                rows11[code] = [
                    code,
                    name,
                    msoa,
                    msoa_name,
                    lad,
                    row[3].removeprefix("The "),
                    *WALES_REGION,
                    WALES_FORCE[lad],
                ]
    assert set(rows11) == {p[0] for p in pop11}, "lookup and census 2011 LSOA sets differ"
    print(f"2011: force filled for {filled} LSOAs, {wales} Welsh LSOAs added")
    _write("lsoa2011_lookup.csv.gz", header, [rows11[k] for k in sorted(rows11)])
    _write("census2011_lsoa.csv.gz", ["lsoa_code", "persons", "households"], sorted(pop11))

    # ---- 2021: LSOA names are "<district> <MSOA number><letter>"; unchanged codes link to 2011.
    pop21: list[list[str]] = []
    names21: dict[str, str] = {}
    with open(ref / "population/census2021-ts001-lsoa.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            code = r["geography code"]
            names21[code] = r["geography"]
            pop21.append([code, str(_num(r["Residence type: Total; measures: Value"]))])
    lad_name_of = {c: re.sub(r" \d{3}[A-Z]$", "", n) for c, n in names21.items()}
    msoa_name_of = {c: n[:-1] for c, n in names21.items()}
    # District name (2021) → the 2011 districts of its unchanged LSOAs.
    preds: dict[str, set[str]] = defaultdict(set)
    for c, lad_name in lad_name_of.items():
        if c in rows11:
            preds[lad_name].add(rows11[c][4])
    lad_force = {r[4]: r[8] for r in rows11.values()}
    lad_region = {r[4]: (r[6], r[7]) for r in rows11.values()}
    lad21: dict[str, tuple[str, str, str, str, str]] = {}
    for lad_name, old in preds.items():
        codes = {LAD_2021.get(o, (o, ""))[0] for o in old}
        assert len(codes) == 1, (lad_name, old, codes)
        o = next(iter(old))
        forces = {lad_force[x] for x in old}
        assert len(forces) == 1, (lad_name, forces)
        lad21[lad_name] = (codes.pop(), lad_name, *lad_region[o], forces.pop())
    # MSOA 2021 code: kept only where the MSOA's LSOA set is unchanged since 2011 (then the code
    # is unchanged too); otherwise left blank rather than guessed.
    msoa11_members: dict[str, set[str]] = defaultdict(set)
    for v in rows11.values():
        msoa11_members[v[2]].add(v[0])
    group21: dict[str, set[str]] = defaultdict(set)
    for c, m in msoa_name_of.items():
        group21[m].add(c)
    msoa21_code: dict[str, str] = {}
    for m, members in group21.items():
        olds = {rows11[c][2] for c in members if c in rows11}
        if len(olds) == 1:
            o = olds.pop()
            if msoa11_members[o] == members:
                msoa21_code[m] = o
    rows21 = []
    for c in sorted(names21):
        lad_code, lad_name, reg_code, reg_name, force = lad21[lad_name_of[c]]
        m = msoa_name_of[c]
        rows21.append(
            [
                c,
                names21[c],
                msoa21_code.get(m, ""),
                m,
                lad_code,
                lad_name,
                reg_code,
                reg_name,
                force,
            ]
        )
    blank = sum(1 for r in rows21 if not r[2])
    print(f"2021: {len(lad21)} districts, MSOA code left blank for {blank} LSOAs")
    _write("lsoa2021_lookup.csv.gz", header, rows21)
    _write("census2021_lsoa.csv.gz", ["lsoa_code", "residents"], sorted(pop21))


# The demo's districts are declared once, beside the demo that uses them.
from ..demo import DEMO_DISTRICTS as DEMO_LADS  # noqa: E402

DEMO_OUT = (
    Path(__file__).resolve().parents[1]
    / "demo"
    / "data"
    / "boundaries"
    / "avon-and-somerset-districts-2011.geojson"
)


def build_demo(ref: Path) -> None:
    """The nine Avon and Somerset 2011 districts, cut from the LAD 2011 shapefile, lightly
    coverage-simplified (5 m), WGS84 with 6 decimals; properties ``code`` and ``name``."""
    import json

    from .boundaries import read_boundaries
    from .webgeom import to_web_geojson

    lads = read_boundaries(
        ref / "boundaries/lad2011-england-generalised/england_lad_2011_gen.shp",
        level="lad",
        code_field="label",
        name_field="name",
        vintage="2011",
    ).areas.subset(DEMO_LADS)
    gj = to_web_geojson(lads, tolerance=5, precision=6).geojson
    gj["name"] = "avon-and-somerset-districts-2011"
    gj["attribution"] = (
        "Contains National Statistics data © Crown copyright and database right. Contains OS"
        " data © Crown copyright and database right. Open Government Licence v3.0. Source: ONS"
        " local authority districts (December 2011), generalised; coverage-simplified by"
        " SaferPlaces (5 m tolerance)."
    )
    for f in gj["features"]:
        f["properties"].pop("level")
    DEMO_OUT.parent.mkdir(parents=True, exist_ok=True)
    DEMO_OUT.write_text(json.dumps(gj, separators=(",", ":"), ensure_ascii=False), "utf-8")
    print(f"{DEMO_OUT.name}: {DEMO_OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    reference = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/reference")
    build(reference)
    build_demo(reference)
