"""The AWS profile, run for real against stand-ins on 127.0.0.1.

S3 is moto's server (tests/s3_server.py). AWS Batch is tests/batch_server.py: it
answers the executor plugin's five Batch calls and *runs* each job's container
command (``/bin/bash -c CMD``) in a fresh empty folder, with only the job
definition's environment plus the job role's credentials, and with a ``pip`` that
cannot reach any package index. ``snakemake --profile profiles/aws`` runs the
example end to end through both. What no test here can show is how real AWS Batch
schedules, places and networks the containers (see the README).
"""

import io
import json
import re
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import boto3
import polars as pl
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

import forked_snakemake
from batch_server import BatchStandIn
from chromapipe import deploy
from chromapipe.errors import InputError
from conftest import LEAN_CHROMOSOMES
from s3_server import FAKE_CREDENTIALS, MotoServer, aws_env
from test_workflow import LEAN, REPO, example_config, job_counts, snakemake

AWS_PROFILE = REPO / "profiles" / "aws"
BUCKET = "chromapipe-test"
REGION = "us-west-2"
QUEUE = "chromapipe-test-queue"
ROLE = "arn:aws:iam::123456789012:role/chromapipe-test-job"
CHROMOSOMES = ("19", "21", "X")
RESULTS = [f"results/chr{c}_{k}.parquet" for c in CHROMOSOMES for k in ("compiled", "surface")]
RESULTS += [f"results/figures/chr{c}_{n}.png" for c in CHROMOSOMES for n in ("tracks", "structure", "correlation")]
RESULTS += [f"results/summary/summary.{k}" for k in ("tsv", "parquet", "png")]
#: The submitter's own credentials (moto takes any): what must never reach a job definition.
SUBMITTER = {
    "AWS_ACCESS_KEY_ID": "SUBMITTERS-OWN-KEY-ID",
    "AWS_SECRET_ACCESS_KEY": "submitters-own-secret-key",
    "AWS_SESSION_TOKEN": "submitters-own-session-token",
}
# what a job role gives a Batch job: credentials, and no configuration file
JOB_ROLE_ENV = {**FAKE_CREDENTIALS, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}

pytestmark = pytest.mark.slow  # moto's server and Snakemake


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        server.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield server


def job_env(moto):
    """What every stand-in Batch job gets besides its definition's variables: the S3 endpoint, the role."""
    return {**JOB_ROLE_ENV, "AWS_ENDPOINT_URL_S3": moto.url}


def deployment_env(moto, batch=None, **extra):
    env = aws_env(
        CHROMAPIPE_BUCKET=BUCKET, CHROMAPIPE_QUEUE=QUEUE, CHROMAPIPE_JOB_ROLE=ROLE, CHROMAPIPE_REGION=REGION,
        AWS_ENDPOINT_URL_S3=moto.url, AWS_ENDPOINT_URL_BATCH=batch.url if batch else "http://127.0.0.1:9",
    )  # fmt: skip
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def s3_args(moto, prefix):
    return [
        "--default-storage-provider", "s3", "--default-storage-prefix", f"s3://{BUCKET}/{prefix}",
        "--storage-s3-endpoint-url", moto.url,
    ]  # fmt: skip


