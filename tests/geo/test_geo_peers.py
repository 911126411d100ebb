"""Peer groups: CRUD in peer_groups.toml, validation, hand-edited files."""

from __future__ import annotations

import pytest

from saferplaces.errors import ConfigError
from saferplaces.geo import (
    AreaNotFoundError,
    PeerGroup,
    delete_peer_group,
    get_peer_group,
    load_peer_groups,
    peers_of,
    save_peer_group,
    update_members,
)


def test_crud(tmp_path):
    assert load_peer_groups(tmp_path) == []
    g = PeerGroup(
        "MSG 2024", "lad", ["E06000023", "E08000035", "E08000021"], 'Most "similar" CSPs', "iQuanta"
    )
    save_peer_group(tmp_path, g)
    assert get_peer_group(tmp_path, "MSG 2024") == g
    assert (tmp_path / "peer_groups.toml").read_text().startswith("# Peer groups")
    with pytest.raises(ValueError, match="already exists"):
        save_peer_group(tmp_path, g)
    save_peer_group(tmp_path, PeerGroup("core", "lad", ["E06000023", "E06000022"]))
    assert [x.name for x in peers_of(tmp_path, "E06000023")] == ["MSG 2024", "core"]
    g2 = update_members(tmp_path, "core", add=["E06000024"], remove=["E06000022"])
    assert g2.members == ["E06000023", "E06000024"]
    delete_peer_group(tmp_path, "MSG 2024")
    assert [x.name for x in load_peer_groups(tmp_path)] == ["core"]
    with pytest.raises(AreaNotFoundError):
        delete_peer_group(tmp_path, "MSG 2024")


@pytest.mark.parametrize(
    ("group", "message"),
    [
        (PeerGroup("x", "lad", ["A"]), "at least two"),
        (PeerGroup("x", "lad", ["A", "A", "B"]), "more than once"),
        (PeerGroup("", "lad", ["A", "B"]), "peer group name"),
        (PeerGroup("x", "LAD", ["A", "B"]), "lowercase"),
        (PeerGroup("x", "lad", ["A", " "]), "blank member"),
    ],
)
def test_validation(tmp_path, group, message):
    with pytest.raises(ValueError, match=message):
        save_peer_group(tmp_path, group)
    assert not (tmp_path / "peer_groups.toml").exists()


def test_hand_edited_file_errors(tmp_path):
    path = tmp_path / "peer_groups.toml"
    path.write_text('[[group]]\nname = "a"\nlevel = "lad"\nmembers = ["X", "Y"]\ncolour = 1\n')
    with pytest.raises(ConfigError, match="group 1: unknown key"):
        load_peer_groups(tmp_path)
    path.write_text("[[group]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_peer_groups(tmp_path)
