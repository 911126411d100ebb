"""The area hierarchy: "which areas of level X lie in this area" and "what is this area's
parent", across the bundled LSOA levels (lsoa → msoa → lad → region → force), user lookups
(LSOA → ward, best fit) and drawn areas (by the largest overlap of the child in the parent).

How each question is answered, first rule that applies:

1. both levels are bundled lookup levels → the lookup (exact nesting);
2. both levels have stored boundaries → a child belongs to the parent holding the largest
   share of its area (drawn wards rarely nest exactly in districts: slivers are ignored);
3. the child level has a stored LSOA lookup and the parent is a lookup level (or the other
   way round) → the parent holding most of the child's LSOAs;
4. the child's stored ``parent_code`` (from ``--parent-field`` at import).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray

from .areas import LOOKUP_LEVELS, AreaNotFoundError, Areas
from .lookups import AreaLookup, LsoaLookup, Vintage, lsoa_lookup
from .store import has_level, load_areas, load_lookup, lookup_levels, stored_levels

if TYPE_CHECKING:
    from ..workspace import Workspace


def overlap_parents(
    children: Areas, parents: Areas
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """For each child, the index of the parent holding the largest share of its area (-1 if
    none) and that share (0-1)."""
    n = len(children)
    best = np.full(n, -1, dtype=np.int64)
    share = np.zeros(n, dtype=np.float64)
    if not n or not len(parents):
        return best, share
    tree = shapely.STRtree(parents.geometries)
    ci, pi = tree.query(children.geometries, predicate="intersects")
    if not len(ci):
        return best, share
    inter = shapely.area(shapely.intersection(children.geometries[ci], parents.geometries[pi]))
    # Sort by child, then by overlap descending, then by parent index (deterministic ties).
    order = np.lexsort((pi, -inter, ci))
    ci, pi, inter = ci[order], pi[order], inter[order]
    first = np.ones(len(ci), dtype=bool)
    first[1:] = ci[1:] != ci[:-1]
    keep = first & (inter > 0)
    best[ci[keep]] = pi[keep]
    share[ci[keep]] = inter[keep] / shapely.area(children.geometries[ci[keep]])
    return best, share


@dataclass(frozen=True)
class AreaRef:
    code: str
    level: str
    name: str


class Hierarchy:
    """Hierarchy questions over the bundled lookup and a workspace's stored areas/lookups."""

    def __init__(self, lake_dir: Path | None = None, *, vintage: Vintage = 2011) -> None:
        self.lake_dir = lake_dir
        self.vintage: Vintage = vintage
        self._areas: dict[str, Areas] = {}

    @classmethod
    def for_workspace(cls, ws: Workspace, *, vintage: Vintage = 2011) -> Hierarchy:
        return cls(ws.lake_dir, vintage=vintage)

    @property
    def lookup(self) -> LsoaLookup:
        return lsoa_lookup(self.vintage)

    # ---- what is stored ------------------------------------------------------------------

    def drawn_levels(self) -> list[str]:
        return stored_levels(self.lake_dir) if self.lake_dir else []

    def levels(self) -> list[str]:
        extra = [lv for lv in self.drawn_levels() if lv not in LOOKUP_LEVELS]
        if self.lake_dir:
            extra += [lv for lv in lookup_levels(self.lake_dir) if lv not in extra]
        return [*LOOKUP_LEVELS, *sorted(set(extra) - set(LOOKUP_LEVELS))]

    def areas(self, level: str) -> Areas | None:
        if level not in self._areas:
            if not (self.lake_dir and has_level(self.lake_dir, level)):
                return None
            self._areas[level] = load_areas(self.lake_dir, level)
        return self._areas[level]

    def user_lookup(self, level: str) -> AreaLookup | None:
        return load_lookup(self.lake_dir, level) if self.lake_dir else None

    def level_of(self, code: str) -> str:
        """The level a code belongs to: stored areas first, then the bundled lookup levels,
        then stored lookups. :class:`AreaNotFoundError` if nothing knows it."""
        for level in self.drawn_levels():
            areas = self.areas(level)
            if areas is not None and code in areas:
                return level
        found = self.lookup.level_of(code)
        if found:
            return found
        if self.lake_dir:
            for level in lookup_levels(self.lake_dir):
                lk = self.user_lookup(level)
                if lk is not None and code in set(lk.area_codes.tolist()):
                    return level
        raise AreaNotFoundError(
            f"area code {code!r} is not a stored area, an LSOA {self.vintage} lookup code or"
            " in a stored lookup"
        )

    def name_of(self, code: str, level: str | None = None) -> str:
        level = level or self.level_of(code)
        areas = self.areas(level)
        if areas is not None and code in areas:
            return str(areas.names[areas.index_of(code)])
        if level in LOOKUP_LEVELS:
            return self.lookup.names(level).get(code, code)
        lk = self.user_lookup(level)
        if lk is not None:
            hit = lk.area_names[lk.area_codes == code]
            if len(hit):
                return str(hit[0])
        return code

    # ---- children / parent -----------------------------------------------------------------

    def children(self, code: str, level: str, *, parent_level: str | None = None) -> list[str]:
        """Codes of the areas of ``level`` that lie in area ``code`` (sorted)."""
        plevel = parent_level or self.level_of(code)
        if plevel == level:
            raise ValueError(f"'{code}' is itself of level '{level}'")
        if plevel in LOOKUP_LEVELS and level in LOOKUP_LEVELS:
            return self.lookup.children(plevel, code, level)
        kids, parents = self.areas(level), self.areas(plevel)
        if kids is not None and parents is not None and code in parents:
            # Candidates touch the parent; each goes to whichever parent holds most of it.
            near = shapely.intersects(kids.geometries, parents.geometry(code))
            if not near.any():
                return []
            cand = kids.subset(kids.codes[near].tolist())
            best, _ = overlap_parents(cand, parents)
            return sorted(str(c) for c in cand.codes[best == parents.index_of(code)])
        via = self._via_lsoa(level, plevel)
        if via is not None:
            child_map, parent_map = via
            return sorted(c for c, p in self._majority(child_map, parent_map).items() if p == code)
        if kids is not None and any(p == code for p in kids.parent_codes):
            return sorted(
                str(c) for c, p in zip(kids.codes, kids.parent_codes, strict=True) if p == code
            )
        raise AreaNotFoundError(self._no_route(level, plevel))

    def parent(self, code: str, parent_level: str, *, level: str | None = None) -> str | None:
        """The area of ``parent_level`` holding ``code`` (None if it lies in none)."""
        clevel = level or self.level_of(code)
        if clevel in LOOKUP_LEVELS and parent_level in LOOKUP_LEVELS:
            if LOOKUP_LEVELS.index(parent_level) <= LOOKUP_LEVELS.index(clevel):
                raise ValueError(f"'{parent_level}' is not coarser than '{clevel}'")
            return self.lookup.parent(clevel, code, parent_level)
        kids, parents = self.areas(clevel), self.areas(parent_level)
        if kids is not None and parents is not None and code in kids:
            best, _ = overlap_parents(kids.subset([code]), parents)
            return str(parents.codes[best[0]]) if best[0] >= 0 else None
        via = self._via_lsoa(clevel, parent_level)
        if via is not None:
            return self._majority(*via).get(code)
        if kids is not None and code in kids:
            p = kids.parent_codes[kids.index_of(code)]
            if p is not None:
                return str(p)
        raise AreaNotFoundError(self._no_route(clevel, parent_level))

    def parents(self, level: str, parent_level: str) -> dict[str, str | None]:
        """The parent of every stored area of ``level`` (bulk version of :meth:`parent`)."""
        kids, parents = self.areas(level), self.areas(parent_level)
        if kids is None:
            raise AreaNotFoundError(f"no areas of level '{level}' are stored")
        if parents is not None:
            best, _ = overlap_parents(kids, parents)
            return {
                str(c): (str(parents.codes[b]) if b >= 0 else None)
                for c, b in zip(kids.codes, best, strict=True)
            }
        return {str(c): self.parent(str(c), parent_level, level=level) for c in kids.codes}

    def _via_lsoa(
        self, child_level: str, parent_level: str
    ) -> tuple[dict[str, str], dict[str, str]] | None:
        """LSOA → child and LSOA → parent maps, when both exist."""

        def lsoa_map(level: str) -> dict[str, str] | None:
            if level == "lsoa":
                return {str(c): str(c) for c in self.lookup.lsoa_codes}
            if level in LOOKUP_LEVELS:
                return {
                    str(a): str(b)
                    for a, b in zip(
                        self.lookup.lsoa_codes, self.lookup.level_codes(level), strict=True
                    )
                    if b is not None
                }
            lk = self.user_lookup(level)
            return lk.mapping() if lk is not None else None

        c, p = lsoa_map(child_level), lsoa_map(parent_level)
        return (c, p) if c is not None and p is not None else None

    @staticmethod
    def _majority(child_map: dict[str, str], parent_map: dict[str, str]) -> dict[str, str]:
        votes: dict[str, Counter[str]] = {}
        for lsoa, child in child_map.items():
            parent = parent_map.get(lsoa)
            if parent is not None:
                votes.setdefault(child, Counter())[parent] += 1
        # most_common breaks ties by first insertion; sort first so ties go to the lowest code.
        return {
            c: sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for c, v in votes.items()
        }

    def _no_route(self, child: str, parent: str) -> str:
        return (
            f"cannot relate level '{child}' to level '{parent}': import boundaries for both"
            f" ('saferplaces areas import') or an LSOA lookup for '{child}'"
            " ('saferplaces areas lookup')"
        )

    # ---- the workspace's own areas ----------------------------------------------------------

    def partnership_areas(self, ws: Workspace) -> list[AreaRef]:
        """The partnership's own areas (``partnership.areas``) with their level and name."""
        out = []
        for code in ws.config.partnership.areas:
            level = self.level_of(code)
            out.append(AreaRef(code, level, self.name_of(code, level)))
        return out

    def partnership_children(self, ws: Workspace, level: str) -> list[str]:
        """Areas of ``level`` lying in the partnership's area(s)."""
        out: set[str] = set()
        for ref in self.partnership_areas(ws):
            if ref.level == level:
                out.add(ref.code)
            else:
                out.update(self.children(ref.code, level, parent_level=ref.level))
        return sorted(out)

    def partnership_geometry(self, ws: Workspace) -> Any:
        """Union of the stored boundaries of the partnership's areas (None if not stored)."""
        geoms = []
        for ref in self.partnership_areas(ws):
            areas = self.areas(ref.level)
            if areas is None or ref.code not in areas:
                return None
            geoms.append(areas.geometry(ref.code))
        return shapely.union_all(geoms) if geoms else None

    def force_geometry(self, ws: Workspace) -> Any:
        """Union of the stored ``force`` boundaries of the partnership's forces (or None)."""
        areas = self.areas("force")
        forces = ws.config.partnership.forces
        if areas is None or not forces or any(f not in areas for f in forces):
            return None
        return shapely.union_all([areas.geometry(f) for f in forces])