def keys(moto, prefix=""):
    pages = moto.client("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def body(moto, key):
    return moto.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()


def checkout(workdir):
    """What a user runs from: the repository's workflow, config and profiles, tracked by git."""
    for name in ("workflow", "config", "profiles"):
        shutil.copytree(REPO / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    configfile = example_config(workdir)
    subprocess.run(["git", "init", "-q"], cwd=workdir, check=True)
    subprocess.run(["git", "add", "workflow", "config", "profiles"], cwd=workdir, check=True)
    return configfile


def aws_run(workdir, *args, env, configfile="config.yaml", timeout=600):
    """``snakemake --profile profiles/aws`` from the checkout (the jobs get its sources, not its path); the
    plugin checks the stand-in's jobs at least once a second, not every 5 s (tests/quick_polls.py)."""
    command = ["--profile", "profiles/aws", "--configfile", configfile, *args]
    return forked_snakemake.run(command, cwd=workdir, env=env, timeout=timeout, quick_polls=True)


@pytest.fixture(scope="module")
def local_run(example_results):
    return example_results  # the session's one local run of the example


@pytest.fixture(scope="module")
def batch_run(moto, tmp_path_factory):
    """The example on the Batch stand-in, with chr21's first job lost (as a Spot instance can be)."""
    workdir = tmp_path_factory.mktemp("checkout")
    checkout(workdir)
    root = tmp_path_factory.mktemp("batch")
    with BatchStandIn(root, job_env(moto), python_bin=Path(sys.executable).parent) as batch:
        batch.fail(r"compute_physical:chr=21", times=1)
        env = deployment_env(moto, batch, CHROMAPIPE_PREFIX="batch", **SUBMITTER)
        result = aws_run(workdir, "--latency-wait", "5", env=env)
    return workdir, batch, result


@pytest.mark.slow
def test_each_batch_jobs_snakemake_was_forked_from_the_workers_server(batch_run):
    """The stand-in's jobs ran their commands' ``python -m snakemake`` (two a job: the sources' deployment, then
    the job) as forks of the worker's preloaded Snakemake (tests/batch_server.py), each one."""
    _, batch, result = batch_run
    assert result.returncode == 0, result.stderr
    ran = [j for j in batch.jobs.values() if j.status == "SUCCEEDED"]
    snakemakes = sum(j.command[-1].count("python -m snakemake ") for j in ran)
    assert snakemakes >= 2 * len(ran)
    assert batch.relay.relayed == (snakemakes if forked_snakemake.ENABLED else 0)  # CHROMAPIPE_TEST_FORKS=0: exec'd


@pytest.mark.slow
def test_the_example_runs_on_batch_and_every_result_equals_a_local_runs(moto, batch_run, local_run):
    _, batch, result = batch_run
    out = result.stdout + result.stderr
    assert result.returncode == 0, out + "\n".join(j.output for j in batch.jobs.values())
    for path in RESULTS:
        assert body(moto, f"batch/{path}") == (local_run / path).read_bytes(), path
    stored = keys(moto)
    assert deploy.MARKER in stored  # written once, outside the run's prefix
    assert not [k for k in stored if "snakemake-workflow-sources" in k]  # the source archive is cleaned up


@pytest.mark.slow
def test_one_batch_job_per_chromosome_plus_the_summary_and_a_lost_job_is_resubmitted(batch_run):
    _, batch, result = batch_run
    assert result.returncode == 0, result.stderr
    jobs = list(batch.jobs.values())
    succeeded = [j for j in jobs if j.status == "SUCCEEDED"]
    per_chromosome = {c: [j for j in succeeded if f"compute_physical:chr={c}'" in j.command[-1]] for c in CHROMOSOMES}
    assert {c: len(js) for c, js in per_chromosome.items()} == {c: 1 for c in CHROMOSOMES}
    for c, (job,) in per_chromosome.items():  # the chromosome's three rules in that one job
        assert f"'compile:chr={c}'" in job.command[-1] and f"'figures:chr={c}'" in job.command[-1]
    assert len(succeeded) == len(CHROMOSOMES) + 1  # and the summary: 4 Batch jobs (10 without groups)
    failed = [j for j in jobs if j.status == "FAILED"]
    assert len(failed) == 1 and "compute_physical:chr=21" in failed[0].command[-1]
    assert failed[0].reason.startswith("Host EC2")


@pytest.mark.slow
def test_batched_by_dataset_one_batch_job_holds_every_chromosome(moto, tmp_path, local_run):
    """batch: dataset: the profile's group holds the dataset's one job of each step, every chromosome: two Batch
    jobs (that group job and the summary) instead of four (one per chromosome and the summary); the results equal
    a local run's."""
    import yaml

    workdir, root = tmp_path / "checkout", tmp_path / "batch"
    workdir.mkdir(), root.mkdir()
    configfile = checkout(workdir)
    configfile.write_text(yaml.safe_dump({**yaml.safe_load(configfile.read_text()), "batch": "dataset"}))
    # the one run whose jobs' Snakemake is exec'd in a fresh interpreter, as in the image (the others' is forked
    # from the worker's preloaded one: tests/batch_server.py, tests/test_forked_snakemake.py)
    with BatchStandIn(root, job_env(moto), python_bin=Path(sys.executable).parent, forked=False) as batch:
        result = aws_run(workdir, "--latency-wait", "5", env=deployment_env(moto, batch, CHROMAPIPE_PREFIX="batched"))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out + "\n".join(j.output for j in batch.jobs.values())
    jobs = list(batch.jobs.values())
    assert len(jobs) == 2 and all(j.status == "SUCCEEDED" for j in jobs)  # batch: chromosome: len(CHROMOSOMES) + 1
    (group,) = [j for j in jobs if "compute_physical:" in j.command[-1]]  # no chr wildcard: every chromosome
    assert "compile:" in group.command[-1] and "export_structure:" in group.command[-1]
    assert "chr=" not in group.command[-1]
    for path in RESULTS:
        assert body(moto, f"batched/{path}") == (local_run / path).read_bytes(), path


@pytest.mark.slow
def test_batch_jobs_install_nothing_and_are_told_the_region(batch_run):
    _, batch, _ = batch_run
    assert batch.pip_calls() == []  # the profile's precommand made pip a no-op in every job
    for job in batch.jobs.values():
        if job.status != "SUCCEEDED":
            continue
        command = job.command[-1]
        assert job.command[:2] == ["/bin/bash", "-c"]
        assert "pip install --target" in command  # what the plugin asks for ...
        assert "storage plugins come from the image, skipped" in job.output  # ... and what happened instead
        assert job.environment["SNAKEMAKE_STORAGE_S3_REGION"] == REGION
        assert not re.search(r"(^|[\s;&|(])aws\s", command), command  # never the AWS CLI
        assert not (job.workdir / ".snakemake" / "pip-deployments").exists()


@pytest.mark.slow
def test_job_definitions_carry_the_profiles_settings(batch_run):
    _, batch, result = batch_run
    expected = deploy.deployment()
    assert batch.definitions
    sizes = set()
    for definition in batch.definitions.values():
        props = definition["containerProperties"]
        assert props["image"] == expected.image and props["jobRoleArn"] == ROLE
        sizes.add(tuple(sorted((r["type"], r["value"]) for r in props["resourceRequirements"])))
        assert definition["timeout"] == {"attemptDurationSeconds": 3600}
        assert "is invalid for vCPU" not in result.stdout + result.stderr  # no size lowered by the plugin
        assert definition["status"] == "INACTIVE"  # deregistered after the job
    # a chromosome's group job: 2 vCPU, 4 GB (workflow/resources.yaml); the summary: 1 vCPU, Batch's smallest 2 GB
    assert sizes == {(("MEMORY", "4096"), ("VCPU", "2")), (("MEMORY", "2048"), ("VCPU", "1"))}
    assert {j.queue for j in batch.jobs.values()} == {QUEUE}


@pytest.mark.slow
def test_no_job_definition_holds_a_credential(batch_run):
    """The submitter ran with its own keys in its environment: none reaches a registered job definition."""
    _, batch, result = batch_run
    assert result.returncode == 0, result.stderr
    assert batch.definitions
    for definition in batch.definitions.values():
        text = json.dumps(definition)
        for value in (*SUBMITTER.values(), *FAKE_CREDENTIALS.values()):
            assert value not in text or value == REGION, value
        names = [e["name"] for e in definition["containerProperties"].get("environment", [])]
        assert not [n for n in names if re.search(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL", n)], names


def test_a_batch_job_cannot_install_from_a_package_index(tmp_path):
    """The control: without the profile's precommand, the plugin's first step fails in these jobs."""
    with BatchStandIn(tmp_path, JOB_ROLE_ENV, python_bin=Path(sys.executable).parent) as batch:
        definition = {"containerProperties": {"environment": [{"name": "PIP_NO_INDEX", "value": "0"}]}}
        env = batch.job_environment(definition)
        result = subprocess.run(
            ["/bin/bash", "-c", "pip install --target .snakemake/pip-deployments snakemake-storage-plugin-s3"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode != 0, result.stdout
        assert batch.pip_calls() == ["install --target .snakemake/pip-deployments snakemake-storage-plugin-s3"]


@pytest.mark.slow
def test_rerun_does_nothing_and_a_replaced_input_reruns_its_chromosome(moto, batch_run):
    workdir, _, result = batch_run
    assert result.returncode == 0, result.stderr
    env = deployment_env(moto, CHROMAPIPE_PREFIX="batch")
    again = aws_run(workdir, "-n", env=env)
    assert "Nothing to be done" in again.stdout + again.stderr, again.stdout + again.stderr
    time.sleep(1.1)  # S3 times have one-second resolution
    key = "batch/results/structures/chr21.parquet"
    moto.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body(moto, key))
    planned = aws_run(workdir, "-n", env=env)
    out = planned.stdout + planned.stderr
    assert job_counts(out) == {"compute_physical": 1, "compile": 1, "figures": 1, "export_structure": 1, "summary": 1,
                               "all": 1}, out  # fmt: skip
    assert "chr=19" not in out and "chr=X" not in out


@pytest.mark.parametrize("variable", ["CHROMAPIPE_BUCKET", "CHROMAPIPE_QUEUE", "CHROMAPIPE_JOB_ROLE"])
def test_each_missing_deployment_variable_is_named(monkeypatch, variable):
    for name, value in {"CHROMAPIPE_BUCKET": BUCKET, "CHROMAPIPE_QUEUE": QUEUE, "CHROMAPIPE_JOB_ROLE": ROLE}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(variable)
    sizes = {r: 2 for r in (*deploy.BATCH_GROUP, "summary")}, {r: 4096 for r in (*deploy.BATCH_GROUP, "summary")}
    with pytest.raises(InputError, match=rf"^{variable} is not set: an AWS run needs"):
        deploy.run_checks("s3", f"s3://{BUCKET}/x", None, True, *sizes, dryrun=True)


@pytest.mark.slow
def test_a_missing_deployment_variable_stops_the_run_before_any_submission(moto, tmp_path):
    variable = "CHROMAPIPE_BUCKET"  # the others take the same path (above); without it there is no prefix either
    checkout(tmp_path)
    with BatchStandIn(tmp_path / "batch", job_env(moto), python_bin=Path(sys.executable).parent) as batch:
        before = keys(moto)
        result = aws_run(tmp_path, env=deployment_env(moto, batch, CHROMAPIPE_PREFIX="half", **{variable: None}))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    errors = [line for line in out.splitlines() if line.startswith("Configuration error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Configuration error: {variable} is not set"), out
    assert batch.calls == [] and keys(moto) == before  # nothing submitted, nothing stored
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_the_local_profile_needs_no_deployment_variable(tmp_path):
    result = snakemake(tmp_path, "-n", configfile=example_config(tmp_path), env=aws_env())
    assert result.returncode == 0, result.stderr
    assert "Configuration error" not in result.stderr


@pytest.mark.slow
def test_aws_profile_plans_the_expected_jobs(moto, tmp_path):
    checkout(tmp_path)
    result = aws_run(tmp_path, "-n", env=deployment_env(moto, CHROMAPIPE_PREFIX="plan"))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert job_counts(out) == {
        "fetch_pdb": 3, "fetch_bead_map": 3, "fetch_contacts": 3, "fetch_mapping": 1, "compute_physical": 3,
        "fetch_annotations": 3, "compile": 3, "figures": 3, "export_structure": 3, "summary": 1, "prepare_genes": 1,
        "all": 1,
    }  # fmt: skip
    assert "Batch jobs: each chromosome's Batch job 2 vCPU, 4096 MB; the summary's Batch job 1 vCPU, 2048 MB" in out
    assert not [k for k in keys(moto) if k.startswith("plan/")]  # a dry run stores nothing


@pytest.mark.slow
def test_storage_outage_fails_clearly_and_a_rerun_completes(moto, tmp_path, lean_chr21_results):
    """S3 stops in the middle of a run: the run fails naming the connection, a rerun completes and its tables
    equal a local run's. The example's chromosome 21 without its tracks and compartments (test_workflow.LEAN: the
    subject is the storage, not the features), against the session's local run of that config."""
    configfile = example_config(tmp_path, chromosomes=LEAN_CHROMOSOMES, **LEAN)
    local_run = lean_chr21_results
    args = s3_args(moto, prefix="outage")
    command = [
        "-s", str(REPO / "workflow" / "Snakefile"), "--directory", str(tmp_path),
        "--profile", str(REPO / "profiles" / "local"), "--cores", "1", "--configfile", str(configfile), *args,
    ]  # fmt: skip
    run = forked_snakemake.popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=aws_env())
    s3 = moto.client("s3")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if s3.list_objects_v2(Bucket=BUCKET, Prefix="outage/results/").get("KeyCount", 0) >= 2:
            break
        time.sleep(0.05)
    moto.proxy.stop()  # S3 goes away in the middle of the run
    try:
        output, _ = run.communicate(timeout=300)
    finally:
        moto.proxy.start()
    assert run.returncode != 0, output
    assert re.search(r"(Failed to|Unable to|Could not connect|Connection refused|EndpointConnectionError)", output), (
        output
    )
    rerun = snakemake(tmp_path, *args, configfile=configfile, env=aws_env())
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    for path in ("results/chr21_compiled.parquet", "results/chr21_surface.parquet"):
        assert pl.read_parquet(io.BytesIO(body(moto, f"outage/{path}"))).equals(pl.read_parquet(local_run / path))
        meta = pq.read_schema(io.BytesIO(body(moto, f"outage/{path}"))).metadata[b"chromapipe"]
        assert meta == pq.read_schema(local_run / path).metadata[b"chromapipe"]
    stored = [k for k in keys(moto, "outage/results/")]
    assert not [k for k in stored if ".tmp" in k or "incomplete" in k]


# --- the checks, without Snakemake -------------------------------------------------------


def test_profile_values_come_from_the_marked_block_and_environment(monkeypatch):
    for name in (
        "CHROMAPIPE_BUCKET",
        "CHROMAPIPE_QUEUE",
        "CHROMAPIPE_JOB_ROLE",
        "CHROMAPIPE_IMAGE",
        "CHROMAPIPE_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    default = deploy.deployment()
    assert (default.bucket, default.queue, default.job_role) == (None, None, None)  # no placeholders
    assert default.region == "us-west-2" and (default.cpus, default.memory_mb) == (2, 4096)
    with pytest.raises(InputError, match=r"^CHROMAPIPE_BUCKET, CHROMAPIPE_QUEUE and CHROMAPIPE_JOB_ROLE are not set"):
        default.require("bucket", "queue", "job_role")
    monkeypatch.setenv("CHROMAPIPE_BUCKET", "my-bucket")
    monkeypatch.setenv("CHROMAPIPE_QUEUE", "my-queue")
    monkeypatch.setenv("CHROMAPIPE_IMAGE", "example.org/me/chromapipe:1")
    monkeypatch.setenv("CHROMAPIPE_REGION", "eu-central-1")
    custom = deploy.deployment()
    assert custom.storage_prefix == "s3://my-bucket/snakemake"
    assert (custom.queue, custom.image, custom.region) == ("my-queue", "example.org/me/chromapipe:1", "eu-central-1")
    with pytest.raises(InputError, match=r"^CHROMAPIPE_JOB_ROLE is not set"):
        custom.require("bucket", "queue", "job_role")
    profile = deploy.load_profile(AWS_PROFILE)
    assert profile["storage-s3-region"] == profile["aws-batch-region"] == "eu-central-1"
    assert profile["retries"] >= 2
    assert set(profile["groups"]) == set(deploy.BATCH_GROUP) and len(set(profile["groups"].values())) == 1


@pytest.mark.parametrize(
    ("vcpu", "mem", "message"),
    [
        (3, 4096, r"asks for 3 vCPU; AWS Batch accepts 1, 2, 4, 8, 16$"),
        (1, 10000, r"10000 MB with 1 vCPU, which the aws-batch plugin would lower to 2048 MB; .* accepts 2048, 3072, "),
        (2, 5000, r"would lower to 4096 MB; with 2 vCPU it accepts 4096, 5120, .*, 16384 MB$"),
        (16, 50000, r"with 16 vCPU it accepts 32768, 40960, "),
    ],
)
def test_batch_sizes_the_plugin_would_change_are_refused_naming_the_allowed_values(vcpu, mem, message):
    with pytest.raises(InputError, match=message):
        deploy.check_batch_size(vcpu, mem)


def test_batch_sizes_the_plugin_accepts_pass_unchanged_and_too_little_memory_is_raised():
    assert deploy.check_batch_size(2, 4096) == (2, 4096)
    assert deploy.check_batch_size(16, 122880) == (16, 122880)
    assert deploy.check_batch_size(1, 1024) == (1, 2048)  # Batch's smallest for 1 vCPU: more, never less
    assert deploy.check_batch_size(2, 3000) == (2, 4096)  # not in the plugin's table: raised to the smallest
    # in its table but not for 2 vCPU: the plugin fails the submission ("Invalid vCPU value 2 for memory 2048 MB")
    with pytest.raises(InputError, match=r"2048 MB with 2 vCPU, which the aws-batch plugin refuses at submission"):
        deploy.check_batch_size(2, 2048)


def test_a_group_is_sized_by_its_largest_rule_and_a_replaced_profile_size_is_refused(tmp_path):
    threads = {"compute_physical": 2, "compile": 1, "figures": 1, "export_structure": 1, "fetch_pdb": 8}
    mem = {"compute_physical": 3072, "compile": 4096, "figures": 1024, "export_structure": 1024}
    assert deploy.group_size(threads, mem) == (2, 4096)  # fetch_pdb runs on the host, not in the group
    with pytest.raises(InputError, match=r"no threads or mem_mb for figures"):
        deploy.group_size({"compute_physical": 2, "compile": 2}, mem)
    rules = [*deploy.BATCH_GROUP, "summary"]
    same = {r: 2 for r in rules}, {r: 4096 for r in rules}
    # a site that sizes its Batch jobs in the aws profile (set-threads), and a command line that replaces it
    profile = tmp_path / "config.yaml"
    profile.write_text((AWS_PROFILE / "config.yaml").read_text() + "set-threads:\n  compile: 2\n")
    assert deploy.check_profile_sizes(*same, tmp_path) == {
        "each chromosome's Batch job": (2, 4096), "the summary's Batch job": (2, 4096),
    }  # fmt: skip
    replaced = {**same[0], "compile": 1}  # e.g. --set-threads compile=1 on the command line
    with pytest.raises(InputError, match=r"sets threads 2 for compile, but the run would use 1"):
        deploy.check_profile_sizes(replaced, same[1], tmp_path)


def test_without_sizes_in_the_aws_profile_the_sizes_that_apply_are_checked():
    declared = deploy.rule_resources()  # workflow/resources.yaml: what the rules ask for
    threads = {rule: v["threads"] for rule, v in declared.items()}
    mem = {rule: v["mem_mb"] for rule, v in declared.items()} | {"summary": 1024}
    assert deploy.check_profile_sizes(threads, mem, AWS_PROFILE) == {
        "each chromosome's Batch job": (2, 4096), "the summary's Batch job": (1, 2048),
    }  # fmt: skip
    with pytest.raises(InputError, match=r"^the summary's Batch job asks for 9000 MB with 1 vCPU, which"):
        deploy.check_profile_sizes(threads, {**mem, "summary": 9000}, AWS_PROFILE)


def test_the_executor_is_read_from_the_command_line_and_its_profiles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SNAKEMAKE_PROFILE", raising=False)
    assert deploy.executor(["snakemake", "--profile", str(AWS_PROFILE), "-n"]) == "aws-batch"
    assert deploy.executor(["/x/snakemake/__main__.py", "-e", "aws-batch", "-n"]) == "aws-batch"
    assert deploy.executor(["snakemake", "--profile", str(REPO / "profiles" / "local")]) is None
    monkeypatch.setenv("SNAKEMAKE_PROFILE", str(AWS_PROFILE))
    assert deploy.executor(["snakemake"]) == "aws-batch"
    assert deploy.executor(["pytest"]) is None  # not a Snakemake command line


@pytest.fixture
def s3(moto):
    return moto.client("s3")


def fresh_bucket(s3, region=REGION):
    name = f"fresh-{time.time_ns()}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def test_the_marker_is_written_once_outside_the_prefix_and_keeps_the_bucket(s3):
    bucket = fresh_bucket(s3)
    assert deploy.ensure_bucket(s3, bucket, "run", region=REGION) is True
    first = s3.head_object(Bucket=bucket, Key=deploy.MARKER)
    assert deploy.ensure_bucket(s3, bucket, "run", region=REGION) is False  # already there: not written again
    assert s3.head_object(Bucket=bucket, Key=deploy.MARKER)["ETag"] == first["ETag"]
    assert not deploy.MARKER.startswith("run/")
    # what the S3 storage plugin does after removing an object: delete the bucket if it is empty
    s3.put_object(Bucket=bucket, Key="run/results/x", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="run/results/x")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1  # not empty: the plugin keeps the bucket


def test_a_dry_run_checks_the_bucket_but_writes_nothing(s3):
    bucket = fresh_bucket(s3)
    assert deploy.ensure_bucket(s3, bucket, "run", region=REGION, write=False) is False
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_a_missing_bucket_is_refused_not_created(s3):
    with pytest.raises(InputError, match=r"bucket 'chromapipe-typo' does not exist: create it"):
        deploy.ensure_bucket(s3, "chromapipe-typo", "run", region=REGION)
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket="chromapipe-typo")


def test_a_bucket_in_another_region_is_refused(moto):
    east = boto3.client("s3", endpoint_url=moto.url, region_name="eu-central-1", **_credentials())
    bucket = fresh_bucket(east, region="eu-central-1")
    with pytest.raises(InputError, match=rf"bucket '{bucket}' is in eu-central-1, but the run uses region us-west-2"):
        deploy.ensure_bucket(moto.client("s3"), bucket, "run", region=REGION)


def test_a_prefix_that_is_the_marker_is_refused(s3):
    with pytest.raises(InputError, match="marker"):
        deploy.ensure_bucket(s3, BUCKET, deploy.MARKER, region=REGION)


@pytest.mark.slow
def test_access_denied_on_the_bucket_reads_as_denied_naming_the_permission(monkeypatch):
    """On a moto server that checks IAM: a user who may only list the bucket is told which permission it lacks."""
    monkeypatch.setenv("INITIAL_NO_AUTH_ACTION_COUNT", "4")  # the set-up's four calls, then every call is checked
    with MotoServer() as server:
        server.client("s3").create_bucket(Bucket="guarded", CreateBucketConfiguration={"LocationConstraint": REGION})
        iam = server.client("iam")
        iam.create_user(UserName="submitter")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::guarded"}]}  # fmt: skip
        iam.put_user_policy(UserName="submitter", PolicyName="list-only", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="submitter")["AccessKey"]
        s3 = boto3.client(
            "s3", endpoint_url=server.url, region_name=REGION,
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        )  # fmt: skip
        with pytest.raises(InputError) as denied:
            deploy.ensure_bucket(s3, "guarded", "run", region=REGION)
    message = str(denied.value)
    assert message.startswith("access denied to bucket 'guarded' (s3:GetBucketLocation)"), message
    assert "does not exist" not in message


def test_a_job_role_that_is_not_an_iam_role_arn_is_refused_up_front(monkeypatch):
    monkeypatch.setenv("CHROMAPIPE_BUCKET", BUCKET)
    monkeypatch.setenv("CHROMAPIPE_QUEUE", QUEUE)
    sizes = {r: 2 for r in (*deploy.BATCH_GROUP, "summary")}, {r: 4096 for r in (*deploy.BATCH_GROUP, "summary")}
    for role in ("chromapipe-job", "arn:aws:iam::123456789012:user/me", "arn:aws:iam::1234:role/x", ROLE + " "):
        monkeypatch.setenv("CHROMAPIPE_JOB_ROLE", role)
        with pytest.raises(InputError, match=r"^CHROMAPIPE_JOB_ROLE '.*' is not an IAM role ARN: it must look like"):
            deploy.run_checks("s3", f"s3://{BUCKET}/x", None, True, *sizes, dryrun=True)
    for role in (ROLE, "arn:aws-us-gov:iam::123456789012:role/team/chromapipe-job"):
        deploy.check_job_role(role)


@pytest.mark.parametrize("given", [("access_key",), ("secret_key", "token")])
def test_s3_keys_given_to_a_batch_run_are_refused_naming_the_settings(monkeypatch, given):
    for name, value in {"CHROMAPIPE_BUCKET": BUCKET, "CHROMAPIPE_QUEUE": QUEUE, "CHROMAPIPE_JOB_ROLE": ROLE}.items():
        monkeypatch.setenv(name, value)
    sizes = {r: 2 for r in (*deploy.BATCH_GROUP, "summary")}, {r: 4096 for r in (*deploy.BATCH_GROUP, "summary")}
    settings = types.SimpleNamespace(access_key=None, secret_key=None, token=None, region=REGION, endpoint_url=None)
    for name in given:
        setattr(settings, name, "AKIA-SECRET-VALUE")
    with pytest.raises(InputError) as refused:
        deploy.run_checks("s3", f"s3://{BUCKET}/x", settings, True, *sizes, dryrun=True)
    message = str(refused.value)
    assert message.startswith("S3 credentials are given to Snakemake (--storage-s3-"), message
    for name in given:
        assert f"SNAKEMAKE_STORAGE_S3_{name.upper()}" in message
    assert "AKIA-SECRET-VALUE" not in message and "job role (CHROMAPIPE_JOB_ROLE)" in message


@pytest.mark.slow
def test_s3_keys_by_setting_or_variable_stop_a_batch_run_before_any_submission(moto, tmp_path):
    checkout(tmp_path)
    with BatchStandIn(tmp_path / "batch", job_env(moto), python_bin=Path(sys.executable).parent) as batch:
        before = keys(moto)
        by_setting = aws_run(
            tmp_path, "--storage-s3-access-key", "AKIASUBMITTER", "--storage-s3-secret-key", "submitter-secret",
            env=deployment_env(moto, batch, CHROMAPIPE_PREFIX="keys"),
        )  # fmt: skip
        by_variable = aws_run(
            tmp_path, env=deployment_env(moto, batch, CHROMAPIPE_PREFIX="keys", SNAKEMAKE_STORAGE_S3_TOKEN="tok")
        )
    for result, named in ((by_setting, "--storage-s3-access-key"), (by_variable, "SNAKEMAKE_STORAGE_S3_TOKEN")):
        out = result.stdout + result.stderr
        assert result.returncode == 1, out
        errors = [line for line in out.splitlines() if line.startswith("Configuration error:")]
        assert len(errors) == 1 and errors[0].startswith("Configuration error: S3 credentials are given"), out
        assert named in errors[0] and "submitter-secret" not in out
    assert batch.calls == [] and batch.definitions == {} and keys(moto) == before  # nothing registered or stored


def _credentials():
    return {
        "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    }


# --- the image -----------------------------------------------------------------------------


def test_dockerfile_pins_equal_pyproject():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["workflow"]
    pinned = dict(re.findall(r'"?([A-Za-z0-9_.\-\[\]]+)==([^",\s]+)"?', " ".join(pins)))
    dockerfile = (REPO / "containers" / "Dockerfile").read_text()
    in_image = dict(re.findall(r'"([A-Za-z0-9_.\-]+)==([^"]+)"', dockerfile))
    for name, version in in_image.items():
        assert pinned.get(name) == version, (name, version, pinned.get(name))
    for name in ("numpy", "scipy", "polars", "pyarrow", "pyfaidx", "snakemake", "snakemake-storage-plugin-s3"):
        assert name in in_image, name
    constraints = (REPO / "containers" / "constraints.txt").read_text()
    floating = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)$", constraints, re.M))
    assert {"boto3", "botocore", "snakemake-interface-storage-plugins"} <= set(floating)
    assert not set(floating) & set(in_image)  # each version is written once
    assert re.search(r"^FROM python:3\.11-slim@sha256:[0-9a-f]{64}$", dockerfile, re.M)
    assert re.search(r"^USER 1000:1000$", dockerfile, re.M) and "ca-certificates" in dockerfile
    assert "--platform linux/amd64" in dockerfile and "-c /tmp/constraints.txt" in dockerfile
    assert not re.search(r"\bawscli\b|aws-cli", dockerfile)
    assert (REPO / "containers" / "Dockerfile.dockerignore").exists()


def test_no_credentials_and_no_tls_off_in_the_aws_settings():
    text = (AWS_PROFILE / "config.yaml").read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key|verify\s*[:=]\s*false", text, re.I)
    assert not re.search(r"arn:aws:iam::\d{12}", text)  # no placeholder job role either
