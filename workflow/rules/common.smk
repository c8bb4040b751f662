# Config validation, the chromosome list, path helpers and input functions.
# Rules hold wiring only: every step calls the chromapipe package, which lives
# beside this workflow (workflow/chromapipe) so deployed jobs import it too.

import os
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)

from chromapipe import deploy, settings
from chromapipe.errors import InputError


def _config_error(message):
    """Stop before anything runs: the message is the first thing the user reads."""
    print(f"\nConfiguration error: {message}\n", file=sys.stderr)
    sys.exit(1)


def _checked(function, *args):
    """For input functions (while the DAG is built): a clear error inside Snakemake's report."""
    try:
        return function(*args)
    except InputError as exc:
        raise ValueError(f"\n\nConfiguration error: {exc}\n") from None


def _parsed(function, *args):
    """For values checked when the workflow is read."""
    try:
        return function(*args)
    except InputError as exc:
        _config_error(str(exc))


def _validate_config():
    """Validate the config against the schema; one clear sentence per problem."""
    try:
        validate(config, schema="../schemas/config.schema.yaml", set_default=True)
    except WorkflowError as exc:
        error = exc.__context__  # snakemake wraps the jsonschema ValidationError
        if not hasattr(error, "absolute_path"):
            raise
        _config_error(settings.describe_schema_error(error, config))


_validate_config()

CHROMOSOMES = _parsed(settings.parse_chromosomes, config["chromosomes"])
for _key, _value in [
    ("outdir", config["outdir"]),
    ("mapping", config["mapping"]),
    *(
        (f"{s}.{k}", config[s].get(k))
        for s in ("structures", "bead_map")
        for k in ("path", "archive")
    ),
    *(
        (f"annotations.{k}", config["annotations"].get(k))
        for k in ("fasta", "gtf", "table", "cache")
    ),
]:
    _parsed(settings.check_within, _value, _key)
OUTDIR = os.path.normpath(config["outdir"])
# where relative input paths are looked up: the working directory, then the repository
ROOTS = [os.getcwd(), os.path.dirname(workflow.basedir)]
# the package's command line, imported from the workflow sources
CLI = "PYTHONPATH={}${{PYTHONPATH:+:$PYTHONPATH}} {} -m chromapipe.cli".format(
    shlex.quote(workflow.basedir), shlex.quote(sys.executable)
)
BEAD_MAP = config["bead_map"]["source"]
# the jobs' image: the config's, else the one profiles/aws names (the single source)
CONTAINER = config.get("container") or f"docker://{_parsed(deploy.deployment).image}"
ANNOTATION_SOURCE = config["annotations"]["source"]


def _preflight():
    """Every local input of every chromosome exists: else one message listing them all."""
    problems = []

    def check(value, key):
        if value and not settings.is_url(value) and not _exists(value):
            problems.append(f"{key}: {value} does not exist")

    check(config["mapping"], "mapping")
    for section in ("structures", "bead_map"):
        values = config[section]
        if section == "bead_map" and (
            values["source"] == "sequential" or config["legacy"]
        ):
            continue
        if values.get("archive"):
            check(values["archive"], f"{section}.archive")
            continue
        if not values.get("path") and not values.get("url"):
            problems.append(
                f"{section}: set {section}.path (local files) or {section}.url"
            )
            continue
        for chrom in CHROMOSOMES:
            if values.get("path") and not values.get("url"):
                check(
                    _parsed(settings.fill, values["path"], chrom, f"{section}.path"),
                    f"{section}.path (chr{chrom})",
                )
    annotations = config["annotations"]
    keys = {"files": ("fasta", "gtf"), "table": ("table",), "ensembl": ()}[
        ANNOTATION_SOURCE
    ]
    for key in keys:
        if not annotations.get(key):
            problems.append(
                f"annotations.source '{ANNOTATION_SOURCE}' needs annotations.{key}"
            )
        elif key == "table":
            for chrom in CHROMOSOMES:
                check(
                    _parsed(
                        settings.fill, annotations[key], chrom, "annotations.table"
                    ),
                    f"annotations.table (chr{chrom})",
                )
        else:
            check(annotations[key], f"annotations.{key}")
    if ANNOTATION_SOURCE == "ensembl" and config["assembly"] not in (
        "GRCh37",
        "GRCh38",
    ):
        problems.append(
            f"assembly {config['assembly']!r}: the ensembl source needs GRCh37 or GRCh38"
        )
    if problems:
        _config_error(
            "missing or incomplete inputs:\n  - "
            + "\n  - ".join(problems)
            + "\n(relative paths are looked up in the working directory, then in the repository; "
            "fix the paths in your config file or with --config)"
        )


wildcard_constraints:
    chr="[0-9]+|X|Y",


def source_input(value, key):
    """An input from a URL (through a storage plugin) or a local file (read from the tree)."""
    if settings.is_url(value):
        if value.lower().startswith("http"):
            return storage.http(value)
        return value  # s3:// and gs:// through the default storage provider
    return local(_checked(settings.resolve_local, value, ROOTS, key))


