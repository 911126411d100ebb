"""Indicators and the Scorecard: definitions (YAML), evaluation and immutable editions."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..workspace import Workspace
from .definitions import Indicator, IndicatorSet, default_indicator_set, load_indicator_set

INDICATOR_FILE = "indicators.yaml"


def partner_templates() -> list[Indicator]:
    """Indicator templates for partner datasets (``partner_templates.yaml``)."""
    from importlib import resources

    text = resources.files("saferplaces.indicators").joinpath("partner_templates.yaml")
    data = yaml.safe_load(text.read_text("utf-8"))
    return [Indicator.model_validate(d) for d in data["indicators"]]


def workspace_indicators(ws: Workspace) -> IndicatorSet:
    """The workspace's ``indicators.yaml`` if it has one, else the default set, plus the
    partner templates whose dataset holds data (when the set has their objective)."""
    from ..partners.query import present_datasets

    path = Path(ws.root) / INDICATOR_FILE
    base = load_indicator_set(path) if path.exists() else default_indicator_set()
    present = {f"partner:{d.name}" for d in present_datasets(ws)}
    ids = {i.id for i in base.indicators}
    objectives = {o.id for o in base.objectives}
    extra = [
        t
        for t in partner_templates()
        if t.source.dataset in present and t.id not in ids and t.objective in objectives
    ]
    if not extra:
        return base
    return IndicatorSet(
        version=base.version, objectives=base.objectives, indicators=[*base.indicators, *extra]
    )


__all__ = [
    "INDICATOR_FILE",
    "Indicator",
    "IndicatorSet",
    "default_indicator_set",
    "partner_templates",
    "workspace_indicators",
]
