"""Coordinate reference systems: British National Grid for analysis, WGS84 for the web.

Transforms use pyproj with ``always_xy`` (x = longitude/easting first). Without the OSTN15 grid
file (not shipped, and never downloaded at run time) PROJ uses a 7-parameter Helmert
transformation, accurate to a few metres: far finer than police.uk snap points.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

FloatArray = NDArray[np.float64]


@cache
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def normalise_crs(crs: str | int | pyproj.CRS) -> str:
    """``"EPSG:n"`` for any CRS pyproj understands (``ValueError`` if it does not)."""
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise ValueError(f"unknown coordinate reference system {crs!r}") from exc
    epsg = parsed.to_epsg(min_confidence=70)
    # OGC:CRS84 (GeoJSON's default) is WGS84 with longitude first, which is how we use 4326.
    if epsg is None and parsed.name in ("WGS 84 (CRS84)", "WGS 84"):
        return WGS84
    return f"EPSG:{epsg}" if epsg is not None else parsed.to_wkt()


def transform_xy(
    x: ArrayLike, y: ArrayLike, src: str = WGS84, dst: str = BNG
) -> tuple[FloatArray, FloatArray]:
    """Vectorised transform of coordinate arrays (NaN in, NaN out)."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if src == dst:
        return xs, ys
    ox, oy = _transformer(src, dst).transform(xs, ys)
    return np.asarray(ox, dtype=np.float64), np.asarray(oy, dtype=np.float64)


def to_bng(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 longitude/latitude → British National Grid easting/northing (metres)."""
    return transform_xy(lon, lat, WGS84, BNG)


def to_wgs84(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """British National Grid easting/northing → WGS84 longitude/latitude."""
    return transform_xy(x, y, BNG, WGS84)


def transform_geometries(geoms: NDArray[np.object_], src: str, dst: str) -> NDArray[np.object_]:
    """Reproject an array of shapely geometries (2D) in one vectorised call."""
    if src == dst:
        return geoms
    tr = _transformer(src, dst)

    def fn(xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, FloatArray]:
        return tr.transform(xs, ys)

    out: NDArray[np.object_] = shapely.transform(geoms, fn, interleaved=False)
    return out
