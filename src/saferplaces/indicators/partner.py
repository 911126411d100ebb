"""Indicators from partner datasets (council ASB, fires, MARAC, Victims' Code returns, …).

A partner indicator names its dataset as ``partner:<name>``. Its monthly series comes from the
dataset's rows through :func:`saferplaces.partners.query.dataset_frame`, which places rows in
areas by the dataset's own geography. Months run from the dataset's first to its last month;
a month with no partition is *missing* (nothing was supplied), never zero.

Disclosure follows the dataset's sensitivity and the audience: a restricted dataset is withheld
from the public and parish councils entirely; below an audience's clearance the published
figures are protected by :func:`saferplaces.publish.disclosure.protect` (primary and secondary
suppression across the areas and both periods), and no monthly series is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..errors import SaferPlacesError
from ..publish.disclosure import DisclosureRefused, access_mode
from ..workspace import Workspace
from .cube import Level, MartCube, denominator_for, month_range
from .definitions import Indicator

PREFIX = "partner:"


def is_partner(ind: Indicator) -> bool:
    return ind.source.dataset.startswith(PREFIX)


def dataset_name(ind: Indicator) -> str:
    return ind.source.dataset.removeprefix(PREFIX)


@dataclass
class Access:
    mode: str  # "raw" or "controlled"
    threshold: int
    sensitivity: str
    title: str


def access(ws: Workspace, ind: Indicator, audience: str) -> Access:
    """How ``audience`` may see this indicator's dataset; :class:`DisclosureRefused` if not."""
    from ..partners.definitions import load_definition

    defn = load_definition(dataset_name(ind), ws.root)
    mode = access_mode(defn.sensitivity, audience, defn.threshold, dataset=f"'{defn.name}'")
    return Access(mode, defn.threshold, str(defn.sensitivity), defn.title)


def _values(table: pa.Table, measure: str) -> NDArray[np.float64]:
    if measure == "rows":
        return np.ones(table.num_rows)
    if measure not in table.column_names:
        raise SaferPlacesError(f"the dataset has no measure column '{measure}'")
    col = pc.fill_null(table.column(measure).cast(pa.float64()), 0.0)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)


def _mask(table: pa.Table, where: dict[str, Any]) -> NDArray[np.bool_]:
    mask = np.ones(table.num_rows, dtype=bool)
    for col, want in where.items():
        if col not in table.column_names:
            raise SaferPlacesError(f"the dataset has no column '{col}' to filter on")
        values = want if isinstance(want, list) else [want]
        got = table.column(col).to_pylist()
        mask &= np.array([v in values for v in got], dtype=bool)
    return mask


def partner_series(
    ws: Workspace, cube: MartCube, level: Level, ind: Indicator
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64] | None,
    NDArray[np.float64] | None,
    str | None,
    list[str],
    NDArray[np.bool_],
]:
    """(numerator, denominator-per-month or None, population or None, population label,
    months, missing) for a partner indicator at ``level``. Raw rows are read with analyst
    access: disclosure is applied to what is published, after evaluation."""
    from ..lake.catalog import list_partitions
    from ..partners.definitions import load_definition
    from ..partners.query import dataset_frame

    name = dataset_name(ind)
    defn = load_definition(name, ws.root)
    parts = list_partitions(ws.lake_dir, defn.dataset)
    if not parts:
        raise SaferPlacesError(f"no data in partner dataset '{name}' yet")
    have = sorted(p.keys["month"] for p in parts)
    months = month_range(have[0], have[-1])
    missing = np.array([m not in set(have) for m in months])
    src = ind.source
    if level.name == "force":
        if len(level.codes) != 1:
            raise SaferPlacesError("partner data cannot be split between several forces")
        table = dataset_frame(ws, name, "analyst")
        area = np.zeros(table.num_rows, dtype=np.int64)
    else:
        table = dataset_frame(ws, name, "analyst", levels=[level.name])
        codes = table.column(f"area_{level.name}").to_pylist()
        area = np.array([level.index.get(c, -1) if c else -1 for c in codes], dtype=np.int64)
    keep = _mask(table, dict(src.where)) & (area >= 0)
    month_index = {m: i for i, m in enumerate(months)}
    t = np.array(
        [month_index.get(m, -1) for m in table.column("month").to_pylist()], dtype=np.int64
    )
    keep &= t >= 0
    shape = (len(level.codes), len(months))

    def total(weights: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        out = np.zeros(shape)
        np.add.at(out, (area[mask], t[mask]), weights[mask])
        out[:, missing] = np.nan
        return out

    values = _values(table, src.measure)
    kind = ind.measure.kind
    if kind == "proportion":
        if src.denominator_measure:
            num = total(values, keep)
            den = total(_values(table, src.denominator_measure), keep)
        else:
            num = total(values, keep & _mask(table, dict(src.numerator_where)))
            den = total(values, keep)
        return num, den, None, None, months, missing
    num = total(values, keep)
    if kind == "rate":
        assert ind.measure.denominator
        pop, label = denominator_for(ws, cube, level, ind.measure.denominator)
        return num, None, pop, label, months, missing
    return num, None, None, None, months, missing


def withheld_reason(ws: Workspace, ind: Indicator, audience: str) -> str | None:
    """Why this indicator is withheld from ``audience`` (None when it may be shown)."""
    try:
        access(ws, ind, audience)
    except DisclosureRefused as exc:
        return f"Withheld: {exc}."
    return None
