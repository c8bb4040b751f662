"""Benchmark: the embedded example through Snakemake, and where its wall time goes (issue 25, point 1).

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_example.py              # once
    python tests/benchmarks/bench_example.py --repeat 3   # the best of three walls
    python tests/benchmarks/bench_example.py --batch chromosome,dataset   # both batch modes, side by side

Runs ``snakemake --profile profiles/local`` on the example (``config/config.yaml``) in
a temporary folder, from a warm install, forcing every job (``-F``), and prints:

* the run's wall time (the whole ``snakemake`` process: parsing, DAG, every job);
* per rule, from the jobs' benchmark TSVs (``{outdir}/benchmarks``): the jobs, their
  wall seconds (``s``) and CPU seconds (``cpu_time``), summed;
* the ratios wall / job seconds and job wall / job CPU.

It does not replay the steps in this process: their arguments are only in the scripts Snakemake
writes for the jobs, as a pickle, and the project reads no pickle (tests/test_reliability.py).
Figures move with the machine's load: they are printed, never asserted.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def run_example(workdir, outdir, batch="chromosome"):
    """Run the example into ``outdir`` from ``workdir`` (config ``batch``); its wall seconds."""
    command = [str(SNAKEMAKE), "--snakefile", str(REPO / "workflow" / "Snakefile"), "--profile",
               str(REPO / "profiles" / "local"), "--config", f"outdir={outdir}", f"batch={batch}", "-F",
               "--quiet", "all"]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"the example failed:\n{result.stderr[-4000:]}")
    return wall


def job_seconds(outdir):
    """``rule -> [(wall s, cpu s), ...]`` of every job, from the benchmark TSVs."""
    jobs = defaultdict(list)
    for tsv in sorted(Path(outdir, "benchmarks").rglob("*.tsv")):
        with open(tsv, newline="") as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        jobs[tsv.parent.name].append((float(row["s"]), float(row["cpu_time"])))
    return jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the example (the best wall is printed)")
    parser.add_argument("--batch", default="chromosome", help="the config's batch modes to run, comma-separated "
                        "(chromosome, dataset): each is run --repeat times, in turn")  # fmt: skip
    args = parser.parse_args()
    import logging

    logging.getLogger("chromapipe").setLevel(logging.WARNING)
    best = {}
    for batch in args.batch.split(","):
        walls = []
        with tempfile.TemporaryDirectory(prefix="bench-example-") as tmp:
            for i in range(args.repeat):
                workdir = Path(tmp, f"run{i}")
                workdir.mkdir()
                outdir = workdir / "results"
                walls.append(run_example(workdir, outdir, batch))
                jobs = job_seconds(outdir)  # of the last run
        best[batch] = wall = min(walls)
        print(f"the example, batch: {batch}, {sum(map(len, jobs.values()))} jobs, {os.cpu_count()} cores: wall "
              + ", ".join(f"{w:.1f}" for w in walls) + " s")  # fmt: skip
        print(f"{'rule':<20}{'jobs':>5}{'job wall s':>12}{'job cpu s':>11}")
        total_wall = total_cpu = 0.0
        for rule in sorted(jobs, key=lambda r: -sum(s for s, _ in jobs[r])):
            own_wall, cpu = sum(s for s, _ in jobs[rule]), sum(c for _, c in jobs[rule])
            total_wall, total_cpu = total_wall + own_wall, total_cpu + cpu
            print(f"{rule:<20}{len(jobs[rule]):>5}{own_wall:>12.2f}{cpu:>11.2f}")
        print(f"{'all jobs':<25}{total_wall:>12.2f}{total_cpu:>11.2f}")
        print(
            f"wall / job seconds: {wall / total_wall:.2f}x; job wall / job cpu: {total_wall / max(total_cpu, 1e-9):.2f}x"
        )
    if len(best) > 1:
        first = next(iter(best))
        print(
            "wall ratios: " + ", ".join(f"{first} / {b} {best[first] / w:.2f}x" for b, w in best.items() if b != first)
        )


if __name__ == "__main__":
    main()
