"""Querying partner datasets, with disclosure control applied here, in the query layer.

* :func:`dataset_frame` — the stored rows (record level), normalised: a ``month`` column
  (YYYY-MM) and, for each requested area level, ``area_<level>`` (the area code, NULL when the
  row lies in no area or has no location) and ``area_<level>_status`` (``assigned``,
  ``outside`` or ``no_location``). Record-level rows are only for audiences with raw access.
* :func:`counts` — aggregates by period, area and category as a given audience: raw for
  audiences at or above the dataset's clearance, suppressed (and optionally rounded) for those
  below it, refused for restricted data and the public or parish councils.
* :func:`present_datasets` — which partner datasets (built-in templates or workspace
  definitions) hold data in a workspace.

Points are assigned to stored areas (``saferplaces areas import``) by point-in-polygon, LSOA
codes through the bundled or a stored lookup; see :mod:`saferplaces.geo.assign`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SaferPlacesError
from ..lake.catalog import dataset_glob, list_partitions
from ..publish.disclosure import (
    Audience,
    Dimension,
    DisclosureRefused,
    access_mode,
    protect,
)
from ..workspace import Workspace
from ._values import arrow_type
from .definitions import DatasetDefinition, list_definitions, load_definition, read_definition

__all__ = [
    "Counts",
    "DatasetStatus",
    "QueryError",
    "counts",
    "dataset_frame",
    "present_datasets",
]

PERIODS = ("month", "quarter", "year")
MAX_CELLS = 250_000  # largest table (cells and totals) protected in one query
_NULL = "\x00null"  # a group whose value is missing (e.g. rows in no area)
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class QueryError(SaferPlacesError, ValueError):
    """A query that cannot be answered as asked (unknown column, too large a table, ...)."""


# --------------------------------------------------------------------------------------------
# what is in the workspace
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    title: str
    builtin: bool
    sensitivity: str
    min_cell_size: int
    months: tuple[str, ...]
    rows: int
    last_ingested_at: str | None
    date_resolutions: tuple[str, ...]

    @property
    def first_month(self) -> str | None:
        return self.months[0] if self.months else None

    @property
    def last_month(self) -> str | None:
        return self.months[-1] if self.months else None


def present_datasets(ws: Workspace, *, include_empty: bool = False) -> list[DatasetStatus]:
    """Partner datasets with data in the lake (all known definitions with ``include_empty``)."""
    out = []
    for name, source in list_definitions(ws.root).items():
        defn = read_definition(source.path)
        parts = list_partitions(ws.lake_dir, defn.dataset)
        if not parts and not include_empty:
            continue
        ingested = [str(p.provenance.get("ingested_at")) for p in parts if p.provenance]
        out.append(
            DatasetStatus(
                name=name,
                title=defn.title,
                builtin=source.builtin,
                sensitivity=str(defn.sensitivity),
                min_cell_size=defn.threshold,
                months=tuple(sorted(p.keys["month"] for p in parts)),
                rows=sum(int(p.provenance.get("rows_kept", 0)) for p in parts),
                last_ingested_at=max(ingested) if ingested else None,
                date_resolutions=tuple(
                    sorted({str(p.provenance.get("date_resolution")) for p in parts})
                ),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------------------------


def _empty(defn: DatasetDefinition) -> pa.Table:
    from .importer import _schema

    schema = _schema(defn).append(pa.field("month", pa.string()))
    return schema.empty_table()


def _check_month(value: str | None, what: str) -> None:
    if value is not None and not _MONTH_RE.match(value):
        raise QueryError(f"{what} must be a month YYYY-MM (got {value!r})")


def _load(ws: Workspace, defn: DatasetDefinition, since: str | None, until: str | None) -> pa.Table:
    _check_month(since, "since")
    _check_month(until, "until")
    if not list_partitions(ws.lake_dir, defn.dataset):
        return _empty(defn)
    glob = dataset_glob(ws.lake_dir, defn.dataset).replace("'", "''")
    conds, params = [], []
    if since:
        conds.append("month >= ?")
        params.append(since)
    if until:
        conds.append("month <= ?")
        params.append(until)
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    con = duckdb.connect()
    try:
        table = con.sql(
            f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
            f"union_by_name = true, hive_types_autocast = false){where} "
            "ORDER BY month, source_row",
            params=params,
        ).to_arrow_table()
    finally:
        con.close()
    return table


def _assign(ws: Workspace, defn: DatasetDefinition, table: pa.Table, level: str) -> pa.Table:
    """Append ``area_<level>`` and ``area_<level>_status`` to ``table``."""
    from ..geo import AreaNotFoundError, Hierarchy, assign_points, lsoa_lookup
    from ..geo.areas import LOOKUP_LEVELS
    from ..geo.store import has_level, load_areas, load_lookup

    g = defn.geography
    n = table.num_rows
    if g.kind == "none":
        raise QueryError(f"'{defn.name}' has no geography, so it cannot be counted by {level}")
    if g.kind == "point":
        if not has_level(ws.lake_dir, level):
            raise QueryError(
                f"no '{level}' boundaries are stored to place the points of '{defn.name}' in; "
                "import them with 'saferplaces areas import'"
            )
        areas = load_areas(ws.lake_dir, level)
        x = table.column("bng_x").to_numpy(zero_copy_only=False).astype(float)
        y = table.column("bng_y").to_numpy(zero_copy_only=False).astype(float)
        codes = assign_points(areas, x, y, crs="bng").area_codes() if n else np.array([])
    else:
        raw = table.column(g.column or "").to_pylist()
        if g.kind == level or (g.kind == "postcode_sector" and level == "postcode_district"):
            vals = [v if v is None or g.kind == level else v.rsplit(" ", 1)[0] for v in raw]
            codes = np.array(vals, dtype=object)
        elif g.kind == "lsoa":
            user = load_lookup(ws.lake_dir, level)
            if user is not None:
                codes = user.map(raw)
            elif level in LOOKUP_LEVELS:
                vintage = g.vintage or 2011
                codes = lsoa_lookup(vintage).map(raw, level)
            else:
                raise QueryError(
                    f"no lookup from LSOA to '{level}' is stored; add one with "
                    "'saferplaces areas lookup'"
                )
        elif g.kind == "ward":
            try:
                parents = Hierarchy.for_workspace(ws).parents("ward", level)
            except AreaNotFoundError as exc:
                raise QueryError(
                    f"cannot count ward-coded '{defn.name}' by {level}: {exc}"
                ) from None
            codes = np.array([parents.get(v) if v else None for v in raw], dtype=object)
        else:
            raise QueryError(f"'{defn.name}' holds {g.kind.replace('_', ' ')}s, not {level}s")
    has_loc = np.asarray(table.column("has_location").to_numpy(zero_copy_only=False), dtype=bool)
    code_list = [None if c is None else str(c) for c in codes]
    status = [
        "no_location" if not h else ("assigned" if c is not None else "outside")
        for c, h in zip(code_list, has_loc, strict=True)
    ]
    code_list = [c if h else None for c, h in zip(code_list, has_loc, strict=True)]
    return table.append_column(f"area_{level}", pa.array(code_list, pa.string())).append_column(
        f"area_{level}_status", pa.array(status, pa.string())
    )


def _filter(table: pa.Table, where: Mapping[str, Any] | None) -> pa.Table:
    """Rows whose columns equal the given value (or one of a list of values)."""
    if not where:
        return table
    mask = None
    for col, value in where.items():
        if col not in table.column_names:
            raise QueryError(f"cannot filter on '{col}': no such column")
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        column = table.column(col)
        arr = pa.array(values, type=column.type) if values else pa.array([], column.type)
        m = pc.is_in(column, value_set=arr)
        mask = m if mask is None else pc.and_(mask, m)
    return table.filter(mask)


def dataset_frame(
    ws: Workspace,
    name: str,
    audience: Audience | str,
    *,
    levels: Sequence[str] = (),
    where: Mapping[str, Any] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> pa.Table:
    """The stored rows of dataset ``name`` for ``audience`` (raw access only; see module)."""
    defn = load_definition(name, ws.root)
    mode = access_mode(defn.sensitivity, audience, defn.threshold, dataset=f"'{name}'")
    if mode != "raw":
        raise DisclosureRefused(
            f"record-level rows of '{name}' ({defn.sensitivity}) are not shown to the "
            f"{Audience(audience).value.replace('_', ' ')} audience; use counts(), which "
            "suppresses small numbers"
        )
    table = _load(ws, defn, since, until)
    for level in levels:
        table = _assign(ws, defn, table, level)
    return _filter(table, where)


# --------------------------------------------------------------------------------------------
# counts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Aggregates of a dataset as one audience may see them.

    ``table`` has one column per ``by`` entry, a ``<by>_level`` column per entry when totals
    are included (e.g. ``ward``/``lad``/``all``; ``month``/``year``/``all``), then ``value``
    (``None`` when suppressed), ``suppressed`` and ``flag`` (``suppressed``, ``rounded`` or
    empty). ``None`` in a ``by`` column is a missing value (e.g. rows in no area) at the
    leaf level, or the grand total at level ``all``. Raw results without totals list only the
    combinations that occur; controlled ones list every combination (zeros included)."""

    dataset: str
    audience: Audience
    mode: str
    by: tuple[str, ...]
    measure: str
    threshold: int
    rounding: int | None
    table: pa.Table
    footnotes: tuple[str, ...]

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()  # type: ignore[no-any-return]


