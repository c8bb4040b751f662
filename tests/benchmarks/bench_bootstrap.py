"""Benchmark: the correlations' block bootstrap (chromapipe.stats.bootstrap_rhos) on one chromosome at 5 kb.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_bootstrap.py                 # 50,000 bins (chr1 at 5 kb), 200 resamples
    python tests/benchmarks/bench_bootstrap.py --bins 20000 --resamples 1000
    python tests/benchmarks/bench_bootstrap.py --bins 1214542 --resamples 4   # the genome scope of a diploid cell
    python tests/benchmarks/bench_bootstrap.py --against /work/main/workflow  # and the summary's correlations

The columns are those the summary correlates on a diploid cell: 11 structure features (float32 values,
so ties, as the compiled table stores them) against ``gc_content`` (float32) and ``gene_density`` (4
values), 22 pairs. Four ways, side by side in one process, each checked to give the very same rhos:

* ``bootstrap_rhos``: each column counted and ranked for two or three resamples at once (packed counts), the
  first columns' weighted ranks summed per gene density value and dotted with the GC content's ranks;
* the reference: the implementation it replaced (``tests/bootstrap_reference.py``: each column ranked once
  per resample, the pairs one matrix product per annotation);
* pair by pair: the int64 sums of rank products of each pair (``stats._bootstrap_rhos_int``, the path
  past 2,000,000 bins);
* materialised: each resample's rows drawn (``block_indices``), ranked and correlated
  (``stats._rowwise_spearman``), on a tenth of the resamples, scaled.

``--against WORKFLOW``: then the summary's whole correlation table (``stats.feature_correlations``) of a
synthetic diploid cell (``--chromosomes`` chromosomes of ``--bins`` bins per homolog, both homologs and the
genome scope), timed in two child processes, one importing this checkout's chromapipe, one ``WORKFLOW``'s (another
checkout's ``workflow`` folder, the main branch's say): the same table, and the ratio.

Prints CPU seconds and ratios (CPU time of the process; other processes share the cores). BLAS runs one
thread, as in a job (Snakemake sets ``OPENBLAS_NUM_THREADS`` to the job's threads; the summary's workers hold
it to one each).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from chromapipe import stats  # noqa: E402

FEATURES = 11
REPO = Path(__file__).resolve().parents[2]


def columns(n, seed=0):
    """Smooth float32 features (ties as a compiled table's), a float32 GC content, a 4-valued gene density."""
    rng = np.random.default_rng(seed)
    walk = lambda scale: np.cumsum(rng.normal(size=n)) * scale  # noqa: E731
    values = {f"f{i}": walk(0.01 * (i + 1)).astype(np.float32).astype(np.float64) for i in range(FEATURES)}
    values["gc_content"] = np.round(rng.uniform(0.35, 0.6, n), 4).astype(np.float32).astype(np.float64)
    values["gene_density"] = rng.integers(0, 4, n).astype(np.float64)
    return values


def timed(function):
    started = time.process_time()
    result = function()
    return time.process_time() - started, result


#: A child process timing feature_correlations on the synthetic cell: argv workflow folder, bins, chromosomes,
#: resamples, output parquet; prints its CPU seconds.
_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import numpy as np, polars as pl
from chromapipe import stats
from bench_bootstrap import cell_tables
frames = cell_tables(int(sys.argv[3]), int(sys.argv[4]))
started = time.process_time()
table = stats.feature_correlations(frames, "cell", resamples=int(sys.argv[5]))
print(time.process_time() - started)
table.write_parquet(sys.argv[6])
"""


def cell_tables(bins, chromosomes, seed=0):
    """A diploid cell's compiled-like tables: per chromosome both homologs of ``bins`` rows, the features float32."""
    import polars as pl

    frames = []
    for c in range(chromosomes):
        parts = []
        for h, hap in enumerate(("pat", "mat")):
            values = columns(bins, seed=seed + 2 * c + h)
            features = {name: values.pop(f"f{i}").astype(np.float32) for i, name in
                        enumerate(stats.tables.STRUCTURE_FEATURES[:FEATURES])}  # fmt: skip
            parts.append(pl.DataFrame({"chr": str(c + 1), "haplotype": hap, "start": np.arange(bins) * 5000 + 1,
                                       **features, "gc_content": values["gc_content"].astype(np.float32),
                                       "gene_density": values["gene_density"].astype(np.int32)}))  # fmt: skip
        frames.append(pl.concat(parts))
    return frames


def against(workflow, bins, chromosomes, resamples):
    """CPU seconds of feature_correlations with this checkout's chromapipe and with ``workflow``'s, and whether the
    two tables are equal."""
    import tempfile

    import polars as pl

    seconds, tables = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, folder in (("this checkout", REPO / "workflow"), ("against", Path(workflow))):
            out = Path(tmp) / f"{len(seconds)}.parquet"
            result = subprocess.run([sys.executable, "-c", _CHILD, str(folder), str(Path(__file__).parent), str(bins),
                                     str(chromosomes), str(resamples), str(out)], capture_output=True, text=True,
                                    check=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})  # fmt: skip
            seconds[name] = float(result.stdout.split()[-1])
            tables[name] = pl.read_parquet(out)
    return seconds, tables["this checkout"].equals(tables["against"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bins", type=int, default=50_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--against", help="another checkout's workflow folder: time the summary's correlations too")
    parser.add_argument("--chromosomes", type=int, default=4, help="--against: chromosomes of the synthetic cell")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    import bootstrap_reference

    data = columns(args.bins)
    pairs = [(f"f{i}", a) for i in range(FEATURES) for a in ("gc_content", "gene_density")]
    fast, rhos = timed(lambda: stats.bootstrap_rhos(data, pairs, resamples=args.resamples))
    ref, reference = timed(lambda: bootstrap_reference.bootstrap_rhos(data, pairs, resamples=args.resamples))
    for a, b in zip(rhos, reference, strict=True):
        np.testing.assert_array_equal(a, b)
    print(f"{args.bins:,} bins, {len(pairs)} pairs, {args.resamples} resamples (CPU seconds)")
    print(f"bootstrap_rhos:      {fast:7.2f} s")
    print(f"reference (before):  {ref:7.2f} s   ratio {ref / fast:5.2f}")
    if args.bins * args.resamples <= 20_000_000:
        slow, by_pair = timed(lambda: stats._bootstrap_rhos_int(data, pairs, stats.BLOCK, args.resamples, stats.SEED,
                                                                None))  # fmt: skip
        for a, b in zip(rhos, by_pair, strict=True):
            np.testing.assert_array_equal(a, b)
        print(f"pair by pair, int64: {slow:7.2f} s   ratio {slow / fast:5.2f}")
    if args.bins * args.resamples <= 20_000_000 and stats._split_bits(args.bins) == 0:
        # (past ~208,000 bins a float64 sum of rank products is rounded: the materialised rhos are not the exact ones)
        some = max(1, args.resamples // 10)
        rows = stats.block_indices(args.bins, resamples=args.resamples)[:some]
        naive, drawn = timed(lambda: [stats._rowwise_spearman(data[x][rows], data[y][rows]) for x, y in pairs])
        for full, part in zip(rhos, drawn, strict=True):
            np.testing.assert_array_equal(full[:some], part)
        naive *= args.resamples / some
        print(f"materialised:        {naive:7.2f} s   ratio {naive / fast:5.2f} (from {some} resamples, scaled)")
    if args.against:
        seconds, same = against(args.against, args.bins, args.chromosomes, args.resamples)
        mine, theirs = seconds["this checkout"], seconds["against"]
        print(f"feature_correlations, {args.chromosomes} chromosomes x 2 homologs x {args.bins:,} bins and the genome, "
              f"{args.resamples} resamples: {mine:.2f} s, {args.against}: {theirs:.2f} s   ratio {theirs / mine:5.2f}"
              f"   same table: {same}")  # fmt: skip
        print(json.dumps(seconds))


if __name__ == "__main__":
    main()
