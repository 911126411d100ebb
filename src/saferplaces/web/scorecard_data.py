"""Scorecard editions and evaluations as the web app shows them (part of the data seam:
views reach this only through :mod:`saferplaces.web.datasource`)."""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..workspace import Workspace


def month_name(month: str) -> str:
    year, mon = month.split("-")
    return f"{calendar.month_name[int(mon)]} {year}"


# =============================================================================================
# Scorecard editions (public): read from the workspace's published folder, never rewritten.

#: Content types of the files an edition may hold; anything else is sent as a download.
EDITION_CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".svg": "image/svg+xml",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
#: Files offered as the edition's downloads, in this order, with their labels.
EDITION_DOWNLOADS = [
    ("scorecard.csv", "CSV (open data)"),
    ("scorecard.xlsx", "Excel workbook"),
    ("scorecard.pdf", "PDF"),
    ("edition.json", "JSON (every figure, method and lake provenance)"),
    ("manifest.json", "Manifest (SHA-256 of every file)"),
]
SCORE_TAGS = {
    "improving": "govuk-tag--green",
    "deteriorating": "govuk-tag--red",
    "stable": "govuk-tag--grey",
    "changed": "govuk-tag--blue",
    "not computable": "govuk-tag--yellow",
}


@dataclass(frozen=True)
class EditionSummary:
    number: int
    published_at: str
    data_cutoff: str
    corrects: int | None
    note: str
    files: dict[str, str]
    corrected_by: tuple[int, ...] = ()

    @property
    def data_cutoff_label(self) -> str:
        return month_name(self.data_cutoff)

    @property
    def published_date(self) -> str:
        return self.published_at[:10]


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    bad: tuple[str, ...]


@dataclass(frozen=True)
class AreaFigure:
    code: str
    name: str
    level: str
    status: str
    value: float | None
    lower: float | None
    upper: float | None
    unit: str
    numerator: float | None
    denominator: float | None
    denominator_label: str | None
    period: str
    score: str
    reason: str
    caveats: tuple[str, ...]
    comparison: str
    months: tuple[str, ...] = ()
    series: tuple[float | None, ...] = ()
    spc: dict[str, object] = field(default_factory=dict)

    @property
    def tag_class(self) -> str:
        return SCORE_TAGS.get(self.score, "govuk-tag--grey")


@dataclass(frozen=True)
class IndicatorBlock:
    id: str
    title: str
    description: str
    polarity: str
    period: str
    unit: str
    areas: tuple[AreaFigure, ...]
    caveats: tuple[str, ...]
    chart_file: str | None = None  # an edition's charts/<id>.svg, when it has one


@dataclass(frozen=True)
class ObjectiveBlock:
    id: str
    title: str
    description: str
    indicators: tuple[IndicatorBlock, ...]


@dataclass(frozen=True)
class EditionView:
    summary: EditionSummary
    partnership: str
    method_version: str
    lsoa_vintage: str
    missing_months: tuple[str, ...]
    objectives: tuple[ObjectiveBlock, ...]
    withheld: tuple[dict[str, str], ...]
    provenance_partitions: int


def _fmt_comparison(comparisons: list[dict[str, object]]) -> str:
    if not comparisons:
        return ""
    c = comparisons[-1]
    return str(c.get("verdict") or "")


def _figure(e: dict[str, object]) -> AreaFigure:
    def num(key: str) -> float | None:
        v = e.get(key)
        return float(v) if isinstance(v, int | float) else None

    return AreaFigure(
        code=str(e["area_code"]),
        name=str(e["area_name"]),
        level=str(e["level"]),
        status=str(e["status"]),
        value=num("value"),
        lower=num("lower"),
        upper=num("upper"),
        unit=str(e.get("unit") or ""),
        numerator=num("numerator"),
        denominator=num("denominator"),
        denominator_label=e.get("denominator_label") or None,  # type: ignore[arg-type]
        period=str(e.get("period") or ""),
        score=str(e.get("score") or "not computable"),
        reason=str(e.get("reason") or ""),
        caveats=tuple(str(c) for c in e.get("caveats") or []),  # type: ignore[attr-defined]
        comparison=_fmt_comparison(e.get("comparisons") or []),  # type: ignore[arg-type]
        months=tuple(e.get("months") or []),  # type: ignore[arg-type]
        series=tuple(e.get("series") or []),  # type: ignore[arg-type]
        spc=dict(e.get("spc") or {}),  # type: ignore[call-overload]
    )


def build_objectives(
    indicator_set: dict[str, object],
    evaluations: list[dict[str, object]],
    charts: set[str] | frozenset[str] = frozenset(),
    *,
    objective: str | None = None,
    level: str | None = None,
    area: str | None = None,
) -> tuple[ObjectiveBlock, ...]:
    """Objectives → indicators → areas, in the indicator set's order, optionally filtered."""
    by_indicator: dict[str, list[dict[str, object]]] = {}
    for e in evaluations:
        if level and e.get("level") != level:
            continue
        if area and e.get("area_code") != area:
            continue
        by_indicator.setdefault(str(e["indicator"]), []).append(e)
    out = []
    for obj in indicator_set.get("objectives", []):  # type: ignore[attr-defined]
        if objective and obj["id"] != objective:
            continue
        blocks = []
        for ind in indicator_set.get("indicators", []):  # type: ignore[attr-defined]
            if ind["objective"] != obj["id"] or ind["id"] not in by_indicator:
                continue
            figures = tuple(_figure(e) for e in by_indicator[ind["id"]])
            chart = f"charts/{ind['id']}.svg"
            blocks.append(
                IndicatorBlock(
                    id=ind["id"],
                    title=ind["title"],
                    description=ind.get("description", ""),
                    polarity=ind.get("polarity", ""),
                    period=next((f.period for f in figures if f.period), ""),
                    unit=next((f.unit for f in figures if f.unit), ""),
                    areas=figures,
                    caveats=tuple(dict.fromkeys(c for f in figures for c in f.caveats)),
                    chart_file=chart if chart in charts else None,
                )
            )
        if blocks:
            out.append(
                ObjectiveBlock(obj["id"], obj["title"], obj.get("description", ""), tuple(blocks))
            )
    return tuple(out)


