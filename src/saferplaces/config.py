"""Workspace configuration (``saferplaces.toml``), validated with pydantic.

Validation errors name the key and what is wrong, e.g. ``saferplaces.toml: partnership.forces:
unknown force slug 'avon' (did you mean 'avon-and-somerset'?)``.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .taxonomy import forces as known_forces

CONFIG_FILE = "saferplaces.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Partnership(_Strict):
    name: str = Field(min_length=1, description="The partnership's name, shown on every output.")
    forces: list[str] = Field(
        default_factory=list, description="police.uk force slugs whose data the partnership uses."
    )
    areas: list[str] = Field(
        default_factory=list,
        description="Codes of the partnership's own area(s), e.g. local authority district codes.",
    )

    @field_validator("forces")
    @classmethod
    def _known_forces(cls, value: list[str]) -> list[str]:
        for slug in value:
            if slug not in known_forces():
                close = [f for f in known_forces() if slug and slug in f][:1] or (
                    difflib.get_close_matches(slug, list(known_forces()), n=1)
                )
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise ValueError(f"unknown force slug '{slug}'{hint}")
        return value


class Storage(_Strict):
    lake: str = Field("lake", description="Folder of the Parquet lake, relative to the workspace.")
    database: str = Field(
        "app.sqlite3",
        description="SQLite file of the application database (DATABASE_URL overrides it).",
    )
    published: str = Field("published", description="Folder of immutable published editions.")


class IngestLimits(_Strict):
    max_zip_ratio: float = Field(
        200.0, gt=1, description="Largest allowed uncompressed/compressed size of a zip member."
    )
    max_zip_total_mb: int = Field(
        8192, gt=0, description="Largest allowed total uncompressed size of one zip, in MB."
    )
    max_line_bytes: int = Field(
        65536, gt=255, description="Longest allowed CSV line in bytes (longer: file rejected)."
    )


class Maps(_Strict):
    basemap_pmtiles: str = Field(
        "",
        description="URL (on this site) of a raster PMTiles basemap drawn under the web maps; "
        "empty: no basemap.",
    )
    basemap_style: str = Field(
        "",
        description="URL (on this site) of a MapLibre style JSON for a vector basemap, whose "
        "sources may be pmtiles:// URLs; overrides basemap_pmtiles.",
    )
    basemap_attribution: str = Field(
        "", description="Attribution shown under every map that draws the basemap."
    )


class OpenData(_Strict):
    min_cell_size: int = Field(
        0,
        ge=0,
        description="Smallest police.uk count the public area pages, downloads and API show; "
        "smaller ones are suppressed. 0: none (police.uk publishes them as open data).",
    )


class WorkspaceConfig(_Strict):
    partnership: Partnership
    storage: Storage = Field(default_factory=lambda: Storage())  # type: ignore[call-arg]
    ingest: IngestLimits = Field(default_factory=lambda: IngestLimits())  # type: ignore[call-arg]
    maps: Maps = Field(default_factory=lambda: Maps())  # type: ignore[call-arg]
    open_data: OpenData = Field(default_factory=lambda: OpenData())  # type: ignore[call-arg]


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/configuration.md)"
        lines.append(f"{path.name}: {key}: {msg}")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], path: Path) -> WorkspaceConfig:
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc)) from None


def load_config(path: Path) -> WorkspaceConfig:
    if not path.exists():
        raise ConfigError(
            f"{path}: no workspace configuration here; run 'saferplaces init' or pass --workspace"
        )
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_config(data, path)


def render_config(cfg: WorkspaceConfig) -> str:
    """TOML text for a config (the few types we use need no TOML writer library)."""

    def val(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return str(v)

    out = ["# SaferPlaces workspace. Keys are documented in docs/configuration.md.", ""]
    for section, model in cfg:
        out.append(f"[{section}]")
        for key, value in model:
            out.append(f"{key} = {val(value)}")
        out.append("")
    return "\n".join(out)
