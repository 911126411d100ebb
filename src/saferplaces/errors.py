"""Exceptions raised by SaferPlaces. Every message names the file, row and reason where known."""

from __future__ import annotations

from pathlib import Path


class SaferPlacesError(Exception):
    """Base class for errors a user can act on (the CLI prints them without a traceback)."""


class ConfigError(SaferPlacesError):
    """The workspace configuration is missing or invalid."""


class InputError(SaferPlacesError):
    """An input file cannot be used. Carries the file and, where known, the line."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class UnsafeArchiveError(InputError):
    """A zip archive that could harm the machine (path traversal, zip bomb)."""
