# compile (Nextflow: compile): one table per chromosome, each bead on its own bin
# (or, with legacy: true, the original's row-order pairing), plus the surface points.


rule compile:
    input:
        unpack(positions_input),
        physical=rules.compute_physical.output.physical,
        surface=rules.compute_physical.output.surface,
        annotations=rules.fetch_annotations.output.annotations,
        bins=rules.fetch_mapping.output.bins,
    output:
        compiled=out("chr{chr}_compiled.parquet"),
        published_surface=out("chr{chr}_surface.parquet"),
    log:
        logs("compile/chr{chr}.log"),
    benchmark:
        bench("compile/chr{chr}.tsv")
    threads: RESOURCES["compile"]["threads"]
    resources:
        **job_resources("compile"),
    params:
        bead_map_source=lambda wildcards: run(wildcards).bead_map.source,
        legacy=lambda wildcards: run(wildcards).legacy,
        assembly=lambda wildcards: run(wildcards).assembly,
        algorithm=lambda wildcards: run(wildcards).algorithm,
        dataset=lambda wildcards: run(wildcards).dataset_metadata(),
    script:
        "../scripts/step.py"