_views: dict[tuple[str, int, tuple[str, ...]], EditionView] = {}
_listings: dict[str, tuple[tuple[str, ...], list[EditionSummary]]] = {}
_verified: dict[tuple[str, int], tuple[tuple[tuple[str, int, int], ...], Verification]] = {}


class EditionsMixin:
    workspace: Workspace

    def editions(self) -> list[EditionSummary]:
        """Every published edition, newest first, with the editions that correct it.

        Editions are immutable and only ever added: the listing is read again only when the
        set of edition folders changes (one directory listing per call)."""
        from ..indicators.editions import editions_dir

        base = editions_dir(self.workspace)
        try:
            names = tuple(sorted(n for n in os.listdir(base) if n.startswith("edition-")))
        except FileNotFoundError:
            names = ()
        key = str(self.workspace.root)
        hit = _listings.get(key)
        if hit is not None and hit[0] == names:
            return hit[1]
        listing = _read_listing(self.workspace)
        _listings[key] = (names, listing)
        return listing

    def edition_summary(self, number: int) -> EditionSummary | None:
        return next((e for e in self.editions() if e.number == number), None)

    def edition_meta(self, number: int) -> dict[str, object] | None:
        if self.edition_summary(number) is None:
            return None
        return _edition_meta(str(self.workspace.root), number)

    def edition(self, number: int) -> EditionView | None:
        """Edition ``number`` as the page shows it (built once per set of editions)."""
        summary = self.edition_summary(number)
        if summary is None:
            return None
        names = _listings[str(self.workspace.root)][0]
        key = (str(self.workspace.root), number, names)
        if key not in _views:
            _views[key] = self._build_view(number, summary)
        return _views[key]

    def _build_view(self, number: int, summary: EditionSummary) -> EditionView:
        meta = _edition_meta(str(self.workspace.root), number)
        charts = {f for f in summary.files if f.startswith("charts/")}
        return EditionView(
            summary=summary,
            partnership=str(meta.get("partnership", "")),
            method_version=str(meta.get("method_version", "")),
            lsoa_vintage=str(meta.get("lsoa_vintage", "")),
            missing_months=tuple(meta.get("missing_months") or []),  # type: ignore[arg-type]
            objectives=build_objectives(
                meta["indicator_set"],  # type: ignore[arg-type]
                meta["evaluations"],  # type: ignore[arg-type]
                charts,
            ),
            withheld=tuple(meta.get("withheld") or []),  # type: ignore[arg-type]
            provenance_partitions=len(meta.get("lake_provenance") or []),  # type: ignore[arg-type]
        )

    def edition_file(self, number: int, name: str) -> Path | None:
        """The path of a file of edition ``number`` if, and only if, the edition's manifest
        lists it (or it is the manifest); never a path outside the edition's folder."""
        from ..indicators.editions import MANIFEST, editions_dir

        summary = self.edition_summary(number)
        if summary is None or (name not in summary.files and name != MANIFEST):
            return None
        folder = (editions_dir(self.workspace) / f"edition-{number:04d}").resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            return None
        return path

    def verify(self, number: int) -> Verification:
        """Re-hash the edition's files against its manifest. The answer is kept while no file's
        size or modification time changes, so pages do not re-hash every file each time."""
        from ..indicators.editions import editions_dir, verify_edition

        summary = self.edition_summary(number)
        if summary is None:
            return Verification(False, 0, ())
        folder = editions_dir(self.workspace) / f"edition-{number:04d}"
        sig = []
        for name in sorted(summary.files):
            try:
                st = (folder / name).stat()
                sig.append((name, st.st_size, st.st_mtime_ns))
            except OSError:
                sig.append((name, -1, -1))
        key = (str(self.workspace.root), number)
        cached = _verified.get(key)
        if cached is not None and cached[0] == tuple(sig):
            return cached[1]
        bad = tuple(verify_edition(self.workspace, number))
        result = Verification(not bad, len(summary.files), bad)
        _verified[key] = (tuple(sig), result)
        return result


def _read_listing(ws: Workspace) -> list[EditionSummary]:
    from ..indicators.editions import list_editions

    infos = list_editions(ws)
    corrected_by: dict[int, list[int]] = {}
    for e in infos:
        if e.corrects is not None:
            corrected_by.setdefault(e.corrects, []).append(e.number)
    return [
        EditionSummary(
            e.number,
            e.published_at,
            e.data_cutoff,
            e.corrects,
            e.note,
            dict(e.files),
            tuple(corrected_by.get(e.number, [])),
        )
        for e in reversed(infos)
    ]


@cache
def _edition_meta(root: str, number: int) -> dict[str, object]:
    # Editions are immutable: read each once per process.
    from ..indicators.editions import load_edition

    return load_edition(Workspace.open(root), number)
