"""Straightforward loop implementations of the trans features (``chromapipe.trans``).

All pairs of beads, one at a time, with no tree: the oracle of ``tests/test_trans.py`` and the
baseline of ``bench_trans.py``. Not used by the package.
"""

import math
import statistics

import numpy as np


def loop_neighbours_trans(coords, chains, radius_factor=1.5):
    beads = [[float(v) for v in row] for row in np.asarray(coords, dtype=np.float64)]
    chains = list(chains)
    radius = {}
    for label in set(chains):
        chain = [b for b, c in zip(beads, chains) if c == label]
        if len(chain) >= 2:
            radius[label] = radius_factor * statistics.median(math.dist(a, b) for a, b in zip(chain[:-1], chain[1:]))
    counts = []
    for bead, label in zip(beads, chains, strict=True):
        r = radius.get(label)
        if r is None:
            counts.append(0)
            continue
        counts.append(sum(1 for j, other in enumerate(beads) if chains[j] != label and math.dist(bead, other) <= r))
    return np.array(counts, dtype=np.int64)


def loop_dist_homolog(coords, chrom, haplotype, start):
    beads = np.asarray(coords, dtype=np.float64)
    out = []
    for i in range(beads.shape[0]):
        found = math.nan
        for j in range(beads.shape[0]):
            if chrom[j] == chrom[i] and start[j] == start[i] and haplotype[j] != haplotype[i]:
                found = math.dist(beads[i], beads[j])
        out.append(found)
    return np.array(out)
