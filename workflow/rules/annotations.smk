# fetch_annotations (Nextflow: fetch_annotations): GC content, N fraction and gene
# density of every bin of the chromosome, from local files or Ensembl REST.
# Independent of compute_physical, so the two run side by side. Annotation jobs
# run on the submitting host (localrule), also on AWS: the file and table
# backends read files from the tree, and REST jobs must share one rate limit
# (Ensembl counts requests per address), which they do through the lock file
# in their common cache folder; separate Batch instances could not.


rule fetch_annotations:
    input:
        unpack(annotation_inputs),
    output:
        annotations=out("annotations/chr{chr}_annotations.parquet"),
    log:
        "logs/fetch_annotations/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_annotations/chr{chr}.tsv"
    localrule: True
    params:
        cli=CLI,
        outdir=lambda wildcards, output: os.path.dirname(output.annotations),
        backend=annotation_options,
        assembly=config["assembly"],
    shell:
        "{params.cli} annotations --chr {wildcards.chr} --mapping {input.mapping:q} --outdir {params.outdir:q}"
        " {params.backend}"
        " --assembly {params.assembly} > {log:q} 2>&1"
