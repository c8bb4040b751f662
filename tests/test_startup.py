"""What a Snakemake job loads before and while it does its step: only what its step uses (issue 25).

Each check runs one step in a fresh interpreter (as a job does) and lists the heavy modules it
loaded that the step does not use: cooltools, cooler and numba (none: chromapipe.compartments
balances and decomposes in numpy; they are test dependencies), bioframe and pandas (none: chromapipe.tracks
reads and overlaps the tracks in polars and numpy; bioframe is the tests' reference), matplotlib (figures and summary
only; never pyplot: the figures are drawn through matplotlib's object-oriented API), scipy.stats
(none: chromapipe.stats ranks in numpy), scipy.ndimage (none: chromapipe.physical fills
and labels its voxel grid in numpy, falling back to ndimage only for a maze), scipy.spatial (compute_physical only),
pyarrow (the steps that write a Parquet table: polars reads tables and their metadata), gemmi and
python-ihm (mmCIF structures only), YAML, jsonschema and the run config's validation (none: the
workflow validates the config before any job, and the schemas are compiled).
"""

import gc
import json
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from conftest import EXAMPLE, physical_settings

REPO = Path(__file__).resolve().parents[1]
#: The steps that write a Parquet table (pyarrow's writer); figures and export_structure only read them.
WRITERS = ("fetch_pdb", "fetch_mapping", "compute_physical", "fetch_annotations", "compile", "summary")
#: Heavy modules and the steps that may load them.
HEAVY = {
    "cooltools": (),
    "cooler": (),
    "numba": (),
    "bioframe": (),
    "pandas": (),
    "matplotlib": ("figures", "summary"),
    "scipy.stats": (),
    "gemmi": (),
    "ihm": (),
    "matplotlib.pyplot": (),
    "yaml": (),
    "jsonschema": (),
    "chromapipe.settings": (),
    "scipy.ndimage": (),
    "scipy.spatial": ("compute_physical",),
    "pyarrow": WRITERS,
}

_RUN = """
import json, sys
from chromapipe import steps
getattr(steps, sys.argv[1])(**json.loads(sys.argv[2]))
print(" ".join(name for name in sys.argv[3:] if name in sys.modules))
"""


def loaded(step, kwargs):
    """The modules of :data:`HEAVY` that running ``step(**kwargs)`` in a fresh interpreter loaded."""
    forbidden = [name for name, allowed in HEAVY.items() if step not in allowed]
    result = subprocess.run([sys.executable, "-c", _RUN, step, json.dumps(kwargs), *forbidden], capture_output=True,
                            text=True, check=True)  # fmt: skip
    return result.stdout.split()


def test_the_version_is_pyprojects_and_the_installed_one():
    from importlib.metadata import version

    import chromapipe

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert chromapipe.__version__ == declared == version("chromapipe")


def test_the_package_alone_does_not_look_its_version_up():
    """importlib.metadata takes about 80 ms to import (polars loads it, the command line's parser need not)."""
    code = "import sys, chromapipe; print('importlib.metadata' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_importing_the_steps_loads_no_heavy_module():
    code = "import sys, chromapipe.steps; print(' '.join(n for n in sys.argv[1:] if n in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, check=True)
    assert result.stdout.split() == []


