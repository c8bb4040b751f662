"""Benchmark: the CPU of the figures and summary steps on the example's results (issue 25, point 1).

Run from the repository root (not collected by pytest), after the example (``make run`` or
``snakemake --profile profiles/local``), optionally against another checkout's ``workflow`` folder::

    python tests/benchmarks/bench_figures.py --results results
    python tests/benchmarks/bench_figures.py --results results --against /path/to/other/checkout/workflow
    python tests/benchmarks/bench_figures.py --beads 50000,100000 --against /path/to/other/checkout/workflow

Each step runs in a fresh process, as a ``batch: dataset`` job does: ``figures`` for every chromosome of the
results folder, then ``summary`` over them. Printed per revision (the best of ``--repeat`` processes, the
revisions alternating so that both meet the same load): the CPU seconds of the import, of the first chromosome's
figures (fonts and caches warming up), per further chromosome, and of the summary step; then the ratios
against the other revision. CPU seconds move with the machine's load: printed, never asserted.

``--beads N,M``: instead, the figures of large synthetic chromosomes (whole-cell scale: a random walk of N beads
per homolog, diploid with ``--homologs 2``, a bin in 50 without a bead, a surface of N / 2 points), drawn in one
process per revision and size, the chromosome's three figures timed (CPU seconds) after a small one warms it up.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: What one process runs: the figures of every chromosome, then the summary, timed with process_time.
CHILD = r"""
import json, sys, time
t0 = time.process_time()
from chromapipe import report, steps  # noqa: F401 (the import is timed)
# the figures' one-time import of matplotlib, as the job pays it (through report's own, where it has one)
getattr(report, "_import_matplotlib", lambda: __import__("matplotlib.figure"))()
results, out, chromosomes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
timings = {"import": time.process_time() - t0, "figures": []}
for chrom in chromosomes:
    t = time.process_time()
    steps.figures(f"{results}/chr{chrom}_compiled.parquet", f"{results}/chr{chrom}_surface.parquet",
                  f"{out}/t{chrom}.png", f"{out}/s{chrom}.png", f"{out}/c{chrom}.png", chrom, "compartment")
    timings["figures"].append(time.process_time() - t)
t = time.process_time()
steps.summary([f"{results}/chr{c}_compiled.parquet" for c in chromosomes],
              [f"{results}/chr{c}_surface.parquet" for c in chromosomes], f"{out}/s.tsv", f"{out}/s.parquet",
              f"{out}/s.png", chromosomes, f"{out}/c.tsv", f"{out}/c.parquet", f"{out}/h.png", None,
              [f"{results}/physical/chr{c}_physical.parquet" for c in chromosomes],
              [f"{results}/contacts/chr{c}_contacts.parquet" for c in chromosomes], f"{out}/m.parquet",
              f"{out}/m.png", f"{out}/cd.png")
timings["summary"] = time.process_time() - t
print(json.dumps(timings))
"""


#: What one process runs for ``--beads``: a small chromosome to warm up, then one of each size, timed.
LARGE = r"""
import json, sys, time
import numpy as np
import polars as pl
from chromapipe import report
from chromapipe.synthetic import random_walk

report._import_matplotlib()


def compiled(n, homologs, seed):
    parts = []
    for k, hap in enumerate(["pat", "mat"][:homologs] if homologs > 1 else [None]):
        rng = np.random.default_rng(seed + k)
        xyz = random_walk(n, seed=seed + k, step=0.05, confinement=0.0005)
        start = np.arange(n, dtype=np.int64) * 5000
        bead = np.arange(1, n + 1, dtype=np.int64)
        empty = rng.random(n) < 0.02
        e1 = np.sin(np.arange(n) / 300.0) + rng.normal(0, 0.2, n)
        frame = pl.DataFrame({
            "chr": ["1"] * n, "start": start, "end": start + 5000, "bead": bead,
            "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2],
            "dist_surface": rng.random(n), "dist_com": np.linalg.norm(xyz - xyz.mean(0), axis=1),
            "dist_rolling_mean": rng.random(n) * 0.1, "rg_local": rng.random(n) * 0.2,
            "neighbours": rng.integers(0, 30, n).astype(float), "gc_content": 0.4 + 0.1 * rng.random(n),
            "gene_density": rng.integers(0, 5, n).astype(float), "compartment_e1": e1,
            "compartment": np.where(e1 > 0, "A", "B"),
        }).with_columns(pl.when(pl.lit(empty)).then(None).otherwise(pl.col(c)).alias(c)
                        for c in ("bead", "x", "y", "z", "dist_surface", "dist_com", "dist_rolling_mean",
                                  "rg_local", "neighbours"))
        if hap:
            frame = frame.insert_column(1, pl.Series("haplotype", [hap] * n))
        parts.append(frame)
    return pl.concat(parts)


def surface(n, seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 3))
    return pl.DataFrame(points / np.linalg.norm(points, axis=1, keepdims=True) * 3, schema=["x", "y", "z"])


