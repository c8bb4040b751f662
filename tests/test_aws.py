"""The AWS profile: S3 through snakemake-storage-plugin-s3 and job submission, against moto on 127.0.0.1.

Job execution on real AWS Batch is not exercised here: moto's Batch API accepts
the executor plugin's calls and marks jobs SUCCEEDED without running them, so
these tests check what is submitted (image, vCPU, memory, time-out, command),
not what a Batch instance does with it.
"""

import json
import re
import subprocess
import sys
import time

import polars as pl
import pyarrow.parquet as pq
import pytest

from chromapipe.deploy import deployment
from s3_server import MotoServer, aws_env
from test_workflow import REPO, example_config, job_counts, snakemake

AWS_PROFILE = REPO / "profiles" / "aws"
BUCKET = "chromapipe-test"
PREFIX = "run"
OUTPUTS = [f"results/chr{c}_{k}.parquet" for c in ("19", "21", "X") for k in ("compiled", "surface")]

pytestmark = pytest.mark.slow  # moto's server and Snakemake


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        server.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        yield server


def s3_args(moto, prefix=PREFIX):
    return [
        "--default-storage-provider", "s3", "--default-storage-prefix", f"s3://{BUCKET}/{prefix}",
        "--storage-s3-endpoint-url", moto.url,
    ]  # fmt: skip


def read_object(moto, key):
    import io

    body = moto.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return pl.read_parquet(io.BytesIO(body)), pq.read_schema(io.BytesIO(body)).metadata


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("local")
    configfile = example_config(workdir)
    result = snakemake(workdir, configfile=configfile)
    assert result.returncode == 0, result.stderr
    return workdir


@pytest.fixture(scope="module")
def s3_run(moto, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("s3")
    configfile = example_config(workdir)
    result = snakemake(workdir, *s3_args(moto), configfile=configfile, env=aws_env())
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir, configfile


def test_full_run_through_s3_matches_a_local_run(moto, s3_run, local_run):
    workdir, _ = s3_run
    for output in OUTPUTS:
        ours, meta = read_object(moto, f"{PREFIX}/{output}")
        local = pl.read_parquet(local_run / output)
        assert ours.equals(local), output
        assert meta[b"chromapipe"] == pq.read_schema(local_run / output).metadata[b"chromapipe"]
        assert not (workdir / output).exists()  # the local copy is not kept
    keys = {o["Key"] for o in moto.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]}
    assert f"{PREFIX}/results/structures/chr21.pdb" in keys  # staged by the workflow itself


def test_s3_rerun_does_nothing_and_a_replaced_input_reruns_its_chromosome(moto, s3_run):
    workdir, configfile = s3_run
    again = snakemake(workdir, "-n", *s3_args(moto), configfile=configfile, env=aws_env())
    assert "Nothing to be done" in again.stdout + again.stderr, again.stdout + again.stderr
    time.sleep(1.1)  # S3 times have one-second resolution
    s3 = moto.client("s3")
    key = f"{PREFIX}/results/structures/chr21.pdb"
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    planned = snakemake(workdir, "-n", *s3_args(moto), configfile=configfile, env=aws_env())
    out = planned.stdout + planned.stderr
    assert job_counts(out) == {"compute_physical": 1, "compile": 1, "figures": 1, "summary": 1, "all": 1}, out
    assert "chr=19" not in out and "chr=X" not in out


def test_aws_profile_plans_the_expected_jobs(moto, tmp_path):
    configfile = example_config(tmp_path)
    env = aws_env(CHROMAPIPE_BUCKET=BUCKET, CHROMAPIPE_PREFIX="plan")
    result = snakemake(
        tmp_path, "-n", "--storage-s3-endpoint-url", moto.url, configfile=configfile, env=env, profile=AWS_PROFILE
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert job_counts(result.stdout + result.stderr) == {
        "fetch_pdb": 3, "fetch_bead_map": 3, "fetch_mapping": 1, "compute_physical": 3,
        "fetch_annotations": 3, "compile": 3, "figures": 3, "summary": 1, "all": 1,
    }  # fmt: skip


def test_profile_values_come_from_the_marked_block_and_environment(monkeypatch):
    default = deployment()
    assert (default.bucket, default.region, default.queue) == ("chromapipe-data", "us-west-2", "chromapipe-queue-v4")
    assert (default.cpus, default.memory_mb) == (2, 4096) and default.task_timeout >= 3600
    monkeypatch.setenv("CHROMAPIPE_BUCKET", "my-bucket")
    monkeypatch.setenv("CHROMAPIPE_QUEUE", "my-queue")
    monkeypatch.setenv("CHROMAPIPE_IMAGE", "example.org/me/chromapipe:1")
    custom = deployment()
    assert custom.storage_prefix == "s3://my-bucket/snakemake"
    assert (custom.queue, custom.image) == ("my-queue", "example.org/me/chromapipe:1")


def _batch_environment(moto):
    """A compute environment, queue and job role in moto's Batch (Docker off)."""
    import requests

    requests.post(f"{moto.url}/moto-api/config", json={"batch": {"use_docker": False}}, timeout=10)
    iam, ec2, batch = moto.client("iam"), moto.client("ec2"), moto.client("batch")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    role = iam.create_role(RoleName=f"chromapipe-job-{time.time_ns()}", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    profile = iam.create_instance_profile(InstanceProfileName=f"chromapipe-{time.time_ns()}")["InstanceProfile"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"g{time.time_ns()}", Description="t", VpcId=vpc)["GroupId"]
    name = f"ce-{time.time_ns()}"
    env = batch.create_compute_environment(
        computeEnvironmentName=name, type="MANAGED", state="ENABLED", serviceRole=role,
        computeResources={
            "type": "EC2", "minvCpus": 0, "maxvCpus": 4, "desiredvCpus": 0, "instanceTypes": ["optimal"],
            "subnets": [subnet], "securityGroupIds": [group], "instanceRole": profile,
        },
    )  # fmt: skip
    queue = batch.create_job_queue(
        jobQueueName=f"q-{time.time_ns()}", state="ENABLED", priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}],
    )["jobQueueArn"]  # fmt: skip
    return queue, role


