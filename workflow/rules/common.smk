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


# Rule priorities order the ready jobs when cores are short, longest path first: what every annotation
# job waits for (fetch_dataset, fetch_mapping, prepare_genes, prepare_fasta: 3), the chromosome's path to
# compile (fetch_pdb, fetch_bead_map, compute_physical, fetch_annotations, compile: 2), figures (the
# longest job after compile: 1), then the rest (fetch_contacts, summary, export_structure, ...: 0).


wildcard_constraints:
    chr="[0-9]+|X|Y",
    dataset="|".join(re.escape(name) for name in RUNS.runs) or "-",


# batch: dataset - one job per per-chromosome step and dataset, every chromosome in turn (chromosome: one each)
BATCHED = SHARED.batch == "dataset"
CHROMOSOMES = [str(chrom) for chrom in SHARED.chromosomes]
# the dataset whose staged bin map (fetch_mapping) and annotations (fetch_annotations) a dataset reads: the first
# of the sheet with the same inputs (itself when it is the first or has its own)
BINS_FROM = settings.sharing(RUNS, settings.bin_map_inputs)
ANNOTATIONS_FROM = settings.sharing(RUNS, settings.annotation_inputs)


def out(path):
    """An output path: {outdir}/{dataset}/path with a datasets sheet, else {outdir}/path."""
    return f"{RUNS.outdir}/{{dataset}}/{path}" if RUNS.sheet else SHARED.out(path)


def per_chrom(path):
    """A per-chromosome output: out(path) with its {chr} wildcard, or (batch: dataset) every chromosome's."""
    if not BATCHED:
        return out(path)
    return [out(path).replace("{chr}", chrom) for chrom in CHROMOSOMES]


def per_chrom_report(path, caption, figure):
    """A per-chromosome figure of the HTML report (per_chrom; each file labelled with its chromosome)."""

    def flagged(path, chrom):
        return report(path, caption=caption, category="Chromosomes", subcategory=f"chr{chrom}",
                      labels=labels({"chromosome": chrom, "figure": figure}))  # fmt: skip

    if not BATCHED:
        return flagged(out(path), "{chr}")
    return [flagged(out(path).replace("{chr}", chrom), chrom) for chrom in CHROMOSOMES]


def logs(path):
    """A per-dataset rule's log, with the run's outputs: {outdir}[/{dataset}]/logs/path (a batch job's:
    logs/{rule}/all.log)."""
    return out(f"logs/{batch_name(path)}")


def bench(path):
    """A per-dataset rule's benchmark, with the run's outputs: {outdir}[/{dataset}]/benchmarks/path."""
    return out(f"benchmarks/{batch_name(path)}")


def batch_name(path):
    """A per-chromosome job's log or benchmark name; a batch job's (batch: dataset) is named all."""
    return path.replace("chr{chr}", "all") if BATCHED else path


def chrom_wildcards(wildcards, chrom):
    """A batch job's wildcards with one of its chromosomes as {chr}."""
    from snakemake.iocontainers import Wildcards

    return Wildcards(fromdict={**dict(wildcards.items()), "chr": chrom})


