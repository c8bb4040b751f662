# compile (Nextflow: compile): one table per chromosome, each bead on its own bin
# (or, with legacy: true, the original's row-order pairing), plus the surface points.


rule compile:
    input:
        unpack(bead_map_input),
        physical=rules.compute_physical.output.physical,
        surface=rules.compute_physical.output.surface,
        annotations=rules.fetch_annotations.output.annotations,
        mapping=rules.fetch_mapping.output.mapping,
    output:
        compiled=out("chr{chr}_compiled.parquet"),
        surface=out("chr{chr}_surface.parquet"),
    log:
        "logs/compile/chr{chr}.log",
    benchmark:
        "benchmarks/compile/chr{chr}.tsv"
    params:
        cli=CLI,
        outdir=lambda wildcards, output: os.path.dirname(output.compiled),
        bead_map=bead_map_option,
        legacy="--legacy" if config["legacy"] else "",
        assembly=config["assembly"],
    shell:
        "{params.cli} compile --chr {wildcards.chr} --physical {input.physical:q} --surface {input.surface:q}"
        " --annotations {input.annotations:q} --mapping {input.mapping:q} --bead-map {params.bead_map:q}"
        " --assembly {params.assembly} {params.legacy} --outdir {params.outdir:q} > {log:q} 2>&1"
