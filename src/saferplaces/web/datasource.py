"""The one seam between the web app and the lake: views never open DuckDB or read lake files.

What a request may receive is decided here, not in templates: :func:`public_data` returns an
object that only has public methods; :func:`partner_data` returns one that also has partner
methods and refuses (403) a user whose role does not allow them. Both return plain dataclasses
that templates only format.

Counting rules are the lake's (see :mod:`saferplaces.lake.mart`): crimes are distinct police.uk
Crime IDs; anti-social behaviour (ASB) is counted in incidents (rows), which are not crimes.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied

from ..hotspots import HotspotMap
from ..lake.catalog import connect, list_partitions
from ..lake.mart import MART
from ..lake.quality import DatasetCoverage, coverage
from ..taxonomy import Category, categories, forces
from ..workspace import Workspace
from .accounts.roles import Capability, can
from .area_data import AreasMixin
from .drilldown_data import Drill as Drill
from .drilldown_data import drill as _drill
from .hotspot_data import HotspotRequest as HotspotRequest
from .hotspot_data import hotspots as _hotspots
from .lake_views import LEVELS as LEVELS
from .lake_views import AreaRow as AreaRow
from .lake_views import LevelArrays as LevelArrays
from .lake_views import area_levels as _area_levels
from .lake_views import evaluations as _evaluations
from .lake_views import level_arrays as _level_arrays
from .lake_views import parent_level as parent_level
from .lake_views import state as _state
from .scorecard_data import EDITION_CONTENT_TYPES as EDITION_CONTENT_TYPES
from .scorecard_data import EDITION_DOWNLOADS as EDITION_DOWNLOADS
from .scorecard_data import EditionsMixin
from .scorecard_data import EditionView as EditionView
from .scorecard_data import build_objectives as build_objectives

ASB_LABEL = "Anti-social behaviour incidents"

#: Seconds for which one check of the lake's state serves every request of a process.
LAKE_STATE_RECHECK_S = 1.0
_signatures: dict[str, tuple[int, str]] = {}
_recent: dict[str, tuple[float, str]] = {}
_coverage: dict[str, tuple[str, list[DatasetCoverage]]] = {}
_definitions: dict[tuple[str, str, str], dict[str, Any]] = {}
_monthly: dict[tuple[str, str, str, int], MonthlyTable | None] = {}
_drills: dict[tuple[str, str, str, str, str], Drill | None] = {}


def lake_state(ws: Workspace) -> str:
    """The lake's current state: ``street:<latest ingest id>:<files signature>`` (``empty:`` when
    there is no street data). Partitions are replaced atomically by an ingest, so their files'
    (path, size, mtime) change exactly when the lake does; the stat walk costs about a
    millisecond, and the provenance is read for the ingest id only when it changed."""
    import hashlib
    import os
    import time

    root = str(ws.root)
    now = time.monotonic()
    recent = _recent.get(root)
    if recent is not None and now - recent[0] < LAKE_STATE_RECHECK_S:
        return recent[1]
    entries = []
    for dirpath, dirs, files in os.walk(ws.lake_dir):
        dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
        for f in files:
            if f.endswith(".parquet"):
                st = os.stat(os.path.join(dirpath, f))
                entries.append(f"{dirpath}/{f}:{st.st_size}:{st.st_mtime_ns}")
    entries.sort()
    digest = int.from_bytes(hashlib.blake2b("\n".join(entries).encode(), digest_size=8).digest())
    hit = _signatures.get(root)
    if hit is not None and hit[0] == digest:
        _recent[root] = (now, hit[1])
        return hit[1]
    ids = [str(p.provenance.get("ingest_id") or "") for p in list_partitions(ws.lake_dir, "street")]
    state = f"street:{max(ids)}:{digest:x}" if ids else f"empty:{digest:x}"
    _signatures[root] = (digest, state)
    _recent[root] = (now, state)
    return state


def cached_evaluations(ws: Workspace, audience: str) -> list[dict[str, Any]]:
    return _evaluations(ws, audience, lake_state(ws))


def level_arrays(ws: Workspace, level: str) -> Any:
    return _level_arrays(ws, level, lake_state(ws))


def area_levels(ws: Workspace) -> tuple[str, ...]:
    """The levels of areas the public pages offer (force, lad, msoa and imported levels)."""
    return _area_levels(ws, lake_state(ws))


def lake_coverage(ws: Workspace) -> list[DatasetCoverage]:
    """Months, rows and shares per force and dataset (from partition provenance, kept per lake
    state)."""
    return _cached_coverage(ws)


def partition_provenance(
    ws: Workspace, dataset: str
) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """(keys, provenance) of every partition of a lake dataset (e.g. ``areas``)."""
    return [(p.keys, p.provenance) for p in list_partitions(ws.lake_dir, dataset)]


def lake_state_figures(ws: Workspace) -> Any:
    return _state(ws, lake_state(ws))


def _cached_coverage(ws: Workspace) -> list[DatasetCoverage]:
    key = lake_state(ws)
    hit = _coverage.get(str(ws.root))
    if hit is not None and hit[0] == key:
        return hit[1]
    result = coverage(ws.lake_dir)
    _coverage[str(ws.root)] = (key, result)
    return result


DATASET_LABELS = {
    "outcomes": "Outcomes of crimes",
    "stop_and_search": "Stop and search",
}


@cache
def _workspace(root: str) -> Workspace:
    # The configuration is read once per process; restart the server after editing it.
    return Workspace.open(root)


def workspace() -> Workspace:
    return _workspace(settings.SAFERPLACES_WORKSPACE)


def partnership_name() -> str:
    return workspace().config.partnership.name


def force_name(slug: str) -> str:
    return forces().get(slug, slug)


def month_name(month: str) -> str:
    """``2018-01`` → ``January 2018``."""
    year, mon = month.split("-")
    return f"{calendar.month_name[int(mon)]} {year}"


def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_at(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class DatasetSpan:
    """Months and rows of one police.uk dataset for one force."""

    label: str
    first_month: str
    last_month: str
    months_present: int
    missing_months: list[str]
    rows: int

    @property
    def period(self) -> str:
        return f"{month_name(self.first_month)} to {month_name(self.last_month)}"


@dataclass(frozen=True)
class ForceCoverage:
    """What street-level data there is for one force, for the public 'what data is here' text."""

    force: str
    force_name: str
    in_partnership: bool
    street: DatasetSpan | None
    crimes: int = 0
    asb_incidents: int = 0
    duplicate_id_share: float = 0.0
    no_location_share: float = 0.0
    lsoa_vintages: dict[str, int] = field(default_factory=dict)
    other: list[DatasetSpan] = field(default_factory=list)

    @property
    def missing_month_names(self) -> list[str]:
        return [month_name(m) for m in self.street.missing_months] if self.street else []


@dataclass(frozen=True)
class CategoryRow:
    label: str
    counts: list[int | None]  # None: no data for that month (the month is missing)

    @property
    def total(self) -> int:
        return sum(c for c in self.counts if c is not None)


@dataclass(frozen=True)
class MonthlyTable:
    """Crimes by category and month for one force (up to the last 12 months in the lake)."""

    force: str
    force_name: str
    months: list[str]
    missing: frozenset[str]
    crime_rows: list[CategoryRow]
    total_row: CategoryRow
    asb_row: CategoryRow
    #: Categories police.uk marks as proactive (they reflect police activity as much as crime).
    proactive_categories: list[str] = field(default_factory=list)

    @property
    def month_headers(self) -> list[tuple[str, str, bool]]:
        """(month, short label, missing) per column."""
        return [
            (m, f"{calendar.month_abbr[int(m[5:])]} {m[:4]}", m in self.missing)
            for m in self.months
        ]

    @property
    def period(self) -> str:
        return f"{month_name(self.months[0])} to {month_name(self.months[-1])}"


@dataclass(frozen=True)
class CategoryCounts:
    slug: str
    label: str
    counts: list[int | None]


@dataclass(frozen=True)
class AreaCounts:
    """Crimes by category and month for one area, from the base mart."""

    area: AreaRow
    months: list[str]
    categories: list[CategoryCounts]
    total: list[int | None]
    asb_incidents: list[int | None]
    residents: float | None
    denominator_label: str | None
    rate_per_1000: list[float | None]


def _span(label: str, cov: DatasetCoverage) -> DatasetSpan:
    return DatasetSpan(
        label, cov.first_month, cov.last_month, cov.months_present, cov.missing_months, cov.rows
    )


class PublicData(AreasMixin, EditionsMixin):
    """What anyone may see."""

    def __init__(self, ws: Workspace) -> None:
        self.workspace = ws

    @property
    def partnership_name(self) -> str:
        return self.workspace.config.partnership.name

    @property
    def partnership_forces(self) -> list[str]:
        return list(self.workspace.config.partnership.forces)

    def coverage(self) -> list[ForceCoverage]:
        """Per force: the partnership's forces first (even with no data yet), then any other
        force whose data is in the lake. Read from partition provenance: no data scan."""
        by_force: dict[str, dict[str, DatasetCoverage]] = {}
        for cov in _cached_coverage(self.workspace):
            by_force.setdefault(cov.force, {})[cov.dataset] = cov
        order = self.partnership_forces + sorted(set(by_force) - set(self.partnership_forces))
        out: list[ForceCoverage] = []
        for slug in order:
            datasets = by_force.get(slug, {})
            street = datasets.get("street")
            other = [
                _span(label, datasets[name])
                for name, label in DATASET_LABELS.items()
                if name in datasets
            ]
            if street is None:
                out.append(
                    ForceCoverage(
                        slug, force_name(slug), slug in self.partnership_forces, None, other=other
                    )
                )
                continue
            out.append(
                ForceCoverage(
                    force=slug,
                    force_name=force_name(slug),
                    in_partnership=slug in self.partnership_forces,
                    street=_span("Street-level crime and anti-social behaviour", street),
                    crimes=street.crimes or 0,
                    asb_incidents=street.asb_rows or 0,
                    duplicate_id_share=street.duplicate_id_share or 0.0,
                    no_location_share=street.no_location_share or 0.0,
                    lsoa_vintages=dict(street.lsoa_vintages),
                    other=other,
                )
            )
        return out

    # --- police.uk counts and rates by area (open data) ----------------------------------

    def levels(self) -> list[str]:
        """force, lad, msoa and the levels the workspace imported (wards, parishes...)."""
        return list(area_levels(self.workspace))

    def areas(self, level: str) -> list[AreaRow] | None:
        """The partnership's areas of ``level`` (None: unknown level or an empty lake)."""
        arrays = level_arrays(self.workspace, level)
        return None if arrays is None else arrays.areas

    def area_counts(self, level: str, code: str) -> AreaCounts | None:
        """police.uk crimes by category and month for one area, with ASB incidents and the
        rate per 1,000 residents (the denominator named). Missing months are None, and so are
        figures hidden by disclosure control when ``[open_data] min_cell_size`` is set."""
        protected = self.protected_area_counts(level, code)
        if protected is not None:
            return protected
        arrays = level_arrays(self.workspace, level)
        st = lake_state_figures(self.workspace)
        if arrays is None or st is None or code not in arrays.index:
            return None
        i = arrays.index[code]
        cube = st.cube
        months = list(cube.months)
        missing = [bool(x) for x in cube.missing]
        by_slug: dict[str, Category] = {}
        for cat in categories().values():
            by_slug.setdefault(cat.slug, cat)
        rows: list[CategoryCounts] = []
        for j, slug in enumerate(cube.categories):
            known = by_slug.get(slug)
            if known is not None and known.kind == "asb":
                continue
            values = arrays.crimes[i, j, :]
            if not values.any():
                continue
            rows.append(
                CategoryCounts(
                    slug,
                    known.label if known is not None else slug,
                    [None if m else int(v) for v, m in zip(values, missing, strict=True)],
                )
            )
        totals = arrays.crimes[i].sum(axis=0)
        asb = arrays.asb[i].sum(axis=0)
        residents = float(arrays.residents[i])
        have_residents = residents == residents and residents > 0  # not NaN
        return AreaCounts(
            area=arrays.areas[i],
            months=months,
            categories=rows,
            total=[None if m else int(v) for v, m in zip(totals, missing, strict=True)],
            asb_incidents=[None if m else int(v) for v, m in zip(asb, missing, strict=True)],
            residents=residents if have_residents else None,
            denominator_label=arrays.residents_label if have_residents else None,
            rate_per_1000=[
                None if m or not have_residents else round(float(v) / residents * 1000, 4)
                for v, m in zip(totals, missing, strict=True)
            ],
        )

    # --- indicators -------------------------------------------------------------------------

    def audience(self) -> str:
        return "public"

    def indicator_definitions(self) -> dict[str, Any]:
        """The workspace's objectives and indicators, without indicators on partner data this
        audience may not see (read once per lake state and audience)."""
        key = (str(self.workspace.root), lake_state(self.workspace), self.audience())
        if key not in _definitions:
            if len(_definitions) > 32:
                _definitions.clear()
            _definitions[key] = self._read_indicator_definitions()
        return _definitions[key]

    def _read_indicator_definitions(self) -> dict[str, Any]:
        from ..indicators import workspace_indicators
        from ..indicators.partner import is_partner, withheld_reason

        ind_set = workspace_indicators(self.workspace)
        data: dict[str, Any] = ind_set.model_dump(mode="json")
        hidden = {
            i.id
            for i in ind_set.indicators
            if is_partner(i) and withheld_reason(self.workspace, i, self.audience()) is not None
        }
        data["indicators"] = [i for i in data["indicators"] if i["id"] not in hidden]
        return data


