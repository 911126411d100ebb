"""Near-repeat (Knox) and hotspot analysis of dated, point-located partner data.

Thin wrappers: the rows come from :func:`saferplaces.partners.query.dataset_frame` (so only an
audience with record-level access may run them), the statistics from
:mod:`saferplaces.stats.nearrepeat`, :mod:`saferplaces.stats.hotspots` and
:mod:`saferplaces.stats.kde`. Rows without a location are left out (and counted).

The Knox test needs the date of each event to the day. A dataset (or an import) at month or
quarter resolution is refused with the statistics library's own explanation, as police.uk
data is: every pair in the same month would look 0 days apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SaferPlacesError
from ..publish.disclosure import Audience
from ..stats.grid import GridCounts, grid_counts
from ..stats.hotspots import GridHotspots, gistar_grid
from ..stats.kde import KDEResult, kde
from ..stats.nearrepeat import KnoxResult, dates_to_days, knox_test
from ..workspace import Workspace
from .definitions import DatasetDefinition, load_definition
from .query import dataset_frame

__all__ = ["AnalysisError", "Points", "hotspot_grid", "near_repeat", "points"]


class AnalysisError(SaferPlacesError, ValueError):
    """The dataset cannot be analysed this way (no points, or dates not to the day)."""


@dataclass(frozen=True)
class Points:
    """Located events: BNG metres and (day-resolution) dates; ``dropped`` had no location."""

    x: np.ndarray
    y: np.ndarray
    dates: np.ndarray
    dropped: int


def _need_points(defn: DatasetDefinition) -> None:
    if defn.geography.kind != "point":
        raise AnalysisError(
            f"'{defn.name}' is located by {defn.geography.kind.replace('_', ' ')}, not by "
            "points: near-repeat and hotspot analysis need coordinates"
        )


def _refuse_coarse_dates(defn: DatasetDefinition, frame: pa.Table) -> None:
    """Raise the statistics library's own month-resolution message, if the dates are months."""
    stored = (
        set(pc.unique(frame.column("date_resolution")).to_pylist()) if frame.num_rows else set()
    )
    coarse = defn.date.resolution in ("month", "quarter") or stored & {"month", "quarter"}
    if not coarse:
        return
    months = np.asarray(frame.column("month").to_pylist() or ["2000-01", "2000-02"], dtype=object)
    try:
        dates_to_days(months)
    except ValueError as exc:
        raise AnalysisError(f"'{defn.name}': {exc}") from None
    raise AnalysisError(f"'{defn.name}' is dated by month: the Knox test needs dates to the day")


def points(
    ws: Workspace,
    name: str,
    *,
    audience: Audience | str = Audience.ANALYST,
    where: Mapping[str, Any] | None = None,
    since: str | None = None,
    until: str | None = None,
    need_days: bool = True,
) -> Points:
    """The located events of a point dataset (record-level access needed)."""
    defn = load_definition(name, ws.root)
    _need_points(defn)
    frame = dataset_frame(ws, name, audience, where=where, since=since, until=until)
    if need_days:
        _refuse_coarse_dates(defn, frame)
    has = np.asarray(frame.column("has_location").to_numpy(zero_copy_only=False), dtype=bool)
    located = frame.filter(pa.array(has))
    x = located.column("bng_x").to_numpy(zero_copy_only=False).astype(float)
    y = located.column("bng_y").to_numpy(zero_copy_only=False).astype(float)
    col = located.column(defn.date.column)
    dates = (
        np.asarray(col.to_numpy(zero_copy_only=False)).astype("datetime64[D]")
        if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type)
        else np.asarray(col.to_pylist(), dtype=object)
    )
    return Points(x, y, dates, int((~has).sum()))


def near_repeat(
    ws: Workspace,
    name: str,
    *,
    audience: Audience | str = Audience.ANALYST,
    where: Mapping[str, Any] | None = None,
    since: str | None = None,
    until: str | None = None,
    **knox: Any,
) -> KnoxResult:
    """Knox near-repeat test on a partner dataset (keyword arguments go to
    :func:`saferplaces.stats.nearrepeat.knox_test`, e.g. ``spatial_bandwidth=100``)."""
    pts = points(ws, name, audience=audience, where=where, since=since, until=until)
    if pts.x.size < 2:
        raise AnalysisError(f"'{name}' has fewer than two located events to compare")
    try:
        return knox_test(pts.x, pts.y, pts.dates, **knox)
    except ValueError as exc:
        raise AnalysisError(f"'{name}': {exc}") from None


@overload
def hotspot_grid(
    ws: Workspace,
    name: str,
    *,
    audience: Audience | str = ...,
    method: Literal["gistar"] = ...,
    cell_size: float | None = ...,
    where: Mapping[str, Any] | None = ...,
    since: str | None = ...,
    until: str | None = ...,
    **kwargs: Any,
) -> GridHotspots: ...
@overload
def hotspot_grid(
    ws: Workspace,
    name: str,
    *,
    audience: Audience | str = ...,
    method: Literal["kde"],
    cell_size: float | None = ...,
    where: Mapping[str, Any] | None = ...,
    since: str | None = ...,
    until: str | None = ...,
    **kwargs: Any,
) -> KDEResult: ...
@overload
def hotspot_grid(
    ws: Workspace,
    name: str,
    *,
    audience: Audience | str = ...,
    method: Literal["counts"],
    cell_size: float | None = ...,
    where: Mapping[str, Any] | None = ...,
    since: str | None = ...,
    until: str | None = ...,
    **kwargs: Any,
) -> GridCounts: ...
def hotspot_grid(
    ws: Workspace,
    name: str,
    *,
    audience: Audience | str = Audience.ANALYST,
    method: Literal["gistar", "kde", "counts"] = "gistar",
    cell_size: float | None = None,
    where: Mapping[str, Any] | None = None,
    since: str | None = None,
    until: str | None = None,
    **kwargs: Any,
) -> GridHotspots | KDEResult | GridCounts:
    """Grid counts, Gi* hotspots or a KDE surface of a point dataset (dates may be months:
    a hotspot map is spatial). Descriptive, not a forecast."""
    pts = points(ws, name, audience=audience, where=where, since=since, until=until,
                 need_days=False)  # fmt: skip
    if pts.x.size == 0:
        raise AnalysisError(f"'{name}' has no located events")
    try:
        if method == "kde":
            return kde(pts.x, pts.y, cell_size=cell_size, **kwargs)
        counts = grid_counts(pts.x, pts.y, cell_size=cell_size)
        return counts if method == "counts" else gistar_grid(counts, **kwargs)
    except ValueError as exc:
        raise AnalysisError(f"'{name}': {exc}") from None
