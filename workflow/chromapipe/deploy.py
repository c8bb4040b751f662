"""Deployment settings, read from the Snakemake profiles: the one source of truth.

``workflow/resources.yaml`` declares each rule's threads, memory and time once
(the rules read it);
``profiles/aws/config.yaml`` holds the AWS deployment (bucket, prefix, region,
queue, job role, image, time-out), ``profiles/slurm/config.yaml`` the SLURM one
(partition, account) and ``profiles/local/config.yaml`` the local one. Everything
else that needs these values (the workflow's default container, the generated
Nextflow config) reads them from there through :func:`deployment`,
:func:`job_resources` and :func:`slurm`, so no value is typed twice.

The checks an AWS run needs before anything is submitted or written to the
bucket are here too (:func:`preflight`, called once by the workflow): the
deployment variables are set, each Batch job's vCPU/memory pair is one the
executor plugin accepts, and the bucket exists, is in the storage region and
holds a marker object outside the run's prefix (the S3 storage plugin deletes
a bucket that becomes empty).
"""

import ast
import contextlib
import io
import os
import re
import sys
from dataclasses import dataclass

from . import REPOSITORY
from .errors import InputError

#: The repository's profiles folder (beside workflow/).
PROFILES = os.path.join(REPOSITORY, "profiles")
#: Every rule's threads and resources (the rules read it; so does the Nextflow config).
RESOURCES_FILE = os.path.join(REPOSITORY, "workflow", "resources.yaml")
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
    except SystemExit as exc:  # a profile's own stop (profiles/slurm without a required account)
        raise InputError(str(exc.code).removeprefix("Configuration error: "), path) from None
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

    bucket: str | None  # None: CHROMAPIPE_BUCKET is not set
    prefix: str
    region: str
    queue: str | None  # None: CHROMAPIPE_QUEUE is not set
    job_role: str | None  # None: CHROMAPIPE_JOB_ROLE is not set
    image: str
    cpus: int
    memory_mb: int
    task_timeout: int

    def require(self, *fields):
        """The named fields, else :class:`InputError` naming the environment variable to set."""
        missing = [VARIABLES[f] for f in fields if getattr(self, f) in (None, "")]
        if missing:
            raise InputError(missing_message(missing))
        return tuple(getattr(self, f) for f in fields)

    @property
    def storage_prefix(self):
        (bucket,) = self.require("bucket")
        return f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    @property
    def work_dir(self):
        """Nextflow's work directory: on the same bucket, beside our prefix."""
        (bucket,) = self.require("bucket")
        return f"s3://{bucket}/work"


#: The deployment values an AWS run cannot do without, and the variables that set them.
VARIABLES = {"bucket": "CHROMAPIPE_BUCKET", "queue": "CHROMAPIPE_QUEUE", "job_role": "CHROMAPIPE_JOB_ROLE"}


def require_deployment(profile=None):
    """Refuse an AWS run whose profile lacks the bucket, queue or job role, naming the variables."""
    values = load_profile(profile or os.path.join(PROFILES, "aws"))
    found = {
        "bucket": values.get("default-storage-prefix"),
        "queue": values.get("aws-batch-job-queue"),
        "job_role": values.get("aws-batch-job-role"),
    }
    missing = [VARIABLES[key] for key, value in found.items() if value in (None, "")]
    if missing:
        raise InputError(missing_message(missing))
    check_job_role(str(found["job_role"]))


#: An IAM role's ARN: what Batch takes as a job definition's ``jobRoleArn``.
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def check_job_role(value):
    """Refuse a job role that is not an IAM role ARN (a role name, a user ARN, a typo) before submission.

    Raises
    ------
    InputError
        Naming CHROMAPIPE_JOB_ROLE and the form it must take.
    """
    if not ROLE_ARN.fullmatch(value):
        raise InputError(
            f"CHROMAPIPE_JOB_ROLE {value!r} is not an IAM role ARN: it must look like "
            "arn:aws:iam::123456789012:role/NAME (the role the Batch jobs run as, which gives them S3)"
        )


#: The S3 storage plugin's settings that hold credentials: Snakemake copies each one that is set
#: (by ``--storage-s3-...`` or its ``SNAKEMAKE_STORAGE_S3_...`` variable) into every job's
#: environment, which the aws-batch plugin writes into the job definition it registers.
S3_SECRETS = ("access_key", "secret_key", "token")


