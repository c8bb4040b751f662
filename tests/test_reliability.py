"""Reliability: bad inputs, interruption, concurrency, combined network faults, security.

Every bad input is run through the command line the issues name as contracts and
must give exit status 2, a message naming the file (and line, or key) and what was
expected, and no output file.
"""

import gzip
import hashlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

import forked_snakemake
from chromapipe.formats.pdb import format_pdb
from chromapipe.synthetic import random_walk
from conftest import GSDB, LEAN_CHROMOSOMES, MAPPING, REFERENCE, run_cli, run_cli_measured
from ensembl_server import EnsemblTestServer, Fault, arrival_bound
from s3_server import MotoServer, aws_env
from test_workflow import EXAMPLE, LEAN, REPO, SNAKEFILE, example_config, snakemake

GOOD_PDB = (GSDB / "chr21.pdb").read_text()


def atom(serial, resseq, x=1.0, y=2.0, z=3.0):
    return f"ATOM  {serial:>5d}   CA MET A{resseq:<4}    {x:8.3f}{y:8.3f}{z:8.3f}  0.20 10.00\n"


def pdb_lines(*atoms):
    return "3DMAX\n" + "".join(atoms) + "END\n"


def replace_line(n, new):
    lines = GOOD_PDB.splitlines(keepends=True)
    lines[n - 1] = new
    return "".join(lines)


