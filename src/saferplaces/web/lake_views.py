"""Figures computed from the lake for the web app, cached per lake state (part of the data seam:
views reach this only through :mod:`saferplaces.web.datasource`).

The lake's state (``key``, from :func:`saferplaces.web.datasource.lake_state`) names its latest
ingest. The base-mart cube, each level's area arrays and
each audience's indicator evaluation are computed once per state, not per request; a new ingest
makes the next request compute them again."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..workspace import Workspace

#: Area levels the web app and API offer.
LEVELS = ("force", "lad", "msoa")
LEVEL_LABELS = {"force": "police force area", "lad": "district", "msoa": "MSOA", "lsoa": "LSOA"}
PARENT_LEVEL = {"lad": "force", "msoa": "lad", "lsoa": "msoa"}
#: Levels only the dashboard's drill-down offers (force → district → MSOA → LSOA).
DRILL_ONLY_LEVELS = ("lsoa",)
#: Parent of a level the workspace imported (wards, parishes, neighbourhoods...).
IMPORTED_PARENT_LEVEL = "lad"

_lock = threading.RLock()
_cache: dict[str, LakeState] = {}


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass
class LevelArrays:
    areas: list[AreaRow]
    index: dict[str, int]
    crimes: Any  # areas × categories × months
    asb: Any  # areas × categories × months
    residents: Any  # per area (NaN: unknown)
    residents_label: str


@dataclass
class LakeState:
    key: str
    cube: Any
    levels: dict[str, LevelArrays] = field(default_factory=dict)
    imported_levels: tuple[str, ...] | None = None
    evaluations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def state(ws: Workspace, key: str) -> LakeState | None:
    """The cached figures for lake state ``key`` (None: the lake has no street data)."""
    root = str(ws.root)
    with _lock:
        current = _cache.get(root)
        if current is not None and current.key == key:
            return current
        if not key.startswith("street:"):
            return None
        from ..indicators.cube import MartCube

        current = LakeState(key, MartCube.load(ws))
        _cache[root] = current
        return current


def parent_level(level: str) -> str | None:
    return PARENT_LEVEL.get(level, None if level in LEVELS else IMPORTED_PARENT_LEVEL)


def area_levels(ws: Workspace, key: str) -> tuple[str, ...]:
    """:data:`LEVELS` and the levels the workspace imported (boundaries or an LSOA lookup,
    e.g. wards or parishes), which are counted the same way as the indicator engine does."""
    st = state(ws, key)
    if st is None:
        return LEVELS
    with _lock:
        if st.imported_levels is None:
            from ..geo import LOOKUP_LEVELS, Hierarchy

            stored = Hierarchy.for_workspace(ws).levels()
            st.imported_levels = tuple(lv for lv in stored if lv not in LOOKUP_LEVELS)
        return LEVELS + st.imported_levels


def level_arrays(ws: Workspace, level: str, key: str) -> LevelArrays | None:
    st = state(ws, key)
    if st is None or (level not in area_levels(ws, key) and level not in DRILL_ONLY_LEVELS):
        return None
    with _lock:
        if level in st.levels:
            return st.levels[level]
        from ..geo import Hierarchy
        from ..indicators.cube import build_level, denominator_for, lookup_vintage

        lv = build_level(ws, st.cube, level)
        parents: dict[str, str | None] = {}
        plevel = parent_level(level)
        if plevel == "force":
            parents = dict.fromkeys(
                lv.codes, st.cube.forces[0] if len(st.cube.forces) == 1 else None
            )
        elif plevel is not None:
            try:
                h = Hierarchy.for_workspace(ws, vintage=lookup_vintage(st.cube))  # type: ignore[arg-type]
                parents = {c: h.parent(c, plevel, level=level) for c in lv.codes}
            except Exception:  # a level without a parent lookup: no parents, not an error
                parents = {}
        try:
            residents, label = denominator_for(ws, st.cube, lv, "residents")
        except Exception:
            residents, label = np.full(len(lv.codes), np.nan), ""
        arrays = LevelArrays(
            areas=[
                AreaRow(c, n, level, parents.get(c))
                for c, n in zip(lv.codes, lv.names, strict=True)
            ],
            index={c: i for i, c in enumerate(lv.codes)},
            crimes=lv.field(st.cube, "crimes"),
            asb=lv.field(st.cube, "asb_incidents"),
            residents=residents,
            residents_label=label,
        )
        st.levels[level] = arrays
        return arrays


def evaluations(ws: Workspace, audience: str, key: str) -> list[dict[str, Any]]:
    """Every indicator evaluated for the force and districts as ``audience`` may see them
    (partner data disclosure is applied inside :func:`~saferplaces.indicators.evaluate`)."""
    st = state(ws, key)
    if st is None:
        return []
    with _lock:
        if audience not in st.evaluations:
            from ..indicators import workspace_indicators
            from ..indicators.evaluate import evaluate

            evals = evaluate(ws, workspace_indicators(ws), None, st.cube, audience=audience)
            st.evaluations[audience] = [e.to_dict() for e in evals]
        return st.evaluations[audience]
