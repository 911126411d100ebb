"""Who lives with the hotspots, and which hotspots are made by police activity.

Two checks a CSP should make before publishing a hotspot map:

1. **Burden** — how the residents of hotspot areas differ from residents overall, e.g. by
   deprivation decile (Index of Multiple Deprivation). Method: a simple distributional
   comparison (share of each group's population living in hotspot areas ÷ the share of all
   residents who do — a relative-risk style ratio, as in area-based equality impact
   assessments; cf. Public Sector Equality Duty, Equality Act 2010 s.149). A ratio of 2
   means that group is twice as likely as residents overall to live in a hotspot area.
2. **Proactive categories** — ``drugs`` and ``possession-of-weapons`` are recorded mostly
   when police find them (stop and search, patrols), so a "hotspot" made of them shows where
   police looked, not where people were victimised. Method: the Cambridge Crime Harm Index's
   exclusion of proactively detected offences (Sherman, Neyroud & Neyroud 2016;
   METHODS.md §2.2); a hotspot is flagged when these categories are more than half of its
   recorded crimes (configurable).

Both are descriptive and say so in their notes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saferplaces.stats.grid import FloatArray, _as_1d_float
from saferplaces.stats.harm import PROACTIVE_CATEGORIES

__all__ = [
    "PROACTIVE_CATEGORIES",
    "BurdenGroup",
    "BurdenReport",
    "ProactiveReport",
    "hotspot_burden",
    "proactive_share",
]

#: A group's ratio must be at least this far from 1 (either way) to be mentioned in the note.
NOTABLE_RATIO = 1.5


def _slug(v: object) -> str:
    return "-".join(str(v).strip().lower().replace("_", " ").split())


def _pct(v: float) -> str:
    return f"{100 * v:.0f}%" if v >= 0.01 or v == 0 else f"{100 * v:.1f}%"


@dataclass(frozen=True)
class BurdenGroup:
    """One group's (e.g. one deprivation decile's) exposure to hotspot areas."""

    group: str
    population: float
    population_in_hotspots: float
    #: share of this group's residents who live in hotspot areas
    share_in_hotspots: float
    #: this group's share of all residents
    share_of_population: float
    #: this group's share of hotspot-area residents
    share_of_hotspot_population: float
    #: share_in_hotspots ÷ the overall share (1 = same as residents overall)
    ratio: float


@dataclass(frozen=True)
class BurdenReport:
    """How the population living in hotspot areas is made up."""

    total_population: float
    hotspot_population: float
    overall_share: float
    n_areas: int
    n_hotspot_areas: int
    group_name: str
    groups: tuple[BurdenGroup, ...]
    note: str


def hotspot_burden(
    hotspot_area_ids: ArrayLike,
    area_ids: ArrayLike,
    population: ArrayLike,
    group: ArrayLike | None = None,
    *,
    group_name: str = "group",
) -> BurdenReport:
    """Share of residents living in hotspot areas, overall and by group (e.g. IMD decile).

    Method: for each group g, share_g = residents of hotspot areas in g ÷ residents in g;
    ratio_g = share_g ÷ (all residents of hotspot areas ÷ all residents). Ratios ≥ 1.5 or
    ≤ 1/1.5 are mentioned in the plain-English ``note``. ``area_ids``, ``population`` and
    ``group`` are one value per area (every area, not just hotspots); ``hotspot_area_ids``
    must all be in ``area_ids``. Groups are reported in sorted order (deciles 1…10).
    """
    ids = np.asarray(area_ids)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError("area_ids must be a non-empty one-dimensional list")
    if np.unique(ids).size != ids.size:
        raise ValueError("area_ids contains duplicates")
    pop = _as_1d_float(population, "population")
    if pop.size != ids.size:
        raise ValueError(f"population must have one value per area ({pop.size} vs {ids.size})")
    if (pop < 0).any():
        raise ValueError("population must not be negative")
    total = float(pop.sum())
    if total <= 0:
        raise ValueError("the areas have no population")
    hot_ids = np.asarray(hotspot_area_ids)
    if hot_ids.ndim != 1:
        raise ValueError("hotspot_area_ids must be one-dimensional")
    in_hot = np.isin(ids, hot_ids)
    unknown = ~np.isin(hot_ids, ids)
    if unknown.any():
        shown = ", ".join(str(v) for v in hot_ids[unknown][:5].tolist())
        raise ValueError(f"{int(unknown.sum())} hotspot ids are not in area_ids (e.g. {shown})")
    hot_pop = float(pop[in_hot].sum())
    overall = hot_pop / total
    n_hot = int(in_hot.sum())
    lines = [
        f"{_pct(overall)} of residents ({hot_pop:,.0f} of {total:,.0f}) live in the "
        f"{n_hot} hotspot area{'s' if n_hot != 1 else ''} (of {ids.size})."
    ]
    groups: list[BurdenGroup] = []
    if group is not None:
        g = np.asarray(group)
        if g.shape != ids.shape:
            raise ValueError(f"group must have one value per area ({g.size} vs {ids.size})")
        for value in np.unique(g).tolist():
            sel = g == value
            gp = float(pop[sel].sum())
            gh = float(pop[sel & in_hot].sum())
            share = gh / gp if gp > 0 else float("nan")
            ratio = share / overall if overall > 0 and gp > 0 else float("nan")
            groups.append(
                BurdenGroup(
                    group=str(value),
                    population=gp,
                    population_in_hotspots=gh,
                    share_in_hotspots=share,
                    share_of_population=gp / total,
                    share_of_hotspot_population=gh / hot_pop if hot_pop > 0 else float("nan"),
                    ratio=ratio,
                )
            )
        notable = [
            b
            for b in groups
            if math.isfinite(b.ratio) and (b.ratio >= NOTABLE_RATIO or b.ratio <= 1 / NOTABLE_RATIO)
        ]
        for b in sorted(notable, key=lambda b: -abs(math.log(b.ratio) if b.ratio > 0 else 9)):
            if b.ratio == 0:
                lines.append(f"No residents of {group_name} {b.group} live in a hotspot area.")
                continue
            word = "more" if b.ratio > 1 else "less"
            times = b.ratio if b.ratio > 1 else 1 / b.ratio
            lines.append(
                f"Residents of {group_name} {b.group} are {times:.1f} times {word} likely than "
                f"residents overall to live in a hotspot area ({_pct(b.share_in_hotspots)} vs "
                f"{_pct(overall)}); they are {_pct(b.share_of_hotspot_population)} of hotspot "
                f"residents but {_pct(b.share_of_population)} of all residents."
            )
        if not notable and groups:
            lines.append(
                f"No {group_name} is markedly over- or under-represented in hotspot areas "
                f"(all ratios between {1 / NOTABLE_RATIO:.2f} and {NOTABLE_RATIO:.1f})."
            )
    lines.append(
        "Hotspots show where crime was recorded; recording also reflects where police patrol "
        "and where people report, so read this alongside victim-based measures."
    )
    return BurdenReport(
        total_population=total,
        hotspot_population=hot_pop,
        overall_share=overall,
        n_areas=int(ids.size),
        n_hotspot_areas=n_hot,
        group_name=group_name,
        groups=tuple(groups),
        note=" ".join(lines),
    )


@dataclass(frozen=True, eq=False)
class ProactiveReport:
    """Per hotspot unit: crimes, proactive-category crimes, their share, and a flag."""

    units: NDArray[np.generic]
    total: FloatArray
    proactive: FloatArray
    share: FloatArray
    flagged: NDArray[np.bool_]
    threshold: float
    categories: tuple[str, ...]
    note: str


def proactive_share(
    unit_ids: ArrayLike,
    categories: ArrayLike,
    *,
    hotspot_ids: ArrayLike | None = None,
    proactive: Sequence[str] = PROACTIVE_CATEGORIES,
    threshold: float = 0.5,
) -> ProactiveReport:
    """Flag hotspots whose recorded crime is mostly proactive categories (police activity).

    Method: share of each unit's recorded crimes in ``proactive`` categories (default
    ``drugs``, ``possession-of-weapons`` — the offences the Cambridge Crime Harm Index excludes
    as proactively detected, METHODS.md §2.2); flagged when share > ``threshold`` (0.5).
    ``unit_ids`` and ``categories`` are one value per crime (cell id or area code; police.uk
    slug or name — "Possession of weapons" matches ``possession-of-weapons``). With
    ``hotspot_ids`` only those units are reported (units without crimes get share NaN).
    """
    units_ev = np.asarray(unit_ids)
    cats = np.asarray(categories)
    if units_ev.ndim != 1 or units_ev.size == 0:
        raise ValueError("unit_ids must be a non-empty one-dimensional list (one per crime)")
    if cats.shape != units_ev.shape:
        raise ValueError(
            f"categories must have one value per crime ({cats.size} vs {units_ev.size})"
        )
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1) (got {threshold})")
    wanted = tuple(_slug(c) for c in proactive)
    if not wanted:
        raise ValueError("give at least one proactive category")
    is_pro = np.isin(np.array([_slug(c) for c in cats.tolist()]), wanted)
    uniq, inverse = np.unique(units_ev, return_inverse=True)
    inverse = inverse.ravel()
    tot = np.bincount(inverse, minlength=uniq.size).astype(np.float64)
    pro = np.bincount(inverse, weights=is_pro.astype(np.float64), minlength=uniq.size)
    if hotspot_ids is not None:
        units = np.asarray(hotspot_ids)
        if units.ndim != 1 or units.size == 0:
            raise ValueError("hotspot_ids must be a non-empty one-dimensional list")
        pos = np.searchsorted(uniq, units)
        pos_c = np.minimum(pos, uniq.size - 1)
        found = uniq[pos_c] == units
        total = np.where(found, tot[pos_c], 0.0)
        proc = np.where(found, pro[pos_c], 0.0)
    else:
        units, total, proc = uniq, tot, pro
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, proc / total, np.nan)
    flagged = np.nan_to_num(share, nan=0.0) > threshold
    names = " or ".join(c.replace("-", " ") for c in wanted)
    n_units, n_flag = units.size, int(flagged.sum())
    noun = "hotspot" if hotspot_ids is not None else "area"
    if n_flag:
        order = np.argsort(-np.nan_to_num(share[flagged]))
        shown = ", ".join(
            f"{u} ({_pct(s)})"
            for u, s in zip(
                units[flagged][order][:5].tolist(), share[flagged][order][:5].tolist(), strict=True
            )
        )
        more = f" and {n_flag - 5} more" if n_flag > 5 else ""
        note = (
            f"{n_flag} of {n_units} {noun}s {'are' if n_flag != 1 else 'is'} driven by proactive "
            f"police activity: more than {_pct(threshold)} of recorded crime there is {names} "
            f"({shown}{more}). These offences are mostly found by police stops and searches, so "
            f"they show where police looked rather than where people were victimised; consider "
            f"mapping them separately or excluding them from victim-based hotspots."
        )
    else:
        if np.isfinite(share).any():
            top = int(np.nanargmax(share))
            worst = f" (highest share {_pct(float(share[top]))}, {units[top]})"
        else:
            worst = ""
        note = (
            f"None of the {n_units} {noun}s is driven by proactive categories ({names} are at "
            f"most {_pct(threshold)} of recorded crime in each){worst}."
        )
    return ProactiveReport(units, total, proc, share, flagged, threshold, wanted, note)
