"""The ``chromapipe`` command: one subcommand per workflow step.

Argument parsing and file wiring only; the science is in the modules.
Exit status: 0 on success, 2 on bad input or usage (one paragraph on stderr,
no traceback unless ``--debug``).
"""

import argparse
import logging
import os
import sys
import time

from . import __version__, chroms
from .errors import ChromapipeError, InputError

log = logging.getLogger("chromapipe")


def _outpath(outdir, chrom, suffix):
    return os.path.join(outdir, f"chr{chroms.canonical(chrom)}_{suffix}.parquet")


def cmd_physical(args):
    import polars as pl

    from .io import write_outputs
    from .physical import WINDOW, physical_features
    from .structure import read_pdb

    chrom = chroms.canonical(args.chr)
    started = time.perf_counter()
    coords = read_pdb(args.pdb)
    try:
        features, surface = physical_features(coords, mode=args.surface, grid=args.grid)
    except InputError as exc:
        if exc.path is not None:
            raise
        raise InputError(str(exc), args.pdb) from None  # name the structure the geometry came from
    physical = pl.DataFrame({k: pl.Series(k, v, dtype=pl.Float64) for k, v in features.items()})
    meta = {
        "chromapipe_version": __version__,
        "chromosome": chrom,
        "structure": os.path.basename(args.pdb),
        "beads": int(coords.shape[0]),
        "surface": surface.mode,
        "grid": surface.grid,
        "sphere_radius_nm": surface.radius,
        "bin_size_nm": surface.bin_size,
        "sampled_points": surface.n_samples,
        "dropped_points": surface.n_dropped,
        "filled_voxels": surface.n_filled,
        "enclosed_surface_voxels": surface.n_enclosed,
        "surface_points": int(surface.points.shape[0]),
        "backbone": f"none (chain of {WINDOW} beads or fewer)"
        if coords.shape[0] <= WINDOW
        else f"rolling mean, window {WINDOW}",
    }
    surface_frame = pl.DataFrame(
        {axis: pl.Series(axis, surface.points[:, i], dtype=pl.Float64) for i, axis in enumerate("xyz")}
    )
    write_outputs(
        {
            _outpath(args.outdir, chrom, "physical"): (physical, meta),
            _outpath(args.outdir, chrom, "surface"): (surface_frame, meta),
        }
    )
    if coords.shape[0] <= WINDOW:
        log.warning(
            "chr%s: %d beads, no rolling-mean backbone (window %d): dist_rolling_mean is empty",
            chrom,
            coords.shape[0],
            WINDOW,
        )
    log.info(
        "chr%s: %d beads, %d surface points (%s surface, %s grid), %d of %d sampled points dropped, %.3f s",
        chrom,
        coords.shape[0],
        surface.points.shape[0],
        surface.mode,
        surface.grid,
        surface.n_dropped,
        surface.n_samples,
        time.perf_counter() - started,
    )


def cmd_annotations(args):
    from .beadmap import chromosome_bins, read_bin_map
    from .io import write_parquet

    chrom = chroms.canonical(args.chr)
    bins = chromosome_bins(read_bin_map(args.mapping), chrom, args.mapping)
    meta = {"chromapipe_version": __version__, "chromosome": chrom, "source": args.source, "bins": bins.height}
    if args.source == "table":
        from .annotations.table import read_annotation_table

        if not args.table:
            raise InputError("--source table needs --table FILE (CSV or Parquet)")
        table = read_annotation_table(args.table, bins, chrom)
        meta.update(table=os.path.basename(args.table), assembly=args.assembly)
    elif args.source == "files":
        from .annotations.files import annotate_from_files

        if not args.fasta or not args.gtf:
            raise InputError("--source files needs --fasta FILE and --gtf FILE")
        table = annotate_from_files(bins, chrom, args.fasta, args.gtf)
        meta.update(fasta=os.path.basename(args.fasta), gtf=os.path.basename(args.gtf), assembly=args.assembly)
    else:
        from .annotations.ensembl import EnsemblClient, annotate_from_ensembl, default_cache_dir

        cache = None if args.no_cache else (args.cache or default_cache_dir())
        client = EnsemblClient(
            assembly=args.assembly,
            host=args.host,
            max_rps=args.max_rps,
            cache=cache,
            timeout=args.timeout,
            retries=args.retries,
            backoff=args.backoff,
            release=args.release,
        )
        log.info("chr%s: %d bins from %s (assembly %s, at most %g requests/s, cache %s)",
                 chrom, bins.height, client.host, args.assembly, args.max_rps, cache or "off")  # fmt: skip
        table = annotate_from_ensembl(bins, chrom, client, batch_size=args.batch_size, window=args.window)
        stats = client.stats
        meta.update(
            host=client.host,
            assembly=client.reported_assembly or args.assembly,
            assembly_requested=args.assembly,
            ensembl_release=client.release,
            requests=stats.requests,
            retried=stats.retried,
            cached_regions=stats.cached,
        )
    path = _outpath(args.outdir, chrom, "annotations")
    write_parquet(table, path, meta)
    log.info("chr%s: %d bins annotated -> %s", chrom, table.height, path)


