# nextflow_config: the equivalent Nextflow config (Wave + Fusion aws profile, local
# Docker profile) and its flat form, generated from profiles/aws and the config.
# Not part of `all`: ask for it with `snakemake --profile profiles/local nextflow_config`.


rule nextflow_config:
    output:
        config=out("nextflow/nextflow.config"),
        flat=out("nextflow/aws.flat.config"),
    log:
        "logs/nextflow_config/nextflow_config.log",
    benchmark:
        "benchmarks/nextflow_config/nextflow_config.tsv"
    localrule: True
    params:
        cli=CLI,
    shell:
        "({params.cli} nextflow-config -o {output.config:q}"
        " && {params.cli} nextflow-config --flat -o {output.flat:q}) > {log:q} 2>&1"
