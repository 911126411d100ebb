"""Public area figures: the area finder, area pages, maps and open-data downloads (part of the
data seam: views reach this only through :func:`saferplaces.web.datasource.public_data`).

Everything here is police.uk open data (street-level crime and anti-social behaviour) summed
into areas from the base mart, with the lake's counting rules: crimes are distinct police.uk
Crime IDs; anti-social behaviour (ASB) is counted in incidents (rows), which are not crimes.
Partner data never reaches this module.

Disclosure control is decided here, in the query layer, as for partner data
(:mod:`saferplaces.publish.disclosure`): police.uk data is a ``public`` dataset, so its access
mode for the public audience is ``access_mode("public", "public", min_cell_size)``, where
``min_cell_size`` is the workspace's ``[open_data] min_cell_size`` (default 0: raw, as police.uk
publishes it and as the Scorecard and the API show it). With a minimum cell size, each level's
table (area × category × month, with the "all crimes" and 12-month totals as nodes of the same
lattice) is protected by :func:`~saferplaces.publish.disclosure.protect` once per lake state,
and every public output (pages, downloads, maps, the API's counts) reads the protected values.

The tables are computed once per lake state and level (see :mod:`.lake_views`).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..taxonomy import Category, categories
from ..workspace import Workspace
from .scorecard_data import month_name

if TYPE_CHECKING:
    from .datasource import AreaCounts, AreaRow, LevelArrays


def parent_level(level: str) -> str | None:
    from .datasource import parent_level as parent_of_level

    return parent_of_level(level)


ALL_CRIME = "all-crime"
ASB = "anti-social-behaviour"
LATEST = "latest-12-months"
PREVIOUS = "previous-12-months"
EARLIER = "earlier"

#: Status of a published figure.
PUBLISHED, SUPPRESSED, NO_DATA = 0, 1, 2
STATUS_WORDS = {PUBLISHED: "published", SUPPRESSED: "suppressed", NO_DATA: "no data"}

CRIMES_COUNTED = "crimes: distinct police.uk Crime IDs"
ASB_COUNTED = "anti-social behaviour: incidents (rows in the police.uk files), not crimes"

LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ATTRIBUTION = [
    "Contains public sector information licensed under the Open Government Licence v3.0.",
    "Crime and anti-social behaviour data: police.uk (data.police.uk), published by the police "
    "forces of England and Wales.",
    "Contains National Statistics data © Crown copyright and database right.",
]
BOUNDARY_ATTRIBUTION = "Contains OS data © Crown copyright and database right."

_LEVEL_NAMES = {
    "force": ("police force area", "police force areas"),
    "lad": ("district", "districts"),
    "msoa": ("neighbourhood (MSOA)", "neighbourhoods (MSOAs)"),
}


def level_names(level: str) -> tuple[str, str]:
    """(singular, plural) name of a level for residents: ``lad`` → district, districts."""
    if level in _LEVEL_NAMES:
        return _LEVEL_NAMES[level]
    word = level.replace("_", " ").replace("-", " ")
    return word, word if word.endswith("s") else f"{word}s"


def _categories_by_slug() -> dict[str, Category]:
    out: dict[str, Category] = {}
    for cat in categories().values():
        out.setdefault(cat.slug, cat)  # the current label of a slug shared with a historic one
    return out


# =============================================================================================
# One level's police.uk table, as the public may see it


@dataclass
class OpenTable:
    """Counts of one level for the public: areas × category nodes × periods.

    Category nodes are the crime categories, then ``all-crime`` (their total), then ``ASB``.
    Periods are every month of the lake (gaps included), then ``LATEST`` and ``PREVIOUS`` (the
    latest 12 months held and the 12 before them). ``values`` is NaN wherever ``status`` is not
    :data:`PUBLISHED`."""

    level: str
    areas: list[AreaRow]
    index: dict[str, int]
    months: list[str]
    missing: list[bool]
    crime_categories: list[tuple[str, str]]  # (slug, label)
    nodes: list[str]
    periods: list[str]
    values: NDArray[np.float64]
    status: NDArray[np.int8]
    windows: dict[str, list[str]]
    residents: NDArray[np.float64]
    residents_label: str
    min_cell_size: int
    mode: Literal["raw", "controlled"]
    footnotes: list[str] = field(default_factory=list)
    categories_withheld: bool = False
    withheld: str | None = None

    @property
    def suppressed_any(self) -> bool:
        return bool((self.status == SUPPRESSED).any())

    def node_label(self, node: str) -> str:
        if node == ALL_CRIME:
            return "All crimes"
        if node == ASB:
            return "Anti-social behaviour incidents"
        return dict(self.crime_categories).get(node, node)

    def window_complete(self, window: str) -> bool:
        months = self.windows.get(window, [])
        miss = dict(zip(self.months, self.missing, strict=True))
        return len(months) == 12 and not any(miss[m] for m in months)

    def figure(self, code: str, node: str, period: str) -> Figure:
        i = self.index[code]
        k = self.nodes.index(node)
        t = self.periods.index(period)
        st = int(self.status[i, k, t])
        return Figure(int(self.values[i, k, t]) if st == PUBLISHED else None, st)


@dataclass(frozen=True)
class Figure:
    value: int | None
    status: int

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def word(self) -> str:
        return STATUS_WORDS[self.status]


def window_months(months: Sequence[str]) -> dict[str, list[str]]:
    """The latest 12 months held (fewer if fewer are held) and the 12 before them."""
    n = len(months)
    return {
        LATEST: list(months[max(0, n - 12) :]),
        PREVIOUS: list(months[max(0, n - 24) : max(0, n - 12)]),
    }


def build_open_table(
    level: str,
    arrays: LevelArrays,
    cube_categories: Sequence[str],
    months: Sequence[str],
    missing: Sequence[bool],
    min_cell_size: int,
) -> OpenTable:
    """The level's table for the public audience (see the module docs)."""
    from ..publish.disclosure import Audience, Sensitivity, access_mode

    by_slug = _categories_by_slug()
    known_order = list(by_slug)
    crime_slugs = sorted(
        (c for c in cube_categories if not (c in by_slug and by_slug[c].kind == "asb")),
        key=lambda c: (known_order.index(c) if c in known_order else len(known_order), c),
    )
    crime_cats = [(s, by_slug[s].label if s in by_slug else s) for s in crime_slugs]
    nodes = [*crime_slugs, ALL_CRIME, ASB]
    windows = window_months(months)
    periods = [*months, LATEST, PREVIOUS]
    n_areas, n_months = len(arrays.areas), len(months)
    cat_index = {c: j for j, c in enumerate(cube_categories)}
    raw = np.full((n_areas, len(nodes), len(periods)), np.nan)
    for k, slug in enumerate(crime_slugs):
        raw[:, k, :n_months] = arrays.crimes[:, cat_index[slug], :]
    raw[:, len(crime_slugs), :n_months] = np.nansum(raw[:, : len(crime_slugs), :n_months], axis=1)
    if ASB in cat_index:
        raw[:, len(crime_slugs) + 1, :n_months] = arrays.asb[:, cat_index[ASB], :]
    else:
        raw[:, len(crime_slugs) + 1, :n_months] = 0.0
    miss = np.asarray(missing, dtype=bool)
    raw[:, :, :n_months][:, :, miss] = np.nan
    pos = {m: t for t, m in enumerate(months)}
    for w, name in ((n_months, LATEST), (n_months + 1, PREVIOUS)):
        idx = [pos[m] for m in windows[name] if not miss[pos[m]]]
        if idx:
            raw[:, :, w] = raw[:, :, idx].sum(axis=2)
    status = np.where(np.isnan(raw), NO_DATA, PUBLISHED).astype(np.int8)
    mode = access_mode(
        Sensitivity.PUBLIC, Audience.PUBLIC, min_cell_size, dataset="police.uk street data"
    )
    table = OpenTable(
        level=level,
        areas=list(arrays.areas),
        index=dict(arrays.index),
        months=list(months),
        missing=[bool(x) for x in missing],
        crime_categories=crime_cats,
        nodes=nodes,
        periods=periods,
        values=raw,
        status=status,
        windows=windows,
        residents=np.asarray(arrays.residents, dtype=np.float64),
        residents_label=arrays.residents_label,
        min_cell_size=min_cell_size,
        mode=mode,
    )
    if mode == "controlled" and n_areas:
        _protect(table)
    return table


