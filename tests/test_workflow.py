"""The Snakemake workflow end to end: the embedded example, reruns, dry runs, lint, HTTP inputs."""

import functools
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

import forked_snakemake
from chromapipe import tables
from chromapipe.annotations.files import annotate_from_files
from chromapipe.beadmap import bead_map, chromosome_bins, read_bin_map
from chromapipe.compartments import compartments
from chromapipe.formats.pdb import read_pdb
from chromapipe.neighbourhood import neighbours, rg_local
from chromapipe.physical import physical_features
from chromapipe.tracks import make_track, track_per_bin
from conftest import GSDB, feature_defaults

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "workflow" / "resources" / "example"
SNAKEFILE = REPO / "workflow" / "Snakefile"
PROFILE = REPO / "profiles" / "local"

pytestmark = pytest.mark.slow  # every test runs Snakemake


def snakemake(workdir, *args, configfile=None, timeout=600, env=None, profile=PROFILE, snakefile=SNAKEFILE,
              quick_polls=False):  # fmt: skip
    """``python -m snakemake`` (or tests/quick_polls.py) on ``workdir``: what ``subprocess.run`` returns. The
    process is forked from the worker's Snakemake server (tests/forked_snakemake.py), fresh as a subprocess."""
    command = ["-s", str(snakefile), "--directory", str(workdir), "--profile", str(profile), *map(str, args)]
    if configfile:
        command += ["--configfile", str(configfile)]
    return forked_snakemake.run(command, cwd=workdir, env=env, timeout=timeout, quick_polls=quick_polls)


def job_counts(output):
    """``{rule: count}`` from the 'Job stats' table of a (dry) run."""
    counts = {}
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\ntotal", output, re.S)
    assert match, output
    for line in match.group(1).splitlines():
        name, count = line.split()
        counts[name] = int(count)
    return counts


#: Overrides that leave out the example's tracks and compartments: for tests of scheduling, resuming and
#: deployment, whose subject is not the features (the session's example run has them all).
LEAN = {"tracks": [], "compartments": False, "report": {}}


def example_config(workdir, **overrides):
    """The example config with its inputs copied into ``workdir`` (so tests can touch them)."""
    data = workdir / "example"
    shutil.copytree(EXAMPLE, data)
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    # one job per chromosome and step (the schema's default): the tests of scheduling, resuming, logs and
    # submissions count per-chromosome jobs; the shipped config's batch: dataset runs in test_docs' `make run`
    # and the module tests' runs (test_batched_by_dataset_the_example_writes_the_same_files_byte_for_byte's too)
    config["batch"] = "chromosome"
    config["mapping"] = str(data / "bins.txt")
    config["structures"] = {"path": str(data / "chr{chr}.pdb")}
    config["bead_map"] = {"source": "contacts", "path": str(data / "chr{chr}_list.txt")}
    config["annotations"] = {"source": "files", "fasta": str(data / "genome.fa.gz"), "gtf": str(data / "genes.gtf.gz")}
    config.update(overrides)
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def example_run(example_results):
    """The session's one run of the example (tests/conftest.py): its folder and config file."""
    return example_results, example_results / "config.yaml"


