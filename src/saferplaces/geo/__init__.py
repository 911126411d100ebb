"""Geography: boundaries, lookups, populations, the area hierarchy, grids and web geometry.

Analysis happens in British National Grid (EPSG:27700, metres); the web gets WGS84. police.uk
coordinates are anonymised snap points (see :mod:`saferplaces.geo.assign`). The user guide is
``docs/areas.md``.
"""

from .areas import LOOKUP_LEVELS, AreaNotFoundError, Areas
from .assign import Assignment, AssignmentSummary, assign_by_code, assign_points, locate_points
from .boundaries import (
    BoundaryImport,
    ImportReport,
    check_areas,
    read_any,
    read_boundaries,
    read_neighbourhood_boundary,
)
from .grids import Grid, cell_ids, cell_polygon, parse_cell_id, square_grid
from .hierarchy import AreaRef, Hierarchy, overlap_parents
from .lookups import (
    AreaLookup,
    LsoaLookup,
    VintageReport,
    check_lookup_against,
    detect_lsoa_vintage,
    lookup_from_level,
    lsoa_lookup,
    read_lookup_csv,
    vintage_mismatch,
)
from .peers import (
    PeerGroup,
    delete_peer_group,
    get_peer_group,
    load_peer_groups,
    peers_of,
    save_peer_group,
    update_members,
)
from .populations import (
    Denominator,
    aggregate,
    aggregate_to_level,
    households,
    load_denominator,
    read_denominators,
    residents,
    save_denominator,
)
from .projection import BNG, WGS84, to_bng, to_wgs84
from .store import load_areas, load_lookup, save_areas, save_lookup, stored_levels
from .webgeom import ZOOM_TOLERANCES, WebGeometry, to_web_geojson

__all__ = [
    "BNG",
    "LOOKUP_LEVELS",
    "WGS84",
    "ZOOM_TOLERANCES",
    "AreaLookup",
    "AreaNotFoundError",
    "AreaRef",
    "Areas",
    "Assignment",
    "AssignmentSummary",
    "BoundaryImport",
    "Denominator",
    "Grid",
    "Hierarchy",
    "ImportReport",
    "LsoaLookup",
    "PeerGroup",
    "VintageReport",
    "WebGeometry",
    "aggregate",
    "aggregate_to_level",
    "assign_by_code",
    "assign_points",
    "cell_ids",
    "cell_polygon",
    "check_areas",
    "check_lookup_against",
    "delete_peer_group",
    "detect_lsoa_vintage",
    "get_peer_group",
    "households",
    "load_areas",
    "load_denominator",
    "load_lookup",
    "load_peer_groups",
    "locate_points",
    "lookup_from_level",
    "lsoa_lookup",
    "overlap_parents",
    "parse_cell_id",
    "peers_of",
    "read_any",
    "read_boundaries",
    "read_denominators",
    "read_lookup_csv",
    "read_neighbourhood_boundary",
    "residents",
    "save_areas",
    "save_denominator",
    "save_lookup",
    "save_peer_group",
    "square_grid",
    "stored_levels",
    "to_bng",
    "to_web_geojson",
    "to_wgs84",
    "update_members",
    "vintage_mismatch",
]