PDB_CASES = {
    "empty": ("", None, "no ATOM records"),
    "html error page": ("<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n", None, "HTML page"),
    "truncated mid-line": (GOOD_PDB[: GOOD_PDB.index("ATOM     10") + 35], 11, "looks truncated"),
    "nan coordinate": (replace_line(5, atom(4, 4, x=float("nan"))), 5, "is not finite"),
    "inf coordinate": (replace_line(5, atom(4, 4, y=float("inf"))), 5, "is not finite"),
    "non-numeric coordinate": (replace_line(5, atom(4, 4).replace("   1.000", "   1,000")), 5, "is not a number"),
    "duplicate residue": (replace_line(5, atom(4, 3)), 5, "residue number 3 is duplicated"),
    "missing residue": (replace_line(5, atom(4, 5)), 5, "residue number 5 is not consecutive: expected 4"),
    "zero beads": ("HEADER x\nCONECT    1    2\nEND\n", None, "no ATOM records"),
    "one bead": (pdb_lines(atom(1, 1)), None, "has 1 bead: the surface needs at least two beads"),
    "two identical beads": (pdb_lines(atom(1, 1), atom(2, 2)), None, "every bond has length zero"),
    "all beads identical": (pdb_lines(*[atom(i, i) for i in range(1, 60)]), None, "every bond has length zero"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(PDB_CASES))
def test_bad_structures(tmp_path, case):
    text, line, message = PDB_CASES[case]
    pdb = tmp_path / "chr21.pdb"
    pdb.write_text(text)
    out = tmp_path / "out"
    result = run_cli("physical", pdb, "--chr", "21", "--outdir", out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(pdb) in result.stderr and message in result.stderr, result.stderr
    if line:
        assert f"line {line}:" in result.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_9999_beads_work_within_memory(tmp_path):
    pdb = tmp_path / "big.pdb"
    pdb.write_text(format_pdb(random_walk(9999, seed=1)))
    result, peak_mb = run_cli_measured("physical", pdb, "--chr", "1", "--outdir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert pl.read_parquet(tmp_path / "chr1_physical.parquet").height == 9999
    assert peak_mb < 1024, peak_mb
    # a 10,000th bead cannot be numbered in PDB's four residue columns: refused at its own line
    (tmp_path / "10000.pdb").write_text(format_pdb(random_walk(10000, seed=1)))
    too_many = run_cli("physical", tmp_path / "10000.pdb", "--chr", "1", "--outdir", tmp_path / "x")
    assert too_many.returncode == 2, too_many.stderr
    assert "line 10001: residue number 1000 is duplicated or out of order: expected 10000" in too_many.stderr


def annotations_cli(tmp_path, mapping, chrom="21", fasta=None, gtf=None):
    return run_cli(
        "annotations", "--chr", chrom, "--mapping", mapping, "--outdir", tmp_path / "out", "--source", "files",
        "--fasta", fasta or EXAMPLE / "genome.fa.gz", "--gtf", gtf or EXAMPLE / "genes.gtf.gz",
    )  # fmt: skip


BIN_MAP_CASES = {
    "missing chromosome": ("1 19 1 500000\n", None, "chromosome 21 has no bins in the bin map (it has: 19)"),
    "overlapping bins": ("1 21 1 500000\n2 21 400001 900000\n", 2, "overlaps the previous bin"),
    "unsorted bins": ("1 21 500001 1000000\n2 21 1 500000\n", 2, "are not sorted"),
    "non-integer field": ("1 21 1 5e5\n", 1, "must be integers"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BIN_MAP_CASES))
def test_bad_bin_maps(tmp_path, case):
    text, line, message = BIN_MAP_CASES[case]
    mapping = tmp_path / "bins.txt"
    mapping.write_text(text)
    result = annotations_cli(tmp_path, mapping)
    assert result.returncode == 2, result.stderr
    assert str(mapping) in result.stderr and message in result.stderr, result.stderr
    if line:
        assert f"line {line}:" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_x_as_23_and_as_name(tmp_path):
    rows = [r for r in EXAMPLE.joinpath("bins.txt").read_text().splitlines() if r.split()[1] == "23"]
    for name, text in (("numbers", rows), ("names", [re.sub(r"\t 23 \t", "\t X \t", r) for r in rows])):
        mapping = tmp_path / f"{name}.txt"
        mapping.write_text("\n".join(text) + "\n")
        result = annotations_cli(tmp_path / name, mapping, chrom="X")
        assert result.returncode == 0, result.stderr
    a = pl.read_parquet(tmp_path / "numbers" / "out" / "chrX_annotations.parquet")
    assert a.equals(pl.read_parquet(tmp_path / "names" / "out" / "chrX_annotations.parquet")) and a.height == 72


def compile_cli(tmp_path, bead_map):
    return run_cli(
        "compile", "--chr", "21", "--outdir", tmp_path / "out", "--mapping", MAPPING, "--bead-map", bead_map,
        "--physical", REFERENCE / "chr21_physical.csv", "--surface", REFERENCE / "chr21_surface.csv",
        "--annotations", REFERENCE / "chr21_annotations.csv",
    )  # fmt: skip


@pytest.mark.slow
def test_bad_contact_lists(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    off_grid = tmp_path / "off.txt"
    off_grid.write_text("".join(f"{250_001 + i * 500_000}\t{750_001 + i * 500_000}\t1\n" for i in range(73)))
    few = tmp_path / "few.txt"
    few.write_text("1\t500001\t1\n500001\t1000001\t2\n")
    for path, message in (
        (empty, "the contact list is empty"),
        (off_grid, "are not bin starts of the bin map (e.g. 250001"),
        (few, "the structure has 74 beads but the contact list"),
    ):
        result = compile_cli(tmp_path, f"contacts:{path}")
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and str(path) in result.stderr, result.stderr
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.slow
def test_bad_reference_files(tmp_path):
    mapping = EXAMPLE / "bins.txt"
    other = tmp_path / "other.fa"
    other.write_text(">chr7\nACGT\n")
    result = annotations_cli(tmp_path, mapping, fasta=other)
    assert (
        result.returncode == 2
        and "chromosome 21 is not in the FASTA (looked for 21 or chr21; it has chr7)" in result.stderr
    )
    plain_gzip = tmp_path / "genome.fa.gz"
    plain_gzip.write_bytes(gzip.compress(b">21\nACGT\n"))
    result = annotations_cli(tmp_path, mapping, fasta=plain_gzip)
    assert result.returncode == 2 and "recompress it with 'bgzip'" in result.stderr and str(plain_gzip) in result.stderr
    gtf = tmp_path / "genes.gtf"
    gtf.write_text('chr9\tx\tgene\t1\t10\t.\t+\t.\tgene_id "g";\n')
    result = annotations_cli(tmp_path, mapping, gtf=gtf)
    assert result.returncode == 2 and "chromosome 21 does not occur in the GTF/GFF3" in result.stderr
    assert not (tmp_path / "out").exists()
    # the naming mismatch itself is handled: the example's FASTA says chr21, its GTF says 21
    assert annotations_cli(tmp_path / "ok", mapping).returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "args,message",
    [
        # (unknown keys and bad chromosome names: test_workflow's bad config values)
        (("--config", "chromosomes=chrY"), "structures.path (chrY)"),
        (("--set-resources", "compute_physical:mem_mb=-5"), "which is not a positive integer"),
        (("--config", "outdir=../elsewhere"), "'../elsewhere' leaves the working directory"),
    ],
)
def test_bad_config(tmp_path, args, message):
    configfile = example_config(tmp_path)
    result = snakemake(tmp_path, "-n", *args, configfile=configfile)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr, result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


# -- interruption --------------------------------------------------------------------------------


def final_outputs(workdir):
    """The run's outputs (not its logs and benchmarks, which it keeps beside them) and their hashes."""
    root = workdir / "results"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in ("logs", "benchmarks")
    }


#: One chromosome: every rule still runs, two jobs at a time, at a third of the cost of the whole example.
KILLED = LEAN_CHROMOSOMES


@pytest.fixture(scope="module")
def uninterrupted(lean_chr21_results):
    """The outputs of the same run, not interrupted (the session's one run of that config, tests/conftest.py)."""
    return final_outputs(lean_chr21_results)


@pytest.mark.slow
@pytest.mark.parametrize(
    "after",
    # an output whose consumer has yet to run (between jobs: the first and a late one), or a job's log (that
    # job is running); every step writes through the same temporary-then-rename helper (chromapipe.io)
    ["results/structures/chr21.parquet", "results/logs/compute_physical/chr21.log", "results/chr21_compiled.parquet"],
)  # fmt: skip
def test_killed_run_resumes_to_identical_outputs(tmp_path, uninterrupted, after):
    configfile = example_config(tmp_path, chromosomes=KILLED, **LEAN)
    command = [
        "-s", str(SNAKEFILE), "--directory", str(tmp_path), "--profile", str(REPO / "profiles" / "local"),
        "--cores", "2", "--configfile", str(configfile),
    ]  # fmt: skip
    # (a forked run is in a process group of its own, as start_new_session=True puts a subprocess)
    run = forked_snakemake.popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = tmp_path / after
    while not target.exists() and run.poll() is None:
        time.sleep(0.01)
    # the kill lands on a live run that has reached the marker, never on one that already ended
    assert run.poll() is None, f"the run ended (status {run.returncode}) before it could be killed after {after}"
    os.killpg(run.pid, signal.SIGKILL)  # the run and the job it is running, at once
    assert run.wait() == -signal.SIGKILL, f"the run ended by itself (status {run.returncode}), not by the kill"
    # nothing half-written is left under a final name: temporary files only ever carry a .tmp suffix
    for path in (tmp_path / "results").rglob("*"):
        if path.is_file() and not path.name.endswith(".tmp") and "logs" not in path.parts:  # a live job's log: empty
            assert path.stat().st_size > 0, path
    forked_snakemake.run([*command, "--unlock"], check=True)
    resumed = snakemake(tmp_path, "--cores", "2", configfile=configfile)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    outputs = {k: v for k, v in final_outputs(tmp_path).items() if not k.endswith(".tmp")}
    assert outputs == uninterrupted


# -- concurrency and network faults ---------------------------------------------------------------


def cache_is_sound(cache):
    import json

    entries = [p for p in Path(cache).rglob("*.json")]
    assert entries
    for path in entries:
        entry = json.loads(path.read_text())
        payload = json.dumps(entry["payload"], sort_keys=True).encode()
        assert hashlib.sha256(payload).hexdigest() == entry["sha256"], path
    return len(entries)


@pytest.mark.slow
def test_two_annotation_jobs_share_the_cache_at_once(genome, tmp_path):
    with EnsemblTestServer(genome, max_rps=None) as server:
        # each job's first gene request is answered only once the other job has asked for genes too, so
        # the two overlap whatever the scheduler does; then slow answers, not errors
        server.faults += [
            Fault("/overlap/region/human/19:", status=None, until="/overlap/region/human/X:"),
            Fault("/overlap/region/human/X:", status=None, until="/overlap/region/human/19:"),
            Fault("/overlap/region/human", status=None, delay=0.05, times=None),
        ]
        cache = tmp_path / "cache"
        configfile = example_config(
            tmp_path, chromosomes=["19", "X"], assembly="GRCh37", **LEAN,
            annotations={"source": "ensembl", "host": server.url, "cache": str(cache), "max_rps": 8, "batch_size": 5},
        )  # fmt: skip
        result = snakemake(tmp_path, "--cores", "2", "--until", "fetch_annotations", configfile=configfile)
        assert result.returncode == 0, result.stdout + result.stderr
        spans = {}
        for chrom in ("19", "X"):
            # the overlap requests name their chromosome; sequence POSTs do not, so they are left out;
            # positions in the server's log (the order requests arrived in), not times
            order = [
                i for i, (_, _, path, _) in enumerate(server.log) if path.startswith(f"/overlap/region/human/{chrom}:")
            ]
            spans[chrom] = (min(order), max(order))
        assert server.max_per_second() <= arrival_bound(8, clients=2)  # see arrival_bound: 8 + 1 per job
    (a0, a1), (b0, b1) = spans["19"], spans["X"]
    assert a0 < b1 and b0 < a1, "the two jobs did not overlap"
    assert cache_is_sound(cache) > 20


#: What a Snakemake run prints when S3 is unreachable.
S3_DOWN = re.compile(
    r"Could not connect to the endpoint URL|EndpointConnectionError|Connection (refused|reset|was closed)"
)


@pytest.mark.slow
def test_flapping_rest_and_restarted_s3_then_a_rerun_completes(genome, tmp_path, example_results):
    import io

    with EnsemblTestServer(genome, max_rps=None) as rest, MotoServer() as moto:
        s3 = moto.client("s3")
        s3.create_bucket(Bucket="flaky", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        rest.faults += [
            Fault("/overlap/region/human/19:", status=503, times=3),
            Fault("/sequence/region/human", status=500, times=2),
        ]
        workdir = tmp_path / "run"
        workdir.mkdir()
        # one chromosome: the faults are per request and per job, and chr19 meets all of them
        configfile = example_config(
            workdir, chromosomes=["19"], assembly="GRCh37",
            annotations={"source": "ensembl", "host": rest.url, "cache": str(tmp_path / "cache"), "batch_size": 10},
        )  # fmt: skip
        args = ["--default-storage-provider", "s3", "--default-storage-prefix", "s3://flaky/run",
                "--storage-s3-endpoint-url", moto.url]  # fmt: skip
        command = [
            "-s", str(SNAKEFILE), "--directory", str(workdir), "--profile", str(REPO / "profiles" / "local"),
            "--configfile", str(configfile), *args, "--cores", "1",
        ]  # fmt: skip
        run = forked_snakemake.popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=aws_env())
        while s3.list_objects_v2(Bucket="flaky", Prefix="run/results/").get("KeyCount", 0) < 4 and run.poll() is None:
            time.sleep(0.05)
        assert run.poll() is None, "the run ended before S3 went away"
        moto.proxy.stop()  # S3 goes away in the middle of the run ...
        seen = []
        for line in run.stdout:  # ... until the run has met the outage (or ended) ...
            seen.append(line)
            if S3_DOWN.search(line):
                break
        moto.proxy.start()  # ... and comes back: too late for the job that met it
        first = "".join(seen) + run.communicate(timeout=300)[0]
        assert S3_DOWN.search(first), "the run never met the outage:\n" + first[-3000:]
        rerun = snakemake(workdir, *args, "--cores", "2", configfile=configfile, env=aws_env())
        assert rerun.returncode == 0, first[-3000:] + rerun.stdout + rerun.stderr
        assert any(entry[3] == 503 for entry in rest.log) and any(entry[3] == 500 for entry in rest.log)
        body = s3.get_object(Bucket="flaky", Key="run/results/chr19_compiled.parquet")["Body"].read()
        # the same table as the local-files run: every fault on the way left no trace in the numbers
        assert pl.read_parquet(io.BytesIO(body)).equals(
            pl.read_parquet(example_results / "results" / "chr19_compiled.parquet")
        )
        cache_is_sound(tmp_path / "cache")


# -- security ---------------------------------------------------------------------------------------


def tracked_files():
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return [REPO / name for name in listed.stdout.splitlines() if (REPO / name).is_file()]


def test_no_secrets_in_the_repository():
    patterns = [
        re.compile(rb"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
        re.compile(rb"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}"),
        re.compile(rb"-----BEGIN (RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    ]
    for path in tracked_files():
        data = path.read_bytes()
        for pattern in patterns:
            assert not pattern.search(data), (path, pattern.pattern)


def test_tls_verification_is_never_turned_off_and_inputs_are_never_evaluated():
    code = [p for p in tracked_files() if p.suffix in (".py", ".smk", ".yaml", ".yml") or p.name == "Snakefile"]
    forbidden = [
        rb"verify\s*=\s*False", rb"verify:\s*false", rb"_create_unverified_context", rb"CERT_NONE",
        rb"PYTHONHTTPSVERIFY", rb"\beval\(", rb"\bexec\(", rb"pickle\.load", rb"yaml\.load\(", rb"shell=True",
    ]  # fmt: skip
    for path in code:
        if path.name == Path(__file__).name:
            continue
        data = path.read_bytes()
        for pattern in forbidden:
            assert not re.search(pattern, data), (path, pattern)


def test_the_container_runs_as_a_non_root_user():
    dockerfile = (REPO / "containers" / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
