# compute_physical (Nextflow: compute_physical): per-bead distances to the centre
# of mass, the rolling-mean backbone and the voxel surface, plus the surface points.

COMPUTE_PHYSICAL = Each(structure="structures/chr{chr}.parquet")


rule compute_physical:
    input:
        unpack(COMPUTE_PHYSICAL),
    output:
        physical=per_chrom("physical/chr{chr}_physical.parquet"),
        surface=per_chrom("physical/chr{chr}_surface.parquet"),
    log:
        logs("compute_physical/chr{chr}.log"),
    benchmark:
        bench("compute_physical/chr{chr}.tsv")
    priority: 2
    threads: RESOURCES["compute_physical"]["threads"]
    resources:
        **job_resources("compute_physical"),
    params:
        **COMPUTE_PHYSICAL.params(),
        surface_mode=SHARED.surface.mode,
        grid=SHARED.surface.grid,
        rg_window=SHARED.features.rg_window,
        neighbour_radius=SHARED.features.neighbour_radius,
    script:
        "../scripts/step.py"
