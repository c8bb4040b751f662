"""Benchmark: the correlations' block bootstrap (chromapipe.stats.bootstrap_rhos) on one chromosome at 5 kb.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_bootstrap.py                 # 50,000 bins (chr1 at 5 kb), 200 resamples
    python tests/benchmarks/bench_bootstrap.py --bins 20000 --resamples 1000

The columns are those the summary correlates on a diploid cell: 11 structure features (float32 values,
so ties, as the compiled table stores them) against ``gc_content`` (float32) and ``gene_density`` (4
values), 22 pairs. Three ways, side by side in one process, each checked to give the very same rhos:

* ``bootstrap_rhos``: each column ranked once per resample, the pairs one matrix product per annotation;
* pair by pair: the int64 sums of rank products of each pair (``stats._bootstrap_rhos_int``, the path
  past 2,000,000 bins);
* materialised: each resample's rows drawn (``block_indices``), ranked and correlated
  (``stats._rowwise_spearman``), on a tenth of the resamples, scaled.

Prints the seconds and the ratios (CPU time of this process; other processes share the cores).
"""

import argparse
import time

import numpy as np

from chromapipe import stats

FEATURES = 11


def columns(n, seed=0):
    """Smooth float32 features (ties as a compiled table's), a float32 GC content, a 4-valued gene density."""
    rng = np.random.default_rng(seed)
    walk = lambda scale: np.cumsum(rng.normal(size=n)) * scale  # noqa: E731
    values = {f"f{i}": walk(0.01 * (i + 1)).astype(np.float32).astype(np.float64) for i in range(FEATURES)}
    values["gc_content"] = rng.uniform(0.35, 0.6, n).astype(np.float32).astype(np.float64)
    values["gene_density"] = rng.integers(0, 4, n).astype(np.float64)
    return values


def timed(function):
    started = time.process_time()
    result = function()
    return time.process_time() - started, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bins", type=int, default=50_000)
    parser.add_argument("--resamples", type=int, default=200)
    args = parser.parse_args()
    data = columns(args.bins)
    pairs = [(f"f{i}", a) for i in range(FEATURES) for a in ("gc_content", "gene_density")]
    fast, rhos = timed(lambda: stats.bootstrap_rhos(data, pairs, resamples=args.resamples))
    slow, by_pair = timed(lambda: stats._bootstrap_rhos_int(data, pairs, stats.BLOCK, args.resamples, stats.SEED, None))
    for a, b in zip(rhos, by_pair, strict=True):
        np.testing.assert_array_equal(a, b)
    some = max(1, args.resamples // 10)
    rows = stats.block_indices(args.bins, resamples=args.resamples)[:some]
    naive, drawn = timed(lambda: [stats._rowwise_spearman(data[x][rows], data[y][rows]) for x, y in pairs])
    for full, part in zip(rhos, drawn, strict=True):
        np.testing.assert_array_equal(full[:some], part)
    naive *= args.resamples / some
    print(f"{args.bins:,} bins, {len(pairs)} pairs, {args.resamples} resamples (CPU seconds)")
    print(f"bootstrap_rhos:      {fast:7.2f} s")
    print(f"pair by pair, int64: {slow:7.2f} s   ratio {slow / fast:5.2f}")
    print(f"materialised:        {naive:7.2f} s   ratio {naive / fast:5.2f} (from {some} resamples, scaled)")


if __name__ == "__main__":
    main()
