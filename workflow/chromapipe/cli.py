"""The ``chromapipe`` command: one subcommand per workflow step.

Argument parsing and file wiring only; the science is in the modules.
Exit status: 0 on success, 2 on bad input or usage (one paragraph on stderr,
no traceback unless ``--debug``).
"""

import argparse
import logging
import os
import sys

from . import __version__, chroms
from .errors import ChromapipeError

log = logging.getLogger("chromapipe")


def _outpath(outdir, chrom, suffix, ext="parquet"):
    return os.path.join(outdir, f"chr{chroms.canonical(chrom)}_{suffix}.{ext}")


def _section(name, options, args):
    """The config section ``name`` of the command-line ``options`` (``{key: "--option"}``), checked by the config
    schema exactly as the workflow checks it (its bounds are written there only).

    Options left at the schema's defaults need no check (the workflow validates those defaults on every run): the
    section's defaults are returned without importing the validator (jsonschema and chromapipe.settings take
    about a quarter of a second, more than ``chromapipe physical`` computes on a small structure)."""
    import copy

    from .schema import declaration

    declared = declaration(name)["properties"]
    if all(getattr(args, key) == declared[key].get("default") for key in options):
        return {key: copy.deepcopy(node["default"]) for key, node in declared.items() if "default" in node}
    from .settings import ConfigError, check_section

    try:
        return check_section(name, {key: getattr(args, key) for key in options})
    except ConfigError as exc:
        problems = list(exc.problems)
        for key, flag in options.items():
            problems = [p.replace(f"config key '{name}.{key}'", f"{flag} ({name}.{key})") for p in problems]
        raise ConfigError(problems) from None


def cmd_physical(args):
    from .steps import compute_physical

    features = _section("features", {"rg_window": "--rg-window", "neighbour_radius": "--neighbour-radius"}, args)
    compute_physical(args.pdb, _outpath(args.outdir, args.chr, "physical"), _outpath(args.outdir, args.chr, "surface"),
                     args.chr, surface_mode=args.surface, grid=args.grid, format=args.format,
                     haplotype=args.haplotype, bins=args.bins, **features)  # fmt: skip


def cmd_annotations(args):
    from . import tables
    from .settings import Ensembl
    from .steps import fetch_annotations
    from .tracks import check_unique, parse_spec

    reserved = {c.name for kind in ("compiled", "annotations") for c in tables.TABLES[kind].columns}
    tracks = check_unique([parse_spec(spec, reserved) for spec in args.track or ()])

    ensembl = None
    options = {}
    if args.source == "ensembl":
        cache = "" if args.no_cache else args.cache
        ensembl = Ensembl(args.host, args.max_rps, cache, args.batch_size, args.release)
        options = {"timeout": args.timeout, "retries": args.retries, "backoff": args.backoff, "window": args.window}
        options = {k: v for k, v in options.items() if v is not None}
    fetch_annotations(args.mapping, _outpath(args.outdir, args.chr, "annotations"), args.chr, args.source,
                      args.assembly, fasta=args.fasta, gtf=args.gtf, table=args.table, ensembl=ensembl,
                      client_options=options, track_specs=tracks, contacts=args.contacts)  # fmt: skip


def cmd_compile(args):
    from .beadmap import parse_bead_map_spec
    from .steps import compile

    source, bead_file = parse_bead_map_spec(args.bead_map)
    compile(args.physical, args.surface, args.annotations, _outpath(args.outdir, args.chr, "compiled"),
            _outpath(args.outdir, args.chr, "surface"), args.chr, source, legacy=args.legacy,
            bins=args.mapping, positions=bead_file, assembly=args.assembly)  # fmt: skip


def cmd_stage(args):
    from . import steps
    from .stage import stage

    if not args.dest.endswith(".parquet"):
        stage(args.source, args.dest, args.kind, args.member)
    elif args.kind == "pdb":
        steps.fetch_pdb(args.dest, args.chr, source=args.source, member=args.member)
    elif args.kind == "bins":
        steps.fetch_mapping(args.source, args.dest, args.member)
    else:
        steps.fetch_bead_map(args.source, args.dest, args.chr, args.kind, args.member)
    log.info("staged %s%s -> %s", args.source, f"!{args.member}" if args.member else "", args.dest)


def cmd_nextflow_config(args):
    from . import nextflow
    from .deploy import deployment
    from .io import write_files
    from .steps import text_writer

    deploy = deployment(args.profile_dir)
    text = nextflow.flat(args.profile, deploy, args.config) if args.flat else nextflow.render(deploy, args.config)
    left_out = None if args.flat else nextflow.aws_left_out(deploy)
    if left_out:
        print(f"chromapipe nextflow-config: {left_out}", file=sys.stderr)
    if args.output:
        write_files({args.output: text_writer(text)})
    else:
        sys.stdout.write(text)