@pytest.mark.parametrize("chrom", ["19", "21", "X"])
def test_example_outputs_match_the_package(example_run, chrom):
    workdir, _ = example_run
    data = workdir / "example"
    compiled = pl.read_parquet(workdir / "results" / f"chr{chrom}_compiled.parquet")
    surface = pl.read_parquet(workdir / "results" / f"chr{chrom}_surface.parquet")
    tracks = [t["name"] for t in yaml.safe_load((REPO / "config" / "config.yaml").read_text())["tracks"]]
    planted_columns = {c.name: c.dtype for c in tables.COMPILED.columns if c.only == "runs with compartments"}
    expected = {**tables.COMPILED.schema, **planted_columns, "h3k9me3": pl.Float64, "lads": pl.Float64}
    assert list(compiled.schema) == list(expected) and dict(compiled.schema) == expected
    assert tables.track_names(tables.read_metadata(workdir / "results" / f"chr{chrom}_compiled.parquet")) == tuple(
        tracks
    )

    bins = chromosome_bins(read_bin_map(data / "bins.txt"), chrom)
    coords = read_pdb(data / f"chr{chrom}.pdb")
    features, expected_surface = physical_features(coords)
    rows = bead_map(coords.shape[0], bins, "contacts", data / f"chr{chrom}_list.txt")

    assert compiled.height == bins.height
    assert compiled["start"].to_list() == bins["start"].to_list()
    assert np.array_equal(surface.to_numpy(), expected_surface.points)
    beads = compiled.filter(pl.col("bead").is_not_null())
    assert beads.height == coords.shape[0]
    assert beads["start"].to_list() == bins["start"].to_numpy()[rows].tolist()
    defaults = feature_defaults()
    features["rg_local"] = rg_local(coords, defaults["rg_window"])
    features["neighbours"] = neighbours(coords, defaults["neighbour_radius"])
    for column in ("x", "dist_surface", "dist_com", "dist_rolling_mean", "rg_local", "neighbours"):
        want = np.round(np.asarray(features[column], dtype=np.float64), 4).astype(np.float32)
        assert np.array_equal(beads[column].to_numpy(), want), column
    # the compartments and tracks are the package's, on this chromosome's bins
    gc_values = annotate_from_files(bins, chrom, data / "genome.fa.gz", data / "genes.gtf.gz")["gc_content"]
    planted = compartments(data / f"chr{chrom}_list.txt", bins, gc_values.to_list(), chrom)
    assert compiled["compartment"].to_list() == planted["compartment"].to_list()
    assert compiled["compartment_e1"].equals(planted["compartment_e1"].round(4))
    for name, stat in (("h3k9me3", "mean"), ("lads", "coverage")):
        track = make_track(name, str(EXAMPLE / ("h3k9me3.bw" if stat == "mean" else "lads.bed.gz")), stat)
        assert compiled[name].to_list() == track_per_bin(track, chrom, bins), name
    # every bin without a bead is in the N gap of the example, and keeps its annotations
    empty = compiled.filter(pl.col("bead").is_null())
    assert empty.height >= 6 and (empty["n_fraction"] == 1.0).all()
    annotations = annotate_from_files(bins, chrom, data / "genome.fa.gz", data / "genes.gtf.gz")
    assert compiled["gene_density"].to_list() == annotations["gene_density"].to_list()
    gc = annotations["gc_content"].round(4).cast(pl.Float32)
    assert compiled["gc_content"].equals(gc.alias("gc_content"))


def test_logs_and_benchmarks_per_job_with_the_runs_outputs(example_run):
    workdir, _ = example_run
    for rule in ("fetch_pdb", "compute_physical", "fetch_annotations", "compile"):
        for chrom in ("19", "21", "X"):
            assert (workdir / "results" / "logs" / rule / f"chr{chrom}.log").exists()
            assert (workdir / "results" / "benchmarks" / rule / f"chr{chrom}.tsv").exists()
    assert (workdir / "results" / "logs" / "prepare_genes" / "prepare_genes.log").exists()
    assert not (workdir / "logs").exists() and not (workdir / "benchmarks").exists()


def test_a_run_with_another_outdir_keeps_its_logs_and_benchmarks_there(tmp_path):
    """Two runs from one folder with different outdirs never share (or overwrite) a log."""
    elsewhere = tmp_path / "elsewhere"
    configfile = example_config(tmp_path)
    result = snakemake(tmp_path, "-n", "--config", f"outdir={elsewhere}", configfile=configfile)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    written = re.findall(r"^\s+(log|benchmark): (.+)$", out, re.M)
    assert len([path for kind, path in written if kind == "log"]) == sum(job_counts(out).values()) - 1  # not `all`
    for kind, path in written:
        folder = "logs" if kind == "log" else "benchmarks"
        assert path.startswith(f"{elsewhere}/{folder}/"), (kind, path)


