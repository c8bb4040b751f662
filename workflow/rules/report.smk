# figures and summary: what the HTML report shows (`snakemake --report report.html`).


rule figures:
    input:
        compiled=rules.compile.output.compiled,
        surface=rules.compile.output.surface,
    output:
        tracks=report(
            out("figures/chr{chr}_tracks.png"),
            caption="../report/tracks.rst",
            category="Chromosomes",
            subcategory="chr{chr}",
            labels={"chromosome": "{chr}", "figure": "feature tracks"},
        ),
        structure=report(
            out("figures/chr{chr}_structure.png"),
            caption="../report/structure.rst",
            category="Chromosomes",
            subcategory="chr{chr}",
            labels={"chromosome": "{chr}", "figure": "3D structure"},
        ),
        correlation=report(
            out("figures/chr{chr}_correlation.png"),
            caption="../report/correlation.rst",
            category="Chromosomes",
            subcategory="chr{chr}",
            labels={"chromosome": "{chr}", "figure": "surface vs GC and genes"},
        ),
    log:
        "logs/figures/chr{chr}.log",
    benchmark:
        "benchmarks/figures/chr{chr}.tsv"
    params:
        cli=CLI,
        outdir=lambda wildcards, output: os.path.dirname(output.tracks),
    shell:
        "{params.cli} figures --chr {wildcards.chr} --compiled {input.compiled:q} --surface {input.surface:q}"
        " --outdir {params.outdir:q} > {log:q} 2>&1"


rule summary:
    input:
        compiled=expand(out("chr{chr}_compiled.parquet"), chr=CHROMOSOMES),
        surface=expand(out("chr{chr}_surface.parquet"), chr=CHROMOSOMES),
    output:
        table=report(
            out("summary/summary.tsv"),
            caption="../report/summary_table.rst",
            category="Summary",
            labels={"figure": "table"},
        ),
        parquet=out("summary/summary.parquet"),
        figure=report(
            out("summary/summary.png"),
            caption="../report/summary_figure.rst",
            category="Summary",
            labels={"figure": "all chromosomes"},
        ),
    log:
        "logs/summary/summary.log",
    benchmark:
        "benchmarks/summary/summary.tsv"
    params:
        cli=CLI,
        outdir=lambda wildcards, output: os.path.dirname(output.table),
    shell:
        "{params.cli} summary --compiled {input.compiled:q} --surface {input.surface:q}"
        " --outdir {params.outdir:q} > {log:q} 2>&1"