def test_each_step_loads_only_what_it_uses(example_chr21, tmp_path):
    root, paths, _ = example_chr21
    compiled, surface = str(root / "chr21_compiled.parquet"), str(root / "chr21_surface.parquet")
    jobs = {
        "fetch_pdb": {"structure": str(tmp_path / "s.parquet"), "chrom": "21", "source": str(EXAMPLE / "chr21.pdb")},
        "fetch_mapping": {"source": str(EXAMPLE / "bins.txt"), "bins": str(tmp_path / "b.parquet")},
        "compute_physical": {"structure": str(paths["structure"]), "physical": str(tmp_path / "p.parquet"),
                             "surface": str(tmp_path / "ps.parquet"), "chrom": "21", **physical_settings()},
        "compile": {"physical": str(paths["physical"]), "surface": str(paths["surface"]),
                    "annotations": str(paths["ann"]), "compiled": str(tmp_path / "c.parquet"),
                    "published_surface": str(tmp_path / "cs.parquet"), "chrom": "21", "bead_map_source": "contacts",
                    "bins": str(paths["bins"]), "positions": str(paths["positions"])},
        "figures": {"compiled": compiled, "surface": surface, "tracks": str(tmp_path / "t.png"),
                    "structure": str(tmp_path / "st.png"), "correlation": str(tmp_path / "co.png"), "chrom": "21"},
        "export_structure": {"compiled": compiled, "cif": str(tmp_path / "x.cif"),
                             "attributes": str(tmp_path / "x_attributes.zip"), "chrom": "21"},
        "summary": {"compiled": [compiled], "surface": [surface], "table": str(tmp_path / "sum.tsv"),
                    "parquet": str(tmp_path / "sum.parquet"), "figure": str(tmp_path / "sum.png"),
                    "correlations_table": str(tmp_path / "cor.tsv"),
                    "correlations_parquet": str(tmp_path / "cor.parquet"), "heatmap": str(tmp_path / "cor.png"),
                    "physical": [str(paths["physical"])], "contacts": [str(EXAMPLE / "chr21_list.txt")],
                    "model_rmsd": str(tmp_path / "mr.parquet"), "model_rmsd_figure": str(tmp_path / "mr.png"),
                    "contact_figure": str(tmp_path / "cd.png")},
    }  # fmt: skip
    found = {step: loaded(step, kwargs) for step, kwargs in jobs.items()}
    assert found == {step: [] for step in jobs}
    assert (tmp_path / "sum.png").stat().st_size > 0  # the steps ran
    assert (tmp_path / "cd.png").stat().st_size > 0 and (tmp_path / "mr.parquet").exists()


@pytest.mark.parametrize("contacts", [False, True])
def test_compartments_load_neither_cooler_nor_cooltools(example_chr21, tmp_path, contacts):
    _, paths, _ = example_chr21
    kwargs = {"bins": str(paths["bins"]), "annotations": str(tmp_path / "a.parquet"), "chrom": "21",
              "source": "files", "assembly": "example", "fasta": str(EXAMPLE / "genome.fa.gz"),
              "gtf": str(EXAMPLE / "genes.gtf.gz")}  # fmt: skip
    if contacts:  # and the example's tracks, a bigWig and a BED (bioframe and pandas are not loaded to read them)
        kwargs["contacts"] = str(EXAMPLE / "chr21_list.txt")
        kwargs["tracks"] = [str(EXAMPLE / "h3k9me3.bw"), str(EXAMPLE / "lads.bed.gz")]
        kwargs["track_specs"] = [{"name": "h3k9me3", "stat": "mean"}, {"name": "lads", "stat": "coverage"}]
    assert loaded("fetch_annotations", kwargs) == []
    if contacts:
        import polars as pl

        table = pl.read_parquet(tmp_path / "a.parquet")
        assert table["compartment"].drop_nulls().len() > 50 and table["lads"].sum() > 0  # they were computed


#: What the command line's parser must not load (issue 25: it starts in <= 0.2 s): the science, the frames,
#: YAML and the run config's validation; each subcommand imports its modules when it runs.
NOT_FOR_THE_PARSER = ("numpy", "scipy", "polars", "pyarrow", "pandas", "matplotlib", "yaml", "jsonschema", "requests",
                      "chromapipe.physical", "chromapipe.steps", "chromapipe.formats", "chromapipe.settings",
                      "chromapipe.annotations", "chromapipe.tables", "chromapipe.gsdb", *HEAVY)  # fmt: skip

