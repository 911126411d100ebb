"""Square grids on the British National Grid and counts of events per cell or per area.

Method: a regular square lattice in a projected CRS (EPSG:27700, metres), as used by
sfhotspot (Ashby, ``create_grid()`` / ``set_cell_size()``; METHODS.md §4.2) for hotspot
counts, KDE and Gi*.

* **Cell-size rule** (sfhotspot ``set_cell_size``): one fiftieth of the shorter side of the
  data's bounding box, rounded *down* to a whole multiple of 100 m — but never less than 100 m
  (sfhotspot falls back to the unrounded value when rounding gives zero; we use the 100 m
  floor instead because police.uk snap points make cells under ~100–200 m meaningless,
  METHODS.md §4.6).
* **Stable cell ids**: the grid is aligned to whole multiples of the cell size measured from
  the CRS origin, so a cell's position never depends on the data. Column ``c = floor(E / s)``,
  row ``r = floor(N / s)`` and ``cell_id = c * 10_000_000 + r`` (an int64, fast to count and
  join). Two data sets (or two runs) with the same cell size always give the same id to the
  same square, and translating a data set by whole cells shifts every id by the same
  constant. :func:`cell_labels` turns ids into the text form used by
  ``saferplaces.geo.grids`` (``"200m_E358200N172400"``).
* **Counts** use ``numpy.bincount`` (optionally weighted, e.g. by harm).

All coordinates are metres on EPSG:27700; longitude/latitude must be projected first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ID_BASE",
    "AreaCounts",
    "Grid",
    "GridCounts",
    "area_counts",
    "auto_cell_size",
    "cell_corners",
    "cell_ids",
    "cell_labels",
    "grid_counts",
    "make_grid",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Multiplier separating the column and row in a cell id (``col * ID_BASE + row``).
ID_BASE = 10_000_000
#: Minimum automatic cell size in metres (police.uk snap points: METHODS.md §4.6).
MIN_AUTO_CELL_SIZE = 100.0
#: sfhotspot's automatic rule aims for this many cells on the shorter side.
CELLS_ON_SHORT_SIDE = 50
#: sfhotspot rounds automatic cell sizes to a multiple of this (metres).
ROUNDING = 100.0


# --------------------------------------------------------------------------------------------
# shared private validation helpers (also used by kde, hotspots and nearrepeat)
# --------------------------------------------------------------------------------------------


def _as_1d_float(values: ArrayLike, name: str, *, allow_empty: bool = False) -> FloatArray:
    """``values`` as a finite 1-D float64 array; ValueError naming ``name`` otherwise."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (got shape {arr.shape})")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: at least one value is needed")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite numbers (got {arr[i]} at position {i})")
    return arr