def cmd_gsdb(args):
    from .gsdb import run

    return run(args)


def cmd_parity(args):
    from .parity import compare_folders, format_report, to_json

    report, ok = compare_folders(args.reference, args.ours, args.tolerance)
    print(to_json(report) if args.json else format_report(report))
    return 0 if ok else 1


def cmd_figures(args):
    from .steps import figures

    figure = os.path.join(args.outdir, f"chr{chroms.canonical(args.chr)}_{{}}.png").format
    figures(args.compiled, args.surface, figure("tracks"), figure("structure"), figure("correlation"), args.chr,
            colour_by=args.colour_by)  # fmt: skip


def cmd_summary(args):
    from .steps import summary

    where = os.path.join(args.outdir, "summary.{}").format
    corr = os.path.join(args.outdir, "correlations.{}").format
    physical = args.physical or ()
    summary(args.compiled, args.surface, where("tsv"), where("parquet"), where("png"), chromosomes=args.chr,
            correlations_table=corr("tsv"), correlations_parquet=corr("parquet"), heatmap=corr("png"),
            dataset=args.dataset, physical=physical, contacts=args.contacts or (),
            model_rmsd=os.path.join(args.outdir, "model_rmsd.parquet") if physical else None,
            model_rmsd_figure=os.path.join(args.outdir, "model_rmsd.png") if physical else None,
            contact_figure=os.path.join(args.outdir, "contact_distance.png") if args.contacts else None)  # fmt: skip


def build_parser():
    # only light modules here (tests/test_startup.py): the schema's declarations come compiled
    # (chromapipe.schema), the science modules are imported by the subcommand that runs
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
    _physical_parser(sub, [common])
    _annotations_parser(sub, [common])
    _compile_parser(sub, [common])
    _stage_parser(sub, [base])
    _figures_parser(sub, [common])
    _summary_parser(sub, [base])
    _nextflow_config_parser(sub, [base])
    _gsdb_parser(sub, [base])
    _parity_parser(sub, [base])
    return parser


def _physical_parser(sub, parents):
    """The ``physical`` subcommand's arguments."""
    from .schema import declaration, option

    formats = declaration("structures", "format")["enum"]  # formats.FORMATS (tests/test_registries.py)

    p = sub.add_parser(
        "physical",
        parents=parents,
        help="per-bead physical features and the surface of a structure",
        description="Read a structure (a 3DMax/GSDB PDB or any format of the README's 'Structures from other "
        "sources') and write DIR/chr{N}_physical.parquet (x, y, z, dist_surface, dist_com, dist_rolling_mean; "
        "Float64, not rounded; one row per bead in chain order, and per model with a model column for an "
        "ensemble; dist_nucleus_com for a genome-wide file) and DIR/chr{N}_surface.parquet (x, y, z of the "
        "surface points). Coordinates and distances are in the structure's units (PDB: model units, the value "
        "/ 10 as mdtraj reads it).",
    )
    p.add_argument("pdb", help="the structure file, or a staged structure table (.parquet)")
    p.add_argument("--format", choices=formats, help="the file's format (default: from the extension)")
    p.add_argument(
        "--haplotype", choices=("pat", "mat"), help="the homolog, where the file holds two of the chromosome"
    )
    p.add_argument(
        "--bins",
        help="pastis: the counts' bins (.bed: chrom start end [index], 0-based) or a bin map (bin chr start end), "
        "when no PASTIS config.ini beside the matrix names them",
    )
    # the config's surface and features keys: their defaults, choices and help are the schema's
    p.add_argument("--surface", **option("surface", "mode"))
    p.add_argument("--grid", **option("surface", "grid"))
    p.add_argument("--rg-window", type=int, **option("features", "rg_window"))
    p.add_argument("--neighbour-radius", type=float, **option("features", "neighbour_radius"))
    p.set_defaults(func=cmd_physical)


