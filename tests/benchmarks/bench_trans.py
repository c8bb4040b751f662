"""Benchmark: neighbours_trans (and the landmarks) against neighbours on 100,000 beads, and the loops.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_trans.py            # 100,000 beads; loops on 2,000 beads
    python tests/benchmarks/bench_trans.py --quick    # loops on 500 beads

A nucleus of 20 chains of 5,000 beads (confined random walks from nearby origins, so the chains
interleave: about as many trans neighbours as cis ones). Target (issue 23): ``neighbours_trans`` over the whole model costs at most 2x
``neighbours`` on 100,000 beads, measured on one chain of 100,000 beads and on the 20 chains one
by one (as compute_physical runs it). Everything runs side by side in this one process.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromapipe.landmarks import hull_distance, radial_position  # noqa: E402
from chromapipe.neighbourhood import neighbours  # noqa: E402
from chromapipe.synthetic import random_walk  # noqa: E402
from chromapipe.trans import dist_homolog, neighbours_trans  # noqa: E402
from loop_landmarks import loop_hull_distance, loop_radial_position  # noqa: E402
from loop_trans import loop_dist_homolog, loop_neighbours_trans  # noqa: E402


def best_of(func, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def nucleus(chains=20, beads=5000, seed=0):
    rng = np.random.default_rng(seed)
    # territories of ~3.6 units per axis whose centres spread over ~4: about as many trans as cis neighbours
    walks = [random_walk(beads, seed=seed + k, confinement=0.002) + rng.normal(scale=4.0, size=3)
             for k in range(chains)]  # fmt: skip
    labels = np.repeat([f"chr{k + 1}" for k in range(chains)], beads)
    return np.vstack(walks).astype(np.float32), labels


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="loop references on 500 beads instead of 2,000")
    args = parser.parse_args()

    coords, chains = nucleus()
    n = coords.shape[0]
    one_t, _ = best_of(lambda: neighbours(coords), 3)
    bounds = np.flatnonzero(np.r_[True, chains[1:] != chains[:-1], True])
    each_t, cis = best_of(lambda: np.concatenate([neighbours(coords[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]),
                          3)  # fmt: skip
    trans_t, counts = best_of(lambda: neighbours_trans(coords, chains, 1.5), 3)
    print(f"{n:,} beads (20 chains of 5,000), best of 3; mean neighbours {cis.mean():.2f}, "
          f"mean neighbours_trans {counts.mean():.2f}")  # fmt: skip
    print(f"{'neighbours, one chain of 100,000':<40} {one_t:>8.4f} s  1.00")
    print(f"{'neighbours, 20 chains one by one':<40} {each_t:>8.4f} s  {each_t / one_t:.2f}")
    print(f"{'neighbours_trans, the whole model':<40} {trans_t:>8.4f} s  {trans_t / one_t:.2f}  "
          f"(vs the 20 chains: {trans_t / each_t:.2f}; target <= 2)")  # fmt: skip
    hull_t, _ = best_of(lambda: hull_distance(coords), 3)
    radial_t, _ = best_of(lambda: radial_position(coords), 3)
    print(f"{'dist_periphery (hull of the model)':<40} {hull_t:>8.4f} s  {hull_t / one_t:.2f}")
    print(f"{'radial_position':<40} {radial_t:>8.4f} s  {radial_t / one_t:.2f}")

    m = 500 if args.quick else 2000
    small, labels = nucleus(4, m // 4, seed=1)
    hap = np.where(np.isin(labels, ["chr1", "chr3"]), "pat", "mat")
    chrom = np.where(np.isin(labels, ["chr1", "chr2"]), "1", "2")
    start = np.tile(np.arange(m // 4) * 100 + 1, 4)
    print(f"\nagainst the loop references, {m:,} beads")
    print(f"{'feature':<17} {'vectorised':>11} {'loop':>10} {'ratio':>8}  same?")
    for name, fast, slow in (
        ("neighbours_trans", lambda: neighbours_trans(small, labels, 1.5), lambda: loop_neighbours_trans(small, labels, 1.5)),
        ("dist_homolog", lambda: dist_homolog(small, chrom, hap, start),
         lambda: loop_dist_homolog(small, chrom, hap, start)),
        ("dist_periphery", lambda: hull_distance(small)[0], lambda: loop_hull_distance(small)),
        ("radial_position", lambda: radial_position(small), lambda: loop_radial_position(small)),
    ):  # fmt: skip
        fast_t, fast_r = best_of(fast, 5)
        slow_t, slow_r = best_of(slow, 1)
        same = np.allclose(fast_r, slow_r, rtol=1e-9, atol=1e-12, equal_nan=True)
        print(f"{name:<17} {fast_t:>10.5f}s {slow_t:>9.3f}s {slow_t / fast_t:>7.0f}x  {'yes' if same else 'NO'}")
    print(f"\ncpus: {os.cpu_count()}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
