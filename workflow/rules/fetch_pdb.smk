# fetch_pdb (Nextflow: fetch_pdb): each chromosome's structure, from a local file,
# an archive member, a URL (through Snakemake's storage plugins) or, for GSDB, its
# host and then its mirror, parsed and validated once into the structure table. fetch_bead_map and fetch_mapping stage
# the bead-map source and the genome-wide bin map the same way. Staging rules run
# on the submitting host (localrule): they read files from the workflow's tree.

FETCH_PDB = Each(structure_input)


rule fetch_pdb:
    input:
        unpack(FETCH_PDB),
    output:
        structure=per_chrom("structures/chr{chr}.parquet"),
    log:
        logs("fetch_pdb/chr{chr}.log"),
    benchmark:
        bench("fetch_pdb/chr{chr}.tsv")
    priority: 2
    localrule: True
    threads: RESOURCES["fetch_pdb"]["threads"]
    resources:
        **job_resources("fetch_pdb"),
    params:
        **FETCH_PDB.params(
            member=lambda wildcards: run(wildcards).structure(wildcards.chr).member,
            urls=lambda wildcards: run(wildcards).structure(wildcards.chr).urls,
        ),
        format=lambda wildcards: run(wildcards).structures.format,
        haplotype=lambda wildcards: run(wildcards).structures.haplotype,
        neighbour_radius=lambda wildcards: run(wildcards).features.neighbour_radius,
    script:
        "../scripts/step.py"


FETCH_BEAD_MAP = Each(
    lambda wildcards: {"source": fetched(run(wildcards).bead_map_file(wildcards.chr))}
)


rule fetch_bead_map:
    input:
        unpack(FETCH_BEAD_MAP),
    output:
        positions=per_chrom("beadmap/chr{chr}_positions.parquet"),
    log:
        logs("fetch_bead_map/chr{chr}.log"),
    benchmark:
        bench("fetch_bead_map/chr{chr}.tsv")
    priority: 2
    localrule: True
    threads: RESOURCES["fetch_bead_map"]["threads"]
    resources:
        **job_resources("fetch_bead_map"),
    params:
        **FETCH_BEAD_MAP.params(
            member=lambda wildcards: run(wildcards)
            .bead_map_file(wildcards.chr)
            .member,
        ),
        bead_map_source=lambda wildcards: run(wildcards).bead_map.source,
    script:
        "../scripts/step.py"


FETCH_CONTACTS = Each(
    lambda wildcards: {
        "source": fetched(run(wildcards).agreement_contacts(wildcards.chr))
    }
)


rule fetch_contacts:
    input:
        unpack(FETCH_CONTACTS),
        bins=staged_bins,
    output:
        contacts=per_chrom("contacts/chr{chr}_contacts.parquet"),
    log:
        logs("fetch_contacts/chr{chr}.log"),
    benchmark:
        bench("fetch_contacts/chr{chr}.tsv")
    localrule: True
    threads: RESOURCES["fetch_contacts"]["threads"]
    resources:
        **job_resources("fetch_contacts"),
    params:
        **FETCH_CONTACTS.params(),
    script:
        "../scripts/step.py"


rule fetch_mapping:
    input:
        source=lambda wildcards: fetched(run(wildcards).mapping),
    output:
        bins=out("reference/bins.parquet"),
    log:
        logs("fetch_mapping/fetch_mapping.log"),
    benchmark:
        bench("fetch_mapping/fetch_mapping.tsv")
    priority: 3
    localrule: True
    threads: RESOURCES["fetch_mapping"]["threads"]
    resources:
        **job_resources("fetch_mapping"),
    params:
        member=lambda wildcards: run(wildcards).mapping.member,
        autosomes=lambda wildcards: run(wildcards).autosomes,
    script:
        "../scripts/step.py"


# one fetch_dataset rule per dataset with a GSDB archive (named fetch_dataset__NAME with a sheet)
for NAME, DATASET_RUN in RUNS.runs.items():
    if not DATASET_RUN.dataset:
        continue

    rule:
        name:
            f"fetch_dataset__{NAME}" if RUNS.sheet else "fetch_dataset"
        input:
            archive=fetched(DATASET_RUN.dataset),
        output:
            **{key: path for key, (path, _) in DATASET_RUN.dataset_members().items()},
        log:
            run_log(f"fetch_dataset/{NAME or 'fetch_dataset'}.log"),
        benchmark:
            run_bench(f"fetch_dataset/{NAME or 'fetch_dataset'}.tsv")
        priority: 3
        localrule: True
        threads: RESOURCES["fetch_dataset"]["threads"]
        resources:
            **job_resources("fetch_dataset"),
        params:
            wanted={
                key: names for key, (_, names) in DATASET_RUN.dataset_members().items()
            },
        script:
            "../scripts/step.py"
