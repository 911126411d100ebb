"""Disclosure control: who may see a dataset, and cell suppression for those below clearance.

Access (see docs/disclosure.md)
-------------------------------
Audiences rank ``public`` < ``parish_council`` < ``partner`` < ``analyst``. A dataset's
sensitivity decides what each audience gets:

=================  ===============  ===============  ============  =========
sensitivity        public           parish_council   partner       analyst
=================  ===============  ===============  ============  =========
``public``         controlled [1]_  controlled [1]_  raw           raw
``partners``       controlled       controlled       raw           raw
``restricted``     **refused**      **refused**      controlled    raw
=================  ===============  ===============  ============  =========

.. [1] A ``public`` dataset with ``min_cell_size`` 0 (the default) is raw for everyone.

*Raw* means record-level rows and exact counts; *controlled* means aggregates only, with cell
suppression (and optional rounding) applied by :func:`protect`.

Suppression
-----------
A protected table is a *lattice*: every combination of the nodes of its dimensions, where
each dimension is a tree (ward → district → all; month → year → all; category → all). Every
node of the lattice (a cell or a total at any level) is linked to its children by one
equation per dimension: ``parent = Σ children``. :func:`suppression_pattern`:

1. **Primary**: a node whose value is 1 … ``threshold``-1 is suppressed. Zeros are published
   (a zero identifies no one) and are never chosen as complements, so an intruder knows
   every suppressed value is ≥ 1; the audit below assumes that knowledge.
2. **Group rules**, to a fixed point over all linked equations: an equation with exactly one
   suppressed node gets a second (the smallest non-zero published node in it); an equation
   whose total is published and whose suppressed members add up to 1 … ``threshold``-1 gets
   another (so differencing the total reveals no small number either).
3. **Exact audit**: the suppressed nodes are unknowns of the linear system of all published
   equations with bounds ``u ≥ 1``. One linear programme finds the unknowns held at their
   bound (they cannot move), and the singular-value decomposition of the remaining system
   finds the unknowns fixed by the equations (their unit vector lies in its row space). For
   each unknown found, the smallest non-zero published node in one of its equations is
   suppressed, and steps 2–3 repeat until the audit finds nothing. Because a feasible point
   with every other unknown free exists (the true values), an unknown the audit passes has at
   least two feasible values: it cannot be recovered by differencing rows, columns, levels or
   periods, however combined.

Rounding (``rounding=5``) is applied to published values after suppression; totals are rounded
independently. Rounding alone is not disclosure control for small counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..errors import SaferPlacesError

__all__ = [
    "DEFAULT_MIN_CELL_SIZE",
    "Audience",
    "Dimension",
    "DisclosureRefused",
    "ProtectedTable",
    "Sensitivity",
    "SuppressionPattern",
    "TableTooLargeError",
    "access_mode",
    "audience_for_role",
    "footnotes",
    "protect",
    "round_to_base",
    "suppression_pattern",
]


class Audience(StrEnum):
    """Who a figure is for. Values match the web app's role names."""

    PUBLIC = "public"
    PARISH_COUNCIL = "parish_council"
    PARTNER = "partner"
    ANALYST = "analyst"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Audience.PUBLIC: 0,
    Audience.PARISH_COUNCIL: 1,
    Audience.PARTNER: 2,
    Audience.ANALYST: 3,
}


class Sensitivity(StrEnum):
    PUBLIC = "public"
    PARTNERS = "partners"
    RESTRICTED = "restricted"


#: Suppression threshold when a dataset definition does not set ``min_cell_size``. ``public``
#: data may be published as it is, so 0 (no suppression); 10 matches common practice for
#: health and police small-number tables (counts 1–9 hidden).
DEFAULT_MIN_CELL_SIZE: dict[Sensitivity, int] = {
    Sensitivity.PUBLIC: 0,
    Sensitivity.PARTNERS: 10,
    Sensitivity.RESTRICTED: 10,
}

AccessMode = Literal["raw", "controlled"]


class DisclosureRefused(SaferPlacesError, PermissionError):
    """The audience may not see this dataset at all (not even as suppressed aggregates)."""


