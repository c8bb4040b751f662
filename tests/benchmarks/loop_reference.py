"""A straightforward, loop-based implementation of the physical-feature definition.

Written from ``shared/spec/physical-features.md`` the way the original pipeline
is described (Python loops for the sphere sampling and one voxel assignment per
sampled point, brute-force nearest distances), with the same precision rules.
It is the baseline of ``bench_physical.py`` and the oracle the tests compare the
vectorised package against on small structures. Not used by the package.
"""

import math

import numpy as np


def loop_surface(coords):
    """Surface points (float64, lexicographic voxel order) and dropped-point count."""
    coords = np.asarray(coords, dtype=np.float32)
    beads = [[float(v) for v in row] for row in coords]  # float32 values, as Python floats
    longest = 0.0
    for a, b in zip(beads[:-1], beads[1:]):
        longest = max(longest, math.sqrt(sum((q - p) ** 2 for p, q in zip(a, b))))
    r = 1.45 * longest
    rads = np.linspace(0, r, int(15 / 2))
    phis = np.linspace(0, np.pi, 15)
    thetas = np.linspace(0, 2 * np.pi, 15, endpoint=False)
    points = []
    for bead in beads:
        for rad in rads:
            for phi in phis:
                for theta in thetas:
                    points.append(
                        (
                            bead[0] + float(rad * np.sin(phi) * np.cos(theta)),
                            bead[1] + float(rad * np.sin(phi) * np.sin(theta)),
                            bead[2] + float(rad * np.cos(phi)),
                        )
                    )
    shift = 1.25 * abs(min(min(p) for p in points))
    shifted = [(x + shift, y + shift, z + shift) for x, y, z in points]
    extents = [max(p[a] for p in shifted) - min(p[a] for p in shifted) for a in range(3)]
    bins = 50
    largest = max(extents)
    bin_size = (largest + 0.1 * largest) / bins  # "times 1.1", in the original's arithmetic
    filled = set()
    dropped = 0
    for point in shifted:
        voxel = tuple(math.floor(c / bin_size) for c in point)
        if all(0 <= v < bins for v in voxel):
            filled.add(voxel)
        else:
            dropped += 1
    surface = []
    for i, j, k in sorted(filled):
        count = 0
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for dk in (-1, 0, 1):
                    if (di, dj, dk) != (0, 0, 0) and (i + di, j + dj, k + dk) in filled:
                        count += 1
        if count < 26:
            surface.append((i * bin_size - shift, j * bin_size - shift, k * bin_size - shift))
    return np.array(surface), dropped


def loop_features(coords):
    """All per-bead features, by loops and brute force, as a dict of arrays."""
    coords = np.asarray(coords, dtype=np.float32)
    n = coords.shape[0]
    beads = coords.astype(np.float64)
    surface, _ = loop_surface(coords)
    com = beads.mean(axis=0)
    backbone = [coords[i : i + 50].mean(axis=0, dtype=np.float32) for i in range(n - 50)]
    dist_surface, dist_com, dist_rm = [], [], []
    for bead in beads:
        dist_surface.append(np.sqrt(((surface - bead) ** 2).sum(axis=1)).min())
        dist_com.append(math.sqrt(((bead - com) ** 2).sum()))
        if backbone:
            dist_rm.append(min(math.sqrt(((bead - p.astype(np.float64)) ** 2).sum()) for p in backbone))
        else:
            dist_rm.append(float("nan"))
    return {
        "x": coords[:, 0],
        "y": coords[:, 1],
        "z": coords[:, 2],
        "dist_surface": np.array(dist_surface),
        "dist_com": np.array(dist_com),
        "dist_rolling_mean": np.array(dist_rm, dtype=np.float32),
    }, surface
