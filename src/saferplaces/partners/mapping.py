"""Column mappings: which header of a partner's file feeds which dataset column.

``saferplaces partners map NAME FILE`` proposes a mapping by header similarity (exact names and
aliases first, then close spellings) and saves it as ``<workspace>/partners/<name>.mapping.yaml``;
next month's file with the same headers then needs no mapping step. A mapped header missing
from a later file is an error naming the closest header and the command to remap.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError, InputError
from .definitions import DatasetDefinition, _fold

__all__ = [
    "ColumnMapping",
    "Proposal",
    "check_mapping",
    "load_mapping",
    "mapping_path",
    "propose",
    "save_mapping",
]

_MIN_SCORE = 0.75  # below this a header is not proposed for a column


class ColumnMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    definition_version: int = 1
    columns: dict[str, str | None] = Field(
        description="Dataset column → the file's header (null: not in the file)."
    )
    sheet: str | None = Field(None, description="Excel sheet to read (default: the first).")
    date_resolution: Literal["month"] | None = Field(
        None, description="'month' when the file's dates are months (e.g. all on the 1st)."
    )
    created_at: str | None = None
    created_from: str | None = None

    def sha256(self) -> str:
        """Fingerprint of what the mapping does (not when it was made)."""
        body = {"columns": self.columns, "sheet": self.sheet, "res": self.date_resolution}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def header_for(self, column: str) -> str | None:
        return self.columns.get(column)


def mapping_path(root: Path, name: str) -> Path:
    return root / "partners" / f"{name}.mapping.yaml"


def load_mapping(root: Path, name: str) -> ColumnMapping | None:
    path = mapping_path(root, name)
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        return ColumnMapping.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        msgs = [
            f"{path.name}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError("\n".join(msgs)) from None


def save_mapping(root: Path, mapping: ColumnMapping) -> Path:
    """Write the mapping atomically (temporary file, then rename)."""
    path = mapping_path(root, mapping.dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    head = (
        f"# Column mapping for partner dataset '{mapping.dataset}' "
        "(made by 'saferplaces partners map'; edit freely).\n"
        "# columns: dataset column -> header in the partner's file (null = not in the file).\n"
    )
    body = yaml.safe_dump(mapping.model_dump(), sort_keys=False, allow_unicode=True)
    tmp = path.with_name(f".tmp-{path.name}")
    tmp.write_text(head + body, "utf-8")
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------------------------
# proposing
# --------------------------------------------------------------------------------------------


def _score(header: str, names: list[str]) -> float:
    """1.0 for an exact name or alias (ignoring case, spaces, _ and -); otherwise 0.9 × the
    best string similarity."""
    h = _fold(header)
    hs = h.replace(" ", "")
    best = 0.0
    for n in names:
        f = _fold(n)
        if h == f or hs == f.replace(" ", ""):
            return 1.0
        ratio = difflib.SequenceMatcher(None, hs, f.replace(" ", "")).ratio()
        tokens_h, tokens_f = set(h.split()), set(f.split())
        jacc = len(tokens_h & tokens_f) / len(tokens_h | tokens_f) if tokens_h | tokens_f else 0
        best = max(best, 0.9 * max(ratio, jacc))
    return best


@dataclass
class Proposal:
    dataset: str
    columns: dict[str, str | None]
    scores: dict[str, float]
    unmapped_headers: list[str]
    missing_required: list[str]
    date_resolution: Literal["month"] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        """Every required column found, each by an exact name or alias."""
        return not self.missing_required and all(
            self.scores.get(c, 0) >= 1.0 for c, h in self.columns.items() if h
        )

    def to_mapping(self, defn: DatasetDefinition, source: str | None = None) -> ColumnMapping:
        return ColumnMapping(
            dataset=defn.name,
            definition_version=defn.version,
            columns=self.columns,
            sheet=None,
            date_resolution=self.date_resolution,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            created_from=source,
        )


def propose(
    defn: DatasetDefinition, headers: list[str], sample: dict[str, list[str]] | None = None
) -> Proposal:
    """Match the file's ``headers`` to the definition's columns (greedy, best score first).

    ``sample`` (header → some values) lets the proposal notice a date column holding months
    (all dates on the 1st, or ``YYYY-MM``): the mapping then reads it at month resolution."""
    pairs = []
    for col in defn.columns:
        names = [col.name, col.name.replace("_", " "), *col.aliases]
        for h in headers:
            pairs.append((_score(h, names), col.name, h))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    chosen: dict[str, str | None] = {c.name: None for c in defn.columns}
    scores: dict[str, float] = {}
    used: set[str] = set()
    for score, col_name, h in pairs:
        if score < _MIN_SCORE or chosen[col_name] is not None or h in used:
            continue
        chosen[col_name] = h
        scores[col_name] = round(score, 3)
        used.add(h)
    missing = [c for c in defn.required_columns if chosen[c] is None]
    prop = Proposal(defn.name, chosen, scores, [h for h in headers if h not in used], missing)
    date_header = chosen.get(defn.date.column)
    if (
        sample
        and date_header
        and defn.date.resolution in ("date", "datetime")
        and _months_only(sample.get(date_header, []))
    ):
        prop.date_resolution = "month"
        prop.notes.append(
            f"'{date_header}' holds months, not days (every date is the 1st or YYYY-MM): the "
            "file is read at month resolution, so day-level analysis (near-repeat) is refused"
        )
    return prop


def _months_only(values: list[str]) -> bool:
    from ._values import _date_of, _month_of

    seen = [v.strip() for v in values if v and v.strip()]
    if len(seen) < 2:
        return False
    for v in seen:
        d = _date_of(v)
        if d is not None:
            if d.day != 1:
                return False
        elif _month_of(v) is None:
            return False
    return True


# --------------------------------------------------------------------------------------------
# checking a mapping against a file
# --------------------------------------------------------------------------------------------


def _closest(names: list[str], candidates: list[str]) -> str | None:
    """The candidate header most like any of ``names`` (the old header, the column's name and
    aliases): by spelling, or by containing all the words of one of them."""
    best: tuple[float, str] | None = None
    for cand in candidates:
        words = set(_fold(cand).split())
        contained = max(
            (1.0 if set(_fold(n).split()) <= words else 0.0 for n in names if _fold(n)),
            default=0.0,
        )
        score = max(_score(cand, names), 0.8 * contained)
        if best is None or score > best[0]:
            best = (score, cand)
    return best[1] if best and best[0] >= 0.45 else None


def check_mapping(
    defn: DatasetDefinition,
    mapping: ColumnMapping,
    headers: list[str],
    path: Path,
    workspace_flag: str = "",
) -> None:
    """:class:`InputError` when a mapped header is missing (naming the closest header and the
    remap command) or a required column is unmapped."""
    present = set(headers)
    unused = [h for h in headers if h not in set(mapping.columns.values())]
    remap = f"saferplaces partners map{workspace_flag} {defn.name} {path.name}"
    problems = []
    for col, header in mapping.columns.items():
        if header is None or header in present:
            continue
        col_def = next((c for c in defn.columns if c.name == col), None)
        names = [header, col, *(col_def.aliases if col_def else [])]
        close = _closest(names, unused)
        hint = f"; the closest header is '{close}'" if close else ""
        problems.append(f"column '{header}' (for {col}) is not in the file{hint}")
    for col in defn.required_columns:
        if mapping.columns.get(col) is None:
            problems.append(f"required column '{col}' is not mapped to any header")
    unknown = sorted(set(mapping.columns) - {c.name for c in defn.columns})
    if unknown:
        problems.append(f"the saved mapping names columns the dataset lacks: {', '.join(unknown)}")
    if problems:
        raise InputError(
            path,
            "; ".join(problems) + f". If the partner renamed columns, run '{remap}' to update "
            "the saved mapping",
        )