@dataclass
class _Dim:
    by: str  # as asked
    column: str  # column of the frame
    kind: str  # period | area | column
    level: str  # leaf level name


def _resolve_by(defn: DatasetDefinition, by: Sequence[str], mode: str) -> list[_Dim]:
    names = {c.name: c for c in defn.columns}
    dims = []
    for b in by:
        if b in PERIODS:
            dims.append(_Dim(b, b, "period", b))
        elif b in names:
            col = names[b]
            if mode == "controlled" and col.type in ("string", "number", "datetime", "date"):
                raise QueryError(
                    f"'{b}' is {col.type}: counts below clearance group by periods, areas, "
                    "categories and codes only"
                )
            dims.append(_Dim(b, b, "column", b))
        elif b.startswith("area_"):
            dims.append(_Dim(b, b, "area", b.removeprefix("area_")))
        else:
            dims.append(_Dim(b, f"area_{b}", "area", b))
    if len({d.column for d in dims}) != len(dims):
        raise QueryError("group by each column once")
    return dims


def _with_periods(table: pa.Table, dims: list[_Dim]) -> pa.Table:
    month = table.column("month")
    for d in dims:
        if d.kind != "period" or d.column == "month":
            continue
        year = pc.utf8_slice_codeunits(month, 0, 4)
        if d.column == "year":
            table = table.append_column("year", year)
        else:
            mnum = pc.cast(pc.utf8_slice_codeunits(month, 5, 7), pa.int64())
            q = pc.cast(pc.add(pc.divide(pc.subtract(mnum, 1), 3), 1), pa.string())
            table = table.append_column(
                "quarter",
                pc.binary_join_element_wise(year, pc.binary_join_element_wise("Q", q, ""), "-"),
            )
    return table


