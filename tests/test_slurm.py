"""The SLURM profile: its settings, and the example on a real one-node SLURM cluster (tests/slurm_cluster.py)."""

import re
import threading
import time

import pytest
import yaml

from chromapipe import deploy
from chromapipe.errors import InputError
from slurm_cluster import SlurmCluster
from test_workflow import REPO, example_config, snakemake

SLURM_PROFILE = REPO / "profiles" / "slurm"
# the tests' clusters answer at once: the first status check soon after a submission
FAST = ("--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5")
SITE_VARIABLES = ("CHROMAPIPE_SLURM_PARTITION", "CHROMAPIPE_SLURM_ACCOUNT", "CHROMAPIPE_SLURM_ACCOUNT_REQUIRED")


@pytest.fixture
def no_site(monkeypatch):
    for name in SITE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def workflow_rules():
    rules = set()
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        rules |= set(re.findall(r"^rule (\w+):", path.read_text(), re.M))
    return rules


def test_every_rule_declares_its_resources_once_in_the_workflow_profile():
    declared = deploy.rule_resources()
    assert set(declared) == workflow_rules()
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        assert not re.search(r"^\s+(threads|resources):", path.read_text(), re.M), path
    for profile in ("slurm", "local"):
        values = deploy.load_profile(REPO / "profiles" / profile)
        assert not {"set-threads", "set-resources"} & set(values), profile


def test_workflow_profile_may_not_override_other_keys(tmp_path):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"set-threads": {"compile": 2}, "default-resources": {}}))
    with pytest.raises(InputError, match="only set set-threads and set-resources, not default-resources"):
        deploy.rule_resources(tmp_path)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"set-threads": {"compile": 2}}))
    with pytest.raises(InputError, match="rule compile: mem_mb must be a positive integer"):
        deploy.rule_resources(tmp_path)


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


@pytest.mark.slow
def test_example_on_slurm_equals_a_local_run(cluster, tmp_path, no_site):
    local_dir, slurm_dir = tmp_path / "local", tmp_path / "slurm"
    local_dir.mkdir()
    slurm_dir.mkdir()
    before = cluster.submissions()
    # the local reference runs beside the SLURM run, which mostly waits for status checks
    # two of the example's chromosomes keep the test short on a 2-core machine
    local = in_background(snakemake, local_dir, configfile=example_config(local_dir, chromosomes=[21, "X"]))
    configfile = example_config(slurm_dir, chromosomes=[21, "X"])
    result = snakemake(slurm_dir, *FAST, configfile=configfile, env=cluster.env, profile=SLURM_PROFILE)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    reference = local()
    assert reference.returncode == 0, reference.stdout + reference.stderr

    parquet = sorted(p.relative_to(local_dir) for p in (local_dir / "results").rglob("*.parquet"))
    assert len(parquet) >= 11  # physical, surface, annotations, compiled, surface per chromosome, summary
    assert parquet == sorted(p.relative_to(slurm_dir) for p in (slurm_dir / "results").rglob("*.parquet"))
    for path in parquet:
        assert (slurm_dir / path).read_bytes() == (local_dir / path).read_bytes(), path
    # one sbatch job per chromosome (compute_physical, compile and figures grouped) and one for the summary
    chromosomes = yaml.safe_load(configfile.read_text())["chromosomes"]
    assert cluster.submissions() - before == len(chromosomes) + 1
    assert {state for _, state in cluster.jobs().values()} == {"COMPLETED"}
    assert "group_chromosome_compile_compute_physical_figures" in out  # the plugin's log folder of a group


# A bash start-up file (BASH_ENV) that holds the compute_physical command of a job, inside
# the SLURM job, until the test either cancels the job or creates the release file: the
# job is deterministically mid-run when it is cancelled. It leaves a marker per SLURM job.
HOLD = """\
case "${{BASH_EXECUTION_STRING-}}" in
  *"chromapipe.cli physical"*)
    if [ ! -e {folder}/release ]; then
      touch {folder}/started.$SLURM_JOB_ID
      while [ ! -e {folder}/release ]; do sleep 0.1; done
    fi ;;
esac
"""


@pytest.mark.slow
def test_a_cancelled_job_fails_the_run_and_a_rerun_completes(cluster, tmp_path, no_site):
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / "hold.sh").write_text(HOLD.format(folder=hold))
    env = {**cluster.env, "BASH_ENV": str(hold / "hold.sh")}
    configfile = example_config(tmp_path, chromosomes=[21])
    target = "results/physical/chr21_physical.parquet"
    before = cluster.submissions()

    thread_result = []
    run = threading.Thread(
        target=lambda: thread_result.append(
            snakemake(tmp_path, target, *FAST, configfile=configfile, env=env, profile=SLURM_PROFILE)
        )
    )
    run.start()
    cancelled = []
    for attempt in (1, 2):  # the profile retries a failed job once: cancel both attempts
        while len(list(hold.glob("started.*"))) < attempt:
            assert run.is_alive(), f"the run ended before attempt {attempt} started"
            time.sleep(0.2)
        job = next(p.suffix[1:] for p in hold.glob("started.*") if p.suffix[1:] not in cancelled)
        cluster.run("scancel", job)
        cancelled.append(job)
    run.join()
    result = thread_result[0]
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "Error in group chromosome" in out, out
    for job in cancelled:  # each attempt's SLURM log, shown in the run's output
        assert f"*** JOB {job} ON node1 CANCELLED AT" in out, out
    assert not (tmp_path / target).exists()
    assert cluster.submissions() - before == 2

    (hold / "release").touch()
    rerun = snakemake(tmp_path, target, *FAST, configfile=configfile, env=env, profile=SLURM_PROFILE)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert (tmp_path / target).exists()
    assert cluster.submissions() - before == 3
