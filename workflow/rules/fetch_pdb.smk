# fetch_pdb (Nextflow: fetch_pdb): each chromosome's structure, from a local file,
# an archive member, a URL (through Snakemake's storage plugins) or, for GSDB, its
# host and then its mirror, parsed and validated once into the structure table. fetch_bead_map and fetch_mapping stage
# the bead-map source and the genome-wide bin map the same way. Staging rules run
# on the submitting host (localrule): they read files from the workflow's tree.


rule fetch_pdb:
    input:
        unpack(structure_input),
    output:
        structure=out("structures/chr{chr}.parquet"),
    log:
        "logs/fetch_pdb/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_pdb/chr{chr}.tsv"
    localrule: True
    threads: RESOURCES["fetch_pdb"]["threads"]
    resources:
        **job_resources("fetch_pdb"),
    params:
        member=lambda wildcards: RUN.structure(wildcards.chr).member,
        urls=lambda wildcards: RUN.structure(wildcards.chr).urls,
        format=RUN.structure_format,
        haplotype=RUN.haplotype,
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
    threads: RESOURCES["fetch_bead_map"]["threads"]
    resources:
        **job_resources("fetch_bead_map"),
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
    threads: RESOURCES["fetch_mapping"]["threads"]
    resources:
        **job_resources("fetch_mapping"),
    params:
        member=RUN.mapping.member,
        autosomes=RUN.autosomes,
    script:
        "../scripts/step.py"


if RUN.dataset:

    rule fetch_dataset:
        input:
            archive=fetched(RUN.dataset),
        output:
            **{key: path for key, (path, _) in RUN.dataset_members().items()},
        log:
            "logs/fetch_dataset/fetch_dataset.log",
        benchmark:
            "benchmarks/fetch_dataset/fetch_dataset.tsv"
        localrule: True
        threads: RESOURCES["fetch_dataset"]["threads"]
        resources:
            **job_resources("fetch_dataset"),
        params:
            wanted={key: names for key, (_, names) in RUN.dataset_members().items()},
        script:
            "../scripts/step.py"
