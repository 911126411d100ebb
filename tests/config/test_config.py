from __future__ import annotations

from pathlib import Path

import pytest

from saferplaces import ConfigError, Workspace
from saferplaces.config import load_config


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "saferplaces.toml"
    p.write_text(text, "utf-8")
    return p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[partnership]\nname = ""\n', "partnership.name: String should have at least 1 character"),
        ("[partnership]\nforces = []\n", "partnership.name: Field required"),
        (
            '[partnership]\nname = "x"\nforces = "avon-and-somerset"\n',
            "partnership.forces: Input should be a valid list",
        ),
        (
            '[partnership]\nname = "x"\n[ingest]\nmax_zip_ratio = 0.5\n',
            "ingest.max_zip_ratio: Input should be greater than 1",
        ),
        ('[partnership]\nname = "x"\n[extra]\n', "extra: unknown key"),
        ("[partnership\n", "not valid TOML"),
        ("", "partnership: Field required"),
    ],
)
def test_bad_config_messages(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(_write(tmp_path, text))
    assert message in str(exc.value)
    assert "saferplaces.toml" in str(exc.value)


def test_create_then_open_round_trip(tmp_path: Path) -> None:
    ws = Workspace.create(
        tmp_path / "w", 'Bath "and" NE Somerset CSP', ["avon-and-somerset"], ["E06000022"]
    )
    again = Workspace.open(tmp_path / "w")
    assert again.config == ws.config
    assert again.config.partnership.name == 'Bath "and" NE Somerset CSP'
    with pytest.raises(ConfigError, match="already exists"):
        Workspace.create(tmp_path / "w", "x")
