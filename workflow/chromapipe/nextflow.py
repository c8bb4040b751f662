"""The equivalent Nextflow config, generated from our own settings.

Users coming from the Nextflow pipeline get a ``nextflow.config`` whose ``aws``
profile is the deployment our ``profiles/aws`` describes (Wave containers +
Fusion, so no AWS CLI on the hosts), whose ``slurm`` profile is the one our
``profiles/slurm`` describes (the same image through Apptainer) and whose
``standard`` profile is the local Docker one, plus the same settings in the flat,
sorted ``key = value`` form that ``nextflow config -profile aws -flat -sort``
prints, to diff the two directly.

Every value comes from :mod:`chromapipe.deploy` (the AWS and SLURM profiles, the
per-rule resources of workflow/resources.yaml) and the workflow's default config:
nothing is typed twice.
"""

import os

import yaml

from . import REPOSITORY, __version__, settings
from .deploy import VARIABLES, deployment, job_resources, missing_message, slurm

#: The generated profiles, in the order they are written.
PROFILES = ("standard", "aws", "slurm")

CONFIG = os.path.join(REPOSITORY, "config", "config.yaml")


def _quote(value):
    """A Groovy single-quoted string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _quote(value)


def _memory(mb):
    return f"{mb // 1024} GB" if mb % 1024 == 0 else f"{mb} MB"


def _duration(minutes):
    """A Nextflow duration (``60`` -> ``'1h'``, ``90`` -> ``'90m'``)."""
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def nextflow_params(config_path=None):
    """``params`` with our defaults: chromosomes (comma string), mapping, outdir."""
    with open(config_path or CONFIG, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    return {
        "chromosomes": ",".join(settings.parse_chromosomes(config["chromosomes"])),
        "mapping": config["mapping"],
        "outdir": config.get("outdir", "results"),
    }


def aws_left_out(deploy):
    """Why the aws profile cannot be written (the bucket or queue variable unset), or ``None``.

    Only the aws profile needs ``CHROMAPIPE_BUCKET`` and ``CHROMAPIPE_QUEUE``; the
    ``standard`` and ``slurm`` profiles are written without them.
    """
    missing = [VARIABLES[f] for f in ("bucket", "queue") if getattr(deploy, f) in (None, "")]
    return f"the aws profile is left out: {missing_message(missing)}" if missing else None


def profiles(deploy=None, site=None, jobs=None):
    """The ``standard``, ``aws`` and ``slurm`` profiles as flat ``{key: value}`` dicts.

    The aws profile only when its bucket and queue are set (:func:`aws_left_out`).
    The slurm profile names a queue (partition) and an account only where
    ``profiles/slurm`` does (unset: the cluster's default partition, no account).
    """
    deploy = deploy or deployment()
    site = site or slurm()
    jobs = jobs or job_resources()
    process = {
        "process.container": deploy.image,
        "process.cpus": deploy.cpus,
        "process.memory": _memory(deploy.memory_mb),
    }
    standard = {"docker.enabled": True, **process}
    aws = (
        None
        if aws_left_out(deploy)
        else {
            "workDir": deploy.work_dir,
            "process.executor": "awsbatch",
            "process.queue": deploy.require("queue")[0],
            **process,
            "aws.region": deploy.region,
            "wave.enabled": True,
            "fusion.enabled": True,
        }
    )
    cluster = {"process.executor": "slurm"}
    if site.partition:
        cluster["process.queue"] = site.partition
    if site.account:
        cluster["process.clusterOptions"] = f"--account={site.account}"
    cluster.update({**process, "process.time": _duration(jobs.runtime_min), "apptainer.enabled": True})
    found = {"standard": standard, "aws": aws, "slurm": cluster}
    return {name: values for name, values in found.items() if values is not None}


def flat(profile="aws", deploy=None, config_path=None, site=None):
    """What ``nextflow config -profile PROFILE -flat -sort`` prints for the generated config.

    Raises
    ------
    InputError
        ``profile`` is ``aws`` and its bucket or queue variable is not set.
    """
    deploy = deploy or deployment()
    if profile == "aws" and aws_left_out(deploy):
        deploy.require("bucket", "queue")  # names the variables
    values = {f"params.{k}": v for k, v in nextflow_params(config_path).items()}
    values.update(profiles(deploy, site)[profile])
    return "".join(f"{key} = {_literal(values[key])}\n" for key in sorted(values))


def _block(name, values, indent):
    """A Groovy scope block from flat keys (``process.cpus`` -> ``process { cpus = 2 }``)."""
    pad = " " * indent
    scopes = {}
    lines = []
    for key, value in values.items():
        scope, _, rest = key.partition(".")
        if rest:
            scopes.setdefault(scope, {})[rest] = value
        else:
            lines.append(f"{pad}    {key} = {_literal(value)}")
    for scope, inner in scopes.items():
        lines.append(f"{pad}    {scope} {{")
        lines += [f"{pad}        {k} = {_literal(v)}" for k, v in inner.items()]
        lines.append(f"{pad}    }}")
    return [f"{pad}{name} {{", *lines, f"{pad}}}"]


def render(deploy=None, config_path=None, site=None):
    """The whole ``nextflow.config`` text (without the aws profile, and a comment saying why, if it lacks settings)."""
    deploy = deploy or deployment()
    left_out = aws_left_out(deploy)
    lines = [
        f"// Generated by chromapipe {__version__} (`chromapipe nextflow-config`) from profiles/aws/config.yaml,",
        "// profiles/slurm/config.yaml, workflow/resources.yaml and config/config.yaml: edit those,",
        "// not this file. The aws profile runs with Wave containers and Fusion, so Batch tasks read and write",
        "// S3 without an AWS CLI on the hosts; the slurm profile runs the same image through Apptainer.",
        "",
        *_block("params", nextflow_params(config_path), 0),
        "",
        *([f"// {left_out}"] if left_out else []),
        "profiles {",
    ]
    for name, values in profiles(deploy, site).items():
        lines += _block(name, values, 4)
    lines.append("}")
    return "\n".join(lines) + "\n"
