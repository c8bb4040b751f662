"""Benchmark: the embedded example through Snakemake, and where its wall time goes (issue 25, point 1).

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_example.py              # once
    python tests/benchmarks/bench_example.py --repeat 3   # the best of three walls

Runs ``snakemake --profile profiles/local`` on the example (``config/config.yaml``) in
a temporary folder, from a warm install, forcing every job (``-F``), and prints:

* the run's wall time (the whole ``snakemake`` process: parsing, DAG, every job);
* per rule, from the jobs' benchmark TSVs (``{outdir}/benchmarks``): the jobs, their
  wall seconds (``s``) and CPU seconds (``cpu_time``), summed;
* the science: every job's step function (``chromapipe.steps.STEPS[rule]``) called
  again with the job's own arguments, in this one process, once to warm it (imports,
  numba's cache) and then timed: the step's own work, reading and writing included,
  without the job's start (interpreter, imports, Snakemake's script preamble);
* the ratios wall / science and job seconds / science.

The jobs' arguments are read from the scripts Snakemake writes for them
(``--skip-script-cleanup``; each holds its job's pickled ``snakemake`` object).
Figures move with the machine's load: they are printed, never asserted.
"""

import argparse
import ast
import csv
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
#: The pickled ``snakemake`` object in the preamble Snakemake puts before a job's script.
PICKLED = re.compile(r"pickle\.loads\((b(['\"]).*?\2)\);from snakemake\.logging", re.DOTALL)


def run_example(workdir, outdir):
    """Run the example into ``outdir`` from ``workdir``; its wall seconds."""
    command = [str(SNAKEMAKE), "--snakefile", str(REPO / "workflow" / "Snakefile"), "--profile",
               str(REPO / "profiles" / "local"), "--config", f"outdir={outdir}", "-F", "--skip-script-cleanup",
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


def job_arguments(workdir):
    """``(rule, step keyword arguments)`` of every job, from the scripts Snakemake wrote for them."""
    from chromapipe.steps import step_arguments

    jobs = []
    for script in sorted(Path(workdir, ".snakemake", "scripts").glob("*.py")):
        smk = pickle.loads(ast.literal_eval(PICKLED.search(script.read_text()).group(1)))
        kwargs = step_arguments(dict(smk.input.items()), dict(smk.output.items()), dict(smk.params.items()),
                                dict(smk.wildcards.items()))  # fmt: skip
        jobs.append((smk.rule.split("__")[0], kwargs))
    return jobs


def science_seconds(jobs, workdir):
    """``rule -> [seconds, ...]``: each job's step called in this process (from ``workdir``, as the job ran),
    warmed once, then timed."""
    from chromapipe.steps import STEPS

    os.chdir(workdir)
    for rule, kwargs in jobs:  # warm: imports, numba's cache, matplotlib's fonts
        STEPS[rule](**kwargs)
    timed = defaultdict(list)
    for rule, kwargs in jobs:
        started = time.perf_counter()
        STEPS[rule](**kwargs)
        timed[rule].append(time.perf_counter() - started)
    return timed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the example (the best wall is printed)")
    args = parser.parse_args()
    import logging

    logging.getLogger("chromapipe").setLevel(logging.WARNING)
    walls = []
    with tempfile.TemporaryDirectory(prefix="bench-example-") as tmp:
        for i in range(args.repeat):
            workdir = Path(tmp, f"run{i}")
            workdir.mkdir()
            outdir = workdir / "results"
            walls.append(run_example(workdir, outdir))
            jobs = job_seconds(outdir)  # of the last run
        science = science_seconds(job_arguments(workdir), workdir)
        os.chdir(REPO)
    wall = min(walls)
    print(f"the example, {sum(map(len, jobs.values()))} jobs, {os.cpu_count()} cores: wall "
          + ", ".join(f"{w:.1f}" for w in walls) + " s")  # fmt: skip
    print(f"{'rule':<20}{'jobs':>5}{'job wall s':>12}{'job cpu s':>11}{'science s':>11}{'job / science':>15}")
    totals = [0.0, 0.0, 0.0]
    for rule in sorted(jobs, key=lambda r: -sum(s for s, _ in jobs[r])):
        own_wall, cpu, work = sum(s for s, _ in jobs[rule]), sum(c for _, c in jobs[rule]), sum(science[rule])
        totals = [totals[0] + own_wall, totals[1] + cpu, totals[2] + work]
        print(f"{rule:<20}{len(jobs[rule]):>5}{own_wall:>12.2f}{cpu:>11.2f}{work:>11.3f}{own_wall / work:>14.1f}x")
    print(f"{'all jobs':<25}{totals[0]:>12.2f}{totals[1]:>11.2f}{totals[2]:>11.3f}{totals[0] / totals[2]:>14.1f}x")
    print(f"wall / science: {wall / totals[2]:.1f}x (best wall {wall:.1f} s, science {totals[2]:.2f} s)")


if __name__ == "__main__":
    main()