def refuse_s3_keys(s3_settings):
    """Stop a Batch run whose S3 storage settings hold keys: they would be stored in every job definition.

    Raises
    ------
    InputError
        Naming the settings given (not their values) and the way to go instead (the job role).
    """
    given = [name for name in S3_SECRETS if getattr(s3_settings, name, None)]
    if given:
        names = ", ".join(
            f"--storage-s3-{name.replace('_', '-')} (SNAKEMAKE_STORAGE_S3_{name.upper()})" for name in given
        )
        raise InputError(
            f"S3 credentials are given to Snakemake ({names}): on AWS Batch Snakemake passes them to every "
            "job, and the aws-batch plugin writes them into the registered job definitions, readable in the "
            "Batch console. Unset them: the jobs get S3 through the job role (CHROMAPIPE_JOB_ROLE), and this "
            "machine through the standard AWS chain (AWS_PROFILE, ~/.aws, AWS_ACCESS_KEY_ID ...), which is "
            "never copied"
        )


def missing_message(variables):
    names = ", ".join(variables[:-1]) + " and " + variables[-1] if len(variables) > 1 else variables[0]
    return (
        f"{names} {'is' if len(variables) == 1 else 'are'} not set: an AWS run needs the S3 bucket "
        "(CHROMAPIPE_BUCKET), the Batch job queue (CHROMAPIPE_QUEUE) and the job role ARN (CHROMAPIPE_JOB_ROLE); "
        "see the README's 'Running on AWS Batch'"
    )


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

    prefix = values.get("default-storage-prefix")
    bucket, key = None, ""  # no bucket set: nothing an AWS run can use (see Deployment.require)
    if prefix:
        bucket, key = split_s3(str(prefix), profile)
    jobs = job_resources(workflow_profile)
    return Deployment(
        bucket=bucket,
        prefix=key.strip("/"),
        region=str(need("aws-batch-region")),
        queue=_optional(values.get("aws-batch-job-queue")),
        job_role=_optional(values.get("aws-batch-job-role")),
        image=str(need("container-image")),
        cpus=jobs.cpus,
        memory_mb=jobs.memory_mb,
        task_timeout=int(values.get("aws-batch-task-timeout", 300)),
    )


def _optional(value):
    return None if value in (None, "") else str(value)


