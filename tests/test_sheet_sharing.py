"""Datasets of a sheet with the same bin map and annotation inputs share their staging: one fetch_mapping, and
one fetch_annotations per chromosome, whose tables every such dataset reads; their outputs equal a run of each
dataset alone. A dataset's own compartment contact lists give it its own annotations."""

import shutil

import pytest
import yaml

from chromapipe import settings
from test_workflow import EXAMPLE, LEAN, REPO, example_config, job_counts, outputs, snakemake

pytestmark = pytest.mark.slow  # runs Snakemake


def sheet_config(workdir, rows, chromosomes, **overrides):
    """The example's config with a datasets sheet of ``rows`` (name -> contact-list template) of the example's
    structures; the contact lists give the bead map, and with compartments on, the compartments."""
    config = yaml.safe_load(example_config(workdir, chromosomes=chromosomes, **overrides).read_text())
    lines = ["dataset\tstructures\tbead_map\tbead_map_path"]
    lines += [f"{name}\t{config['structures']['path']}\tcontacts\t{contacts}" for name, contacts in rows.items()]
    (workdir / "datasets.tsv").write_text("\n".join(lines) + "\n")
    config["datasets"] = str(workdir / "datasets.tsv")
    del config["structures"], config["bead_map"]
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def three_rows(workdir, chromosomes):
    """Datasets a and b of the example's contact lists, c of copies of them (the same content, other files)."""
    (workdir / "own").mkdir()
    for chrom in chromosomes:
        shutil.copy(EXAMPLE / f"chr{chrom}_list.txt", workdir / "own" / f"chr{chrom}_list.txt")
    contacts = str(workdir / "example" / "chr{chr}_list.txt")
    return {"a": contacts, "b": contacts, "c": str(workdir / "own" / "chr{chr}_list.txt")}


def test_the_datasets_that_share_their_inputs_are_found(tmp_path):
    chromosomes = ["21", "X"]
    config = yaml.safe_load(sheet_config(tmp_path, three_rows(tmp_path, chromosomes), chromosomes).read_text())
    runs = settings.load_runs(config, [str(tmp_path), str(REPO)])
    assert settings.sharing(runs, settings.bin_map_inputs) == {"a": "a", "b": "a", "c": "a"}
    # compartments on: c's own contact lists (the same numbers, other files) make its annotations its own
    assert settings.sharing(runs, settings.annotation_inputs) == {"a": "a", "b": "a", "c": "c"}
    lean = settings.load_runs({**config, **LEAN}, [str(tmp_path), str(REPO)])
    assert settings.sharing(lean, settings.annotation_inputs) == {"a": "a", "b": "a", "c": "a"}
    # a row with a bin map of its own (the same numbers, another file) stages it, and its annotations
    shutil.copy(EXAMPLE / "bins.txt", tmp_path / "own" / "bins.txt")
    sheet = (tmp_path / "datasets.tsv").read_text().splitlines()
    sheet = [sheet[0] + "\tmapping", *(row + "\t" for row in sheet[1:-1]), sheet[-1] + f"\t{tmp_path}/own/bins.txt"]
    (tmp_path / "datasets.tsv").write_text("\n".join(sheet) + "\n")
    runs = settings.load_runs({**config, **LEAN}, [str(tmp_path), str(REPO)])
    assert settings.sharing(runs, settings.bin_map_inputs) == {"a": "a", "b": "a", "c": "c"}
    assert settings.sharing(runs, settings.annotation_inputs) == {"a": "a", "b": "a", "c": "c"}


@pytest.mark.parametrize("compartments, annotation_jobs", [(True, 2), (False, 1)])
def test_datasets_of_the_same_inputs_plan_one_fetch_mapping_and_one_fetch_annotations_per_chromosome(
    tmp_path, compartments, annotation_jobs
):
    chromosomes = ["21", "X"]
    overrides = {} if compartments else LEAN
    configfile = sheet_config(tmp_path, three_rows(tmp_path, chromosomes), chromosomes, **overrides)
    result = snakemake(tmp_path, "-n", configfile=configfile)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    counts = job_counts(out)
    assert counts["fetch_mapping"] == 1
    assert counts["fetch_annotations"] == annotation_jobs * len(chromosomes)
    assert counts["fetch_pdb"] == counts["compile"] == 3 * len(chromosomes)
    result = snakemake(tmp_path, "-n", "--config", "batch=dataset", configfile=configfile)
    batched = job_counts(result.stdout + result.stderr)
    assert batched["fetch_mapping"] == 1 and batched["fetch_annotations"] == annotation_jobs
    assert batched["fetch_pdb"] == batched["compile"] == 3


def test_a_dataset_reading_shared_tables_writes_what_it_writes_alone(tmp_path):
    """Sheet a, b (the same inputs; b reads a's bin map and annotations, batched by dataset) against a sheet of b
    alone (b stages its own, one job per chromosome): b's outputs are the same files, byte for byte."""
    chromosomes = ["21"]
    shared, alone = tmp_path / "shared", tmp_path / "alone"
    for folder, rows, batch in ((shared, ("a", "b"), "dataset"), (alone, ("b",), "chromosome")):
        folder.mkdir()
        contacts = str(folder / "example" / "chr{chr}_list.txt")
        configfile = sheet_config(folder, dict.fromkeys(rows, contacts), chromosomes, batch=batch, **LEAN)
        result = snakemake(folder, configfile=configfile)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    b = shared / "results" / "b"
    assert not (b / "reference").exists() and not (b / "annotations").exists()  # a's are read
    assert (shared / "results" / "a" / "reference" / "bins.parquet").exists()
    mine = outputs(b)
    reference = [p for p in outputs(alone / "results" / "b") if p.parts[0] not in ("reference", "annotations")]
    assert len(mine) >= 15 and mine == reference
    for path in mine:
        assert (b / path).read_bytes() == (alone / "results" / "b" / path).read_bytes(), path
