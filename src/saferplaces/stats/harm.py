"""Harm-weighted crime counts: Cambridge Crime Harm Index and ONS Crime Severity Score.

Method (METHODS §2.1–2.2):

* CCHI (Sherman, Neyroud & Neyroud 2016, Policing 10(3):171–183): each crime weighs the days of
  imprisonment at the Sentencing Council starting point for a first-time adult offender. The
  default table (``taxonomy/data/harm_cchi.csv``) holds the published offence-subgroup medians
  and SaferPlaces' police.uk-category approximation derived from them (rule in the file header
  and docs/methods/harm.md). It is a labelled approximation, never an official CCHI total.
* ONS CSS (ONS 2016): weights in custody-day equivalents by Home Office offence code; score =
  Σ weight × count ÷ resident population. We do not ship the ONS table: load it with
  :func:`load_css_weights`; ``taxonomy/data/css_example.csv`` is a small example.
* "Sherman-pure" harm excludes proactively found crime (drugs, possession of weapons, and
  optionally shoplifting), which measures police activity as much as harm.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from saferplaces.errors import InputError
from saferplaces.stats._verdict import FloatArray, counts_array, scalar
from saferplaces.taxonomy import categories

__all__ = [
    "PROACTIVE_CATEGORIES",
    "HarmResult",
    "HarmWeights",
    "SeverityScore",
    "cchi_weights",
    "crime_severity_score",
    "css_example_weights",
    "harm_total",
    "harm_weighted_counts",
    "load_css_weights",
    "load_weights",
]

HarmMode = Literal["all_recorded", "excluding_proactive"]
Unknown = Literal["error", "skip"]

#: police.uk categories found mainly by police activity rather than reported by victims
#: (Sherman et al. 2020): excluded from "Sherman-pure" harm. Add "shoplifting" if store
#: detectives drive your counts.
PROACTIVE_CATEGORIES: tuple[str, ...] = ("drugs", "possession-of-weapons")

_CCHI_CAVEAT = (
    "Harm uses Cambridge Crime Harm Index weights approximated at police.uk category level "
    "(subgroup medians; mixed categories use a typical force mix). It is an approximation, "
    "not an official CCHI total; police.uk categories hide the offence mix within a category."
)
_CSS_CAVEAT = (
    "Severity uses user-supplied Crime Severity Score weights by Home Office offence code. It "
    "is only comparable with the ONS Crime Severity Score if the full ONS weight table is used."
)
# Home Office offence codes: "8N", "37.1", "4.4", "105A", "5".
_HO_CODE = re.compile(r"^\d{1,3}[A-Z]{0,2}(\.\d{1,2}[A-Z]?)?$")


@dataclass(frozen=True)
class HarmWeights:
    """A weight table: key (police.uk category slug or Home Office code) → weight."""

    scheme: str
    unit: str
    weights: Mapping[str, float]
    labels: Mapping[str, str]
    source: str
    caveat: str
    rules: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Loading


def _read_rows(text: str, where: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows; ``#`` comment lines and blank lines skipped."""
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = next(csv.reader([line]))
        if header is None:
            header = [c.strip() for c in cells]
            continue
        rows.append((lineno, cells))
    if header is None:
        raise InputError(where, "no header row (expected columns including key and weight)")
    return header, rows


def _parse_weights(
    text: str,
    where: str,
    *,
    scheme: str,
    level: str | None,
    key_check: re.Pattern[str] | None,
    normalise: bool,
    caveat: str,
) -> HarmWeights:
    header, rows = _read_rows(text, where)
    missing = {"key", "weight"} - set(header)
    if missing:
        raise InputError(
            where, f"missing column(s) {', '.join(sorted(missing))}; found {', '.join(header)}", 1
        )
    col = {name: i for i, name in enumerate(header)}
    weights: dict[str, float] = {}
    labels: dict[str, str] = {}
    rules: dict[str, str] = {}
    units: set[str] = set()
    for lineno, cells in rows:
        if len(cells) != len(header):
            raise InputError(where, f"expected {len(header)} fields, found {len(cells)}", lineno)

        def get(name: str, cells: list[str] = cells) -> str:
            return cells[col[name]].strip() if name in col else ""

        if level is not None and get("level") != level:
            continue
        key = get("key")
        if normalise:
            key = _normalise_key(key)
        if key_check is not None:
            key = key.upper()  # "8n" and "8N" are the same offence code
        if not key:
            raise InputError(where, "empty key", lineno)
        if key_check is not None and not key_check.match(key):
            raise InputError(
                where, f"{key!r} is not a Home Office offence code (e.g. 8N, 37.1, 105A)", lineno
            )
        raw = get("weight")
        try:
            w = float(raw)
        except ValueError:
            raise InputError(where, f"weight {raw!r} for {key!r} is not a number", lineno) from None
        if not math.isfinite(w) or w < 0:
            raise InputError(
                where, f"weight for {key!r} must be a finite number ≥ 0 (got {raw})", lineno
            )
        if key in weights:
            raise InputError(where, f"duplicate key {key!r}", lineno)
        weights[key] = w
        labels[key] = get("label") or key
        if get("rule"):
            rules[key] = get("rule")
        if get("unit"):
            units.add(get("unit"))
    if not weights:
        what = f" at level {level!r}" if level else ""
        raise InputError(where, f"no weight rows{what}")
    unit = units.pop() if len(units) == 1 else "weight units"
    # Read-only views: packaged tables are cached and shared between callers.
    return HarmWeights(
        scheme,
        unit,
        MappingProxyType(weights),
        MappingProxyType(labels),
        where,
        caveat,
        MappingProxyType(rules),
    )


