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


def random_coords(n, seed):
    from chromapipe.synthetic import random_walk

    return random_walk(n, seed=seed).astype(np.float32)