def _dimension(
    ws: Workspace,
    defn: DatasetDefinition,
    d: _Dim,
    observed: list[Any],
    months: list[str],
    parents: Mapping[str, str],
) -> tuple[Dimension, dict[Hashable, str]]:
    """The lattice dimension for ``d`` and the level name of each of its nodes."""
    obs = [_NULL if v is None else v for v in observed]
    level_of: dict[Hashable, str] = {None: "all"}
    if d.kind == "period":
        if d.column == "month":
            leaves = sorted(set(months) | {v for v in obs if v != _NULL})
            par: dict[Hashable, Hashable] = {m: m[:4] for m in leaves}
            level_of.update({m: "month" for m in leaves} | {y: "year" for y in par.values()})
        elif d.column == "quarter":
            qs = {f"{m[:4]}-Q{(int(m[5:7]) - 1) // 3 + 1}" for m in months}
            leaves = sorted(qs | {v for v in obs if v != _NULL})
            par = {q: q[:4] for q in leaves}
            level_of.update({q: "quarter" for q in leaves} | {y: "year" for y in par.values()})
        else:
            leaves = sorted({m[:4] for m in months} | {v for v in obs if v != _NULL})
            par = {}
            level_of.update({y: "year" for y in leaves})
        return Dimension(d.by, tuple(leaves), par), level_of
    if d.kind == "area":
        from ..geo import Hierarchy

        h = Hierarchy.for_workspace(ws)
        stored = h.areas(d.level)
        known = [str(c) for c in stored.codes] if stored is not None else []
        leaves_set = set(known) | {v for v in obs if v != _NULL}
        leaves = sorted(leaves_set) + ([_NULL] if _NULL in obs else [])
        par = {}
        level_of.update({v: d.level for v in leaves})
        parent_level = parents.get(d.level) or parents.get(d.by)
        if parent_level:
            try:
                pmap = h.parents(d.level, parent_level)
            except SaferPlacesError as exc:
                raise QueryError(
                    f"cannot find the {parent_level} of each {d.level}: {exc}"
                ) from None
            for leaf in leaves:
                p = pmap.get(str(leaf)) if leaf != _NULL else None
                if p is not None:
                    par[leaf] = p
                    level_of[p] = parent_level
        return Dimension(d.by, tuple(leaves), par), level_of
    col = defn.column(d.column)
    base: list[Any] = []
    if col.type == "category":
        base = list(col.values or [])
    elif col.type == "boolean":
        base = [True, False]
    leaves = base + sorted({v for v in obs if v not in base and v != _NULL}, key=str)
    if _NULL in obs:
        leaves.append(_NULL)
    level_of.update({v: d.by for v in leaves})
    return Dimension(d.by, tuple(leaves), {}), level_of


