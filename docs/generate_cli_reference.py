"""Write docs/cli.md from the click commands (run: python docs/generate_cli_reference.py).

A test fails when docs/cli.md is out of date, so the reference never drifts from the code."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from saferplaces.cli import main

OUT = Path(__file__).with_name("cli.md")


def _walk(cmd: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    out = [(path, cmd)]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], [*path, name])
    return out


def render() -> str:
    lines = [
        "# CLI reference",
        "",
        "Generated from the code by `python docs/generate_cli_reference.py`; do not edit by hand.",
        "Every command takes `--workspace DIR` (default: the current folder) unless noted.",
        "",
    ]
    for path, cmd in _walk(main, ["saferplaces"]):
        ctx = click.Context(
            cmd, info_name=" ".join(path), terminal_width=100, max_content_width=100
        )
        lines += [f"## `{' '.join(path)}`", "", "```", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text("utf-8") == text else "docs/cli.md is out of date")
    OUT.write_text(text, "utf-8")