_HELP = """
import contextlib, io, json, sys
from chromapipe.cli import build_parser, main
commands = list(build_parser()._subparsers._group_actions[0].choices)
for argv in [["--help"], ["--version"]] + [[command, "--help"] for command in commands]:
    with contextlib.redirect_stdout(io.StringIO()) as shown:
        try:
            main(argv)
        except SystemExit as exit:
            assert exit.code == 0, (argv, exit.code)
    assert shown.getvalue(), argv
args = build_parser().parse_args(["physical", "s.pdb", "--chr", "21", "--outdir", "out", "--grid", "fitted"])
assert (args.grid, args.surface, args.func.__name__) == ("fitted", "all", "cmd_physical")
print(json.dumps([commands, [name for name in sys.argv[1:] if name in sys.modules]]))
"""


def test_the_command_lines_help_loads_no_science_module():
    """``chromapipe --help``, ``--version``, every subcommand's ``--help`` and a parse, in one fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", _HELP, *NOT_FOR_THE_PARSER], capture_output=True, text=True,
                            check=True)  # fmt: skip
    commands, loaded_modules = json.loads(result.stdout)
    assert {"physical", "annotations", "compile", "figures", "summary", "gsdb"} <= set(commands)
    assert loaded_modules == []


def test_python_dash_m_chromapipe_is_the_command():
    shown = subprocess.run(
        [sys.executable, "-m", "chromapipe", "--version"], capture_output=True, text=True, check=True
    )
    assert (
        shown.stdout.strip()
        == f"chromapipe {tomllib.loads((REPO / 'pyproject.toml').read_text())['project']['version']}"
    )


#: What ``chromapipe physical`` loads beyond its science (issue 25: 1,500 beads >= 25x the original, whole process).
NOT_FOR_PHYSICAL = ("pandas", "matplotlib", "yaml", "jsonschema", "chromapipe.settings", "requests", "scipy.stats",
                    *HEAVY.keys() - {"scipy.spatial", "pyarrow", "matplotlib.pyplot"})  # fmt: skip

_PHYSICAL = """
import json, sys
from chromapipe.cli import main
status = main(sys.argv[1].split())
print(json.dumps([status, [name for name in sys.argv[2:] if name in sys.modules]]))
"""


@pytest.mark.parametrize("options", ["", " --rg-window 3 --neighbour-radius 2"])
def test_chromapipe_physical_validates_only_options_it_is_given(tmp_path, options):
    """At the schema's defaults the features need no validator (jsonschema, chromapipe.settings); options given
    are checked by the schema (a bad one is refused: tests/test_cli.py)."""
    argv = f"physical {EXAMPLE / 'chr21.pdb'} --chr 21 --outdir {tmp_path} --quiet{options}"
    result = subprocess.run([sys.executable, "-c", _PHYSICAL, argv, *NOT_FOR_PHYSICAL], capture_output=True, text=True,
                            check=True)  # fmt: skip
    status, found = json.loads(result.stdout)
    assert status == 0 and (tmp_path / "chr21_physical.parquet").stat().st_size > 0
    assert set(found) == (set() if not options else {"jsonschema", "chromapipe.settings"})


_SPATIAL = """
import sys
from chromapipe import _scipy
spatial = _scipy.spatial()
import scipy, scipy.linalg
from scipy._lib import _array_api, _docscrape
print(scipy.__version__ == _scipy.SCIPY_VERSION, spatial is sys.modules["scipy.spatial"],
      _array_api.FunctionDoc is _docscrape.FunctionDoc, "Array API Standard Support" in scipy.linalg.block_diag.__doc__,
      scipy.linalg.block_diag.__doc__.lstrip().startswith("Create a block diagonal"), hasattr(spatial, "cKDTree"))
