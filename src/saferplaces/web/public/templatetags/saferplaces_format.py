"""Number formatting for pages: figures are shown as the lake gives them, only formatted."""

from __future__ import annotations

from django import template

from ...datasource import month_name as _month_name

register = template.Library()


@register.filter
def thousands(value: int | None) -> str:
    """12345 → "12,345"; None → "" (callers show missing values explicitly)."""
    return "" if value is None else f"{int(value):,}"


@register.filter
def percent(value: float | None) -> str:
    """A share as a percentage with one decimal place: 0.0105 → "1.1%"; below 0.05% → "less
    than 0.1%" rather than a misleading "0.0%"."""
    if value is None:
        return ""
    if 0 < value < 0.0005:
        return "less than 0.1%"
    return f"{value * 100:.1f}%"


@register.filter
def month_name(value: str) -> str:
    return _month_name(value)


@register.filter
def figure(value: float | None, unit: str = "") -> str:
    """An indicator value as the Scorecard shows it: "n/a" when missing, 1 decimal for a
    percentage, 2 for a rate, whole numbers for counts."""
    from ....publish.scorecard import fmt

    return fmt(value, unit or "")


@register.filter
def get_item(mapping: dict[str, str], key: str) -> str | None:
    return mapping.get(key)
