import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, settings

# Hypothesis: the same examples on every run (derandomized: CI cannot fail by chance), no example
# database (no .hypothesis/ left in the tree), and no clock deciding pass or fail (no per-example
# deadline, no too-slow health check). Tests may ask for more or fewer examples than the default.
# HYPOTHESIS_PROFILE=dev draws new random examples on each run; a failure prints its reproduce blob.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", parent=settings.get_profile("ci"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def physical_settings(**changed):
    """``compute_physical``'s settings at the config schema's defaults (their one home), some ``changed``."""
    from chromapipe.settings import check_section

    surface = check_section("surface", {})
    return {"surface_mode": surface["mode"], "grid": surface["grid"], **check_section("features", {}), **changed}


def feature_defaults():
    """The config schema's ``features`` section at its defaults: ``{rg_window, neighbour_radius}``."""
    from chromapipe.settings import check_section

    return check_section("features", {})


def pytest_configure(config):
    # Hypothesis also caches the literals it collects from our modules in its storage folder
    # (./.hypothesis by default): keep that in a temporary folder of this session instead.
    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        storage = tempfile.mkdtemp(prefix="chromapipe-hypothesis-")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = storage
        config.add_cleanup(lambda: shutil.rmtree(storage, ignore_errors=True))


#: The modules that take longest (Snakemake runs, servers, a SLURM cluster), longest first, as a
#: `make test` run measured them (--durations=0, summed per module). The session runs them first, in
#: this order, then the others in collection order: with --dist loadfile (and --no-loadscope-reorder,
#: pyproject.toml) each worker takes the next module when it runs out, so the long ones spread over
#: both workers and the short ones fill in at the end (xdist's own order, by number of tests, left a
#: long module for last). Every module over ~30 s is listed: one left out (test_docs.py, 200 s, was)
#: starts late and can leave one worker running it alone.
LONGEST_FIRST = (
    "test_aws.py", "test_reliability.py", "test_slurm.py", "test_docs.py", "test_workflow.py",
    "test_sheet_formats.py", "test_gsdb_workflow.py", "test_ensembl.py", "test_nextflow.py",
    "test_sheet_sharing.py", "test_report.py", "test_cli.py", "test_sheet_gsdb.py", "test_compartments.py",
)  # fmt: skip


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module's own order stays


DATA = Path(__file__).parent / "data"
GSDB = DATA / "gsdb"
REFERENCE = DATA / "nextflow-2026-02"
MAPPING = GSDB / "GSE105544_ENCFF010WBP_mapping.txt"
EXAMPLE = Path(__file__).resolve().parents[1] / "workflow" / "resources" / "example"
sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))

#: An extension of each structure format of ``chromapipe.formats`` (for files the tests write).
EXTENSION = {
    "pdb": ".pdb",
    "nucdyn-pdb": ".pdb",
    "dipc-3dg": ".3dg",
    "hickit-3dg": ".3dg",
    "nucle3d": ".nucle3d",
    "n3d": ".n3d",
    "dipc-cif": ".cif",
    "ihm": ".ihm",
    "tadbit-xyz": ".xyz",
}


@pytest.fixture(scope="session")
def bins21():
    """chr21's bins of the GSDB bin map (97 bins; the structure has 74 beads)."""
    from chromapipe.beadmap import chromosome_bins, read_bin_map

    return chromosome_bins(read_bin_map(MAPPING), "21")


@pytest.fixture(scope="session")
def example_chr21(tmp_path_factory):
    """The example's chr21 through the steps (PDB + contact list), and its bead positions as bin starts."""
    from chromapipe import formats, steps
    from chromapipe.beadmap import bead_map, chromosome_bins

    root = tmp_path_factory.mktemp("example21")
    paths = {k: root / f"{k}.parquet" for k in ("structure", "positions", "bins", "physical", "surface", "ann")}
    steps.fetch_mapping(EXAMPLE / "bins.txt", paths["bins"])
    steps.fetch_annotations(paths["bins"], paths["ann"], "21", "files", "example", fasta=EXAMPLE / "genome.fa.gz",
                          gtf=EXAMPLE / "genes.gtf.gz")  # fmt: skip
    steps.fetch_pdb(paths["structure"], "21", source=EXAMPLE / "chr21.pdb")
    steps.fetch_bead_map(EXAMPLE / "chr21_list.txt", paths["positions"], "21", "contacts")
    steps.compute_physical(paths["structure"], paths["physical"], paths["surface"], "21", **physical_settings())
    steps.compile(paths["physical"], paths["surface"], paths["ann"], root / "chr21_compiled.parquet",
                      root / "chr21_surface.parquet", "21", "contacts", bins=paths["bins"],
                      positions=paths["positions"])  # fmt: skip
    bins = chromosome_bins(steps.read_bins(paths["bins"]), "21")
    pdb = formats.read_structure(EXAMPLE / "chr21.pdb")
    rows = bead_map(pdb.n_beads, bins, "contacts", EXAMPLE / "chr21_list.txt")
    structure = formats.read_structure(EXAMPLE / "chr21.pdb", positions=bins["start"].to_numpy()[rows])
    return root, paths, structure


@pytest.fixture(scope="session")
def chr21_coords():
    from chromapipe.formats.pdb import read_pdb

    return read_pdb(GSDB / "chr21.pdb")


@pytest.fixture(scope="session")
def chr1_coords():
    from chromapipe.formats.pdb import read_pdb

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


def run_once_per_session(tmp_path_factory, name, **overrides):
    """The example (its config with ``overrides``) run once per session through Snakemake, in the session's
    folder ``name``: that working folder.

    With pytest-xdist the session's workers share one run: the first to ask runs it in the session's base
    folder, under a file lock, and the others wait for it and reuse it.
    """
    from test_workflow import example_config, snakemake

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own (popen-gw0, ...)
    workdir, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not done.exists():
            shutil.rmtree(workdir, ignore_errors=True)  # what a failed attempt of this session left
            workdir.mkdir()
            result = snakemake(workdir, configfile=example_config(workdir, **overrides))
            assert result.returncode == 0, result.stdout + result.stderr
            done.touch()
    return workdir


@pytest.fixture(scope="session")
def example_results(tmp_path_factory):
    """The embedded example, run once per session through Snakemake: the run's working folder.

    Shared by the tests that only compare against its finished outputs (read them, never change
    them); a test that reruns, touches or extends a run makes its own. The session's workers share
    one run (:func:`run_once_per_session`).
    """
    return run_once_per_session(tmp_path_factory, "example-run")


#: The one chromosome of :func:`lean_chr21_results`.
LEAN_CHROMOSOMES = ["21"]


@pytest.fixture(scope="session")
def lean_chr21_results(tmp_path_factory):
    """The example's chromosome 21 without its tracks and compartments (test_workflow.LEAN), run once per
    session: the local reference of the tests of resuming (test_reliability.py) and of a cancelled SLURM job
    (test_slurm.py), whose runs have that config. Read it, never change it."""
    from test_workflow import LEAN

    return run_once_per_session(tmp_path_factory, "lean-chr21-run", chromosomes=LEAN_CHROMOSOMES, **LEAN)


@pytest.fixture(scope="session")
def genome():
    """The embedded example genome as tests/ensembl_server.py serves it (built once: reading it is slow)."""
    from ensembl_server import example_genome

    return example_genome(Path(__file__).resolve().parents[1] / "workflow" / "resources" / "example")