def test_second_run_does_nothing_and_touch_reruns_one_chromosome(example_run):
    workdir, configfile = example_run
    result = snakemake(workdir, "-n", configfile=configfile)
    assert "Nothing to be done" in result.stdout + result.stderr
    structure = workdir / "example" / "chr21.pdb"
    before = structure.stat()
    newest = max(p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file())
    os.utime(structure, ns=(before.st_atime_ns, newest + 10**9))  # newer than every output
    try:
        result = snakemake(workdir, "-n", configfile=configfile)
    finally:
        os.utime(structure, ns=(before.st_atime_ns, before.st_mtime_ns))  # the shared run, as it was
    out = result.stdout + result.stderr
    assert job_counts(out) == {
        "fetch_pdb": 1, "compute_physical": 1, "compile": 1, "figures": 1, "export_structure": 1, "summary": 1,
        "all": 1,
    }  # fmt: skip
    assert "wildcards: chr=21" in out and "chr=19" not in out and "chr=X" not in out


@pytest.mark.parametrize("batch, per_step", [("chromosome", 2), ("dataset", 1)])
def test_dry_run_lists_exactly_the_expected_jobs(tmp_path, batch, per_step):
    """One job per chromosome and step, or (batch: dataset) one per step for both chromosomes."""
    configfile = example_config(tmp_path)
    result = snakemake(tmp_path, "-n", "--config", "chromosomes=21,X", f"batch={batch}", configfile=configfile)
    assert result.returncode == 0, result.stderr
    counts = job_counts(result.stdout + result.stderr)
    assert counts == {
        "fetch_pdb": per_step,
        "fetch_bead_map": per_step,
        "fetch_contacts": per_step,
        "fetch_mapping": 1,
        "compute_physical": per_step,
        "fetch_annotations": per_step,
        "compile": per_step,
        "figures": per_step,
        "export_structure": per_step,
        "summary": 1,
        "prepare_genes": 1,
        "all": 1,
    }


def test_a_run_without_chromosome_figures_plans_no_figures_job_and_nothing_else_less(tmp_path):
    """report.chromosome_figures: false drops the figures rule's jobs and outputs; every other job is planned."""
    report = {"colour_by": "dist_surface", "chromosome_figures": False}
    result = snakemake(
        tmp_path, "-n", "--config", "chromosomes=21,X", configfile=example_config(tmp_path, report=report)
    )
    assert result.returncode == 0, result.stderr
    counts = job_counts(result.stdout + result.stderr)
    assert "figures" not in counts and counts["summary"] == 1 and counts["export_structure"] == 2
    assert counts["compile"] == counts["compute_physical"] == counts["fetch_annotations"] == 2
    assert "_tracks.png" not in result.stdout + result.stderr


def test_batched_by_dataset_the_example_writes_the_same_files_byte_for_byte(module_run, example_results):
    """batch: dataset runs each per-chromosome step once for every chromosome: the same outputs as the session's
    run (batch: chromosome), byte for byte (tables, figures, mmCIF, zips); one log and benchmark per batch job.
    The run is the module test's (:func:`module_run`): the shipped config it reads sets batch: dataset (a run of
    its own, the example with ``--config batch=dataset``, checked nothing more)."""
    folder, result = module_run
    assert yaml.safe_load((folder / "config" / "config.yaml").read_text())["batch"] == "dataset"
    assert result.returncode == 0, result.stdout + result.stderr
    assert sum(job_counts(result.stdout + result.stderr).values()) == 12  # 21 + 1 (all) with batch: chromosome
    mine, reference = outputs(folder / "results"), outputs(example_results / "results")
    assert len(mine) >= 30 and mine == reference
    assert {p.suffix for p in mine} >= {".parquet", ".png", ".cif", ".zip", ".tsv"}
    for path in mine:
        assert (folder / "results" / path).read_bytes() == (example_results / "results" / path).read_bytes(), path
    for rule in ("fetch_pdb", "compute_physical", "fetch_annotations", "compile", "figures", "export_structure"):
        assert sorted(p.name for p in (folder / "results" / "logs" / rule).iterdir()) == ["all.log"], rule
        assert (folder / "results" / "benchmarks" / rule / "all.tsv").exists(), rule
    log = (folder / "results" / "logs" / "compile" / "all.log").read_text()
    assert all(f"chr{c}: " in log for c in ("19", "21", "X")), log


