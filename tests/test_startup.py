"""What a Snakemake job loads before and while it does its step: only what its step uses (issue 25).

Each check runs one step in a fresh interpreter (as a job does) and lists the heavy modules it
loaded that the step does not use: cooltools and cooler (compartments only), matplotlib (figures
and summary only), scipy.stats (none: chromapipe.stats ranks in numpy), gemmi and python-ihm
(mmCIF structures only).
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import EXAMPLE

REPO = Path(__file__).resolve().parents[1]
#: Heavy modules and the steps that may load them.
HEAVY = {
    "cooltools": (),
    "cooler": (),
    "numba": (),
    "matplotlib": ("figures", "summary"),
    "scipy.stats": (),
    "gemmi": (),
    "ihm": (),
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
                             "surface": str(tmp_path / "ps.parquet"), "chrom": "21"},
        "compile": {"physical": str(paths["physical"]), "surface": str(paths["surface"]),
                    "annotations": str(paths["ann"]), "compiled": str(tmp_path / "c.parquet"),
                    "published_surface": str(tmp_path / "cs.parquet"), "chrom": "21", "pairing": "contacts",
                    "bins": str(paths["bins"]), "positions": str(paths["positions"])},
        "figures": {"compiled": compiled, "surface": surface, "tracks": str(tmp_path / "t.png"),
                    "structure": str(tmp_path / "st.png"), "correlation": str(tmp_path / "co.png"), "chrom": "21"},
        "export_structure": {"compiled": compiled, "cif": str(tmp_path / "x.cif"),
                             "attributes": str(tmp_path / "x_attributes"), "chrom": "21"},
        "summary": {"compiled": [compiled], "surface": [surface], "table": str(tmp_path / "sum.tsv"),
                    "parquet": str(tmp_path / "sum.parquet"), "figure": str(tmp_path / "sum.png"),
                    "correlations_table": str(tmp_path / "cor.tsv"),
                    "correlations_parquet": str(tmp_path / "cor.parquet"), "heatmap": str(tmp_path / "cor.png")},
    }  # fmt: skip
    found = {step: loaded(step, kwargs) for step, kwargs in jobs.items()}
    assert found == {step: [] for step in jobs}
    assert (tmp_path / "sum.png").stat().st_size > 0  # the steps ran


@pytest.mark.parametrize("contacts", [False, True])
def test_compartments_alone_load_cooler_and_cooltools(example_chr21, tmp_path, contacts):
    _, paths, _ = example_chr21
    kwargs = {"bins": str(paths["bins"]), "annotations": str(tmp_path / "a.parquet"), "chrom": "21",
              "source": "files", "assembly": "example", "fasta": str(EXAMPLE / "genome.fa.gz"),
              "gtf": str(EXAMPLE / "genes.gtf.gz")}  # fmt: skip
    if contacts:
        kwargs["contacts"] = str(EXAMPLE / "chr21_list.txt")
    modules = set(loaded("fetch_annotations", kwargs))
    if contacts:  # cooltools brings numba, scipy.stats and matplotlib (through bioframe) with it
        assert {"cooler", "cooltools"} <= modules and not modules & {"gemmi", "ihm"}
    else:
        assert modules == set()