def load_weights(
    path: str | Path,
    *,
    scheme: str | None = None,
    level: str | None = None,
    caveat: str = "",
) -> HarmWeights:
    """Load a harm weight table from CSV (columns ``key``, ``weight``; optional ``label``,
    ``unit``, ``rule``, ``source``, ``level``; ``#`` lines are comments).

    Method: CCHI total harm = Σ count × weight (Sherman, Neyroud & Neyroud 2016). Keys may be
    police.uk category labels or slugs (labels are converted to slugs). A bad row raises
    :class:`saferplaces.errors.InputError` naming the file and line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(p, f"cannot read weight table: {exc.strerror or exc}") from None
    return _parse_weights(
        text,
        str(p),
        scheme=scheme or p.stem,
        level=level,
        key_check=None,
        normalise=True,
        caveat=caveat,
    )


def _packaged(name: str) -> tuple[str, str]:
    res = resources.files("saferplaces.taxonomy").joinpath("data", name)
    return res.read_text("utf-8"), f"saferplaces/taxonomy/data/{name}"


@cache
def cchi_weights(level: Literal["category", "subgroup"] = "category") -> HarmWeights:
    """The packaged Cambridge Crime Harm Index table (days of imprisonment).

    Method: Sherman, Neyroud & Neyroud (2016), Policing 10(3):171–183. ``level="subgroup"``
    gives the published Home Office offence-subgroup medians; ``level="category"`` (default)
    the police.uk-category approximation derived from them (see the file header for the rule).
    """
    if level not in ("category", "subgroup"):
        raise ValueError(f"level must be 'category' or 'subgroup' (got {level!r})")
    text, where = _packaged("harm_cchi.csv")
    scheme = (
        "CCHI (police.uk category approximation)"
        if level == "category"
        else "CCHI subgroup medians"
    )
    return _parse_weights(
        text,
        where,
        scheme=scheme,
        level=level,
        key_check=None,
        normalise=level == "category",
        caveat=_CCHI_CAVEAT,
    )


def load_css_weights(path: str | Path) -> HarmWeights:
    """Load ONS Crime Severity Score weights by Home Office offence code from CSV.

    Method: ONS (2016), "Research outputs: developing a Crime Severity Score for England and
    Wales using data on crimes recorded by the police". Columns ``key`` (Home Office offence
    code such as ``8N`` or ``37.1``) and ``weight``; every key is validated as an offence code,
    every weight as a finite number ≥ 0, and duplicates are rejected, naming file and line.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(p, f"cannot read weight table: {exc.strerror or exc}") from None
    return _parse_weights(
        text,
        str(p),
        scheme="ONS Crime Severity Score (user-supplied weights)",
        level=None,
        key_check=_HO_CODE,
        normalise=False,
        caveat=_CSS_CAVEAT,
    )


@cache
def css_example_weights() -> HarmWeights:
    """The packaged example CSS table (violence codes only; NOT the full ONS table).

    Method: ONS (2016) Crime Severity Score weights for some violence offences, from a secondary
    copy recorded in METHODS §2.1. For real use load the ONS file with :func:`load_css_weights`.
    """
    text, where = _packaged("css_example.csv")
    return _parse_weights(
        text,
        where,
        scheme="ONS Crime Severity Score (example subset)",
        level=None,
        key_check=_HO_CODE,
        normalise=False,
        caveat=_CSS_CAVEAT + " This example table covers a few violence codes only.",
    )


# --------------------------------------------------------------------------------------------
# Computing harm


def _normalise_key(key: str) -> str:
    k = key.strip()
    cat = categories().get(k)
    return cat.slug if cat else k


def _weight_vector(
    keys: Sequence[str],
    weights: HarmWeights,
    *,
    mode: HarmMode,
    proactive: Iterable[str],
    unknown: Unknown,
) -> tuple[FloatArray, list[str], list[str], list[str]]:
    """Per-key weights (0 for excluded/skipped keys), normalised keys, excluded, skipped."""
    if mode not in ("all_recorded", "excluding_proactive"):
        raise ValueError(f"mode must be 'all_recorded' or 'excluding_proactive' (got {mode!r})")
    if unknown not in ("error", "skip"):
        raise ValueError(f"unknown must be 'error' or 'skip' (got {unknown!r})")
    drop = {_normalise_key(k) for k in proactive} if mode == "excluding_proactive" else set()
    norm = [_normalise_key(str(k)) for k in keys]
    w = np.zeros(len(norm))
    excluded: list[str] = []
    skipped: list[str] = []
    missing: list[str] = []
    for i, k in enumerate(norm):
        if k in drop:
            if k not in excluded:
                excluded.append(k)
        elif k in weights.weights:
            w[i] = weights.weights[k]
        elif unknown == "skip":
            if k not in skipped:
                skipped.append(k)
        elif k not in missing:
            missing.append(k)
    if missing:
        hint = (
            " Anti-social behaviour is not a notifiable crime and has no harm weight."
            if "anti-social-behaviour" in missing
            else ""
        )
        raise ValueError(
            f"no {weights.scheme} weight for {', '.join(repr(m) for m in missing)} "
            f"(table: {weights.source}).{hint} Drop these rows or pass unknown='skip'."
        )
    return w, norm, excluded, skipped