class PartnerData(PublicData):
    """What signed-in partners may see, on top of the public data."""

    def audience(self) -> str:
        return self.role_audience

    def __init__(self, ws: Workspace, audience: str = "partner") -> None:
        super().__init__(ws)
        self.role_audience = audience

    def evaluations(self) -> list[dict[str, Any]]:
        """A fresh evaluation of every indicator as this audience may see it (computed once per
        lake state; partner data disclosure is applied inside ``evaluate``)."""
        return cached_evaluations(self.workspace, self.audience())

    def lake_state(self) -> str:
        return lake_state(self.workspace)

    def hotspots(self, request: HotspotRequest) -> HotspotMap:
        """Gi* hotspots of the partnership's located police.uk crimes, with the equality notes
        (raises :class:`~saferplaces.hotspots.HotspotError` with a reason to show)."""
        forces = self.dashboard_forces()
        parts = [
            p
            for p in list_partitions(self.workspace.lake_dir, "street")
            if p.keys.get("force") in forces
        ]
        months = sorted({p.keys["month"] for p in parts})
        # Residents by LSOA of the data's own vintage, for the who-lives-there check.
        vintage = 2021 if {p.provenance.get("lsoa_vintage") for p in parts} == {"2021"} else 2011
        return _hotspots(self.workspace, self.lake_state(), forces, months, request, vintage)

    def drill(self, level: str, code: str, category: str = "") -> Drill | None:
        """One area's crimes, change and rate, and the same for the areas one level down
        (force → district → MSOA → LSOA); None for an unknown level, area or category."""
        key = self.lake_state()
        cache_key = (str(self.workspace.root), key, level, code, category)
        if cache_key in _drills:  # the E-tests cost ~4 ms an area: once per lake state
            return _drills[cache_key]
        st = _state(self.workspace, key)
        if st is None:
            return None
        found = _drill(
            st.cube,
            lambda lv: _level_arrays(self.workspace, lv, key),
            parent_level,
            level,
            code,
            category,
            tuple(lv for lv in _area_levels(self.workspace, key) if lv not in LEVELS),
        )
        if len(_drills) > 1024:
            _drills.clear()
        _drills[cache_key] = found
        return found

    def dashboard_forces(self) -> list[str]:
        """The partnership's forces; if none are configured, every force with street data."""
        if self.partnership_forces:
            return self.partnership_forces
        return sorted({p.keys["force"] for p in list_partitions(self.workspace.lake_dir, MART)})

    def monthly_crimes(self, force: str, months: int = 12) -> MonthlyTable | None:
        """:meth:`read_monthly_crimes`, kept per lake state (computed once, not per request)."""
        key = (str(self.workspace.root), lake_state(self.workspace), force, months)
        if key not in _monthly:
            if len(_monthly) > 64:
                _monthly.clear()
            _monthly[key] = self.read_monthly_crimes(force, months)
        return _monthly[key]

    def read_monthly_crimes(self, force: str, months: int = 12) -> MonthlyTable | None:
        """Crimes by category for the last ``months`` months of data for ``force`` (None when
        the force has no data). A month inside the window that police.uk did not publish is
        kept as a column with no figures, so a gap is never shown as zero."""
        present = sorted(
            p.keys["month"]
            for p in list_partitions(self.workspace.lake_dir, MART)
            if p.keys.get("force") == force
        )
        if not present:
            return None
        last = _month_index(present[-1])
        first = max(last - months + 1, _month_index(present[0]))
        window = [_month_at(i) for i in range(first, last + 1)]
        missing = frozenset(window) - set(present)
        con = connect(self.workspace.lake_dir)
        try:
            rows = con.execute(
                f"SELECT month, category, sum(crimes)::BIGINT, sum(asb_incidents)::BIGINT "
                f"FROM {MART} WHERE force = ? AND month BETWEEN ? AND ? GROUP BY ALL",
                [force, window[0], window[-1]],
            ).fetchall()
        finally:
            con.close()
        # The mart stores category slugs; label them as police.uk does. A slug shared by a
        # current and a historic label (violent-crime) takes the current one, listed first.
        by_slug: dict[str, Category] = {}
        for cat in categories().values():
            by_slug.setdefault(cat.slug, cat)
        crimes: dict[str, dict[str, int]] = {}
        asb: dict[str, int] = {}
        for month, slug, n_crimes, n_asb in rows:
            known_cat = by_slug.get(slug)
            if known_cat is not None and known_cat.kind == "asb":
                asb[month] = asb.get(month, 0) + int(n_asb)
            else:
                label = known_cat.label if known_cat is not None else slug
                per_month = crimes.setdefault(label, {})
                per_month[month] = per_month.get(month, 0) + int(n_crimes)

        def counts(values: dict[str, int]) -> list[int | None]:
            return [None if m in missing else values.get(m, 0) for m in window]

        # Categories in the taxonomy's order (the order police.uk lists them), unknown ones last.
        known = [c.label for c in by_slug.values()]
        labels = sorted(crimes, key=lambda c: (known.index(c) if c in known else len(known), c))
        crime_rows = [CategoryRow(label, counts(crimes[label])) for label in labels]
        totals = {m: sum(crimes[c].get(m, 0) for c in crimes) for m in window}
        proactive = sorted(
            cat.label
            for cat in by_slug.values()
            if cat.label in crimes and cat.note.startswith("Proactive")
        )
        return MonthlyTable(
            force=force,
            force_name=force_name(force),
            months=window,
            missing=missing,
            crime_rows=crime_rows,
            total_row=CategoryRow("All crimes", counts(totals)),
            asb_row=CategoryRow(ASB_LABEL, counts(asb)),
            proactive_categories=proactive,
        )