def _protect(table: OpenTable) -> None:
    """Replace ``table``'s figures by the protected ones (primary and secondary suppression
    over the whole lattice). Too large a table to audit is published without its categories;
    if even that is too large, the level is withheld."""
    from ..publish.disclosure import Dimension, TableTooLargeError, protect

    n_months = len(table.months)
    codes = [a.code for a in table.areas]
    present = [m for m, gone in zip(table.months, table.missing, strict=True) if not gone]
    in_window = {m: w for w in (LATEST, PREVIOUS) for m in table.windows[w]}
    period_dim = Dimension(
        "period", tuple(present), {m: in_window.get(m, EARLIER) for m in present}
    )
    crime_slugs = [s for s, _ in table.crime_categories]
    k_all, k_asb = len(crime_slugs), len(crime_slugs) + 1
    month_pos = {m: t for t, m in enumerate(table.months)}
    raw = table.values

    def cells(leaf_nodes: list[tuple[str, int]]) -> dict[tuple[Any, ...], float]:
        out: dict[tuple[Any, ...], float] = {}
        for i, code in enumerate(codes):
            for node, k in leaf_nodes:
                for m in present:
                    v = raw[i, k, month_pos[m]]
                    if v:
                        out[(code, node, m)] = float(v)
        return out

    area_dim = Dimension("area", tuple(codes))
    detailed = Dimension("category", (*crime_slugs, ASB), dict.fromkeys(crime_slugs, ALL_CRIME))
    coarse = Dimension("category", (ALL_CRIME, ASB))
    protected = None
    for cat_dim, leaves in (
        (detailed, [*((s, k) for k, s in enumerate(crime_slugs)), (ASB, k_asb)]),
        (coarse, [(ALL_CRIME, k_all), (ASB, k_asb)]),
    ):
        try:
            protected = protect(
                cells(leaves), [area_dim, cat_dim, period_dim], threshold=table.min_cell_size
            )
        except TableTooLargeError:
            continue
        table.categories_withheld = cat_dim is coarse
        break
    values = np.full(raw.shape, np.nan)
    status = np.full(raw.shape, SUPPRESSED, dtype=np.int8)
    status[np.isnan(raw)] = NO_DATA
    if protected is None:
        table.withheld = (
            "This level has too many small numbers to protect them all, so its figures are "
            f"not published (counts below {table.min_cell_size} are never shown)."
        )
        table.values, table.status = values, status
        table.footnotes = [table.withheld]
        return
    published_nodes = (
        [(ALL_CRIME, k_all), (ASB, k_asb)]
        if table.categories_withheld
        else [*((s, k) for k, s in enumerate(crime_slugs)), (ALL_CRIME, k_all), (ASB, k_asb)]
    )
    periods = [(m, month_pos[m]) for m in present]
    periods += [
        (w, n_months + j)
        for j, w in enumerate((LATEST, PREVIOUS))
        if any(in_window.get(m) == w for m in present)
    ]
    for i, code in enumerate(codes):
        for node, k in published_nodes:
            for period, t in periods:
                v = protected.values.get((code, node, period))
                if v is None:
                    status[i, k, t] = SUPPRESSED
                else:
                    values[i, k, t] = float(v)
                    status[i, k, t] = PUBLISHED
    table.values, table.status = values, status
    notes = list(protected.footnotes)
    if table.categories_withheld:
        notes.append(
            "Figures by category are not published for this level: it has too many small "
            "numbers to protect them all. Totals of all crimes and of anti-social behaviour are."
        )
    table.footnotes = notes


# =============================================================================================
# What an area page says


@dataclass(frozen=True)
class Window:
    key: str
    months: list[str]
    missing: list[str]

    @property
    def held(self) -> int:
        return len(self.months) - len(self.missing)

    @property
    def complete(self) -> bool:
        return len(self.months) == 12 and not self.missing

    @property
    def label(self) -> str:
        if not self.months:
            return ""
        return f"{month_name(self.months[0])} to {month_name(self.months[-1])}"


