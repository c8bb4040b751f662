"""Benchmark: the vectorised physical step against the loop implementation of the same definition.

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_physical.py            # chr21, chr1, 6,000 and 9,999 beads
    python tests/benchmarks/bench_physical.py --quick    # skip the slow loop runs above 1,000 beads
    python tests/benchmarks/bench_physical.py --startup  # only the command's start and 1,500 beads whole-process

Both implementations run side by side in this one process on the same inputs;
it prints wall time, peak traced memory and the ratio for each structure, then
the whole-process time (interpreter start included) of ``chromapipe physical``
on 9,999 beads. Targets (issue 2): >= 50x on chr1, >= 500x on 6,000 beads,
9,999 beads whole-process under 2 s. Then (issue 25) the command's start, ``chromapipe --help``
(target <= 0.2 s), and ``chromapipe physical`` on 1,500 beads whole-process against the loop
definition on the same chain in this process (the original's algorithm): target >= 25x.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from chromapipe.formats.pdb import read_pdb, write_pdb  # noqa: E402
from chromapipe.physical import physical_features  # noqa: E402
from chromapipe.synthetic import random_walk  # noqa: E402
from loop_reference import loop_features  # noqa: E402

GSDB = HERE.parent / "data" / "gsdb"


def measure(func, coords, repeat=1, trace=True):
    """Best wall time of ``repeat`` untraced runs, and the peak traced memory of one more run.

    Timing runs are not traced (tracemalloc slows allocation-heavy Python code);
    with ``trace=False`` the memory run is skipped and the peak is None.
    """
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(coords)
        best = min(best, time.perf_counter() - start)
    peak = None
    if trace:
        tracemalloc.start()
        func(coords)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return best, peak, result


def mb(value):
    return f"{value / 2**20:>8.1f}" if value is not None else f"{'-':>8}"


_TIMED = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True)
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def whole_process(pdb, outdir):
    """Wall time and peak RSS of one ``chromapipe physical`` process.

    Run through a small wrapper interpreter: a child forked straight from this
    (large) process would report this process's memory as its own peak.
    """
    command = [sys.executable, "-m", "chromapipe.cli", "physical", str(pdb), "--chr", "1", "--outdir", str(outdir)]
    out = subprocess.run(
        [sys.executable, "-c", _TIMED, *command, "--quiet"], check=True, capture_output=True, text=True
    )
    elapsed, maxrss_kb = out.stdout.split()
    return float(elapsed), int(maxrss_kb) / 1024


def command_start(tmp, repeat=5):
    """``chromapipe --help`` (best wall of ``repeat``), then ``chromapipe physical`` on 1,500 beads (best of 3)
    against the loop definition on the same chain; prints both and the ratio."""
    command = [sys.executable, "-m", "chromapipe.cli", "--help"]
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    print(f"chromapipe --help, whole process: {min(walls):.3f} s wall (best of {repeat}); target <= 0.2 s")
    coords = random_walk(1500, seed=1500)
    pdb = Path(tmp) / "walk1500.pdb"
    write_pdb(pdb, coords)
    whole = min(whole_process(pdb, Path(tmp) / "out1500")[0] for _ in range(3))
    loop_t, _, _ = measure(loop_features, read_pdb(pdb), trace=False)
    print(f"chromapipe physical, 1,500 beads, whole process: {whole:.2f} s wall (best of 3); the loop definition "
          f"in-process: {loop_t:.2f} s; ratio {loop_t / whole:.1f}x (target >= 25x)", flush=True)  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="no loop runs above 1,000 beads")
    parser.add_argument("--startup", action="store_true", help="only the command's start and 1,500 beads")
    args = parser.parse_args()
    if args.startup:
        with tempfile.TemporaryDirectory() as tmp:
            command_start(tmp)
        return

    cases = [
        ("chr21 (GSDB)", read_pdb(GSDB / "chr21.pdb")),
        ("chr1 (GSDB)", read_pdb(GSDB / "chr1.pdb")),
        ("random walk 6,000", random_walk(6000, seed=6000).astype(np.float32)),
        ("random walk 9,999", random_walk(9999, seed=9999).astype(np.float32)),
    ]
    print(
        f"{'structure':<20} {'beads':>6} {'vectorised':>11} {'peak MB':>8} {'loop':>10} {'peak MB':>8} {'ratio':>8}  same?"
    )
    for name, coords in cases:
        n = coords.shape[0]
        fast_t, fast_mem, (fast, surface) = measure(physical_features, coords, repeat=5)
        if args.quick and n > 1000:
            print(f"{name:<20} {n:>6} {fast_t:>10.4f}s {mb(fast_mem)} {'skipped':>10}")
            continue
        # one loop run; its memory is traced only where that costs little time
        loop_t, loop_mem, (slow, loop_points) = measure(loop_features, coords, trace=n <= 1000)
        same = np.array_equal(surface.points, loop_points) and all(
            np.allclose(fast[c], slow[c], atol=1e-9, rtol=0, equal_nan=True) for c in fast
        )
        print(
            f"{name:<20} {n:>6} {fast_t:>10.4f}s {mb(fast_mem)} {loop_t:>9.2f}s "
            f"{mb(loop_mem)} {loop_t / fast_t:>7.0f}x  {'yes' if same else 'NO'}",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as tmp:
        pdb = Path(tmp) / "walk9999.pdb"
        write_pdb(pdb, random_walk(9999, seed=9999))
        runs = [whole_process(pdb, Path(tmp) / "out") for _ in range(3)]
        best = min(runs)
        print(
            f"\nwhole process, chromapipe physical, 9,999 beads: {best[0]:.2f} s wall "
            f"(best of 3; interpreter start, PDB parsing and Parquet writing included), "
            f"peak RSS {max(r[1] for r in runs):.0f} MB; target < 2 s"
        )
        command_start(tmp)
    print(f"cpus: {os.cpu_count()}, numpy {np.__version__}")


if __name__ == "__main__":
    main()
