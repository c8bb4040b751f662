"""Real data on first contact: a GSDB dataset by its identifiers, through the workflow, offline.

A local server laid out exactly like GSDB's two hosts (tests/gsdb_server.py) serves a
synthetic dataset that is not the example; the contract command of issue 13 runs it:

    snakemake --profile profiles/local --configfile config/gsdb.yaml \
        --config 'gsdb={id: ..., filename: ..., algorithm: ...}' chromosomes=...
"""

import gzip
import json

import numpy as np
import polars as pl
import pytest

from chromapipe import tables
from gsdb_server import GsdbTestServer
from test_workflow import REPO, job_counts, snakemake

pytestmark = pytest.mark.slow

CHROMOSOMES = ("1", "2", "X")
FASTA_PATH = "/references/genome.fa.gz"
GTF_PATH = "/references/genes.gtf.gz"


def references(dataset, seed=3):
    """A plain-gzip FASTA (not bgzip: the workflow must prepare it) and a GTF for the synthetic genome."""
    rng = np.random.default_rng(seed)
    fasta, gtf = [], []
    for name in CHROMOSOMES:
        length = int(dataset["bins"][f"chr{name}"][-1]) + 499_999
        length = {"1": 6_200_000, "2": 4_700_000, "X": 3_300_000}[name]
        bases = np.frombuffer(b"ACGT", dtype="S1")[rng.integers(0, 4, length)].tobytes().decode()
        fasta.append(f">{name} synthetic\n" + "\n".join(bases[i : i + 60] for i in range(0, length, 60)) + "\n")
        for k, start in enumerate(range(100_000, length - 50_000, 700_000)):
            gtf.append(f'{name}\tsyn\tgene\t{start}\t{start + 40_000}\t.\t+\t.\tgene_id "G{name}_{k}";\n')
    return gzip.compress("".join(fasta).encode(), 1), gzip.compress("".join(gtf).encode())


@pytest.fixture(scope="module")
def server():
    with GsdbTestServer() as srv:
        fasta, gtf = references(srv.dataset)
        srv.files[FASTA_PATH], srv.files[GTF_PATH] = fasta, gtf
        yield srv


def flow(mapping):
    return json.dumps(mapping)  # JSON is YAML flow style: what --config parses


def contract(workdir, server, *targets, chromosomes=CHROMOSOMES, references_dir=None, extra=()):
    """The contract command, pointed at the test server."""
    annotations = {"source": "files", "fasta": server.url + FASTA_PATH, "gtf": server.url + GTF_PATH}
    if references_dir:
        annotations["references"] = str(references_dir)
    return snakemake(
        workdir,
        *targets, *extra, "--config", f"gsdb={flow(server.section)}", f"chromosomes={','.join(chromosomes)}",
        f"annotations={flow(annotations)}", "structures={}",
        configfile=REPO / "config" / "gsdb.yaml",
    )  # fmt: skip


