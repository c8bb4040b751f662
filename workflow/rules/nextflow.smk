# nextflow_config: the equivalent Nextflow config (Wave + Fusion aws profile, local
# Docker profile) and its flat form, generated from profiles/aws and the config.
# Not part of `all`: ask for it with `snakemake --profile profiles/local nextflow_config`.


rule nextflow_config:
    output:
        config=out("nextflow/nextflow.config"),
        flat=out("nextflow/aws.flat.config"),
    log:
        logs("nextflow_config/nextflow_config.log"),
    benchmark:
        bench("nextflow_config/nextflow_config.tsv")
    localrule: True
    threads: RESOURCES["nextflow_config"]["threads"]
    resources:
        **job_resources("nextflow_config"),
    script:
        "../scripts/step.py"
