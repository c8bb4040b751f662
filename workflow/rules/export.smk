# export_structure: each chromosome's annotated structure for molecular viewers, an mmCIF
# (one atom per bead, bonds along the chain, report.colour_by as the B-factor) and one
# ChimeraX attribute file per numeric column of its compiled table, zipped (one file: S3 stores no folders).


rule export_structure:
    input:
        compiled=rules.compile.output.compiled,
    output:
        cif=out("structures_annotated/chr{chr}.cif"),
        attributes=out("structures_annotated/chr{chr}_attributes.zip"),
    log:
        logs("export_structure/chr{chr}.log"),
    benchmark:
        bench("export_structure/chr{chr}.tsv")
    threads: RESOURCES["export_structure"]["threads"]
    resources:
        **job_resources("export_structure"),
    params:
        colour_by=SHARED.report.colour_by,
        dataset=lambda wildcards: run(wildcards).name,
    script:
        "../scripts/step.py"
