"""One function per workflow step, named after its rule, with explicit input and output paths.

The Snakemake rules call these through ``workflow/scripts/step.py``
(:func:`from_snakemake`: :data:`STEPS` looks the step up by the rule's name; the
rule's named inputs, outputs and params become the keyword arguments), and the
``chromapipe`` command line calls the same functions (:mod:`chromapipe.cli`).
Each step reads its inputs, calls one function of the science modules
(:mod:`chromapipe.physical`, :mod:`chromapipe.annotations`, :mod:`chromapipe.compile`,
:mod:`chromapipe.stats`, :mod:`chromapipe.report`) and writes its outputs
all-or-nothing through :mod:`chromapipe.tables`.

A chromosome's path from config to compiled table::

    fetch_pdb        structure file   -> structures/chr{N}.parquet       (parsed once)
    fetch_bead_map   contact list     -> beadmap/chr{N}_positions.parquet
    fetch_mapping    bin map          -> reference/bins.parquet
    compute_physical structure table  -> physical/chr{N}_physical.parquet, _surface.parquet
    fetch_annotations bins + FASTA/GTF, REST or table -> annotations/chr{N}_annotations.parquet
    compile          the four tables  -> chr{N}_compiled.parquet, chr{N}_surface.parquet
"""

import contextlib
import gc
import logging
import os
import time

import polars as pl

from . import __version__, chroms, tables
from .beadmap import BEAD_MAP_SOURCES
from .errors import ChromapipeError, InputError

log = logging.getLogger("chromapipe")

#: Pairings that read bead positions: a bead-map source file, or the structure table's own (positions).
POSITION_SOURCES = tuple(source for source in BEAD_MAP_SOURCES if source != "sequential")


# -- reading the steps' inputs -------------------------------------------------------------------------


def read_bins(path):
    """The bin map: a staged bins table (``.parquet``) or a GSDB bin map file."""
    from .beadmap import read_bin_map

    return tables.read("bins", path) if os.fspath(path).endswith(".parquet") else read_bin_map(path)


def read_chromosome_bins(path, chrom):
    """One chromosome's bins of the bin map at ``path`` (see :func:`read_bins`)."""
    from .beadmap import chromosome_bins

    return chromosome_bins(read_bins(path), chrom, path)


def read_structure(path, chrom=None, format=None, haplotype=None, bins=None, neighbour_radius=None):
    """The structure table (every model), its name and what staging records of it (format, units, homolog,
    the chromosomes ``dist_nucleus_com`` spans): a staged table (``.parquet``) or a structure file
    (``neighbour_radius``: its ``neighbours_trans``' radius, :func:`chromapipe.stage.load_structure`)."""
    if os.fspath(path).endswith(".parquet"):
        frame = tables.read("structure", path)
        meta = tables.read_metadata(path)
        return frame, meta.get("source", os.path.basename(path)), meta
    if chrom is None:
        raise InputError("name the chromosome of the structure file (--chr)", path)
    from .stage import load_structure  # the parsers: not needed for a staged table (compute_physical's jobs)

    frame, info = load_structure(path, chrom, format, haplotype, bins, neighbour_radius)
    return frame, os.path.basename(os.fspath(path)), info


def read_positions(path, bead_map_source, haplotype=None, chrom=None):
    """Bead positions: a staged positions or (``positions``) structure table, or the raw ``bead_map_source`` file.

    ``haplotype``: the homolog whose positions a diploid structure table gives.
    """
    if bead_map_source == "positions":
        frame, _, _ = read_structure(path, chrom)
        first = frame.filter(pl.col("model") == frame["model"][0])
        if haplotype is not None:
            first = first.filter(pl.col("haplotype") == haplotype)
        if first["start"].is_null().any():
            fmt = tables.read_metadata(path).get("format", "structure")
            raise InputError(
                f"bead map 'positions': the {fmt} file has no bead positions; pair its beads with contacts, list "
                "or mapping3dmax",
                path,
            )
        return first["start"].to_numpy()
    if os.fspath(path).endswith(".parquet"):
        return tables.read("positions", path)["position"].to_numpy()
    from .beadmap import read_positions_file

    return read_positions_file(path, bead_map_source)