"""


@pytest.mark.parametrize("first", ["chromapipe", "scipy.spatial"])
def test_scipy_spatial_is_imported_without_its_docstring_notes_and_the_parser_is_put_back(first):
    """chromapipe._scipy.spatial skips the backend tables scipy 1.17 appends to docstrings at import; imported first
    by something else, scipy.spatial is the usual one (the notes are there)."""
    code = _SPATIAL if first == "chromapipe" else "import scipy.spatial\n" + _SPATIAL
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["True", "True", "True", str(first != "chromapipe"), "True", "True"]


# --- the end of a run: what Snakemake and a job leave for the interpreter's exit ---------------------


class JobScheduler:
    """Stands in for Snakemake's scheduler: its re-evaluation timer has the callback name deploy looks for."""

    def _schedule_reevalutation(self, delay):
        timer = threading.Timer(delay, lambda: None)
        timer.start()
        return timer


def test_the_end_of_a_run_cancels_the_schedulers_timers_and_no_other():
    from chromapipe import deploy

    scheduler, other = JobScheduler()._schedule_reevalutation(60), threading.Timer(60, lambda: None)
    other.start()
    try:
        assert deploy.end_of_run(argv=["python"], threads=[scheduler, other]) == (1, False)
        scheduler.join(10)
        assert not scheduler.is_alive() and other.is_alive()
    finally:
        other.cancel()
        scheduler.cancel()


def test_snakemakes_scheduler_still_re_evaluates_through_the_timer_end_of_run_cancels():
    """The pinned Snakemake's scheduler names the callback deploy.SCHEDULER_TIMER matches, and it is a Timer."""
    import inspect

    from snakemake.scheduling.job_scheduler import JobScheduler as Real

    from chromapipe import deploy

    assert f"{Real.__name__}.{Real._schedule_reevalutation.__name__}" == deploy.SCHEDULER_TIMER
    assert "threading.Timer(" in inspect.getsource(Real._schedule_reevalutation)


@pytest.mark.parametrize(("argv", "frozen"), [(["/env/bin/snakemake", "-n"], True),
                                              (["/env/lib/snakemake/__main__.py"], True), (["python"], False)])  # fmt: skip
def test_the_heap_is_frozen_only_at_the_end_of_the_snakemake_command_line(argv, frozen):
    from chromapipe import deploy

    gc.unfreeze()
    try:
        assert deploy.end_of_run(argv=argv, threads=[]) == (0, frozen)
        assert (gc.get_freeze_count() > 0) is frozen
    finally:
        gc.unfreeze()


def test_a_job_runs_its_step_with_the_collector_on_and_leaves_its_heap_frozen():
    from chromapipe import steps

    gc.disable()  # as workflow/scripts/step.py leaves it while the modules are imported
    try:
        with steps._frozen_heap():
            assert gc.isenabled() and gc.get_freeze_count() > 0
            gc.unfreeze()
            made = [[] for _ in range(10)]
        assert gc.isenabled() and gc.get_freeze_count() >= len(made)
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_workflow_ends_its_runs_through_deploy():
    """Both hooks of the Snakefile call deploy.end_of_run (a run that fails exits as promptly)."""
    snakefile = (REPO / "workflow" / "Snakefile").read_text()
    for hook in ("onsuccess", "onerror"):
        assert f"{hook}:\n    deploy.end_of_run()" in snakefile


def test_a_command_runs_with_the_collector_off_and_puts_it_back(monkeypatch, capsys):
    """chromapipe.cli.main: the collector is off while the command runs and on again after it; only as the
    command line (no argv given) is the heap left frozen for the exit."""
    from chromapipe import cli

    seen = []
    monkeypatch.setattr(cli, "_main", lambda argv: seen.append(gc.isenabled()) or 0)
    gc.unfreeze()
    try:
        assert cli.main(["--help"]) == 0 and gc.isenabled() and gc.get_freeze_count() == 0
        monkeypatch.setattr(sys, "argv", ["chromapipe", "--help"])
        assert cli.main() == 0 and gc.isenabled() and gc.get_freeze_count() > 0
        gc.disable()
        cli.main(["--help"])
        assert not gc.isenabled()  # a caller's collector left off stays off
    finally:
        gc.enable()
        gc.unfreeze()
    assert seen == [False, False, False]
