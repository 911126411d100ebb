"""docs/partner-data.md documents every template's columns; docs/disclosure.md exists."""

from __future__ import annotations

from pathlib import Path

from saferplaces.partners.definitions import builtin_names, load_definition

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_template_column_is_documented() -> None:
    text = (DOCS / "partner-data.md").read_text("utf-8")
    for name in builtin_names():
        defn = load_definition(name)
        section = text.split(f"### `{name}`", 1)
        assert len(section) == 2, f"no section for {name}"
        body = section[1].split("\n### ", 1)[0]
        for col in defn.columns:
            assert f"| `{col.name}` | {col.type} |" in body, f"{name}.{col.name} undocumented"
        assert f"minimum cell size {defn.threshold}" in body
        assert f"kept {defn.retention_months} months" in body


def test_legal_basis_and_disclosure_docs() -> None:
    text = (DOCS / "partner-data.md").read_text("utf-8")
    for phrase in ("section 17A", "section 115", "SI 2007/1831", "ISTV"):
        assert phrase in text
    assert "Worked example" in (DOCS / "disclosure.md").read_text("utf-8")