def read_bead_positions(path, bead_map_source, physical, chrom):
    """The bead-map source's name and ``homolog -> bead positions`` of a physical table; ``(None, None)`` for the
    sources without positions (``sequential``)."""
    from .compile import homologs

    if bead_map_source not in POSITION_SOURCES:
        return None, None
    if path is None:
        raise InputError(f"bead map '{bead_map_source}' needs its file ({bead_map_source}:FILE)")
    bead_file = tables.read_metadata(path).get("source") or path
    return bead_file, {hap: read_positions(path, bead_map_source, hap, chrom) for hap in homologs(physical)}


def read_compiled(path):
    """A compiled table in either layout; legacy rows with coordinates get bead numbers for the figures."""
    frame = tables.read_frame(path, "compiled table")
    kind = "compiled" if "bead" in frame.columns else "legacy"
    tracks = tables.track_names(tables.read_metadata(path)) if kind == "compiled" else ()
    frame = tables.conform(kind, frame, os.fspath(path), tracks)
    if kind == "legacy":  # every row with coordinates is a bead
        frame = frame.with_columns(
            pl.when(pl.col("x").is_not_null()).then(pl.int_range(1, pl.len() + 1)).otherwise(None).alias("bead")
        )
    return frame


def _chromosome_of(path):
    chrom = tables.read_metadata(path).get("chromosome")
    if chrom is None:
        raise InputError("compiled table without chromapipe metadata: name its chromosome (--chr)", path)
    return chrom


