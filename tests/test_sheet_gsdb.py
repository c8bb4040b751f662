"""A datasets sheet with a GSDB source beside local files, through the workflow, offline.

Issue 16's sheet lists datasets "each a GSDB source or local files with a format": here a GSDB row
(served by the local server laid out like GSDB's hosts, tests/gsdb_server.py) and a local Dip-C .3dg
holding the very same structure, on the same bin map, compared in one run.
"""

import numpy as np
import polars as pl
import pytest
import yaml

from chromapipe import formats, tables
from gsdb_server import FILENAME, GSDB_ID, GsdbTestServer
from test_gsdb_workflow import FASTA_PATH, GTF_PATH, references
from test_workflow import job_counts, snakemake

pytestmark = pytest.mark.slow

CHROMOSOME = "1"  # 10 beads


@pytest.fixture(scope="module")
def sheet_run(tmp_path_factory):
    with GsdbTestServer() as server:
        server.files[FASTA_PATH], server.files[GTF_PATH] = references(server.dataset)
        workdir = tmp_path_factory.mktemp("gsdb-sheet")
        dataset = server.dataset
        (workdir / "bins.txt").write_text(dataset["mapping"])
        local = workdir / "local"
        local.mkdir()
        stem = f"chr{CHROMOSOME}"
        structure = formats.parse_structure(dataset["pdbs"][stem].encode(), "pdb", stem,
                                            chrom=CHROMOSOME, positions=dataset["bead_positions"][stem])  # fmt: skip
        formats.write_structure(structure, local / f"{stem}.3dg", "dipc-3dg")
        section = server.section
        columns = ["dataset", "gsdb_id", "gsdb_filename", "gsdb_algorithm", "gsdb_structures", "gsdb_mirror",
                   "gsdb_datasets", "assembly", "structures", "format", "bead_map", "species"]  # fmt: skip
        rows = [
            ["gsdb", GSDB_ID, FILENAME, "3DMax", section["structures"], section["mirror"], section["datasets"],
             "GRCh37", "", "", "", "human"],  # the synthetic dataset is not in the catalogue: its assembly
            ["local", "", "", "", "", "", "", "", "local/chr{chr}.3dg", "dipc-3dg", "positions", "human"],
        ]  # fmt: skip
        (workdir / "datasets.tsv").write_text("\n".join("\t".join(r) for r in [columns, *rows]) + "\n")
        config = {
            "chromosomes": [CHROMOSOME],
            "datasets": "datasets.tsv",
            "mapping": "bins.txt",  # the local row's: the GSDB row brings its own
            "assembly": "GRCh37",
            "annotations": {
                "source": "files",
                "fasta": server.url + FASTA_PATH,
                "gtf": server.url + GTF_PATH,
                "references": str(workdir / "references"),
            },  # fmt: skip
        }
        configfile = workdir / "config.yaml"
        configfile.write_text(yaml.safe_dump(config))
        result = snakemake(workdir, "results/comparison/datasets.parquet", configfile=configfile)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        yield workdir, dataset, result.stdout + result.stderr, list(server.log)


def test_the_gsdb_row_downloads_its_structure_and_archive_from_its_hosts(sheet_run):
    workdir, dataset, output, log = sheet_run
    gets = [path for method, path, status in log if method == "GET" and status == 200]
    assert sum(path.endswith(f"{FILENAME}.tar.gz") for path in gets) == 1
    assert sum(path.endswith(f"chr{CHROMOSOME}.pdb") for path in gets) == 1
    assert job_counts(output)["fetch_dataset__gsdb"] == 1  # one archive rule per GSDB row
    compiled = tables.read("compiled", workdir / "results" / "gsdb" / f"chr{CHROMOSOME}_compiled.parquet")
    beads = compiled.filter(pl.col("bead").is_not_null())
    assert beads["start"].to_list() == dataset["bead_positions"][f"chr{CHROMOSOME}"].tolist()
    meta = tables.read_metadata(workdir / "results" / "gsdb" / f"chr{CHROMOSOME}_compiled.parquet")
    assert meta["dataset"]["gsdb_id"] == GSDB_ID


def test_the_gsdb_source_and_its_local_copy_compare_at_rho_one(sheet_run):
    workdir, dataset, _, _ = sheet_run
    results = workdir / "results"
    gsdb, local = (tables.read("compiled", results / name / f"chr{CHROMOSOME}_compiled.parquet")
                   for name in ("gsdb", "local"))  # fmt: skip
    assert gsdb.drop("bead").equals(local.drop("bead"))  # the same structure and bins, whatever the source
    comparison = tables.read("comparison", results / "comparison" / "datasets.parquet")
    pairs = comparison.filter(pl.col("dataset_a") != pl.col("dataset_b"))
    assert set(pairs["dataset_a"]) == {"gsdb", "local"} and pairs.height == 2 * pairs["feature"].n_unique()
    beads = len(dataset["bead_positions"][f"chr{CHROMOSOME}"])
    defined = pairs.filter(pl.col("feature") != "dist_rolling_mean")  # a chain this short has no backbone
    assert beads <= 50 and pairs.filter(pl.col("feature") == "dist_rolling_mean")["rho"].is_null().all()
    assert set(defined["feature"]) == {"dist_surface", "dist_com", "rg_local", "neighbours",
                                       "radial_position_territory", "dist_periphery_territory"}  # fmt: skip
    assert np.allclose(defined["rho"].to_numpy(), 1.0, rtol=0, atol=1e-12)
    assert (defined["bins"] == beads).all()
