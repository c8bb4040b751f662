# compute_physical (Nextflow: compute_physical): per-bead distances to the centre
# of mass, the rolling-mean backbone and the voxel surface, plus the surface points.


rule compute_physical:
    input:
        pdb=rules.fetch_pdb.output.pdb,
    output:
        physical=out("physical/chr{chr}_physical.parquet"),
        surface=out("physical/chr{chr}_surface.parquet"),
    log:
        "logs/compute_physical/chr{chr}.log",
    benchmark:
        "benchmarks/compute_physical/chr{chr}.tsv"
    params:
        cli=CLI,
        outdir=lambda wildcards, output: os.path.dirname(output.physical),
        surface=config["surface"]["mode"],
        grid=config["surface"]["grid"],
    shell:
        "{params.cli} physical {input.pdb:q} --chr {wildcards.chr} --outdir {params.outdir:q}"
        " --surface {params.surface} --grid {params.grid} > {log:q} 2>&1"
