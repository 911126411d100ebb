"""Declarative partner dataset definitions (YAML), validated with pydantic.

A definition says what a partner's file must contain: its columns and their types, the date
column and its resolution, the geography, what to count, how sensitive it is, the smallest
publishable count and how long it may be kept. Built-in templates live in ``templates/``; a
workspace may add its own in ``<workspace>/partners/definitions/<name>.yaml`` (a workspace
definition with a built-in's name replaces it in that workspace). Errors name the file and the
key, e.g. ``marac.yaml: columns.2.type: Input should be 'string', 'integer', …``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ConfigError, SaferPlacesError
from ..publish.disclosure import DEFAULT_MIN_CELL_SIZE, Sensitivity

__all__ = [
    "GEOGRAPHY_PATTERNS",
    "RESERVED_COLUMNS",
    "Column",
    "DatasetDefinition",
    "DatasetNotFoundError",
    "DateSpec",
    "DefinitionSource",
    "Geography",
    "builtin_names",
    "definitions_dir",
    "list_definitions",
    "load_definition",
    "parse_definition",
]

ColumnType = Literal[
    "string",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
    "month",
    "quarter",
    "category",
    "code",
]
Resolution = Literal["datetime", "date", "month", "quarter"]
GeographyKind = Literal["point", "postcode_district", "postcode_sector", "lsoa", "ward", "none"]

NAME_RE = r"^[a-z][a-z0-9_]{1,39}$"
COLUMN_RE = r"^[a-z][a-z0-9_]{0,62}$"

#: Columns SaferPlaces adds to every stored row or query result; a definition may not use them.
RESERVED_COLUMNS = frozenset(
    {"month", "quarter", "year", "source_row", "bng_x", "bng_y", "date_resolution", "has_location"}
)

#: Codes each geography kind must match (on top of a column's own pattern).
GEOGRAPHY_PATTERNS: dict[str, str] = {
    "postcode_district": r"[A-Z]{1,2}[0-9][A-Z0-9]?",
    "postcode_sector": r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]",
    "lsoa": r"[EW]01[0-9]{6}",
    "ward": r"[EW]05[0-9]{6}",
}

# Which column types can hold a date of each resolution (a coarser column cannot serve a
# finer resolution; a finer one is truncated, e.g. a date column read as months).
_RESOLUTION_TYPES: dict[str, set[str]] = {
    "datetime": {"datetime"},
    "date": {"date", "datetime"},
    "month": {"month", "date", "datetime"},
    "quarter": {"quarter"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    name: str = Field(pattern=COLUMN_RE, description="Column name in the lake (snake_case).")
    type: ColumnType
    required: bool = Field(True, description="Must be mapped, and blank values are rejected.")
    description: str = ""
    aliases: list[str] = Field(
        default_factory=list, description="Other headers partners use for this column."
    )
    values: list[str] | None = Field(None, description="Allowed values of a category column.")
    pattern: str | None = Field(
        None, description="Regular expression a code column's values must match in full."
    )
    min: float | None = None
    max: float | None = None
    max_length: int = Field(1000, ge=1, description="Longest allowed text, in characters.")

    @model_validator(mode="after")
    def _type_options(self) -> Column:
        if self.type == "category":
            if not self.values:
                raise ValueError("a category column needs 'values' (the allowed values)")
            folded = [_fold(v) for v in self.values]
            if len(set(folded)) != len(folded):
                raise ValueError("category 'values' repeat (ignoring case and spaces)")
        elif self.values is not None:
            raise ValueError("'values' is only for category columns")
        if self.type == "code":
            if not self.pattern:
                raise ValueError("a code column needs 'pattern' (a regular expression)")
        elif self.pattern is not None:
            raise ValueError("'pattern' is only for code columns")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from None
        if (self.min is not None or self.max is not None) and self.type not in (
            "integer",
            "number",
        ):
            raise ValueError("'min' and 'max' are only for integer and number columns")
        return self


class DateSpec(_Strict):
    column: str
    resolution: Resolution
    earliest: dt.date = Field(
        dt.date(2000, 1, 1), description="Dates before this are rejected as out of range."
    )


class Geography(_Strict):
    kind: GeographyKind
    x: str | None = Field(None, description="Point: the easting or longitude column.")
    y: str | None = Field(None, description="Point: the northing or latitude column.")
    crs: Literal["EPSG:4326", "EPSG:27700"] = "EPSG:4326"
    column: str | None = Field(None, description="Code kinds: the column holding the code.")
    vintage: Literal[2011, 2021] | None = Field(None, description="LSOA codes: 2011 or 2021.")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Geography:
        if self.kind == "point":
            if not (self.x and self.y):
                raise ValueError("a point geography needs 'x' and 'y' columns")
            if self.column:
                raise ValueError("a point geography takes 'x' and 'y', not 'column'")
        elif self.kind == "none":
            if self.x or self.y or self.column:
                raise ValueError("geography 'none' takes no columns")
        else:
            if not self.column:
                raise ValueError(f"a {self.kind} geography needs 'column'")
            if self.x or self.y:
                raise ValueError(f"a {self.kind} geography takes 'column', not 'x'/'y'")
        if self.vintage is not None and self.kind != "lsoa":
            raise ValueError("'vintage' is only for LSOA geography")
        return self


class Check(_Strict):
    """A rule between two numeric columns of the same row: ``column ≤ not_more_than``."""

    column: str
    not_more_than: str


class DatasetDefinition(_Strict):
    name: str = Field(pattern=NAME_RE, description="Dataset name (snake_case).")
    title: str = Field(min_length=1)
    owner: str = Field(min_length=1, description="The organisation that owns the data.")
    description: str = ""
    version: int = Field(1, ge=1, description="Raise when the columns change.")
    sensitivity: Sensitivity
    min_cell_size: int | None = Field(
        None, ge=0, description="Smallest count published to audiences below clearance."
    )
    retention_months: int = Field(ge=1, le=1200, description="Months of data kept by purge.")
    personal_data: Literal["refuse", "warn"] | None = Field(
        None,
        description="What to do with personal data found in stored columns (default: warn for "
        "restricted datasets, refuse for others).",
    )
    date: DateSpec
    geography: Geography = Field(default_factory=lambda: Geography(kind="none"))  # type: ignore[call-arg]
    measures: Literal["rows"] | list[str] = Field(
        "rows", description="'rows' (count records) or the integer count columns to sum."
    )
    snapshot: bool = Field(
        False,
        description="Each date is a snapshot (a stock, e.g. headcount on 31 March): counts "
        "are never added up across dates.",
    )
    columns: list[Column] = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)

    @field_validator("measures")
    @classmethod
    def _measures_not_empty(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("list at least one count column, or write 'rows'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatasetDefinition:
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"columns repeat: {', '.join(dupes)}")
        reserved = sorted(
            set(names) & RESERVED_COLUMNS | {n for n in names if n.startswith("area_")}
        )
        if reserved:
            raise ValueError(
                f"column names reserved by SaferPlaces: {', '.join(reserved)} (choose another)"
            )
        by_name = {c.name: c for c in self.columns}

        def need(col: str | None, where: str, types: set[str]) -> None:
            if col is None:
                return
            if col not in by_name:
                raise ValueError(f"{where}: no column named '{col}' in columns")
            if by_name[col].type not in types:
                wanted = " or ".join(sorted(types))
                raise ValueError(f"{where}: column '{col}' is {by_name[col].type}; needs {wanted}")

        need(self.date.column, "date.column", _RESOLUTION_TYPES[self.date.resolution])
        if not by_name[self.date.column].required:
            raise ValueError("date.column: the date column must be required")
        geo = self.geography
        need(geo.x, "geography.x", {"number"})
        need(geo.y, "geography.y", {"number"})
        need(geo.column, "geography.column", {"code", "string"})
        if isinstance(self.measures, list):
            for m in self.measures:
                need(m, "measures", {"integer"})
        for i, chk in enumerate(self.checks):
            need(chk.column, f"checks.{i}.column", {"integer", "number"})
            need(chk.not_more_than, f"checks.{i}.not_more_than", {"integer", "number"})
        return self

    # ---- derived -----------------------------------------------------------------------------

    @property
    def dataset(self) -> str:
        """The lake folder of this dataset."""
        return f"partner_{self.name}"

    @property
    def threshold(self) -> int:
        """The minimum cell size in force (the definition's, else the sensitivity default)."""
        if self.min_cell_size is not None:
            return self.min_cell_size
        return DEFAULT_MIN_CELL_SIZE[Sensitivity(self.sensitivity)]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def personal_data_policy(self) -> Literal["refuse", "warn"]:
        if self.personal_data is not None:
            return self.personal_data
        return "warn" if self.sensitivity == Sensitivity.RESTRICTED else "refuse"

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def measure_columns(self) -> list[str]:
        return [] if self.measures == "rows" else list(self.measures)

    def geography_columns(self) -> list[str]:
        g = self.geography
        return [c for c in (g.x, g.y, g.column) if c]


def _fold(text: str) -> str:
    """Case- and spacing-insensitive form used to match category values and headers."""
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------


class DatasetNotFoundError(SaferPlacesError, LookupError):
    """No built-in or workspace definition has this name."""


@dataclass(frozen=True)
class DefinitionSource:
    name: str
    path: Path
    builtin: bool


def _format(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/partner-data.md)"
        lines.append(f"{path.name}: {key}: {msg}")
    return "\n".join(lines)


def parse_definition(data: Any, path: Path) -> DatasetDefinition:
    """Validate a loaded YAML document; :class:`ConfigError` naming the file and key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: a dataset definition must be a YAML mapping")
    try:
        return DatasetDefinition.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(path, exc)) from None


def read_definition(path: Path) -> DatasetDefinition:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path.name}{where}: not valid YAML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the definition ({exc})") from None
    defn = parse_definition(data, path)
    if defn.name != path.stem:
        raise ConfigError(f"{path.name}: name: '{defn.name}' must match the file name")
    return defn


def templates_dir() -> Path:
    return Path(str(resources.files("saferplaces.partners") / "templates"))


def definitions_dir(root: Path) -> Path:
    """Where a workspace keeps its own definitions (``root`` is the workspace folder)."""
    return root / "partners" / "definitions"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in templates_dir().glob("*.yaml"))


def list_definitions(root: Path | None = None) -> dict[str, DefinitionSource]:
    """Every definition available: built-in templates, then the workspace's own (which win)."""
    out = {
        p.stem: DefinitionSource(p.stem, p, True) for p in sorted(templates_dir().glob("*.yaml"))
    }
    if root is not None and definitions_dir(root).exists():
        for p in sorted(definitions_dir(root).glob("*.yaml")):
            out[p.stem] = DefinitionSource(p.stem, p, False)
    return out


def load_definition(name: str, root: Path | None = None) -> DatasetDefinition:
    """The definition called ``name`` (workspace first, then built-in)."""
    found = list_definitions(root)
    if name not in found:
        import difflib

        close = difflib.get_close_matches(name, list(found), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise DatasetNotFoundError(
            f"no partner dataset definition called '{name}'{hint}; "
            "'saferplaces partners list' shows them"
        )
    return read_definition(found[name].path)
