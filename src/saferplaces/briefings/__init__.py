"""Neighbourhood briefings: a page and a printable PDF per area, in plain English.

For town and parish councils and residents (issue #6): what changed and whether the change is
real, counts and rates against the district and the force, trends with control limits, a map,
how crimes were resolved, what the partnership and the neighbourhood team are doing, and the
caveats that apply. The user guide is ``docs/briefings.md``.

* :class:`BriefingSet` — statistics for every area of a level, computed once; ``content(code)``
  gives one area's briefing as a plain dict;
* :func:`render_html`, :func:`render_pdf` — the web page and the A4 PDF of one briefing;
* :func:`generate_briefings` — every area of a level, with an index page and a zip;
* :func:`load_briefings_config` — the workspace's ``briefings.yaml`` (neighbourhood text).
"""

from .bulk import BriefingResult, BulkReport, generate_briefings
from .config import (
    BRIEFINGS_FILE,
    AreaText,
    BriefingsConfig,
    load_briefings_config,
    parse_briefings_config,
)
from .content import MEASURES, BriefingSet, briefing_content, briefing_indicators
from .render import render_html, render_pdf

__all__ = [
    "BRIEFINGS_FILE",
    "MEASURES",
    "AreaText",
    "BriefingResult",
    "BriefingSet",
    "BriefingsConfig",
    "BulkReport",
    "briefing_content",
    "briefing_indicators",
    "generate_briefings",
    "load_briefings_config",
    "parse_briefings_config",
    "render_html",
    "render_pdf",
]
