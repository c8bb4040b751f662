# figures and summary: what the HTML report shows (`snakemake --report report.html`).


FIGURES = Each(compiled="chr{chr}_compiled.parquet", surface="chr{chr}_surface.parquet")


rule figures:
    input:
        unpack(FIGURES),
    output:
        tracks=per_chrom_report(
            "figures/chr{chr}_tracks.png", "../report/tracks.rst", "feature tracks"
        ),
        structure=per_chrom_report(
            "figures/chr{chr}_structure.png", "../report/structure.rst", "3D structure"
        ),
        correlation=per_chrom_report(
            "figures/chr{chr}_correlation.png",
            "../report/correlation.rst",
            "surface vs GC and genes",
        ),
    log:
        logs("figures/chr{chr}.log"),
    benchmark:
        bench("figures/chr{chr}.tsv")
    # the longest of the jobs after compile: started before summary and export_structure when cores are short
    priority: 1
    threads: RESOURCES["figures"]["threads"]
    resources:
        **job_resources("figures"),
    params:
        **FIGURES.params(),
        colour_by=SHARED.report.colour_by,
        dataset=lambda wildcards: run(wildcards).name,
    script:
        "../scripts/step.py"


rule summary:
    input:
        # plain patterns (S3-flagged rule outputs are refused by expand); {dataset} stays a wildcard
        compiled=expand(
            out("chr{chr}_compiled.parquet"),
            chr=SHARED.chromosomes,
            allow_missing=True,
        ),
        surface=expand(
            out("chr{chr}_surface.parquet"), chr=SHARED.chromosomes, allow_missing=True
        ),
        physical=expand(
            out("physical/chr{chr}_physical.parquet"),
            chr=SHARED.chromosomes,
            allow_missing=True,
        ),
        contacts=agreement_contacts,
    output:
        table=report(
            out("summary/summary.tsv"),
            caption="../report/summary_table.rst",
            category="Summary",
            labels=labels({"figure": "table"}),
        ),
        parquet=out("summary/summary.parquet"),
        figure=report(
            out("summary/summary.png"),
            caption="../report/summary_figure.rst",
            category="Summary",
            labels=labels({"figure": "all chromosomes"}),
        ),
        correlations_table=report(
            out("summary/correlations.tsv"),
            caption="../report/correlations.rst",
            category="Summary",
            labels=labels({"figure": "correlations table"}),
        ),
        correlations_parquet=out("summary/correlations.parquet"),
        heatmap=report(
            out("summary/correlations.png"),
            caption="../report/correlations.rst",
            category="Summary",
            labels=labels({"figure": "correlations heatmap"}),
        ),
        model_rmsd=out("summary/model_rmsd.parquet"),
        model_rmsd_figure=report(
            out("summary/model_rmsd.png"),
            caption="../report/model_rmsd.rst",
            category="Summary",
            labels=labels({"figure": "RMSD between models"}),
        ),
        contact_figure=report(
            out("summary/contact_distance.png"),
            caption="../report/contact_distance.rst",
            category="Summary",
            labels=labels({"figure": "distance vs contact count"}),
        ),
    log:
        logs("summary/summary.log"),
    benchmark:
        bench("summary/summary.tsv")
    threads: RESOURCES["summary"]["threads"]
    resources:
        **job_resources("summary"),
    params:
        chromosomes=list(SHARED.chromosomes),
        dataset=lambda wildcards: run(wildcards).name,
        bootstrap_resamples=SHARED.report.bootstrap_resamples,
    script:
        "../scripts/step.py"


if RUNS.sheet:

    rule compare_datasets:
        input:
            compiled=[
                RUNS[name].out(f"chr{chrom}_compiled.parquet")
                for name in RUNS.runs
                for chrom in SHARED.chromosomes
            ],
            correlations=[
                RUNS[name].out("summary/correlations.parquet") for name in RUNS.runs
            ],
            physical=[
                RUNS[name].out(f"physical/chr{chrom}_physical.parquet")
                for name in RUNS.runs
                for chrom in SHARED.chromosomes
            ],
        output:
            table=report(
                f"{RUNS.outdir}/comparison/datasets.tsv",
                caption="../report/comparison.rst",
                category="Datasets",
                labels={"figure": "table"},
            ),
            parquet=f"{RUNS.outdir}/comparison/datasets.parquet",
            figure=report(
                f"{RUNS.outdir}/comparison/datasets.png",
                caption="../report/comparison.rst",
                category="Datasets",
                labels={"figure": "correlation matrices"},
            ),
            correlations_table=report(
                f"{RUNS.outdir}/comparison/correlations.tsv",
                caption="../report/correlations.rst",
                category="Datasets",
                labels={"figure": "feature-annotation correlations"},
            ),
            heatmaps=report(
                f"{RUNS.outdir}/comparison/correlations.png",
                caption="../report/correlations.rst",
                category="Datasets",
                labels={"figure": "heatmaps side by side"},
            ),
            rmsd_table=report(
                f"{RUNS.outdir}/comparison/rmsd.tsv",
                caption="../report/rmsd.rst",
                category="Datasets",
                labels={"figure": "RMSD table"},
            ),
            rmsd_parquet=f"{RUNS.outdir}/comparison/rmsd.parquet",
            rmsd_figure=report(
                f"{RUNS.outdir}/comparison/rmsd.png",
                caption="../report/rmsd.rst",
                category="Datasets",
                labels={"figure": "RMSD heatmaps"},
            ),
        log:
            run_log("compare_datasets/compare_datasets.log"),
        benchmark:
            run_bench("compare_datasets/compare_datasets.tsv")
        threads: RESOURCES["compare_datasets"]["threads"]
        resources:
            **job_resources("compare_datasets"),
        params:
            datasets=[name for name in RUNS.runs for chrom in SHARED.chromosomes],
        script:
            "../scripts/step.py"