def _annotations_parser(sub, parents):
    """The ``annotations`` subcommand's arguments."""
    from .gsdb_options import ORGANISM_ASSEMBLY
    from .schema import default, option

    p = sub.add_parser(
        "annotations",
        parents=parents,
        help="per-bin GC content, N fraction and gene density",
        description="Write DIR/chr{N}_annotations.parquet: start, end, gc_content, n_fraction, gene_density, "
        "one row per bin of the chromosome in the bin map, in order.",
    )
    p.add_argument("--mapping", required=True, help="genome-wide bin map (bin chr start end)")
    p.add_argument(
        "--source",
        **option("annotations", "source"),
    )
    p.add_argument("--table", help="table: the per-bin annotation table (CSV or Parquet)")
    p.add_argument("--fasta", help="files: reference FASTA (plain or bgzip), indexed or indexable")
    p.add_argument("--gtf", help="files: gene models, GTF or GFF3 (optionally gzip)")
    p.add_argument(
        "--assembly",
        default=ORGANISM_ASSEMBLY["Homo sapiens"],
        help="the bin map's assembly (default GRCh37, GSDB's hg19); for ensembl it picks the REST host "
        "(GRCh37 -> grch37.rest.ensembl.org, GRCh38 -> rest.ensembl.org) and is checked against the answers",
    )
    p.add_argument("--host", help="ensembl: base URL of the REST server (a mirror, or a test server)")
    p.add_argument(
        "--max-rps",
        type=float,
        default=default("annotations", "max_rps"),
        help="ensembl: requests per second, at most (default: %(default)s)",
    )
    p.add_argument(
        "--cache",
        default=default("annotations", "cache"),
        help="ensembl: cache folder, shared by jobs and runs (default: %(default)s, as the workflow's)",
    )
    p.add_argument("--no-cache", action="store_true", help="ensembl: neither read nor write the cache")
    p.add_argument(
        "--batch-size",
        type=int,
        default=default("annotations", "batch_size"),
        help="ensembl: regions per POST /sequence (default: %(default)s)",
    )
    p.add_argument("--window", type=int, help="ensembl: bp per overlap query (default: the client's, 5 Mb)")
    p.add_argument("--timeout", type=float, help="ensembl: seconds per connection and read (default: the client's)")
    p.add_argument("--retries", type=int, help="ensembl: retries per request, at most (default: the client's)")
    p.add_argument("--backoff", type=float, help="ensembl: back-off factor in seconds, doubled per retry")
    p.add_argument(
        "--release",
        help="ensembl: the server's Ensembl release, if known (skips the one GET /info/data per host and cache)",
    )
    p.add_argument(
        "--track",
        action="append",
        metavar="NAME=PATH[:STAT]",
        help="a track put on the bins as column NAME (repeatable): a bigWig or bedGraph (STAT mean, the "
        "default, or max) or a BED (coverage, the default, or count)",
    )
    p.add_argument(
        "--contacts",
        help="the chromosome's contact list (pos1 pos2 count; GSDB's chr{N}_list.txt): adds compartment_e1 and "
        "compartment (A/B, E1 oriented by GC content)",
    )
    p.set_defaults(func=cmd_annotations)


def _compile_parser(sub, parents):
    """The ``compile`` subcommand's arguments."""
    p = sub.add_parser(
        "compile",
        parents=parents,
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
        "mapping3dmax:FILE (3DMax coordinate mapping), positions:FILE (the structure file's own "
        "bead positions, any format with positions, or its staged table) or sequential (bead k = bin k; "
        "only when counts are equal). Default: sequential",
    )
    p.add_argument(
        "--legacy",
        action="store_true",
        help="reproduce the Nextflow output exactly: row-order pairing, Float64, original columns",
    )
    p.add_argument("--assembly", help="assembly to record in the metadata (default: from the annotations)")
    p.set_defaults(func=cmd_compile)


def _stage_parser(sub, parents):
    """The ``stage`` subcommand's arguments."""
    p = sub.add_parser(
        "stage",
        parents=parents,
        help="validate an input file and copy it into the run (used by the fetch rules)",
        description="Parse SOURCE as a KIND file (a PDB structure, a contact list, a 3DMax coordinate "
        "mapping or a bin map) and copy it to DEST atomically; nothing is written if it does not parse.",
    )
    p.add_argument("source", help="the file, or a zip/tar archive with --member")
    p.add_argument("dest", help="where to write the validated copy")
    p.add_argument("--kind", required=True, choices=("pdb", "contacts", "mapping3dmax", "bins"))
    p.add_argument("--member", help="path of the file inside the archive SOURCE")
    p.add_argument("--chr", help="the chromosome, recorded in a staged table's metadata")
    p.set_defaults(func=cmd_stage)


def _figures_parser(sub, parents):
    """The ``figures`` subcommand's arguments."""
    from .schema import default

    p = sub.add_parser(
        "figures",
        parents=parents,
        help="the report figures of one chromosome",
        description="Write DIR/chr{N}_tracks.png (features along the chromosome), DIR/chr{N}_structure.png "
        "(the 3D structure from two angles) and DIR/chr{N}_correlation.png (dist_surface against GC content "
        "and gene density, with Spearman's rho).",
    )
    p.add_argument("--compiled", required=True, help="chr{N}_compiled.parquet")
    p.add_argument("--surface", required=True, help="chr{N}_surface.parquet")
    p.add_argument(
        "--colour-by",
        default=default("report", "colour_by"),
        help="the compiled column the 3D structure's beads are coloured by: a feature, an annotation, "
        "compartment or a track's name (default %(default)s)",
    )
    p.set_defaults(func=cmd_figures)


