"""The dashboard's drill-down, force → district → MSOA → LSOA (part of the data seam: views reach
this only through :meth:`saferplaces.web.datasource.PartnerData.drill`).

For one area and one crime category (or all crime): its crimes in the latest 12 months held and
the 12 before, whether that changed (the E-test, as the public area pages and
:func:`saferplaces.stats.change.rolling_12_months` decide it: never a change without the test),
and the same for each area one level down, with the rate per 1,000 residents. Counts are the
base mart's (crimes = distinct police.uk Crime IDs); partners see them unsuppressed, as police.uk
publishes them. Areas nest by the ONS best-fit lookup of the data's LSOA vintage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..taxonomy import categories
from .area_data import (
    LATEST,
    PREVIOUS,
    PUBLISHED,
    Change,
    Figure,
    Window,
    change_between,
    level_names,
    window_months,
)

if TYPE_CHECKING:
    from .datasource import AreaRow, LevelArrays

#: The seam's accessor for one level's arrays (None: not available).
ArraysOf = Callable[[str], "LevelArrays | None"]

DRILL_LEVELS = ("force", "lad", "msoa", "lsoa")
_NAMES = {"lsoa": ("LSOA (neighbourhood of about 1,500 residents)", "LSOAs")}
CHILD_LEVEL = {"force": "lad", "lad": "msoa", "msoa": "lsoa"}


@dataclass(frozen=True)
class DrillRow:
    area: AreaRow
    latest: int
    previous: int | None
    change: Change
    residents: float | None
    rate_per_1000: float | None


@dataclass(frozen=True)
class Drill:
    area: DrillRow
    level_label: str
    trail: list[AreaRow]  # the parents, outermost first
    category: str  # "" = all crime
    category_label: str
    latest: Window
    previous: Window
    child_level: str | None
    child_label: str  # plural, e.g. "MSOAs"
    rows: list[DrillRow]
    residents_label: str
    #: Imported levels inside this area (e.g. wards in a district): (level, plural, rows).
    other_children: list[tuple[str, str, list[DrillRow]]]
    imported: bool  # this area is of an imported level (drawn; LSOAs do not nest in it)


def _names(level: str) -> tuple[str, str]:
    return _NAMES.get(level) or level_names(level)


def category_labels() -> dict[str, str]:
    """Crime category slug → its current label, in label order (ASB is not crime, so not
    offered)."""
    out: dict[str, str] = {}
    for cat in categories().values():
        if cat.kind != "asb":
            out.setdefault(cat.slug, cat.label)
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def _row(
    arrays: LevelArrays,
    i: int,
    cat: int | None,
    latest: Window,
    previous: Window,
    month_index: dict[str, int],
    what: str,
) -> DrillRow:
    counts = arrays.crimes[i] if cat is None else arrays.crimes[i, cat : cat + 1]
    by_month = counts.sum(axis=0)
    a = int(sum(by_month[month_index[m]] for m in latest.months))
    b = int(sum(by_month[month_index[m]] for m in previous.months)) if previous.months else None
    change = change_between(Figure(b, PUBLISHED), Figure(a, PUBLISHED), latest, previous, what)
    residents = float(arrays.residents[i])
    known = residents == residents and residents > 0  # not NaN
    complete = latest.complete
    return DrillRow(
        arrays.areas[i],
        a,
        b,
        change,
        residents if known else None,
        round(a / residents * 1000, 2) if known and complete else None,
    )


def drill(
    cube: Any,
    arrays_of: ArraysOf,
    parent_level: Callable[[str], str | None],
    level: str,
    code: str,
    category: str,
    imported_levels: tuple[str, ...] = (),
) -> Drill | None:
    """The drill-down page of ``code`` at ``level`` (None: unknown level, area or category).
    ``cube`` is the lake state's base-mart cube; ``arrays_of`` gives a level's arrays;
    ``imported_levels`` are the workspace's own levels (wards, parishes...), shown inside
    their parent district."""
    if level not in DRILL_LEVELS and level not in imported_levels:
        return None
    arrays = arrays_of(level)
    if arrays is None or code not in arrays.index:
        return None
    cats = list(cube.categories)
    if category and category not in cats:
        return None
    cat = cats.index(category) if category else None
    label = category_labels().get(category, category) if category else "All crimes"
    months = list(cube.months)
    missing = {m for m, gone in zip(months, cube.missing, strict=True) if gone}
    windows = window_months(months)
    latest = Window(LATEST, windows[LATEST], [m for m in windows[LATEST] if m in missing])
    previous = Window(PREVIOUS, windows[PREVIOUS], [m for m in windows[PREVIOUS] if m in missing])
    month_index = {m: t for t, m in enumerate(months)}
    what = "crimes" if not category else f"{label.lower()} crimes"

    def row_of(arr: LevelArrays, c: str) -> DrillRow:
        return _row(arr, arr.index[c], cat, latest, previous, month_index, what)

    trail: list[AreaRow] = []
    here = arrays.areas[arrays.index[code]]
    while (plevel := parent_level(here.level)) and here.parent:
        parr = arrays_of(plevel)
        if parr is None or here.parent not in parr.index:
            break
        here = parr.areas[parr.index[here.parent]]
        trail.insert(0, here)

    def inside(child_level: str) -> list[DrillRow]:
        carr = arrays_of(child_level)
        if carr is None:
            return []
        found = [row_of(carr, a.code) for a in carr.areas if a.parent == code]
        return sorted(found, key=lambda r: (-r.latest, r.area.name))

    child = CHILD_LEVEL.get(level)
    rows = inside(child) if child is not None else []
    others = [
        (lv, _names(lv)[1], kids)
        for lv in imported_levels
        if parent_level(lv) == level and (kids := inside(lv))
    ]
    return Drill(
        area=row_of(arrays, code),
        level_label=_names(level)[0],
        trail=trail,
        category=category,
        category_label=label,
        latest=latest,
        previous=previous,
        child_level=child,
        child_label=_names(child)[1] if child else "",
        rows=rows,
        residents_label=arrays.residents_label,
        other_children=others,
        imported=level in imported_levels,
    )
