"""Straightforward loop implementations of the superposition RMSD and the contact agreement.

Written from the definitions in ``chromapipe.superpose`` and ``chromapipe.agreement``, one pair at a time:
Kabsch by explicit rotation (one 3 x 3 SVD per pair, the rotated beads measured one by one), the contact
pairs through a dictionary from bin start to bead, ranks by sorting. The oracle the tests compare the
vectorised package against, and the baseline of ``bench_agreement.py``. Not used by the package.
"""

import math

import numpy as np


def loop_kabsch_rmsd(p, q):
    """RMSD of two structures after the best proper rotation, by applying it bead by bead."""
    p = [[float(v) for v in row] for row in np.asarray(p, dtype=np.float64)]
    q = [[float(v) for v in row] for row in np.asarray(q, dtype=np.float64)]
    n = len(p)
    cp = [sum(b[a] for b in p) / n for a in range(3)]
    cq = [sum(b[a] for b in q) / n for a in range(3)]
    p = [[b[a] - cp[a] for a in range(3)] for b in p]
    q = [[b[a] - cq[a] for a in range(3)] for b in q]
    h = [[sum(p[k][i] * q[k][j] for k in range(n)) for j in range(3)] for i in range(3)]
    u, _, vt = np.linalg.svd(np.array(h))
    d = 1.0 if np.linalg.det(vt.T @ u.T) >= 0 else -1.0
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    total = 0.0
    for a, b in zip(p, q):
        rotated = [sum(r[i][j] * a[j] for j in range(3)) for i in range(3)]
        total += sum((rotated[i] - b[i]) ** 2 for i in range(3))
    return math.sqrt(total / n)


def loop_scaled(p):
    """A structure centred and divided by its radius of gyration."""
    p = np.asarray(p, dtype=np.float64)
    c = p - p.mean(axis=0)
    return c / math.sqrt(sum(float(row @ row) for row in c) / len(c))


def loop_pairwise_rmsd(models):
    """``(rmsd, rmsd_scaled)`` matrices of every pair of models, one pair at a time."""
    m = len(models)
    rmsd, scaled = np.zeros((m, m)), np.zeros((m, m))
    for a in range(m):
        for b in range(m):
            if a != b:
                rmsd[a, b] = loop_kabsch_rmsd(models[a], models[b])
                scaled[a, b] = loop_kabsch_rmsd(loop_scaled(models[a]), loop_scaled(models[b]))
    return rmsd, scaled


def _ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    return cov / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))


def loop_agreement(starts, coords, pos1, pos2, count):
    """``(pairs, rho, pearson)`` of one structure: the contact list's rows one at a time."""
    bead_of = {int(s): [float(v) for v in xyz] for s, xyz in zip(starts, np.asarray(coords, dtype=np.float64))}
    summed = {}
    for a, b, c in zip(pos1, pos2, count):
        if c <= 0 or a == b:
            continue
        key = (min(int(a), int(b)), max(int(a), int(b)))
        summed[key] = summed.get(key, 0.0) + float(c)
    distances, counts = [], []
    for (a, b), c in sorted(summed.items()):
        if a in bead_of and b in bead_of:
            d = math.dist(bead_of[a], bead_of[b])
            if d > 0:
                distances.append(d)
                counts.append(c)
    if len(distances) < 3:
        return len(distances), float("nan"), float("nan")
    rho = _pearson(_ranks(distances), _ranks(counts))
    return len(distances), rho, _pearson(counts, [1 / d for d in distances])
