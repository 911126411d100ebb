"""Dataset definitions: the built-in templates are valid; bad YAML names the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from saferplaces.errors import ConfigError
from saferplaces.partners.definitions import (
    DatasetNotFoundError,
    builtin_names,
    definitions_dir,
    list_definitions,
    load_definition,
    read_definition,
)
from saferplaces.workspace import Workspace

TEMPLATES = [
    "ae_assaults", "call_handling", "council_asb", "fire_deliberate", "marac", "nrm",
    "police_workforce", "speed_enforcement", "speed_watch", "victims_code",
]  # fmt: skip


def test_every_template_is_present_and_valid() -> None:
    assert builtin_names() == TEMPLATES
    for name in TEMPLATES:
        defn = load_definition(name)
        assert defn.name == name and defn.retention_months > 0


def test_template_policies() -> None:
    """The sensitivity, threshold and personal-data policy each template promises."""
    got = {
        n: (str(d.sensitivity), d.threshold, d.personal_data_policy)
        for n in TEMPLATES
        if (d := load_definition(n))
    }
    assert got["ae_assaults"] == ("restricted", 10, "refuse")  # ISTV: no patient identifiers
    assert got["marac"] == ("restricted", 10, "warn")
    assert got["nrm"] == ("restricted", 10, "warn")
    assert got["council_asb"] == ("partners", 10, "refuse")
    assert got["police_workforce"] == ("public", 5, "refuse")
    assert got["call_handling"] == ("public", 0, "refuse")
    assert load_definition("police_workforce").snapshot


MINIMAL = {
    "name": "my_data",
    "title": "Mine",
    "owner": "Us",
    "sensitivity": "partners",
    "retention_months": 12,
    "date": {"column": "day", "resolution": "date"},
    "columns": [{"name": "day", "type": "date"}],
}


def _write(tmp_path: Path, data: object, name: str = "my_data") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sensitivity": "secret"}, "my_data.yaml: sensitivity: Input should be"),
        ({"colour": "blue"}, "my_data.yaml: colour: unknown key"),
        ({"columns": [{"name": "day", "type": "date"}, {"name": "c", "type": "category"}]},
         "my_data.yaml: columns.1: a category column needs 'values'"),
        ({"columns": [{"name": "day", "type": "date"}, {"name": "c", "type": "code"}]},
         "columns.1: a code column needs 'pattern'"),
        ({"columns": [{"name": "day", "type": "date"},
                      {"name": "c", "type": "code", "pattern": "([A-Z"}]},
         "not a valid regular expression"),
        ({"columns": [{"name": "day", "type": "date"}, {"name": "Bad Name", "type": "string"}]},
         "columns.1.name: String should match pattern"),
        ({"date": {"column": "nope", "resolution": "date"}}, "date.column: no column named 'nope'"),
        ({"date": {"column": "day", "resolution": "datetime"}},
         "date.column: column 'day' is date; needs datetime"),
        ({"columns": [{"name": "day", "type": "date"}, {"name": "month", "type": "string"}]},
         "reserved by SaferPlaces: month"),
        ({"columns": [{"name": "day", "type": "date"}, {"name": "day", "type": "string"}]},
         "columns repeat: day"),
        ({"geography": {"kind": "point", "x": "day"}}, "geography: a point geography needs"),
        ({"geography": {"kind": "lsoa", "column": "day"}},
         "geography.column: column 'day' is date"),
        ({"measures": ["day"]}, "measures: column 'day' is date; needs integer"),
        ({"measures": []}, "measures: list at least one count column"),
        ({"retention_months": 0}, "retention_months: Input should be greater than or equal to 1"),
    ],
)  # fmt: skip
def test_bad_definitions_name_file_and_key(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        read_definition(_write(tmp_path, {**MINIMAL, **change}))
    assert message.removeprefix("my_data.yaml: ") in str(exc.value)
    assert str(exc.value).startswith("my_data.yaml")


def test_definition_name_must_match_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"other\.yaml: name: 'my_data' must match"):
        read_definition(_write(tmp_path, MINIMAL, "other"))


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "my_data.yaml"
    path.write_text("name: my_data\ncolumns: [\n", "utf-8")
    with pytest.raises(ConfigError, match=r"my_data\.yaml, line \d+: not valid YAML"):
        read_definition(path)


def test_workspace_definitions_are_listed_and_win(ws: Workspace) -> None:
    folder = definitions_dir(ws.root)
    folder.mkdir(parents=True)
    _write(folder, MINIMAL)
    custom = {**load_definition("nrm").model_dump(mode="json"), "retention_months": 6}
    _write(folder, custom, "nrm")
    found = list_definitions(ws.root)
    assert not found["my_data"].builtin and not found["nrm"].builtin
    assert load_definition("nrm", ws.root).retention_months == 6
    assert load_definition("nrm").retention_months == 36


def test_unknown_dataset_suggests_the_closest() -> None:
    with pytest.raises(DatasetNotFoundError, match="did you mean 'marac'"):
        load_definition("maracc")
