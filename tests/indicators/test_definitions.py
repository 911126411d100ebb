from __future__ import annotations

import pytest

from saferplaces import ConfigError
from saferplaces.indicators.definitions import default_indicator_set, parse_indicator_set

HEAD = "version: 1\nobjectives: [{id: safer, title: Safer}]\nindicators:\n"
OK = """  - id: a
    title: A
    description: d
    objective: safer
    theme: t
    type: lagging
    measure: {kind: count}
"""


def _bad(extra: str, replace: tuple[str, str] | None = None) -> str:
    body = OK if replace is None else OK.replace(*replace)
    return HEAD + body + extra


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _bad(
                "",
                (
                    "measure: {kind: count}",
                    "measure: {kind: count}\n    source: {categories: [burgalry]}",
                ),
            ),
            "indicator 'a': source.categories: unknown category 'burgalry'",
        ),
        (
            _bad("", ("objective: safer", "objective: nowhere")),
            "objective 'nowhere' is not defined",
        ),
        (
            _bad("", ("measure: {kind: count}", "measure: {kind: rate}")),
            "a rate needs a denominator",
        ),
        (
            _bad(
                "",
                ("measure: {kind: count}", "measure: {kind: count}\n    target: {kind: absolute}"),
            ),
            "indicator 'a': target",
        ),
        (
            _bad(
                "", ("measure: {kind: count}", "measure: {kind: count}\n    target: {kind: half}")
            ),
            "does not match any of the expected tags",
        ),
        (
            _bad("", ("measure: {kind: count}", "measure: {kind: proportion}")),
            "a proportion needs source.outcome_groups",
        ),
        (_bad(OK), "indicator id 'a' is used twice"),
        (_bad("", ("theme: t", "theme: t\n    colour: red")), "indicator 'a': colour: unknown key"),
        (
            _bad("", ("period", "x")).replace("type: lagging", "type: lagging\n    period: weekly"),
            "indicator 'a': period: Input should be",
        ),
        ("- just a list", "expected a mapping"),
        ("objectives: [", "not valid YAML"),
    ],
)
def test_bad_definitions_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_indicator_set(text, "mine.yaml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("mine.yaml")


def test_default_set_is_valid_and_covers_the_three_objectives() -> None:
    s = default_indicator_set()
    assert {o.title for o in s.objectives} == {
        "Protect Vulnerable People",
        "Reduce Harm",
        "Create Safer Communities",
    }
    ids = {i.id for i in s.indicators}
    assert {
        "violence-rate",
        "neighbourhood-crime",
        "asb-incidents",
        "shoplifting",
        "weapons-possession",
        "drugs-offences",
        "harm-index",
        "vehicle-crime-no-suspect",
        "positive-outcome-rate",
    } <= ids
    assert all(
        i.activity_driven for i in s.indicators if i.id in ("drugs-offences", "weapons-possession")
    )
    nc = next(i for i in s.indicators if i.id == "neighbourhood-crime")
    assert any("over-count" in c for c in nc.caveats)