def cmd_compile(args):
    from .beadmap import chromosome_bins, parse_bead_map_spec, read_bin_map
    from .compile import (
        PHYSICAL_COLUMNS,
        SURFACE_COLUMNS,
        compile_chromosome,
        compile_legacy,
        compiled_metadata,
        surface_table,
    )
    from .io import read_metadata, read_table, write_outputs

    chrom = chroms.canonical(args.chr)
    physical = read_table(args.physical, "physical features", PHYSICAL_COLUMNS)
    surface = read_table(args.surface, "surface", SURFACE_COLUMNS)
    annotations = read_table(args.annotations, "annotations", ("start", "end", "gc_content", "gene_density"))
    source, bead_file = parse_bead_map_spec(args.bead_map)
    if args.legacy:
        compiled = compile_legacy(chrom, physical, annotations)
    else:
        bins = chromosome_bins(read_bin_map(args.mapping), chrom, args.mapping) if args.mapping else None
        compiled = compile_chromosome(chrom, physical, annotations, bins, source, bead_file)
    meta = compiled_metadata(
        chrom,
        args.legacy,
        "row-order" if args.legacy else source,
        None if args.legacy else bead_file,
        read_metadata(args.physical),
        read_metadata(args.annotations),
        args.assembly,
    )
    write_outputs(
        {
            _outpath(args.outdir, chrom, "compiled"): (compiled, meta),
            _outpath(args.outdir, chrom, "surface"): (surface_table(surface), meta),
        }
    )
    beads = physical.height if args.legacy else int(compiled["bead"].is_not_null().sum())
    log.info("chr%s: %d rows (%d with a bead) -> %s", chrom, compiled.height, beads, args.outdir)


def cmd_stage(args):
    from .stage import stage

    stage(args.source, args.dest, args.kind, args.member)
    log.info("staged %s%s -> %s", args.source, f"!{args.member}" if args.member else "", args.dest)


def cmd_nextflow_config(args):
    from . import nextflow
    from .deploy import deployment

    deploy = deployment(args.profile_dir)
    text = nextflow.flat(args.profile, deploy, args.config) if args.flat else nextflow.render(deploy, args.config)
    if args.output:
        from .io import atomic_path

        with atomic_path(args.output) as tmp:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
    else:
        sys.stdout.write(text)


def cmd_parity(args):
    import json

    from .parity import compare_folders, format_report

    report, ok = compare_folders(args.reference, args.ours, args.tolerance)
    print(json.dumps(report, indent=2, default=float) if args.json else format_report(report))
    return 0 if ok else 1


def cmd_figures(args):
    import polars as pl

    from . import report
    from .io import read_table, write_files

    chrom = chroms.canonical(args.chr)
    table = read_table(args.compiled, "compiled table", ("start", "end", "dist_surface", "gc_content", "gene_density"))
    surface = read_table(args.surface, "surface", ("x", "y", "z"))
    if "bead" not in table.columns:  # legacy layout: every row with coordinates is a bead
        table = table.with_columns(
            pl.when(pl.col("x").is_not_null()).then(pl.int_range(1, pl.len() + 1)).otherwise(None).alias("bead")
        )
    figure = os.path.join(args.outdir, f"chr{chrom}_{{}}.png").format
    written = [figure(name) for name in ("tracks", "structure", "correlation")]
    write_files(
        {
            written[0]: lambda tmp: report.plot_tracks(table, tmp, chrom),
            written[1]: lambda tmp: report.plot_structure(table, surface, tmp, chrom),
            written[2]: lambda tmp: report.plot_correlation(table, tmp, chrom),
        }
    )
    log.info("chr%s: %s", chrom, ", ".join(written))


