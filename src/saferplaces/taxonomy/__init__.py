"""Reference vocabularies: police.uk crime categories, outcome labels and groups, forces, LSOA
vintages. The tables are data files in ``taxonomy/data/`` so analysts can read and cite them."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

OutcomeGroup = Literal[
    "charged_court", "out_of_court", "evidential_closure", "no_suspect", "open", "unknown"
]

OUTCOME_GROUP_LABELS: dict[str, str] = {
    "charged_court": "Charged or dealt with at court",
    "out_of_court": "Out-of-court resolution",
    "evidential_closure": "Closed: evidential difficulties or not in the public interest",
    "no_suspect": "Investigation complete; no suspect identified",
    "open": "Under investigation or status unavailable",
    "unknown": "Outcome label not recognised",
}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("saferplaces.taxonomy").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class Category:
    label: str
    slug: str
    kind: Literal["crime", "asb"]
    era: Literal["current", "historic"]
    note: str


@dataclass(frozen=True)
class Outcome:
    label: str
    code: str
    group: OutcomeGroup
    final: bool
    era: Literal["current", "old"]


@cache
def categories() -> dict[str, Category]:
    """police.uk ``Crime type`` labels (current and historic) → :class:`Category`."""
    return {
        r["label"]: Category(r["label"], r["slug"], r["kind"], r["era"], r["note"])  # type: ignore[arg-type]
        for r in _rows("categories.csv")
    }


@cache
def outcomes() -> dict[str, Outcome]:
    """``Last outcome category`` / ``Outcome type`` labels (2014 and earlier labels too)."""
    return {
        r["label"]: Outcome(r["label"], r["code"], r["group"], r["final"] == "true", r["era"])  # type: ignore[arg-type]
        for r in _rows("outcomes.csv")
    }


@cache
def forces() -> dict[str, str]:
    """police.uk force slug (as in archive file names) → force name."""
    return {r["slug"]: r["name"] for r in _rows("forces.csv")}


@cache
def lsoa_vintages() -> dict[str, tuple[bool, bool]]:
    """LSOA code → (exists in the 2011 set, exists in the 2021 set), England and Wales."""
    raw = resources.files("saferplaces.taxonomy").joinpath("data", "lsoa_vintages.csv.gz")
    with gzip.open(str(raw), "rt", encoding="utf-8") as fh:
        return {r["code"]: (r["in_2011"] == "1", r["in_2021"] == "1") for r in csv.DictReader(fh)}


def category_slug(label: str) -> str:
    """Slug for a ``Crime type`` label; ``unknown`` for a label police.uk has not used before."""
    cat = categories().get(label)
    return cat.slug if cat else "unknown"