@dataclass(frozen=True)
class Change:
    """Whether a count changed between the two windows, in words (never without the test)."""

    kind: Literal["up", "down", "same", "too-few", "not-compared"]
    short: str
    text: str
    test: str | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class Rate:
    value: float
    lower: float
    upper: float
    residents: float
    denominator: str


@dataclass(frozen=True)
class Measure:
    key: str  # "crimes" or "asb"
    what: str  # "crimes", "anti-social behaviour incidents"
    counted: str
    latest: Figure
    previous: Figure
    change: Change
    rate: Rate | None


@dataclass(frozen=True)
class CategoryFigure:
    slug: str
    label: str
    latest: Figure
    share: float | None
    proactive: bool


@dataclass(frozen=True)
class MonthFigures:
    month: str
    label: str
    crimes: Figure
    asb: Figure


@dataclass(frozen=True)
class ChildGroup:
    level: str
    label: str  # plural, e.g. "districts"
    areas: list[AreaRow]


@dataclass(frozen=True)
class BriefingLinks:
    level: str
    html: str | None
    pdf: str | None
    headline: str
    period: str


@dataclass(frozen=True)
class AreaSummary:
    area: AreaRow
    level_label: str
    parent: AreaRow | None
    children: list[ChildGroup]
    latest: Window
    previous: Window
    crimes: Measure
    asb: Measure
    categories: list[CategoryFigure]
    categories_withheld: bool
    monthly: list[MonthFigures]
    caveats: list[str]
    footnotes: list[str]
    min_cell_size: int
    withheld: str | None
    months_held: int

    @property
    def max_monthly(self) -> int:
        vals = [m.crimes.value or 0 for m in self.monthly] + [
            m.asb.value or 0 for m in self.monthly
        ]
        return max(vals, default=0)


def change_between(
    before: Figure, after: Figure, latest: Window, previous: Window, what: str
) -> Change:
    """The latest 12 months against the 12 before them by the E-test (as
    :func:`saferplaces.stats.change.rolling_12_months` compares them), in plain words; a change
    is called a change only when the test says it is one."""
    from ..stats._verdict import SMALL_COUNT
    from ..stats.change import e_test

    if not previous.months or len(previous.months) < 12 or len(latest.months) < 12:
        held = len(latest.months) + len(previous.months)
        return Change(
            "not-compared",
            "No comparison yet",
            f"Not compared: {held} month{'s' if held != 1 else ''} of data are held, and a "
            "comparison of 12 months with the 12 before them needs 24.",
        )
    if latest.missing or previous.missing:
        gone = ", ".join(month_name(m) for m in [*previous.missing, *latest.missing])
        return Change(
            "not-compared",
            "No comparison",
            f"Not compared: police.uk has no data for {gone}, so one of the totals is too low.",
        )
    if not (before.published and after.published):
        return Change(
            "not-compared",
            "No comparison",
            "Not compared: one of the totals is not published (disclosure control).",
        )
    a, b = int(after.value or 0), int(before.value or 0)
    if min(a, b) < SMALL_COUNT:
        return Change(
            "too-few",
            "Too few to tell",
            f"{a:,} {what} compared with {b:,} in the 12 months before: numbers this small go "
            "up and down by chance, so it is too few to tell whether anything changed.",
        )
    # The test ``rolling_12_months`` runs on the two 12-month totals (E-test).
    result = e_test(float(b), float(a))
    if result.significant:
        up = a > b
        pct = abs(a - b) / b * 100 if b else 0.0
        return Change(
            "up" if up else "down",
            ("Up" if up else "Down") + ": a real change",
            f"{'Up' if up else 'Down'} from {b:,} to {a:,} ({pct:.0f}% "
            f"{'more' if up else 'fewer'}): more than chance alone would explain.",
            result.test,
            result.p_value,
        )
    return Change(
        "same",
        "No real change",
        f"{a:,} compared with {b:,} in the 12 months before: the difference is within what "
        "chance alone produces.",
        result.test,
        result.p_value,
    )


def _rate(fig: Figure, residents: float, label: str, window: Window) -> Rate | None:
    from ..stats.rates import rate

    if not fig.published or not (residents == residents and residents > 0) or not window.months:
        return None
    r = rate(float(fig.value or 0), residents)
    return Rate(r.value, r.lower, r.upper, residents, label)


