# fetch_annotations (Nextflow: fetch_annotations): GC content, N fraction and gene
# density of every bin of the chromosome, from local files, Ensembl REST or an
# existing table; with compartments on, A/B compartments from the contact list;
# one column per user track (tracks given by URL are downloaded once). Independent of compute_physical, so the two run side by side.
# Annotation jobs run on the submitting host (localrule), also on AWS: the file
# and table sources read files from the tree, and REST jobs must share one rate
# limit (Ensembl counts requests per address), which they do through the lock
# file in their common cache folder; separate Batch instances could not.

FETCH_ANNOTATIONS = Each(annotation_inputs, compartment_input)


rule fetch_annotations:
    input:
        unpack(FETCH_ANNOTATIONS),
        bins=staged_bins,
        tracks=[fetched(item.source) for item in SHARED.tracks],
    output:
        annotations=per_chrom("annotations/chr{chr}_annotations.parquet"),
    log:
        logs("fetch_annotations/chr{chr}.log"),
    benchmark:
        bench("fetch_annotations/chr{chr}.tsv")
    priority: 2
    localrule: True
    threads: RESOURCES["fetch_annotations"]["threads"]
    resources:
        **job_resources("fetch_annotations"),
    params:
        **FETCH_ANNOTATIONS.params(),
        source=SHARED.annotations.source,
        assembly=lambda wildcards: run(wildcards).assembly,
        ensembl=SHARED.annotations.ensembl,
        track_specs=SHARED.track_specs,
    script:
        "../scripts/step.py"


# References given by URL (or not indexed) are prepared once, into the reference
# folder shared by runs: the FASTA as bgzip with its .fai/.gzi, the GTF/GFF3 as
# a per-gene table that every chromosome's annotation job reads.
if SHARED.annotations.source == "files":

    rule prepare_genes:
        input:
            source=fetched(SHARED.annotations.gtf),
        output:
            genes=SHARED.annotations.genes.location,
        log:
            run_log("prepare_genes/prepare_genes.log"),
        benchmark:
            run_bench("prepare_genes/prepare_genes.tsv")
        priority: 3
        localrule: True
        threads: RESOURCES["prepare_genes"]["threads"]
        resources:
            **job_resources("prepare_genes"),
        script:
            "../scripts/step.py"


if SHARED.annotations.fasta_source:

    rule prepare_fasta:
        input:
            source=fetched(SHARED.annotations.fasta_source),
        output:
            fasta=SHARED.annotations.fasta.location,
            fai=SHARED.annotations.fasta_index[0].location,
            gzi=SHARED.annotations.fasta_index[1].location,
        log:
            run_log("prepare_fasta/prepare_fasta.log"),
        benchmark:
            run_bench("prepare_fasta/prepare_fasta.tsv")
        priority: 3
        threads: RESOURCES["prepare_fasta"]["threads"]
        resources:
            **job_resources("prepare_fasta"),
        script:
            "../scripts/step.py"
