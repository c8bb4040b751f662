# fetch_pdb (Nextflow: fetch_pdb): the structure of each chromosome, from a local
# folder or a URL through Snakemake's storage plugins, validated and staged into
# the run. fetch_bead_map and fetch_mapping stage the bead-map source and the
# genome-wide bin map the same way. Staging rules run on the submitting host
# (localrule): they read files from the workflow's tree.


rule fetch_pdb:
    input:
        pdb=chromosome_source("structures"),
    output:
        pdb=out("structures/chr{chr}.pdb"),
    log:
        "logs/fetch_pdb/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_pdb/chr{chr}.tsv"
    localrule: True
    params:
        cli=CLI,
        member=archive_member("structures"),
    shell:
        "{params.cli} stage {input.pdb:q} {output.pdb:q} --kind pdb {params.member} > {log:q} 2>&1"


rule fetch_bead_map:
    input:
        source=chromosome_source("bead_map"),
    output:
        bead_map=out(f"beadmap/chr{{chr}}_{BEAD_MAP}.txt"),
    log:
        "logs/fetch_bead_map/chr{chr}.log",
    benchmark:
        "benchmarks/fetch_bead_map/chr{chr}.tsv"
    localrule: True
    params:
        cli=CLI,
        kind=BEAD_MAP,
        member=archive_member("bead_map"),
    shell:
        "{params.cli} stage {input.source:q} {output.bead_map:q} --kind {params.kind} {params.member} > {log:q} 2>&1"


rule fetch_mapping:
    input:
        mapping=source_input(config["mapping"], "mapping"),
    output:
        mapping=out("reference/bins.txt"),
    log:
        "logs/fetch_mapping/fetch_mapping.log",
    benchmark:
        "benchmarks/fetch_mapping/fetch_mapping.tsv"
    localrule: True
    params:
        cli=CLI,
        kind="bins",
    shell:
        "{params.cli} stage {input.mapping:q} {output.mapping:q} --kind {params.kind} > {log:q} 2>&1"
