"""Hotspot maps for the dashboard (part of the data seam: views reach this only through
:meth:`saferplaces.web.datasource.PartnerData.hotspots`). Computed by
:func:`saferplaces.hotspots.police_hotspots` once per lake state and request, not per visit."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..hotspots import CELL_SIZES, HotspotError, HotspotMap, police_hotspots
from ..workspace import Workspace

#: Periods offered: the latest N months with police.uk data.
PERIODS = (3, 6, 12)
_lock = threading.Lock()
_cache: dict[tuple[str, str, tuple[str, ...], str, int], HotspotMap | str] = {}


@dataclass(frozen=True)
class HotspotRequest:
    months: int = 12
    category: str = ""  # "" = all crime
    cell_size: int = 500

    def check(self) -> None:
        if self.months not in PERIODS:
            raise HotspotError(f"period must be one of {', '.join(map(str, PERIODS))} months")
        if self.cell_size not in CELL_SIZES:
            raise HotspotError(f"cell size must be one of {', '.join(map(str, CELL_SIZES))} m")


def hotspots(
    ws: Workspace,
    lake_state: str,
    forces: list[str],
    months_present: list[str],
    request: HotspotRequest,
    lsoa_vintage: int = 2011,
) -> HotspotMap:
    """The map for the latest ``request.months`` months present (a missing month is not
    replaced by an older one: the period then holds fewer months, and the page says so)."""
    request.check()
    months = tuple(months_present[-request.months :])
    key = (str(ws.root), lake_state, months, request.category, request.cell_size)
    # (lsoa_vintage follows from lake_state, so it need not be in the key.)
    if not months:
        raise HotspotError("no police.uk street data is loaded")
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        try:
            from ..geo.populations import residents

            hit = police_hotspots(
                ws,
                months,
                forces=forces,
                category=request.category or None,
                cell_size=request.cell_size,
                residents=residents(lsoa_vintage).values,  # type: ignore[arg-type]
            )
        except HotspotError as exc:
            hit = str(exc)
        with _lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = hit
    if isinstance(hit, str):
        raise HotspotError(hit)
    return hit
