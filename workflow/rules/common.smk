# Load the run config once (chromapipe.settings: schema, defaults, conditional
# requirements, each chromosome's inputs), then one-line input functions.

import os
import re
import sys

from chromapipe import deploy, settings
from chromapipe.errors import InputError

# The workflow's own files (schemas, resources.yaml, the example's inputs) are found from this
# file, not from workflow.basedir: used as a module (`module chromapipe: snakefile: ...`), basedir
# is the folder of the user's Snakefile. source_path also fetches them for a remote module.
RESOURCES_FILE = workflow.source_path("../resources.yaml")
# relative input paths: from the working folder, else from the repository the rules come from
# (a remote module has none on disk: the one the installed package comes from)
REPOSITORY = settings.repository_of(workflow.snakefile)

try:
    # every dataset of the run: the config itself, or the rows of its datasets sheet
    RUNS = settings.load_runs(
        config,
        roots=[os.getcwd(), REPOSITORY],
        check_files=workflow.is_main_process,
        schema=workflow.source_path("../schemas/config.schema.yaml"),
        sheet_schema=workflow.source_path("../schemas/datasets.schema.yaml"),
    )
    # the settings every dataset shares (chromosomes, annotations, surface, features, tracks, report): a datasets
    # sheet's rows differ only in their inputs, read through run(wildcards)
    SHARED = RUNS.first
    # the jobs' image: the config's, else the one profiles/aws names (the single source)
    CONTAINER = SHARED.container or f"docker://{deploy.deployment().image}"
    # threads, memory and time of each step, declared once in workflow/resources.yaml
    RESOURCES = deploy.rule_resources(RESOURCES_FILE)
except InputError as exc:
    sys.exit(f"\nConfiguration error: {exc}\n")
if workflow.is_main_process:
    for note in dict.fromkeys(n for run in RUNS.runs.values() for n in run.notes):
        print(
            f"Warning: {note}", file=sys.stderr
        )  # e.g. a GSDB dataset the shipped catalogue lacks


wildcard_constraints:
    chr="[0-9]+|X|Y",
    dataset="|".join(re.escape(name) for name in RUNS.runs) or "-",


def out(path):
    """An output path: {outdir}/{dataset}/path with a datasets sheet, else {outdir}/path."""
    return f"{RUNS.outdir}/{{dataset}}/{path}" if RUNS.sheet else SHARED.out(path)


def logs(path):
    """A per-dataset rule's log, with the run's outputs: {outdir}[/{dataset}]/logs/path."""
    return out(f"logs/{path}")


def bench(path):
    """A per-dataset rule's benchmark, with the run's outputs: {outdir}[/{dataset}]/benchmarks/path."""
    return out(f"benchmarks/{path}")


def run_log(path):
    """The log of a whole-run step (not per dataset), in {outdir}/logs/path."""
    return f"{RUNS.outdir}/logs/{path}"


def run_bench(path):
    return f"{RUNS.outdir}/benchmarks/{path}"


def labels(named):
    """A report item's labels, naming its dataset first with a datasets sheet."""
    return {"dataset": "{dataset}", **named} if RUNS.sheet else named


def run(wildcards):
    """The RunConfig of a job's dataset."""
    return RUNS[wildcards.dataset] if RUNS.sheet else SHARED


def job_resources(rule):
    return {k: RESOURCES[rule][k] for k in ("mem_mb", "runtime")}


def fetched(item):
    """An Input through a storage plugin (http, or the default provider for s3://), or a local file."""
    if item.produced:
        return item.location  # another rule's output
    if not item.is_url:
        return local(item.location)
    if item.location.lower().startswith("http"):
        return storage.http(item.location)
    return item.location  # s3:// and gs:// through the default storage provider


def annotation_inputs(wildcards):
    """The annotation source's files: FASTA, its indexes and GTF; a per-bin table; or none (REST)."""
    sources = SHARED.annotations
    if sources.source == "files":
        index = [fetched(i) for i in sources.fasta_index]
        return {
            "fasta": fetched(sources.fasta),
            "fasta_index": index,
            "gtf": fetched(sources.genes),
        }
    if sources.source == "table":
        return {"table": fetched(SHARED.annotation_table(wildcards.chr))}
    return {}


def positions_input(wildcards):
    """The staged bead positions: the bead-map source's, or the structure table's own (positions); none for
    the legacy layout, which pairs beads with bins by row number."""
    this = run(wildcards)
    if this.legacy:
        return {}
    if this.bead_map.source == "positions":
        return {"positions": this.out(f"structures/chr{wildcards.chr}.parquet")}
    return (
        {"positions": this.out(f"beadmap/chr{wildcards.chr}_positions.parquet")}
        if this.bead_map.files
        else {}
    )


def compartment_input(wildcards):
    """The contact list compartments are computed from (none when compartments are off)."""
    item = run(wildcards).contact_list(wildcards.chr)
    return {"contacts": fetched(item)} if item else {}


def agreement_contacts(wildcards):
    """Each chromosome's staged contact list the summary holds its structure against (fetch_contacts; none:
    empty columns)."""
    this = run(wildcards)
    if not all(this.agreement_contacts(chrom) for chrom in this.chromosomes):
        return []
    return [
        this.out(f"contacts/chr{chrom}_contacts.parquet") for chrom in this.chromosomes
    ]


def structure_input(wildcards):
    """The structure file, unless the step downloads it from a host and its mirrors; a PASTIS matrix also
    gets the staged bin map (its rows' bins where no PASTIS config.ini beside it names the counts' own).
    """
    this = run(wildcards)
    item = this.structure(wildcards.chr)
    files = {} if item.urls else {"source": fetched(item)}
    if this.structures.format == "pastis":
        files["bins"] = this.out("reference/bins.parquet")
    return files


# AWS: stop an S3/Batch run before it submits or stores anything (variables, Batch sizes, the bucket)
deploy.preflight(workflow, RESOURCES_FILE)
