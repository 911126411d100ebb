"""The :class:`Areas` collection: one level of areas (wards, parishes, districts, ...).

Geometries are shapely polygons/multipolygons in British National Grid (EPSG:27700), 2D and
valid. Areas are always held sorted by code, so "the first area" in any tie-break is the one
with the lowest code, whatever order the source file had.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyproj
import shapely
from numpy.typing import NDArray

from ..errors import SaferPlacesError
from .projection import BNG

LEVEL_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

# Levels the bundled LSOA lookup provides without any boundary file.
LOOKUP_LEVELS = ("lsoa", "msoa", "lad", "region", "force")

ObjArray = NDArray[np.object_]


class AreaNotFoundError(SaferPlacesError, LookupError):
    """An area level or code the workspace does not hold."""


def check_level(level: str) -> str:
    """A level name is a lowercase slug (``ward``, ``parish``, ``beat_2024``)."""
    if not LEVEL_RE.match(level):
        raise ValueError(
            f"level {level!r} must be lowercase letters, digits, '-' or '_', starting with a letter"
        )
    return level


def _obj(values: Iterable[Any]) -> ObjArray:
    items = list(values)
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr


@dataclass(frozen=True, eq=False)
class Areas:
    """One level of areas. Construct with :meth:`build` (which sorts by code and validates)."""

    level: str
    codes: ObjArray
    names: ObjArray
    geometries: ObjArray
    parent_codes: ObjArray
    source: str = ""
    vintage: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        level: str,
        codes: Sequence[str],
        names: Sequence[str] | None,
        geometries: Sequence[Any] | ObjArray,
        *,
        parent_codes: Sequence[str | None] | None = None,
        source: str = "",
        vintage: str | None = None,
    ) -> Areas:
        check_level(level)
        n = len(codes)
        code_arr = _obj([str(c) for c in codes])
        name_arr = _obj([str(x) for x in names] if names is not None else list(code_arr))
        geom_arr = _obj(list(geometries))
        parent_arr = _obj(list(parent_codes) if parent_codes is not None else [None] * n)
        if not (len(name_arr) == len(geom_arr) == len(parent_arr) == n):
            raise ValueError("codes, names, geometries and parent codes differ in length")
        dupes = sorted(c for c, k in Counter(code_arr.tolist()).items() if k > 1)
        if dupes:
            raise ValueError(f"duplicate area codes: {', '.join(dupes[:10])}")
        order = np.argsort(code_arr.astype(str), kind="stable")
        return cls(
            level,
            code_arr[order],
            name_arr[order],
            geom_arr[order],
            parent_arr[order],
            source,
            vintage,
            {str(c): i for i, c in enumerate(code_arr[order])},
        )

    def __len__(self) -> int:
        return len(self.codes)

    def index_of(self, code: str) -> int:
        try:
            return self._index[code]
        except KeyError:
            raise AreaNotFoundError(f"no area with code {code!r} at level '{self.level}'") from None

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def geometry(self, code: str) -> Any:
        return self.geometries[self.index_of(code)]

    def subset(self, codes: Iterable[str]) -> Areas:
        idx = sorted(self.index_of(c) for c in codes)
        return Areas.build(
            self.level,
            list(self.codes[idx]),
            list(self.names[idx]),
            self.geometries[idx],
            parent_codes=list(self.parent_codes[idx]),
            source=self.source,
            vintage=self.vintage,
        )

    def with_parents(self, parent_codes: Sequence[str | None]) -> Areas:
        return Areas.build(
            self.level,
            list(self.codes),
            list(self.names),
            self.geometries,
            parent_codes=parent_codes,
            source=self.source,
            vintage=self.vintage,
        )

    def union(self) -> Any:
        """All areas as one geometry (e.g. the partnership area from its districts)."""
        return shapely.union_all(self.geometries)

    # ---- GeoParquet-style Arrow table -------------------------------------------------------

    def to_table(self) -> pa.Table:
        """Arrow table with WKB geometry (BNG), a GeoParquet 1.1 ``bbox`` covering column and
        ``geo`` schema metadata, so GeoParquet readers (GDAL, geopandas) open it directly."""
        b = shapely.bounds(self.geometries) if len(self) else np.zeros((0, 4))
        bbox = pa.StructArray.from_arrays(
            [pa.array(b[:, i], pa.float64()) for i in range(4)],
            names=["xmin", "ymin", "xmax", "ymax"],
        )
        table = pa.table(
            {
                "code": pa.array(self.codes.tolist(), pa.string()),
                "name": pa.array(self.names.tolist(), pa.string()),
                "level": pa.array([self.level] * len(self), pa.string()),
                "parent_code": pa.array(self.parent_codes.tolist(), pa.string()),
                "source": pa.array([self.source] * len(self), pa.string()),
                "vintage": pa.array([self.vintage] * len(self), pa.string()),
                "area_m2": pa.array(shapely.area(self.geometries).astype(float), pa.float64()),
                "bbox": bbox,
                "geometry": pa.array(
                    list(shapely.to_wkb(self.geometries, output_dimension=2)), pa.binary()
                ),
            }
        )
        types = sorted({shapely.get_type_id(g) for g in self.geometries})
        type_names = {3: "Polygon", 6: "MultiPolygon"}
        geo = {
            "version": "1.1.0",
            "primary_column": "geometry",
            "columns": {
                "geometry": {
                    "encoding": "WKB",
                    "geometry_types": [type_names.get(int(t), "Unknown") for t in types],
                    "crs": pyproj.CRS(BNG).to_json_dict(),
                    "bbox": [
                        float(b[:, 0].min()),
                        float(b[:, 1].min()),
                        float(b[:, 2].max()),
                        float(b[:, 3].max()),
                    ]
                    if len(self)
                    else [],
                    "covering": {
                        "bbox": {k: ["bbox", k] for k in ("xmin", "ymin", "xmax", "ymax")}
                    },
                }
            },
        }
        return table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})

    @classmethod
    def from_table(cls, table: pa.Table, level: str | None = None) -> Areas:
        cols = table.column_names
        n = table.num_rows
        lvl = level or (table.column("level")[0].as_py() if n else "")

        def col(name: str) -> list[Any]:
            return table.column(name).to_pylist() if name in cols else [None] * n

        source = next((s for s in col("source") if s), "")
        vintage = next((v for v in col("vintage") if v), None)
        return cls.build(
            lvl,
            col("code"),
            col("name"),
            shapely.from_wkb(np.asarray(col("geometry"), dtype=object)),
            parent_codes=col("parent_code"),
            source=source,
            vintage=vintage,
        )