class TableTooLargeError(SaferPlacesError, ValueError):
    """A table whose protection would link more hidden cells than the audit can check."""


#: Largest linked block (hidden cells or totals, whichever is fewer) the exact audit checks.
#: Its cost grows with the cube of this; 4,000 takes a few seconds.
MAX_AUDIT = 4000


def audience_for_role(role: str) -> Audience:
    """The audience of a web-app role (``opcc`` → partner, ``admin`` → analyst; unknown →
    public, which grants the least)."""
    aliases = {"opcc": Audience.PARTNER, "admin": Audience.ANALYST}
    if role in aliases:
        return aliases[role]
    try:
        return Audience(role)
    except ValueError:
        return Audience.PUBLIC


def access_mode(
    sensitivity: Sensitivity | str,
    audience: Audience | str,
    min_cell_size: int,
    *,
    dataset: str = "this dataset",
) -> AccessMode:
    """``"raw"`` or ``"controlled"`` for this audience; :class:`DisclosureRefused` if none."""
    sens = Sensitivity(sensitivity)
    aud = Audience(audience)
    if sens is Sensitivity.RESTRICTED:
        if aud.rank < Audience.PARTNER.rank:
            raise DisclosureRefused(
                f"{dataset} is restricted: it is never shown to the {aud.value.replace('_', ' ')}"
                " audience, not even as totals"
            )
        return "raw" if aud is Audience.ANALYST else "controlled"
    if sens is Sensitivity.PUBLIC and min_cell_size <= 0:
        return "raw"
    return "raw" if aud.rank >= Audience.PARTNER.rank else "controlled"


# --------------------------------------------------------------------------------------------
# the lattice
# --------------------------------------------------------------------------------------------

Key = tuple[Any, ...]  # one value per dimension (None: that dimension's grand total)
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Dimension:
    """One dimension of a protected table: its leaf values and their parents.

    ``parents`` maps a value (leaf or intermediate) to its parent value; a value without a
    parent hangs directly under the grand total, which is ``None``. ``leaves`` is the full
    domain (every ward, every month), so cells with no records count as zeros.
    """

    name: str
    leaves: tuple[Any, ...]
    parents: Mapping[Any, Any] = field(default_factory=dict)

    def nodes(self) -> list[Hashable]:
        """Every node, leaves first, then ancestors (deepest first), then ``None``."""
        seen: dict[Hashable, None] = dict.fromkeys(self.leaves)
        frontier = list(self.leaves)
        while frontier:
            nxt = []
            for v in frontier:
                p = self.parents.get(v)
                if p is not None and p not in seen:
                    seen[p] = None
                    nxt.append(p)
            frontier = nxt
        if None in seen:
            raise ValueError(f"dimension {self.name!r}: None is reserved for the grand total")
        return [*seen, None]

    def parent_of(self, value: Hashable) -> Hashable:
        return None if value is None else self.parents.get(value)


@dataclass
class _Lattice:
    dims: tuple[Dimension, ...]
    nodes: list[list[Hashable]]  # per dimension
    values: NDArray[np.float64]  # flat, C order over nodes
    shape: tuple[int, ...]
    groups: list[tuple[int, IntArray]]  # (parent flat index, children flat indices)
    node_groups: list[list[int]]  # flat index → indices into groups
    depth: IntArray  # flat index → how many dimensions are at a leaf (for tie-breaks)

    def key(self, flat: int) -> Key:
        idx = np.unravel_index(flat, self.shape)
        return tuple(self.nodes[d][int(i)] for d, i in enumerate(idx))