def test_default_config_from_the_repository_plans_the_example():
    result = forked_snakemake.run(["--profile", str(PROFILE), "-n"], cwd=REPO)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert "Nothing to be done" in out or job_counts(out)["compile"] == 1  # batch: dataset, the 3 chromosomes in one


def test_what_a_run_writes_in_the_repository_is_ignored_by_git():
    """The README's commands write results/ and `--report report.html` in the repository: neither is tracked."""
    for path in ("results/chr21_compiled.parquet", "report.html", ".snakemake/log/x.log"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0, path


def test_lint_is_clean():
    result = forked_snakemake.run(["--lint"], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "override,message",
    [
        ("chromosome=21", "unknown key(s) 'chromosome' (did you mean 'chromosomes'?)"),
        ("chromosomes=0", "config key 'chromosomes': '0' is not a human chromosome"),
        ("chromosomes=23", "'23' is not accepted; name sex chromosomes X and Y"),
        ("chromosomes=21,chr21", "chromosome 21 is listed twice"),
        ("legacy=maybe", "config key 'legacy': 'maybe' is not a boolean"),
        ("surface={mode: inside}", "config key 'surface.mode': 'inside' is not one of all, exterior"),
    ],
)
def test_bad_config_values_stop_with_one_clear_sentence(tmp_path, override, message):
    configfile = example_config(tmp_path)
    result = snakemake(tmp_path, "-n", "--config", override, configfile=configfile)
    assert result.returncode != 0
    assert "Configuration error: " in result.stderr + result.stdout
    assert message in result.stderr + result.stdout


def test_missing_structure_names_the_file(tmp_path):
    configfile = example_config(tmp_path)
    (tmp_path / "example" / "chrX.pdb").unlink()
    result = snakemake(tmp_path, "-n", configfile=configfile)
    assert result.returncode != 0
    assert "structures.path" in result.stderr + result.stdout and "chrX.pdb" in result.stderr + result.stdout


def test_bad_structure_fails_at_fetch_with_its_own_message(tmp_path):
    # the broken chromosome alone (the others' jobs would only run until the failure stops the run)
    configfile = example_config(tmp_path, chromosomes=["21"])
    (tmp_path / "example" / "chr21.pdb").write_text("<html><body>404 Not Found</body></html>\n")
    result = snakemake(tmp_path, configfile=configfile)
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "fetch_pdb" / "chr21.log").read_text()
    assert "no ATOM records" in log and "HTML page" in log
    assert not (tmp_path / "results" / "structures" / "chr21.parquet").exists()