def test_aws_profile_submits_batch_jobs_with_the_profiles_settings(moto, tmp_path):
    queue, role = _batch_environment(moto)
    configfile = example_config(tmp_path)
    env = aws_env(
        CHROMAPIPE_BUCKET=BUCKET, CHROMAPIPE_PREFIX="submit", CHROMAPIPE_QUEUE=queue, CHROMAPIPE_JOB_ROLE=role,
        AWS_ENDPOINT_URL_BATCH=moto.url,
    )  # fmt: skip
    result = snakemake(
        tmp_path, "results/physical/chr21_physical.parquet", "--storage-s3-endpoint-url", moto.url,
        "--latency-wait", "1", configfile=configfile, env=env, profile=AWS_PROFILE, timeout=300,
    )  # fmt: skip
    out = result.stdout + result.stderr
    batch = moto.client("batch")
    jobs = batch.list_jobs(jobQueue=queue, jobStatus="SUCCEEDED")["jobSummaryList"]
    jobs += batch.list_jobs(jobQueue=queue, jobStatus="SUBMITTED")["jobSummaryList"]
    assert jobs, out  # compute_physical was submitted (the fetch rules ran on this host)
    described = batch.describe_jobs(jobs=[j["jobId"] for j in jobs])["jobs"]
    definitions = batch.describe_job_definitions(jobDefinitions=[d["jobDefinition"] for d in described])
    expected = deployment()
    for definition in definitions["jobDefinitions"]:
        props = definition["containerProperties"]
        assert props["image"] == expected.image
        requirements = {r["type"]: r["value"] for r in props["resourceRequirements"]}
        assert requirements == {"VCPU": "2", "MEMORY": "4096"}
        assert definition["timeout"]["attemptDurationSeconds"] == 3600
        assert props["jobRoleArn"] == role
        command = " ".join(props["command"])
        assert "--target-jobs 'compute_physical:chr=21'" in command
        # the workflow sources and all data move through the S3 storage plugin
        assert f"--deploy-sources s3://{BUCKET}/submit/" in command
        assert "--default-storage-provider 's3'" in command
        assert f"--default-storage-prefix 's3://{BUCKET}/submit'" in command
        assert not re.search(r"(^|[\s;&|(])aws\s", command), command  # never the AWS CLI


def test_storage_outage_fails_clearly_and_a_rerun_completes(moto, tmp_path, local_run):
    configfile = example_config(tmp_path)
    args = s3_args(moto, prefix="outage")
    command = [
        sys.executable, "-m", "snakemake", "-s", str(REPO / "workflow" / "Snakefile"), "--directory", str(tmp_path),
        "--profile", str(REPO / "profiles" / "local"), "--cores", "1", "--configfile", str(configfile), *args,
    ]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=aws_env())
    s3 = moto.client("s3")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="outage/results/").get("KeyCount", 0)
        if listed >= 2:
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
    for output_path in OUTPUTS:
        ours, _ = read_object(moto, f"outage/{output_path}")
        assert ours.equals(pl.read_parquet(local_run / output_path)), output_path
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="outage/results/")["Contents"]]
    assert len(keys) == len(set(keys)) and not [k for k in keys if ".tmp" in k or "incomplete" in k]


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
    assert "USER chromapipe" in dockerfile and "ca-certificates" in dockerfile
    assert not re.search(r"\bawscli\b|aws-cli", dockerfile)
    assert (REPO / "containers" / "Dockerfile.dockerignore").exists()


def test_no_credentials_and_no_tls_off_in_the_aws_settings():
    text = (AWS_PROFILE / "config.yaml").read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|aws_secret_access_key|verify\s*[:=]\s*false", text, re.I)