def public_data() -> PublicData:
    return PublicData(workspace())


def partner_data(user: object) -> PartnerData:
    if not can(user, Capability.VIEW_DASHBOARD):
        raise PermissionDenied("partner data needs a partner role")
    return PartnerData(workspace(), "analyst" if can(user, Capability.ANALYSE) else "partner")


# --- Analyst tools (saferplaces.web.jobs) ----------------------------------------------------

if TYPE_CHECKING:
    from ..geo.peers import PeerGroup


class AnalystData(PartnerData):
    """What the analyst tools read and change directly: the stored area levels and the peer
    groups (a small workspace file). Loading data and publishing run as background jobs.
    (The geography modules are imported when first used: they take a third of a second.)"""

    def area_levels(self) -> list[dict[str, Any]]:
        from ..geo.store import level_summaries

        return level_summaries(self.workspace.lake_dir)

    def peer_groups(self) -> list[PeerGroup]:
        from ..geo.peers import load_peer_groups

        return load_peer_groups(self.workspace.root)

    def peer_group(self, name: str) -> PeerGroup | None:
        return next((g for g in self.peer_groups() if g.name == name), None)

    def save_peer_group(self, group: PeerGroup, *, replace: bool) -> None:
        """Add ``group`` or replace the one of its name; ValueError says what is wrong."""
        from ..geo.peers import save_peer_group

        save_peer_group(self.workspace.root, group, replace_existing=replace)

    def delete_peer_group(self, name: str) -> None:
        from ..geo.peers import delete_peer_group

        delete_peer_group(self.workspace.root, name)


def analyst_data(user: object) -> AnalystData:
    if not can(user, Capability.ANALYSE):
        raise PermissionDenied("the analyst tools need the analyst role")
    return AnalystData(workspace(), "analyst")