def text_writer(text):
    """A writer of ``text`` for :func:`chromapipe.io.write_files`."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)

    return write


# -- staging: parse once, write a checked table ---------------------------------------------------


def fetch_dataset(archive, wanted, **members):
    """``fetch_dataset``: extract the members a run needs from the dataset archive (or its folder), opening it once.

    ``wanted``: ``key -> names`` to look for (:meth:`chromapipe.gsdb.GsdbSource.members`); ``members``:
    ``key -> output path`` of each extracted member.
    """
    import shutil
    import tempfile

    from .archive import extract_members

    outputs = list(members.values())
    parent = os.path.dirname(os.path.commonpath([os.path.abspath(p) for p in outputs])) if outputs else "."
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmpdir:
        found = extract_members(archive, {key: wanted[key] for key in members}, tmpdir)
        for key, path in members.items():
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            shutil.move(found[key], path)
    log.info("%d members of %s -> %s", len(members), os.path.basename(os.fspath(archive)), ", ".join(outputs))


def prepare_fasta(source, fasta, fai, gzi):
    """``prepare_fasta``: a reference FASTA as bgzip with its ``.fai`` and ``.gzi``, once
    (:func:`chromapipe.annotations.files.bgzip_fasta`)."""
    from .annotations.files import bgzip_fasta

    bgzip_fasta(source, fasta, fai, gzi)
    log.info("%s -> %s (+ .fai, .gzi)", os.path.basename(os.fspath(source)), fasta)


def prepare_genes(source, genes):
    """``prepare_genes``: the GTF/GFF3 parsed once into the per-gene table every annotation job reads."""
    from .annotations.files import prepare_genes as parse

    frame, seqnames = parse(source)
    meta = {"chromapipe_version": __version__, "source": os.path.basename(os.fspath(source)), "seqnames": seqnames}
    tables.write({genes: ("genes", frame, meta)})
    log.info("%d genes on %d sequences -> %s", frame.height, len(seqnames), genes)


def fetch_pdb(structure, chrom, source=None, member=None, urls=(), format=None, haplotype=None, bins=None,
              neighbour_radius=None):  # fmt: skip
    """``fetch_pdb``: parse a structure file (any format) once and write one chromosome as the structure table.

    ``structure``: the output (:data:`tables.STRUCTURE`); ``source``: the file (or an archive with ``member``),
    already local, or ``urls``: addresses tried in turn (a host, then its mirror); ``format``, ``haplotype``:
    see :func:`chromapipe.stage.load_structure`; ``bins``: a PASTIS matrix's staged bin map;
    ``neighbour_radius``: ``features.neighbour_radius``, the radius of a multi-chain file's ``neighbours_trans``.
    """
    import tempfile

    from .stage import load_structure, parsed, source_meta

    with tempfile.TemporaryDirectory() as tmpdir:
        path, source = _download(urls, tmpdir) if urls else (source, source)
        shared = os.path.join(os.path.dirname(os.path.abspath(structure)), ".split")  # a genome-wide file, split once
        (frame, info), sha256 = parsed(path, member,
                                       lambda file: load_structure(file, chrom, format, haplotype, bins, neighbour_radius,
                                                                   shared))  # fmt: skip
    meta = source_meta(source, member, sha256, chromosome=chroms.canonical(chrom), **info)
    tables.write({structure: ("structure", frame, meta)})
    log.info("chr%s: %d beads x %d model(s) (%s) from %s -> %s", chroms.canonical(chrom),
             frame.height // info["models"], info["models"], info["format"], meta["source"], structure)  # fmt: skip


def _download(urls, folder):
    """The first of ``urls`` that answers, downloaded into ``folder``: ``(local path, the URL it came from)``."""
    from .gsdb import download_first

    path = os.path.join(folder, os.path.basename(urls[0].split("?")[0]) or "download")
    source = download_first(urls, path)
    log.info("downloaded %s", source)
    return path, source


def fetch_bead_map(source, positions, chrom, bead_map_source, member=None):
    """``fetch_bead_map``: bead positions from the ``source`` file of a ``bead_map_source``, parsed once."""
    from .beadmap import read_positions_file
    from .stage import parsed, positions_frame, source_meta

    values, sha256 = parsed(source, member, lambda path: read_positions_file(path, bead_map_source))
    meta = source_meta(source, member, sha256, chromosome=chroms.canonical(chrom), kind=bead_map_source)
    tables.write({positions: ("positions", positions_frame(values), meta)})
    log.info("chr%s: %d bead positions (%s) -> %s", chroms.canonical(chrom), len(values), bead_map_source, positions)


def fetch_contacts(source, bins, contacts, chrom):
    """``fetch_contacts``: the contact list the structure is held against, on the chromosome's bins, parsed once
    (:func:`chromapipe.agreement.contact_pairs`) where every job (a Batch one too) can read it."""
    from .agreement import contact_pairs, pairs_frame
    from .compartments import read_contacts

    chrom = chroms.canonical(chrom)
    frame = pairs_frame(*contact_pairs(*read_contacts(source), read_chromosome_bins(bins, chrom), source))
    meta = {"chromapipe_version": __version__, "source": os.path.basename(os.fspath(source)), "chromosome": chrom}
    tables.write({contacts: ("contacts", frame, meta)})
    log.info("chr%s: %d contact pairs of distinct bins -> %s", chrom, frame.height, contacts)


def fetch_mapping(source, bins, member=None, autosomes=chroms.HUMAN):
    """``fetch_mapping``: the genome-wide bin map, parsed once (``autosomes``: the species', for X/Y/MT numbers)."""
    from .beadmap import read_bin_map
    from .stage import parsed, source_meta

    frame, sha256 = parsed(source, member, lambda path: read_bin_map(path, autosomes))
    tables.write({bins: ("bins", frame, source_meta(source, member, sha256))})
    log.info("%d bins of %d chromosomes -> %s", frame.height, frame["chr"].n_unique(), bins)


# -- the science steps ------------------------------------------------------------------------------


def compute_physical(structure, physical, surface, chrom, *, surface_mode, grid, rg_window, neighbour_radius,
                     format=None, haplotype=None, bins=None):  # fmt: skip
    """``compute_physical``: per-bead features and the surface points of one structure (each model of an ensemble,
    each homolog apart): :func:`chromapipe.physical.structure_physical`.

    ``structure``: the staged structure table, or a structure file of any format (``format``, ``haplotype``:
    :func:`read_structure`); ``physical``, ``surface``: the outputs (:data:`tables.PHYSICAL`,
    :data:`tables.SURFACE`); ``surface_mode``, ``grid``, ``rg_window``, ``neighbour_radius``: the config's
    ``surface`` and ``features`` sections (their one home is the config schema).
    """
    from .physical import log_physical, structure_physical

    started = time.perf_counter()
    chrom = chroms.canonical(chrom)
    frame, name, staged = read_structure(structure, chrom, format, haplotype, bins, neighbour_radius)
    label = structure if name == os.path.basename(os.fspath(structure)) else f"{name} (staged as {structure})"
    features, points, meta = structure_physical(frame, staged, chrom, name, surface_mode, grid, rg_window,
                                                neighbour_radius, label)  # fmt: skip
    tables.write({physical: ("physical", features, meta), surface: ("surface", points, meta)})
    log_physical(log, meta, time.perf_counter() - started)


def fetch_annotations(bins, annotations, chrom, source, assembly, fasta=None, gtf=None, table=None, ensembl=None,
                      fasta_index=(), client_options=None, tracks=(), track_specs=(), contacts=None):  # fmt: skip
    """``fetch_annotations``: GC content, N fraction and gene density of every bin of a chromosome from ``source``,
    compartments from ``contacts``, one column per track (:func:`chromapipe.annotations.annotate`).

    ``fasta_index`` (read from beside the FASTA) is listed so the rule tracks it; ``tracks``, ``track_specs``:
    the tracks' files and ``{name, stat}`` (:func:`chromapipe.tracks.from_step`).
    """
    from .annotations import annotate
    from .tracks import from_step

    chrom = chroms.canonical(chrom)
    chrom_bins = read_chromosome_bins(bins, chrom)
    user_tracks = from_step(tracks, track_specs)
    inputs = {"fasta": fasta, "gtf": gtf, "table": table, "ensembl": ensembl, "client_options": client_options}
    frame, meta = annotate(chrom_bins, chrom, source, assembly, inputs, contacts, user_tracks)
    tables.write({annotations: ("annotations", frame, meta)})
    log.info("chr%s: %d bins annotated%s%s -> %s", chrom, frame.height, ", compartments" if contacts else "",
             f", {len(user_tracks)} track(s)" if user_tracks else "", annotations)  # fmt: skip


def compile(physical, surface, annotations, compiled, published_surface, chrom, bead_map_source, legacy=False,
            bins=None, positions=None, assembly=None, algorithm=None, dataset=None):  # fmt: skip
    """``compile``: one table per chromosome, each bead on its own bin, and the surface points
    (:func:`chromapipe.compile.compile_structure`). ``bead_map_source``: how beads pair with bins (the config's
    ``bead_map.source``); ``legacy``: the Nextflow pipeline's layout instead (:data:`tables.LEGACY`, beads and
    bins by row number), decided here and nowhere else; ``positions``: the staged positions table or the source
    file; ``assembly``, ``algorithm`` (GSDB) and ``dataset`` are recorded.
    """
    from .compile import compile_structure, compiled_meta

    chrom = chroms.canonical(chrom)
    physical_frame = tables.read("physical", physical)
    surface_frame = tables.read("surface", surface)
    annotation_frame = tables.read("annotations", annotations)
    chrom_bins = read_chromosome_bins(bins, chrom) if bins and not legacy else None
    bead_file, bead_positions = (None, None) if legacy else read_bead_positions(positions, bead_map_source,
                                                                                physical_frame, chrom)  # fmt: skip
    frame = compile_structure(chrom, physical_frame, annotation_frame, chrom_bins, bead_map_source, bead_positions,
                              bead_file, algorithm, legacy, physical)  # fmt: skip
    meta = compiled_meta(chrom, frame, bead_map_source, bead_file, tables.read_metadata(physical),
                         tables.read_metadata(annotations), assembly, dataset, legacy)  # fmt: skip
    layout = "legacy" if legacy else "compiled"
    tables.write({compiled: (layout, frame, meta), published_surface: ("surface", surface_frame, meta)})
    beads = physical_frame.height if legacy else int(frame["bead"].is_not_null().sum())
    log.info("chr%s: %d rows (%d with a bead) -> %s", chrom, frame.height, beads, compiled)


# -- figures and summary ----------------------------------------------------------------------------


def figures(compiled, surface, tracks, structure, correlation, chrom, colour_by="dist_surface", dataset=None):
    """``figures``: the report's three figures of one chromosome (the 3D structure coloured by ``colour_by``);
    axes in the structure's own length unit, titles naming ``dataset`` (a datasets sheet's)."""
    from . import report
    from .io import write_files

    chrom = chroms.canonical(chrom)
    table = read_compiled(compiled)
    meta = tables.read_metadata(compiled)
    names = tables.track_names(meta)
    stats = {t["name"]: t.get("stat") for t in meta.get("tracks") or ()}  # the y labels say what a track's values are
    unit = report.unit_label(meta.get("units"))
    points = tables.read("surface", surface)
    write_files(
        {
            tracks: lambda tmp: report.plot_tracks(table, tmp, chrom, names, unit, dataset, stats),
            structure: lambda tmp: report.plot_structure(table, points, tmp, chrom, colour_by, unit, dataset),
            correlation: lambda tmp: report.plot_correlation(table, tmp, chrom, unit, dataset),
        }
    )
    log.info("chr%s: %s, %s, %s", chrom, tracks, structure, correlation)


def export_structure(compiled, cif, attributes, chrom, colour_by="dist_surface", dataset=None):
    """``export_structure``: one chromosome for molecular viewers (:func:`chromapipe.export.annotated`): ``cif``, an
    mmCIF with ``colour_by`` as B-factor, and ``attributes``, a zip of one ChimeraX ``.defattr`` per numeric column."""
    from . import export
    from .io import write_files, zip_writer

    chrom = chroms.canonical(chrom)
    table = read_compiled(compiled)
    text, files = export.annotated(table, chrom, colour_by, f"{dataset}_chr{chrom}" if dataset else None)
    # one zip of the attribute files: a file, not a folder, so it goes through any storage (S3) as one object
    write_files({cif: text_writer(text), attributes: zip_writer({f"{c}.defattr": body for c, body in files.items()})})
    log.info("chr%s: %d beads, B-factor %s -> %s; %d attribute files -> %s", chrom,
             int(table["bead"].is_not_null().sum()), colour_by, cif, len(files), attributes)  # fmt: skip


def summary(compiled, surface, table, parquet, figure, chromosomes=None, correlations_table=None, correlations_parquet=None,
            heatmap=None, dataset=None, physical=(), contacts=(), model_rmsd=None, model_rmsd_figure=None,
            contact_figure=None, bootstrap_resamples=None, threads=1):  # fmt: skip
    """``summary``: per chromosome (:func:`chromapipe.stats.chromosome_summary`; the agreement with ``contacts``,
    :func:`chromapipe.agreement.summary_agreement`), the models' RMSD, the correlations (bootstrapped on ``threads``,
    the job's: the step adapter gives them); parallel input lists."""
    from . import agreement, report, stats
    from .io import write_files

    chromosomes, frames, metas, points = _summary_inputs(compiled, surface, chromosomes)
    names = [chroms.canonical(c) for c in chromosomes]
    physical_frames = [tables.read("physical", p) for p in physical or ()]
    agreements, scatters = agreement.summary_agreement(names, frames, physical_frames, contacts)
    result = stats.chromosome_summary(names, frames, points, agreements)
    meta, unit = _summary_meta(dataset, chromosomes, metas)
    outputs = {
        parquet: tables.parquet_writer("summary", result, meta),
        table: lambda tmp: result.write_csv(tmp, separator="\t", float_precision=4),
        figure: lambda tmp: report.plot_summary(result, tmp, unit, dataset),
        contact_figure: lambda tmp: report.plot_contact_distance(scatters, tmp, unit, dataset),
    }
    outputs.update(_model_rmsd_outputs(names, physical_frames, model_rmsd, model_rmsd_figure, meta, dataset))
    if correlations_parquet or correlations_table or heatmap:  # the feature-annotation correlations
        resamples = bootstrap_resamples or stats.RESAMPLES  # report.bootstrap_resamples
        correlations = stats.feature_correlations(frames, dataset, [tables.track_names(m) for m in metas],
                                                  threads, resamples)  # fmt: skip
        outputs.update(_correlation_outputs(correlations, correlations_table, correlations_parquet, heatmap, meta,
                                            resamples))  # fmt: skip
    write_files({path: writer for path, writer in outputs.items() if path})
    log.info("summary of %d chromosomes -> %s", result.height, table)


def _model_rmsd_outputs(names, physical_frames, table, figure, meta, dataset):
    """The writers of the RMSD between each chromosome's models (:func:`chromapipe.superpose.models_rmsd`); none
    when neither output is asked for."""
    if not (table or figure):
        return {}
    from . import report
    from .superpose import models_rmsd

    if len(physical_frames) != len(names):
        raise InputError(f"model RMSD: {len(physical_frames)} physical tables for {len(names)} chromosomes")
    models = models_rmsd(names, physical_frames)
    return {table: tables.parquet_writer("model_rmsd", models, meta),
            figure: lambda tmp: report.plot_model_rmsd(models, tmp, dataset)}  # fmt: skip


def _summary_inputs(compiled, surface, chromosomes=None):
    """The chromosomes (by default from the compiled tables' metadata), compiled tables, their metadata and the
    surface points of the summary."""
    chromosomes = [_chromosome_of(path) for path in compiled] if chromosomes is None else chromosomes
    if not len(compiled) == len(surface) == len(chromosomes):
        raise InputError(f"{len(compiled)} compiled tables, {len(surface)} surface tables, {len(chromosomes)} "
                         "chromosomes")  # fmt: skip
    frames, metas = [read_compiled(t) for t in compiled], [tables.read_metadata(t) for t in compiled]
    return chromosomes, frames, metas, [tables.read("surface", s) for s in surface]


def _summary_meta(dataset, chromosomes, metas):
    """The summary's metadata and the figure's length unit (the compiled tables' ``units``)."""
    from .report import UNIT, unit_label

    units = sorted({m.get("units") or tables.MODEL_UNITS for m in metas})
    meta = {"chromapipe_version": __version__, "dataset": dataset, "chromosomes": [str(c) for c in chromosomes],
            "units": units[0] if len(units) == 1 else units}  # fmt: skip
    return meta, unit_label(units[0]) if len(units) == 1 else UNIT


def _correlation_outputs(frame, table, parquet, heatmap, meta, resamples):
    """Writers of a correlation table (TSV, Parquet) and its heatmap(s), for :func:`chromapipe.io.write_files`."""
    from . import report, stats

    plot = report.plot_heatmaps if frame["dataset"].n_unique() > 1 else report.plot_heatmap
    meta = {**meta, **stats.bootstrap_settings(resamples)}
    return {
        parquet: tables.parquet_writer("correlations", frame, meta),
        table: lambda tmp: frame.write_csv(tmp, separator="\t", float_precision=4),
        heatmap: lambda tmp: plot(report.heatmap_rows(frame), tmp),
    }


def compare_datasets(compiled, table, parquet, figure, datasets, correlations=(), correlations_table=None,
                     heatmaps=None, physical=(), rmsd_table=None, rmsd_parquet=None, rmsd_figure=None):  # fmt: skip
    """``compare_datasets``: per feature, Spearman's rho between every pair of datasets on shared bins
    (:func:`chromapipe.stats.compare_datasets`), their RMSD and their correlations side by side.

    ``compiled``, ``datasets``, ``physical``: parallel lists; ``correlations``: each dataset's
    ``summary/correlations.parquet``, in ``correlations_table`` and ``heatmaps`` (one per dataset)."""
    from . import report, stats
    from .io import write_files

    frames = _by_dataset(compiled, datasets)
    comparison = tables.check("comparison", stats.compare_datasets(frames))
    meta = {"chromapipe_version": __version__}
    outputs = {
        parquet: tables.parquet_writer("comparison", comparison, meta),
        table: lambda tmp: comparison.write_csv(tmp, separator="\t", float_precision=4),
        figure: lambda tmp: report.plot_comparison(comparison, tmp),
    }
    if rmsd_parquet or rmsd_table or rmsd_figure:
        outputs.update(_rmsd_outputs(frames, compiled, physical, datasets, rmsd_table, rmsd_parquet, rmsd_figure, meta))
    if correlations:
        side_by_side = pl.concat([tables.read("correlations", path) for path in correlations])
        resamples = tables.read_metadata(correlations[0]).get("bootstrap", {}).get("resamples", stats.RESAMPLES)
        outputs.update(_correlation_outputs(side_by_side, correlations_table, None, heatmaps, meta, resamples))
    write_files({path: writer for path, writer in outputs.items() if path})
    log.info("%d datasets compared -> %s", len(frames), table)


def _rmsd_outputs(frames, compiled, physical, datasets, table, parquet, figure, meta):
    """The writers of the datasets' superpositions (:func:`chromapipe.superpose.sheet_rmsd`)."""
    from . import report
    from .superpose import sheet_rmsd

    if len(physical) != len(compiled):
        raise InputError(f"dataset RMSD: {len(physical)} physical tables for {len(compiled)} compiled tables")
    units = {name: tables.read_metadata(path).get("units") or tables.MODEL_UNITS
             for name, path in zip(datasets, compiled)}  # fmt: skip
    physicals = {}
    for name, path in zip(datasets, physical):
        physicals.setdefault(name, []).append(tables.read("physical", path))
    rmsd = tables.check("rmsd", sheet_rmsd(frames, physicals, units))
    return {parquet: tables.parquet_writer("rmsd", rmsd, meta),
            table: lambda tmp: rmsd.write_csv(tmp, separator="\t", float_precision=4),
            figure: lambda tmp: report.plot_rmsd(rmsd, tmp)}  # fmt: skip


def _by_dataset(compiled, datasets):
    """``dataset -> [compiled table, ...]`` of the parallel lists ``compiled`` and ``datasets``."""
    if len(compiled) != len(datasets):
        raise InputError(f"{len(compiled)} compiled tables for {len(datasets)} dataset names")
    frames = {}
    for name, path in zip(datasets, compiled):
        frames.setdefault(name, []).append(read_compiled(path))
    return frames


def nextflow_config(config, flat, profile_dir=None, run_config=None):
    """``nextflow_config``: the equivalent Nextflow config and its flat (aws profile) form.

    Without the aws profile's bucket or queue variable, the config holds the standard and
    slurm profiles and the flat file the one line saying why the aws profile is left out.
    """
    from . import nextflow
    from .deploy import deployment
    from .io import write_files

    deploy = deployment(profile_dir)
    left_out = nextflow.aws_left_out(deploy)
    if left_out:  # the flat file then holds that one line; the config the other profiles
        log.warning("%s", left_out)
    aws_flat = f"// {left_out}\n" if left_out else nextflow.flat("aws", deploy, run_config)
    texts = {config: nextflow.render(deploy, run_config), flat: aws_flat}
    write_files({path: text_writer(text) for path, text in texts.items()})


# -- the Snakemake adapter --------------------------------------------------------------------------

#: Rule name -> step function (the rules in workflow/rules/*.smk): each step is named after its rule.
STEPS = {
    step.__name__: step
    for step in (
        fetch_dataset,
        prepare_fasta,
        prepare_genes,
        fetch_pdb,
        fetch_bead_map,
        fetch_contacts,
        fetch_mapping,
        compute_physical,
        fetch_annotations,
        compile,
        figures,
        export_structure,
        summary,
        compare_datasets,
        nextflow_config,
    )
}


def step_arguments(inputs, outputs, params, wildcards):
    """The keyword arguments of a step from a rule's named inputs, outputs, params and ``chr`` wildcard."""
    kwargs = {}
    for group in (inputs, outputs, params):
        for name, value in group.items():
            if name in kwargs:
                raise InputError(f"rule wiring: {name!r} is both an input, output or param")
            kwargs[name] = value
    if "chr" in wildcards:
        kwargs["chrom"] = wildcards["chr"]
    return kwargs


def _paths(value):
    """A rule's named input or output as a list of paths (Snakemake gives one path as a string)."""
    return [value] if isinstance(value, str) else list(value)


def batch_arguments(inputs, outputs, params, wildcards, plan):
    """``chromosome -> keyword arguments`` of a batch job's step calls (the rules' ``batch: dataset``).

    ``plan`` (the rule's ``batch`` param, ``Each.params`` in ``workflow/rules/common.smk``): ``chromosomes``, in
    order; ``inputs``: the inputs that differ between chromosomes, each chromosome's count of paths (None: one
    path), in order (the others are every chromosome's); ``params``: each chromosome's own params. Every output
    holds one path per chromosome, in order.
    """
    chromosomes = plan["chromosomes"]
    split = {}
    for name, counts in plan["inputs"].items():
        paths, start = _paths(inputs[name]), 0
        if len(paths) != sum(1 if c is None else c for c in counts):
            raise InputError(f"batch job: input {name!r} has {len(paths)} paths for the counts {counts}")
        for k, count in enumerate(counts):
            end = start + (1 if count is None else count)
            split.setdefault(k, {})[name] = paths[start] if count is None else paths[start:end]
            start = end
    calls = {}
    for k, chrom in enumerate(chromosomes):
        own_outputs = {}
        for name, value in outputs.items():
            paths = _paths(value)
            if len(paths) != len(chromosomes):
                raise InputError(
                    f"batch job: output {name!r} has {len(paths)} paths for {len(chromosomes)} chromosomes"
                )
            own_outputs[name] = paths[k]
        own_inputs = {**inputs, **split.get(k, {})}
        calls[chrom] = step_arguments(own_inputs, own_outputs, {**params, **plan["params"][k]},
                                      {**wildcards, "chr": chrom})  # fmt: skip
    return calls


def run_batch(rule, step, calls):
    """Call ``step`` once per chromosome of a batch job, in order; each chromosome that fails is logged by name
    (the others still run) and the job then fails (Snakemake removes a failed job's outputs)."""
    failed = []
    for chrom, kwargs in calls.items():
        try:
            step(**kwargs)
        except ChromapipeError as exc:
            log.error("%s chr%s: %s", rule, chrom, exc)
            failed.append(chrom)
        except Exception:
            log.exception("%s chr%s failed", rule, chrom)
            failed.append(chrom)
    if failed:
        log.error("%s: %d of %d chromosomes failed: %s", rule, len(failed), len(calls),
                  ", ".join(f"chr{c}" for c in failed))  # fmt: skip
    return failed


def from_snakemake(smk):
    """Run the step of rule ``smk.rule`` with its wiring; log to the rule's log file.

    A :class:`~chromapipe.errors.ChromapipeError` ends the job with its
    one-paragraph message in the log (exit status 1), no traceback. A batch job
    (a ``batch`` param: ``batch: dataset``) calls the step once per chromosome
    (:func:`batch_arguments`, :func:`run_batch`) and fails naming the chromosomes that failed. A step with a
    ``threads`` argument is given the job's threads (the rule's, as Snakemake sets them).

    The objects alive when it is called (the imported modules) are frozen out of the garbage
    collector's reach, which it (re)enables for the step; the step's own objects are frozen before
    the job exits (:func:`_frozen_heap`): the interpreter's last collections would otherwise walk
    the whole heap again (0.1-0.2 s of every job).
    """
    with _frozen_heap():
        _run_job(smk)


@contextlib.contextmanager
def _frozen_heap():
    """Freeze the heap, enable the garbage collector for the body, freeze again after it (see :func:`from_snakemake`)."""
    gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.freeze()


def _run_job(smk):
    """The body of :func:`from_snakemake`."""
    import inspect
    import sys

    handler = logging.FileHandler(smk.log[0], mode="w") if smk.log else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(handler)
    step = STEPS[smk.rule.split("__")[0]]  # fetch_dataset__NAME: one rule per dataset of a sheet
    params = dict(smk.params.items())
    if "threads" in inspect.signature(step).parameters:  # a step that can use its job's threads gets them
        params["threads"] = smk.threads
    plan = params.pop("batch", None)
    inputs, outputs, wildcards = dict(smk.input.items()), dict(smk.output.items()), dict(smk.wildcards.items())
    if plan is not None:
        if run_batch(smk.rule, step, batch_arguments(inputs, outputs, params, wildcards, plan)):
            sys.exit(1)
        return
    kwargs = step_arguments(inputs, outputs, params, wildcards)
    try:
        step(**kwargs)
    except ChromapipeError as exc:
        log.error("%s: %s", smk.rule, exc)
        sys.exit(1)
    except Exception:
        log.exception("%s failed", smk.rule)
        raise