def summarise(
    table: OpenTable,
    code: str,
    *,
    parent: AreaRow | None,
    children: list[ChildGroup],
    no_location_share: float | None,
    lsoa_vintage: str,
) -> AreaSummary:
    i = table.index[code]
    area = table.areas[i]
    miss = dict(zip(table.months, table.missing, strict=True))
    latest = Window(LATEST, table.windows[LATEST], [m for m in table.windows[LATEST] if miss[m]])
    previous = Window(
        PREVIOUS, table.windows[PREVIOUS], [m for m in table.windows[PREVIOUS] if miss[m]]
    )
    residents = float(table.residents[i])
    measures = {}
    for key, node, what, counted in (
        ("crimes", ALL_CRIME, "crimes", CRIMES_COUNTED),
        ("asb", ASB, "anti-social behaviour incidents", ASB_COUNTED),
    ):
        after = table.figure(code, node, LATEST)
        before = table.figure(code, node, PREVIOUS)
        measures[key] = Measure(
            key,
            what,
            counted,
            after,
            before,
            change_between(before, after, latest, previous, what),
            _rate(after, residents, table.residents_label, latest)
            if key == "crimes" or after.published
            else None,
        )
    by_slug = _categories_by_slug()
    total = measures["crimes"].latest
    cats = []
    for slug, label in table.crime_categories:
        f = table.figure(code, slug, LATEST)
        share = (
            (f.value or 0) / total.value
            if f.published and total.published and total.value
            else None
        )
        note = by_slug[slug].note if slug in by_slug else ""
        cats.append(CategoryFigure(slug, label, f, share, note.startswith("Proactive")))
    cats.sort(key=lambda c: (-(c.latest.value or -1) if c.latest.published else 1, c.label))
    monthly = [
        MonthFigures(
            m,
            month_name(m),
            table.figure(code, ALL_CRIME, m),
            table.figure(code, ASB, m),
        )
        for m in table.months
    ]
    caveats = []
    gone = [m for m, x in zip(table.months, table.missing, strict=True) if x]
    if gone:
        caveats.append(
            "police.uk has no data for "
            + ", ".join(month_name(m) for m in gone)
            + ": those months are shown as missing, never as zero, and totals that include them "
            "are incomplete."
        )
    if len(latest.months) < 12:
        caveats.append(
            f"Only {len(latest.months)} month{'s' if len(latest.months) != 1 else ''} of data "
            "are held, so the latest figures cover less than a year."
        )
    if no_location_share:
        caveats.append(
            f"{no_location_share:.1%} of police.uk records for the force have no location; "
            "they count in the force's totals but in no smaller area."
        )
    caveats.append(
        "Locations are approximate: police.uk moves each crime to a nearby 'snap point' to "
        "protect victims' privacy, so a crime near a boundary can be counted in the next area."
    )
    if lsoa_vintage not in {"2011", "2021", "unknown", "n/a (points)"}:
        caveats.append(
            f"The police.uk files use different sets of neighbourhood codes ({lsoa_vintage}), so "
            "small-area figures may move between neighbouring areas over time."
        )
    if any(c.proactive and c.latest.published and c.latest.value for c in cats):
        caveats.append(
            "Drugs and possession of weapons offences are mostly found by the police "
            "themselves: their numbers reflect police activity as much as offending."
        )
    return AreaSummary(
        area=area,
        level_label=level_names(table.level)[0],
        parent=parent,
        children=children,
        latest=latest,
        previous=previous,
        crimes=measures["crimes"],
        asb=measures["asb"],
        categories=cats,
        categories_withheld=table.categories_withheld,
        monthly=monthly,
        caveats=caveats,
        footnotes=list(table.footnotes),
        min_cell_size=table.min_cell_size,
        withheld=table.withheld,
        months_held=sum(1 for x in table.missing if not x),
    )


# =============================================================================================
# Search


@dataclass(frozen=True)
class AreaMatch:
    area: AreaRow
    level_label: str
    parent_name: str | None
    via: str = ""


POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)(?:\s*([0-9][A-Z]{2}))?$")


def postcode_district(query: str) -> str | None:
    """The postcode district (outward code) of a full postcode or a district: ``bs1 4st`` →
    ``BS1``; None if ``query`` is neither."""
    m = POSTCODE.match(re.sub(r"\s+", " ", query.strip().upper()))
    if not m:
        return None
    if m.group(2) is None and len(query.replace(" ", "")) > 4:
        return None
    return m.group(1)


def rank_match(query: str, area: AreaRow) -> int | None:
    """How well ``area`` matches ``query`` (lower is better; None: no match)."""
    q = query.casefold()
    code, name = area.code.casefold(), area.name.casefold()
    if q == code:
        return 0
    if q == name:
        return 1
    if name.startswith(q):
        return 2
    if any(w.startswith(q) for w in re.split(r"[\s,()\-/]+", name)):
        return 3
    if q in name:
        return 4
    if len(q) >= 3 and code.startswith(q):
        return 5
    return None


# =============================================================================================
# Maps and downloads


def source_name(path: object) -> str:
    """A source file as the public sees it: file names only, never a server's folders
    (``/srv/in/x.zip!2019-08/a.csv`` → ``x.zip!2019-08/a.csv``)."""
    text = str(path or "")
    outer, sep, inner = text.partition("!")
    return Path(outer).name + sep + inner


def policeuk_provenance(cube_provenance: Sequence[dict[str, object]]) -> list[dict[str, Any]]:
    """One entry per force-month of police.uk data behind the figures: file, SHA-256, when it
    was ingested, rows and crimes (from the lake partitions' provenance)."""
    out = []
    for p in cube_provenance:
        out.append(
            {
                "force": p.get("force"),
                "month": p.get("month"),
                "source_file": source_name(p.get("source_file")),
                "sha256": p.get("source_sha256"),
                "ingested_at": p.get("ingested_at"),
                "ingest_id": p.get("ingest_id"),
                "rows": p.get("rows"),
                "lsoa_vintage": p.get("lsoa_vintage"),
            }
        )
    return sorted(out, key=lambda r: (str(r["force"]), str(r["month"])))


def geojson_feature_properties(table: OpenTable, code: str) -> dict[str, Any]:
    """Flat properties of one area for maps: the latest 12 months by category, crimes, ASB
    and the rate per 1,000 residents (None: not published)."""
    i = table.index[code]
    area = table.areas[i]
    crimes = table.figure(code, ALL_CRIME, LATEST)
    asb = table.figure(code, ASB, LATEST)
    residents = float(table.residents[i])
    have_res = residents == residents and residents > 0
    props: dict[str, Any] = {
        "parent": area.parent,
        "crimes": crimes.value,
        "asb_incidents": asb.value,
        "residents": residents if have_res else None,
        "rate_per_1000": (
            round((crimes.value or 0) / residents * 1000, 2)
            if crimes.published and have_res
            else None
        ),
    }
    suppressed = [
        name for name, f in (("crimes", crimes), ("asb_incidents", asb)) if f.status == SUPPRESSED
    ]
    for slug, _ in table.crime_categories:
        f = table.figure(code, slug, LATEST)
        props[slug] = f.value
        if f.status == SUPPRESSED:
            suppressed.append(slug)
    props["suppressed"] = suppressed
    return props


@dataclass
class _Cache:
    """Figures kept per lake state (the state is part of every key), least recently used
    dropped first. Values are computed outside the lock: two threads may both compute one,
    never block each other on it."""

    maxsize: int = 2048
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: OrderedDict[tuple[str, ...], Any] = field(default_factory=OrderedDict)

    def get(self, key: tuple[str, ...], make: Any) -> Any:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = make()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)
        return value


