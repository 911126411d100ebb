"""The demo workspace, built from bundled real data through the same paths a user takes.

Bundled (Open Government Licence v3.0, see NOTICE): police.uk street crime and ASB for Avon and
Somerset Constabulary, August 2019 to September 2021 (26 months), in the police.uk zip layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import ConfigError
from ..lake.ingest import IngestReport, ingest
from ..lake.quality import DatasetCoverage, coverage
from ..workspace import Workspace

DEMO_NAME = "Avon and Somerset demo partnership"
DEMO_FORCES = ["avon-and-somerset"]


def demo_data(*parts: str) -> Path:
    """Path of a bundled demo data file."""
    return Path(str(resources.files("saferplaces.demo").joinpath("data", *parts)))


@dataclass
class DemoSummary:
    workspace: Workspace
    ingest: IngestReport
    coverage: list[DatasetCoverage]
    notes: list[str] = field(default_factory=list)


def build_demo(root: str | Path) -> DemoSummary:
    """Create (or bring up to date) the demo workspace in ``root``. Safe to run again: unchanged
    inputs are skipped."""
    root = Path(root)
    try:
        ws = Workspace.open(root)
    except ConfigError:
        ws = Workspace.create(root, DEMO_NAME, DEMO_FORCES)
    report = ingest(ws.lake_dir, sorted(demo_data("policeuk").glob("*.zip")))
    return DemoSummary(ws, report, coverage(ws.lake_dir))
