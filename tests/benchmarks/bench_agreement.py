"""Benchmark: model RMSD (chromapipe.superpose) and contact agreement (chromapipe.agreement) against their loops.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_agreement.py            # 20 models x 1,000 beads; 2,000-bead contact map
    python tests/benchmarks/bench_agreement.py --quick    # 8 models x 300 beads; 500 beads

Both sides run in this one process on the same inputs; the results are checked equal and the ratio of the
loop's time to the vectorised one's printed.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromapipe import agreement, superpose  # noqa: E402
from chromapipe.synthetic import random_walk  # noqa: E402
from loop_agreement import loop_agreement, loop_pairwise_rmsd  # noqa: E402


def timed(func, *args):
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    models, beads, chain = (8, 300, 500) if args.quick else (20, 1000, 2000)

    rng = np.random.default_rng(0)
    ensemble = np.stack([random_walk(beads, seed=s) for s in range(models)]) + rng.normal(size=(models, beads, 3))
    fast_t, (rmsd, scaled) = timed(superpose.pairwise_rmsd, ensemble)
    loop_t, (loop_rmsd, loop_scaled) = timed(loop_pairwise_rmsd, ensemble)
    same = np.allclose(rmsd, loop_rmsd, atol=1e-8) and np.allclose(scaled, loop_scaled, atol=1e-8)
    print(f"model RMSD, {models} models x {beads:,} beads ({models * (models - 1)} ordered pairs)")
    print(f"  vectorised {fast_t:9.4f} s   loop {loop_t:9.4f} s   ratio {loop_t / fast_t:8.1f}   same: {same}")

    coords = random_walk(chain, seed=1)
    starts = np.arange(chain, dtype=np.int64) * 1000 + 1
    i, j = np.triu_indices(chain)
    keep = rng.random(i.size) < 0.2
    i, j = i[keep], j[keep]
    count = rng.poisson(50 / (1 + np.abs(i - j))).astype(np.float64)
    bins = pl.DataFrame({"start": starts, "end": starts + 999})
    table = pl.DataFrame({"haplotype": pl.Series([None] * chain, dtype=pl.String), "model": 1, "start": starts,
                          "x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2]})  # fmt: skip

    def vectorised():
        return agreement.agreement(table, *agreement.contact_pairs(starts[i], starts[j], count, bins)).row(0)

    fast_t, (_, _, pairs, rho, r) = timed(vectorised)
    loop_t, (loop_pairs, loop_rho, loop_r) = timed(loop_agreement, starts, coords, starts[i], starts[j], count)
    same = pairs == loop_pairs and np.isclose(rho, loop_rho, atol=1e-10) and np.isclose(r, loop_r, atol=1e-10)
    print(f"contact agreement, {chain:,} beads, {i.size:,} contact rows ({pairs:,} pairs)")
    print(f"  vectorised {fast_t:9.4f} s   loop {loop_t:9.4f} s   ratio {loop_t / fast_t:8.1f}   same: {same}")
    print(f"  rho {rho:.4f}, pearson {r:.4f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
