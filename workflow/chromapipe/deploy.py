"""Deployment settings, read from the Snakemake profiles: the one source of truth.

``profiles/aws/config.yaml`` holds the AWS deployment (bucket, prefix, region,
queue, job role, image, vCPU and memory per job, time-out) and
``profiles/local/config.yaml`` the local one. Everything else that needs these
values (the workflow's default container, the generated Nextflow config) reads
them from there through :func:`deployment`, so no value is typed twice.
"""

import os
from dataclasses import dataclass

from .errors import InputError

#: The repository's profiles folder (beside workflow/).
PROFILES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "profiles")


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


def deployment(profile=None):
    """The deployment settings of the AWS profile (``profiles/aws`` by default).

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
    threads = values.get("set-threads") or {}
    resources = values.get("set-resources") or {}
    cpus = {int(v) for v in threads.values()} or {1}
    memory = {int(r.get("mem_mb")) for r in resources.values() if r.get("mem_mb")}
    memory |= {int((values.get("default-resources") or {}).get("mem_mb", 0))} - {0}
    if len(cpus) != 1 or len(memory) != 1:
        raise InputError(
            f"the per-job vCPU ({sorted(cpus)}) and memory ({sorted(memory)}) must be one value each, "
            "as in the Nextflow config's process scope",
            profile,
        )
    return Deployment(
        bucket=bucket,
        prefix=key.strip("/"),
        region=str(need("aws-batch-region")),
        queue=str(need("aws-batch-job-queue")),
        job_role=str(need("aws-batch-job-role")),
        image=str(need("container-image")),
        cpus=cpus.pop(),
        memory_mb=memory.pop(),
        task_timeout=int(values.get("aws-batch-task-timeout", 300)),
    )
