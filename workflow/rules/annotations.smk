# fetch_annotations (Nextflow: fetch_annotations): GC content, N fraction and gene
# density of every bin of the chromosome. Independent of compute_physical, so the
# two run side by side. The local-files backend reads the reference files from
# the tree, so it runs on the submitting host.


rule fetch_annotations:
    input:
        unpack(lambda wildcards: fasta_inputs()),
        mapping=rules.fetch_mapping.output.mapping,
        gtf=lambda wildcards: reference_input("gtf"),
    output:
        annotations=out("annotations/chr{chr}_annotations.parquet"),
    log:
        "logs/fetch_annotations/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_annotations/chr{chr}.tsv"
    params:
        cli=CLI,
        outdir=lambda wildcards, output: os.path.dirname(output.annotations),
        source=ANNOTATION_SOURCE,
        assembly=config["assembly"],
    threads: 1
    resources:
        mem_mb=2048,
        runtime=60,
    localrule: ANNOTATION_SOURCE == "files"
    shell:
        "{params.cli} annotations --chr {wildcards.chr} --mapping {input.mapping:q} --outdir {params.outdir:q}"
        " --source {params.source} --fasta {input.fasta:q} --gtf {input.gtf:q}"
        " --assembly {params.assembly} > {log:q} 2>&1"