def chromosome_source(section):
    """Input function: a chromosome's file from a config section.

    ``path`` (a local template with {chr}) is used when its file exists, else
    ``url`` (fetched through a storage plugin); with ``archive`` set, the
    archive is the input and ``path`` names the member inside it.
    """

    def inputs(wildcards):
        settings_ = config[section]
        if settings_.get("archive"):
            return source_input(settings_["archive"], f"{section}.archive")
        path, url = settings_.get("path"), settings_.get("url")
        if path:
            local_path = _checked(settings.fill, path, wildcards.chr, f"{section}.path")
            if not url or settings.is_url(local_path) or _exists(local_path):
                return source_input(local_path, f"{section}.path")
        if url:
            return source_input(
                _checked(settings.fill, url, wildcards.chr, f"{section}.url"),
                f"{section}.url",
            )
        raise ValueError(
            f"\n\nConfiguration error: set '{section}.path' or '{section}.url'\n"
        )

    return inputs


def _exists(path):
    return any(os.path.exists(os.path.join(root, path)) for root in ROOTS)


def archive_member(section):
    """The ``--member`` option naming a chromosome's file inside a dataset archive."""

    def member(wildcards):
        if not config[section].get("archive"):
            return ""
        path = _checked(
            settings.fill, config[section]["path"], wildcards.chr, f"{section}.path"
        )
        return "--member " + shlex.quote(path)

    return member


def reference_input(key):
    value = config["annotations"].get(key)
    if not value:
        raise ValueError(
            f"\n\nConfiguration error: annotations.source 'files' needs annotations.{key}\n"
        )
    return source_input(value, f"annotations.{key}")


def fasta_inputs():
    """The FASTA and whichever of its indexes exist beside it."""
    fasta = reference_input("fasta")
    inputs = {"fasta": fasta}
    if not settings.is_url(config["annotations"]["fasta"]):
        for suffix in ("fai", "gzi"):
            if os.path.exists(f"{fasta}.{suffix}"):
                inputs[suffix] = local(f"{fasta}.{suffix}")
    return inputs


def annotation_inputs(wildcards):
    inputs = {"mapping": rules.fetch_mapping.output.mapping}
    if ANNOTATION_SOURCE == "files":
        inputs.update(fasta_inputs())
        inputs["gtf"] = reference_input("gtf")
    elif ANNOTATION_SOURCE == "table":
        template = config["annotations"].get("table")
        if not template:
            raise ValueError(
                "\n\nConfiguration error: annotations.source 'table' needs annotations.table\n"
            )
        path = _checked(settings.fill, template, wildcards.chr, "annotations.table")
        inputs["table"] = source_input(path, "annotations.table")
    return inputs


def annotation_options(wildcards, input):
    """The backend's options of `chromapipe annotations`."""
    if ANNOTATION_SOURCE == "files":
        return f"--source files --fasta {shlex.quote(input.fasta)} --gtf {shlex.quote(input.gtf)}"
    if ANNOTATION_SOURCE == "table":
        return f"--source table --table {shlex.quote(input.table)}"
    settings_ = config["annotations"]
    options = [
        "--source ensembl",
        f"--max-rps {settings_['max_rps']}",
        f"--cache {shlex.quote(settings_['cache'])}",
        f"--batch-size {settings_['batch_size']}",
    ]
    if settings_.get("host"):
        options.append(f"--host {shlex.quote(settings_['host'])}")
    if settings_.get("release"):
        options.append(f"--release {shlex.quote(str(settings_['release']))}")
    return " ".join(options)


def bead_map_option(wildcards, input):
    if BEAD_MAP == "sequential" or config["legacy"]:
        return "sequential"
    return f"{BEAD_MAP}:{input.bead_map}"


def bead_map_input(wildcards):
    """The staged bead-map file, unless beads pair sequentially (or legacy mode ignores it)."""
    if BEAD_MAP == "sequential" or config["legacy"]:
        return {}
    return {"bead_map": out(f"beadmap/chr{wildcards.chr}_{BEAD_MAP}.txt")}


def out(path):
    return f"{OUTDIR}/{path}"


def final_outputs():
    return (
        expand(
            out("chr{chr}_{kind}.parquet"),
            chr=CHROMOSOMES,
            kind=("compiled", "surface"),
        )
        + expand(
            out("figures/chr{chr}_{name}.png"),
            chr=CHROMOSOMES,
            name=("tracks", "structure", "correlation"),
        )
        + [
            out("summary/summary.tsv"),
            out("summary/summary.parquet"),
            out("summary/summary.png"),
        ]
    )


if workflow.is_main_process:
    _preflight()


# --- issue 14 (AWS): stop an S3/Batch run before it submits or stores anything ---
deploy.preflight(workflow)