def test_a_bad_structure_fails_its_batch_job_naming_the_chromosome(tmp_path):
    """batch: dataset: the failing chromosome is named in the batch job's log, the others are still staged, and
    the job fails; Snakemake then removes the failed job's outputs, every chromosome's (config/README.md)."""
    configfile = example_config(tmp_path, chromosomes=["21", "X"], batch="dataset")
    (tmp_path / "example" / "chr21.pdb").write_text("<html><body>404 Not Found</body></html>\n")
    result = snakemake(tmp_path, configfile=configfile)
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "fetch_pdb" / "all.log").read_text()
    assert "fetch_pdb chr21: " in log and "no ATOM records" in log, log
    assert "chrX: " in log and "fetch_pdb: 1 of 2 chromosomes failed: chr21" in log, log
    assert not list((tmp_path / "results" / "structures").glob("*.parquet"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def gsdb_server():
    """GSDB's files (the real chr1 and chr21 structures, the bin map) on 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(GSDB))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def gsdb_config(workdir, base):
    """Structures and the bin map by URL templates (structures.url, mapping), not by GSDB identifiers."""
    config = {
        "chromosomes": list(range(1, 23)),
        "assembly": "GRCh37",
        "structures": {"path": "not-downloaded/chr{chr}.pdb", "url": f"{base}/chr{{chr}}.pdb"},
        "mapping": f"{base}/GSE105544_ENCFF010WBP_mapping.txt",
        "bead_map": {"source": "sequential"},
        "annotations": {"source": "ensembl"},
        "outdir": "results",
    }
    path = workdir / "gsdb.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_real_config_fetches_structures_over_http(tmp_path, gsdb_server):
    configfile = gsdb_config(tmp_path, gsdb_server)
    targets = ["results/physical/chr1_physical.parquet", "results/physical/chr21_physical.parquet"]
    result = snakemake(tmp_path, *targets, configfile=configfile)
    assert result.returncode == 0, result.stdout + result.stderr
    for chrom in ("1", "21"):
        table = pl.read_parquet(tmp_path / "results" / "physical" / f"chr{chrom}_physical.parquet")
        features, _ = physical_features(read_pdb(GSDB / f"chr{chrom}.pdb"))
        assert np.array_equal(table["dist_surface"].to_numpy(), features["dist_surface"])
        staged_path = tmp_path / "results" / "structures" / f"chr{chrom}.parquet"
        staged = tables.read("structure", staged_path)
        assert np.array_equal(staged.select("x", "y", "z").to_numpy(), read_pdb(GSDB / f"chr{chrom}.pdb"))
        source = (GSDB / f"chr{chrom}.pdb").read_bytes()
        assert tables.read_metadata(staged_path)["sha256"] == hashlib.sha256(source).hexdigest()
    again = snakemake(tmp_path, *targets, "-n", configfile=configfile)
    assert "Nothing to be done" in again.stdout + again.stderr


def test_real_config_missing_url_is_a_clear_error(tmp_path, gsdb_server):
    configfile = gsdb_config(tmp_path, gsdb_server)
    result = snakemake(tmp_path, "results/physical/chr2_physical.parquet", "-n", configfile=configfile)
    assert result.returncode != 0
    assert f"{gsdb_server}/chr2.pdb" in result.stdout + result.stderr


def test_real_config_local_file_takes_precedence(tmp_path, gsdb_server):
    configfile = gsdb_config(tmp_path, gsdb_server)
    config = yaml.safe_load(configfile.read_text())
    config["structures"]["path"] = str(GSDB / "chr{chr}.pdb")
    config["structures"]["url"] = "http://127.0.0.1:9/unreachable/chr{chr}.pdb"
    configfile.write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "results/physical/chr21_physical.parquet", configfile=configfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_user_config_never_inherits_the_example_inputs(tmp_path):
    """A config file is the whole config: what it leaves out is named, not taken from the example."""
    (tmp_path / "chr21.pdb").write_bytes((GSDB / "chr21.pdb").read_bytes())
    config = {"chromosomes": [21], "mapping": str(GSDB / "GSE105544_ENCFF010WBP_mapping.txt"), "outdir": "out",
              "assembly": "GRCh37",
              "structures": {"path": str(tmp_path / "chr{chr}.pdb")}}  # fmt: skip
    configfile = tmp_path / "mine.yaml"
    configfile.write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "-n", configfile=configfile)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "annotations.source 'files' needs annotations.fasta" in out
    assert "bead_map: set bead_map.path (local files) or bead_map.url" in out
    assert "Job stats" not in out and not (tmp_path / "out").exists()
    # with the inputs named, it plans its own chromosome only, on its own inputs
    config["bead_map"] = {"source": "sequential"}
    config["annotations"] = {
        "source": "table",
        "table": str(REPO / "tests/data/nextflow-2026-02/chr{chr}_annotations.csv"),
    }
    config["legacy"] = True
    configfile.write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "-n", "--printshellcmds", configfile=configfile)
    assert result.returncode == 0, result.stdout + result.stderr
    assert job_counts(result.stdout + result.stderr)["compile"] == 1
    assert "resources/example" not in result.stdout + result.stderr


def test_without_a_config_file_the_example_runs_from_any_directory(tmp_path):
    result = forked_snakemake.run(["-s", str(SNAKEFILE), "-n", "--cores", "1"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert job_counts(result.stdout + result.stderr)["compile"] == 1  # the shipped config's batch: dataset


#: A user's Snakefile that uses the workflow as a module, as snakedeploy writes it (with a local path
#: instead of github(...): the tests are offline).
MODULE_SNAKEFILE = """\
configfile: "config/config.yaml"


module chromapipe:
    snakefile:
        "{snakefile}"
    config:
        config


use rule * from chromapipe
"""


def user_folder(root, profiles=("local",)):
    """A user's folder outside the repository: their Snakefile (the module), config/config.yaml, profiles."""
    folder = root / "analysis"
    (folder / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "config.yaml", folder / "config" / "config.yaml")
    for name in profiles:
        shutil.copytree(REPO / "profiles" / name, folder / "profiles" / name)
    (folder / "Snakefile").write_text(MODULE_SNAKEFILE.format(snakefile=SNAKEFILE))
    return folder


def outputs(results, chromosomes=None):
    """Every output file under ``results`` (not the logs and benchmarks), optionally of some chromosomes only."""
    found = sorted(p.relative_to(results) for p in results.rglob("*") if p.is_file())
    found = [p for p in found if p.parts[0] not in ("logs", "benchmarks")]
    if chromosomes:
        found = [p for p in found if re.search(rf"chr({'|'.join(chromosomes)})[_.]", p.name)]
    return found


@pytest.fixture(scope="module")
def module_run(tmp_path_factory):
    """The example as a module from a user's folder (:func:`user_folder`, the shipped config: batch: dataset), run
    once for the two tests that check it: ``(folder, result)``."""
    folder = user_folder(tmp_path_factory.mktemp("module"))
    return folder, forked_snakemake.run(["--profile", "profiles/local"], cwd=folder, timeout=900)


def test_as_a_module_from_another_folder_the_example_equals_a_run_in_the_repository(module_run, example_results):
    """`module chromapipe: ... config: config` + `use rule * from chromapipe`, run from the user's folder with the
    user's own config/config.yaml: the example's bundled inputs, schemas and resources come from the module."""
    folder, result = module_run
    assert result.returncode == 0, result.stdout + result.stderr
    mine, reference = outputs(folder / "results"), outputs(example_results / "results")
    assert len(mine) >= 30 and mine == reference
    for path in mine:
        assert (folder / "results" / path).read_bytes() == (example_results / "results" / path).read_bytes(), path
    assert (
        folder / "results" / "logs" / "compile" / "all.log"
    ).exists()  # the logs are the user's too (batch: dataset)


class _CountingHandler(_QuietHandler):
    """Serves a folder and counts the GET requests of each path."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.gets[self.path] = self.server.gets.get(self.path, 0) + 1
        super().do_GET()


@pytest.mark.slow
def test_tracks_given_by_url_are_downloaded_once_for_every_chromosome(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    for name in ("h3k9me3.bw", "lads.bed.gz"):
        shutil.copy(EXAMPLE / name, served / name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_CountingHandler, directory=served))
    server.gets = {}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        tracks = [
            {"name": "h3k9me3", "path": f"{base}/h3k9me3.bw"},
            {"name": "lads", "path": f"{base}/lads.bed.gz", "stat": "count"},
        ]
        configfile = example_config(tmp_path, chromosomes=["21", "X"], tracks=tracks, compartments=False, report={})
        targets = [f"results/annotations/chr{c}_annotations.parquet" for c in ("21", "X")]
        result = snakemake(tmp_path, *targets, configfile=configfile)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        server.shutdown()
        server.server_close()
    assert server.gets == {"/h3k9me3.bw": 1, "/lads.bed.gz": 1}  # two chromosomes, one download each
    bins = read_bin_map(tmp_path / "example" / "bins.txt")
    for chrom in ("21", "X"):
        table = tables.read("annotations", tmp_path / "results" / "annotations" / f"chr{chrom}_annotations.parquet")
        assert table.columns[-2:] == ["h3k9me3", "lads"] and table.schema["lads"] == pl.Int64
        chrom_bins = chromosome_bins(bins, chrom)
        for name, local, stat in (("h3k9me3", "h3k9me3.bw", "mean"), ("lads", "lads.bed.gz", "count")):
            expected = track_per_bin(make_track(name, str(EXAMPLE / local), stat), chrom, chrom_bins)
            assert table[name].to_list() == expected, (chrom, name)
