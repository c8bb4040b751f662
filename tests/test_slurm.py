"""The SLURM profile: its settings, and the example on a real one-node SLURM cluster (tests/slurm_cluster.py)."""

import gzip
import io
import re
import shutil
import tarfile
import threading
import time

import pytest
import yaml

import forked_snakemake
from chromapipe import deploy
from chromapipe.errors import InputError
from conftest import LEAN_CHROMOSOMES
from slurm_cluster import SlurmCluster
from test_workflow import EXAMPLE, LEAN, REPO, example_config, job_counts, outputs, snakemake, user_folder

SLURM_PROFILE = REPO / "profiles" / "slurm"
# the tests' clusters answer at once: the first status check soon after a submission, the next ones at
# least once a second (quick_polls=True: tests/quick_polls.py; the plugin's own back-off reaches 180 s)
FAST = ("--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5")
SITE_VARIABLES = ("CHROMAPIPE_SLURM_PARTITION", "CHROMAPIPE_SLURM_ACCOUNT", "CHROMAPIPE_SLURM_ACCOUNT_REQUIRED")


@pytest.fixture
def no_site(monkeypatch):
    for name in SITE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def distinctive_resources(rules):
    """Threads, mem_mb and runtime that no two rules share and that differ from the shipped file's; the rules
    of the Nextflow config's one process scope (deploy.NEXTFLOW_JOBS) share theirs, as the workflow requires."""
    groups = sorted({deploy.NEXTFLOW_JOBS if rule in deploy.NEXTFLOW_JOBS else (rule,) for rule in rules})
    values = {}
    for i, group in enumerate(groups):
        values |= {rule: {"threads": 17 + i, "mem_mb": 1001 + 17 * i, "runtime": 61 + 7 * i} for rule in group}
    return values


