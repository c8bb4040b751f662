"""Benchmark: the cost of rg_local and neighbours beside physical_features, and against their loops.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_neighbourhood.py            # 9,999 beads, loops on 2,000 beads
    python tests/benchmarks/bench_neighbourhood.py --quick    # loops on 500 beads

Everything runs side by side in this one process on the same chain. Target
(issue 17): on 9,999 beads the two features together cost less than
``physical_features`` itself, so adding them does not double the physical step.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromapipe.neighbourhood import neighbours, rg_local  # noqa: E402
from chromapipe.physical import physical_features  # noqa: E402
from chromapipe.synthetic import random_walk  # noqa: E402
from loop_neighbourhood import loop_neighbours, loop_rg_local  # noqa: E402


def best_of(func, coords, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(coords)
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="loop references on 500 beads instead of 2,000")
    args = parser.parse_args()

    coords = random_walk(9999, seed=9999).astype(np.float32)
    physical_t, _ = best_of(physical_features, coords, 5)
    rg_t, _ = best_of(lambda c: rg_local(c, 5), coords, 5)
    nb_t, _ = best_of(lambda c: neighbours(c, 1.5), coords, 5)
    both = rg_t + nb_t
    print("9,999 beads (random walk), best of 5")
    print(f"{'physical_features':<22} {physical_t:>9.4f} s  1.00")
    print(f"{'rg_local (w = 5)':<22} {rg_t:>9.4f} s  {rg_t / physical_t:.3f}")
    print(f"{'neighbours (1.5 x)':<22} {nb_t:>9.4f} s  {nb_t / physical_t:.3f}")
    print(
        f"{'both':<22} {both:>9.4f} s  {both / physical_t:.3f}  "
        f"(physical + both = {1 + both / physical_t:.2f} x physical; target < 2)"
    )

    n = 500 if args.quick else 2000
    small = coords[:n]
    print(f"\nagainst the loop references, {n:,} beads")
    print(f"{'feature':<12} {'vectorised':>11} {'loop':>10} {'ratio':>8}  same?")
    for name, fast, slow, setting in (
        ("rg_local", rg_local, loop_rg_local, 5),
        ("neighbours", neighbours, loop_neighbours, 1.5),
    ):
        fast_t, fast_r = best_of(lambda c, f=fast, v=setting: f(c, v), small, 5)
        slow_t, slow_r = best_of(lambda c, f=slow, v=setting: f(c, v), small, 1)
        same = np.allclose(fast_r, slow_r, rtol=1e-9, atol=1e-12)
        print(f"{name:<12} {fast_t:>10.5f}s {slow_t:>9.3f}s {slow_t / fast_t:>7.0f}x  {'yes' if same else 'NO'}")
    print(f"\ncpus: {os.cpu_count()}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
