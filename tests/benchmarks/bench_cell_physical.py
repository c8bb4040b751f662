"""Benchmark: the two costliest pieces of compute_physical on a 5 kb homolog (issue 25: a whole diploid cell).

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_cell_physical.py               # 50,000 beads (chromosome 1 at 5 kb)
    python tests/benchmarks/bench_cell_physical.py --beads 20000

On one confined random walk (chromapipe.synthetic), side by side in this process, each pair checked equal:

* ``physical._fill`` (the voxel grid of the sampled spheres, axis by axis on ``(beads, offsets)`` arrays) against
  the layout it replaced (every point's three coordinates together, ``(beads, offsets, 3)``: loops of 3), kept
  here as ``fill_by_points``;
* ``neighbourhood.neighbours`` listing the pairs within R (``cKDTree.query_pairs``) against counting each
  bead's ball (``query_ball_point``, its path past ``PAIR_BUDGET``).

Prints CPU seconds and ratios (other processes share the cores).
"""

import argparse
import time

import numpy as np

from chromapipe import neighbourhood, physical
from chromapipe.synthetic import random_walk


def fill_by_points(beads, offsets, weights, origin_shift, bin_size, hi):
    """physical._fill as it was before (commit 4b95e78): the same grid and dropped count."""
    bins = physical.BINS
    side = bins + 1
    grid = np.zeros(side**3, dtype=bool)
    strides = np.array([side * side, side, 1], dtype=np.float64)
    may_drop = bool((np.floor((hi + origin_shift) / bin_size) >= bins).any())
    dropped = 0
    if may_drop:
        off_grid = np.zeros((side,) * 3, dtype=bool)
        off_grid[bins, :, :] = off_grid[:, bins, :] = off_grid[:, :, bins] = True
        off_grid = off_grid.ravel()
    buffer = np.empty((physical._BLOCK, offsets.shape[0], 3))
    for start in range(0, beads.shape[0], physical._BLOCK):
        block = beads[start : start + physical._BLOCK]
        pts = buffer[: block.shape[0]]
        np.add(block[:, None, :], offsets[None, :, :], out=pts)
        pts += origin_shift
        pts /= bin_size
        np.floor(pts, out=pts)
        if may_drop:
            np.minimum(pts, bins, out=pts)
        flat = (pts @ strides).astype(np.intp)
        grid[flat.ravel()] = True
        if may_drop:
            dropped += int(off_grid[flat].sum(axis=0) @ weights)
    grid = grid.reshape((side,) * 3)
    padded = np.zeros((bins + 2,) * 3, dtype=bool)
    padded[1:-1, 1:-1, 1:-1] = grid[:bins, :bins, :bins]
    return padded, dropped


def timed(function):
    started = time.process_time()
    result = function()
    return time.process_time() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--beads", type=int, default=50_000)
    args = parser.parse_args()
    coords = random_walk(args.beads, seed=args.beads).astype(np.float32)
    beads = coords.astype(np.float64)
    distinct, weights = physical._distinct(physical.sphere_offsets(physical.sphere_radius(coords)))
    results = {}
    for grid in ("fitted", "original"):
        if grid == "original":
            shift, bin_size, _, hi = physical._original_grid(beads, distinct)
            points, arguments = beads, (distinct, weights, shift, bin_size, hi)
        else:
            points = beads - beads.min(axis=0)
            lo, hi = physical._sample_bounds(points, distinct)
            bin_size = physical._edge((hi - lo).max()) / physical.BINS
            arguments = (distinct, weights, -lo, bin_size, hi)
        new, (grid_new, dropped_new) = timed(lambda p=points, a=arguments: physical._fill(p, *a))
        old, (grid_old, dropped_old) = timed(lambda p=points, a=arguments: fill_by_points(p, *a))
        assert np.array_equal(grid_new, grid_old) and dropped_new == dropped_old
        results[grid] = (new, old)
    budget = neighbourhood.PAIR_BUDGET
    pairs, counted = timed(lambda: neighbourhood.neighbours(coords, 1.5))
    neighbourhood.PAIR_BUDGET = 0
    try:
        balls, by_ball = timed(lambda: neighbourhood.neighbours(coords, 1.5))
    finally:
        neighbourhood.PAIR_BUDGET = budget
    assert np.array_equal(counted, by_ball)
    print(f"{args.beads:,} beads (confined random walk), {distinct.shape[0]} distinct sphere offsets (CPU seconds)")
    for grid, (new, old) in results.items():
        print(f"_fill, {grid} grid: {new:6.2f} s, by points (before) {old:6.2f} s   ratio {old / new:5.2f}")
    print(f"neighbours: pairs listed {pairs:6.2f} s, balls counted (before) {balls:6.2f} s   ratio {balls / pairs:5.2f}"
          f"   ({counted.mean():.0f} neighbours a bead)")  # fmt: skip


if __name__ == "__main__":
    main()