def split_s3(prefix, where=None):
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``.

    Raises
    ------
    InputError
        The prefix does not start with ``s3://`` or names no bucket.
    """
    if not prefix.startswith("s3://") or not prefix[len("s3://") :].split("/")[0]:
        raise InputError(f"default-storage-prefix {prefix!r} must look like s3://BUCKET/PREFIX", where)
    bucket, _, key = prefix[len("s3://") :].partition("/")
    return bucket, key.strip("/")


# --------------------------------------------------------------------------------------
# Batch job sizes
# --------------------------------------------------------------------------------------

#: The rules that run on AWS Batch, grouped into one Batch job per chromosome by the
#: aws profile's ``groups:`` (the fetch and annotation rules run on the submitting host).
BATCH_GROUP = ("compute_physical", "compile", "figures", "export_structure")
#: Every Batch job of a run: one per chromosome (the group) and the summary.
BATCH_JOBS = {"each chromosome's Batch job": BATCH_GROUP, "the summary's Batch job": ("summary",)}


def allowed_sizes():
    """``{memory MiB: [vCPU, ...]}``: the pairs snakemake-executor-plugin-aws-batch accepts.

    Any other memory value is silently replaced by the plugin with the smallest one
    allowed for the vCPU count, and a vCPU count outside 1, 2, 4, 8, 16 fails at submission.
    """
    from snakemake_executor_plugin_aws_batch.constant import VALID_RESOURCES_MAPPING

    return VALID_RESOURCES_MAPPING


def group_size(threads, mem_mb, rules=BATCH_GROUP):
    """The vCPU and memory Snakemake asks Batch for, for one chromosome's group job.

    The group's rules run one after the other (each needs the previous one's output),
    so Snakemake sizes the group job by the largest member: ``max`` of threads and of
    ``mem_mb``.

    Parameters
    ----------
    threads, mem_mb : dict
        ``{rule: value}`` for (at least) every rule in ``rules``.
    """
    missing = [r for r in rules if r not in threads or r not in mem_mb]
    if missing:
        raise InputError(f"no threads or mem_mb for {', '.join(missing)} (set-threads/set-resources in the profiles)")
    return max(int(threads[r]) for r in rules), max(int(mem_mb[r]) for r in rules)


def check_batch_size(vcpu, mem_mb, what="a Batch job"):
    """The vCPU and memory Batch will give a job, or a refusal if the plugin would take memory away.

    The aws-batch plugin replaces a memory value that is not in its table by the smallest
    one allowed for the vCPU count. Below that smallest value this is a raise (1024 MB with
    1 vCPU runs with 2048 MB: accepted); above it, a silent cut (10000 MB with 1 vCPU runs
    with 2048 MB): refused. A memory value in its table that does not allow the vCPU count
    (2048 MB with 2 vCPU) fails at submission ("Invalid vCPU value"): refused here, before it.

    Returns
    -------
    (int, int)
        vCPU and the memory (MB) the job definition will carry.

    Raises
    ------
    InputError
        Naming the allowed vCPU counts, or the allowed memory values for ``vcpu``.
    """
    table = allowed_sizes()
    vcpus = sorted({v for values in table.values() for v in values})
    if vcpu not in vcpus:
        raise InputError(f"{what} asks for {vcpu} vCPU; AWS Batch accepts {', '.join(map(str, vcpus))}")
    if vcpu in table.get(mem_mb, ()):
        return vcpu, mem_mb
    memory = sorted(m for m, values in table.items() if vcpu in values)
    if mem_mb in table:
        raise InputError(
            f"{what} asks for {mem_mb} MB with {vcpu} vCPU, which the aws-batch plugin refuses at submission; "
            f"with {vcpu} vCPU it accepts {', '.join(map(str, memory))} MB"
        )
    if mem_mb < memory[0]:
        return vcpu, memory[0]
    raise InputError(
        f"{what} asks for {mem_mb} MB with {vcpu} vCPU, which the aws-batch plugin would lower to "
        f"{memory[0]} MB; with {vcpu} vCPU it accepts {', '.join(map(str, memory))} MB"
    )


def check_profile_sizes(effective_threads, effective_mem, profile=None):
    """``{job: (vCPU, MB)}`` of every Batch job, from the sizes Snakemake will use, each checked.

    The sizes are the rules' own (``workflow/resources.yaml``) unless a profile or the
    command line overrides them (``set-threads``, ``set-resources``); Snakemake takes each
    of those keys from one source only, so a Batch size the aws profile asks for but that
    the command line replaced is refused rather than used silently.
    """
    profile = profile or os.path.join(PROFILES, "aws")
    values = load_profile(profile)
    wanted_threads = {k: int(v) for k, v in (values.get("set-threads") or {}).items()}
    wanted_mem = {k: int(r["mem_mb"]) for k, r in (values.get("set-resources") or {}).items() if "mem_mb" in r}
    for rule in (rule for rules in BATCH_JOBS.values() for rule in rules):
        for what, wanted, used in (
            ("threads", wanted_threads, effective_threads),
            ("mem_mb", wanted_mem, effective_mem),
        ):
            if rule in wanted and used.get(rule) != wanted[rule]:
                raise InputError(
                    f"the aws profile sets {what} {wanted[rule]} for {rule}, but the run would use "
                    f"{used.get(rule)}: the command line (or another profile) sets this key too; keep Batch "
                    "sizes in one place",
                    profile,
                )
    return {
        what: check_batch_size(*group_size(effective_threads, effective_mem, rules), what=what)
        for what, rules in BATCH_JOBS.items()
    }


# --------------------------------------------------------------------------------------
# The bucket
# --------------------------------------------------------------------------------------

#: Written once at the top of the bucket, outside every run's prefix: the S3 storage
#: plugin deletes a bucket when its last object is removed, and this object is never one
#: of a run's.
MARKER = "chromapipe-keep-this-bucket"
MARKER_TEXT = (
    b"Written by chromapipe so that this bucket is never empty: snakemake-storage-plugin-s3\n"
    b"deletes a bucket whose last object it removes. Do not delete this object.\n"
)


def ensure_bucket(s3, bucket, prefix="", region=None, write=True):
    """The bucket exists (in ``region``) and holds :data:`MARKER`, written once.

    Parameters
    ----------
    s3 : botocore S3 client
    bucket, prefix : str
        The run's ``s3://bucket/prefix``; the marker must lie outside ``prefix``.
    region : str, optional
        The region the storage plugin and the jobs are told; refused if the bucket is elsewhere.
    write : bool
        False (a dry run): check only.

    Returns
    -------
    bool
        True if the marker was written now.

    Raises
    ------
    InputError
        The bucket does not exist or cannot be read, lies in another region, or the
        prefix would contain the marker.
    """
    from botocore.exceptions import BotoCoreError

    try:
        return _ensure_bucket(s3, bucket, prefix, region, write)
    except BotoCoreError as exc:  # no route, no credentials, ...
        raise InputError(f"cannot check bucket {bucket!r}: {exc}") from None


def _ensure_bucket(s3, bucket, prefix, region, write):
    from botocore.exceptions import ClientError

    if prefix and (prefix == MARKER or prefix.startswith(MARKER + "/")):
        raise InputError(f"the run's prefix {prefix!r} is the bucket marker's name: choose another prefix")
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            raise InputError(
                f"bucket {bucket!r} does not exist: create it (in the queue's region) first; "
                "the S3 storage plugin would otherwise create it, in us-east-1 unless told a region"
            ) from None
        if _denied(exc):
            raise InputError(denied_message(bucket, "s3:GetBucketLocation")) from None
        raise InputError(
            f"bucket {bucket!r} cannot be read ({code or exc}): check the credentials and policy"
        ) from None
    if location == "EU":
        location = "eu-west-1"
    if region and location != region:
        raise InputError(
            f"bucket {bucket!r} is in {location}, but the run uses region {region} "
            "(CHROMAPIPE_REGION sets both the queue's and the storage region)"
        )
    try:
        s3.head_object(Bucket=bucket, Key=MARKER)
        return False
    except ClientError as exc:
        if _denied(exc):  # without s3:ListBucket a missing object reads as denied too
            raise InputError(denied_message(bucket, f"s3:GetObject on {MARKER}, s3:ListBucket")) from None
        if exc.response.get("Error", {}).get("Code", "") not in ("404", "NoSuchKey", "NotFound"):
            raise InputError(f"cannot read s3://{bucket}/{MARKER}: {exc}") from None
    if write:
        try:
            s3.put_object(Bucket=bucket, Key=MARKER, Body=MARKER_TEXT, ContentType="text/plain")
        except ClientError as exc:
            if _denied(exc):
                raise InputError(denied_message(bucket, f"s3:PutObject on {MARKER}")) from None
            raise InputError(f"cannot write s3://{bucket}/{MARKER}: {exc}") from None
    return write


def _denied(exc):
    """A ClientError that is S3 refusing the credentials' permission (403), not a missing object."""
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code", "") in ("AccessDenied", "403", "AllAccessDisabled", "Forbidden") or status == 403


