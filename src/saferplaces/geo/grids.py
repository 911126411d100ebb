"""British National Grid square grids with stable cell ids.

A cell is identified by its size and its south-west corner, aligned to multiples of the size:
``200m_E358200N172400`` is the 200 m square from easting 358,200 and northing 172,400. The id
depends only on where the cell is, so the same cell has the same id in every run, every area
and every year, and grids of one size from different areas line up exactly.

Cells of 100–200 m or more suit police.uk data: its snap points make finer grids count
artefacts of anonymisation rather than places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .areas import ObjArray

CELL_ID_RE = re.compile(r"^(\d+)m_E(-?\d+)N(-?\d+)$")
MAX_CELLS = 500_000


def _check_size(size: int) -> int:
    if not isinstance(size, int | np.integer) or isinstance(size, bool) or size <= 0:
        raise ValueError(f"cell size must be a positive whole number of metres, not {size!r}")
    return int(size)


def cell_origin(
    x: ArrayLike, y: ArrayLike, size: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """South-west corner (easting, northing) of the cell holding each point."""
    s = _check_size(size)
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    # floor_divide, not floor(x / s): the quotient of a tiny negative number underflows to -0.0
    return (np.floor_divide(xs, s) * s).astype(np.int64), (np.floor_divide(ys, s) * s).astype(
        np.int64
    )


def cell_ids(x: ArrayLike, y: ArrayLike, size: int) -> ObjArray:
    """Stable id of the cell holding each BNG point (points on a cell edge go to the cell to
    their north/east). NaN coordinates give None."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    out = np.full(len(xs), None, dtype=object)
    ex, ny = cell_origin(xs[ok], ys[ok], size)
    out[ok] = [f"{size}m_E{e}N{n}" for e, n in zip(ex.tolist(), ny.tolist(), strict=True)]
    return out


def parse_cell_id(cell_id: str) -> tuple[int, int, int]:
    """``(size, easting, northing)`` of a cell id."""
    m = CELL_ID_RE.match(cell_id)
    if not m:
        raise ValueError(f"{cell_id!r} is not a grid cell id like '200m_E358200N172400'")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def cell_polygon(cell_id: str) -> Any:
    size, e, n = parse_cell_id(cell_id)
    return shapely.box(e, n, e + size, n + size)


@dataclass(frozen=True, eq=False)
class Grid:
    """Cells of one size covering an area: ``ids``, ``cells`` (full squares) and ``clipped``
    (the part of each square inside the area), all BNG."""

    size: int
    ids: ObjArray
    cells: ObjArray
    clipped: ObjArray

    def __len__(self) -> int:
        return len(self.ids)

    def land_share(self) -> NDArray[np.float64]:
        """Share of each cell inside the area (for rates per km² of edge cells)."""
        return np.asarray(shapely.area(self.clipped) / float(self.size) ** 2, dtype=np.float64)


def square_grid(area: Any, size: int = 200, *, clip: bool = True) -> Grid:
    """Square cells of ``size`` metres covering a BNG polygon, in row-major order from the
    south-west; cells touching the area only along an edge or corner are left out."""
    s = _check_size(size)
    if area is None or shapely.is_empty(area):
        raise ValueError("cannot build a grid over an empty area")
    xmin, ymin, xmax, ymax = shapely.bounds(area)
    x0, y0 = int(np.floor(xmin / s) * s), int(np.floor(ymin / s) * s)
    nx, ny = int(np.ceil((xmax - x0) / s)), int(np.ceil((ymax - y0) / s))
    if nx * ny > MAX_CELLS:
        raise ValueError(
            f"{nx * ny:,} cells of {s} m would be needed (limit {MAX_CELLS:,}); use larger cells"
        )
    ex = (x0 + s * np.arange(nx)).astype(np.int64)
    ny_ = (y0 + s * np.arange(ny)).astype(np.int64)
    mx, my = np.meshgrid(ex, ny_)  # rows = northings: row-major from the south-west
    gx, gy = mx.ravel(), my.ravel()
    boxes = shapely.box(gx, gy, gx + s, gy + s)
    shapely.prepare(area)
    keep = shapely.intersects(area, boxes) & ~shapely.touches(area, boxes)
    gx, gy, boxes = gx[keep], gy[keep], boxes[keep]
    ids = np.array(
        [f"{s}m_E{e}N{n}" for e, n in zip(gx.tolist(), gy.tolist(), strict=True)], dtype=object
    )
    clipped = shapely.intersection(boxes, area) if clip else boxes
    return Grid(s, ids, boxes, clipped)
