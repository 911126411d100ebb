"""Peer groups: user-defined sets of comparable areas ("most similar group" style).

The Home Office's most similar groups are not published in a reusable form and are
rebuilt from time to time, so SaferPlaces does not ship them: a partnership defines its own
groups (e.g. copied from iQuanta, or the CSPs its PCC compares) and every comparison states
which group it used. Groups live in the workspace file ``peer_groups.toml``, one table per
group, human-editable and diff-friendly::

    [[group]]
    name = "msg-2024"
    level = "lad"
    members = ["E06000023", "E06000022", "E06000024"]
    description = "Most similar CSPs to Bristol (iQuanta, 2024)"
    source = "iQuanta MSG list, March 2024"
"""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ConfigError
from .areas import AreaNotFoundError, check_level

PEER_FILE = "peer_groups.toml"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}$")


@dataclass(frozen=True)
class PeerGroup:
    name: str
    level: str
    members: list[str]
    description: str = ""
    source: str = ""

    def validate(self) -> PeerGroup:
        if not NAME_RE.match(self.name):
            raise ValueError(
                f"peer group name {self.name!r}: use letters, digits, spaces, '.', '_' or '-'"
            )
        check_level(self.level)
        members = [m.strip() for m in self.members]
        if any(not m for m in members):
            raise ValueError(f"peer group '{self.name}' has a blank member code")
        dupes = sorted({m for m in members if members.count(m) > 1})
        if dupes:
            raise ValueError(f"peer group '{self.name}' lists {', '.join(dupes)} more than once")
        if len(members) < 2:
            raise ValueError(f"peer group '{self.name}' needs at least two members")
        return replace(self, members=members)


def _path(root: Path) -> Path:
    return Path(root) / PEER_FILE


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _render(groups: list[PeerGroup]) -> str:
    out = [
        "# Peer groups: sets of comparable areas. Edit freely or use 'saferplaces areas peers'.",
        "",
    ]
    for g in groups:
        out.append("[[group]]")
        out.append(f"name = {_toml_str(g.name)}")
        out.append(f"level = {_toml_str(g.level)}")
        out.append("members = [" + ", ".join(_toml_str(m) for m in g.members) + "]")
        out.append(f"description = {_toml_str(g.description)}")
        out.append(f"source = {_toml_str(g.source)}")
        out.append("")
    return "\n".join(out)


def load_peer_groups(root: str | Path) -> list[PeerGroup]:
    """All peer groups of the workspace at ``root`` (empty if it has none)."""
    path = _path(Path(root))
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    groups = []
    for i, raw in enumerate(data.get("group", [])):
        try:
            unknown = sorted(set(raw) - {"name", "level", "members", "description", "source"})
            if unknown:
                raise ValueError(f"unknown key(s) {', '.join(unknown)}")
            if not isinstance(raw["members"], list):
                raise ValueError("members must be a list of area codes")
            g = PeerGroup(
                str(raw["name"]),
                str(raw["level"]),
                [str(m) for m in raw["members"]],
                str(raw.get("description", "")),
                str(raw.get("source", "")),
            ).validate()
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path.name}: group {i + 1}: {exc}") from None
        groups.append(g)
    return groups


def _save(root: Path, groups: list[PeerGroup]) -> None:
    path = _path(root)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{PEER_FILE}")
    try:
        tmp.write_text(_render(groups), "utf-8")
        os.replace(tmp, path)  # atomic: readers see the old file or the new one
    finally:
        tmp.unlink(missing_ok=True)


def get_peer_group(root: str | Path, name: str) -> PeerGroup:
    for g in load_peer_groups(root):
        if g.name == name:
            return g
    raise AreaNotFoundError(f"no peer group named '{name}'")


def save_peer_group(root: str | Path, group: PeerGroup, *, replace_existing: bool = False) -> None:
    """Add ``group`` (or replace the one with its name when ``replace_existing``)."""
    group = group.validate()
    groups = load_peer_groups(root)
    if any(g.name == group.name for g in groups):
        if not replace_existing:
            raise ValueError(f"a peer group named '{group.name}' already exists")
        groups = [group if g.name == group.name else g for g in groups]
    else:
        groups.append(group)
    _save(Path(root), groups)


def delete_peer_group(root: str | Path, name: str) -> None:
    groups = load_peer_groups(root)
    if not any(g.name == name for g in groups):
        raise AreaNotFoundError(f"no peer group named '{name}'")
    _save(Path(root), [g for g in groups if g.name != name])


def update_members(
    root: str | Path, name: str, *, add: list[str] | None = None, remove: list[str] | None = None
) -> PeerGroup:
    """Add and/or remove member codes of a group; returns the updated group."""
    g = get_peer_group(root, name)
    missing = [m for m in remove or [] if m not in g.members]
    if missing:
        raise ValueError(f"not members of '{name}': {', '.join(missing)}")
    members = [m for m in g.members if m not in set(remove or [])]
    members += [m for m in add or [] if m not in members]
    new = replace(g, members=members).validate()
    save_peer_group(root, new, replace_existing=True)
    return new


def peers_of(root: str | Path, code: str) -> list[PeerGroup]:
    """Groups that include ``code``."""
    return [g for g in load_peer_groups(root) if code in g.members]
