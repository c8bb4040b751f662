"""Local compaction and neighbourhood of each bead of a chromosome structure.

``rg_local``
    the radius of gyration of beads ``i - w … i + w`` clipped to the chain
    (the root mean squared distance of those beads to their centroid), model
    units. The window is clipped, not padded: near the chain's ends it holds
    fewer beads (bead 0's window is beads ``0 … w``). A chain shorter than the
    window is handled by the same rule: when ``n <= w + 1`` every bead's window
    is the whole chain, so every bead gets the chain's radius of gyration; a
    chain of one bead gets 0. ``w = 0`` gives 0 everywhere.
``neighbours``
    the number of beads ``j`` with ``|i - j| >= 2`` (not the bead itself, not its
    two chain neighbours) at a distance ``<= R`` from bead ``i``, with ``R =
    radius_factor x`` the median bond length (distance between consecutive
    beads). A chain of fewer than two beads has no bond, hence no ``R``: every
    bead gets 0.

Distances are computed in float64 from the float32 bead coordinates, as the
physical features are. Both are vectorised: cumulative sums for ``rg_local``
(O(n)), a k-d tree (scipy's cKDTree) for ``neighbours``: the pairs within ``R``
listed in one dual-tree walk while there are at most :data:`PAIR_BUDGET` of them
(estimated from a sample of the beads), else the beads in each ball counted without
listing the pairs, so memory stays O(n) (the same counts, about half as fast);
``tests/benchmarks/loop_neighbourhood.py`` holds loop references of the same
definitions and ``tests/benchmarks/bench_neighbourhood.py`` their cost.
"""

import numpy as np

from . import _scipy
from .physical import check_coords


def _check_window(window):
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 0:
        raise ValueError(f"window must be an integer >= 0, got {window!r}")
    return int(window)


def rg_local(coords, window):
    """Radius of gyration of each bead's window of ``2 window + 1`` beads, clipped to the chain.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates (model units), chain order.
    window : int
        Beads either side of bead ``i`` (``w``; the config's ``features.rg_window``).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64, model units.

    Notes
    -----
    With ``S1``, ``S2`` the sums of the positions and of their squared norms over
    a window of ``m`` beads, ``Rg^2 = S2 / m - |S1 / m|^2``; the sums come from
    cumulative sums of coordinates centred on the chain's centroid (which
    keeps the subtraction's cancellation small), and tiny negative values from
    rounding are clipped to 0. The rounding left is ~1e-15 in ``Rg^2``, so an
    ``Rg`` near 0 (coincident beads) can come out as ~1e-8 rather than 0.
    """
    window = _check_window(window)
    beads = check_coords(coords).astype(np.float64)
    n = beads.shape[0]
    if window == 0:
        return np.zeros(n)  # one bead per window, exactly (the sums below would leave ~1e-8 of rounding)
    beads -= beads.mean(axis=0)
    zero = np.zeros((1, 3))
    first = np.concatenate([zero, np.cumsum(beads, axis=0)])
    second = np.concatenate([[0.0], np.cumsum((beads * beads).sum(axis=1))])
    index = np.arange(n)
    lo = np.maximum(index - window, 0)
    hi = np.minimum(index + window, n - 1) + 1
    m = (hi - lo).astype(np.float64)
    centroid = (first[hi] - first[lo]) / m[:, None]
    mean_square = (second[hi] - second[lo]) / m
    return np.sqrt(np.maximum(mean_square - (centroid * centroid).sum(axis=1), 0.0))


#: At most this many neighbour pairs are listed at once (16 bytes each, ~256 MB: about 70,000 beads of a dense
#: 5 kb structure, ~440 neighbours each); a structure expected to have more counts each bead's ball instead.
PAIR_BUDGET = 16_000_000


def check_radius_factor(radius_factor):
    """Raise ``ValueError`` unless ``radius_factor`` (a neighbour radius, x the median bond) is finite and > 0."""
    if not np.isfinite(radius_factor) or radius_factor <= 0:
        raise ValueError(f"radius_factor must be a positive number, got {radius_factor!r}")


def median_bond(coords):
    """Median distance between consecutive beads (float64, model units); NaN for fewer than two beads."""
    beads = check_coords(coords).astype(np.float64)
    if beads.shape[0] < 2:
        return float("nan")
    return float(np.median(np.linalg.norm(np.diff(beads, axis=0), axis=1)))


def neighbours(coords, radius_factor):
    """Number of beads ``j`` with ``|i - j| >= 2`` within ``radius_factor x`` the median bond of each bead ``i``.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates (model units), chain order.
    radius_factor : float
        ``R`` as a multiple of the median bond length (> 0; the config's ``features.neighbour_radius``).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 counts.
    """
    check_radius_factor(radius_factor)
    beads = check_coords(coords).astype(np.float64)
    n = beads.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    radius = radius_factor * median_bond(beads)
    # the beads within R of each bead (the pairs in one dual-tree walk, about twice as fast as a ball query per
    # bead and the same test, while they fit PAIR_BUDGET), less the chain neighbours i - 1 and i + 1 within R
    tree = _scipy.spatial().cKDTree(beads)
    sample = tree.query_ball_point(beads[:: max(1, n // 1000)], radius, return_length=True)
    if sample.mean() * n / 2 <= PAIR_BUDGET:  # the pairs, each once, counted at both ends
        pairs = tree.query_pairs(radius, output_type="ndarray")
        within = np.bincount(pairs.ravel(), minlength=n).astype(np.int64)
        del pairs
    else:  # beads within R of each bead, itself included (no pair list: memory O(n)), less itself
        within = tree.query_ball_point(beads, radius, return_length=True).astype(np.int64) - 1
    steps = np.diff(beads, axis=0)
    bonded = (steps * steps).sum(axis=1) <= radius * radius  # the tree's own test: squared distance vs R squared
    within[1:] -= bonded
    within[:-1] -= bonded
    return within
