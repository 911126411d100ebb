"""briefings.yaml: validated with errors that name the key, and merged area over level over
defaults."""

from __future__ import annotations

import pytest

from saferplaces.briefings import load_briefings_config, parse_briefings_config
from saferplaces.errors import ConfigError

GOOD = """
version: 1
settings: {outcome_lag_months: 4}
defaults:
  contact: Call 101.
  priorities: [Default priority]
levels:
  ward:
    parent: lad
    denominator: population
    team: Ward team
areas:
  E05001643:
    team: Anchorsholme team
    priorities: [Speeding, Litter]
    links:
      - {text: Plan, url: "https://example.org/plan"}
      - {text: Email, url: "mailto:team@example.org"}
  E05001644: {}
"""


def test_parse_and_merge() -> None:
    cfg = parse_briefings_config(GOOD)
    assert cfg.settings.outcome_lag_months == 4
    a = cfg.text_for("ward", "E05001643")
    assert (a.team, a.priorities, a.contact) == (
        "Anchorsholme team",
        ["Speeding", "Litter"],
        "Call 101.",
    )
    b = cfg.text_for("ward", "E05001644")  # listed but empty: level, then defaults
    assert (b.team, b.priorities) == ("Ward team", ["Default priority"])
    c = cfg.text_for("lad", "E06000023")
    assert (c.team, c.priorities) == (None, ["Default priority"])
    assert cfg.level("ward").parent == "lad" and cfg.level("ward").denominator == "population"
    assert cfg.unknown_codes({"E05001643"}) == ["E05001644"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("areas:\n  E1:\n    teem: x\n", "briefings.yaml: areas.E1.teem: unknown key"),
        (
            "areas:\n  E1:\n    links: [{text: x, url: 'javascript:alert(1)'}]\n",
            "areas.E1.links.0.url: 'javascript:alert(1)' is not a web or mail address",
        ),
        ("areas:\n  01234: {team: x}\n", "the key 668 is not text; put the code in quotes"),
        ("areas:\n  E1:\n    priorities: [a, b, c, d, e, f, g, h, i]\n", "at most 8 items"),
        ("areas:\n  E1:\n    priorities: ['  ']\n", "priority 1 is blank"),
        ("settings: {outcome_lag_months: 20}\n", "settings.outcome_lag_months"),
        ("version: 2\n", "version"),
        ("- a list\n", "expected a mapping"),
        ("areas: [unclosed\n", "not valid YAML"),
    ],
)
def test_errors_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_briefings_config(text)
    assert message in str(err.value)


def test_missing_file_is_empty(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = load_briefings_config(tmp_path)
    assert not cfg.areas and cfg.settings.outcome_lag_months == 3
    (tmp_path / "briefings.yaml").write_text("areas:\n  E1: {team: T}\n", "utf-8")
    assert load_briefings_config(tmp_path).text_for("ward", "E1").team == "T"
