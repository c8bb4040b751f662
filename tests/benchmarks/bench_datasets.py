"""Benchmark (issue 25, point 2): many datasets in one run, as a GSDB user runs them.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_datasets.py                      # 24 datasets x 23 chromosomes
    python tests/benchmarks/bench_datasets.py --plan-only          # the DAG only (snakemake -n)
    python tests/benchmarks/bench_datasets.py --datasets 4 --chromosomes 19,20,21,22
    python tests/benchmarks/bench_datasets.py --batch dataset                 # one job per step and dataset
    python tests/benchmarks/bench_datasets.py --batch dataset --no-chromosome-figures  # report.chromosome_figures: false

Generates a datasets sheet of synthetic datasets (local files, offline): every dataset has one
structure per chromosome (a haploid Dip-C ``.3dg``, one bead per 500 kb bin of hg19, the genome's
real bin counts, each a confined random walk of its own seed) paired with its bins by the file's own
positions; the bin map and the per-bin annotation tables (``annotations.source: table``) are shared
(one ``fetch_mapping`` job and one ``fetch_annotations`` per chromosome for all datasets). ``--batch``
is the config's ``batch`` (``chromosome``: one job per chromosome and step; ``dataset``: one per step
and dataset). ``--no-chromosome-figures`` sets ``report.chromosome_figures: false`` (no per-chromosome
figures; everything else the same).
Then, side by side in one run of this script:

1. planning: the wall time of ``snakemake -n`` on the sheet (goal <= 15 s);
2. the run: the wall time of ``snakemake --profile profiles/local`` (goal <= 3 minutes for 24 x 23),
   its job count and each rule's job-seconds from the benchmark TSVs;
3. the science's own time: the same steps called in this process, warm, on one dataset's
   chromosomes (``chromapipe.steps``: staging, features, compile, figures), times the number of
   datasets; and the ratio of the run's wall time to it, which is what per-job overhead costs.
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_scale import HG19

REPO = Path(__file__).resolve().parents[2]
BIN = 500_000


def write_inputs(folder, datasets, chromosomes, seed=25):
    """The shared bin map and annotation tables, and ``datasets`` x ``chromosomes`` structures; the sheet."""
    import numpy as np
    import polars as pl

    from chromapipe import chroms
    from chromapipe.synthetic import random_walk

    rng = np.random.default_rng(seed)
    (folder / "annotations").mkdir(parents=True, exist_ok=True)
    mapping, index, starts_of = [], 1, {}
    for name in chromosomes:
        length = HG19[name]
        starts = np.arange(1, length + 1, BIN, dtype=np.int64)
        ends = np.minimum(starts + BIN - 1, length)
        mapping.extend(f"{index + i}\t{chroms.number(name)}\t{s}\t{e}\n" for i, (s, e) in enumerate(zip(starts, ends)))
        index += len(starts)
        starts_of[name] = starts
        pl.DataFrame({"start": starts, "end": ends, "gc_content": rng.uniform(0.35, 0.6, len(starts)),
                      "n_fraction": np.zeros(len(starts)), "gene_density": rng.integers(0, 4, len(starts))}
                     ).write_parquet(folder / "annotations" / f"chr{name}_annotations.parquet")  # fmt: skip
    (folder / "bins.txt").write_text("".join(mapping))
    rows = ["dataset\tstructures\tformat\tbead_map\n"]
    for d in range(datasets):
        name = f"ds{d:02d}"
        (folder / name).mkdir(exist_ok=True)
        for k, chrom in enumerate(chromosomes):
            starts = starts_of[chrom]
            coords = random_walk(len(starts), seed=seed * 10_000 + d * 100 + k).tolist()
            text = "".join(f"{chrom}\t{s - 1}\t{x!r}\t{y!r}\t{z!r}\n" for s, (x, y, z) in zip(starts.tolist(), coords))
            (folder / name / f"chr{chrom}.3dg").write_text(text)
        rows.append(f"{name}\t{folder / name}/chr{{chr}}.3dg\tdipc-3dg\tpositions\n")
    (folder / "datasets.tsv").write_text("".join(rows))
    return sum(len(s) for s in starts_of.values())


def write_config(folder, chromosomes, batch="chromosome", chromosome_figures=True):
    import yaml

    config = {
        "batch": batch,
        "chromosomes": list(chromosomes),
        "datasets": str(folder / "datasets.tsv"),
        "mapping": str(folder / "bins.txt"),
        "annotations": {"source": "table", "table": str(folder / "annotations" / "chr{chr}_annotations.parquet")},
        "assembly": "GRCh37",
        "compartments": False,
        "report": {"colour_by": "dist_surface", "chromosome_figures": chromosome_figures},
        "outdir": str(folder / "results"),
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def snakemake(config, cores, *extra):
    """Wall seconds and the completed process of one snakemake invocation on ``config``."""
    command = [str(Path(sys.executable).with_name("snakemake")), "--profile", "profiles/local", "--configfile",
               str(config), "--cores", str(cores), "--quiet", *extra]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode:
        sys.exit(result.stdout[-3000:] + result.stderr[-5000:])
    return wall, result


def job_seconds(outdir):
    """``rule -> [seconds, ...]`` from every benchmark TSV of the run (per dataset and run-wide)."""
    jobs = {}
    for tsv in sorted(Path(outdir).rglob("benchmarks/**/*.tsv")):
        with open(tsv) as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        jobs.setdefault(tsv.parent.name, []).append(float(row["s"]))
    return jobs


def science_seconds(folder, chromosomes, figures=True):
    """The steps of one dataset's chromosomes called in this process, warm (each step once before timing)."""
    import tempfile

    from chromapipe import steps

    settings = {"surface_mode": "all", "grid": "auto", "rg_window": 5, "neighbour_radius": 1.5}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bins = tmp / "bins.parquet"
        steps.fetch_mapping(folder / "bins.txt", bins)

        def one(chrom, out):
            out.mkdir(exist_ok=True)
            p = {k: out / f"{k}.parquet" for k in ("structure", "physical", "surface", "ann", "compiled", "pub")}
            steps.fetch_pdb(p["structure"], chrom, source=folder / "ds00" / f"chr{chrom}.3dg", format="dipc-3dg")
            steps.compute_physical(p["structure"], p["physical"], p["surface"], chrom, **settings)
            steps.fetch_annotations(bins, p["ann"], chrom, "table", "GRCh37",
                                    table=folder / "annotations" / f"chr{chrom}_annotations.parquet")  # fmt: skip
            steps.compile(p["physical"], p["surface"], p["ann"], p["compiled"], p["pub"], chrom, "positions",
                          bins=bins, positions=p["structure"], assembly="GRCh37")  # fmt: skip
            if figures:
                steps.figures(p["compiled"], p["pub"], out / "t.png", out / "s.png", out / "c.png", chrom)

        one(chromosomes[0], tmp / "warm")
        started = time.perf_counter()
        for chrom in chromosomes:
            one(chrom, tmp / f"chr{chrom}")
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=24)
    parser.add_argument("--chromosomes", default=",".join(HG19), help="default 1-22,X")
    parser.add_argument("--folder", type=Path, help="where the inputs are generated (default: a temporary folder)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--batch", choices=("chromosome", "dataset"), default="chromosome",
                        help="the config's batch: one job per chromosome and step, or per step and dataset")  # fmt: skip
    parser.add_argument("--no-chromosome-figures", action="store_true",
                        help="report.chromosome_figures: false (no figures/chr{N}_*.png)")  # fmt: skip
    parser.add_argument("--plan-only", action="store_true", help="generate and plan (snakemake -n), do not run")
    args = parser.parse_args()
    chromosomes = args.chromosomes.split(",")
    folder = args.folder or Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-datasets-{args.datasets}"
    shutil.rmtree(folder, ignore_errors=True)
    bins = write_inputs(folder, args.datasets, chromosomes)
    figures = not args.no_chromosome_figures
    config = write_config(folder, chromosomes, args.batch, figures)
    print(f"{args.datasets} datasets x {len(chromosomes)} chromosomes = {args.datasets * len(chromosomes)} "
          f"structures, {bins:,} bins each ({BIN // 1000} kb, hg19); batch: {args.batch}; chromosome figures: "
          f"{str(figures).lower()}; {args.cores} cores, "
          f"cpus {os.cpu_count()}")  # fmt: skip
    plan, result = snakemake(config, args.cores, "-n")
    print(f"planning (snakemake -n): {plan:6.1f} s   goal <= 15 s")
    if args.plan_only:
        return
    wall, _ = snakemake(config, args.cores)
    jobs = job_seconds(folder / "results")
    count = sum(len(v) for v in jobs.values())
    print(f"run: {wall:6.1f} s wall, {count} jobs   goal <= 180 s for 24 x 23")
    print(f"{'rule':20} {'jobs':>5} {'job-seconds':>12}")
    for rule, seconds in sorted(jobs.items(), key=lambda item: -sum(item[1])):
        print(f"{rule:20} {len(seconds):5d} {sum(seconds):12.1f}")
    science = science_seconds(folder, chromosomes, figures) * args.datasets
    print(f"the steps in one warm process: {science:6.1f} s for every dataset (one dataset's, x {args.datasets})")
    print(f"ratio run wall / steps' own time: {wall / science:5.1f}x  (job-seconds / steps' own: "
          f"{sum(map(sum, jobs.values())) / science:4.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