CACHE = _Cache()


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def children_groups(
    level: str, code: str, levels: Sequence[str], arrays_of: Any
) -> list[ChildGroup]:
    """Areas of the levels below ``level`` whose parent is ``code``."""
    out = []
    for lv in levels:
        if parent_level(lv) != level:
            continue
        arrays = arrays_of(lv)
        if arrays is None:
            continue
        kids = sorted((a for a in arrays.areas if a.parent == code), key=lambda a: a.name)
        if kids:
            out.append(ChildGroup(lv, level_names(lv)[1], kids))
    return out


# =============================================================================================
# The public object's methods (mixed into datasource.PublicData)

MAX_QUERY = 100
MAX_RESULTS = 50


@dataclass(frozen=True)
class LevelInfo:
    level: str
    singular: str
    plural: str
    areas: int
    has_boundaries: bool


@dataclass(frozen=True)
class MapSettings:
    basemap_pmtiles: str
    basemap_style: str
    basemap_attribution: str

    @property
    def basemap(self) -> bool:
        return bool(self.basemap_pmtiles or self.basemap_style)


class AreasMixin:
    """Area finder, area pages, maps and downloads for :class:`~.datasource.PublicData`."""

    workspace: Workspace

    # --- levels and tables --------------------------------------------------------------------

    def _state_key(self) -> str:
        from .datasource import lake_state

        return lake_state(self.workspace)

    def _key(self, *parts: str) -> tuple[str, ...]:
        return (str(self.workspace.root), self._state_key(), *parts)

    def public_levels(self) -> list[LevelInfo]:
        """Every level with areas: force, district, MSOA, then the imported levels."""
        from .datasource import area_levels, level_arrays

        def make() -> list[LevelInfo]:
            out = []
            stored = set(self._stored_boundary_levels())
            for lv in area_levels(self.workspace):
                try:
                    arrays = level_arrays(self.workspace, lv)
                except Exception:  # an imported level that cannot be counted is left out
                    arrays = None
                if arrays is None or not arrays.areas:
                    continue
                one, many = level_names(lv)
                out.append(LevelInfo(lv, one, many, len(arrays.areas), lv in stored))
            return out

        result: list[LevelInfo] = CACHE.get(self._key("levels"), make)
        return result

    def _stored_boundary_levels(self) -> list[str]:
        from .datasource import partition_provenance

        return [keys["level"] for keys, _ in partition_provenance(self.workspace, "areas")]

    def level_info(self, level: str) -> LevelInfo | None:
        return next((lv for lv in self.public_levels() if lv.level == level), None)

    def _arrays(self, level: str) -> LevelArrays | None:
        from .datasource import level_arrays

        if self.level_info(level) is None:
            return None
        arrays: LevelArrays | None = level_arrays(self.workspace, level)
        return arrays

    def open_table(self, level: str) -> OpenTable | None:
        """The level's police.uk table as the public may see it (None: unknown level)."""
        from .datasource import lake_state_figures

        min_cell = self.workspace.config.open_data.min_cell_size

        def make() -> OpenTable | None:
            arrays = self._arrays(level)
            st = lake_state_figures(self.workspace)
            if arrays is None or st is None:
                return None
            cube = st.cube
            return build_open_table(
                level, arrays, list(cube.categories), list(cube.months),
                [bool(x) for x in cube.missing], min_cell,
            )  # fmt: skip

        table: OpenTable | None = CACHE.get(self._key("table", level, str(min_cell)), make)
        return table

    def _all_areas(self) -> list[AreaRow]:
        def make() -> list[AreaRow]:
            out: list[AreaRow] = []
            for info in self.public_levels():
                arrays = self._arrays(info.level)
                if arrays is not None:
                    out.extend(arrays.areas)
            return out

        rows: list[AreaRow] = CACHE.get(self._key("all-areas"), make)
        return rows

    def protected_area_counts(self, level: str, code: str) -> AreaCounts | None:
        """The API's :class:`~.datasource.AreaCounts` of one area from the protected table,
        when the workspace sets a minimum cell size (None otherwise, or for no such area)."""
        from .datasource import AreaCounts, CategoryCounts

        if self.workspace.config.open_data.min_cell_size <= 0:
            return None
        table = self.open_table(level)
        if table is None or code not in table.index:
            return None
        n = len(table.months)

        def series(node: str) -> list[int | None]:
            return [table.figure(code, node, m).value for m in table.months[:n]]

        total = series(ALL_CRIME)
        residents = float(table.residents[table.index[code]])
        have = residents == residents and residents > 0
        return AreaCounts(
            area=table.areas[table.index[code]],
            months=list(table.months),
            categories=[CategoryCounts(s, label, series(s)) for s, label in table.crime_categories],
            total=total,
            asb_incidents=series(ASB),
            residents=residents if have else None,
            denominator_label=table.residents_label if have else None,
            rate_per_1000=[
                round(v / residents * 1000, 4) if v is not None and have else None for v in total
            ],
        )

    def find_area(self, level: str, code: str) -> AreaRow | None:
        arrays = self._arrays(level)
        if arrays is None or code not in arrays.index:
            return None
        return arrays.areas[arrays.index[code]]

    def parent_of(self, area: AreaRow) -> AreaRow | None:
        plevel = parent_level(area.level)
        if plevel is None or area.parent is None:
            return None
        return self.find_area(plevel, area.parent)

    # --- search -------------------------------------------------------------------------------

    def search_areas(self, query: str) -> list[AreaMatch]:
        """Areas whose name or code matches ``query`` (best first), and the areas of a
        postcode district when a postcode lookup is imported."""
        q = " ".join(query.split())[:MAX_QUERY]
        if not q:
            return []
        names = {(a.level, a.code): a.name for a in self._all_areas()}
        order = {info.level: n for n, info in enumerate(self.public_levels())}
        found: list[tuple[tuple[int, int, str], AreaMatch]] = []
        seen: set[tuple[str, str]] = set()
        district = postcode_district(q)
        if district is not None:
            for level, code, share in self.postcode_areas(district):
                area = self.find_area(level, code)
                if area is None or (level, code) in seen:
                    continue
                seen.add((level, code))
                parent = parent_level(level)
                found.append(
                    (
                        (-1, order.get(level, 99), f"{1 - share:.6f}"),
                        AreaMatch(
                            area,
                            level_names(level)[0],
                            names.get((parent, area.parent or "")) if parent else None,
                            f"{share:.0%} of postcodes in {district}",
                        ),
                    )
                )
        for area in self._all_areas():
            rank = rank_match(q, area)
            if rank is None or (area.level, area.code) in seen:
                continue
            parent = parent_level(area.level)
            found.append(
                (
                    (rank, order.get(area.level, 99), area.name.casefold()),
                    AreaMatch(
                        area,
                        level_names(area.level)[0],
                        names.get((parent, area.parent or "")) if parent else None,
                    ),
                )
            )
        found.sort(key=lambda x: x[0])
        return [m for _, m in found[:MAX_RESULTS]]

    # --- postcodes ----------------------------------------------------------------------------

    def postcode_lookup_info(self) -> dict[str, Any] | None:
        """Provenance of the imported postcode lookup (None: none imported)."""
        from ..geo.postcodes import postcode_lookup_info

        return postcode_lookup_info(self.workspace.lake_dir)

    def postcode_districts(self) -> Any:
        """The imported postcode lookup (:class:`~saferplaces.geo.postcodes.PostcodeDistricts`)
        or None."""
        from ..geo.postcodes import PostcodeDistricts

        def make() -> PostcodeDistricts | None:
            return PostcodeDistricts.load(self.workspace.lake_dir)

        return CACHE.get(self._key("postcodes"), make)

    def postcode_areas(self, district: str) -> list[tuple[str, str, float]]:
        """(level, code, share of the district's postcodes) of the partnership's areas a
        postcode district lies in, for the levels whose areas are made of LSOAs (districts,
        MSOAs, imported LSOA lookups)."""
        lookup = self.postcode_districts()
        if lookup is None or not lookup.known(district):
            return []

        def mappings() -> dict[str, dict[str, str]]:
            from ..geo import Hierarchy, lookup_from_level

            vintage = 2021 if self._lsoa_vintage() == "2021" else 2011
            out: dict[str, dict[str, str]] = {}
            hierarchy = Hierarchy.for_workspace(self.workspace)
            for info in self.public_levels():
                if info.level in {"lad", "msoa"}:
                    out[info.level] = lookup_from_level(vintage, info.level).mapping()  # type: ignore[arg-type]
                elif info.level != "force":
                    user = hierarchy.user_lookup(info.level)
                    if user is not None:
                        out[info.level] = user.mapping()
            return out

        maps: dict[str, dict[str, str]] = CACHE.get(self._key("postcode-mappings"), mappings)
        vintage = 2021 if self._lsoa_vintage() == "2021" else 2011
        found: list[tuple[str, str, float]] = lookup.areas(district, maps, vintage)
        return [f for f in found if self.find_area(f[0], f[1]) is not None]

    # --- the area page ------------------------------------------------------------------------

    def area_summary(self, level: str, code: str) -> AreaSummary | None:
        """Everything the area page says about one area (None: no such area)."""

        def make() -> AreaSummary | None:
            table = self.open_table(level)
            if table is None or code not in table.index:
                return None
            area = table.areas[table.index[code]]
            levels = [info.level for info in self.public_levels()]
            kids = children_groups(level, code, levels, self._arrays)
            return summarise(
                table,
                code,
                parent=self.parent_of(area),
                children=kids,
                no_location_share=self._no_location_share(),
                lsoa_vintage=self._lsoa_vintage(),
            )

        summary: AreaSummary | None = CACHE.get(self._key("summary", level, code), make)
        return summary

    def _no_location_share(self) -> float | None:
        from .datasource import lake_coverage

        rows = no_loc = 0
        forces = set(self.workspace.config.partnership.forces)
        for cov in lake_coverage(self.workspace):
            if cov.dataset == "street" and (not forces or cov.force in forces):
                rows += cov.rows
                no_loc += round((cov.no_location_share or 0.0) * cov.rows)
        return no_loc / rows if rows else None

    def _lsoa_vintage(self) -> str:
        from .datasource import lake_state_figures

        st = lake_state_figures(self.workspace)
        return str(st.cube.lsoa_vintage) if st is not None else "unknown"

    def area_chart_svg(self, level: str, code: str) -> str | None:
        """The area's monthly crimes and ASB incidents as an SVG chart (Vega-Lite made into
        SVG by vl-convert, as the dashboard's charts); None without vl-convert or data."""

        def make() -> str | None:
            summary = self.area_summary(level, code)
            if summary is None:
                return None
            from ..publish.scorecard import _svg

            return _svg(chart_spec(summary))

        svg: str | None = CACHE.get(self._key("chart", level, code), make)
        return svg

    def briefing(self, level: str, code: str) -> BriefingLinks | None:
        """The area's neighbourhood briefing, if one was written to the workspace's
        ``published/briefings/<level>/`` folder (as ``make demo`` does)."""
        report = self._briefing_report(level)
        if report is None:
            return None
        for r in report.get("results", []):
            if r.get("code") == code and not r.get("error") and r.get("html"):
                return BriefingLinks(
                    level, r.get("html"), r.get("pdf"), str(r.get("headline") or ""),
                    str(report.get("period") or ""),
                )  # fmt: skip
        return None

    def _briefing_dir(self, level: str) -> Path | None:
        from ..geo.areas import check_level

        try:
            check_level(level)
        except ValueError:
            return None
        folder = self.workspace.published_dir / "briefings" / level
        return folder if folder.is_dir() else None

    def _briefing_report(self, level: str) -> dict[str, Any] | None:
        folder = self._briefing_dir(level)
        if folder is None:
            return None
        path = folder / "report.json"
        try:
            st = path.stat()
        except OSError:
            return None
        key = ("briefing-report", str(path), str(st.st_mtime_ns), str(st.st_size))
        report: Any = CACHE.get(key, lambda: read_json(path))
        return report if isinstance(report, dict) else None

    def briefing_file(self, level: str, name: str) -> Path | None:
        """A file of the level's published briefings, only if the briefings' report lists it
        (or it is their index page or one of their stylesheets): no other path can be reached."""
        folder = self._briefing_dir(level)
        report = self._briefing_report(level)
        if folder is None or report is None:
            return None
        allowed = {"index.html"}
        for r in report.get("results", []):
            if not r.get("error"):
                allowed.update(str(r[k]) for k in ("html", "pdf", "json") if r.get(k))
        assets = folder / "assets"
        if assets.is_dir():
            allowed.update(f"assets/{p.name}" for p in assets.iterdir() if p.suffix == ".css")
        if name not in allowed:
            return None
        path = (folder / name).resolve()
        if not path.is_file() or folder.resolve() not in path.parents:
            return None
        return path

    # --- maps ---------------------------------------------------------------------------------

    def map_settings(self) -> MapSettings:
        m = self.workspace.config.maps
        return MapSettings(m.basemap_pmtiles, m.basemap_style, m.basemap_attribution)

    def _boundaries(self, level: str) -> Any:
        """The stored boundaries of the level's areas (None: none stored)."""
        from ..geo import Hierarchy

        table = self.open_table(level)
        info = self.level_info(level)
        if table is None or info is None or not info.has_boundaries:
            return None
        stored = Hierarchy.for_workspace(self.workspace).areas(level)
        if stored is None:
            return None
        codes = [a.code for a in table.areas if a.code in stored]
        return stored.subset(codes) if codes else None

    def level_geojson(self, level: str, *, counts: bool) -> str | None:
        """The level's boundaries as GeoJSON (WGS84, simplified), with the latest 12 months'
        figures when ``counts``; a top-level ``metadata`` member carries the licence and
        provenance. None: no boundaries stored for this level."""

        def make() -> str | None:
            from ..geo.webgeom import to_web_geojson

            areas = self._boundaries(level)
            table = self.open_table(level)
            if areas is None or table is None:
                return None
            codes = [str(c) for c in areas.codes]
            props: dict[str, Sequence[Any]] = {}
            rows = [
                geojson_feature_properties(table, c)
                if counts
                else {"parent": table.areas[table.index[c]].parent}
                for c in codes
            ]
            for key in rows[0] if rows else {}:
                props[key] = [r[key] for r in rows]
            gj = to_web_geojson(areas, properties=props).geojson
            gj["metadata"] = self.download_meta(level, kind="counts" if counts else "boundaries")
            return json.dumps(gj, separators=(",", ":"), ensure_ascii=False)

        text: str | None = CACHE.get(self._key("geojson", level, str(counts)), make)
        return text

    # --- downloads ----------------------------------------------------------------------------

    def download_meta(self, level: str, *, kind: str = "counts") -> dict[str, Any]:
        """Licence, counting rules, disclosure and provenance of a level's downloads."""

        def make() -> dict[str, Any]:
            from datetime import UTC, datetime

            from .datasource import lake_state_figures

            table = self.open_table(level)
            st = lake_state_figures(self.workspace)
            one, many = level_names(level)
            boundaries = self._boundary_provenance(level)
            attribution = list(ATTRIBUTION)
            if boundaries is not None:
                attribution.append(BOUNDARY_ATTRIBUTION)
            meta: dict[str, Any] = {
                "title": f"Crime and anti-social behaviour by {one} and month",
                "publisher": self.workspace.config.partnership.name,
                "level": level,
                "level_label": one,
                "licence": {"name": LICENCE_NAME, "url": LICENCE_URL},
                "attribution": attribution,
                "counting": {
                    "crimes": "Distinct police.uk Crime IDs in the month (a crime listed twice "
                    "is counted once).",
                    "anti-social-behaviour": "Incidents: rows of the police.uk files. "
                    "Incidents are not crimes and are never added to crime totals.",
                    "all-crime": "The total of the crime categories (anti-social behaviour is "
                    "not included). Do not add it to the category rows.",
                    "areas": "Crimes are counted into areas by the neighbourhood (LSOA) police.uk "
                    "gives; records with no location are in no area.",
                },
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "lake_state": self._state_key(),
                "provenance": {
                    "policeuk": policeuk_provenance(st.cube.provenance) if st else [],
                    "boundaries": boundaries,
                    "areas": self._areas_source(level),
                    "denominator": table.residents_label if table else "",
                },
            }
            if table is not None:
                meta["months"] = {
                    "first": table.months[0] if table.months else None,
                    "last": table.months[-1] if table.months else None,
                    "missing": [m for m, x in zip(table.months, table.missing, strict=True) if x],
                }
                meta["latest_12_months"] = table.windows[LATEST]
                meta["disclosure"] = {
                    "min_cell_size": table.min_cell_size,
                    "mode": table.mode,
                    "rule": (
                        "police.uk data is published as open data: no figure is suppressed."
                        if table.mode == "raw"
                        else f"Counts from 1 to {table.min_cell_size - 1} are suppressed, with "
                        "the other figures needed to stop them being worked out from totals "
                        "(saferplaces.publish.disclosure)."
                    ),
                    "notes": list(table.footnotes),
                }
                meta["areas_count"] = len(table.areas)
            meta["kind"] = kind
            meta["level_plural"] = many
            return meta

        meta: dict[str, Any] = CACHE.get(self._key("meta", level, kind), make)
        return meta

    def _boundary_provenance(self, level: str) -> dict[str, Any] | None:
        from .datasource import partition_provenance

        info = self.level_info(level)
        if info is None or not info.has_boundaries:
            return None
        for keys, p in partition_provenance(self.workspace, "areas"):
            if keys.get("level") == level:
                return {
                    "source_file": source_name(p.get("source_file")),
                    "sha256": p.get("sha256"),
                    "imported_at": p.get("written_at"),
                    "simplified": "coverage-simplified to 15 m, WGS84, 5 decimal places",
                }
        return None

    def _areas_source(self, level: str) -> str:
        if level == "force":
            return "police.uk force of each record"
        if level in {"lad", "msoa"}:
            st_vintage = self._lsoa_vintage()
            year = "2021" if st_vintage == "2021" else "2011"
            return (
                f"ONS LSOA {year} to MSOA, local authority and police force area lookup "
                f"(bundled with SaferPlaces: saferplaces/geo/data/lsoa{year}_lookup.csv.gz)"
            )
        return f"the workspace's imported '{level}' areas"

    def counts_rows(self, level: str) -> tuple[list[str], list[list[Any]]] | None:
        """The level's monthly counts by area and category as a long table."""
        table = self.open_table(level)
        if table is None:
            return None
        header = [
            "level",
            "area_code",
            "area_name",
            "parent_code",
            "month",
            "category",
            "category_label",
            "unit",
            "count",
            "status",
        ]
        units = {ASB: "incidents"}
        rows: list[list[Any]] = []
        n_months = len(table.months)
        for i, area in enumerate(table.areas):
            for k, node in enumerate(table.nodes):
                label = table.node_label(node)
                unit = units.get(node, "crimes")
                for t in range(n_months):
                    st = int(table.status[i, k, t])
                    rows.append(
                        [
                            table.level,
                            area.code,
                            area.name,
                            area.parent or "",
                            table.months[t],
                            node,
                            label,
                            unit,
                            int(table.values[i, k, t]) if st == PUBLISHED else None,
                            STATUS_WORDS[st],
                        ]
                    )
        return header, rows

    def counts_csv(self, level: str) -> str | None:
        from ..publish.exports import csv_text

        def make() -> str | None:
            got = self.counts_rows(level)
            return None if got is None else csv_text(*got)

        text: str | None = CACHE.get(self._key("csv", level), make)
        return text

    def counts_json(self, level: str) -> str | None:
        def make() -> str | None:
            table = self.open_table(level)
            if table is None:
                return None
            n_months = len(table.months)
            areas = []
            for i, area in enumerate(table.areas):
                counts: dict[str, list[int | None]] = {}
                suppressed: dict[str, list[str]] = {}
                for k, node in enumerate(table.nodes):
                    st = table.status[i, k, :n_months]
                    counts[node] = [
                        int(table.values[i, k, t]) if st[t] == PUBLISHED else None
                        for t in range(n_months)
                    ]
                    hidden = [table.months[t] for t in range(n_months) if st[t] == SUPPRESSED]
                    if hidden:
                        suppressed[node] = hidden
                res = float(table.residents[i])
                areas.append(
                    {
                        "code": area.code,
                        "name": area.name,
                        "parent": area.parent,
                        "residents": res if res == res and res > 0 else None,
                        "counts": counts,
                        "suppressed": suppressed,
                    }
                )
            doc = {
                "meta": self.download_meta(level),
                "months": table.months,
                "categories": [
                    {
                        "slug": n,
                        "label": table.node_label(n),
                        "unit": "incidents" if n == ASB else "crimes",
                    }
                    for n in table.nodes
                ],
                "areas": areas,
            }
            return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)

        text: str | None = CACHE.get(self._key("json", level), make)
        return text

    def counts_csv_metadata(self, level: str, csv_url: str) -> dict[str, Any] | None:
        """CSV on the Web (W3C CSVW) metadata describing the counts CSV: columns, licence,
        provenance. Served beside the CSV and linked from it (``Link: rel=describedby``)."""
        table = self.open_table(level)
        if table is None:
            return None
        meta = self.download_meta(level)
        columns = [
            ("level", "string", "Area level"),
            ("area_code", "string", "Area code (ONS code, or the force's police.uk slug)"),
            ("area_name", "string", "Area name"),
            ("parent_code", "string", "Code of the area's parent area"),
            ("month", "gYearMonth", "Month police.uk published the record in"),
            ("category", "string", "police.uk category slug; all-crime is the crimes' total"),
            ("category_label", "string", "police.uk category name"),
            ("unit", "string", "crimes (distinct Crime IDs) or incidents (anti-social behaviour)"),
            ("count", "integer", "The count; empty when not published (see status)"),
            ("status", "string", "published, suppressed (disclosure control) or no data"),
        ]
        return {
            "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
            "url": csv_url,
            "dc:title": meta["title"],
            "dc:publisher": meta["publisher"],
            "dc:license": {"@id": LICENCE_URL},
            "dc:source": "https://data.police.uk/",
            "dc:modified": meta["generated_at"],
            "rdfs:comment": [*meta["attribution"], *meta["counting"].values()],
            "prov:wasDerivedFrom": [
                {"@id": f"urn:sha256:{p['sha256']}", "rdfs:label": p["source_file"]}
                for p in meta["provenance"]["policeuk"]
                if p.get("sha256")
            ],
            "tableSchema": {
                "columns": [
                    {"name": n, "titles": n, "datatype": d, "dc:description": desc}
                    for n, d, desc in columns
                ],
                "primaryKey": ["area_code", "month", "category"],
            },
        }


