"""Benchmark: physical features of a 100,000-bead chromosome, read from a Dip-C ``.3dg`` (no 9,999-bead limit).

Run from the repository root (not collected by pytest)::

    python tests/benchmarks/bench_scale.py            # 100,000 beads
    python tests/benchmarks/bench_scale.py --beads 200000

Writes a synthetic confined random walk (chromapipe.synthetic) as a 5 kb
``.3dg``, then in a child process reads it with chromapipe.formats and runs
chromapipe.physical.physical_features on it, then rg_local and neighbours (what
``chromapipe physical`` computes). The child's wall time (read, then features) and peak RSS are measured from a small wrapper interpreter (a child
forked from this process would report this process's memory as its own).
Then it runs the command itself, ``chromapipe physical FILE --chr 1 --outdir DIR``, on
that file and on a diploid one (two homologs of half as many beads, 20 kb bins): wall time and peak
RSS of the whole process, writing the tables included.
Target (issue 16): under 30 s and under 4 GB on the 2-core machine.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chromapipe import formats
from chromapipe.synthetic import random_walk

_CHILD = """
import sys, time
import numpy as np
from chromapipe.formats import read_structure
from chromapipe.neighbourhood import neighbours, rg_local
from chromapipe.physical import physical_features
start = time.perf_counter()
structure = read_structure(sys.argv[1])
read = time.perf_counter() - start
features, surface = physical_features(structure.coords)
physical = time.perf_counter() - start - read
local, counts = rg_local(structure.coords), neighbours(structure.coords)
total = time.perf_counter() - start
assert np.isfinite(features["dist_surface"]).all() and np.isfinite(local).all()
print(structure.n_beads, read, physical, total - read - physical, total, surface.points.shape[0])
"""

_MEASURED = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True)
sys.stderr.write(result.stderr)
print(result.stdout.strip(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--beads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "walk.3dg"
        coords = random_walk(args.beads, seed=args.beads).tolist()
        path.write_text("".join(f"1(mat)\t{k * 5000}\t{x!r}\t{y!r}\t{z!r}\n" for k, (x, y, z) in enumerate(coords)))
        assert formats.detect_format(path) == "dipc-3dg"
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", _MEASURED, sys.executable, "-c", _CHILD, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            n, read, features, local, total, surface, maxrss_kb = out.stdout.split()
            runs.append((float(total), float(read), float(features), int(maxrss_kb) / 1024, int(n), int(surface),
                         float(local)))  # fmt: skip
        # the command itself, as a user runs it: one haploid chromosome, and two homologs of half the length
        half = args.beads // 2
        diploid = Path(tmp) / "cell.3dg"
        diploid.write_text("".join(
            f"1({hap})\t{k * 20000}\t{x!r}\t{y!r}\t{z!r}\n"
            for hap, seed in (("pat", 1), ("mat", 2)) for k, (x, y, z) in enumerate(random_walk(half, seed=seed).tolist())
        ))  # fmt: skip
        commands = []
        for name, source in ((f"{args.beads:,} beads", path), (f"2 homologs x {half:,} beads", diploid)):
            timings = []
            for _ in range(args.repeat):
                command = [sys.executable, "-m", "chromapipe.cli", "physical", str(source), "--chr", "1",
                           "--outdir", str(Path(tmp) / "out")]  # fmt: skip
                started = time.perf_counter()
                out = subprocess.run([sys.executable, "-c", _MEASURED, *command], check=True, capture_output=True,
                                     text=True)  # fmt: skip
                timings.append((time.perf_counter() - started, int(out.stdout.split()[-1]) / 1024))
            commands.append((name, min(t for t, _ in timings), max(m for _, m in timings)))
    best = min(runs)
    for name, wall, rss in commands:
        print(f"chromapipe physical, {name}: {wall:6.2f} s wall (best of {args.repeat}), peak RSS {rss:5.0f} MB")
    print(f"beads: {best[4]:,} (Dip-C .3dg, 5 kb bins), surface points: {best[5]:,}")
    print(f"read .3dg:          {best[1]:6.2f} s")
    print(f"physical_features:  {best[2]:6.2f} s")
    print(f"rg_local+neighbours:{best[6]:6.2f} s")
    print(f"total (best of {args.repeat}): {best[0]:6.2f} s   target < 30 s")
    print(f"peak RSS (max):     {max(r[3] for r in runs):6.0f} MB  target < 4096 MB (interpreter start included)")
    print(f"cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
