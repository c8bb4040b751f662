# fetch_annotations (Nextflow: fetch_annotations): GC content, N fraction and gene
# density of every bin of the chromosome, from local files, Ensembl REST or an
# existing table. Independent of compute_physical, so the two run side by side.
# Annotation jobs run on the submitting host (localrule), also on AWS: the file
# and table sources read files from the tree, and REST jobs must share one rate
# limit (Ensembl counts requests per address), which they do through the lock
# file in their common cache folder; separate Batch instances could not.


rule fetch_annotations:
    input:
        unpack(annotation_inputs),
        bins=rules.fetch_mapping.output.bins,
    output:
        annotations=out("annotations/chr{chr}_annotations.parquet"),
    log:
        "logs/fetch_annotations/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_annotations/chr{chr}.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    params:
        source=RUN.annotations.source,
        assembly=RUN.assembly,
        ensembl=RUN.annotations.ensembl,
    script:
        "../scripts/step.py"
