"""The base mart as arrays: (force, LSOA) rows × category × month, and areas to sum them into.

Indicators are evaluated for many areas at once, so the mart is read once into numpy arrays and
each indicator is a few array sums. Months run without gaps from the first to the last month in
the lake; a month missing for any of the partnership's forces is marked missing (NaN in every
series), never treated as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ..geo import Areas, Hierarchy, aggregate, households, lookup_from_level, residents
from ..geo.lookups import LOOKUP_COLUMNS, AreaLookup
from ..geo.populations import Denominator, load_denominator
from ..lake.catalog import dataset_glob, list_partitions
from ..lake.mart import MART, OUTCOME_GROUPS
from ..lake.quality import missing_months
from ..workspace import Workspace

FIELDS = (
    "crimes",
    "asb_incidents",
    "rows",
    "no_location_rows",
    *(f"outcome_{g}" for g in OUTCOME_GROUPS),
)


def month_range(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class MartCube:
    """Counts per row (a force and an LSOA; LSOA None = no location) × category × month."""

    forces: list[str]
    lsoa_codes: list[str | None]  # per row
    row_force: NDArray[np.int32]  # per row: index into forces
    categories: list[str]
    months: list[str]
    missing: NDArray[np.bool_]  # per month
    lsoa_vintage: str  # '2011', '2021', '2011/2021', 'mixed' or 'unknown'
    provenance: list[dict[str, object]]  # the street partitions behind the cube
    _con: duckdb.DuckDBPyConnection
    _glob: str
    _fields: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    _keys: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None = None
    _denominators: dict[tuple[str, str], tuple[NDArray[np.float64], str]] = field(
        default_factory=dict
    )

    @classmethod
    def load(cls, ws: Workspace) -> MartCube:
        lake = ws.lake_dir
        parts = [
            p
            for p in list_partitions(lake, MART)
            if not ws.config.partnership.forces or p.keys["force"] in ws.config.partnership.forces
        ]
        if not parts:
            from ..errors import SaferPlacesError

            raise SaferPlacesError(
                f"{lake}: no police.uk data for the partnership's forces; run 'saferplaces ingest'"
            )
        forces = sorted({p.keys["force"] for p in parts})
        have = sorted({p.keys["month"] for p in parts})
        months = month_range(have[0], have[-1])
        per_force = {f: [p.keys["month"] for p in parts if p.keys["force"] == f] for f in forces}
        gaps = set().union(*(missing_months(m) for m in per_force.values()))
        # A month some force lacks at either end of the range is also missing.
        for ms in per_force.values():
            gaps |= {m for m in months if m not in ms}
        street = {
            (p.keys["force"], p.keys["month"]): p.provenance
            for p in list_partitions(lake, "street")
        }
        provs = [
            {
                "force": p.keys["force"],
                "month": p.keys["month"],
                **street.get((p.keys["force"], p.keys["month"]), {}),
            }
            for p in parts
        ]
        vintages = {str(v.get("lsoa_vintage", "unknown")) for v in provs}
        vintage = _combine_vintages(vintages)
        con = duckdb.connect()
        glob = dataset_glob(lake, MART).replace("'", "''")
        con.execute(
            f"CREATE VIEW mart AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
            "hive_types_autocast = false)"
        )
        force_list = ", ".join("'" + f.replace("'", "''") + "'" for f in forces)
        rows = con.execute(
            f"SELECT DISTINCT force, lsoa_code FROM mart WHERE force IN ({force_list}) "
            "ORDER BY force, lsoa_code NULLS LAST"
        ).fetchall()
        cats = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT category FROM mart WHERE force IN ({force_list}) ORDER BY 1"
            ).fetchall()
        ]
        return cls(
            forces=forces,
            lsoa_codes=[r[1] for r in rows],
            row_force=np.array([forces.index(r[0]) for r in rows], dtype=np.int32),
            categories=cats,
            months=months,
            missing=np.array([m in gaps for m in months]),
            lsoa_vintage=vintage,
            provenance=provs,
            _con=con,
            _glob=glob,
        )

    def _index_keys(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        if self._keys is None:
            con = self._con
            rowkey = pa.table(
                {
                    "force": pa.array([self.forces[f] for f in self.row_force], pa.string()),
                    "lsoa_code": pa.array(self.lsoa_codes, pa.string()),
                    "i": pa.array(np.arange(len(self.lsoa_codes)), pa.int64()),
                }
            )
            con.register("rowkey", rowkey)
            con.execute(
                "CREATE OR REPLACE TEMP TABLE cube AS SELECT k.i AS r, "
                "list_position(?, m.category) - 1 AS c, list_position(?, m.month) - 1 AS t, m.* "
                "FROM mart m JOIN rowkey k ON k.force = m.force "
                "AND k.lsoa_code IS NOT DISTINCT FROM m.lsoa_code",
                [self.categories, self.months],
            )
            r, c, t = con.execute("SELECT r, c, t FROM cube").fetchnumpy().values()
            self._keys = (np.asarray(r), np.asarray(c), np.asarray(t))
        return self._keys

    def field(self, name: str) -> NDArray[np.float64]:
        """Array (rows × categories × months) of one mart field."""
        if name not in FIELDS:
            raise ValueError(f"unknown mart field '{name}' (known: {', '.join(FIELDS)})")
        if name not in self._fields:
            r, c, t = self._index_keys()
            vals = self._con.execute(f'SELECT "{name}" FROM cube').fetchnumpy()[name]
            arr = np.zeros((len(self.lsoa_codes), len(self.categories), len(self.months)))
            np.add.at(arr, (r, c, t), np.asarray(vals, dtype=np.float64))
            arr[:, :, self.missing] = np.nan
            self._fields[name] = arr
        return self._fields[name]

    def category_mask(self, slugs: list[str]) -> NDArray[np.bool_]:
        """Categories to include: the given slugs, or every crime category if none given."""
        if slugs:
            return np.array([c in slugs for c in self.categories])
        return np.array([c != "anti-social-behaviour" for c in self.categories])


def _combine_vintages(vintages: set[str]) -> str:
    vintages = vintages - {"unknown"}
    if not vintages:
        return "unknown"
    strict = vintages - {"2011/2021"}
    if len(strict) > 1 or "mixed" in strict:
        return "mixed"
    return strict.pop() if strict else "2011/2021"


@dataclass
class Level:
    """The areas of one level and how counts reach them.

    Lookup levels (LSOA, MSOA, district, force, or a user's LSOA best-fit lookup) sum the
    cube's (force, LSOA) rows through ``row_area``. Drawn levels with no lookup (a council's
    own wards, say) count police.uk rows by point-in-polygon: ``point_fields`` then holds
    their (areas × categories × months) arrays, built with the mart's counting rules."""

    name: str  # 'force', 'lad', 'msoa', 'lsoa', or a user level such as 'ward'
    label: str  # e.g. 'district'
    codes: list[str]
    names: list[str]
    row_area: NDArray[np.int64] | None  # per cube row: area index, or -1 (not in any area)
    lookup_source: str
    point_fields: dict[str, NDArray[np.float64]] | None = None
    lsoa_vintage: str = "unknown"  # of the police.uk data counted into these areas

    @cached_property
    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.codes)}

    def sum_rows(self, per_row: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum a (rows × …) array into (areas × …)."""
        assert self.row_area is not None
        out = np.zeros((len(self.codes), *per_row.shape[1:]))
        ok = self.row_area >= 0
        np.add.at(out, self.row_area[ok], per_row[ok])
        return out

    def series(self, cube: MartCube, name: str, mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        """(areas × months) sum of mart field ``name`` over the categories in ``mask``."""
        out: NDArray[np.float64] = self.field(cube, name)[:, mask, :].sum(axis=1)
        return out

    def field(self, cube: MartCube, name: str) -> NDArray[np.float64]:
        """(areas × categories × months) of mart field ``name``."""
        if self.point_fields is not None:
            if name not in self.point_fields:
                raise ValueError(f"field '{name}' is not counted for point-assigned areas")
            return self.point_fields[name]
        return self.sum_rows(cube.field(name))


LEVEL_LABELS = {
    "force": "force",
    "lad": "district",
    "msoa": "MSOA",
    "lsoa": "LSOA",
    "region": "region",
}


def lookup_vintage(cube: MartCube) -> int:
    return 2021 if cube.lsoa_vintage == "2021" else 2011


def build_level(ws: Workspace, cube: MartCube, level: str) -> Level:
    """Areas of ``level`` within the partnership, and each cube row's area."""
    from ..taxonomy import forces as force_names

    if level == "force":
        return Level(
            "force",
            "force",
            cube.forces,
            [force_names().get(f, f) for f in cube.forces],
            cube.row_force.astype(np.int64),
            "police.uk force (every row, including rows with no location)",
            lsoa_vintage=cube.lsoa_vintage,
        )
    vintage = lookup_vintage(cube)
    hierarchy = Hierarchy.for_workspace(ws, vintage=vintage)  # type: ignore[arg-type]
    lookup: AreaLookup | None
    if level in LOOKUP_COLUMNS:
        lookup = lookup_from_level(vintage, level)  # type: ignore[arg-type]
    else:
        lookup = hierarchy.user_lookup(level)
        if lookup is None:
            drawn = hierarchy.areas(level)
            if drawn is None:
                from ..errors import SaferPlacesError

                raise SaferPlacesError(
                    f"no areas of level '{level}': import boundaries with 'saferplaces areas "
                    "import' or an LSOA lookup with 'saferplaces areas lookup'"
                )
            return _point_level(ws, cube, level, drawn)
    mapping = lookup.mapping()
    if ws.config.partnership.areas:
        wanted = set(hierarchy.partnership_children(ws, level))
    else:  # no declared areas: the areas of this level whose LSOAs lie in the forces
        in_force = lookup_from_level(vintage, "force").mapping()  # type: ignore[arg-type]
        wanted = {mapping[c] for c, f in in_force.items() if f in cube.forces and c in mapping}
    codes = sorted(wanted)
    idx = {c: i for i, c in enumerate(codes)}
    row_area = np.array(
        [idx.get(mapping.get(c, ""), -1) if c else -1 for c in cube.lsoa_codes], dtype=np.int64
    )
    if level in LOOKUP_COLUMNS:
        known = hierarchy.lookup.names(level)  # one dict, not one per area
        names = [known.get(c, c) for c in codes]
    else:
        names = [hierarchy.name_of(c, level) for c in codes]
    return Level(
        level,
        LEVEL_LABELS.get(level, level),
        codes,
        names,
        row_area,
        lookup.source,
        lsoa_vintage=cube.lsoa_vintage,
    )


_POINT_SQL = """
SELECT force, month, category, longitude, latitude, is_asb, no_location, outcome_group,
       (crime_id IS NOT NULL AND NOT is_asb
        AND row_number() OVER (PARTITION BY force, month, crime_id ORDER BY line) = 1)
           AS counts_as_crime,
       duplicate_id
FROM street WHERE force IN ({forces})
"""


def _point_level(ws: Workspace, cube: MartCube, level: str, drawn: Areas) -> Level:
    """Count police.uk rows into drawn areas by point-in-polygon (mart counting rules)."""
    from ..geo import assign_points
    from ..lake.catalog import connect

    con = connect(ws.lake_dir)
    forces = ", ".join("'" + f.replace("'", "''") + "'" for f in cube.forces)
    cols = con.sql(_POINT_SQL.format(forces=forces)).fetchnumpy()
    assignment = assign_points(drawn, cols["longitude"], cols["latitude"], crs="wgs84")
    area = assignment.index
    cat_index = {c: i for i, c in enumerate(cube.categories)}
    month_index = {m: i for i, m in enumerate(cube.months)}
    c = np.array([cat_index.get(x, -1) for x in cols["category"]], dtype=np.int64)
    t = np.array([month_index.get(x, -1) for x in cols["month"]], dtype=np.int64)
    ok = (area >= 0) & (c >= 0) & (t >= 0)
    shape = (len(drawn.codes), len(cube.categories), len(cube.months))
    crime = np.asarray(cols["counts_as_crime"], dtype=bool)
    groups = np.asarray(cols["outcome_group"], dtype=object)
    weights: dict[str, NDArray[np.bool_]] = {
        "crimes": crime,
        "asb_incidents": np.asarray(cols["is_asb"], dtype=bool),
        "rows": np.ones(len(area), dtype=bool),
        "no_location_rows": np.zeros(len(area), dtype=bool),  # never placed in an area
        **{f"outcome_{g}": crime & (groups == g) for g in OUTCOME_GROUPS},
    }
    fields = {}
    for name, w in weights.items():
        arr = np.zeros(shape)
        keep = ok & w
        np.add.at(arr, (area[keep], c[keep], t[keep]), 1.0)
        arr[:, :, cube.missing] = np.nan
        fields[name] = arr
    return Level(
        level,
        level,
        [str(x) for x in drawn.codes],
        [str(x) for x in drawn.names],
        None,
        f"point-in-polygon on {drawn.source or 'stored boundaries'}",
        point_fields=fields,
        lsoa_vintage="n/a (points)",
    )


def denominator_for(
    ws: Workspace, cube: MartCube, level: Level, name: str
) -> tuple[NDArray[np.float64], str]:
    """Values of a denominator for each area of ``level`` and its label (name, year, source)."""
    key = (level.name, name)
    if key not in cube._denominators:
        cube._denominators[key] = _denominator(ws, cube, level, name)
    return cube._denominators[key]


def _denominator(
    ws: Workspace, cube: MartCube, level: Level, name: str
) -> tuple[NDArray[np.float64], str]:
    vintage = lookup_vintage(cube)
    denom: Denominator
    if name == "residents":
        denom = residents(vintage)  # type: ignore[arg-type]
    elif name == "households":
        denom = households()
    else:
        denom = load_denominator(ws.lake_dir, name)
    if level.name == "force":
        lk = lookup_from_level(2011 if denom.year < 2021 else 2021, "force")
        values = aggregate(denom, lk).values if denom.level == "lsoa" else denom.values
    elif denom.level == level.name:
        values = denom.values
    elif denom.level == "lsoa":
        if level.name in LOOKUP_COLUMNS:
            lk = lookup_from_level(2011 if denom.year < 2021 else 2021, level.name)
        else:
            lk = Hierarchy.for_workspace(ws).user_lookup(level.name)  # type: ignore[assignment]
        values = aggregate(denom, lk).values
    else:
        from ..errors import SaferPlacesError

        raise SaferPlacesError(
            f"denominator '{name}' is held for level '{denom.level}', not '{level.name}'"
        )
    arr = np.array([float(values.get(c, np.nan)) for c in level.codes])
    return arr, denom.label
