"""An intruder who tries to recover suppressed values from a published table and its totals.

Written independently of saferplaces.publish.disclosure: it rebuilds every published equation
(each node = the sum of its children, along every dimension and hierarchy level) from the
dimensions alone, then

* **exact**: Gaussian elimination over the rationals (``fractions.Fraction``) on the
  equations with the suppressed values as unknowns; an unknown is recovered when its unit
  vector is a row of the reduced row echelon form;
* **interval**: for each unknown, the smallest and largest value a linear programme allows
  given the equations and the bound ``u ≥ lower`` (an intruder who knows zeros are never
  suppressed uses ``lower = 1``); recovered when the two agree.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.optimize import linprog

Key = tuple[Any, ...]


def dim_nodes(leaves: Sequence[Any], parents: Mapping[Any, Any]) -> list[Hashable]:
    out: list[Hashable] = list(leaves)
    for v in leaves:
        p = parents.get(v)
        while p is not None:
            if p not in out:
                out.append(p)
            p = parents.get(p)
    return [*out, None]


def _key(rest: tuple[Hashable, ...], d: int, v: Hashable) -> Key:
    r = list(rest)
    r.insert(d, v)
    return tuple(r)


def equations(
    dims: Sequence[tuple[Sequence[Any], Mapping[Any, Any]]],
) -> list[tuple[Key, list[Key]]]:
    """(parent key, child keys) for every additivity relation of the lattice."""
    nodes = [dim_nodes(leaves, parents) for leaves, parents in dims]
    eqs: list[tuple[Key, list[Key]]] = []
    for d, (_, parents) in enumerate(dims):
        kids: dict[Hashable, list[Hashable]] = {}
        for v in nodes[d]:
            if v is not None:
                kids.setdefault(parents.get(v), []).append(v)
        others = [nodes[e] for e in range(len(dims)) if e != d]
        for parent, children in kids.items():
            for rest in itertools.product(*others):
                eqs.append((_key(rest, d, parent), [_key(rest, d, c) for c in children]))
    return eqs


def _system(
    published: Mapping[Key, Any], eqs: list[tuple[Key, list[Key]]]
) -> tuple[list[Key], list[tuple[dict[int, int], Fraction]]]:
    unknowns = sorted((k for k, v in published.items() if v is None), key=repr)
    col = {k: i for i, k in enumerate(unknowns)}
    rows: list[tuple[dict[int, int], Fraction]] = []
    for parent, children in eqs:
        coeffs: dict[int, int] = {}
        rhs = Fraction(0)
        for k, c in [(parent, 1), *((ch, -1) for ch in children)]:
            v = published[k]
            if v is None:
                coeffs[col[k]] = coeffs.get(col[k], 0) + c
            else:
                rhs -= c * Fraction(v)
        if coeffs:
            rows.append((coeffs, rhs))
    return unknowns, rows


def exact_recoveries(
    published: Mapping[Key, Any], eqs: list[tuple[Key, list[Key]]]
) -> dict[Key, Fraction]:
    """Suppressed values the equations alone determine (RREF over the rationals)."""
    unknowns, rows = _system(published, eqs)
    n = len(unknowns)
    mat = [[Fraction(r[0].get(j, 0)) for j in range(n)] + [r[1]] for r in rows]
    pivots: list[int] = []
    r = 0
    for c in range(n):
        p = next((i for i in range(r, len(mat)) if mat[i][c] != 0), None)
        if p is None:
            continue
        mat[r], mat[p] = mat[p], mat[r]
        pv = mat[r][c]
        mat[r] = [x / pv for x in mat[r]]
        for i in range(len(mat)):
            if i != r and mat[i][c] != 0:
                f = mat[i][c]
                mat[i] = [a - f * b for a, b in zip(mat[i], mat[r], strict=True)]
        pivots.append(c)
        r += 1
    out: dict[Key, Fraction] = {}
    for i, c in enumerate(pivots):
        if all(mat[i][j] == 0 for j in range(n) if j != c):
            out[unknowns[c]] = mat[i][n]
    return out


def interval_recoveries(
    published: Mapping[Key, Any],
    eqs: list[tuple[Key, list[Key]]],
    lower: float,
) -> dict[Key, tuple[float, float]]:
    """Suppressed values pinned by the equations plus ``u ≥ lower`` (LP min == max)."""
    unknowns, rows = _system(published, eqs)
    n = len(unknowns)
    if not n:
        return {}
    if rows:
        a = np.zeros((len(rows), n))
        b = np.zeros(len(rows))
        for i, (coeffs, rhs) in enumerate(rows):
            for j, c in coeffs.items():
                a[i, j] = c
            b[i] = float(rhs)
    out: dict[Key, tuple[float, float]] = {}
    for j in range(n):
        bounds = []
        for sign in (1.0, -1.0):
            objective = np.zeros(n)
            objective[j] = sign
            res = linprog(
                objective,
                A_eq=a if rows else None,
                b_eq=b if rows else None,
                bounds=[(lower, None)] * n,
                method="highs",
            )
            if res.status == 3:  # unbounded
                bounds.append(np.inf * sign * -1)
                continue
            assert res.status == 0, res.message
            bounds.append(res.x[j])
        lo, hi = bounds[0], bounds[1]
        if hi - lo < 1e-6:
            out[unknowns[j]] = (lo, hi)
    return out