def denied_message(bucket, permission):
    return (
        f"access denied to bucket {bucket!r} ({permission}): the credentials this machine uses "
        "(the standard AWS chain) need that permission on the bucket; it exists, but they may not read it"
    )


def s3_client(settings):
    """A boto3 S3 client with the S3 storage plugin's settings (endpoint, region, credentials)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        aws_session_token=settings.token,
    )


# --------------------------------------------------------------------------------------
# The workflow's one call
# --------------------------------------------------------------------------------------


def executor(argv=None):
    """The executor this Snakemake command line runs with (``None``: local, or not a command line).

    While the Snakefile is read, ``workflow.executor_plugin`` is still unset; Snakemake's
    own parser resolves ``--executor`` from the command line and every profile.
    """
    argv = sys.argv if argv is None else argv
    if not _is_snakemake_command(argv):
        return None
    from snakemake.cli import parse_args

    with contextlib.redirect_stderr(io.StringIO()):  # it prints "Using profile ..." again
        _, args = parse_args(argv[1:])
    return args.executor


def _is_snakemake_command(argv):
    """Whether ``argv`` is the ``snakemake`` command line's (its script, or ``python -m snakemake``)."""
    name = os.path.basename(argv[0]) if argv else ""
    return name == "snakemake" or (name == "__main__.py" and "snakemake" in argv[0])


