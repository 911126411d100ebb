"""Indicators and the Scorecard: definitions (YAML), evaluation and immutable editions."""

from __future__ import annotations

from pathlib import Path

from ..workspace import Workspace
from .definitions import IndicatorSet, default_indicator_set, load_indicator_set

INDICATOR_FILE = "indicators.yaml"


def workspace_indicators(ws: Workspace) -> IndicatorSet:
    """The workspace's ``indicators.yaml`` if it has one, else the default set."""
    path = Path(ws.root) / INDICATOR_FILE
    return load_indicator_set(path) if path.exists() else default_indicator_set()


__all__ = ["INDICATOR_FILE", "IndicatorSet", "default_indicator_set", "workspace_indicators"]