def clone_with_resources(root, resources):
    """A copy of the workflow (and the profiles it reads) whose workflow/resources.yaml gives ``resources``;
    its Snakefile."""
    for folder in ("workflow", "profiles"):
        shutil.copytree(REPO / folder, root / "clone" / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    workflow = root / "clone" / "workflow"
    (workflow / "resources.yaml").write_text(yaml.safe_dump({
        "set-threads": {rule: v["threads"] for rule, v in resources.items()},
        "set-resources": {rule: {"mem_mb": v["mem_mb"], "runtime": v["runtime"]} for rule, v in resources.items()},
    }))  # fmt: skip
    return workflow / "Snakefile"


def planned_jobs(output):
    """``(rule, threads, {resource: value})`` of every job a dry run lists (no threads line: one thread)."""
    jobs = []
    for block in re.split(r"^\[[^\]\n]+\]$", output, flags=re.M):
        head = re.match(r"\s*(?:local)?rule (\w+):\n", block)
        if not head:
            continue
        threads = re.search(r"^\s+threads: (\d+)$", block, re.M)
        resources = re.search(r"^\s+resources: (.*)$", block, re.M)
        values = dict(re.findall(r"(\w+)=([^,]+)", resources.group(1))) if resources else {}
        jobs.append((head.group(1), int(threads.group(1)) if threads else 1, values))
    return jobs


def sheet_with_a_gsdb_archive(workdir):
    """A datasets sheet: a GSDB row with a local archive (fetch_dataset) beside local files
    (compare_datasets), with an unindexed FASTA (prepare_fasta). Its config file."""
    for name in ("genes.gtf.gz", "chr21.pdb", "chr21_list.txt", "bins.txt"):
        shutil.copy(EXAMPLE / name, workdir / name)
    (workdir / "genome.fa.gz").write_bytes(gzip.compress(gzip.decompress((EXAMPLE / "genome.fa.gz").read_bytes())))
    with tarfile.open(workdir / "GSE105544_ENCFF010WBP.tar.gz", "w:gz") as archive:
        for member in ("VC/chr21_list.txt", "VC/GSE105544_ENCFF010WBP_mapping.txt"):
            info = tarfile.TarInfo(member)
            info.size = 6
            archive.addfile(info, io.BytesIO(b"1\t2\t3\n"))
    rows = [
        ["dataset", "gsdb_id", "gsdb_filename", "gsdb_algorithm", "gsdb_archive", "structures", "bead_map",
         "bead_map_path", "mapping", "assembly"],
        ["gsdb", "AX9716PF", "GSE105544_ENCFF010WBP", "3DMax", "GSE105544_ENCFF010WBP.tar.gz", "", "", "", "", ""],
        ["local", "", "", "", "", "chr{chr}.pdb", "contacts", "chr{chr}_list.txt", "bins.txt", "GRCh37"],
    ]  # fmt: skip
    (workdir / "datasets.tsv").write_text("".join("\t".join(row) + "\n" for row in rows))
    config = {"chromosomes": [21], "datasets": "datasets.tsv", "assembly": "GRCh37",
              "annotations": {"source": "files", "fasta": "genome.fa.gz", "gtf": "genes.gtf.gz"}}  # fmt: skip
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_every_rule_takes_its_threads_and_resources_from_the_one_file(tmp_path):
    """In a copy of the workflow whose resources.yaml gives every rule its own threads, mem_mb and runtime,
    every job of a dry run (the example; a datasets sheet with a GSDB archive) asks for exactly those, also
    under the local profile; every rule Snakemake lists has an entry, and every entry is a rule."""
    wanted = distinctive_resources(deploy.rule_resources())
    snakefile = clone_with_resources(tmp_path, wanted)
    unlimited = ("--cores", "64", "--max-threads", "64")  # the local profile's one thread per job aside
    runs = {"example": tmp_path / "example-run", "sheet": tmp_path / "sheet-run"}
    for workdir in runs.values():
        workdir.mkdir()
    configs = {"example": example_config(runs["example"]), "sheet": sheet_with_a_gsdb_archive(runs["sheet"])}
    targets = {"example": "results/nextflow/nextflow.config", "sheet": "results/local/nextflow/nextflow.config"}
    planned = set()
    for name, workdir in runs.items():
        result = snakemake(workdir, "-n", *unlimited, "all", targets[name], configfile=configs[name],
                           snakefile=snakefile)  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        jobs = planned_jobs(output)
        assert sum(job_counts(output).values()) == len(jobs), output  # every job's block was read
        for job, threads, resources in jobs:
            if job == "all":
                continue
            rule = job.split("__")[0]  # fetch_dataset__NAME: one rule per GSDB row of a sheet
            assert rule in wanted, job  # a rule the file does not name
            got = (threads, int(resources.get("mem_mb", 0)), int(resources.get("runtime", 0)))
            assert got == tuple(wanted[rule][k] for k in ("threads", "mem_mb", "runtime")), (job, resources)
            planned.add(rule)
    listed = snakemake(runs["sheet"], "--list-rules", configfile=configs["sheet"], snakefile=snakefile)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    rules = {line.split("__")[0] for line in listed.stdout.split()} - {"all"}
    assert planned == rules == set(wanted)  # no rule without an entry, no entry without a rule
    for profile in ("slurm", "local", "aws"):
        values = deploy.load_profile(REPO / "profiles" / profile)
        assert not {"set-threads", "set-resources"} & set(values), profile


def test_the_resources_file_holds_nothing_else(tmp_path):
    path = tmp_path / "resources.yaml"
    path.write_text(yaml.safe_dump({"set-threads": {"compile": 2}, "default-resources": {}}))
    with pytest.raises(InputError, match="set-threads and set-resources only, not default-resources"):
        deploy.rule_resources(path)
    path.write_text(yaml.safe_dump({"set-threads": {"compile": 2}}))
    with pytest.raises(InputError, match="rule compile: mem_mb must be a positive integer"):
        deploy.rule_resources(path)


def test_partition_and_account_come_from_the_environment(no_site):
    profile = deploy.load_profile(SLURM_PROFILE)
    assert profile["executor"] == "slurm" and profile["slurm-status-command"] == "squeue"
    assert profile["default-resources"] == {}  # the cluster's default partition, no account
    assert deploy.slurm() == deploy.Slurm(partition="", account="")
    no_site.setenv("CHROMAPIPE_SLURM_PARTITION", "short")
    no_site.setenv("CHROMAPIPE_SLURM_ACCOUNT", "lab-42")
    assert deploy.load_profile(SLURM_PROFILE)["default-resources"] == {
        "slurm_partition": "'short'",
        "slurm_account": "'lab-42'",
    }  # Python literals: Snakemake evaluates resource values
    assert deploy.slurm() == deploy.Slurm(partition="short", account="lab-42")


def test_a_site_that_needs_an_account_stops_without_one(no_site):
    no_site.setenv("CHROMAPIPE_SLURM_ACCOUNT_REQUIRED", "1")
    with pytest.raises(InputError, match="set CHROMAPIPE_SLURM_ACCOUNT"):
        deploy.load_profile(SLURM_PROFILE)
    no_site.setenv("CHROMAPIPE_SLURM_ACCOUNT", "lab-42")
    assert deploy.slurm().account == "lab-42"


@pytest.mark.slow
def test_a_missing_required_account_is_the_first_line_snakemake_prints(no_site, tmp_path):
    """The stop comes before Snakemake's own parser: no usage text ahead of it, status 1."""
    no_site.setenv("CHROMAPIPE_SLURM_ACCOUNT_REQUIRED", "1")
    result = snakemake(tmp_path, "-n", configfile=example_config(tmp_path), profile=SLURM_PROFILE)
    assert result.returncode == 1, result.stdout + result.stderr
    # only Snakemake's "Using profile ..." before it, then the one line
    lines = [line for line in result.stderr.splitlines() if line and not line.startswith("Using profile ")]
    assert lines[0].startswith("Configuration error: this site needs a SLURM account"), result.stderr
    assert "usage:" not in result.stdout + result.stderr and len(lines) == 1, result.stderr


# --------------------------------------------------------------------------- on a real SLURM


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = SlurmCluster.missing()
    if missing:
        pytest.skip(f"Debian's slurm-wlm and munge packages are not installed (missing: {', '.join(missing)})")
    with SlurmCluster(tmp_path_factory.mktemp("slurm")) as running:
        yield running


def in_background(function, *args, **kwargs):
    """Run ``function`` in a thread; ``join()`` returns its result."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function(*args, **kwargs)))
    thread.start()

    def join():
        thread.join()
        return result[0]

    return join


# A bash start-up file (BASH_ENV) that holds the first compute_physical step to start inside a
# SLURM job (its script, step.py, run by the nested Snakemake of a job whose targets include
# compute_physical), until the test cancels the
# job: the job is deterministically mid-run when it is cancelled. mkdir is atomic: one job only.
HOLD = """\
if [ -n "${{SLURM_JOB_ID-}}" ]; then
  case "${{BASH_EXECUTION_STRING-}}" in
    *step.py*)
      if tr '\\0' ' ' < /proc/$PPID/cmdline | grep -q compute_physical && mkdir {folder}/held 2>/dev/null; then
        touch {folder}/started.$SLURM_JOB_ID
        while [ ! -e {folder}/release ]; do sleep 0.1; done
      fi ;;
  esac
