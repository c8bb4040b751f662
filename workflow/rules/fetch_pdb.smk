# fetch_pdb (Nextflow: fetch_pdb): each chromosome's structure, from a local file,
# an archive member or a URL (through Snakemake's storage plugins), parsed and
# validated once into the structure table. fetch_bead_map and fetch_mapping stage
# the bead-map source and the genome-wide bin map the same way. Staging rules run
# on the submitting host (localrule): they read files from the workflow's tree.


rule fetch_pdb:
    input:
        source=lambda wildcards: fetched(RUN.structure(wildcards.chr)),
    output:
        structure=out("structures/chr{chr}.parquet"),
    log:
        "logs/fetch_pdb/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_pdb/chr{chr}.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=512,
        runtime=15,
    params:
        member=lambda wildcards: RUN.structure(wildcards.chr).member,
    script:
        "../scripts/step.py"


rule fetch_bead_map:
    input:
        source=lambda wildcards: fetched(RUN.bead_map_file(wildcards.chr)),
    output:
        positions=out("beadmap/chr{chr}_positions.parquet"),
    log:
        "logs/fetch_bead_map/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_bead_map/chr{chr}.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=512,
        runtime=15,
    params:
        kind=RUN.pairing,
        member=lambda wildcards: RUN.bead_map_file(wildcards.chr).member,
    script:
        "../scripts/step.py"


rule fetch_mapping:
    input:
        source=fetched(RUN.mapping),
    output:
        bins=out("reference/bins.parquet"),
    log:
        "logs/fetch_mapping/fetch_mapping.log",
    benchmark:
        "benchmarks/fetch_mapping/fetch_mapping.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=512,
        runtime=15,
    params:
        member=RUN.mapping.member,
    script:
        "../scripts/step.py"