class Each:
    """The inputs of a per-chromosome rule, written once for both batch modes: input functions returning
    {name: path or paths} and named output-relative paths with {chr} (for out()).

    batch: chromosome - one job's inputs (for unpack); batch: dataset - every chromosome's, each name's paths
    in chromosome order (a name every chromosome gives the same paths is given once), and .plan tells the
    step adapter (chromapipe.steps.from_snakemake) which paths are whose.
    """

    def __init__(self, *functions, **named):
        self.functions, self.named = functions, named
        # a batch job's wildcards -> every chromosome's inputs (asked for by its inputs and its params)
        self.planned = {}

    def one(self, wildcards):
        """The inputs of one chromosome (wildcards with {chr})."""
        this = run(wildcards)
        files = {
            name: this.out(path.replace("{chr}", wildcards.chr))
            for name, path in self.named.items()
        }
        for function in self.functions:
            files.update(function(wildcards))
        return files

    def chromosomes(self, wildcards):
        """Every chromosome's inputs of a batch job, checked to name the same inputs (computed once per job)."""
        key = tuple(wildcards.items())
        if key not in self.planned:
            self.planned[key] = self._chromosomes(wildcards)
        return self.planned[key]

    def _chromosomes(self, wildcards):
        each = [self.one(chrom_wildcards(wildcards, chrom)) for chrom in CHROMOSOMES]
        for chrom, files in zip(CHROMOSOMES, each):
            if files.keys() != each[0].keys():
                raise InputError(f"batch: dataset: chr{chrom} has inputs {sorted(files)}, chr{CHROMOSOMES[0]} "
                                 f"{sorted(each[0])}; use batch: chromosome")  # fmt: skip
        return each

    def __call__(self, wildcards):
        if not BATCHED:
            return self.one(wildcards)
        each = self.chromosomes(wildcards)
        return {
            name: shared_or_each([files[name] for files in each]) for name in each[0]
        }

    def params(self, **per_chromosome):
        """The rule's per-chromosome params (functions of the wildcards with {chr}); batch: dataset - one param,
        batch, the plan: {chromosomes, inputs: name -> each chromosome's count of paths (None: one path; a name
        left out: the same for all), params: each chromosome's values}."""
        if not BATCHED:
            return per_chromosome

        def plan(wildcards):
            each = self.chromosomes(wildcards)
            counts = {}
            for name in each[0]:
                values = [files[name] for files in each]
                if shared_or_each(values) is not values[0]:
                    counts[name] = [
                        None if isinstance(v, str) else len(v) for v in values
                    ]
            params = [
                {key: value(chrom_wildcards(wildcards, chrom)) if callable(value) else value
                 for key, value in per_chromosome.items()}
                for chrom in CHROMOSOMES
            ]  # fmt: skip
            return {"chromosomes": CHROMOSOMES, "inputs": counts, "params": params}

        return {"batch": plan}


def shared_or_each(values):
    """One chromosome's value when every chromosome has it, else every chromosome's paths in order (flat)."""
    if all(value == values[0] for value in values):
        return values[0]
    return [
        path
        for value in values
        for path in ([value] if isinstance(value, str) else value)
    ]


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


#: The rules of one job per chromosome (batch: chromosome) or per dataset (batch: dataset).
PER_CHROMOSOME = ("fetch_pdb", "fetch_bead_map", "fetch_contacts", "compute_physical", "fetch_annotations", "compile",
                  "figures", "export_structure")  # fmt: skip


def job_resources(rule):
    """A rule's memory and time (workflow/resources.yaml); a batch job's time is its chromosomes' sum."""
    scale = len(CHROMOSOMES) if BATCHED and rule in PER_CHROMOSOME else 1
    return {
        "mem_mb": RESOURCES[rule]["mem_mb"],
        "runtime": RESOURCES[rule]["runtime"] * scale,
    }


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


def staged_bins(wildcards):
    """The staged bin map a dataset reads: {outdir}[/{dataset}]/reference/bins.parquet, of the first dataset of
    the sheet with the same bin map (datasets sharing one stage it once)."""
    owner = RUNS[BINS_FROM[wildcards.dataset]] if RUNS.sheet else SHARED
    return owner.out("reference/bins.parquet")


def annotations_input(wildcards):
    """The chromosome's annotation table a dataset reads: its own, or that of the first dataset of the sheet with
    the same annotation inputs (datasets sharing them run one fetch_annotations per chromosome).
    """
    owner = RUNS[ANNOTATIONS_FROM[wildcards.dataset]] if RUNS.sheet else SHARED
    return {
        "annotations": owner.out(f"annotations/chr{wildcards.chr}_annotations.parquet")
    }


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
        files["bins"] = staged_bins(wildcards)
    return files


# AWS: stop an S3/Batch run before it submits or stores anything (variables, Batch sizes, the bucket)
deploy.preflight(workflow, RESOURCES_FILE)
