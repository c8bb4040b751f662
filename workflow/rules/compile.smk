# compile (Nextflow: compile): one table per chromosome, each bead on its own bin
# (or, with legacy: true, the original's row-order pairing), plus the surface points.

COMPILE = Each(
    positions_input,
    annotations_input,
    physical="physical/chr{chr}_physical.parquet",
    surface="physical/chr{chr}_surface.parquet",
)


rule compile:
    input:
        unpack(COMPILE),
        bins=staged_bins,
    output:
        compiled=per_chrom("chr{chr}_compiled.parquet"),
        published_surface=per_chrom("chr{chr}_surface.parquet"),
    log:
        logs("compile/chr{chr}.log"),
    benchmark:
        bench("compile/chr{chr}.tsv")
    priority: 2
    threads: RESOURCES["compile"]["threads"]
    resources:
        **job_resources("compile"),
    params:
        **COMPILE.params(),
        bead_map_source=lambda wildcards: run(wildcards).bead_map.source,
        legacy=lambda wildcards: run(wildcards).legacy,
        assembly=lambda wildcards: run(wildcards).assembly,
        algorithm=lambda wildcards: run(wildcards).algorithm,
        dataset=lambda wildcards: run(wildcards).dataset_metadata(),
    script:
        "../scripts/step.py"
