"""Assigning records to areas: by point-in-polygon, or by LSOA code through a lookup.

police.uk coordinates are **anonymised snap points**, not where an incident happened: each
crime is moved to the nearest of ~750,000 points (street centres, public places, commercial
premises) whose catchment holds at least eight postal addresses or none. A point near an area
edge may therefore fall on the other side of it; counts for small areas are approximate, and a
point on a street forming a ward boundary belongs to one ward by rule, not by fact.

Rules, applied identically everywhere:

* a row with no coordinates (police.uk "No Location", blank longitude/latitude) is counted as
  **no location** and assigned to no area;
* a point inside no area is counted as **outside**;
* a point on the shared boundary of several areas goes to the one whose code sorts first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from .areas import Areas, ObjArray
from .projection import to_bng

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class AssignmentSummary:
    """Counts that go with every area summary: nothing is silently lost."""

    total: int
    assigned: int
    outside: int  # has a location (or LSOA) but lies in no area
    no_location: int  # no coordinates / no LSOA code
    per_area: dict[str, int]
    method: str  # "point-in-polygon" or "lookup"

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "assigned": self.assigned,
            "outside": self.outside,
            "no_location": self.no_location,
            "method": self.method,
            "per_area": dict(self.per_area),
        }

    def describe(self) -> str:
        return (
            f"{self.assigned:,} of {self.total:,} rows assigned to areas ({self.method});"
            f" {self.outside:,} outside every area; {self.no_location:,} with no location"
        )


@dataclass(frozen=True)
class Assignment:
    """``index[i]`` is the position (in ``codes``) of row i's area, or -1 for none."""

    index: IntArray
    codes: ObjArray  # area codes, in index order
    summary: AssignmentSummary

    def area_codes(self) -> ObjArray:
        """Each row's area code (None where unassigned)."""
        out = np.full(len(self.index), None, dtype=object)
        ok = self.index >= 0
        out[ok] = self.codes[self.index[ok]]
        return out

    def counts(self) -> NDArray[np.int64]:
        """Rows per area, aligned with ``codes``."""
        return np.bincount(self.index[self.index >= 0], minlength=len(self.codes)).astype(np.int64)


def _summary(index: IntArray, codes: ObjArray, no_location: int, method: str) -> AssignmentSummary:
    counts = np.bincount(index[index >= 0], minlength=len(codes))
    assigned = int((index >= 0).sum())
    return AssignmentSummary(
        total=len(index),
        assigned=assigned,
        outside=len(index) - assigned - no_location,
        no_location=no_location,
        per_area={str(c): int(n) for c, n in zip(codes, counts, strict=True)},
        method=method,
    )


def locate_points(geometries: ObjArray, x: NDArray[np.float64], y: NDArray[np.float64]) -> IntArray:
    """Index of the first geometry (lowest position) covering each point, -1 for none.

    Vectorised: an STRtree narrows each point to the polygons whose bounding boxes hold it,
    then one prepared ``intersects_xy`` call tests all candidate pairs. NaN coordinates → -1.
    """
    n = len(x)
    out = np.full(n, -1, dtype=np.int64)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(ok) or not len(geometries):
        return out
    tree = shapely.STRtree(geometries)
    pts = shapely.points(x[ok], y[ok])
    # Bounding-box candidates only; the exact test below uses prepared polygons, far faster
    # for detailed boundaries than the per-pair predicate inside STRtree.query.
    pt_i, geom_i = tree.query(pts)
    if not len(pt_i):
        return out
    shapely.prepare(geometries)
    hit = shapely.intersects_xy(geometries[geom_i], x[ok][pt_i], y[ok][pt_i])
    pt_i, geom_i = pt_i[hit], geom_i[hit]
    # Deterministic tie-break for boundary points: smallest geometry position wins.
    order = np.lexsort((geom_i, pt_i))
    pt_i, geom_i = pt_i[order], geom_i[order]
    first = np.ones(len(pt_i), dtype=bool)
    first[1:] = pt_i[1:] != pt_i[:-1]
    out[ok[pt_i[first]]] = geom_i[first]
    return out


def assign_points(
    areas: Areas,
    x: ArrayLike,
    y: ArrayLike,
    *,
    crs: Literal["wgs84", "bng"] = "wgs84",
) -> Assignment:
    """Assign points to ``areas`` by point-in-polygon.

    ``x``/``y`` are longitude/latitude (``crs="wgs84"``, as in police.uk files) or British
    National Grid easting/northing (``crs="bng"``); NaN marks a row with no location.
    Points are anonymised snap points for police.uk data (see the module docs)."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape:
        raise ValueError("x and y differ in length")
    no_loc = ~(np.isfinite(xs) & np.isfinite(ys))
    if crs == "wgs84":
        xs, ys = to_bng(xs, ys)
    elif crs != "bng":
        raise ValueError("crs must be 'wgs84' or 'bng'")
    index = locate_points(areas.geometries, xs, ys)
    return Assignment(
        index, areas.codes, _summary(index, areas.codes, int(no_loc.sum()), "point-in-polygon")
    )


def assign_by_code(
    row_codes: Iterable[str | None],
    mapping: dict[str, str],
    area_codes: Iterable[str] | None = None,
) -> Assignment:
    """Assign rows by an LSOA (or other) code through ``mapping`` (code → area code).

    A blank code counts as no location; a code the mapping lacks counts as outside."""
    codes_in = list(row_codes)
    areas = sorted(set(area_codes) if area_codes is not None else set(mapping.values()))
    pos = {c: i for i, c in enumerate(areas)}
    target = {k: pos.get(v, -1) for k, v in mapping.items()}
    index = np.fromiter(
        (target.get(c, -1) if c else -1 for c in codes_in), dtype=np.int64, count=len(codes_in)
    )
    no_loc = sum(1 for c in codes_in if not c)
    arr = np.empty(len(areas), dtype=object)
    arr[:] = areas
    return Assignment(index, arr, _summary(index, arr, no_loc, "lookup"))
