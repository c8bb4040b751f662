# export_structure: each chromosome's annotated structure for molecular viewers, an mmCIF
# (one atom per bead, bonds along the chain, report.colour_by as the B-factor) and one
# ChimeraX attribute file per numeric column of its compiled table, zipped (one file: S3 stores no folders).

EXPORT_STRUCTURE = Each(compiled="chr{chr}_compiled.parquet")


rule export_structure:
    input:
        unpack(EXPORT_STRUCTURE),
    output:
        cif=per_chrom("structures_annotated/chr{chr}.cif"),
        attributes=per_chrom("structures_annotated/chr{chr}_attributes.zip"),
    log:
        logs("export_structure/chr{chr}.log"),
    benchmark:
        bench("export_structure/chr{chr}.tsv")
    threads: RESOURCES["export_structure"]["threads"]
    resources:
        **job_resources("export_structure"),
    params:
        **EXPORT_STRUCTURE.params(),
        colour_by=SHARED.report.colour_by,
        dataset=lambda wildcards: run(wildcards).name,
    script:
        "../scripts/step.py"