def _build(cells: Mapping[Key, float], dims: Sequence[Dimension]) -> _Lattice:
    nodes = [d.nodes() for d in dims]
    pos = [{v: i for i, v in enumerate(ns)} for ns in nodes]
    n_leaves = [len(d.leaves) for d in dims]
    leaf = np.zeros(n_leaves, dtype=np.float64)
    for key, value in cells.items():
        if len(key) != len(dims):
            raise ValueError(f"cell key {key!r} does not have {len(dims)} values")
        try:
            idx = tuple(pos[d][v] for d, v in enumerate(key))
        except KeyError as exc:
            raise ValueError(f"cell {key!r}: {exc.args[0]!r} is not a leaf value") from None
        if any(i >= n for i, n in zip(idx, n_leaves, strict=True)):
            raise ValueError(f"cell {key!r} is not at the leaf level of every dimension")
        leaf[idx] += value
    # Aggregate leaves to every node with one 0/1 "is ancestor-or-self" matrix per dimension.
    values = leaf
    for d, dim in enumerate(dims):
        m = np.zeros((len(nodes[d]), n_leaves[d]))
        for j, v in enumerate(dim.leaves):
            node: Hashable = v
            while True:
                m[pos[d][node], j] = 1.0
                if node is None:
                    break
                node = dim.parent_of(node)
        values = np.moveaxis(np.tensordot(m, values, axes=([1], [d])), 0, d)
    shape = tuple(len(ns) for ns in nodes)
    children: list[dict[int, list[int]]] = []
    for d, dim in enumerate(dims):
        ch: dict[int, list[int]] = {}
        for v in nodes[d]:
            if v is not None:
                ch.setdefault(pos[d][dim.parent_of(v)], []).append(pos[d][v])
        children.append(ch)
    groups: list[tuple[int, IntArray]] = []
    grid = np.arange(int(np.prod(shape))).reshape(shape)
    for d in range(len(dims)):
        for p, kids in children[d].items():
            # One equation per combination of the other dimensions' nodes.
            par = np.take(grid, p, axis=d).ravel()
            kid = np.stack([np.take(grid, c, axis=d).ravel() for c in kids], axis=1)
            groups.extend((int(par[i]), kid[i]) for i in range(len(par)))
    node_groups: list[list[int]] = [[] for _ in range(grid.size)]
    for gi, (par_i, kid_i) in enumerate(groups):
        node_groups[par_i].append(gi)
        for c in kid_i.tolist():
            node_groups[c].append(gi)
    leaf_flags = [np.arange(len(ns)) < n for ns, n in zip(nodes, n_leaves, strict=True)]
    depth = np.zeros(shape, dtype=np.int64)
    for d in range(len(dims)):
        sh = [1] * len(dims)
        sh[d] = shape[d]
        depth = depth + leaf_flags[d].reshape(sh).astype(np.int64)
    return _Lattice(tuple(dims), nodes, values.ravel(), shape, groups, node_groups, depth.ravel())


# --------------------------------------------------------------------------------------------
# suppression
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressionPattern:
    """Which lattice nodes are hidden and why. Contains no values; for analysts and tests.

    Publishing *which* cells are primary would tell an intruder they are below the
    threshold, so outputs show one "suppressed" flag for both."""

    primary: frozenset[Key]
    secondary: frozenset[Key]
    audit_rounds: int

    @property
    def suppressed(self) -> frozenset[Key]:
        return self.primary | self.secondary