def counts(
    ws: Workspace,
    name: str,
    by: Sequence[str] = (),
    *,
    audience: Audience | str,
    measure: str | None = None,
    where: Mapping[str, Any] | None = None,
    since: str | None = None,
    until: str | None = None,
    parents: Mapping[str, str] | None = None,
    totals: bool = False,
    rounding: int | None = None,
) -> Counts:
    """Counts of dataset ``name`` grouped ``by`` periods (``month``, ``quarter``, ``year``),
    area levels (``ward``, ``lad``, …, assigned as in :func:`dataset_frame`) and columns,
    as ``audience`` may see them.

    ``measure``: ``"rows"`` or one of the definition's count columns (default: rows, or the
    first count column). ``parents`` adds an area hierarchy (``{"ward": "lad"}``); with
    ``totals`` every total of the table (per parent area, per year, overall) is returned too,
    protected together with the cells. Below clearance, ``where`` may only filter on ``by``
    columns and ``since``/``until`` only with a period in ``by``: both are applied *after*
    suppression, so every filtered view is part of one protected table (see
    docs/disclosure.md for why)."""
    defn = load_definition(name, ws.root)
    aud = Audience(audience)
    mode = access_mode(defn.sensitivity, aud, defn.threshold, dataset=f"'{name}'")
    dims = _resolve_by(defn, by, mode)
    measure = measure or ("rows" if defn.measures == "rows" else defn.measure_columns[0])
    if measure != "rows" and measure not in defn.measure_columns:
        allowed = ", ".join(["rows", *defn.measure_columns])
        raise QueryError(f"'{measure}' is not a count of '{name}' (use one of: {allowed})")
    controlled = mode == "controlled"
    if defn.snapshot and not any(d.kind == "period" and d.column == "month" for d in dims):
        raise QueryError(
            f"'{name}' holds snapshots (e.g. headcount on a date): group by month so that "
            "snapshots are not added up"
        )
    by_cols = {d.by for d in dims}
    if controlled:
        bad = sorted(set(where or {}) - by_cols)
        if bad:
            raise QueryError(
                f"below clearance, filter only on grouped columns (not {', '.join(bad)}): "
                "filtering first would let two queries be subtracted"
            )
        if (since or until) and not any(d.kind == "period" for d in dims):
            raise QueryError(
                "below clearance, since/until need a period (month/quarter/year) in by"
            )
    table = _load(ws, defn, None if controlled else since, None if controlled else until)
    months = sorted({str(m) for m in pc.unique(table.column("month")).to_pylist()})
    for d in dims:
        if d.kind == "area":
            table = _assign(ws, defn, table, d.level)
    table = _with_periods(table, dims)
    if not controlled:
        table = _filter(table, {_col(dims, k): v for k, v in (where or {}).items()})
    # Aggregate to the leaf cells.
    group_cols = [d.column for d in dims]
    agg_col = "__one" if measure == "rows" else measure
    if measure == "rows":
        table = table.append_column("__one", pa.array(np.ones(table.num_rows, dtype=np.int64)))
    if group_cols:
        grouped = table.group_by(group_cols, use_threads=False).aggregate([(agg_col, "sum")])
        keys = list(zip(*(grouped.column(c).to_pylist() for c in group_cols), strict=True))
        sums = grouped.column(f"{agg_col}_sum").to_pylist()
    else:
        keys = [()]
        sums = [pc.sum(table.column(agg_col)).as_py() if table.num_rows else 0]
    observed = {d.column: [k[i] for k in keys] for i, d in enumerate(dims)}
    cells = {
        tuple(_NULL if v is None else v for v in k): float(s or 0)
        for k, s in zip(keys, sums, strict=True)
    }
    lattice = [_dimension(ws, defn, d, observed[d.column], months, parents or {}) for d in dims]
    n_nodes = int(np.prod([len(dim.nodes()) for dim, _ in lattice])) if lattice else 1
    if (controlled or totals) and n_nodes > MAX_CELLS:
        raise QueryError(
            f"the table would have {n_nodes:,} cells and totals (limit {MAX_CELLS:,}); "
            "group by fewer or coarser dimensions"
        )
    if not controlled and not totals:
        return _raw_counts(defn, aud, dims, measure, cells, rounding)
    threshold = defn.threshold if controlled else 0
    protected = protect(
        cells, [dim for dim, _ in lattice], threshold=threshold, rounding=rounding,
        suppress=controlled,
    )  # fmt: skip
    rows = []
    for key, value in protected.values.items():
        levels = [lattice[i][1].get(v, "all") for i, v in enumerate(key)]
        if not totals and any(lv != d.level for lv, d in zip(levels, dims, strict=True)):
            continue
        if defn.snapshot and any(
            d.column == "month" and lv != "month" for lv, d in zip(levels, dims, strict=True)
        ):
            continue  # a sum of snapshots over months means nothing: never shown
        rows.append((key, levels, value))
    out = _table(dims, rows, protected.suppressed, rounding, totals)
    if controlled:
        post = {d.by: v for d, v in ((_dim(dims, k), v) for k, v in (where or {}).items())}
        out = _filter(out, post)
        out = _period_window(out, dims, since, until)
    return Counts(
        name, aud, mode, tuple(d.by for d in dims), measure, threshold, rounding, out,
        protected.footnotes,
    )  # fmt: skip


