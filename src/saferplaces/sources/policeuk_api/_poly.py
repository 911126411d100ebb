"""Polygons for the API's ``poly`` parameter: ``"lat,lng:lat,lng:..."`` (latitude first), and
splitting a polygon into smaller pieces when police.uk refuses it for holding too many crimes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import shapely
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from ._errors import InvalidPolygonError

Point = tuple[float, float]
"""(latitude, longitude) in WGS84 degrees, the API's order."""


def _check(points: Sequence[Point]) -> list[Point]:
    out: list[Point] = []
    for lat, lon in points:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise InvalidPolygonError(f"polygon point ({lat}, {lon}) is not a finite number")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidPolygonError(
                f"polygon point ({lat}, {lon}) is not a latitude,longitude in degrees"
            )
        out.append((float(lat), float(lon)))
    if len({p for p in out}) < 3:
        raise InvalidPolygonError(f"a polygon needs at least 3 distinct points, got {len(out)}")
    return out


def format_poly(points: Sequence[Point]) -> str:
    """``[(52.6, -1.1), ...]`` → ``"52.6,-1.1:..."``.

    ``repr`` gives the shortest text that reads back as the same float, so
    ``parse_poly(format_poly(p)) == p`` exactly."""
    return ":".join(f"{lat!r},{lon!r}" for lat, lon in _check(points))


def parse_poly(text: str) -> list[Point]:
    """``"52.6,-1.1:52.7,-1.1:52.7,-1.0"`` → ``[(52.6, -1.1), ...]``, validated."""
    points: list[Point] = []
    for i, pair in enumerate(text.strip().split(":"), start=1):
        parts = pair.split(",")
        if len(parts) != 2:
            raise InvalidPolygonError(
                f"polygon point {i} ({pair!r}) is not 'latitude,longitude' "
                "(points are separated by ':')"
            )
        try:
            points.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise InvalidPolygonError(
                f"polygon point {i} ({pair!r}) does not hold two numbers"
            ) from None
    return _check(points)


def _to_shape(points: Sequence[Point]) -> BaseGeometry:
    shape = Polygon([(lon, lat) for lat, lon in points])  # shapely is x=longitude, y=latitude
    return shape if shape.is_valid else shapely.make_valid(shape)


def _polygons(geom: BaseGeometry) -> Iterable[Polygon]:
    if isinstance(geom, Polygon):
        if not geom.is_empty and geom.area > 0:
            yield geom
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _polygons(part)


def split_polygon(points: Sequence[Point]) -> list[list[Point]]:
    """Split into the pieces of the polygon inside each quadrant of its bounding box.

    Pieces share their edges, so a crime on a cut can come back twice: callers de-duplicate.
    A piece of a polygon without holes has no holes, so each piece is its exterior ring."""
    shape = _to_shape(points)
    west, south, east, north = shape.bounds
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    quadrants = [
        box(west, south, mid_x, mid_y),
        box(mid_x, south, east, mid_y),
        box(west, mid_y, mid_x, north),
        box(mid_x, mid_y, east, north),
    ]
    pieces: list[list[Point]] = []
    for quadrant in quadrants:
        for part in _polygons(shape.intersection(quadrant)):
            ring = [(float(y), float(x)) for x, y in part.exterior.coords]
            pieces.append(ring[:-1])  # shapely closes rings; the API does not need it
    return pieces
