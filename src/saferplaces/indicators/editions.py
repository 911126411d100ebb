"""Scorecard editions: immutable, numbered, verifiable publications.

An edition is a folder ``published/scorecard/edition-NNNN/`` holding the evaluated values with
the lake provenance and method version behind them (``edition.json``), the open-data CSV, an
XLSX for analysts, the accessible HTML page, the PDF, and ``manifest.json`` with the SHA-256 of
every file. It is built in a hidden folder and renamed into place in one step, its files are made
read-only, and it is never rewritten: a correction is a new edition that names the one it
corrects. :func:`verify_edition` re-hashes an edition against its manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SaferPlacesError
from ..workspace import Workspace
from .cube import MartCube
from .definitions import IndicatorSet
from .evaluate import METHOD_VERSION, Evaluation, evaluate, month_name

SCORECARD_DIR = "scorecard"
MANIFEST = "manifest.json"
EDITION_FILE = "edition.json"


@dataclass(frozen=True)
class EditionInfo:
    number: int
    path: Path
    published_at: str
    data_cutoff: str
    corrects: int | None
    note: str
    files: dict[str, str]  # file name -> sha256


def editions_dir(ws: Workspace) -> Path:
    return ws.published_dir / SCORECARD_DIR


def _edition_path(ws: Workspace, number: int) -> Path:
    return editions_dir(ws) / f"edition-{number:04d}"


def list_editions(ws: Workspace) -> list[EditionInfo]:
    """Every published edition, oldest first."""
    base = editions_dir(ws)
    if not base.exists():
        return []
    out = []
    for d in sorted(base.glob("edition-[0-9][0-9][0-9][0-9]")):
        meta = json.loads((d / EDITION_FILE).read_text("utf-8"))
        manifest = json.loads((d / MANIFEST).read_text("utf-8"))
        out.append(
            EditionInfo(
                meta["edition"],
                d,
                meta["published_at"],
                meta["data_cutoff"],
                meta.get("corrects"),
                meta.get("note", ""),
                manifest["files"],
            )
        )
    return out


def load_edition(ws: Workspace, number: int) -> dict[str, Any]:
    path = _edition_path(ws, number) / EDITION_FILE
    if not path.exists():
        raise SaferPlacesError(f"no Scorecard edition {number} in {editions_dir(ws)}")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def verify_edition(ws: Workspace, number: int) -> list[str]:
    """Files whose content no longer matches the manifest (empty: the edition is intact)."""
    d = _edition_path(ws, number)
    manifest = json.loads((d / MANIFEST).read_text("utf-8"))
    bad = []
    for name, sha in manifest["files"].items():
        f = d / name
        if not f.exists() or hashlib.sha256(f.read_bytes()).hexdigest() != sha:
            bad.append(name)
    return bad


def _provenance(cube: MartCube) -> list[dict[str, Any]]:
    keys = ("force", "month", "source_file", "source_sha256", "ingest_id", "ingested_at")
    return [{k: p.get(k) for k in keys} for p in cube.provenance]


def publish_edition(
    ws: Workspace,
    indicators: IndicatorSet,
    *,
    levels: list[str] | None = None,
    corrects: int | None = None,
    note: str = "",
    evaluations: list[Evaluation] | None = None,
    cube: MartCube | None = None,
    formats: tuple[str, ...] = ("html", "pdf", "csv", "xlsx"),
) -> EditionInfo:
    """Evaluate the indicators and publish a new immutable edition."""
    from ..publish import scorecard as render

    existing = list_editions(ws)
    if corrects is not None and corrects not in {e.number for e in existing}:
        raise SaferPlacesError(f"edition {corrects} does not exist, so it cannot be corrected")
    if corrects is not None and not note.strip():
        raise SaferPlacesError("a correction needs a note saying what it corrects and why")
    cube = cube or MartCube.load(ws)
    if evaluations is None:
        # An edition is public: restricted partner data is withheld, other partner data is
        # protected by suppression (see indicators.evaluate.evaluate).
        evaluations = evaluate(ws, indicators, levels, cube, audience="public")
    withheld = {e.indicator: e.reason for e in evaluations if e.status == "withheld"}
    evals = [e for e in evaluations if e.status != "withheld"]
    indicators = IndicatorSet(
        version=indicators.version,
        objectives=indicators.objectives,
        indicators=[i for i in indicators.indicators if i.id not in withheld],
    )
    number = (existing[-1].number + 1) if existing else 1
    cutoff = cube.months[-1]
    meta: dict[str, Any] = {
        "edition": number,
        "partnership": ws.config.partnership.name,
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data_cutoff": cutoff,
        "data_cutoff_label": month_name(cutoff),
        "corrects": corrects,
        "note": note,
        "method_version": METHOD_VERSION,
        "saferplaces_version": _version(),
        "lsoa_vintage": cube.lsoa_vintage,
        "missing_months": [m for m, x in zip(cube.months, cube.missing, strict=True) if x],
        "indicator_set": indicators.model_dump(mode="json"),
        "withheld": [{"indicator": k, "reason": v} for k, v in sorted(withheld.items())],
        "lake_provenance": _provenance(cube),
        "evaluations": [e.to_dict() for e in evals],
    }
    base = editions_dir(ws)
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        (tmp / EDITION_FILE).write_text(json.dumps(meta, indent=1, default=str), "utf-8")
        render.write_outputs(tmp, meta, indicators, evals, formats)
        files = {
            str(p.relative_to(tmp)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        (tmp / MANIFEST).write_text(
            json.dumps({"edition": number, "files": files}, indent=1), "utf-8"
        )
        for p in tmp.rglob("*"):
            if p.is_file():
                p.chmod(0o444)
        target = _edition_path(ws, number)
        if target.exists():  # another publisher got there first: never overwrite
            raise SaferPlacesError(f"{target} already exists; publish again for a new number")
        os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return list_editions(ws)[-1]


def _version() -> str:
    from .. import __version__

    return __version__