def _col(dims: list[_Dim], key: str) -> str:
    for d in dims:
        if key in (d.by, d.column):
            return d.column
    return key


def _dim(dims: list[_Dim], key: str) -> _Dim:
    for d in dims:
        if key in (d.by, d.column):
            return d
    raise QueryError(f"cannot filter on '{key}'")  # pragma: no cover - checked before


def _period_window(
    out: pa.Table, dims: list[_Dim], since: str | None, until: str | None
) -> pa.Table:
    _check_month(since, "since")
    _check_month(until, "until")
    for d in dims:
        if d.kind != "period" or not (since or until):
            continue
        col = out.column(d.by)
        lo = {"month": since, "quarter": _quarter(since), "year": since[:4] if since else None}
        hi = {"month": until, "quarter": _quarter(until), "year": until[:4] if until else None}
        mask = pc.is_valid(col)
        if lo[d.column]:
            mask = pc.and_(mask, pc.greater_equal(col, lo[d.column]))
        if hi[d.column]:
            mask = pc.and_(mask, pc.less_equal(col, hi[d.column]))
        out = out.filter(pc.fill_null(mask, False))
    return out


def _quarter(month: str | None) -> str | None:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}" if month else None


def _raw_counts(
    defn: DatasetDefinition,
    aud: Audience,
    dims: list[_Dim],
    measure: str,
    cells: dict[tuple[Hashable, ...], float],
    rounding: int | None,
) -> Counts:
    from ..publish.disclosure import footnotes, round_to_base

    rows: list[tuple[tuple[Hashable, ...], list[str], float | int | None]] = []
    for key, v in sorted(cells.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        val: float = round_to_base(v, rounding) if rounding else v
        rows.append((key, [d.level for d in dims], int(val) if float(val).is_integer() else val))
    out = _table(dims, rows, frozenset(), rounding, False)
    return Counts(
        defn.name, aud, "raw", tuple(d.by for d in dims), measure, 0, rounding, out,
        tuple(footnotes(0, rounding, False)),
    )  # fmt: skip


def _table(
    dims: list[_Dim],
    rows: list[tuple[tuple[Hashable, ...], list[str], float | int | None]],
    suppressed: frozenset[tuple[Hashable, ...]],
    rounding: int | None,
    totals: bool,
) -> pa.Table:
    data: dict[str, list[Any]] = {}
    for i, d in enumerate(dims):
        data[d.by] = [None if (k[i] is None or k[i] == _NULL) else k[i] for k, _, _ in rows]
        if totals:
            data[f"{d.by}_level"] = [lv[i] for _, lv, _ in rows]
    values = [v for _, _, v in rows]
    is_int = all(v is None or float(v).is_integer() for v in values)
    data["value"] = [None if v is None else (int(v) if is_int else float(v)) for v in values]
    data["suppressed"] = [k in suppressed for k, _, _ in rows]
    data["flag"] = [
        "suppressed" if k in suppressed else ("rounded" if rounding else "") for k, _, _ in rows
    ]
    fields = []
    for d in dims:
        sample = next((x for x in data[d.by] if x is not None), "")
        typ = pa.bool_() if isinstance(sample, bool) else pa.string()
        data[d.by] = [str(x) if typ == pa.string() and x is not None else x for x in data[d.by]]
        fields.append(pa.field(d.by, typ))
        if totals:
            fields.append(pa.field(f"{d.by}_level", pa.string()))
    fields += [
        pa.field("value", pa.int64() if is_int else pa.float64()),
        pa.field("suppressed", pa.bool_()),
        pa.field("flag", pa.string()),
    ]
    schema = pa.schema(fields)
    return pa.table({f.name: pa.array(data[f.name], f.type) for f in schema}, schema=schema)


def column_type(defn: DatasetDefinition, name: str) -> pa.DataType:
    """Arrow type of a stored column (for callers building filters)."""
    return arrow_type(defn.column(name).type)
