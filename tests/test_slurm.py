"""The SLURM profile: its settings, and the example on a real one-node SLURM cluster (tests/slurm_cluster.py)."""

import re
import subprocess
import sys
import threading
import time

import pytest
import yaml

from chromapipe import deploy
from chromapipe.errors import InputError
from slurm_cluster import SlurmCluster
from test_workflow import LEAN, REPO, example_config, outputs, snakemake, user_folder

SLURM_PROFILE = REPO / "profiles" / "slurm"
# the tests' clusters answer at once: the first status check soon after a submission
FAST = ("--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5")
SITE_VARIABLES = ("CHROMAPIPE_SLURM_PARTITION", "CHROMAPIPE_SLURM_ACCOUNT", "CHROMAPIPE_SLURM_ACCOUNT_REQUIRED")


@pytest.fixture
def no_site(monkeypatch):
    for name in SITE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def rules_of(text):
    """``rule NAME:`` declarations, and rules generated per dataset (``rule:`` + ``name: f"NAME__..." else "NAME"``)."""
    return set(re.findall(r"^\s*rule (\w+):", text, re.M)) | set(
        re.findall(r"^\s*rule:\s*\n\s*name:\s*\n.*else \"(\w+)\"", text, re.M)
    )


def workflow_rules():
    rules = set()
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        rules |= rules_of(path.read_text())
    return rules


def test_every_rule_reads_its_resources_from_the_one_file():
    declared = deploy.rule_resources()
    assert set(declared) == workflow_rules()
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        text = path.read_text()
        for rule in rules_of(text):
            assert f'threads: RESOURCES["{rule}"]["threads"]' in text, (path, rule)
            assert f'**job_resources("{rule}")' in text, (path, rule)
        assert not re.search(r"^\s+(threads: \d|mem_mb=\d|runtime=\d)", text, re.M), path  # no number restated
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
def test_a_cancelled_job_fails_the_run_a_rerun_completes_and_equals_a_local_run(cluster, tmp_path, no_site):
    """One chromosome's group job is cancelled mid-run: the run fails, naming it; the rerun submits only what
    is missing, and every Parquet file then equals a local run's byte for byte. Submissions are counted."""
    local_dir, slurm_dir, hold = tmp_path / "local", tmp_path / "slurm", tmp_path / "hold"
    for folder in (local_dir, slurm_dir, hold):
        folder.mkdir()
    (hold / "hold.sh").write_text(HOLD.format(folder=hold))
    env = {**cluster.env, "BASH_ENV": str(hold / "hold.sh")}
    chromosomes = [21]
    # the local reference runs beside the SLURM run, which mostly waits for status checks
    local = in_background(snakemake, local_dir, configfile=example_config(local_dir, chromosomes=chromosomes, **LEAN))
    configfile = example_config(slurm_dir, chromosomes=chromosomes, **LEAN)
    before = cluster.submissions()
    # --retries 0: the profile's one retry would only repeat the cancel; --keep-going: the other
    # chromosome's group completes, so the submissions are counted exactly
    run = in_background(snakemake, slurm_dir, *FAST, "--retries", "0", "--keep-going", configfile=configfile,
                        env=env, profile=SLURM_PROFILE)  # fmt: skip
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
    rerun = snakemake(slurm_dir, *FAST, configfile=configfile, env=env, profile=SLURM_PROFILE)
    out = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, out
    assert cluster.submissions() - before == len(chromosomes) + 2  # the cancelled chromosome again, the summary
    assert "group_chromosome_compile_compute_physical_figures" in out  # the plugin's log folder of a group
    reference = local()
    assert reference.returncode == 0, reference.stdout + reference.stderr
    parquet = sorted(p.relative_to(local_dir) for p in (local_dir / "results").rglob("*.parquet"))
    assert len(parquet) >= 9  # staged tables, physical, surface, annotations, compiled per chromosome, summary
    assert parquet == sorted(p.relative_to(slurm_dir) for p in (slurm_dir / "results").rglob("*.parquet"))
    for path in parquet:
        assert (slurm_dir / path).read_bytes() == (local_dir / path).read_bytes(), path


@pytest.mark.slow
def test_as_a_module_with_the_slurm_profile_in_the_users_folder(cluster, tmp_path, no_site, example_results):
    """The workflow as a module, `--profile profiles/slurm` copied into the user's folder: chromosome 21's
    outputs, made on the cluster, equal the repository's local run of the example byte for byte."""
    folder = user_folder(tmp_path, profiles=("slurm",))
    before = cluster.submissions()
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", *FAST, "--config", "chromosomes=[21]"],
        cwd=folder, capture_output=True, text=True, timeout=900, env=cluster.env,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert cluster.submissions() - before == 2  # chromosome 21's group job and the summary
    mine = outputs(folder / "results", chromosomes=["21"])
    assert len(mine) >= 9 and mine == outputs(example_results / "results", chromosomes=["21"])
    for path in mine:
        assert (folder / "results" / path).read_bytes() == (example_results / "results" / path).read_bytes(), path
