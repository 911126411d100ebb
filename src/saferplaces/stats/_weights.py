"""Spatial weights as ``scipy.sparse`` CSR matrices (row i = the neighbours of unit i).

Built with scipy only (no libpysal at run time). Conventions follow PySAL/libpysal so the
Getis-Ord statistics reproduce esda exactly:

* distance-band weights include every pair with distance **≤** the threshold
  (``libpysal.weights.DistanceBand`` uses ``cKDTree.sparse_distance_matrix``, which is
  inclusive), binary, no self-neighbour;
* k-nearest-neighbour weights are binary and not symmetric (``libpysal.weights.KNN``);
* lattice weights number the cells row-major, as ``libpysal.weights.lat2W`` does.

Any other weights (contiguity from polygons, road-network adjacency, …) can be passed to the
statistics directly as a square ``scipy.sparse`` matrix.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from saferplaces.stats.grid import _as_xy

__all__ = [
    "as_weights",
    "distance_band_weights",
    "knn_weights",
    "lattice_weights",
    "row_standardise",
]


def as_weights(w: object, n: int) -> sparse.csr_matrix:
    """Validate a spatial weights matrix: square ``n × n``, finite, non-negative → CSR float64.

    Method: the sparse W matrix of spatial weights (Getis & Ord 1992; PySAL ``W.sparse``):
    row i holds the weights w_ij of unit i's neighbours j; duplicates are summed.
    """
    if not sparse.issparse(w):
        if isinstance(w, np.ndarray) and w.ndim == 2:
            w = sparse.csr_matrix(w)
        else:
            raise ValueError("weights must be a scipy.sparse matrix (or a 2-D numpy array)")
    m = sparse.csr_matrix(w, dtype=np.float64)
    if m.shape != (n, n):
        raise ValueError(f"weights must be {n}×{n} to match the {n} values (got {m.shape})")
    m.sum_duplicates()
    if m.nnz and (not np.isfinite(m.data).all() or (m.data < 0).any()):
        raise ValueError("weights must be finite and non-negative")
    m.eliminate_zeros()
    m.sort_indices()
    return m


def distance_band_weights(
    x: ArrayLike,
    y: ArrayLike,
    threshold: float,
    *,
    metric: Literal["euclidean", "manhattan"] = "euclidean",
) -> sparse.csr_matrix:
    """Binary distance-band weights: j is a neighbour of i when ``0 < d(i, j) ≤ threshold``.

    Method: fixed distance band (Getis & Ord 1992; libpysal ``DistanceBand(binary=True)``)
    found with ``scipy.spatial.cKDTree.query_pairs``. Coincident points (d = 0) are
    neighbours of each other; a unit is never its own neighbour (Gi* adds the self-weight).
    """
    xa, ya = _as_xy(x, y)
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold must be a non-negative distance (got {threshold})")
    if metric not in ("euclidean", "manhattan"):
        raise ValueError(f"metric must be 'euclidean' or 'manhattan' (got {metric!r})")
    p = 2.0 if metric == "euclidean" else 1.0
    tree = cKDTree(np.column_stack([xa, ya]))
    pairs = tree.query_pairs(float(threshold), p=p, output_type="ndarray")
    n = xa.size
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    data = np.ones(rows.size, dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))


def knn_weights(x: ArrayLike, y: ArrayLike, k: int) -> sparse.csr_matrix:
    """Binary k-nearest-neighbour weights (row i has its k nearest other units; asymmetric).

    Method: k-nearest neighbours (libpysal ``KNN``) via ``cKDTree.query``. Ties at the k-th
    distance are broken by the tree's order, as in libpysal.
    """
    xa, ya = _as_xy(x, y)
    n = xa.size
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and n − 1 = {n - 1} (got {k})")
    tree = cKDTree(np.column_stack([xa, ya]))
    _, idx = tree.query(np.column_stack([xa, ya]), k=k + 1)
    idx = np.asarray(idx, dtype=np.int64)
    own = np.arange(n)[:, None]
    # drop self (normally column 0; coincident points may put self later in the row)
    not_self = idx != own
    keep_rows: NDArray[np.int64] = np.repeat(np.arange(n), k)
    neigh = np.empty((n, k), dtype=np.int64)
    has_self = ~not_self.all(axis=1)
    # rows containing self: take the non-self entries (exactly k of them)
    neigh[has_self] = idx[has_self][not_self[has_self]].reshape(-1, k)
    neigh[~has_self] = idx[~has_self][:, :k]
    data = np.ones(n * k, dtype=np.float64)
    return sparse.csr_matrix((data, (keep_rows, neigh.ravel())), shape=(n, n))


def lattice_weights(
    nrows: int, ncols: int, *, rule: Literal["queen", "rook"] = "queen"
) -> sparse.csr_matrix:
    """Binary contiguity weights for an ``nrows × ncols`` lattice numbered row-major.

    Method: rook (shared edge) or queen (shared edge or corner) contiguity, as
    ``libpysal.weights.lat2W``. Queen contiguity on a square grid equals a distance band of
    ``cell_size × √2`` between cell centres — the Gi* neighbourhood used by sfhotspot
    (METHODS.md §4.3).
    """
    if nrows < 1 or ncols < 1:
        raise ValueError(f"a lattice needs at least one cell (got {nrows}×{ncols})")
    if rule not in ("queen", "rook"):
        raise ValueError(f"rule must be 'queen' or 'rook' (got {rule!r})")
    r, c = np.divmod(np.arange(nrows * ncols, dtype=np.int64), ncols)
    offsets = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if rule == "queen" else [])
    rows_list = []
    cols_list = []
    for dr, dc in offsets:
        rr, cc = r + dr, c + dc
        ok = (rr < nrows) & (cc >= 0) & (cc < ncols)
        a = (r * ncols + c)[ok]
        b = (rr * ncols + cc)[ok]
        rows_list += [a, b]
        cols_list += [b, a]
    rows = np.concatenate(rows_list)
    cols = np.concatenate(cols_list)
    n = nrows * ncols
    return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))


def row_standardise(w: sparse.spmatrix) -> sparse.csr_matrix:
    """Divide each row by its sum (rows summing to zero — islands — stay zero).

    Method: row standardisation, w_ij / Σ_j w_ij (libpysal transform ``"R"``).
    """
    m = sparse.csr_matrix(w, dtype=np.float64)
    sums = np.asarray(m.sum(axis=1)).ravel()
    scale = np.zeros_like(sums)
    np.divide(1.0, sums, out=scale, where=sums != 0)
    return sparse.csr_matrix(sparse.diags(scale) @ m)
