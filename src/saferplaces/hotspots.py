"""police.uk crime hotspots for a partnership: grid counts, Gi* and the equality checks that
must sit beside any hotspot map (PRODUCT.md: "descriptive, not predictive, hotspot analysis,
with equality checks beside hotspot outputs").

Method (METHODS.md §4.2–4.3, in :mod:`saferplaces.stats.hotspots`): located street crimes of the
chosen months and category are projected to British National Grid, counted on an aligned
square grid (sfhotspot ``hotspot_count``) and tested with Gi* (queen neighbours plus the cell
itself, Holm-adjusted p-values, Esri-style ±1/2/3 confidence bins). Beside it:

* **proactive share** (:func:`saferplaces.stats.equality.proactive_share`): hotspot cells made
  mostly of drugs and weapons possession show where police looked, not where people were
  victimised;
* **who lives there** (:func:`saferplaces.stats.equality.hotspot_burden`): the share of
  residents whose LSOA holds crimes counted in a hotspot cell (LSOA boundaries are not needed:
  each crime carries its LSOA). Without a deprivation (or other group) table only the overall
  share is given, and the note says so.

police.uk locations are snapped to anonymised points on or near a street, so a cell's count is
of crimes *snapped into* the cell (METHODS.md §4.6); cells smaller than 200 m are refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SaferPlacesError
from .stats.equality import BurdenReport, ProactiveReport, hotspot_burden, proactive_share
from .stats.grid import cell_corners, cell_ids, cell_labels, grid_counts
from .stats.hotspots import GI_BIN_LABELS, gistar_grid
from .workspace import Workspace

#: Smallest cell offered: police.uk snap points make smaller cells spurious (METHODS.md §4.6).
MIN_CELL_M = 200
CELL_SIZES = (250, 500, 1000)
#: Gi*'s z-scores rest on a normal approximation that fails when nearly every cell is empty
#: (one crime in a sea of zeros scores z ≈ 7). Below this mean count per cell of the grid, or
#: this many crimes, the map shows counts only. Our rule, stated on the map; not a published one.
MIN_MEAN_PER_CELL = 1.0
MIN_CRIMES = 100


class HotspotError(SaferPlacesError):
    """Hotspots cannot be computed for the request (no located crimes, bad cell size...)."""


@dataclass(frozen=True)
class HotspotCell:
    cell: str  # stats.grid.cell_labels: "500m_E359000N173000" (size, south-west corner)
    crimes: int
    gi_bin: int  # -3..3 (Esri Gi_Bin), 0 = not significant
    z: float
    p_adjusted: float
    proactive_share: float | None
    ring: list[list[float]]  # the cell's corners as [longitude, latitude], closed


@dataclass(frozen=True)
class HotspotMap:
    forces: tuple[str, ...]
    months: tuple[str, ...]
    category: str | None
    cell_size: int
    crimes_located: int
    crimes_without_location: int
    crimes_outside: int
    cells: list[HotspotCell]  # cells with crimes, or significant
    proactive: ProactiveReport | None
    burden: BurdenReport | None
    notes: list[str]

    @property
    def hot_cells(self) -> list[HotspotCell]:
        return [c for c in self.cells if c.gi_bin >= 2]

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": c.cell,
                    "geometry": {"type": "Polygon", "coordinates": [c.ring]},
                    "properties": {
                        "cell": c.cell,
                        "crimes": c.crimes,
                        "gi_bin": c.gi_bin,
                        "gi_label": GI_BIN_LABELS.get(c.gi_bin, ""),
                        "proactive_share": c.proactive_share,
                    },
                }
                for c in self.cells
            ],
            "meta": {
                "counts": "police.uk street crimes (rows, anti-social behaviour excluded) "
                "snapped into each cell; a Crime ID listed twice in a month is counted once",
                "forces": list(self.forces),
                "months": list(self.months),
                "category": self.category or "all crime",
                "cell_size_m": self.cell_size,
                "method": "Gi* (queen neighbours + self, Holm-adjusted, Esri bins); "
                "descriptive of the period, not a forecast",
                "notes": self.notes,
            },
        }


def police_hotspots(
    ws: Workspace,
    months: Sequence[str],
    *,
    category: str | None = None,
    forces: Sequence[str] | None = None,
    cell_size: int = 500,
    lsoas: Collection[str] | None = None,
    residents: dict[str, float] | None = None,
) -> HotspotMap:
    """Gi* hotspots of located police.uk crimes in ``months`` (``YYYY-MM``) for the
    partnership's forces (or ``forces``), counting crimes snapped into the forces' own LSOAs
    (or into ``lsoas``, e.g. one district's): police.uk also lists crimes a force recorded
    far outside its area, which would stretch the grid over empty country. ``residents``
    (LSOA code → residents) enables the who-lives-there check."""
    import pyproj

    from .geo.lookups import lsoa_lookup
    from .lake.catalog import connect

    if cell_size < MIN_CELL_M:
        raise HotspotError(
            f"cell size {cell_size} m is below {MIN_CELL_M} m: police.uk locations are snapped "
            "to points, so smaller cells describe the snapping, not the crime"
        )
    if not months:
        raise HotspotError("give at least one month")
    forces = tuple(forces or ws.config.partnership.forces)
    con = connect(ws.lake_dir)
    if lsoas is None:
        lsoas = sorted(
            {c for v in (2011, 2021) for f in forces for c in lsoa_lookup(v).members("force", f)}
        )
    where = [
        "force IN (SELECT unnest($forces))",
        "month IN (SELECT unnest($months))",
        "NOT is_asb AND crime_id IS NOT NULL",
    ]
    params: dict[str, Any] = {"forces": list(forces), "months": list(months), "lsoas": list(lsoas)}
    if category:
        where.append("category = $category")
        params["category"] = category
    # First copy of each Crime ID only (the lake's counting rule); ASB is not crime.
    rows = con.sql(
        "SELECT longitude, latitude, category, lsoa_code,"
        "  coalesce(lsoa_code IN (SELECT unnest($lsoas)), false) AS inside FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY force, month, crime_id ORDER BY line) AS n"
        f"  FROM street WHERE {' AND '.join(where)}"
        ") WHERE n = 1",
        params=params,
    ).to_arrow_table()
    lon = rows.column("longitude").to_numpy(zero_copy_only=False).astype(float)
    lat = rows.column("latitude").to_numpy(zero_copy_only=False).astype(float)
    has_point = np.isfinite(lon) & np.isfinite(lat)
    inside = rows.column("inside").to_numpy(zero_copy_only=False).astype(bool)
    located = has_point & inside
    n_unlocated = int((~has_point).sum())
    n_outside = int((has_point & ~inside).sum())
    if not located.any():
        raise HotspotError(
            f"no located crimes for {', '.join(forces)} in {months[0]}–{months[-1]}"
            + (f" in category '{category}'" if category else "")
        )
    to_bng = pyproj.Transformer.from_crs(4326, 27700, always_xy=True)
    x, y = to_bng.transform(lon[located], lat[located])
    cats = np.asarray(rows.column("category").to_pylist(), dtype=object)[located]
    crime_lsoa = np.asarray(rows.column("lsoa_code").to_pylist(), dtype=object)[located]
    counts = grid_counts(x, y, cell_size=float(cell_size))
    grid = counts.grid
    mean_per_cell = x.size / grid.n_cells
    tested = x.size >= MIN_CRIMES and mean_per_cell >= MIN_MEAN_PER_CELL
    flat_counts = counts.counts.ravel()
    if tested:
        hot = gistar_grid(counts)
        flat_bins, flat_z = hot.bins.ravel(), hot.z.ravel()
        flat_p = hot.p_adjusted.ravel()
    else:  # Gi* on a handful of points in a sea of empty cells calls every point a hotspot
        flat_bins = np.zeros(grid.n_cells, dtype=np.int8)
        flat_z, flat_p = np.zeros(grid.n_cells), np.ones(grid.n_cells)
    keep = np.flatnonzero((flat_counts > 0) | (flat_bins != 0))
    hot_idx = np.flatnonzero(flat_bins >= 2)
    grid_ids = grid.ids().ravel()  # stable, origin-aligned ids (stats.grid.cell_ids)
    crime_ids = cell_ids(x, y, cell_size)
    # Text labels only for the cells that have crimes or are kept (the grid may be large).
    named = np.unique(np.concatenate([crime_ids, grid_ids[keep]]))
    label = dict(zip(named.tolist(), cell_labels(named, cell_size), strict=True))
    proactive = None
    share_of: dict[str, float] = {}
    if hot_idx.size:
        proactive = proactive_share(
            np.array([label[i] for i in crime_ids.tolist()], dtype=object),
            cats,
            hotspot_ids=np.array([label[i] for i in grid_ids[hot_idx].tolist()], dtype=object),
        )
        share_of = {str(u): float(s) for u, s in zip(proactive.units, proactive.share, strict=True)}
    to_wgs = pyproj.Transformer.from_crs(27700, 4326, always_xy=True)
    east, north = cell_corners(grid_ids[keep], cell_size)
    cells: list[HotspotCell] = []
    for i, x0, y0 in zip(keep.tolist(), east.tolist(), north.tolist(), strict=True):
        # Counter-clockwise exterior (RFC 7946): SW, SE, NE, NW, SW.
        xs = [x0, x0 + cell_size, x0 + cell_size, x0, x0]
        ys = [y0, y0, y0 + cell_size, y0 + cell_size, y0]
        lons, lats = to_wgs.transform(xs, ys)
        name = label[int(grid_ids[i])]
        cells.append(
            HotspotCell(
                cell=name,
                crimes=int(flat_counts[i]),
                gi_bin=int(flat_bins[i]),
                z=round(float(flat_z[i]), 3),
                p_adjusted=float(flat_p[i]),
                proactive_share=share_of.get(name),
                ring=[[round(a, 6), round(b, 6)] for a, b in zip(lons, lats, strict=True)],
            )
        )
    burden = None
    notes = [
        f"{int(located.sum()):,} located crimes counted; {n_unlocated:,} without a location "
        f"and {n_outside:,} placed outside the area mapped are not on the map.",
        f"{hot_idx.size:,} of {grid.n_cells:,} cells of {cell_size} m are hotspots at 95% "
        "confidence or more (Gi*, Holm-adjusted). A hotspot describes where crimes were "
        "recorded in these months; it is not a forecast."
        if tested
        else f"No hotspot test: {x.size:,} located crimes over {grid.n_cells:,} cells of "
        f"{cell_size} m is {mean_per_cell:.2f} a cell, and Gi* needs at least "
        f"{MIN_MEAN_PER_CELL:g} a cell (and {MIN_CRIMES} crimes) to mean anything. The map "
        "shows counts only; choose larger cells, more months or all crime.",
    ]
    if proactive is not None:
        notes.append(proactive.note)
    if residents and hot_idx.size:
        hot_lsoas = {str(v) for v in crime_lsoa[np.isin(crime_ids, grid_ids[hot_idx])] if v}
        codes = sorted(set(residents) & set(lsoas))  # the area mapped, not the country
        hot_known = sorted(hot_lsoas & set(codes))
        if hot_known:
            burden = hotspot_burden(hot_known, codes, [residents[c] for c in codes])
            notes.append(
                f"{burden.overall_share:.1%} of residents live in an LSOA with crimes counted "
                "in a hotspot cell. Who they are (e.g. by deprivation) is not assessed: no "
                "deprivation table is loaded in this workspace."
            )
    return HotspotMap(
        forces=forces,
        months=tuple(months),
        category=category,
        cell_size=cell_size,
        crimes_located=int(located.sum()),
        crimes_without_location=n_unlocated,
        crimes_outside=n_outside,
        cells=cells,
        proactive=proactive,
        burden=burden,
        notes=notes,
    )