def run_checks(storage_provider, storage_prefix, s3_settings, batch, threads, mem_mb, dryrun):
    """Every check :func:`preflight` makes, from plain values (unit-tested without Snakemake).

    Returns the list of what was done, for the log.
    """
    done = []
    if batch:
        require_deployment()
        refuse_s3_keys(s3_settings)
        sizes = check_profile_sizes(threads, mem_mb)
        done.append("Batch jobs: " + "; ".join(f"{what} {v} vCPU, {m} MB" for what, (v, m) in sizes.items()))
    if storage_provider != "s3":
        return done
    if not storage_prefix:
        raise InputError("the S3 storage provider needs --default-storage-prefix s3://BUCKET/PREFIX")
    bucket, prefix = split_s3(storage_prefix)
    # the region is checked for Batch runs, whose jobs are told it (storage-s3-region)
    region = s3_settings.region if batch else None
    if ensure_bucket(s3_client(s3_settings), bucket, prefix, region=region, write=not dryrun):
        done.append(f"wrote s3://{bucket}/{MARKER} (keeps the bucket from being deleted when empty)")
    return done


def preflight(workflow, resources_file=RESOURCES_FILE):
    """Called once from ``common.smk``: stop an AWS or S3 run before it submits or stores anything.

    Only the main Snakemake process checks (not the jobs), and only runs whose default
    storage provider is S3 (every aws-batch run: it has no shared file system); the
    deployment variables and Batch sizes only when the executor is aws-batch.
    ``--profile profiles/local`` is untouched. A problem prints one
    ``Configuration error:`` line and exits 1.
    """
    if not workflow.is_main_process:
        return
    storage = workflow.storage_settings
    if storage.default_storage_provider != "s3":  # aws-batch implies it (no shared file system)
        return
    batch = executor() == "aws-batch"
    resources = workflow.resource_settings
    try:
        declared = rule_resources(resources_file)  # what the rules ask for
        threads = {rule: v["threads"] for rule, v in declared.items()}
        threads |= {k: int(v.value) for k, v in resources.overwrite_threads.items()}
        memory = {rule: v["mem_mb"] for rule, v in declared.items()}
        memory |= {k: int(r["mem_mb"].value) for k, r in resources.overwrite_resources.items() if "mem_mb" in r}
        done = run_checks(
            storage.default_storage_provider,
            storage.default_storage_prefix,
            workflow.storage_provider_settings["s3"].get_settings(None),
            batch,
            threads,
            memory,
            dryrun=workflow.output_settings.dryrun,
        )
    except InputError as exc:
        print(f"\nConfiguration error: {exc}\n", file=sys.stderr)
        sys.exit(1)
    for line in done:
        print(line, file=sys.stderr)


#: The qualified name of the callback Snakemake's job scheduler re-arms after every scheduling round
#: (``JobScheduler._schedule_reevalutation``, the ``--max-jobs-per-timespan`` limiter, default 100/1s).
SCHEDULER_TIMER = "JobScheduler._schedule_reevalutation"


def end_of_run(argv=None, threads=None):
    """What a finished ``snakemake`` command line no longer needs, released so it exits at once.

    Called from the workflow's ``onsuccess`` and ``onerror`` hooks (the main process, after the
    scheduler has returned: no scheduling round is left). Two costs of Snakemake's exit go:

    * its job scheduler starts a :class:`threading.Timer` of the rate limiter's timespan (1 s) after
      each round, not a daemon, so the interpreter waits up to a second for the last ones: those timers
      are cancelled (their callback's qualified name starts with :data:`SCHEDULER_TIMER`; ``threads``
      defaults to :func:`threading.enumerate`);
    * the interpreter's last garbage collections walk every object Snakemake and its plugins imported
      (about 0.4 s): when the process is the ``snakemake`` command line (``argv``, default
      :data:`sys.argv`, as :func:`executor` reads it), the heap is frozen (:func:`gc.freeze`) so they
      skip it. Snakemake run through its Python API in a longer-lived process is left alone.

    Returns ``(timers cancelled, heap frozen)``.
    """
    import gc
    import threading

    cancelled = 0
    for thread in threading.enumerate() if threads is None else threads:
        callback = getattr(thread, "function", None)
        if isinstance(thread, threading.Timer) and getattr(callback, "__qualname__", "").startswith(SCHEDULER_TIMER):
            thread.cancel()
            cancelled += 1
    frozen = _is_snakemake_command(sys.argv if argv is None else argv)
    if frozen:
        gc.freeze()
    return cancelled, frozen
