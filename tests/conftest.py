import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

DATA = Path(__file__).parent / "data"
GSDB = DATA / "gsdb"
REFERENCE = DATA / "nextflow-2026-02"
MAPPING = GSDB / "GSE105544_ENCFF010WBP_mapping.txt"
sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))


@pytest.fixture(scope="session")
def chr21_coords():
    from chromapipe.structure import read_pdb

    return read_pdb(GSDB / "chr21.pdb")


@pytest.fixture(scope="session")
def chr1_coords():
    from chromapipe.structure import read_pdb

    return read_pdb(GSDB / "chr1.pdb")


@pytest.fixture(scope="session")
def reference_physical():
    return pl.read_csv(REFERENCE / "chr21_physical.csv")


@pytest.fixture(scope="session")
def reference_surface():
    return pl.read_csv(REFERENCE / "chr21_surface.csv").to_numpy()


def run_cli(*args, cwd=None):
    """Run the installed ``chromapipe`` command in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "chromapipe.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


_MEASURED = """
import resource, subprocess, sys
result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(result.stderr)
sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(result.returncode)
"""


def run_cli_measured(*args):
    """``run_cli`` plus the command's peak RSS in MB.

    Measured from a small wrapper interpreter: a child forked straight from the
    (large) test process would report the test process's memory as its own peak.
    """
    command = [sys.executable, "-m", "chromapipe.cli", *map(str, args)]
    result = subprocess.run([sys.executable, "-c", _MEASURED, *command], capture_output=True, text=True)
    return result, int(result.stdout or 0) / 1024


def random_coords(n, seed):
    from chromapipe.synthetic import random_walk

    return random_walk(n, seed=seed).astype(np.float32)
