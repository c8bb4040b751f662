"""Benchmark: the CPU of the figures and summary steps on the example's results (issue 25, point 1).

Run from the repository root (not collected by pytest), after the example (``make run`` or
``snakemake --profile profiles/local``), optionally against another checkout's ``workflow`` folder::

    python tests/benchmarks/bench_figures.py --results results
    python tests/benchmarks/bench_figures.py --results results --against /path/to/other/checkout/workflow

Each step runs in a fresh process, as a ``batch: dataset`` job does: ``figures`` for every chromosome of the
results folder, then ``summary`` over them. Printed per revision (the best of ``--repeat`` processes, the
revisions alternating so that both meet the same load): the CPU seconds of the import, of the first chromosome's
figures (fonts and caches warming up), per further chromosome, and of the summary step; then the ratios
against the other revision. CPU seconds move with the machine's load: printed, never asserted.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="results", help="the example's results folder")
    parser.add_argument("--against", help="another checkout's workflow folder, run alternately with this one")
    parser.add_argument("--repeat", type=int, default=3, help="processes per revision (the best is printed)")
    args = parser.parse_args()
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
