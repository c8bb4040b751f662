"""Straightforward loop implementations of ``rg_local`` and ``neighbours``.

Written from the definitions in ``chromapipe.neighbourhood``'s description, bead
by bead, with no cumulative sums and no tree: the oracle the tests compare the
vectorised package against, and the baseline of ``bench_neighbourhood.py``. Not
used by the package.
"""

import math
import statistics

import numpy as np


def loop_rg_local(coords, window):
    """Radius of gyration of beads i-w..i+w clipped to the chain, one bead at a time."""
    beads = [[float(v) for v in row] for row in np.asarray(coords, dtype=np.float32)]
    n = len(beads)
    out = []
    for i in range(n):
        members = beads[max(0, i - window) : min(n, i + window + 1)]
        centroid = [sum(b[a] for b in members) / len(members) for a in range(3)]
        squares = [sum((b[a] - centroid[a]) ** 2 for a in range(3)) for b in members]
        out.append(math.sqrt(sum(squares) / len(members)))
    return np.array(out)


def loop_neighbours(coords, radius_factor):
    """Beads j with |i-j| >= 2 within radius_factor x the median bond of bead i, by all pairs."""
    beads = [[float(v) for v in row] for row in np.asarray(coords, dtype=np.float32)]
    n = len(beads)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    radius = radius_factor * statistics.median(math.dist(a, b) for a, b in zip(beads[:-1], beads[1:]))
    counts = []
    for i in range(n):
        counts.append(sum(1 for j in range(n) if abs(i - j) >= 2 and math.dist(beads[i], beads[j]) <= radius))
    return np.array(counts, dtype=np.int64)