def charts_available() -> bool:
    """Whether SVG charts can be made (vl-convert, from the ``pdf`` extra, is installed)."""
    import importlib.util

    return importlib.util.find_spec("vl_convert") is not None


CRIMES, ASB_SERIES = "Crimes", "Anti-social behaviour incidents"


def chart_spec(summary: AreaSummary) -> dict[str, Any]:
    """Vega-Lite: monthly crimes and ASB incidents, a missing or suppressed month a gap."""
    rows = []
    for m in summary.monthly:
        for series, fig in ((CRIMES, m.crimes), (ASB_SERIES, m.asb)):
            rows.append({"month": f"{m.month}-01", "series": series, "count": fig.value})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": f"Crimes and anti-social behaviour incidents each month in "
        f"{summary.area.name}",
        "width": 560,
        "height": 220,
        "data": {"values": rows},
        "mark": {
            "type": "line",
            "point": {"size": 25, "filled": True},
            "invalid": "break-paths-show-domains",
        },
        "encoding": {
            "x": {
                "field": "month",
                "type": "temporal",
                "title": None,
                "axis": {"format": "%b %Y", "labelAngle": 0, "tickCount": 6},
            },
            "y": {"field": "count", "type": "quantitative", "title": "Number per month"},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                "scale": {"domain": [CRIMES, ASB_SERIES], "range": ["#1d70b8", "#d4351c"]},
                "legend": {"orient": "top", "labelLimit": 400, "labelFontSize": 12},
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": [CRIMES, ASB_SERIES], "range": [[1, 0], [6, 3]]},
            },
        },
        "config": {"font": "Arial", "view": {"stroke": None}},
    }