def draw(n, homologs, out):
    table, points = compiled(n, homologs, 3), surface(max(n // 2, 10), 4)
    t = time.process_time()
    report.plot_tracks(table, f"{out}/t{n}.png", "1")
    report.plot_structure(table, points, f"{out}/s{n}.png", "1", "compartment")
    report.plot_correlation(table, f"{out}/c{n}.png", "1")
    return time.process_time() - t


out, homologs = sys.argv[1], int(sys.argv[2])
draw(200, homologs, out)
print(json.dumps({n: draw(int(n), homologs, out) for n in sys.argv[3].split(",")}))
"""


def chromosomes(results):
    """The chromosomes of a results folder, from its compiled tables."""
    return sorted(p.name[3 : -len("_compiled.parquet")] for p in Path(results).glob("chr*_compiled.parquet"))


def run(workflow, results, names):
    """One process of the steps with ``workflow`` first on the path: its timings."""
    env = {**os.environ, "PYTHONPATH": str(workflow)}
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as out:
        result = subprocess.run([sys.executable, "-c", CHILD, str(results), out, ",".join(names)], env=env,
                                capture_output=True, text=True)  # fmt: skip
    if result.returncode:
        sys.exit(f"the steps failed ({workflow}):\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def run_large(workflow, sizes, homologs, keep=None):
    """One process drawing the large synthetic chromosomes with ``workflow`` first on the path: CPU per size."""
    env = {**os.environ, "PYTHONPATH": str(workflow)}
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as out:
        result = subprocess.run([sys.executable, "-c", LARGE, keep or out, str(homologs), sizes], env=env,
                                capture_output=True, text=True)  # fmt: skip
    if result.returncode:
        sys.exit(f"the figures failed ({workflow}):\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def main_large(args, revisions):
    """``--beads``: the CPU of one large chromosome's three figures per revision, best of ``--repeat``."""
    runs = {name: [] for name in revisions}
    for _ in range(args.repeat):
        for name, workflow in revisions.items():
            runs[name].append(run_large(workflow, args.beads, args.homologs, args.keep))
    sizes = args.beads.split(",")
    print(f"the three figures of one synthetic chromosome ({args.homologs} homolog(s)), CPU seconds, best of "
          f"{args.repeat} processes:")  # fmt: skip
    print(f"{'revision':<10}" + "".join(f"{n + ' beads':>16}" for n in sizes))
    best = {name: {n: min(t[n] for t in timings) for n in sizes} for name, timings in runs.items()}
    for name, row in best.items():
        print(f"{name:<10}" + "".join(f"{row[n]:>16.2f}" for n in sizes))
    if "against" in best:
        print("against / this: " + ", ".join(f"{n} beads {best['against'][n] / best['this'][n]:.1f}x" for n in sizes))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="results", help="the example's results folder")
    parser.add_argument("--against", help="another checkout's workflow folder, run alternately with this one")
    parser.add_argument("--repeat", type=int, default=3, help="processes per revision (the best is printed)")
    parser.add_argument("--beads", help="comma-separated sizes: time large synthetic chromosomes instead")
    parser.add_argument("--homologs", type=int, default=1, help="with --beads: 1 (haploid) or 2 (diploid)")
    parser.add_argument("--keep", help="with --beads: a folder to keep the PNGs in (to look at)")
    args = parser.parse_args()
    if args.beads:
        return main_large(args, {"this": REPO / "workflow"} | ({"against": Path(args.against)} if args.against else {}))
    names = chromosomes(args.results)
    if len(names) < 2:
        sys.exit(f"{args.results}: need the compiled tables of two chromosomes or more (run the example first)")
    revisions = {"this": REPO / "workflow"} | ({"against": Path(args.against)} if args.against else {})
    runs = {name: [] for name in revisions}
    for _ in range(args.repeat):
        for name, workflow in revisions.items():
            runs[name].append(run(workflow, args.results, names))
    best = {}
    print(f"figures of {len(names)} chromosomes ({', '.join(names)}) and the summary, CPU seconds, best of "
          f"{args.repeat} processes:")  # fmt: skip
    print(f"{'revision':<10}{'import':>8}{'first':>8}{'per further chromosome':>24}{'summary':>9}")
    for name, timings in runs.items():
        further = min(sum(t["figures"][1:]) / (len(names) - 1) for t in timings)
        best[name] = {"import": min(t["import"] for t in timings), "first": min(t["figures"][0] for t in timings),
                      "further": further, "summary": min(t["summary"] for t in timings)}  # fmt: skip
        row = best[name]
        print(f"{name:<10}{row['import']:>8.2f}{row['first']:>8.2f}{row['further']:>24.2f}{row['summary']:>9.2f}")
    if "against" in best:
        print("against / this: " + ", ".join(f"{key} {best['against'][key] / best['this'][key]:.2f}x"
                                             for key in ("first", "further", "summary")))  # fmt: skip


if __name__ == "__main__":
    main()
