"""Trans features of each bead of a genome-wide or diploid structure.

``neighbours_trans``
    the number of beads of *other* chains (other chromosomes, and the other homolog of the same
    chromosome) of the same model at a distance ``<= R`` from bead ``i``, ``R`` the radius of
    ``neighbours`` for bead ``i``'s own chain: ``radius_factor x`` the median bond of that chain in
    that model (:mod:`chromapipe.neighbourhood`). A chain of fewer than two beads has no ``R``: 0.
``trans_fraction``
    ``neighbours_trans / (neighbours + neighbours_trans)``; empty where both are 0.
``dist_homolog``
    diploid files: the distance from the bead to the bead of the same bin (same chromosome, same
    ``start``) on the other homolog of the same model; empty where the other homolog has no bead
    on that bin (or the file has no positions).

One k-d tree (scipy's cKDTree) per chain; each chain's beads that lie within their radius of another
chain's bounding box count that chain's beads within ``R`` (``query_ball_point(...,
return_length=True)``): counts, never a list of pairs, so memory stays O(beads), and the work
follows the trans contacts, not the (far more numerous) cis ones. Distances are float64 from the
float32 coordinates.
``tests/benchmarks/loop_trans.py`` holds loop references; ``bench_trans.py`` the cost against
``neighbours``.
"""

import numpy as np


def chain_radii(coords, chains, radius_factor):
    """Each bead's ``neighbours`` radius: ``radius_factor x`` the median bond of its chain (NaN: no bond).

    ``chains``: ``(n,)`` labels, each chain's beads in chain order (a chain need not be contiguous in
    ``coords``, only ordered).
    """
    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    chains = np.asarray(chains)
    radius = np.full(beads.shape[0], np.nan)
    for label in dict.fromkeys(chains.tolist()):
        rows = np.flatnonzero(chains == label)
        if rows.size >= 2:
            bonds = np.linalg.norm(np.diff(beads[rows], axis=0), axis=1)
            radius[rows] = radius_factor * float(np.median(bonds))
    return radius


def neighbours_trans(coords, chains, radius_factor):
    """Beads of other chains within each bead's own chain radius (one model).

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates of one model, every chain.
    chains : array_like
        ``(n,)`` chain labels (chromosome and homolog), each chain's beads in chain order.
    radius_factor : float
        ``R`` as a multiple of the chain's median bond (``features.neighbour_radius``).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 counts.
    """
    from ._scipy import spatial
    from .neighbourhood import check_radius_factor

    cKDTree = spatial().cKDTree  # noqa: N806 (scipy's class)

    check_radius_factor(radius_factor)
    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    _, chain = np.unique(np.asarray(chains), return_inverse=True)
    chain = chain.ravel()
    radius = chain_radii(beads, chain, radius_factor)
    counts = np.zeros(beads.shape[0], dtype=np.int64)
    rows = [np.flatnonzero(chain == label) for label in range(int(chain.max()) + 1 if chain.size else 0)]
    trees = [cKDTree(beads[r]) if r.size else None for r in rows]
    low = [beads[r].min(axis=0) if r.size else None for r in rows]
    high = [beads[r].max(axis=0) if r.size else None for r in rows]
    for a, own in enumerate(rows):
        if own.size < 2:  # no bond, no radius
            continue
        r = float(radius[own[0]])
        margin = r * (1 + 1e-6)  # a hair more: the tree's own test decides the boundary
        for b, other in enumerate(rows):
            if b == a or not other.size:
                continue
            # only the beads within the radius of chain b's bounding box can have a neighbour in it
            near = own[np.all((beads[own] >= low[b] - margin) & (beads[own] <= high[b] + margin), axis=1)]
            if near.size:
                counts[near] += trees[b].query_ball_point(beads[near], r, return_length=True)
    return counts


def trans_fraction(cis, trans):
    """``trans / (cis + trans)``, NaN where both are 0."""
    cis = np.asarray(cis, dtype=np.float64)
    trans = np.asarray(trans, dtype=np.float64)
    total = cis + trans
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, trans / np.where(total > 0, total, 1.0), np.nan)


def dist_homolog(coords, chrom, haplotype, start):
    """Distance from each bead to the bead of the same bin on the other homolog (one model).

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates of one model.
    chrom, haplotype : array_like
        ``(n,)`` each bead's chromosome and homolog (two homologs per chromosome at most; a
        chromosome with one has no other).
    start : array_like
        ``(n,)`` each bead's bin start (bp).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64, NaN where the other homolog has no bead on the bin.
    """
    beads = np.asarray(coords, dtype=np.float64).reshape(-1, 3)
    chrom = np.asarray([str(c) for c in chrom])
    hap = np.asarray(["" if h is None else str(h) for h in haplotype])
    start = np.asarray(start, dtype=np.int64)
    out = np.full(beads.shape[0], np.nan)
    # within a chromosome the other homolog is the other label, and a bin is its start
    names, index = np.unique(chrom, return_inverse=True)
    index = index.ravel()
    for k in range(names.size):
        rows = np.flatnonzero(index == k)
        labels = np.unique(hap[rows])
        if labels.size != 2:
            continue
        a, b = rows[hap[rows] == labels[0]], rows[hap[rows] == labels[1]]
        # match a's beads and b's beads on their bin's start (a homolog holds a bin once)
        order = np.argsort(start[b], kind="stable")
        found = np.searchsorted(start[b][order], start[a])
        found = np.minimum(found, b.size - 1)
        match = start[b][order][found] == start[a]
        left, right = a[match], b[order][found[match]]
        distance = np.linalg.norm(beads[left] - beads[right], axis=1)
        out[left] = distance
        out[right] = distance
    return out
