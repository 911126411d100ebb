"""Web-ready GeoJSON: simplified, WGS84, rounded, exterior rings clockwise.

* **Topology-preserving simplification.** Neighbouring areas are simplified as a *coverage*
  (GEOS ``CoverageSimplifier`` via :func:`shapely.coverage_simplify`): each shared edge is
  simplified once and used by both sides, so no gaps or slivers open between wards. If the
  areas are not a clean coverage (they overlap), each area is simplified on its own with
  ``preserve_topology=True`` instead and :attr:`WebGeometry.method` says so.
* **Tolerances per zoom.** ``ZOOM_TOLERANCES`` (metres, BNG): ``detail`` for a district's
  wards, ``overview`` for force-wide or national maps.
* **Precision.** Coordinates are rounded to 5 decimal places by default (about 1 m), 6 at most.
* **Winding.** Exterior rings are clockwise and holes anticlockwise, as d3-geo and therefore
  Vega-Lite require (they read an anticlockwise ring as "the whole globe minus this area").
  RFC 7946 recommends the opposite but says readers must not reject either; MapLibre GL
  classifies rings by their signed area relative to the first ring, so it draws both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from .areas import Areas, ObjArray
from .projection import BNG, WGS84, transform_geometries

ZOOM_TOLERANCES: dict[str, float] = {"detail": 15.0, "overview": 100.0}
DEFAULT_PRECISION = 5


@dataclass(frozen=True)
class WebGeometry:
    geojson: dict[str, Any]
    method: str  # "coverage" or "per-area"

    def dumps(self) -> str:
        """Compact JSON text (no spaces), the form to serve or measure."""
        return json.dumps(self.geojson, separators=(",", ":"), ensure_ascii=False)


def simplify_areas(geometries: ObjArray, tolerance: float) -> tuple[ObjArray, str]:
    """Simplify BNG polygons together, keeping shared edges shared (see module docs)."""
    if tolerance <= 0:
        return geometries, "none"
    geoms = shapely.make_valid(geometries)
    if len(geoms) > 1 and bool(shapely.coverage_is_valid(geoms)):
        out: ObjArray = shapely.coverage_simplify(geoms, tolerance)
        if bool(shapely.is_valid(out).all()) and not bool(shapely.is_empty(out).any()):
            return out, "coverage"
    simple: ObjArray = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return simple, "per-area"


def _ring_coords(ring: Any, precision: int) -> list[list[float]]:
    coords = np.round(shapely.get_coordinates(ring), precision)
    # Rounding can create repeated neighbours; drop them (keeping the ring closed).
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    out: list[list[float]] = coords[keep].tolist()
    return out


def _polygon_coords(poly: Any, precision: int) -> list[list[list[float]]] | None:
    rings = [_ring_coords(poly.exterior, precision)]
    if len(rings[0]) < 4:
        return None  # collapsed below the precision
    for hole in poly.interiors:
        r = _ring_coords(hole, precision)
        if len(r) >= 4:
            rings.append(r)
    return rings


def geometry_json(geom: Any, precision: int = DEFAULT_PRECISION) -> dict[str, Any] | None:
    """GeoJSON geometry dict with rounded coordinates (None if nothing survives)."""
    polys = [p for p in (_polygon_coords(g, precision) for g in shapely.get_parts(geom)) if p]
    if not polys:
        return None
    if len(polys) == 1:
        return {"type": "Polygon", "coordinates": polys[0]}
    return {"type": "MultiPolygon", "coordinates": polys}


def to_web_geojson(
    areas: Areas,
    *,
    zoom: str = "detail",
    tolerance: float | None = None,
    precision: int = DEFAULT_PRECISION,
    properties: dict[str, Sequence[Any]] | None = None,
) -> WebGeometry:
    """A GeoJSON FeatureCollection (WGS84) of ``areas`` for web maps and Vega-Lite.

    ``tolerance`` (metres) overrides the zoom's default. Each feature has ``code``, ``name``
    and ``level`` (plus any ``properties`` columns, aligned with ``areas``) and ``id`` = code.
    """
    if not 0 <= precision <= 6:
        raise ValueError("precision must be 0-6 decimal places (6 ≈ 0.1 m)")
    tol = ZOOM_TOLERANCES[zoom] if tolerance is None else tolerance
    simple, method = simplify_areas(areas.geometries, tol)
    wgs = transform_geometries(shapely.force_2d(simple), BNG, WGS84)
    wgs = shapely.orient_polygons(wgs, exterior_cw=True)
    features = []
    for i, geom in enumerate(wgs):
        gj = geometry_json(geom, precision)
        props: dict[str, Any] = {
            "code": str(areas.codes[i]),
            "name": str(areas.names[i]),
            "level": areas.level,
        }
        for key, values in (properties or {}).items():
            props[key] = values[i]
        features.append(
            {"type": "Feature", "id": str(areas.codes[i]), "properties": props, "geometry": gj}
        )
    return WebGeometry({"type": "FeatureCollection", "features": features}, method)


def ring_is_clockwise(coords: Sequence[Sequence[float]]) -> bool:
    """True if a closed ring of (x, y) runs clockwise (negative shoelace area)."""
    a = np.asarray(coords, dtype=np.float64)
    x, y = a[:, 0], a[:, 1]
    return bool(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) < 0)