def cmd_summary(args):
    from . import report
    from .io import parquet_writer, read_table, write_files

    if len(args.compiled) != len(args.surface):
        raise InputError(f"{len(args.compiled)} compiled tables but {len(args.surface)} surface tables")
    rows = []
    for compiled, surface in zip(args.compiled, args.surface):
        name = os.path.basename(compiled)
        if not (name.startswith("chr") and name.endswith("_compiled.parquet")):
            raise InputError("expected a chr{N}_compiled.parquet file", compiled)
        chrom = chroms.canonical(name[3 : -len("_compiled.parquet")])
        rows.append(report.summary_row(chrom, read_table(compiled, "compiled table"), read_table(surface, "surface")))
    summary = report.summary_table(rows)
    where = os.path.join(args.outdir, "summary.{}").format
    write_files(
        {
            where("parquet"): parquet_writer(summary, {"chromapipe_version": __version__}),
            where("tsv"): lambda tmp: summary.write_csv(tmp, separator="\t", float_precision=4),
            where("png"): lambda tmp: report.plot_summary(summary, tmp),
        }
    )
    log.info("summary of %d chromosomes -> %s", summary.height, args.outdir)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="chromapipe",
        description="Physical features of Hi-C 3D chromosome structures and per-bin annotations.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    base = argparse.ArgumentParser(add_help=False)
    base.add_argument("--debug", action="store_true", help="show tracebacks and debug messages")
    base.add_argument("--quiet", action="store_true", help="only warnings and errors")
    common = argparse.ArgumentParser(add_help=False, parents=[base])
    common.add_argument("--chr", required=True, help="chromosome: 21, chr21, X, 23, ...")
    common.add_argument("--outdir", required=True, help="output folder (created if missing)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "physical",
        parents=[common],
        help="per-bead physical features and the surface of a structure",
        description="Read a 3DMax/GSDB PDB and write DIR/chr{N}_physical.parquet (x, y, z, dist_surface, "
        "dist_com, dist_rolling_mean; Float64, not rounded; one row per bead in chain order) and "
        "DIR/chr{N}_surface.parquet (x, y, z of the surface points, nm).",
    )
    p.add_argument("pdb", help="the structure (PDB, one CA bead per residue)")
    p.add_argument(
        "--surface",
        choices=("all", "exterior"),
        default="all",
        help="all: every filled voxel with an empty neighbour, as the original (default); "
        "exterior: only voxels facing empty space connected to the outside",
    )
    p.add_argument(
        "--grid",
        choices=("original", "fitted"),
        default="original",
        help="original: grid anchored at 0 after the shift, points past its edge dropped (default); "
        "fitted: grid anchored at the minimum sampled point, nothing dropped",
    )
    p.set_defaults(func=cmd_physical)

    p = sub.add_parser(
        "annotations",
        parents=[common],
        help="per-bin GC content, N fraction and gene density",
        description="Write DIR/chr{N}_annotations.parquet: start, end, gc_content, n_fraction, gene_density, "
        "one row per bin of the chromosome in the bin map, in order.",
    )
    p.add_argument("--mapping", required=True, help="genome-wide bin map (bin chr start end)")
    p.add_argument(
        "--source",
        default="files",
        choices=("files", "ensembl", "table"),
        help="files: a local FASTA + GTF (default); ensembl: the Ensembl REST API; table: an existing "
        "per-bin table (e.g. the Nextflow pipeline's chr{N}_annotations.csv), checked against the bin map",
    )
    p.add_argument("--table", help="table: the per-bin annotation table (CSV or Parquet)")
    p.add_argument("--fasta", help="files: reference FASTA (plain or bgzip), indexed or indexable")
    p.add_argument("--gtf", help="files: gene models, GTF or GFF3 (optionally gzip)")
    p.add_argument(
        "--assembly",
        default="GRCh37",
        help="the bin map's assembly (default GRCh37, GSDB's hg19); for ensembl it picks the REST host "
        "(GRCh37 -> grch37.rest.ensembl.org, GRCh38 -> rest.ensembl.org) and is checked against the answers",
    )
    p.add_argument("--host", help="ensembl: base URL of the REST server (a mirror, or a test server)")
    p.add_argument("--max-rps", type=float, default=15, help="ensembl: requests per second, at most (default 15)")
    p.add_argument("--cache", help="ensembl: cache folder (default: $XDG_CACHE_HOME/chromapipe/ensembl)")
    p.add_argument("--no-cache", action="store_true", help="ensembl: neither read nor write the cache")
    p.add_argument("--batch-size", type=int, default=50, help="ensembl: regions per POST /sequence (default 50)")
    p.add_argument("--window", type=int, default=5_000_000, help="ensembl: bp per overlap query (default 5 Mb)")
    p.add_argument("--timeout", type=float, default=30.0, help="ensembl: seconds per connection and read (default 30)")
    p.add_argument("--retries", type=int, default=6, help="ensembl: retries per request, at most (default 6)")
    p.add_argument(
        "--backoff",
        type=float,
        default=0.5,
        help="ensembl: back-off factor in seconds, doubled per retry (default 0.5)",
    )
    p.add_argument(
        "--release",
        help="ensembl: the server's Ensembl release, if known (skips the one GET /info/data per host and cache)",
    )
    p.set_defaults(func=cmd_annotations)

    p = sub.add_parser(
        "compile",
        parents=[common],
        help="join physical features and annotations into one table per chromosome",
        description="Write DIR/chr{N}_compiled.parquet and DIR/chr{N}_surface.parquet. Inputs may be CSV "
        "(the Nextflow pipeline's layouts) or Parquet, told apart by extension.",
    )
    p.add_argument("--physical", required=True, help="chr{N}_physical.parquet or .csv")
    p.add_argument("--surface", required=True, help="chr{N}_surface.parquet or .csv")
    p.add_argument("--annotations", required=True, help="chr{N}_annotations.parquet or .csv")
    p.add_argument("--mapping", help="genome-wide bin map; the annotation rows must be its bins")
    p.add_argument(
        "--bead-map",
        default="sequential",
        help="how beads pair with bins: contacts:FILE (the structure's contact list), "
        "mapping3dmax:FILE (3DMax coordinate mapping) or sequential (bead k = bin k; "
        "only when counts are equal). Default: sequential",
    )
    p.add_argument(
        "--legacy",
        action="store_true",
        help="reproduce the Nextflow output exactly: row-order pairing, Float64, original columns",
    )
    p.add_argument("--assembly", help="assembly to record in the metadata (default: from the annotations)")
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser(
        "stage",
        parents=[base],
        help="validate an input file and copy it into the run (used by the fetch rules)",
        description="Parse SOURCE as a KIND file (a PDB structure, a contact list, a 3DMax coordinate "
        "mapping or a bin map) and copy it to DEST atomically; nothing is written if it does not parse.",
    )
    p.add_argument("source", help="the file, or a zip/tar archive with --member")
    p.add_argument("dest", help="where to write the validated copy")
    p.add_argument("--kind", required=True, choices=("pdb", "contacts", "mapping3dmax", "bins"))
    p.add_argument("--member", help="path of the file inside the archive SOURCE")
    p.set_defaults(func=cmd_stage, chr=None)

    p = sub.add_parser(
        "figures",
        parents=[common],
        help="the report figures of one chromosome",
        description="Write DIR/chr{N}_tracks.png (features along the chromosome), DIR/chr{N}_structure.png "
        "(the 3D structure from two angles) and DIR/chr{N}_correlation.png (dist_surface against GC content "
        "and gene density, with Spearman's rho).",
    )
    p.add_argument("--compiled", required=True, help="chr{N}_compiled.parquet")
    p.add_argument("--surface", required=True, help="chr{N}_surface.parquet")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser(
        "summary",
        parents=[base],
        help="the genome-wide summary table and figure",
        description="Write DIR/summary.parquet, DIR/summary.tsv and DIR/summary.png: per chromosome beads, bins, "
        "bins without a bead, surface points, median features and Spearman correlations.",
    )
    p.add_argument("--compiled", nargs="+", required=True, help="chr{N}_compiled.parquet files")
    p.add_argument("--surface", nargs="+", required=True, help="chr{N}_surface.parquet files, same order")
    p.add_argument("--outdir", required=True, help="output folder")
    p.set_defaults(func=cmd_summary, chr=None)

    p = sub.add_parser(
        "nextflow-config",
        parents=[base],
        help="write the equivalent Nextflow config (Wave + Fusion) from our profiles",
        description="Generate nextflow.config (params, a standard Docker profile and an aws profile with "
        "Wave and Fusion) from profiles/aws/config.yaml and config/config.yaml, or with --flat the "
        "settings as `nextflow config -profile aws -flat -sort` prints them.",
    )
    p.add_argument("--flat", action="store_true", help="print the flat, sorted key = value form")
    p.add_argument(
        "--profile", default="aws", choices=("aws", "standard", "slurm"), help="profile of the flat form (default aws)"
    )
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--profile-dir", help="the Snakemake AWS profile to read (default: profiles/aws)")
    p.add_argument("--config", help="the workflow config with the params' defaults (default: config/config.yaml)")
    p.set_defaults(func=cmd_nextflow_config)

    p = sub.add_parser(
        "parity",
        parents=[base],
        help="compare the Parquet outputs of two result folders (Nextflow's and ours)",
        description="Compare chr{N}_compiled.parquet and chr{N}_surface.parquet of two folders: row counts, "
        "columns, dtypes, the largest difference per column, and (default layout) the beads whose bin "
        "changed because of the corrected pairing. Exit status 1 past the tolerance.",
    )
    p.add_argument("reference", help="the Nextflow results folder")
    p.add_argument("ours", help="our results folder")
    p.add_argument("--json", action="store_true", help="JSON instead of the table")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest accepted |difference| (default 1e-6)")
    p.set_defaults(func=cmd_parity)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr, force=True)
    try:
        status = args.func(args)
    except ChromapipeError as exc:
        if args.debug:
            raise
        print(f"chromapipe {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"chromapipe {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