@pytest.fixture(scope="module")
def contract_run(server, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gsdb")
    refs = tmp_path_factory.mktemp("references")
    server.log.clear()
    result = contract(workdir, server, references_dir=refs)
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir, refs, list(server.log), result.stdout + result.stderr


@pytest.mark.parametrize("chrom", CHROMOSOMES)
def test_every_bead_lands_on_the_bin_its_contact_list_gives(server, contract_run, chrom):
    workdir = contract_run[0]
    compiled = tables.read("compiled", workdir / "results" / "gsdb" / f"chr{chrom}_compiled.parquet")
    dataset = server.dataset
    assert compiled["start"].to_list() == dataset["bins"][f"chr{chrom}"].tolist()
    beads = compiled.filter(pl.col("bead").is_not_null())
    assert beads["start"].to_list() == dataset["bead_positions"][f"chr{chrom}"].tolist()
    assert beads["bead"].to_list() == list(range(1, beads.height + 1))
    assert compiled.filter(pl.col("bead").is_null()).height > 0  # bins without contacts stay, empty
    meta = tables.read_metadata(workdir / "results" / "gsdb" / f"chr{chrom}_compiled.parquet")
    assert meta["dataset"]["gsdb_id"] == "ZZ0001SY" and meta["dataset"]["algorithm"] == "3DMax"
    assert meta["assembly"] == "GRCh37"
    genes = compiled["gene_density"].sum()
    assert genes > 0 and compiled["gc_content"].drop_nulls().is_between(0.4, 0.6).all()


def test_the_archive_and_each_reference_are_fetched_once(contract_run):
    _, refs, log, output = contract_run
    gets = [path for method, path, status in log if method == "GET"]
    assert sum(path.endswith(".tar.gz") for path in gets) == 1
    assert gets.count(FASTA_PATH) == 1 and gets.count(GTF_PATH) == 1
    counts = job_counts(output)
    assert counts["fetch_dataset"] == 1 and counts["prepare_fasta"] == 1 and counts["prepare_genes"] == 1
    assert counts["fetch_pdb"] == len(CHROMOSOMES)
    assert sorted(p.name for p in (refs / "GRCh37").iterdir()) == [
        "genes.genes.parquet", "genome.fa.gz", "genome.fa.gz.fai", "genome.fa.gz.gzi",
    ]  # fmt: skip


def test_a_second_run_elsewhere_reuses_the_prepared_references(server, contract_run, tmp_path):
    _, refs, _, _ = contract_run
    server.log.clear()
    result = contract(tmp_path, server, "results/gsdb/annotations/chr2_annotations.parquet", references_dir=refs)
    assert result.returncode == 0, result.stdout + result.stderr
    gets = [path for method, path, _ in server.log if method == "GET"]
    assert FASTA_PATH not in gets and GTF_PATH not in gets, gets
    assert "prepare_fasta" not in job_counts(result.stdout + result.stderr)


@pytest.mark.parametrize("leading_folder", [True, False])
def test_members_are_found_with_or_without_a_leading_folder(leading_folder, tmp_path):
    with GsdbTestServer(leading_folder=leading_folder) as srv:
        srv.files[FASTA_PATH], srv.files[GTF_PATH] = b"", b""
        result = contract(
            tmp_path, srv, "results/gsdb/beadmap/chr2_positions.parquet", "results/gsdb/reference/bins.parquet"
        )
        assert result.returncode == 0, result.stdout + result.stderr
        # the synthetic dataset is not in the shipped catalogue: it runs on the assembly given, with a warning
        assert "Warning: the shipped catalogue lacks GSDB ID ZZ0001SY" in result.stderr
        positions = tables.read("positions", tmp_path / "results/gsdb/beadmap/chr2_positions.parquet")
        assert positions["position"].to_list() == srv.dataset["bead_positions"]["chr2"].tolist()


def test_the_mirror_serves_when_the_structure_host_answers_404(tmp_path):
    with GsdbTestServer() as srv:
        srv.primary_down = True
        srv.files[FASTA_PATH], srv.files[GTF_PATH] = b"", b""
        result = contract(tmp_path, srv, "results/gsdb/structures/chr1.parquet")
        assert result.returncode == 0, result.stdout + result.stderr
        tried = [(path.split("/")[1], status) for method, path, status in srv.log if path.endswith("chr1.pdb")]
        assert tried == [("mu", 404), ("genome3d", 200)]


def test_both_hosts_failing_names_both_addresses(tmp_path):
    with GsdbTestServer() as srv:
        srv.primary_down = srv.mirror_down = True
        srv.files[FASTA_PATH], srv.files[GTF_PATH] = b"", b""
        result = contract(tmp_path, srv, "results/gsdb/structures/chr1.parquet")
        assert result.returncode != 0
        log = (tmp_path / "results" / "gsdb" / "logs" / "fetch_pdb" / "chr1.log").read_text()
        primary, mirror = (
            srv.section[k] + "ZZ0001SY/SYN0001_TEST500KB/VC/3DMax/chr1.pdb" for k in ("structures", "mirror")
        )
        assert f"{primary}: HTTP 404" in log and f"{mirror}: HTTP 404" in log
        assert not (tmp_path / "results" / "gsdb" / "structures" / "chr1.parquet").exists()


def test_a_structure_with_a_bead_count_no_rule_explains_stops_naming_the_algorithm(tmp_path):
    from chromapipe.formats.pdb import format_pdb
    from chromapipe.synthetic import random_walk

    with GsdbTestServer() as srv:
        srv.dataset["pdbs"]["chr2"] = format_pdb(random_walk(5, seed=1))  # 5 beads: no rule gives 5
        srv.files[FASTA_PATH], srv.files[GTF_PATH] = references(srv.dataset)
        result = contract(tmp_path, srv, "results/gsdb/chr2_compiled.parquet", chromosomes=("2",))
        assert result.returncode != 0
        log = (tmp_path / "results" / "gsdb" / "logs" / "compile" / "chr2.log").read_text()
        assert "3DMax structure of chr2: the structure has 5 beads but the contact list" in log
        assert "provide a bead map file" in log
