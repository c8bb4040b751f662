# Load the run config once (chromapipe.settings: schema, defaults, conditional
# requirements, each chromosome's inputs), then one-line input functions.

import os
import sys

from chromapipe import deploy, settings
from chromapipe.errors import InputError

try:
    RUN = settings.load(
        config,
        roots=[os.getcwd(), os.path.dirname(workflow.basedir)],
        check_files=workflow.is_main_process,
        schema=os.path.join(workflow.basedir, "schemas", "config.schema.yaml"),
    )
    # the jobs' image: the config's, else the one profiles/aws names (the single source)
    CONTAINER = RUN.container or f"docker://{deploy.deployment().image}"
    # threads, memory and time of each step, declared once in workflow/resources.yaml
    RESOURCES = deploy.rule_resources(os.path.join(workflow.basedir, "resources.yaml"))
except InputError as exc:
    sys.exit(f"\nConfiguration error: {exc}\n")


wildcard_constraints:
    chr="[0-9]+|X|Y",


def out(path):
    return RUN.out(path)


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
    sources = RUN.annotations
    if sources.source == "files":
        index = [fetched(i) for i in sources.fasta_index]
        return {
            "fasta": fetched(sources.fasta),
            "fasta_index": index,
            "gtf": fetched(sources.genes),
        }
    if sources.source == "table":
        return {"table": fetched(RUN.annotation_table(wildcards.chr))}
    return {}


def positions_input(wildcards):
    """The staged bead positions: the bead-map source's, or the structure table's own (positions)."""
    if RUN.pairing == "positions":
        return {"positions": out(f"structures/chr{wildcards.chr}.parquet")}
    return (
        {"positions": out(f"beadmap/chr{wildcards.chr}_positions.parquet")}
        if RUN.bead_map
        else {}
    )


def structure_input(wildcards):
    """The structure file, unless the step downloads it from a host and its mirrors."""
    item = RUN.structure(wildcards.chr)
    return {} if item.urls else {"source": fetched(item)}
