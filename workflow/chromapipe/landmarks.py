"""Nuclear landmarks of each bead: radial position and distance to the periphery.

For a structure of the whole nucleus (a genome-wide file), per model:

``radial_position``
    ``d / R``: ``d`` the distance from the bead to the nucleus centre (the plain float64 mean of every
    bead of the model, every chromosome and homolog: ``dist_nucleus_com``), ``R`` the nucleus radius,
    the 99th percentile (numpy's default, linear interpolation) of ``d`` over every bead of the model.
    Empty where ``R`` is 0 (every bead at the centre).
``dist_periphery``
    the distance from the bead to the nucleus surface, the convex hull of every bead of the model
    (Qhull through scipy's ``ConvexHull``), positive inside. Every bead lies inside or on its own
    hull, so this is ``min_f -(n_f . x + b_f)`` over the hull's facets (unit outward normal ``n_f``,
    offset ``b_f``): the distance to the nearest facet plane, which for a point inside a convex
    polytope is its distance to the polytope's boundary; 0 on the hull.

For one chromosome (one homolog, one model) the same two within the chromosome's own territory
(``radial_position_territory``, ``dist_periphery_territory``): centre, radius and hull of that
chain's beads alone.

Fewer than 4 beads, or beads that all lie in one plane, have no hull: the distance is empty
(None here, null in the tables) and a warning says why. Distances are float64, in the structure's
units. ``tests/benchmarks/loop_landmarks.py`` holds a loop reference of the same definitions.
"""

import logging

import numpy as np

log = logging.getLogger("chromapipe")

#: The percentile of the beads' distances to the centre taken as the radius.
RADIUS_PERCENTILE = 99.0
#: Beads per block of the facet distances (bounds memory: block x facets float64).
_BLOCK = 4096


def radial_position(coords):
    """Distance of each bead to the beads' centre over the 99th percentile of those distances.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates of one model (the whole nucleus, or one territory).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64; all NaN where the radius is 0 (or there is no bead).
    """
    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    if beads.shape[0] == 0:
        return np.empty(0)
    distance = np.linalg.norm(beads - beads.mean(axis=0), axis=1)
    radius = np.percentile(distance, RADIUS_PERCENTILE)
    if not radius > 0:
        return np.full(beads.shape[0], np.nan)
    return distance / radius


def hull(coords):
    """The convex hull of the beads (scipy's ``ConvexHull``), or ``(None, why)`` when there is none.

    Returns
    -------
    scipy.spatial.ConvexHull or None, str
        The hull and ``""``, or None and the reason (fewer than 4 beads, or all in one plane or line).
    """
    from ._scipy import spatial

    ConvexHull, QhullError = spatial().ConvexHull, spatial().QhullError  # noqa: N806 (scipy's classes)

    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    if beads.shape[0] < 4:
        return None, f"{beads.shape[0]} bead(s): a convex hull needs at least 4"
    try:
        return ConvexHull(beads), ""
    except QhullError:
        return None, f"the {beads.shape[0]} beads lie in one plane (or line): they have no 3D convex hull"


def hull_distance(coords, points=None):
    """Distance from each bead (or each of ``points``) to the convex hull of ``coords``, positive inside.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` the beads whose hull is the surface.
    points : array_like, optional
        ``(m, 3)`` the points measured (default: ``coords``); they should lie inside the hull (a point
        outside gets minus its distance to the nearest facet plane, which is a lower bound of its
        distance to the hull).

    Returns
    -------
    distances : numpy.ndarray or None
        ``(m,)`` float64, or None when the beads have no hull.
    why : str
        Why there is no hull (``""`` when there is one).
    """
    shape, why = hull(coords)
    if shape is None:
        return None, why
    beads = np.asarray(coords if points is None else points, dtype=np.float64).reshape(-1, 3)
    normals, offsets = shape.equations[:, :3], shape.equations[:, 3]  # unit outward normals: n . x + b <= 0 inside
    out = np.empty(beads.shape[0])
    for start in range(0, beads.shape[0], _BLOCK):
        block = beads[start : start + _BLOCK]
        out[start : start + _BLOCK] = -(block @ normals.T + offsets).max(axis=1)
    if points is None:  # the hull's own beads are inside or on it: a rounding of -1e-15 on a vertex is 0
        np.maximum(out, 0.0, out=out)
    return out, ""


def landmarks(coords):
    """``(radial position, hull distance, why)`` of one model's beads; the distance is all NaN without a hull.

    ``why`` says why there is no hull (``""`` when there is one).
    """
    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    distance, why = hull_distance(beads)
    if distance is None:
        distance = np.full(beads.shape[0], np.nan)
    return radial_position(beads), distance, why


def by_group(coords, groups, what="the structure"):
    """:func:`landmarks` of every group of beads (a model, or a chromosome of a model), aligned with ``coords``.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates.
    groups : array_like
        ``(n,)`` labels: beads with the same label share a centre, radius and hull.
    what : str
        Named in the warning of a group without a hull (``"model 2"`` is appended where there are several).

    Returns
    -------
    radial, distance : numpy.ndarray
        ``(n,)`` float64 each, NaN where undefined.
    """
    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    groups = np.asarray(groups)
    radial, distance = np.full(beads.shape[0], np.nan), np.full(beads.shape[0], np.nan)
    labels = list(dict.fromkeys(groups.tolist()))
    for label in labels:
        rows = groups == label
        radial[rows], distance[rows], why = landmarks(beads[rows])
        if why:
            where = f"{what}, {label}" if len(labels) > 1 else what
            log.warning("%s: no convex hull (%s): its hull distance is empty", where, why)
    return radial, distance