fi
"""


@pytest.mark.slow
def test_a_cancelled_job_fails_the_run_a_rerun_completes_and_equals_a_local_run(
    cluster, tmp_path, no_site, lean_chr21_results
):
    """One chromosome's group job is cancelled mid-run: the run fails, naming it; the rerun submits only what
    is missing, and every Parquet file then equals a local run's (the session's one run of the same config,
    tests/conftest.py) byte for byte. Submissions are counted."""
    local_dir, slurm_dir, hold = lean_chr21_results, tmp_path / "slurm", tmp_path / "hold"
    for folder in (slurm_dir, hold):
        folder.mkdir()
    (hold / "hold.sh").write_text(HOLD.format(folder=hold))
    env = {**cluster.env, "BASH_ENV": str(hold / "hold.sh")}
    chromosomes = LEAN_CHROMOSOMES
    configfile = example_config(slurm_dir, chromosomes=chromosomes, **LEAN)
    before = cluster.submissions()
    # --retries 0: the profile's one retry would only repeat the cancel; --keep-going: the other
    # chromosome's group completes, so the submissions are counted exactly
    run = in_background(snakemake, slurm_dir, *FAST, "--retries", "0", "--keep-going", configfile=configfile,
                        env=env, profile=SLURM_PROFILE, quick_polls=True)  # fmt: skip
    while not list(hold.glob("started.*")):
        assert (hold / "hold.sh").exists()
        time.sleep(0.2)
    job = next(hold.glob("started.*")).suffix[1:]
    cluster.run("scancel", job)
    result = run()
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "Error in group chromosome" in out, out
    assert f"*** JOB {job} ON node1 CANCELLED AT" in out, out  # the job's SLURM log, shown in the run's output
    assert cluster.submissions() - before == len(chromosomes)  # one group job per chromosome
    assert not (slurm_dir / "results" / "summary" / "summary.parquet").exists()

    (hold / "release").touch()
    rerun = snakemake(slurm_dir, *FAST, configfile=configfile, env=env, profile=SLURM_PROFILE, quick_polls=True)
    out = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, out
    assert cluster.submissions() - before == len(chromosomes) + 2  # the cancelled chromosome again, the summary
    assert "group_chromosome_compile_compute_physical_" in out  # the plugin's log folder of a group (its rules, sorted)
    parquet = sorted(p.relative_to(local_dir) for p in (local_dir / "results").rglob("*.parquet"))
    assert len(parquet) >= 9  # staged tables, physical, surface, annotations, compiled per chromosome, summary
    assert parquet == sorted(p.relative_to(slurm_dir) for p in (slurm_dir / "results").rglob("*.parquet"))
    for path in parquet:
        assert (slurm_dir / path).read_bytes() == (local_dir / path).read_bytes(), path


#: The chromosomes of :func:`module_run`: two, so that its one group job holding both shows the batching.
MODULE_CHROMOSOMES = ["19", "21"]


@pytest.fixture(scope="module")
def module_run(cluster, tmp_path_factory):
    """The workflow as a module on the cluster, `--profile profiles/slurm` copied into the user's folder, with
    the shipped config/config.yaml (``batch: dataset``) on chromosomes 19 and 21: ``(folder, result, submissions)``.
    One run that both tests below check (the module's outputs and the dataset's one submission)."""
    folder = user_folder(tmp_path_factory.mktemp("module"), profiles=("slurm",))
    before = cluster.submissions()
    result = forked_snakemake.run(
        ["--profile", "profiles/slurm", *FAST, "--config", f"chromosomes=[{','.join(MODULE_CHROMOSOMES)}]"],
        cwd=folder, timeout=900, quick_polls=True,
        env={k: v for k, v in cluster.env.items() if k not in SITE_VARIABLES},  # as the no_site fixture leaves it
    )  # fmt: skip
    return folder, result, cluster.submissions() - before


@pytest.mark.slow
def test_as_a_module_with_the_slurm_profile_in_the_users_folder(module_run, example_results):
    """The workflow as a module, `--profile profiles/slurm` copied into the user's folder: chromosomes 19 and
    21's outputs, made on the cluster, equal the repository's local run of the example byte for byte."""
    folder, result, submissions = module_run
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert submissions == 2  # the group job of the dataset (here chromosomes 19 and 21) and the summary
    mine = outputs(folder / "results", chromosomes=MODULE_CHROMOSOMES)
    assert len(mine) >= 18 and mine == outputs(example_results / "results", chromosomes=MODULE_CHROMOSOMES)
    for path in mine:
        assert (folder / "results" / path).read_bytes() == (example_results / "results" / path).read_bytes(), path


@pytest.mark.slow
def test_batched_by_dataset_one_submission_holds_every_chromosome(module_run, example_results):
    """batch: dataset (the shipped config's, which the module run reads): the profile's group holds the
    dataset's one job of each step, every chromosome: two submissions (that group job and the summary) instead
    of three (a group job per chromosome and the summary); the outputs equal the local run of the example byte
    for byte. (The module run of the test above: a run of its own checked nothing more, for another ~40 s.)"""
    folder, result, submissions = module_run
    config = yaml.safe_load((folder / "config" / "config.yaml").read_text())
    assert config["batch"] == "dataset" and len(MODULE_CHROMOSOMES) == 2
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert submissions == 2  # batch: chromosome: len(MODULE_CHROMOSOMES) + 1
    mine = outputs(folder / "results", chromosomes=MODULE_CHROMOSOMES)
    assert len(mine) >= 18 and mine == outputs(example_results / "results", chromosomes=MODULE_CHROMOSOMES)
    for path in mine:
        assert (folder / "results" / path).read_bytes() == (example_results / "results" / path).read_bytes(), path