def harm_weighted_counts(
    keys: Sequence[str],
    counts: ArrayLike,
    weights: HarmWeights | None = None,
    *,
    mode: HarmMode = "all_recorded",
    proactive: Iterable[str] = PROACTIVE_CATEGORIES,
    unknown: Unknown = "error",
) -> FloatArray:
    """Harm per row: ``counts[i] × weight[keys[i]]`` (0 for excluded or skipped rows).

    Method: Sherman, Neyroud & Neyroud (2016) total harm = Σ count × CCHI days (or any weight
    table). Vectorised for long tables such as area × category counts. ``mode=
    "excluding_proactive"`` zeroes the ``proactive`` categories (Sherman et al. 2020).
    """
    c = counts_array(counts, "counts")
    if len(c) != len(keys):
        raise ValueError(f"keys has {len(keys)} entries but counts has {len(c)}")
    w, _, _, _ = _weight_vector(
        keys, weights or cchi_weights(), mode=mode, proactive=proactive, unknown=unknown
    )
    return c * w


@dataclass(frozen=True)
class HarmResult:
    """Total harm with its breakdown and the choices that produced it."""

    total: float
    by_key: Mapping[str, float]
    counts: Mapping[str, float]
    excluded: tuple[str, ...]
    skipped: tuple[str, ...]
    scheme: str
    unit: str
    mode: HarmMode
    caveat: str


def harm_total(
    counts: Mapping[str, float],
    weights: HarmWeights | None = None,
    *,
    mode: HarmMode = "all_recorded",
    proactive: Iterable[str] = PROACTIVE_CATEGORIES,
    unknown: Unknown = "error",
) -> HarmResult:
    """Total harm for counts by category (or offence code), with a per-key breakdown.

    Method: Sherman, Neyroud & Neyroud (2016), Policing 10(3):171–183 — total harm =
    Σ count × weight; default weights are the CCHI police.uk-category approximation. ``mode``:
    ``"all_recorded"`` or ``"excluding_proactive"`` (drugs and possession of weapons by default).
    """
    keys = list(counts)
    c = counts_array([counts[k] for k in keys], "counts")
    table = weights or cchi_weights()
    w, norm, excluded, skipped = _weight_vector(
        keys, table, mode=mode, proactive=proactive, unknown=unknown
    )
    by_key: dict[str, float] = {}
    count_by: dict[str, float] = {}
    for k, ci, wi in zip(norm, c, w, strict=True):
        count_by[k] = count_by.get(k, 0.0) + float(ci)
        if k not in excluded and k not in skipped:
            by_key[k] = by_key.get(k, 0.0) + float(ci * wi)
    caveat = table.caveat
    if excluded:
        caveat += f" Excludes proactively found crime: {', '.join(excluded)}."
    if skipped:
        caveat += f" No weight, left out: {', '.join(skipped)}."
    return HarmResult(
        total=float(sum(by_key.values())),
        by_key=by_key,
        counts=count_by,
        excluded=tuple(excluded),
        skipped=tuple(skipped),
        scheme=table.scheme,
        unit=table.unit,
        mode=mode,
        caveat=caveat,
    )


@dataclass(frozen=True)
class SeverityScore:
    """A Crime Severity Score: total weighted crime per resident."""

    score: float
    weighted_total: float
    population: float
    skipped: tuple[str, ...]
    scheme: str
    caveat: str


def crime_severity_score(
    counts: Mapping[str, float],
    weights: HarmWeights,
    population: float,
    *,
    unknown: Unknown = "error",
) -> SeverityScore:
    """Crime Severity Score = Σ weight × count ÷ resident population.

    Method: ONS (2016) Crime Severity Score (England and Wales 10.1 in 2015/16 with the full ONS
    table). ``counts`` are by Home Office offence code, ``weights`` from
    :func:`load_css_weights`. Codes without a weight raise unless ``unknown="skip"``.
    """
    pop = scalar(population, "population")
    if pop <= 0:
        raise ValueError(
            f"population must be greater than zero (got {population!r}); the CSS is per resident"
        )
    res = harm_total(counts, weights, unknown=unknown)
    return SeverityScore(
        score=res.total / pop,
        weighted_total=res.total,
        population=pop,
        skipped=res.skipped,
        scheme=weights.scheme,
        caveat=res.caveat,
    )
