"""Boundary import: GeoJSON, GeoPackage, Shapefile (zipped or not), KML/KMZ and police.uk
neighbourhood boundary JSON → :class:`~saferplaces.geo.areas.Areas` in British National Grid.

Every import returns an :class:`ImportReport` saying what was changed on the way in: Z
coordinates dropped, invalid geometries repaired (with the codes and GEOS's reason), features
dropped for having no polygon, areas overlapping each other and areas lying outside an expected
extent (e.g. the force area). Problems that make the file unusable raise
:class:`~saferplaces.errors.InputError` naming the file and the reason; nothing is stored.
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyogrio
import shapely
from numpy.typing import NDArray

from ..errors import InputError, UnsafeArchiveError
from .areas import Areas, ObjArray, check_level
from .projection import BNG, WGS84, normalise_crs, transform_geometries

BOUNDARY_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml")
# Sidecar files a shapefile needs (others in a zip are ignored, never extracted).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
OVERLAP_MIN_M2 = 10.0  # generalised boundaries overlap by slivers; ignore those
OVERLAP_MIN_SHARE = 0.001
OUTSIDE_MIN_SHARE = 0.01


@dataclass
class ImportReport:
    """What happened to a boundary file on its way in."""

    path: str
    features: int = 0
    source_crs: str = ""
    dropped_z: bool = False
    repaired: dict[str, str] = field(default_factory=dict)  # code → why it was invalid
    dropped: dict[str, str] = field(default_factory=dict)  # code → why it was dropped
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)  # a, b, m²
    outside: list[tuple[str, float]] = field(default_factory=list)  # code, share outside
    warnings: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """Human-readable lines, one per thing the user should know."""
        out: list[str] = []
        if self.dropped_z:
            out.append("Z (height) coordinates were dropped")
        if self.repaired:
            items = ", ".join(f"{c} ({r})" for c, r in list(self.repaired.items())[:10])
            more = f" and {len(self.repaired) - 10} more" if len(self.repaired) > 10 else ""
            out.append(f"repaired {len(self.repaired)} invalid geometries: {items}{more}")
        if self.dropped:
            items = ", ".join(f"{c} ({r})" for c, r in list(self.dropped.items())[:10])
            out.append(f"dropped {len(self.dropped)} features without a polygon: {items}")
        if self.overlaps:
            pairs = ", ".join(f"{a}/{b} ({m:,.0f} m²)" for a, b, m in self.overlaps[:10])
            more = f" and {len(self.overlaps) - 10} more" if len(self.overlaps) > 10 else ""
            out.append(f"{len(self.overlaps)} pairs of areas overlap: {pairs}{more}")
        if self.outside:
            items = ", ".join(f"{c} ({s:.0%} outside)" for c, s in self.outside[:10])
            more = f" and {len(self.outside) - 10} more" if len(self.outside) > 10 else ""
            out.append(f"{len(self.outside)} areas lie partly or wholly outside: {items}{more}")
        return out + self.warnings


@dataclass(frozen=True)
class BoundaryImport:
    areas: Areas
    report: ImportReport


# ---- safe archive handling -----------------------------------------------------------------


def _check_member(zpath: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise UnsafeArchiveError(zpath, f"member {name!r} would be written outside the folder")
    if info.flag_bits & 0x1:
        raise InputError(zpath, f"member {name!r} is encrypted")


@contextlib.contextmanager
def _unzipped(
    zpath: Path, max_total_mb: float, max_ratio: float, layer_hint: str | None
) -> Iterator[Path]:
    """Extract the one boundary dataset in a zip into a temporary folder, safely: no member
    may escape the folder, and sizes are capped (checked on the headers and again while
    streaming, since headers can lie)."""
    try:
        zf = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(zpath, f"not a readable zip file ({exc})") from None
    with zf, tempfile.TemporaryDirectory(prefix="saferplaces-boundary-") as tmp:
        members = [
            m
            for m in zf.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and not PurePosixPath(m.filename).name.startswith(".")
        ]
        for m in members:
            _check_member(zpath, m)
        datasets = [
            m for m in members if PurePosixPath(m.filename).suffix.lower() in BOUNDARY_SUFFIXES
        ]
        if layer_hint:
            datasets = [m for m in datasets if PurePosixPath(m.filename).stem == layer_hint] or (
                datasets
            )
        if not datasets:
            names = ", ".join(m.filename for m in members[:10]) or "nothing"
            raise InputError(zpath, f"the zip holds no boundary file (it holds {names})")
        if len(datasets) > 1:
            names = ", ".join(m.filename for m in datasets)
            raise InputError(
                zpath, f"the zip holds several boundary files ({names}); pass one with --layer"
            )
        main = PurePosixPath(datasets[0].filename)
        wanted = [main]
        if main.suffix.lower() == ".shp":
            wanted = [
                PurePosixPath(m.filename)
                for m in members
                if PurePosixPath(m.filename).with_suffix("") == main.with_suffix("")
                and PurePosixPath(m.filename).suffix.lower() in SHAPEFILE_PARTS
            ]
        cap = int(max_total_mb * 1024 * 1024)
        total = 0
        root = Path(tmp)
        for m in members:
            if PurePosixPath(m.filename) not in wanted:
                continue
            if m.compress_size and m.file_size / m.compress_size > max_ratio:
                raise UnsafeArchiveError(
                    zpath,
                    f"member {m.filename!r} expands {m.file_size / m.compress_size:.0f}×"
                    f" (more than the {max_ratio:.0f}× allowed)",
                )
            out = root / PurePosixPath(m.filename).name
            with zf.open(m) as src, open(out, "wb") as dst:
                while chunk := src.read(1 << 20):
                    total += len(chunk)
                    if total > cap:
                        raise UnsafeArchiveError(
                            zpath, f"uncompressed size exceeds {max_total_mb:g} MB"
                        )
                    dst.write(chunk)
        yield root / main.name


# ---- reading -------------------------------------------------------------------------------


def _code_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    return text or None


def _polygonal(geom: Any) -> Any:
    """The polygonal part of a geometry (None if it has none)."""
    if geom is None or shapely.is_empty(geom):
        return None
    tid = shapely.get_type_id(geom)
    if tid in (3, 6):
        return geom
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
    if not polys:
        return None
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def repair_geometries(
    codes: Sequence[str], geoms: ObjArray, report: ImportReport
) -> tuple[list[str], list[Any], list[int]]:
    """Make every geometry a valid 2D polygon/multipolygon; record repairs and drops.

    Returns the kept codes, geometries and their positions in the input."""
    geoms = shapely.force_2d(geoms)
    valid = shapely.is_valid(geoms)
    kept_codes: list[str] = []
    kept: list[Any] = []
    positions: list[int] = []
    for i, (code, geom) in enumerate(zip(codes, geoms, strict=True)):
        if geom is None or shapely.is_empty(geom):
            report.dropped[code] = "no geometry"
            continue
        if not valid[i]:
            report.repaired[code] = str(shapely.is_valid_reason(geom))
            geom = shapely.make_valid(geom)
        poly = _polygonal(geom)
        if poly is None or shapely.area(poly) <= 0:
            report.dropped[code] = f"not a polygon ({geom.geom_type})"
            continue
        kept_codes.append(code)
        kept.append(poly)
        positions.append(i)
    return kept_codes, kept, positions


def _plausible(bounds: NDArray[np.float64], crs: str, path: Path) -> None:
    xmin, ymin, xmax, ymax = bounds
    lonlat = xmin >= -180 and xmax <= 180 and ymin >= -90 and ymax <= 90
    if crs == WGS84 and not lonlat:
        raise InputError(
            path,
            f"coordinates reach x={xmax:,.0f}, y={ymax:,.0f}, which are not longitude/latitude,"
            " but the file says (or GeoJSON assumes) WGS84; if they are British National Grid"
            " metres, pass --crs EPSG:27700",
        )
    if crs == BNG and lonlat:
        raise InputError(
            path,
            "coordinates look like longitude/latitude but the file declares British National"
            " Grid (EPSG:27700); pass --crs EPSG:4326",
        )


def _field_values(fields: list[str], data: list[Any], name: str, path: Path) -> list[Any]:
    if name not in fields:
        lowered = {f.lower(): f for f in fields}
        hint = f" (did you mean '{lowered[name.lower()]}'?)" if name.lower() in lowered else ""
        raise InputError(
            path, f"no field '{name}'{hint}; the fields are: {', '.join(fields) or '(none)'}"
        )
    return list(data[fields.index(name)])


def read_boundaries(
    path: str | Path,
    *,
    level: str,
    code_field: str | None = None,
    name_field: str | None = None,
    code: str | None = None,
    name: str | None = None,
    parent_field: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    vintage: str | None = None,
    within: Any = None,
    within_label: str = "the force area",
    max_total_mb: float = 1024,
    max_ratio: float = 200,
) -> BoundaryImport:
    """Read a boundary file into BNG :class:`Areas`, repairing and reporting as it goes.

    ``path`` may be a GeoJSON, GeoPackage, Shapefile, KML/KMZ, a zip holding one of those, or a
    police.uk neighbourhood boundary JSON (then use :func:`read_neighbourhood_boundary`).
    A file holding a single feature (a force area, say) may take its ``code`` and ``name``
    from the arguments instead of fields. ``crs`` is needed only when the file does not
    declare one. ``within`` (a BNG geometry) is
    the extent the areas should lie in: areas more than 1% outside it are reported.
    """
    check_level(level)
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    suffix = p.suffix.lower()
    if suffix in (".zip", ".kmz"):
        with _unzipped(p, max_total_mb, max_ratio, layer) as inner:
            result = read_boundaries(
                inner,
                level=level,
                code_field=code_field,
                name_field=name_field,
                code=code,
                name=name,
                parent_field=parent_field,
                crs=crs,
                layer=None,
                vintage=vintage,
                within=within,
                within_label=within_label,
            )
        result.report.path = str(p)
        return _relabel(result, p)
    if suffix == ".json" and _is_policeuk_boundary(p):
        return read_neighbourhood_boundary(
            p,
            code=code or p.stem.removesuffix("-boundary"),
            name=name,
            level=level,
            vintage=vintage,
            within=within,
        )
    if suffix not in BOUNDARY_SUFFIXES:
        raise InputError(
            p,
            f"unsupported file type '{suffix}'; use GeoJSON, GeoPackage, Shapefile (.shp or"
            " .zip), KML/KMZ or a police.uk neighbourhood boundary JSON",
        )
    try:
        layers = pyogrio.list_layers(p)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(p, f"not a readable boundary file ({exc})") from None
    if layer is None and len(layers) > 1:
        names = ", ".join(str(x[0]) for x in layers)
        raise InputError(p, f"the file has several layers ({names}); pass one with --layer")
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(p, layer=layer)
    except Exception as exc:
        raise InputError(p, f"cannot read the file ({exc})") from None
    fields = [str(f) for f in meta["fields"]]
    n = len(wkb) if wkb is not None else 0
    report = ImportReport(str(p), features=n)
    if n == 0:
        raise InputError(p, "the file holds no features")
    if code_field is None:
        if code is None or n != 1:
            raise InputError(
                p,
                f"pass --code-field: the field holding each area's code (the fields are:"
                f" {', '.join(fields) or '(none)'})"
                + ("; or --code for a file with a single feature" if n == 1 else ""),
            )
        codes_raw: list[Any] = [code]
    else:
        codes_raw = _field_values(fields, field_data, code_field, p)
    if name_field:
        names_raw: list[Any] | None = _field_values(fields, field_data, name_field, p)
    else:
        names_raw = [name] * n if name else None
    parents_raw = _field_values(fields, field_data, parent_field, p) if parent_field else None
    codes: list[str] = []
    blank: list[int] = []
    for i, v in enumerate(codes_raw):
        c = _code_text(v)
        if c is None:
            blank.append(i + 1)
        codes.append(c or "")
    if blank:
        raise InputError(
            p,
            f"{len(blank)} features have no value in '{code_field}' (features"
            f" {', '.join(map(str, blank[:10]))})"
            + ("; pass --code for a file with a single feature" if n == 1 else ""),
        )
    dup = {c: k for c, k in Counter(codes).items() if k > 1}
    if dup:
        where = {c: [i + 1 for i, x in enumerate(codes) if x == c] for c in list(dup)[:10]}
        items = "; ".join(f"{c} (features {', '.join(map(str, w))})" for c, w in where.items())
        raise InputError(p, f"{len(dup)} area codes appear more than once: {items}")
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object))
    report.dropped_z = bool(shapely.has_z(geoms).any()) or " Z" in str(meta["geometry_type"])
    file_crs = meta["crs"]
    if crs is not None:
        try:
            src = normalise_crs(crs)
        except ValueError as exc:
            raise InputError(p, str(exc)) from None
        if file_crs and normalise_crs(file_crs) != src:
            report.warnings.append(f"the file declares {file_crs}; used {src} as asked (--crs)")
    elif file_crs:
        src = normalise_crs(file_crs)
    else:
        raise InputError(
            p,
            "the file does not say which coordinate reference system it uses (no .prj or CRS);"
            " pass --crs, e.g. --crs EPSG:27700 (British National Grid) or --crs EPSG:4326"
            " (longitude/latitude)",
        )
    report.source_crs = src
    kept_codes, kept, positions = repair_geometries(codes, geoms, report)
    if not kept:
        types = Counter(g.geom_type if g is not None else "no geometry" for g in geoms)
        raise InputError(
            p,
            f"no usable polygon geometry in {n} features (found: "
            f"{', '.join(f'{k} ×{v}' for k, v in types.items())})",
        )
    arr = np.empty(len(kept), dtype=object)
    arr[:] = kept
    _plausible(shapely.total_bounds(arr), src, p)
    bng = transform_geometries(arr, src, BNG)
    bng = _fix_after_transform(bng, kept_codes, report)
    kept_names = (
        [(_code_text(names_raw[i]) or kept_codes[j]) for j, i in enumerate(positions)]
        if names_raw is not None
        else None
    )
    parents = [_code_text(parents_raw[i]) for i in positions] if parents_raw is not None else None
    areas = Areas.build(
        level, kept_codes, kept_names, bng, parent_codes=parents, source=p.name, vintage=vintage
    )
    check_areas(areas, report, within=within, within_label=within_label)
    return BoundaryImport(areas, report)


def _relabel(result: BoundaryImport, p: Path) -> BoundaryImport:
    areas = result.areas
    relabelled = Areas.build(
        areas.level,
        list(areas.codes),
        list(areas.names),
        areas.geometries,
        parent_codes=list(areas.parent_codes),
        source=p.name,
        vintage=areas.vintage,
    )
    return BoundaryImport(relabelled, result.report)


def _fix_after_transform(geoms: ObjArray, codes: list[str], report: ImportReport) -> ObjArray:
    # Reprojection can very rarely fold a near-degenerate ring; repair it quietly but report.
    bad = ~shapely.is_valid(geoms)
    for i in np.flatnonzero(bad):
        report.repaired.setdefault(codes[i], "invalid after reprojection")
        geoms[i] = _polygonal(shapely.make_valid(geoms[i]))
    return geoms


def check_areas(
    areas: Areas,
    report: ImportReport,
    *,
    within: Any = None,
    within_label: str = "the force area",
) -> None:
    """Record overlapping pairs of areas and areas outside ``within`` (both BNG) in ``report``."""
    geoms = areas.geometries
    if len(areas) > 1:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        if len(left):
            inner = shapely.relate_pattern(geoms[left], geoms[right], "T********")
            left, right = left[inner], right[inner]
            overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
            smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
            big = (overlap > OVERLAP_MIN_M2) & (overlap > OVERLAP_MIN_SHARE * smaller)
            report.overlaps = sorted(
                (str(areas.codes[a]), str(areas.codes[b]), float(m))
                for a, b, m in zip(left[big], right[big], overlap[big], strict=True)
            )
    if within is not None and not shapely.is_empty(within):
        shapely.prepare(within)
        inside = shapely.covers(within, geoms)
        for i in np.flatnonzero(~inside):
            g = geoms[i]
            share = 1 - shapely.area(shapely.intersection(g, within)) / shapely.area(g)
            if share > OUTSIDE_MIN_SHARE:
                report.outside.append((str(areas.codes[i]), float(share)))
        if report.outside:
            report.warnings.append(
                f"{len(report.outside)} of {len(areas)} areas lie partly or wholly outside"
                f" {within_label}"
            )


# ---- police.uk neighbourhood boundaries ----------------------------------------------------


def _is_policeuk_boundary(p: Path) -> bool:
    with open(p, "rb") as fh:
        head = fh.read(512).lstrip()
    return head.startswith(b"[") and b"latitude" in head


def read_neighbourhood_boundary(
    path: str | Path,
    *,
    code: str,
    name: str | None = None,
    level: str = "neighbourhood",
    vintage: str | None = None,
    within: Any = None,
) -> BoundaryImport:
    """A police.uk neighbourhood boundary (``/api/<force>/<id>/boundary``): a JSON list of
    ``{"latitude": "..", "longitude": ".."}`` strings tracing one ring, WGS84."""
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(p, f"not valid JSON ({exc})") from None
    if not isinstance(data, list) or not data:
        raise InputError(p, "expected a non-empty JSON list of {latitude, longitude} points")
    coords: list[tuple[float, float]] = []
    for i, pt in enumerate(data):
        try:
            lon, lat = float(pt["longitude"]), float(pt["latitude"])
        except (TypeError, KeyError, ValueError):
            raise InputError(
                p, f"point {i + 1} has no numeric latitude/longitude: {pt!r}"
            ) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(p, f"point {i + 1} is not a longitude/latitude: {pt!r}")
        coords.append((lon, lat))
    if len(set(coords)) < 3:
        raise InputError(p, "no usable geometry: fewer than three distinct points")
    if coords[0] != coords[-1]:
        coords.append(coords[0])
    report = ImportReport(str(p), features=1, source_crs=WGS84)
    geoms = np.empty(1, dtype=object)
    geoms[0] = shapely.Polygon(coords)
    kept_codes, kept, _ = repair_geometries([code], geoms, report)
    if not kept:
        raise InputError(p, "no usable geometry: the points do not enclose an area")
    arr = np.empty(1, dtype=object)
    arr[:] = kept
    bng = transform_geometries(arr, WGS84, BNG)
    areas = Areas.build(level, kept_codes, [name or code], bng, source=p.name, vintage=vintage)
    check_areas(areas, report, within=within)
    return BoundaryImport(areas, report)


def read_any(
    path: str | Path,
    *,
    level: str,
    code_field: str | None = None,
    name_field: str | None = None,
    code: str | None = None,
    name: str | None = None,
    **kwargs: Any,
) -> BoundaryImport:
    """Read any supported boundary file; police.uk neighbourhood JSON is recognised by its
    content and takes ``code`` (default: the file name without ``-boundary``) and ``name``."""
    p = Path(path)
    if p.suffix.lower() == ".json" and p.exists() and _is_policeuk_boundary(p):
        return read_neighbourhood_boundary(
            p,
            code=code or p.stem.removesuffix("-boundary"),
            name=name,
            level=level,
            vintage=kwargs.get("vintage"),
            within=kwargs.get("within"),
        )
    return read_boundaries(
        p,
        level=level,
        code_field=code_field,
        name_field=name_field,
        code=code,
        name=name,
        **kwargs,
    )