class _Suppressor:
    def __init__(self, lat: _Lattice, threshold: float) -> None:
        self.lat = lat
        self.k = threshold
        v = lat.values
        if (v < 0).any():
            raise ValueError("suppression needs non-negative values (counts)")
        self.sup = (v > 0) & (v < threshold)
        self.primary = self.sup.copy()
        # Candidate order for complements: smallest value, then cells before totals, then
        # position (deterministic). Zeros never: a zero complement adds no uncertainty.
        self.cost = np.lexsort((np.arange(v.size), -lat.depth, v))
        self.rank = np.empty(v.size, dtype=np.int64)
        self.rank[self.cost] = np.arange(v.size)
        self.nsup = np.zeros(len(lat.groups), dtype=np.int64)  # hidden members per equation
        for gi, (par, kids) in enumerate(lat.groups):
            self.nsup[gi] = int(self.sup[par]) + int(self.sup[kids].sum())

    def _cheapest(self, members: Iterable[int], group: int | None = None) -> int | None:
        """The complement to hide among ``members``: never a zero or an already hidden node;
        preferably one whose other equations already need a second hidden node (it fixes
        them too) and creates no new need elsewhere; then the smallest value."""
        best: int | None = None
        best_score: tuple[int, int] = (0, 0)
        for m in members:
            if self.sup[m] or self.lat.values[m] <= 0:
                continue
            others = [g for g in self.lat.node_groups[m] if g != group]
            fixes = sum(1 for g in others if self.nsup[g] == 1)
            creates = sum(1 for g in others if self.nsup[g] == 0)
            score = (creates - fixes, int(self.rank[m]))
            if best is None or score < best_score:
                best, best_score = m, score
        return best

    def _members(self, gi: int) -> list[int]:
        par, kids = self.lat.groups[gi]
        return [par, *kids.tolist()]

    def _add(self, node: int, queue: list[int]) -> None:
        self.sup[node] = True
        for g in self.lat.node_groups[node]:
            self.nsup[g] += 1
        queue.extend(self.lat.node_groups[node])

    def group_rules(self) -> None:
        """Rules of step 2, over a work-list of equations touched by new suppressions."""
        # Popped from the end: equations in lattice order, so the result is deterministic.
        queue = list(range(len(self.lat.groups)))[::-1]
        while queue:
            gi = queue.pop()
            par, kids = self.lat.groups[gi]
            members = [par, *kids.tolist()]
            hidden = [m for m in members if self.sup[m]]
            if not hidden:
                continue
            need = len(hidden) == 1
            if not need and not self.sup[par]:
                hidden_sum = float(self.lat.values[[k for k in kids.tolist() if self.sup[k]]].sum())
                need = 0 < hidden_sum < self.k
            if need:
                pick = self._cheapest(kids.tolist(), gi) if not self.sup[par] else None
                if pick is None:
                    pick = self._cheapest(members, gi)
                if pick is not None:
                    self._add(pick, queue)

    def audit(self) -> list[int]:
        """Suppressed nodes an intruder could pin to one value (see module docs)."""
        return _pinned(self.lat, self.sup)

    def run(self, max_rounds: int = 1000) -> int:
        rounds = 0
        while True:
            self.group_rules()
            pinned = self.audit()
            if not pinned:
                return rounds
            rounds += 1
            if rounds > max_rounds:  # pragma: no cover - each round adds a node, so finite
                raise RuntimeError("suppression did not converge")
            touched: set[int] = set()
            queue: list[int] = []
            for node in pinned:
                groups = self.lat.node_groups[node]
                if touched.intersection(groups):
                    continue
                options = [
                    (self.rank[c], c, gi)
                    for gi in groups
                    if (c := self._cheapest(self._members(gi), gi)) is not None
                ]
                if not options:
                    options = self._component_fallback(node)
                if not options:  # pragma: no cover - impossible, see _component_fallback
                    raise RuntimeError("no published node left to protect a suppressed one")
                _, pick, gi = min(options)
                self._add(pick, queue)
                touched.add(gi)

    def _component_fallback(self, node: int) -> list[tuple[int, int, int]]:
        """Cheapest published node in any equation reachable from ``node`` through suppressed
        nodes. (A component with no published node at all has a homogeneous system, in which
        the true values scaled up stay feasible, so nothing in it can be pinned.)"""
        seen_nodes = {node}
        seen_groups: set[int] = set()
        stack = [node]
        options: list[tuple[int, int, int]] = []
        while stack:
            n = stack.pop()
            for gi in self.lat.node_groups[n]:
                if gi in seen_groups:
                    continue
                seen_groups.add(gi)
                for m in self._members(gi):
                    if self.sup[m] and m not in seen_nodes:
                        seen_nodes.add(m)
                        stack.append(m)
                c = self._cheapest(self._members(gi), gi)
                if c is not None:
                    options.append((int(self.rank[c]), c, gi))
        return options


