"""Docs that are generated or that must cover every setting stay in step with the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from saferplaces.config import WorkspaceConfig

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_cli_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen", DOCS / "generate_cli_reference.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (DOCS / "cli.md").read_text("utf-8") == gen.render(), (
        "docs/cli.md is out of date: run python docs/generate_cli_reference.py"
    )


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text("utf-8")
    for section, field in WorkspaceConfig.model_fields.items():
        assert f"[{section}]" in text, f"section [{section}] missing from docs/configuration.md"
        model = field.annotation
        for key in model.model_fields:  # type: ignore[union-attr]
            assert f"`{key}`" in text, f"{section}.{key} missing from docs/configuration.md"