def _summary_parser(sub, parents):
    """The ``summary`` subcommand's arguments."""
    p = sub.add_parser(
        "summary",
        parents=parents,
        help="the genome-wide summary table and figure",
        description="Write DIR/summary.parquet, DIR/summary.tsv and DIR/summary.png: per chromosome beads, bins, "
        "bins without a bead, surface points, median features and Spearman correlations; DIR/correlations.parquet, "
        ".tsv and .png: every structure feature against every annotation and track, Spearman's rho with a 95% "
        "block-bootstrap interval, per chromosome and genome-wide, and its heatmap.",
    )
    p.add_argument("--compiled", nargs="+", required=True, help="chr{N}_compiled.parquet files")
    p.add_argument("--surface", nargs="+", required=True, help="chr{N}_surface.parquet files, same order")
    p.add_argument("--chr", nargs="+", help="their chromosomes (default: from each compiled table's metadata)")
    p.add_argument("--outdir", required=True, help="output folder")
    p.add_argument("--dataset", help="the dataset's name, written in the correlations table")
    p.add_argument("--physical", nargs="+", help="physical/chr{N}_physical.parquet files, same order: also write "
                   "DIR/model_rmsd.parquet and .png (the RMSD between an ensemble's models)")  # fmt: skip
    p.add_argument("--contacts", nargs="+", help="the contact lists ('pos1 pos2 count'), same order (needs "
                   "--physical): the summary's contact agreement columns and DIR/contact_distance.png")  # fmt: skip
    p.set_defaults(func=cmd_summary)


def _nextflow_config_parser(sub, parents):
    """The ``nextflow-config`` subcommand's arguments."""
    p = sub.add_parser(
        "nextflow-config",
        parents=parents,
        help="write the equivalent Nextflow config (standard, aws with Wave + Fusion, slurm) from our profiles",
        description="Generate nextflow.config (params and three profiles: standard, local Docker; aws, "
        "AWS Batch with Wave and Fusion; slurm, the same image through Apptainer) from profiles/aws, "
        "profiles/slurm, workflow/resources.yaml and config/config.yaml, or with --flat one profile's "
        "settings as `nextflow config -profile PROFILE -flat -sort` prints them. Only the aws profile needs "
        "CHROMAPIPE_BUCKET and CHROMAPIPE_QUEUE: without them it is left out (one line says why) and "
        "the other two are written.",
    )
    p.add_argument("--flat", action="store_true", help="print the flat, sorted key = value form")
    p.add_argument(
        "--profile",
        default="aws",
        choices=("aws", "standard", "slurm"),
        help="the profile of the flat form: aws (default), standard or slurm",
    )
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--profile-dir", help="the Snakemake AWS profile to read (default: profiles/aws)")
    p.add_argument("--config", help="the workflow config with the params' defaults (default: config/config.yaml)")
    p.set_defaults(func=cmd_nextflow_config)


def _gsdb_parser(sub, parents):
    """The ``gsdb`` subcommand's arguments."""
    from .gsdb_options import add_arguments

    p = sub.add_parser(
        "gsdb",
        parents=parents,
        help="find GSDB datasets in the shipped catalogue and print the config block of one",
        description="Without DATASET, list GSDB's Hi-C files (filter with --search, --organism, --resolution); "
        "with ID/FILENAME, print the `gsdb:` config section (plus assembly) that runs its structures.",
    )
    add_arguments(p)
    p.set_defaults(func=cmd_gsdb)


def _parity_parser(sub, parents):
    """The ``parity`` subcommand's arguments."""
    p = sub.add_parser(
        "parity",
        parents=parents,
        help="compare the Parquet outputs of two result folders (Nextflow's and ours)",
        description="Compare chr{N}_compiled.parquet and chr{N}_surface.parquet of two folders: row counts, "
        "columns, dtypes, the largest difference per column, and (default layout) the beads whose bin "
        "changed because of the corrected pairing. Exit status 1 past the tolerance.",
    )
    p.add_argument(
        "reference",
        help="the reference results folder (Nextflow's, or ours: each side's layout is read from its tables)",
    )
    p.add_argument("ours", help="our results folder")
    p.add_argument("--json", action="store_true", help="JSON instead of the table")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest accepted |difference| (default 1e-6)")
    p.set_defaults(func=cmd_parity)


def main(argv=None):
    """The ``chromapipe`` command on ``argv`` (default: this process's arguments); its exit status.

    A command runs with the garbage collector off: its imports (numpy, polars, scipy, matplotlib) would
    otherwise set off passes over every object imported so far, and its steps make few reference cycles
    (arrays and tables). The collector's state is put back afterwards; as the command line (``argv`` not
    given), the heap is frozen (:func:`gc.freeze`) so that the interpreter's last collections skip it.
    """
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if argv is None:
            gc.freeze()
        if enabled:
            gc.enable()


def _main(argv):
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
