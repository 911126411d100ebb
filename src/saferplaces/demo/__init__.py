"""The demo workspace, built from bundled real data through the same paths a user takes.

Bundled (Open Government Licence v3.0, see NOTICE): police.uk street crime and ASB for Avon and
Somerset Constabulary, August 2019 to September 2021 (26 months), in the police.uk zip layout;
the force's nine local authority districts (2011 boundaries, generalised).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import ConfigError
from ..geo.importer import AreaImport, import_areas
from ..indicators import workspace_indicators
from ..indicators.editions import EditionInfo, list_editions, publish_edition
from ..lake.ingest import IngestReport, ingest
from ..lake.quality import DatasetCoverage, coverage
from ..partners.query import present_datasets
from ..workspace import Workspace
from .partner_data import add_demo_partner_data

DEMO_NAME = "Avon and Somerset demo partnership"
DEMO_FORCES = ["avon-and-somerset"]
#: The nine Avon and Somerset districts (LAD 2011 codes).
DEMO_DISTRICTS = [
    "E06000022",
    "E06000023",
    "E06000024",
    "E06000025",
    "E07000187",
    "E07000188",
    "E07000189",
    "E07000190",
    "E07000191",
]


def demo_data(*parts: str) -> Path:
    """Path of a bundled demo data file."""
    return Path(str(resources.files("saferplaces.demo").joinpath("data", *parts)))


@dataclass
class DemoSummary:
    workspace: Workspace
    ingest: IngestReport
    coverage: list[DatasetCoverage]
    districts: AreaImport
    edition: EditionInfo
    edition_is_new: bool
    notes: list[str] = field(default_factory=list)
    briefings_index: Path | None = None


def build_demo(root: str | Path, *, briefings: bool = True) -> DemoSummary:
    """Create (or bring up to date) the demo workspace in ``root``. Safe to run again:
    unchanged inputs are skipped and an edition is published only when there is none.
    With ``briefings``, neighbourhood briefings for the nine districts are written to
    ``published/briefings/lad/`` (again only when there are none or the data changed)."""
    root = Path(root)
    try:
        ws = Workspace.open(root)
    except ConfigError:
        ws = Workspace.create(root, DEMO_NAME, DEMO_FORCES, DEMO_DISTRICTS)
    report = ingest(ws.lake_dir, sorted(demo_data("policeuk").glob("*.zip")))
    districts = import_areas(
        ws,
        demo_data("boundaries", "avon-and-somerset-districts-2011.geojson"),
        level="lad",
        code_field="code",
        name_field="name",
        vintage="2011",
    )
    notes: list[str] = []
    if not present_datasets(ws):  # the SYNTHETIC partner datasets, once
        notes = add_demo_partner_data(ws)
    editions = list_editions(ws)
    new = not editions
    edition = (
        publish_edition(ws, workspace_indicators(ws), note="First edition of the demo Scorecard.")
        if new
        else editions[-1]
    )
    summary = DemoSummary(ws, report, coverage(ws.lake_dir), districts, edition, new, notes)
    if briefings:
        from ..briefings import generate_briefings

        out = ws.published_dir / "briefings" / "lad"
        index = out / "index.html"
        if new or report.count("loaded") or not index.exists():
            index = generate_briefings(ws, "lad", out).index
        summary.briefings_index = index
    return summary
