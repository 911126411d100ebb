"""``briefings.yaml``: the neighbourhood text of each briefing, and a few settings.

The statistics of a briefing come from the data; what the neighbourhood team is doing, how to
contact it and any local note come from this workspace file, keyed by area code. Text is plain
text (never HTML: every value is escaped when rendered), and links may only be ``https://``,
``http://`` or ``mailto:`` addresses, so a file edited by many hands cannot put script on a
public page. The full reference, with an example, is ``docs/briefings.md``::

    version: 1
    settings:
      outcome_lag_months: 3
    defaults:                      # every briefing, unless a level or an area says otherwise
      contact: Call 101, or 999 in an emergency.
    levels:
      ward:
        parent: lad                # compare wards with their district (default: found out)
        denominator: population    # a stored denominator for rates at this level
    areas:
      E05005150:
        team: Blackburn Central neighbourhood team
        priorities:
          - Speeding on Whalley Range
        contact: blackburn.central@example.police.uk
        links:
          - {text: Police and Crime Plan, url: "https://example.org/plan"}
        note: Surgery every first Tuesday at the library.

An area's text is merged key by key: the area's own value, else its level's, else ``defaults``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError
from ..workspace import Workspace

BRIEFINGS_FILE = "briefings.yaml"
_URL = re.compile(r"^(https?://[^\s<>\"']+|mailto:[^\s<>\"']+@[^\s<>\"']+)$", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Link(_Strict):
    text: str = Field(min_length=1, max_length=120)
    url: str = Field(max_length=500)

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        # Only web and mail links: a javascript: or data: URL would run on a public page.
        if not _URL.match(value):
            raise ValueError(
                f"'{value}' is not a web or mail address (use https://..., http://... or "
                "mailto:...)"
            )
        return value


class AreaText(_Strict):
    """The neighbourhood team's text for one area (every key optional)."""

    team: str | None = Field(None, max_length=200, description="The team's name.")
    priorities: list[str] | None = Field(
        None, max_length=8, description="The team's current priorities, one line each."
    )
    contact: str | None = Field(None, max_length=1000, description="How to contact the team.")
    links: list[Link] | None = Field(None, max_length=5)
    note: str | None = Field(None, max_length=1500, description="Anything else, plain text.")

    @field_validator("priorities")
    @classmethod
    def _priorities(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = [v.strip() for v in value]
        for i, v in enumerate(out, start=1):
            if not v:
                raise ValueError(f"priority {i} is blank")
            if len(v) > 300:
                raise ValueError(f"priority {i} is longer than 300 characters")
        return out


class LevelSettings(AreaText):
    parent: str | None = Field(
        None,
        description="Level to compare with (e.g. 'lad'); 'none' for the force only.",
    )
    denominator: str | None = Field(
        None, description="Name of a stored denominator for rates at this level."
    )


class Settings(_Strict):
    outcome_lag_months: int = Field(
        3, ge=0, le=12, description="Leave the latest N months out of outcome figures."
    )


class BriefingsConfig(_Strict):
    version: Literal[1] = 1
    settings: Settings = Field(default_factory=lambda: Settings.model_validate({}))
    defaults: AreaText = Field(default_factory=lambda: AreaText.model_validate({}))
    levels: dict[str, LevelSettings] = Field(default_factory=dict)
    areas: dict[str, AreaText] = Field(default_factory=dict)

    def text_for(self, level: str, code: str) -> AreaText:
        """The area's text merged key by key over its level's and the defaults."""
        merged: dict[str, Any] = {}
        layers: list[AreaText | None] = [
            self.defaults,
            self.levels.get(level),
            self.areas.get(code),
        ]
        for layer in layers:
            if layer is None:
                continue
            for key in AreaText.model_fields:
                value = getattr(layer, key)
                if value is not None:
                    merged[key] = value
        return AreaText.model_validate(merged)

    def level(self, level: str) -> LevelSettings:
        return self.levels.get(level) or LevelSettings.model_validate({})

    def unknown_codes(self, known: set[str]) -> list[str]:
        """Area codes in the file that are not among ``known`` (likely typos)."""
        return sorted(c for c in self.areas if c not in known)


def _keys_are_text(data: dict[str, Any], path: str) -> None:
    # YAML reads an unquoted 01234 as a number (and 0123 as octal 83): the code would silently
    # never match, so refuse it and say how to fix it.
    for section in ("areas", "levels"):
        block = data.get(section)
        if isinstance(block, dict):
            for key in block:
                if not isinstance(key, str):
                    raise ConfigError(
                        f"{path}: {section}: the key {key!r} is not text; put the code in "
                        f'quotes ("{key}") so YAML keeps it exactly as written'
                    )


def _format(path: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see docs/briefings.md)"
        lines.append(f"{path}: {where}: {msg}")
    return "\n".join(lines)


def parse_briefings_config(text: str, path: str = BRIEFINGS_FILE) -> BriefingsConfig:
    """Parse and validate the text of a ``briefings.yaml``; :class:`ConfigError` names the key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return BriefingsConfig.model_validate({})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'areas', 'levels' or 'defaults'")
    _keys_are_text(data, path)
    for section in ("areas", "levels"):
        block = data.get(section)
        if isinstance(block, dict):
            for key, value in block.items():
                if value is None:  # "E05001643:" with nothing under it
                    block[key] = {}
    try:
        return BriefingsConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(path, exc)) from None


def load_briefings_config(ws: Workspace | Path | str) -> BriefingsConfig:
    """The workspace's ``briefings.yaml`` (an empty configuration if there is none)."""
    root = ws.root if isinstance(ws, Workspace) else Path(ws)
    path = root / BRIEFINGS_FILE
    if not path.exists():
        return BriefingsConfig.model_validate({})
    return parse_briefings_config(path.read_text("utf-8"), str(path))