def _pinned(lat: _Lattice, sup: NDArray[np.bool_]) -> list[int]:
    """Unknowns fixed to one value by the published equations and the bounds ``u ≥ 1``."""
    from scipy import sparse
    from scipy.optimize import linprog

    unknown = np.flatnonzero(sup)
    if unknown.size == 0:
        return []
    col = {int(u): i for i, u in enumerate(unknown)}
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    r = 0
    for par, kids in lat.groups:
        members = [(par, 1.0)] + [(int(k), -1.0) for k in kids]
        hits = [(col[m], c) for m, c in members if m in col]
        if not hits:
            continue
        for ci, c in hits:
            rows.append(r)
            cols.append(ci)
            data.append(c)
        r += 1
    a = sparse.csr_matrix((data, (rows, cols)), shape=(r, unknown.size))
    vals = lat.values[unknown]
    # 1. Unknowns at the bound (value 1) that no feasible direction can raise: one LP finds
    #    them all (max Σ s_j, with A w = 0, w_j ≥ s_j, 0 ≤ s_j ≤ 1 on the tight set).
    tight = np.flatnonzero(np.isclose(vals, 1.0))
    stuck: set[int] = set()
    if tight.size and r:
        n, t = unknown.size, tight.size
        objective = np.concatenate([np.zeros(n), -np.ones(t)])
        a_eq = sparse.hstack([a, sparse.csr_matrix((r, t))]).tocsr()
        sel = sparse.csr_matrix((-np.ones(t), (np.arange(t), tight)), shape=(t, n))
        a_ub = sparse.hstack([sel, sparse.identity(t)]).tocsr()  # s_j - w_j <= 0
        res = linprog(
            objective,
            A_ub=a_ub,
            b_ub=np.zeros(t),
            A_eq=a_eq,
            b_eq=np.zeros(r),
            bounds=[(None, None)] * n + [(0.0, 1.0)] * t,
            method="highs",
        )
        if res.status != 0:  # pragma: no cover - the LP is always feasible (w = s = 0)
            raise RuntimeError(f"disclosure audit LP failed: {res.message}")
        s = res.x[n:]
        stuck = {int(tight[i]) for i in np.flatnonzero(s < 0.5)}
    elif tight.size:
        stuck = {int(i) for i in tight}
    # 2. The rest: fixed by the equations alone once the stuck ones are known.
    free = np.array([i for i in range(unknown.size) if i not in stuck], dtype=np.int64)
    fixed: list[int] = sorted(stuck)
    if free.size:
        sub = a[:, free].tocsc().tocsr()
        fixed.extend(int(free[i]) for i in _determined_columns(sub))
    return sorted(int(unknown[i]) for i in fixed)


