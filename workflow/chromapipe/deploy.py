"""Deployment settings, read from the Snakemake profiles: the one source of truth.

``workflow/resources.yaml`` declares each rule's threads, memory and time once
(the rules read it);
``profiles/aws/config.yaml`` holds the AWS deployment (bucket, prefix, region,
queue, job role, image, time-out), ``profiles/slurm/config.yaml`` the SLURM one
(partition, account) and ``profiles/local/config.yaml`` the local one. Everything
else that needs these values (the workflow's default container, the generated
Nextflow config) reads them from there through :func:`deployment`,
:func:`job_resources` and :func:`slurm`, so no value is typed twice.
"""

import ast
import os
from dataclasses import dataclass

from .errors import InputError

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: The repository's profiles folder (beside workflow/).
PROFILES = os.path.join(_REPO, "profiles")
#: Every rule's threads and resources (the rules read it; so does the Nextflow config).
RESOURCES_FILE = os.path.join(_REPO, "workflow", "resources.yaml")
#: The rules that are the Nextflow pipeline's processes and run as cluster jobs: their
#: threads and resources are the generated Nextflow config's one ``process`` scope.
NEXTFLOW_JOBS = ("compute_physical", "compile")


def load_profile(path):
    """A Snakemake profile's ``config.yaml``, evaluated the way Snakemake evaluates it (YTE)."""
    import yte

    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "config.yaml")
    try:
        with open(path, encoding="utf-8") as handle:
            return yte.process_yaml(handle, require_use_yte=True) or {}
    except OSError as exc:
        raise InputError(f"cannot read profile: {exc.strerror}", path) from None
    except Exception as exc:  # yte/yaml errors
        raise InputError(f"cannot evaluate profile: {exc}", path) from None


@dataclass(frozen=True)
class JobResources:
    """What one cluster job asks for: CPUs, memory (MB) and time (minutes)."""

    cpus: int
    memory_mb: int
    runtime_min: int


def rule_resources(profile=None):
    """``{rule: {"threads": n, "mem_mb": m, "runtime": minutes}}`` from ``workflow/resources.yaml``.

    Raises
    ------
    InputError
        The profile sets a key other than ``set-threads`` and ``set-resources`` (it would
        override the general profile's), or a rule lacks one of the three values.
    """
    profile = profile or RESOURCES_FILE
    values = load_profile(profile)
    extra = sorted(set(values) - {"set-threads", "set-resources"})
    if extra:
        raise InputError(
            f"the resources file holds set-threads and set-resources only, not {', '.join(extra)}",
            profile,
        )
    threads = values.get("set-threads") or {}
    resources = values.get("set-resources") or {}
    rules = {}
    for rule in sorted(set(threads) | set(resources)):
        declared = {"threads": threads.get(rule), **(resources.get(rule) or {})}
        for key in ("threads", "mem_mb", "runtime"):
            if not isinstance(declared.get(key), int) or declared[key] < 1:
                raise InputError(f"rule {rule}: {key} must be a positive integer, got {declared.get(key)!r}", profile)
        rules[rule] = declared
    return rules


def job_resources(profile=None):
    """The one CPU, memory and time value of the Nextflow processes that run as cluster jobs.

    Raises
    ------
    InputError
        A rule of :data:`NEXTFLOW_JOBS` is not declared, or they differ (the Nextflow
        config has one ``process`` scope).
    """
    profile = profile or RESOURCES_FILE
    rules = rule_resources(profile)
    missing = [rule for rule in NEXTFLOW_JOBS if rule not in rules]
    if missing:
        raise InputError(f"no threads and resources declared for {', '.join(missing)}", profile)
    found = {(rules[r]["threads"], rules[r]["mem_mb"], rules[r]["runtime"]) for r in NEXTFLOW_JOBS}
    if len(found) != 1:
        raise InputError(
            f"{', '.join(NEXTFLOW_JOBS)} must ask for the same threads, mem_mb and runtime "
            f"(the Nextflow config's one process scope), got {sorted(found)}",
            profile,
        )
    cpus, memory, runtime = found.pop()
    return JobResources(cpus=cpus, memory_mb=memory, runtime_min=runtime)


@dataclass(frozen=True)
class Slurm:
    """The site settings of the SLURM profile ("" where unset: the cluster's default)."""

    partition: str
    account: str


def slurm(profile=None):
    """The partition and account ``profiles/slurm`` gives every job (from the environment)."""
    profile = profile or os.path.join(PROFILES, "slurm")
    values = load_profile(profile)
    site = values.get("default-resources") or {}

    def value(key):
        # the profile writes them as Python string literals (Snakemake evaluates resources)
        text = site.get(key) or ""
        try:
            return str(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            return str(text)

    return Slurm(partition=value("slurm_partition"), account=value("slurm_account"))


@dataclass(frozen=True)
class Deployment:
    """The settings both the Snakemake AWS profile and the Nextflow config are made of."""

    bucket: str
    prefix: str
    region: str
    queue: str
    job_role: str
    image: str
    cpus: int
    memory_mb: int
    task_timeout: int

    @property
    def storage_prefix(self):
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def work_dir(self):
        """Nextflow's work directory: on the same bucket, beside our prefix."""
        return f"s3://{self.bucket}/work"


def deployment(profile=None, workflow_profile=None):
    """The deployment settings of the AWS profile (``profiles/aws`` by default).

    The vCPU and memory per job are those of :func:`job_resources` (workflow/resources.yaml).

    Raises
    ------
    InputError
        A setting is missing or malformed (e.g. a storage prefix that is not ``s3://``).
    """
    profile = profile or os.path.join(PROFILES, "aws")
    values = load_profile(profile)

    def need(key):
        if key not in values or values[key] in (None, ""):
            raise InputError(f"profile setting '{key}' is missing", profile)
        return values[key]

    prefix = str(need("default-storage-prefix"))
    if not prefix.startswith("s3://"):
        raise InputError(f"default-storage-prefix {prefix!r} must start with s3://", profile)
    bucket, _, key = prefix[len("s3://") :].partition("/")
    jobs = job_resources(workflow_profile)
    return Deployment(
        bucket=bucket,
        prefix=key.strip("/"),
        region=str(need("aws-batch-region")),
        queue=str(need("aws-batch-job-queue")),
        job_role=str(need("aws-batch-job-role")),
        image=str(need("container-image")),
        cpus=jobs.cpus,
        memory_mb=jobs.memory_mb,
        task_timeout=int(values.get("aws-batch-task-timeout", 300)),
    )
