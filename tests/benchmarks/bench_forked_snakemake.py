"""Benchmark: a test's Snakemake command, as a ``python -m snakemake`` subprocess and forked from the
tests' Snakemake server (tests/forked_snakemake.py), side by side (issue 25, point 4).

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_forked_snakemake.py             # 5 of each, alternating
    python tests/benchmarks/bench_forked_snakemake.py --repeat 9

Each round runs the same commands both ways, alternating (the machine's load moves both alike):
``snakemake --version`` (the start-up alone) and a dry run of the example (``-n``: parse, plan, print).
It prints the medians of each command's wall seconds and CPU seconds (the process and the children
it waited for, from ``wait4``; the server's one start, printed apart, is not in them) and the ratios
subprocess / forked. Figures move with the machine's load: they are printed, never asserted.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

import forked_snakemake  # noqa: E402
from test_workflow import PROFILE, SNAKEFILE, example_config  # noqa: E402


def subprocess_run(args, cwd):
    """``python -m snakemake ARGS``: wall and CPU seconds."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "snakemake", *map(str, args)], cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, args
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def forked_run(args, cwd):
    """The same, forked: wall and CPU seconds."""
    start = time.perf_counter()
    process = forked_snakemake.popen(args, cwd=cwd)
    assert process.wait() == 0, args
    return time.perf_counter() - start, process.cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command each way (default 5)")
    repeat = parser.parse_args().repeat
    root = Path(tempfile.mkdtemp(prefix="bench-forked-"))
    try:
        start = time.perf_counter()
        forked_run(["--version"], root)  # the server's start: its imports, once per test worker
        print(f"server start and first run: {time.perf_counter() - start:.2f} s wall")
        configfile = example_config(root)
        commands = {
            "--version": ["--version"],
            "example -n": [
                "-s",
                SNAKEFILE,
                "--directory",
                root,
                "--profile",
                PROFILE,
                "-n",
                "--configfile",
                configfile,
            ],
        }
        print(f"{'command':<12} {'way':<11} {'wall s':>7} {'cpu s':>7}")
        for name, args in commands.items():
            measured = {"subprocess": [], "forked": []}
            for _ in range(repeat):
                measured["subprocess"].append(subprocess_run(args, root))
                measured["forked"].append(forked_run(args, root))
            medians = {}
            for way, runs in measured.items():
                medians[way] = [statistics.median(values) for values in zip(*runs)]
                print(f"{name:<12} {way:<11} {medians[way][0]:>7.2f} {medians[way][1]:>7.2f}")
            wall, cpu = (s / f for s, f in zip(medians["subprocess"], medians["forked"]))
            print(f"{name:<12} {'ratio':<11} {wall:>6.1f}x {cpu:>6.1f}x   (subprocess / forked)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