def _determined_columns(a: object) -> list[int]:
    """Columns i of sparse ``a`` whose unit vector lies in its row space (u_i fixed by
    ``a @ u = b``), per connected component.

    The diagonal of the projector onto the row space is 1 exactly for those columns. It is
    computed from the eigendecomposition of the smaller Gram matrix (``A Aᵀ`` or ``Aᵀ A``),
    which is much cheaper than an SVD of ``A`` when one side is short; eigenvalues below
    1e-10 of the largest count as zero (the smallest non-zero ones of these 0/±1 systems are
    many orders of magnitude larger)."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    mat = sparse.csr_matrix(a)
    mat.eliminate_zeros()
    mat = mat[np.diff(mat.indptr) > 0]
    if mat.shape[0] == 0:
        return []
    inc = (abs(mat) > 0).astype(np.int8)
    adj = (inc.T @ inc).tocsr()
    n_comp, labels = connected_components(adj, directed=False)
    out: list[int] = []
    csc = mat.tocsc()
    for comp in range(n_comp):
        cols = np.flatnonzero(labels == comp)
        block = csc[:, cols]
        rows = np.unique(block.nonzero()[0])
        if rows.size == 0:
            continue  # in no equation at all: free
        dense = block[rows].toarray()
        if min(dense.shape) > MAX_AUDIT:
            raise TableTooLargeError(
                f"protecting this table links {cols.size:,} hidden cells through "
                f"{rows.size:,} totals, more than can be audited ({MAX_AUDIT:,}); most of it "
                "would be hidden anyway: group by fewer or coarser dimensions"
            )
        out.extend(int(cols[i]) for i in np.flatnonzero(_rowspace_diagonal(dense) > 1 - 1e-7))
    return out


def _rowspace_diagonal(dense: NDArray[np.float64]) -> NDArray[np.float64]:
    """diag(P) for P the orthogonal projector onto the row space of ``dense``."""
    m, n = dense.shape
    if m <= n:
        lam, u = np.linalg.eigh(dense @ dense.T)
        keep = lam > max(float(lam[-1]), 1.0) * 1e-10
        w = dense.T @ u[:, keep]  # columns: Aᵀ u_k, of squared norm λ_k
        diag: NDArray[np.float64] = (w**2 / lam[keep]).sum(axis=1)
        return diag
    lam, v = np.linalg.eigh(dense.T @ dense)
    keep = lam > max(float(lam[-1]), 1.0) * 1e-10
    diag = (v[:, keep] ** 2).sum(axis=1)
    return diag


def suppression_pattern(
    cells: Mapping[Key, float], dims: Sequence[Dimension], threshold: int
) -> SuppressionPattern:
    """The suppression pattern of a table (see the module docs for the algorithm)."""
    if threshold <= 1:
        return SuppressionPattern(frozenset(), frozenset(), 0)
    lat = _build(cells, dims)
    s = _Suppressor(lat, threshold)
    rounds = s.run()
    prim = np.flatnonzero(s.primary)
    sec = np.flatnonzero(s.sup & ~s.primary)
    return SuppressionPattern(
        frozenset(lat.key(int(i)) for i in prim),
        frozenset(lat.key(int(i)) for i in sec),
        rounds,
    )


# --------------------------------------------------------------------------------------------
# the published table
# --------------------------------------------------------------------------------------------


def round_to_base(value: float, base: int) -> int:
    """Round half up to a multiple of ``base`` (12 → 10, 13 → 15 for base 5)."""
    return int(np.floor(value / base + 0.5) * base)


def footnotes(threshold: int, rounding: int | None, any_suppressed: bool) -> list[str]:
    """Plain-English notes to print under a protected table."""
    notes: list[str] = []
    if any_suppressed:
        notes.append(
            f"Figures from 1 to {threshold - 1} are not shown (marked as suppressed), nor are "
            "some other figures that would let them be worked out from totals. Zeros are shown."
        )
    if rounding:
        notes.append(
            f"Figures are rounded to the nearest {rounding}; totals are rounded on their own "
            "and may not equal the sum of the rounded figures."
        )
    return notes


@dataclass(frozen=True)
class ProtectedTable:
    """Published values of every lattice node: ``None`` where suppressed. Holds no true
    value of a suppressed node, so it can be handed to any renderer."""

    dims: tuple[str, ...]
    values: dict[Key, int | float | None]
    suppressed: frozenset[Key]
    threshold: int
    rounding: int | None
    footnotes: tuple[str, ...]

    def get(self, key: Key) -> int | float | None:
        return self.values[key]


def protect(
    cells: Mapping[Key, float],
    dims: Sequence[Dimension],
    *,
    threshold: int,
    rounding: int | None = None,
    suppress: bool = True,
) -> ProtectedTable:
    """Suppress (and optionally round) a table and all its totals, ready to publish.

    ``cells`` maps one leaf value per dimension to a count (missing → 0). The result holds
    every node of the lattice (cells and totals at each level; ``None`` for a grand total).
    """
    if rounding is not None and rounding < 2:
        raise ValueError("rounding must be a base of at least 2 (e.g. 5)")
    lat = _build(cells, dims)
    sup = np.zeros(lat.values.size, dtype=bool)
    if suppress and threshold > 1:
        s = _Suppressor(lat, threshold)
        s.run()
        sup = s.sup
    out: dict[Key, int | float | None] = {}
    for i in range(lat.values.size):
        key = lat.key(i)
        if sup[i]:
            out[key] = None
            continue
        v = float(lat.values[i])
        if rounding:
            out[key] = round_to_base(v, rounding)
        else:
            out[key] = int(v) if v.is_integer() else v
    hidden = frozenset(lat.key(int(i)) for i in np.flatnonzero(sup))
    return ProtectedTable(
        tuple(d.name for d in dims),
        out,
        hidden,
        threshold,
        rounding,
        tuple(footnotes(threshold, rounding, bool(hidden))),
    )


def all_keys(dims: Sequence[Dimension]) -> Iterable[Key]:
    """Every lattice key of ``dims`` (cells and totals), in lattice order."""
    return itertools.product(*(d.nodes() for d in dims))
