"""Straightforward loop implementations of the nuclear landmarks (``chromapipe.landmarks``).

Written from the definitions, bead by bead: the centre as the mean of the beads, the radius as the
99th percentile by sorting and linear interpolation, and the hull distance from each hull facet's
own plane (cross product of two edges, turned away from the beads' centroid), not from Qhull's
equations. Only the facets' vertex triples come from scipy's ``ConvexHull``. The oracle of
``tests/test_landmarks.py``; not used by the package.
"""

import math

import numpy as np


def loop_radial_position(coords, percentile=99.0):
    beads = [[float(v) for v in row] for row in np.asarray(coords, dtype=np.float64)]
    n = len(beads)
    centre = [sum(b[a] for b in beads) / n for a in range(3)]
    distance = [math.dist(b, centre) for b in beads]
    ordered = sorted(distance)
    rank = percentile / 100 * (n - 1)
    low = math.floor(rank)
    high = min(low + 1, n - 1)
    radius = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    if radius <= 0:
        return np.full(n, np.nan)
    return np.array([d / radius for d in distance])


def loop_hull_distance(coords):
    """Distance of each bead to the hull of the beads, positive inside (None: fewer than 4 beads or flat)."""
    from scipy.spatial import ConvexHull, QhullError

    beads = np.asarray(coords, dtype=np.float64)
    if beads.shape[0] < 4:
        return None
    try:
        facets = ConvexHull(beads).simplices
    except QhullError:
        return None
    centroid = beads.mean(axis=0)
    planes = []
    for a, b, c in facets:
        p, q, r = beads[a], beads[b], beads[c]
        normal = np.cross(q - p, r - p)
        normal = normal / math.sqrt(float(normal @ normal))
        if float(normal @ (centroid - p)) > 0:  # outward: away from the centroid
            normal = -normal
        planes.append((normal, p))
    out = []
    for x in beads:
        out.append(max(0.0, min(float(-(normal @ (x - p))) for normal, p in planes)))
    return np.array(out)