def _as_xy(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validated coordinate arrays of equal, non-zero length."""
    xa = _as_1d_float(x, "x")
    ya = _as_1d_float(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same length (got {xa.size} and {ya.size})")
    return xa, ya


def _as_weights(weights: ArrayLike | None, n: int, name: str = "weights") -> FloatArray | None:
    """Validated non-negative event weights of length ``n`` (or None)."""
    if weights is None:
        return None
    w = _as_1d_float(weights, name)
    if w.size != n:
        raise ValueError(f"{name} must have one value per event (got {w.size} for {n} events)")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"{name} must not be negative (got {w[i]} at position {i})")
    return w


def _check_cell_size(cell_size: float) -> float:
    cs = float(cell_size)
    if not math.isfinite(cs) or cs <= 0:
        raise ValueError(f"cell_size must be a positive number of metres (got {cell_size})")
    return cs


# --------------------------------------------------------------------------------------------
# cell size and ids
# --------------------------------------------------------------------------------------------


def auto_cell_size(x: ArrayLike, y: ArrayLike) -> float:
    """Default cell size (metres) by sfhotspot's rule with a 100 m floor.

    Method: sfhotspot ``set_cell_size()`` (Ashby; METHODS.md §4.2): the shorter side of the
    bounding box of the points divided by 50, rounded down to a multiple of 100 m. Where that
    gives less than 100 m (bounding boxes shorter than 10 km) we return 100 m: police.uk
    locations are snapped to anonymous map points, so finer grids show the snapping, not
    crime (METHODS.md §4.6).
    """
    xa, ya = _as_xy(x, y)
    short_side = min(float(xa.max() - xa.min()), float(ya.max() - ya.min()))
    rounded = math.floor(short_side / CELLS_ON_SHORT_SIDE / ROUNDING) * ROUNDING
    return max(rounded, MIN_AUTO_CELL_SIZE)


def _col_row(x: FloatArray, y: FloatArray, cell_size: float) -> tuple[IntArray, IntArray]:
    col = np.floor_divide(x, cell_size).astype(np.int64)  # exact for tiny negatives too
    row = np.floor_divide(y, cell_size).astype(np.int64)
    bad = (col < 0) | (row < 0) | (col >= ID_BASE) | (row >= ID_BASE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"point {i} ({x[i]}, {y[i]}) is outside the range cell ids can encode: "
            "coordinates must be non-negative British National Grid metres (EPSG:27700)"
        )
    return col, row


def cell_ids(x: ArrayLike, y: ArrayLike, cell_size: float) -> IntArray:
    """Stable id of the grid cell containing each point (``col * 10_000_000 + row``).

    Method: cells aligned to whole multiples of ``cell_size`` from the EPSG:27700 origin
    (``col = floor(E / s)``, ``row = floor(N / s)``), so ids do not depend on the data set.
    A point exactly on a cell edge belongs to the cell to its east/north (half-open cells).
    """
    xa, ya = _as_xy(x, y)
    cs = _check_cell_size(cell_size)
    col, row = _col_row(xa, ya, cs)
    return col * ID_BASE + row


def cell_corners(ids: ArrayLike, cell_size: float) -> tuple[FloatArray, FloatArray]:
    """South-west corner (easting, northing) in metres of each cell id.

    Method: inverse of :func:`cell_ids` on the origin-aligned grid (sfhotspot-style square
    grid, METHODS.md §4.2): ``E = (id // 10_000_000) × s``, ``N = (id % 10_000_000) × s``.
    """
    arr = np.asarray(ids, dtype=np.int64)
    cs = _check_cell_size(cell_size)
    return (arr // ID_BASE).astype(np.float64) * cs, (arr % ID_BASE).astype(np.float64) * cs


def cell_labels(ids: ArrayLike, cell_size: float) -> list[str]:
    """Text ids such as ``"100m_E359100N570500"`` (size and south-west corner in metres).

    The same strings as :func:`saferplaces.geo.grids.cell_ids` gives for the same cells, so
    statistics keyed by integer ids join to boundary/grid layers keyed by text ids.
    """
    cs = _check_cell_size(cell_size)
    ex, nx = cell_corners(ids, cs)
    size = f"{cs:g}m"
    return [f"{size}_E{e:.0f}N{n:.0f}" for e, n in zip(ex.tolist(), nx.tolist(), strict=True)]


# --------------------------------------------------------------------------------------------
# grids
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A rectangular block of aligned square cells.

    ``col0``/``row0`` are the global column/row of the south-west cell (so the grid's
    south-west corner is ``(col0 * cell_size, row0 * cell_size)``). Arrays over the grid are
    shaped ``(nrows, ncols)`` with row 0 at the *south* (northing increases with the row).
    """

    cell_size: float
    col0: int
    row0: int
    ncols: int
    nrows: int

    def __post_init__(self) -> None:
        _check_cell_size(self.cell_size)
        if self.ncols < 1 or self.nrows < 1:
            raise ValueError(f"a grid needs at least one cell (got {self.nrows}×{self.ncols})")
        if self.col0 < 0 or self.row0 < 0:
            raise ValueError("grid origin must be non-negative British National Grid metres")

    @property
    def shape(self) -> tuple[int, int]:
        """``(nrows, ncols)``."""
        return (self.nrows, self.ncols)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.nrows * self.ncols

    @property
    def x_min(self) -> float:
        """Easting of the western edge (m)."""
        return self.col0 * self.cell_size

    @property
    def y_min(self) -> float:
        """Northing of the southern edge (m)."""
        return self.row0 * self.cell_size

    @property
    def cell_area(self) -> float:
        """Area of one cell in square metres."""
        return self.cell_size * self.cell_size

    def ids(self) -> IntArray:
        """Stable cell ids, shaped ``(nrows, ncols)``."""
        cols = np.arange(self.col0, self.col0 + self.ncols, dtype=np.int64)
        rows = np.arange(self.row0, self.row0 + self.nrows, dtype=np.int64)
        return cols[None, :] * ID_BASE + rows[:, None]

    def centres(self) -> tuple[FloatArray, FloatArray]:
        """Cell-centre eastings and northings, each shaped ``(nrows, ncols)``."""
        cx = (np.arange(self.ncols) + self.col0 + 0.5) * self.cell_size
        cy = (np.arange(self.nrows) + self.row0 + 0.5) * self.cell_size
        xx, yy = np.meshgrid(cx, cy)
        return xx, yy

    def locate(self, x: ArrayLike, y: ArrayLike) -> tuple[IntArray, IntArray, NDArray[np.bool_]]:
        """Local ``(row, col)`` index of each point and a mask of points inside the grid."""
        xa, ya = _as_xy(x, y)
        col = np.floor_divide(xa, self.cell_size).astype(np.int64) - self.col0
        row = np.floor_divide(ya, self.cell_size).astype(np.int64) - self.row0
        inside = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        return row, col, inside


def make_grid(
    x: ArrayLike, y: ArrayLike, cell_size: float | None = None, *, padding: float = 0.0
) -> Grid:
    """The aligned grid covering the bounding box of the points (plus ``padding`` metres).

    Method: sfhotspot-style square grid (METHODS.md §4.2) but aligned to whole multiples of
    the cell size from the EPSG:27700 origin, so cell ids are stable. ``cell_size`` defaults
    to :func:`auto_cell_size`.
    """
    xa, ya = _as_xy(x, y)
    cs = auto_cell_size(xa, ya) if cell_size is None else _check_cell_size(cell_size)
    if not math.isfinite(padding) or padding < 0:
        raise ValueError(f"padding must be a non-negative distance (got {padding})")
    col_lo = math.floor((float(xa.min()) - padding) / cs)
    col_hi = math.floor((float(xa.max()) + padding) / cs)
    row_lo = math.floor((float(ya.min()) - padding) / cs)
    row_hi = math.floor((float(ya.max()) + padding) / cs)
    if col_lo < 0 or row_lo < 0:
        raise ValueError(
            "the grid would extend west or south of the British National Grid origin; "
            "coordinates must be EPSG:27700 metres"
        )
    return Grid(cs, col_lo, row_lo, col_hi - col_lo + 1, row_hi - row_lo + 1)


@dataclass(frozen=True, eq=False)
class GridCounts:
    """Event counts (or summed weights) per grid cell.

    ``counts`` is shaped ``grid.shape`` and includes empty cells (Gi* needs them).
    ``n_outside`` counts events that fell outside a caller-supplied grid.
    """

    grid: Grid
    counts: FloatArray
    n_outside: int

    @property
    def ids(self) -> IntArray:
        """Stable cell ids shaped like ``counts``."""
        return self.grid.ids()

    def nonzero(self) -> tuple[IntArray, FloatArray]:
        """Ids and counts of the cells with at least one event (flattened)."""
        flat = self.counts.ravel()
        keep = flat != 0
        return self.grid.ids().ravel()[keep], flat[keep]


def grid_counts(
    x: ArrayLike,
    y: ArrayLike,
    *,
    cell_size: float | None = None,
    weights: ArrayLike | None = None,
    grid: Grid | None = None,
) -> GridCounts:
    """Count events (or sum their ``weights``, e.g. harm) in each cell of a square grid.

    Method: sfhotspot ``hotspot_count()`` (METHODS.md §4.2) on an aligned grid; counts via
    ``numpy.bincount``. With no ``grid`` the grid is :func:`make_grid` over the events with
    ``cell_size`` (default :func:`auto_cell_size`); points on a cell edge go to the cell to
    the east/north. Events outside a supplied ``grid`` are not counted (see ``n_outside``).
    """
    xa, ya = _as_xy(x, y)
    w = _as_weights(weights, xa.size)
    if grid is None:
        grid = make_grid(xa, ya, cell_size)
    elif cell_size is not None and float(cell_size) != grid.cell_size:
        raise ValueError(
            f"cell_size {cell_size} disagrees with the supplied grid's {grid.cell_size}"
        )
    row, col, inside = grid.locate(xa, ya)
    flat = row[inside] * grid.ncols + col[inside]
    counts = np.bincount(
        flat, weights=None if w is None else w[inside], minlength=grid.n_cells
    ).astype(np.float64)
    return GridCounts(grid, counts.reshape(grid.shape), int((~inside).sum()))


@dataclass(frozen=True, eq=False)
class AreaCounts:
    """Counts (or summed weights) per area, aligned with ``areas``."""

    areas: NDArray[np.generic]
    counts: FloatArray


def area_counts(
    assignment: ArrayLike, *, areas: ArrayLike | None = None, weights: ArrayLike | None = None
) -> AreaCounts:
    """Count events per area (LSOA, ward, beat…) given each event's area id.

    Method: a grouped count via ``numpy.unique`` + ``numpy.bincount``. ``areas`` fixes the
    output order and includes areas with no events (needed for rates and Gi*); without it the
    sorted distinct ids in ``assignment`` are used. An event whose id is not in ``areas``
    raises ValueError — drop unlocated events (e.g. police.uk rows with a blank LSOA)
    deliberately, and report how many, rather than silently.
    """
    assign = np.asarray(assignment)
    if assign.ndim != 1:
        raise ValueError(f"assignment must be one-dimensional (got shape {assign.shape})")
    if assign.size == 0:
        raise ValueError("assignment is empty: at least one event is needed")
    w = _as_weights(weights, assign.size)
    if areas is None:
        uniq, inverse = np.unique(assign, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=w, minlength=uniq.size)
        return AreaCounts(uniq, counts.astype(np.float64))
    area_arr = np.asarray(areas)
    if area_arr.ndim != 1 or area_arr.size == 0:
        raise ValueError("areas must be a non-empty one-dimensional list of area ids")
    order = np.argsort(area_arr, kind="stable")
    sorted_areas = area_arr[order]
    if sorted_areas.size > 1 and (sorted_areas[1:] == sorted_areas[:-1]).any():
        raise ValueError("areas contains duplicate ids")
    pos = np.searchsorted(sorted_areas, assign)
    pos_clipped = np.minimum(pos, sorted_areas.size - 1)
    found = sorted_areas[pos_clipped] == assign
    if not found.all():
        missing = np.unique(assign[~found])
        shown = ", ".join(str(m) for m in missing[:5].tolist())
        raise ValueError(
            f"{int((~found).sum())} events have area ids not in `areas` (e.g. {shown}); "
            "remove or re-assign them explicitly"
        )
    idx = order[pos_clipped]
    counts = np.bincount(idx, weights=w, minlength=area_arr.size)
    return AreaCounts(area_arr, counts.astype(np.float64))
