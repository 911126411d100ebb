"""A workspace: one partnership's folder holding configuration, the lake and the app database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_FILE, WorkspaceConfig, load_config, parse_config, render_config
from .errors import ConfigError


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: WorkspaceConfig

    @property
    def lake_dir(self) -> Path:
        return self.root / self.config.storage.lake

    @property
    def database_path(self) -> Path:
        return self.root / self.config.storage.database

    @property
    def published_dir(self) -> Path:
        return self.root / self.config.storage.published

    @classmethod
    def open(cls, root: str | Path = ".") -> Workspace:
        """Open the workspace in ``root``; :class:`ConfigError` if it has no valid config."""
        path = Path(root).resolve()
        return cls(path, load_config(path / CONFIG_FILE))

    @classmethod
    def create(
        cls,
        root: str | Path,
        name: str,
        forces: list[str] | None = None,
        areas: list[str] | None = None,
    ) -> Workspace:
        """Create a workspace in ``root`` (which may exist but must not hold a workspace)."""
        path = Path(root).resolve()
        if (path / CONFIG_FILE).exists():
            raise ConfigError(f"{path / CONFIG_FILE}: a workspace already exists here")
        cfg = parse_config(
            {"partnership": {"name": name, "forces": forces or [], "areas": areas or []}},
            path / CONFIG_FILE,
        )
        path.mkdir(parents=True, exist_ok=True)
        (path / CONFIG_FILE).write_text(render_config(cfg), "utf-8")
        ws = cls(path, cfg)
        ws.lake_dir.mkdir(exist_ok=True)
        ws.published_dir.mkdir(exist_ok=True)
        ws.database_path.touch(exist_ok=True)
        return ws
