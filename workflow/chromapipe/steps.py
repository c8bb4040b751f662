"""One function per workflow step, with explicit input and output paths.

The Snakemake rules call these through ``workflow/scripts/step.py``
(:func:`from_snakemake`: the rule's named inputs, outputs and params become
the keyword arguments), and the ``chromapipe`` command line calls the same
functions (:mod:`chromapipe.cli`). Each step reads its inputs once, holds the
step's logic (metadata, legacy layout, naming) and writes its outputs
all-or-nothing through :mod:`chromapipe.tables`.

A chromosome's path from config to compiled table::

    fetch_pdb        structure file   -> structures/chr{N}.parquet       (parsed once)
    fetch_bead_map   contact list     -> beadmap/chr{N}_positions.parquet
    fetch_mapping    bin map          -> reference/bins.parquet
    compute_physical structure table  -> physical/chr{N}_physical.parquet, _surface.parquet
    fetch_annotations bins + FASTA/GTF, REST or table -> annotations/chr{N}_annotations.parquet
    compile          the four tables  -> chr{N}_compiled.parquet, chr{N}_surface.parquet
"""

import hashlib
import logging
import os
import time

import numpy as np
import polars as pl

from . import __version__, chroms, tables
from .beadmap import BEAD_MAP_SOURCES
from .errors import ChromapipeError, InputError

log = logging.getLogger("chromapipe")

#: Pairings that read bead positions: a bead-map source file, or the structure table's own (positions).
POSITION_SOURCES = tuple(source for source in BEAD_MAP_SOURCES if source != "sequential")


# -- staging: parse once, write a checked table ---------------------------------------------------


def _fetched(source, member, tmpdir):
    """The local file to parse: ``source`` itself, or its archive ``member`` extracted into ``tmpdir``."""
    if not member:
        return os.fspath(source)
    from .stage import extract_member

    path = os.path.join(tmpdir, os.path.basename(member))
    extract_member(source, member, path)
    return path


def _staged(source, member, reader):
    """``reader(file)`` on ``source`` (or its archive member); errors name the source, not a temporary copy."""
    import tempfile

    label = f"{source}!{member}" if member else os.fspath(source)
    with tempfile.TemporaryDirectory() as tmpdir:
        path = _fetched(source, member, tmpdir)
        try:
            return reader(path), _sha256(path)
        except InputError as exc:
            raise InputError(str(exc).replace(path, label)) from None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_meta(source, member, sha256, **extra):
    return {
        "chromapipe_version": __version__,
        "source": os.path.basename(os.fspath(source)) + (f"!{member}" if member else ""),
        "sha256": sha256,
        **extra,
    }


def structure_frame(structure, nucleus=None):
    """The structure table of a :class:`chromapipe.formats.Structure` (one homolog, every model).

    ``nucleus`` is ``dist_nucleus_com`` aligned with the beads (None: an empty column).
    """
    n = len(structure)
    coords = np.asarray(structure.coords, dtype=np.float32)
    frame = pl.DataFrame(
        {
            "bead": pl.Series(np.zeros(n), dtype=pl.Int32),
            **{axis: pl.Series(coords[:, i], dtype=pl.Float32) for i, axis in enumerate("xyz")},
            "model": pl.Series(structure.model, dtype=pl.Int32),
            "start": pl.Series(structure.start if structure.start is not None else [None] * n, dtype=pl.Int64),
            "haplotype": pl.Series(structure.haplotype.tolist(), dtype=pl.String),
            "dist_nucleus_com": pl.Series(nucleus if nucleus is not None else [None] * n, dtype=pl.Float64),
        }
    )
    # beads numbered 1..n along each homolog of each model
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("model", "haplotype").alias("bead"))


def load_structure(path, chrom, format=None, haplotype=None, bins=None):
    """One chromosome (one homolog) of a structure file of any format, and what staging records of it.

    Parameters
    ----------
    path : path
        The structure file (see :data:`chromapipe.formats.FORMATS`).
    chrom : str
        The chromosome to keep (a GSDB PDB does not name its own: it is this one).
    format : str, optional
        The file's format; by default from its extension (and content, where an extension is shared).
    haplotype : {None, "pat", "mat"}
        The homolog to keep where the file has two of ``chrom``; without it both are kept, apart
        (the table's ``haplotype`` column): they are never averaged.
    bins : path, optional
        PASTIS only: the counts' ``.bed`` or the bin map, where no ``config.ini`` beside the file names
        the counts' bins (:func:`chromapipe.formats.pastis.bins_for`).

    Returns
    -------
    frame : polars.DataFrame
        The structure table (:data:`tables.STRUCTURE`).
    info : dict
        Format, units, models, homologs of the file, and the chromosomes ``dist_nucleus_com`` spans.
    """
    from . import formats

    by_name = _is_pdb(path, format) or format == "pastis"  # a GSDB PDB's chromosome; a PASTIS row's bin map part
    whole = formats.read_structure(path, format, chrom=chroms.canonical(chrom) if by_name else None, bins=bins)
    name = chroms.canonical(chrom)
    if haplotype is None and len([h for c, h in whole.homologs if c == name]) > 1:
        part = whole._subset(whole.chrom == name)  # both homologs, told apart by the haplotype column
    else:
        part = whole.select(name, haplotype)
    nucleus = None
    genome = sorted({str(c) for c in whole.chrom.tolist()})
    if len(genome) > 1:  # a genome-wide file: distances to the whole structure's centre, per model
        nucleus = formats.dist_nucleus_com(whole)[_mask(whole, part)]
    info = {
        "format": whole.format,
        "units": whole.units,
        "models": len(part.model_ids),
        "haplotype": part.haplotype[0] if len(set(part.haplotype.tolist())) == 1 else None,
        "haplotypes": sorted({h for h in part.haplotype.tolist() if h}),
        "homologs": [formats.model.label(c, h) for c, h in whole.homologs],
        "nucleus_chromosomes": genome if nucleus is not None else None,
    }
    return structure_frame(part, nucleus), info


def _is_pdb(path, format):
    from .formats import uncompressed_name

    return format == "pdb" or (format is None and uncompressed_name(path).lower().endswith(".pdb"))


def _mask(whole, part):
    """Which beads of ``whole`` are ``part`` (one chromosome, one or both homologs)."""
    haps = set(part.haplotype.tolist())
    return (whole.chrom == part.chrom[0]) & np.asarray([h in haps for h in whole.haplotype.tolist()], dtype=bool)


def _download(urls, tmpdir):
    """The first of ``urls`` that answers, downloaded into ``tmpdir`` (errors name every address tried)."""
    from .gsdb import download_first

    path = os.path.join(tmpdir, os.path.basename(urls[0].split("?")[0]) or "download")
    used = download_first(urls, path)
    log.info("downloaded %s", used)
    return path, used


def stage_structure(structure, chrom, source=None, member=None, urls=(), format=None, haplotype=None, bins=None):
    """``fetch_pdb``: parse a structure file (any format) once and write one chromosome as the structure table.

    Parameters
    ----------
    structure : path
        The output (:data:`tables.STRUCTURE`).
    chrom : str
    source : path, optional
        The structure file (or an archive with ``member``), already local.
    urls : sequence of str, optional
        Instead of ``source``: addresses tried in turn (a host, then its mirror).
    format : str, optional
        See :func:`load_structure`; by default from the extension.
    haplotype : {None, "pat", "mat"}
        The homolog of a diploid file.
    bins : path, optional
        PASTIS: the staged bin map, for a matrix without its counts' bins beside it.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmpdir:
        if urls:
            source, used = _download(urls, tmpdir)
        (frame, info), sha256 = _staged(
            source, member, lambda path: load_structure(path, chrom, format, haplotype, bins)
        )
        label = used if urls else source
    meta = _source_meta(label, member, sha256, chromosome=chroms.canonical(chrom), **info)
    tables.write({structure: ("structure", frame, meta)})
    log.info("chr%s: %d beads x %d model(s) (%s) from %s -> %s", chroms.canonical(chrom),
             frame.height // info["models"], info["models"], info["format"], meta["source"], structure)  # fmt: skip


def positions_frame(positions):
    return pl.DataFrame(
        {
            "bead": pl.Series(np.arange(1, len(positions) + 1), dtype=pl.Int32),
            "position": pl.Series(positions, dtype=pl.Int64),
        }
    )


def stage_dataset(archive, wanted, **members):
    """``fetch_dataset``: extract the members a run needs from the dataset archive, opening it once.

    Parameters
    ----------
    archive : path
        The archive (``.tar.gz``, ``.zip``) or its extracted folder.
    wanted : dict
        ``key -> names`` to look for (:meth:`chromapipe.gsdb.GsdbSource.members`).
    **members : path
        ``key -> output path`` of each extracted member.
    """
    import shutil
    import tempfile

    from .gsdb import extract_members

    outputs = list(members.values())
    parent = os.path.dirname(os.path.commonpath([os.path.abspath(p) for p in outputs])) if outputs else "."
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmpdir:
        found = extract_members(archive, {key: wanted[key] for key in members}, tmpdir)
        for key, path in members.items():
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            shutil.move(found[key], path)
    log.info("%d members of %s -> %s", len(members), os.path.basename(os.fspath(archive)), ", ".join(outputs))


def stage_positions(source, positions, chrom, kind, member=None):
    """``fetch_bead_map``: bead positions from the bead-map source, parsed once."""
    from .beadmap import read_positions_file

    values, sha256 = _staged(source, member, lambda path: read_positions_file(path, kind))
    meta = _source_meta(source, member, sha256, chromosome=chroms.canonical(chrom), kind=kind)
    tables.write({positions: ("positions", positions_frame(values), meta)})
    log.info("chr%s: %d bead positions (%s) -> %s", chroms.canonical(chrom), len(values), kind, positions)


def stage_bins(source, bins, member=None, autosomes=chroms.HUMAN):
    """``fetch_mapping``: the genome-wide bin map, parsed once (``autosomes``: the species', for X/Y/MT numbers)."""
    from .beadmap import read_bin_map

    frame, sha256 = _staged(source, member, lambda path: read_bin_map(path, autosomes))
    tables.write({bins: ("bins", frame, _source_meta(source, member, sha256))})
    log.info("%d bins of %d chromosomes -> %s", frame.height, frame["chr"].n_unique(), bins)


def _is_bgzip(path):
    """True for a BGZF file (gzip with the 'BC' extra subfield): indexable as it is."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def prepare_fasta(source, fasta, fai, gzi):
    """``prepare_fasta``: a reference FASTA (plain, gzip or bgzip) as bgzip with its ``.fai`` and ``.gzi``, once.

    The result is what every chromosome's annotation job reads (pyfaidx, random access).
    """
    import gzip
    import shutil

    from Bio import bgzf

    from .annotations.files import open_fasta
    from .io import write_files

    def write(tmp):
        if _is_bgzip(source):
            shutil.copyfile(source, tmp)
            return
        with open(source, "rb") as probe:
            packed = probe.read(2) == b"\x1f\x8b"
        with gzip.open(source, "rb") if packed else open(source, "rb") as src, bgzf.BgzfWriter(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)

    write_files({fasta: write})
    try:
        open_fasta(fasta).close()  # writes the .fai and .gzi beside it
        for index in (fai, gzi):
            if not os.path.exists(index):
                raise InputError(f"indexing wrote no {os.path.basename(index)}", fasta)
    except BaseException:
        for path in (fasta, fai, gzi):
            if os.path.exists(path):
                os.unlink(path)
        raise
    log.info("%s -> %s (+ .fai, .gzi)", os.path.basename(os.fspath(source)), fasta)


def prepare_genes(source, genes):
    """``prepare_genes``: the GTF/GFF3 parsed once into the per-gene table every annotation job reads."""
    from .annotations.files import prepare_genes as parse

    frame, seqnames = parse(source)
    meta = {"chromapipe_version": __version__, "source": os.path.basename(os.fspath(source)), "seqnames": seqnames}
    tables.write({genes: ("genes", frame, meta)})
    log.info("%d genes on %d sequences -> %s", frame.height, len(seqnames), genes)


def read_bins(path):
    """The bin map: a staged bins table (``.parquet``) or a GSDB bin map file."""
    from .beadmap import read_bin_map

    return tables.read("bins", path) if os.fspath(path).endswith(".parquet") else read_bin_map(path)


def read_structure(path, chrom=None, format=None, haplotype=None, bins=None):
    """The structure table (every model), its name and what staging records of it (format, units, homolog,
    the chromosomes ``dist_nucleus_com`` spans): a staged table (``.parquet``) or a structure file."""
    if os.fspath(path).endswith(".parquet"):
        frame = tables.read("structure", path)
        meta = tables.read_metadata(path)
        return frame, meta.get("source", os.path.basename(path)), meta
    if chrom is None:
        raise InputError("name the chromosome of the structure file (--chr)", path)
    frame, info = load_structure(path, chrom, format, haplotype, bins)
    return frame, os.path.basename(os.fspath(path)), info


# -- the science steps ------------------------------------------------------------------------------


def run_physical(structure, physical, surface, chrom, surface_mode="all", grid="auto", format=None,
                 haplotype=None, rg_window=None, neighbour_radius=None, bins=None):  # fmt: skip
    """``compute_physical``: per-bead features and the surface points of one structure (each model of an ensemble).

    Parameters
    ----------
    structure : path
        The staged structure table, or a structure file of any format (:func:`load_structure`).
    physical, surface : path
        The two outputs (:data:`tables.PHYSICAL`, :data:`tables.SURFACE`). An ensemble's get a ``model``
        column (one row per bead and model; one surface per model); a genome-wide file's physical table
        gets ``dist_nucleus_com``. A single model of one chromosome keeps exactly the base columns.
    chrom : str
    surface_mode, grid : str
        See :func:`chromapipe.physical.compute_surface`.
    format, haplotype : str, optional
        A structure file's format and homolog (see :func:`load_structure`).
    rg_window, neighbour_radius : optional
        ``rg_local``'s half-window (beads) and ``neighbours``' radius (x the median bond); default 5 and 1.5
        (:mod:`chromapipe.neighbourhood`).
    bins : path, optional
        A PASTIS matrix's bins (see :func:`load_structure`).
    """
    from .neighbourhood import NEIGHBOUR_RADIUS, RG_WINDOW
    from .physical import WINDOW

    rg_window = RG_WINDOW if rg_window is None else rg_window
    neighbour_radius = NEIGHBOUR_RADIUS if neighbour_radius is None else neighbour_radius
    if isinstance(rg_window, bool) or not isinstance(rg_window, int) or rg_window < 0:
        raise InputError(f"rg_local: the window must be an integer >= 0 (beads either side), got {rg_window!r}")
    if (
        isinstance(neighbour_radius, bool)
        or not isinstance(neighbour_radius, int | float)
        or not 0 < neighbour_radius < float("inf")
    ):
        raise InputError(
            f"neighbours: the radius must be a finite number > 0 (x the median bond), got {neighbour_radius!r}"
        )

    chrom = chroms.canonical(chrom)
    started = time.perf_counter()
    frame, name, staged = read_structure(structure, chrom, format, haplotype, bins)
    models = frame["model"].unique(maintain_order=True).to_list()
    homologs = frame["haplotype"].unique(maintain_order=True).to_list()
    ensemble, diploid = len(models) > 1, len(homologs) > 1
    label = structure if name == os.path.basename(os.fspath(structure)) else f"{name} (staged as {structure})"
    features, points = _features_of(frame, models, homologs, label, surface_mode, grid, rg_window,
                                    neighbour_radius)  # fmt: skip
    if grid == "auto" and len({surf.grid for surf, _ in points}) > 1:
        # one grid for every model and homolog, so that their features compare
        (hap, model), surf = next((run, s) for run, (s, _) in zip(_runs(models, homologs), points, strict=True)
                                  if s.grid == "fitted")  # fmt: skip
        why = f"in model {model}{f' ({hap})' if hap else ''} the original grid would keep only {100 * surf.original_kept:.3f}%"
        tried = points
        features, points = _features_of(frame, models, homologs, label, surface_mode, "fitted", rg_window,
                                        neighbour_radius)  # fmt: skip
        for (surf, _), (first_try, _) in zip(points, tried, strict=True):
            surf.choice = f"auto grid: fitted for every model and homolog, because {why} of the sampled points"
            surf.original_kept = first_try.original_kept
    # beads of each homolog's chain (one model): the homologs of a diploid file may differ in length
    chains = frame.filter(pl.col("model") == models[0]).group_by("haplotype", maintain_order=True).len()
    lengths = dict(zip(chains["haplotype"].to_list(), chains["len"].to_list(), strict=True))
    n = min(lengths.values())
    first = points[0][0]
    backbone = f"none (chain of {WINDOW} beads or fewer)" if n <= WINDOW else f"rolling mean, window {WINDOW}"
    if diploid and min(lengths.values()) <= WINDOW < max(lengths.values()):
        backbone = (
            ", ".join(f"{h}: {'none' if k <= WINDOW else 'rolling mean'}" for h, k in lengths.items())
            + f" (window {WINDOW})"
        )
    meta = {
        "chromapipe_version": __version__,
        "chromosome": chrom,
        "structure": name,
        "beads": sum(lengths.values()),
        "models": len(models),
        "units": _units(staged),
        "surface": first.mode,
        "grid": first.grid,
        "grid_setting": grid,
        **({"grid_choice": first.choice} if first.choice else {}),
        **({"original_grid_kept": min(s.original_kept for s, _ in points)} if first.original_kept is not None else {}),
        "sphere_radius": first.radius,
        "bin_size": first.bin_size,
        "sampled_points": sum(s.n_samples for s, _ in points),
        "dropped_points": sum(s.n_dropped for s, _ in points),
        "filled_voxels": sum(s.n_filled for s, _ in points),
        "enclosed_surface_voxels": sum(s.n_enclosed for s, _ in points),
        "surface_points": sum(int(s.points.shape[0]) for s, _ in points),
        "backbone": backbone,
        "rg_window": rg_window,
        "neighbour_radius": neighbour_radius,
    }
    if not ensemble:  # a single model's metadata, as before ensembles
        del meta["models"]
    if staged.get("haplotype"):
        meta["haplotype"] = staged["haplotype"]
    if diploid:
        meta["haplotypes"] = homologs
        meta["beads_per_haplotype"] = lengths
    if staged.get("nucleus_chromosomes"):
        meta["nucleus_chromosomes"] = staged["nucleus_chromosomes"]
    tables.write(
        {
            physical: ("physical", pl.concat(features), meta),
            surface: ("surface", pl.concat([p for _, p in points]), meta),
        }
    )
    if first.grid == "original" and meta["dropped_points"] > DROPPED_WARNING * meta["sampled_points"]:
        log.warning(
            "chr%s: %d of %d sampled points (%.0f%%) fell outside the original grid, which is anchored at 0 "
            "after its shift: a structure away from the origin loses part of its surface. The fitted grid "
            "(--grid fitted, surface.grid: fitted) fits the grid to the points",
            chrom, meta["dropped_points"], meta["sampled_points"],
            100 * meta["dropped_points"] / meta["sampled_points"],
        )  # fmt: skip
    if first.choice:
        log.info("chr%s: %s", chrom, first.choice)
    for hap, k in lengths.items():
        if k <= WINDOW:
            log.warning(
                "chr%s%s: %d beads, no rolling-mean backbone (window %d): dist_rolling_mean is empty",
                chrom, f" ({hap})" if diploid else "", k, WINDOW,
            )  # fmt: skip
    log.info(
        "chr%s: %s beads x %d model(s), %d surface points (%s surface, %s grid), %d of %d sampled points dropped, "
        "%.3f s", chrom, " + ".join(f"{k} ({h})" for h, k in lengths.items()) if diploid else n, len(models),
        meta["surface_points"], first.mode, first.grid, meta["dropped_points"], meta["sampled_points"],
        time.perf_counter() - started,
    )  # fmt: skip


#: the share of sampled points the original grid may drop before a run warns (chr1 of GSDB drops 0.04 %)
DROPPED_WARNING = 0.01


def _units(staged):
    """The coordinates' units: model units for the PDB formats (and tables staged before formats), else the file's."""
    return tables.MODEL_UNITS if staged.get("format") in (None, "pdb", "nucdyn-pdb") else staged["units"]


def _runs(models, homologs):
    """(haplotype, model) of every structure of a table, homolog by homolog."""
    return [(h, m) for h in homologs for m in models]


def _features_of(frame, models, homologs, structure, surface_mode, grid, rg_window, neighbour_radius):
    """The physical table and the (surface, points table) of every model and homolog of a structure table."""
    ensemble, diploid = len(models) > 1, len(homologs) > 1
    nucleus = not frame["dist_nucleus_com"].is_null().all()
    features, points = [], []
    for hap, model in _runs(models, homologs):
        rows = frame.filter((pl.col("model") == model) & pl.col("haplotype").eq_missing(hap))
        coords = rows.select("x", "y", "z").to_numpy()
        feats, surf = _physical_of(coords, structure, surface_mode, grid, rg_window, neighbour_radius)
        extra = {"model": pl.Series([model] * rows.height, dtype=pl.Int32)} if ensemble else {}
        if diploid:
            extra["haplotype"] = pl.Series([hap] * rows.height, dtype=pl.String)
        table = pl.DataFrame({k: feats[k] for k in tables.PHYSICAL.names}).cast(tables.PHYSICAL.schema)
        table = table.with_columns(pl.col(pl.Float64).fill_nan(None))  # no backbone: empty, not NaN
        if nucleus:
            table = table.with_columns(rows["dist_nucleus_com"])
        table = table.with_columns(**extra)
        features.append(table.select([c.name for c in tables.PHYSICAL.columns_of(table.columns)]))
        pts = pl.DataFrame(surf.points, schema=list(tables.SURFACE.names), orient="row")
        labels = [pl.lit(hap, dtype=pl.String).alias("haplotype")] if diploid else []
        labels += [pl.lit(model, dtype=pl.Int32).alias("model")] if ensemble else []
        points.append((surf, pts.select(*labels, *pts.columns)))
    return features, points


def _physical_of(coords, structure, surface_mode, grid, rg_window, neighbour_radius):
    """Every per-bead feature of one model (:data:`tables.PHYSICAL`) and its surface."""
    from .neighbourhood import neighbours, rg_local
    from .physical import physical_features

    try:
        features, surface = physical_features(coords, mode=surface_mode, grid=grid)
    except InputError as exc:
        if exc.path is not None:
            raise
        raise InputError(str(exc), structure) from None  # name the structure the geometry came from
    features["rg_local"] = rg_local(coords, rg_window)
    features["neighbours"] = neighbours(coords, neighbour_radius)
    return features, surface


def run_annotations(bins, annotations, chrom, source, assembly, fasta=None, gtf=None, table=None, ensembl=None,
                    fasta_index=(), client_options=None, tracks=(), track_specs=(), contacts=None):  # fmt: skip
    """``fetch_annotations``: GC content, N fraction and gene density of every bin of a chromosome.

    Parameters
    ----------
    bins : path
        The staged bins table or a GSDB bin map.
    annotations : path
        The output (:data:`tables.ANNOTATIONS`).
    source : {"files", "ensembl", "table"}
    assembly : str
    fasta, gtf : path
        ``files``: the reference FASTA and gene models.
    fasta_index : sequence of path
        ``files``: the FASTA's ``.fai``/``.gzi`` (read from beside it; listed so the rule tracks them).
    table : path
        ``table``: an existing per-bin table (the Nextflow pipeline's CSV, or ours).
    ensembl : chromapipe.settings.Ensembl
        ``ensembl``: host, rate, cache, batch size, release.
    client_options : dict, optional
        ``ensembl``: more keyword arguments of the REST client (timeout, retries, backoff) and ``window``.
    tracks : sequence of path
        The user tracks' local files (bigWig, bedGraph, BED), one column each after the fixed columns.
    track_specs : sequence of dict or chromapipe.tracks.Track
        Parallel to ``tracks``: ``{name, stat}`` of each (the format comes from the file name), or
        :class:`~chromapipe.tracks.Track` objects (then ``tracks`` may be empty).
    contacts : path, optional
        A ``pos1 pos2 count`` contact list of the chromosome: adds ``compartment_e1`` and ``compartment``
        (:func:`chromapipe.compartments.compartments`, oriented by this table's GC content).
    """
    from .beadmap import chromosome_bins

    chrom = chroms.canonical(chrom)
    chrom_bins = chromosome_bins(read_bins(bins), chrom, bins)
    meta = {"chromapipe_version": __version__, "chromosome": chrom, "source": source, "bins": chrom_bins.height}
    from .settings import SOURCE_NEEDS

    given = {"fasta": fasta, "gtf": gtf, "table": table}
    if source not in SOURCE_NEEDS:
        raise InputError(f"annotation source {source!r} is not one of {', '.join(SOURCE_NEEDS)}")
    missing = [key for key in SOURCE_NEEDS[source] if not given[key]]
    if missing:
        raise InputError(f"annotation source '{source}' needs {' and '.join(missing)}")
    if source == "table":
        from .annotations.table import read_annotation_table

        frame = read_annotation_table(table, chrom_bins, chrom)
        meta.update(table=os.path.basename(table), assembly=assembly)
    elif source == "files":
        from .annotations.files import annotate_from_files

        frame = annotate_from_files(chrom_bins, chrom, fasta, gtf)
        meta.update(fasta=os.path.basename(fasta), gtf=os.path.basename(gtf), assembly=assembly)
    else:
        frame, rest_meta = _annotate_from_ensembl(chrom_bins, chrom, assembly, ensembl, dict(client_options or {}))
        meta.update(rest_meta)
    frame = tables.conform("annotations", frame.select(pl.exclude("compartment_e1", "compartment")))
    if contacts:
        from .compartments import compartments

        frame = pl.concat([frame, compartments(contacts, chrom_bins, frame["gc_content"].to_list(), chrom)],
                          how="horizontal")  # fmt: skip
        meta["compartments"] = {"contacts": os.path.basename(os.fspath(contacts)), "oriented_by": "gc_content"}
    user_tracks = _user_tracks(tracks, track_specs)
    if user_tracks:
        from .tracks import track_per_bin

        values = {}
        for track in user_tracks:
            try:
                values[track.name] = track_per_bin(track, chrom, chrom_bins)
            except InputError as exc:
                where = f"track {track.name}: {exc.message}"
                if "another assembly" in exc.message:
                    where += f" (the bin map's assembly is {assembly})"
                raise InputError(where, exc.path, exc.line) from None
        frame = frame.with_columns(
            pl.Series(t.name, values[t.name], dtype=pl.Int64 if t.stat == "count" else pl.Float64) for t in user_tracks
        )
        meta["tracks"] = [{"name": t.name, "stat": t.stat, "format": t.format,
                           "file": os.path.basename(t.path)} for t in user_tracks]  # fmt: skip
    tables.write({annotations: ("annotations", frame, meta)})
    log.info("chr%s: %d bins annotated%s%s -> %s", chrom, frame.height,
             ", compartments" if contacts else "", f", {len(user_tracks)} track(s)" if user_tracks else "",
             annotations)  # fmt: skip


def _user_tracks(paths, specs):
    """:class:`~chromapipe.tracks.Track` objects of the annotation step's tracks (files and their specs)."""
    from .tracks import Track, check_unique, make_track

    if all(isinstance(s, Track) for s in specs) and not paths:
        return check_unique(list(specs))
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if len(paths) != len(specs):
        raise InputError(f"{len(paths)} track files for {len(specs)} track specifications")
    return check_unique([make_track(s["name"], p, s.get("stat"), where="track") for p, s in zip(paths, specs)])


def _annotate_from_ensembl(bins, chrom, assembly, ensembl, options):
    from .annotations.ensembl import EnsemblClient, annotate_from_ensembl

    if ensembl is None:
        raise InputError("the ensembl source needs its settings (host, max_rps, cache, batch_size)")
    window = options.pop("window", None)
    client = EnsemblClient(
        assembly=assembly, host=ensembl.host, max_rps=ensembl.max_rps, cache=ensembl.cache or None,
        release=ensembl.release, **options,
    )  # fmt: skip
    log.info("chr%s: %d bins from %s (assembly %s, at most %g requests/s, cache %s)",
             chrom, bins.height, client.host, assembly, ensembl.max_rps, ensembl.cache or "off")  # fmt: skip
    extra = {"window": window} if window else {}
    frame = annotate_from_ensembl(bins, chrom, client, batch_size=ensembl.batch_size, **extra)
    stats = client.stats
    return frame, {
        "host": client.host,
        "assembly": client.reported_assembly or assembly,
        "assembly_requested": assembly,
        "ensembl_release": client.release,
        "gene_set": client.gene_set,
        "requests": stats.requests,
        "retried": stats.retried,
        "cached_regions": stats.cached,
    }


def read_positions(path, pairing, haplotype=None, chrom=None):
    """Bead positions: a staged positions or (``positions``) structure table, or the raw ``pairing`` source file.

    ``haplotype``: the homolog whose positions a diploid structure table gives.
    """
    if pairing == "positions":
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

    return read_positions_file(path, pairing)


def run_compile(physical, surface, annotations, compiled, published_surface, chrom, pairing, bins=None,
                positions=None, assembly=None, algorithm=None, dataset=None):  # fmt: skip
    """``compile``: one table per chromosome, each bead on its own bin, and the surface points.

    Parameters
    ----------
    physical, surface, annotations : path
        The step inputs (Parquet, or the Nextflow pipeline's CSV layouts).
    compiled, published_surface : path
        The outputs (:data:`tables.COMPILED` or, for ``row-order``, :data:`tables.LEGACY`; :data:`tables.SURFACE`).
    chrom : str
    pairing : {"contacts", "mapping3dmax", "sequential", "row-order"}
        How beads pair with bins; ``row-order`` is the original's (legacy) layout.
    bins : path, optional
        The bins table or bin map; the annotation rows must be the chromosome's bins.
    positions : path, optional
        ``contacts``/``mapping3dmax``: the staged positions table or the source file itself.
    assembly : str, optional
        Recorded in the metadata (default: the annotations').
    algorithm : str, optional
        The reconstruction algorithm (GSDB runs): a bead count its rule cannot explain is an
        error naming it and what to provide.
    dataset : dict, optional
        What to record about the dataset (GSDB identifiers, cell type, organism).
    """
    from .compile import track_columns

    chrom = chroms.canonical(chrom)
    physical_frame = tables.read("physical", physical)
    surface_frame = tables.read("surface", surface)
    annotation_frame = tables.read("annotations", annotations)
    legacy = pairing == "row-order"
    if "haplotype" in physical_frame.columns:  # a diploid structure: each homolog on its own, never averaged
        if legacy:
            raise InputError("legacy: true reproduces single structures; homologs need the bead-map pairing", physical)
        parts = []
        for hap in physical_frame["haplotype"].unique(maintain_order=True).to_list():
            part, bead_file = _compile_frame(chrom, physical_frame.filter(pl.col("haplotype") == hap).drop("haplotype"),
                                             annotation_frame, bins, pairing, positions, algorithm, hap)  # fmt: skip
            parts.append(part.with_columns(pl.lit(hap, dtype=pl.String).alias("haplotype")))
        frame = pl.concat(parts)
        tracks = track_columns(frame)
        schema = tables.COMPILED.schema_of([c for c in frame.columns if c not in tracks])
        frame = tables.check("compiled", frame.select(list(schema) + tracks), tracks=tracks)
    else:
        frame, bead_file = _compile_frame(chrom, physical_frame, annotation_frame, bins, pairing, positions, algorithm)
    meta = {
        "chromapipe_version": __version__,
        "chromosome": chrom,
        "legacy": legacy,
        "pairing": "row-order (legacy)" if legacy else "bead map",
        "bead_map": {"source": pairing, "file": os.path.basename(os.fspath(bead_file)) if bead_file else None},
        "assembly": assembly or tables.read_metadata(annotations).get("assembly") or "unknown",
        "units": tables.read_metadata(physical).get("units") or tables.MODEL_UNITS,
        "physical": tables.read_metadata(physical),
        "annotations": tables.read_metadata(annotations),
        "schema": {c: str(t) for c, t in frame.schema.items()},
    }
    if dataset:
        meta["dataset"] = dict(dataset)
    if meta["annotations"].get("tracks") and not legacy:
        meta["tracks"] = meta["annotations"]["tracks"]
    tables.write(
        {
            compiled: ("legacy" if legacy else "compiled", frame, meta),
            published_surface: ("surface", surface_frame, meta),
        }
    )
    beads = physical_frame.height if legacy else int(frame["bead"].is_not_null().sum())
    log.info("chr%s: %d rows (%d with a bead) -> %s", chrom, frame.height, beads, compiled)


def _compile_frame(chrom, physical_frame, annotation_frame, bins, pairing, positions, algorithm, haplotype=None):
    """The compiled table of one structure (one homolog; an ensemble's means and spread) and the bead file."""
    from .compile import add_spread, compile_legacy, ensemble_means

    spread = None
    if "model" in physical_frame.columns:  # an ensemble: per-bead means, then the spread beside them
        if pairing == "row-order":
            raise InputError("legacy: true reproduces single structures; an ensemble needs the bead-map pairing")
        physical_frame, spread = ensemble_means(physical_frame)
    if pairing == "row-order":
        return compile_legacy(chrom, physical_frame, annotation_frame), None
    try:
        frame, bead_file = _compile_paired(chrom, physical_frame, annotation_frame, bins, pairing, positions,
                                           haplotype)  # fmt: skip
    except InputError as exc:
        if not algorithm or "beads" not in str(exc):
            raise
        raise InputError(
            f"{algorithm} structure of chr{chrom}: {exc}. The pairing '{pairing}' is the rule established for "
            f"{algorithm} (see chromapipe.gsdb.BEAD_RULES); provide a bead map file that pairs each bead with "
            "its bin (bead_map: {source: mapping3dmax, path: ...} with position<TAB>index rows, or source: "
            "contacts with the structure's own input contact list)"
        ) from None
    return (add_spread(frame, spread) if spread is not None else frame), bead_file


def _compile_paired(chrom, physical_frame, annotation_frame, bins, pairing, positions, haplotype=None):
    """The default layout: each bead on its own bin; returns the table and the bead-map source's name."""
    from .beadmap import chromosome_bins
    from .compile import compile_chromosome

    chrom_bins = chromosome_bins(read_bins(bins), chrom, bins) if bins else None
    if pairing not in POSITION_SOURCES:
        return compile_chromosome(chrom, physical_frame, annotation_frame, chrom_bins, pairing), None
    if positions is None:
        raise InputError(f"bead map '{pairing}' needs its file ({pairing}:FILE)")
    bead_file = tables.read_metadata(positions).get("source") or positions
    frame = compile_chromosome(chrom, physical_frame, annotation_frame, chrom_bins, pairing, bead_file,
                               read_positions(positions, pairing, haplotype, chrom))  # fmt: skip
    return frame, bead_file


# -- figures and summary ----------------------------------------------------------------------------


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


def run_figures(compiled, surface, tracks, structure, correlation, chrom, colour_by="dist_surface", dataset=None):
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


def run_summary(compiled, surface, table, parquet, figure, chromosomes=None, correlations_table=None,
                correlations_parquet=None, heatmap=None, dataset=None):  # fmt: skip
    """``summary``: one row per chromosome, as TSV, Parquet and a figure; the feature-annotation correlations.

    ``compiled`` and ``surface`` are parallel lists; each chromosome is read
    from its compiled table's metadata unless ``chromosomes`` names them.
    ``correlations_table``, ``correlations_parquet``, ``heatmap`` (optional): every structure feature
    against every annotation, compartment E1 and track with block-bootstrap intervals
    (:data:`tables.CORRELATIONS`, :func:`correlations`) and their heatmap; ``dataset`` names the dataset.
    """
    from . import report
    from .io import write_files

    if chromosomes is None:
        chromosomes = [_chromosome_of(path) for path in compiled]
    if not len(compiled) == len(surface) == len(chromosomes):
        raise InputError(
            f"{len(compiled)} compiled tables, {len(surface)} surface tables, {len(chromosomes)} chromosomes"
        )
    frames = [read_compiled(t) for t in compiled]
    rows = [
        report.summary_row(chroms.canonical(c), frame, tables.read("surface", s))
        for c, frame, s in zip(chromosomes, frames, surface)
    ]
    summary = tables.check("summary", report.summary_table(rows))
    units = sorted({tables.read_metadata(t).get("units") or tables.MODEL_UNITS for t in compiled})
    meta = {"chromapipe_version": __version__, "dataset": dataset, "chromosomes": [str(c) for c in chromosomes],
            "units": units[0] if len(units) == 1 else units}  # fmt: skip
    unit = report.unit_label(units[0]) if len(units) == 1 else report.UNIT
    outputs = {
        parquet: tables.parquet_writer("summary", summary, meta),
        table: lambda tmp: summary.write_csv(tmp, separator="\t", float_precision=4),
        figure: lambda tmp: report.plot_summary(summary, tmp, unit, dataset),
    }
    if correlations_parquet or correlations_table or heatmap:
        frame = correlations(frames, dataset, [tables.track_names(tables.read_metadata(t)) for t in compiled])
        outputs.update(_correlation_outputs(frame, correlations_table, correlations_parquet, heatmap, meta))
    write_files({path: writer for path, writer in outputs.items() if path})
    log.info("summary of %d chromosomes -> %s", summary.height, table)


def correlations(frames, dataset=None, tracks=()):
    """Structure features x annotations: Spearman's rho with block-bootstrap intervals (:mod:`chromapipe.stats`).

    Parameters
    ----------
    frames : sequence of polars.DataFrame
        Compiled tables (one per chromosome, in order).
    dataset : str, optional
        The dataset's name, written in the ``dataset`` column.
    tracks : sequence of sequence of str
        The track columns of each table; the tracks every table has are correlated.

    Returns
    -------
    polars.DataFrame
        :data:`tables.CORRELATIONS`: per chromosome, then ``genome`` (more than one chromosome).
        Features are the structure features the tables have (an ensemble's means), annotations
        ``gc_content``, ``gene_density``, ``compartment_e1`` (where every table has it) and the tracks.
    """
    from .stats import correlation_table

    stacked = pl.concat(frames, how="diagonal_relaxed")
    present = [c for c in tables.STRUCTURE_FEATURES if all(c in f.columns for f in frames)]
    features = [c for c in present if stacked[c].is_not_null().any()]
    shared = [name for name in (tracks[0] if tracks else ()) if all(name in t for t in tracks)]
    annotations = [c for c in ("gc_content", "gene_density", "compartment_e1") if all(c in f.columns for f in frames)]
    stacked = stacked.with_columns(pl.col("chr").cast(pl.String))
    if "haplotype" in stacked.columns and stacked["haplotype"].is_not_null().any():  # homologs apart: "21 (pat)"
        stacked = stacked.with_columns(
            pl.when(pl.col("haplotype").is_null())
            .then(pl.col("chr"))
            .otherwise(pl.format("{} ({})", pl.col("chr"), pl.col("haplotype")))
            .alias("chr")
        )
    frame = correlation_table(stacked, features, annotations + shared, dataset, chromosome="chr")
    return tables.check("correlations", frame)


def _correlation_outputs(frame, table, parquet, heatmap, meta):
    """Writers of a correlation table (TSV, Parquet) and its heatmap(s), for :func:`chromapipe.io.write_files`."""
    from . import report, stats

    several = frame["dataset"].n_unique() > 1
    meta = {**meta, "method": "Spearman's rho, moving-block bootstrap interval (chromapipe.stats)",
            "bootstrap": {"block_bins": stats.BLOCK, "resamples": stats.RESAMPLES, "seed": stats.SEED,
                          "level": stats.LEVEL}}  # fmt: skip
    return {
        parquet: tables.parquet_writer("correlations", frame, meta),
        table: lambda tmp: frame.write_csv(tmp, separator="\t", float_precision=4),
        heatmap: lambda tmp: (report.plot_heatmaps if several else report.plot_heatmap)(_heatmap_rows(frame), tmp),
    }


def _heatmap_rows(frame):
    """The rows a heatmap shows: each dataset's genome-wide rows, or its only chromosome's."""
    parts = []
    for _, part in frame.group_by("dataset", maintain_order=True):
        genome = part.filter(pl.col("chromosome") == "genome")
        parts.append(genome if genome.height else part)
    return pl.concat(parts) if parts else frame


def run_compare(compiled, table, parquet, figure, datasets, correlations=(), correlations_table=None,
                heatmaps=None):  # fmt: skip
    """``compare_datasets``: per feature, Spearman's rho between every pair of datasets on shared bins.

    ``compiled`` and ``datasets`` are parallel lists (each dataset's compiled tables, every chromosome).
    ``correlations``: each dataset's feature-annotation correlations (``summary/correlations.parquet``),
    put side by side in ``correlations_table`` (TSV) and ``heatmaps`` (one heatmap per dataset).
    """
    from . import report
    from .io import write_files

    if len(compiled) != len(datasets):
        raise InputError(f"{len(compiled)} compiled tables for {len(datasets)} dataset names")
    frames = {}
    for name, path in zip(datasets, compiled):
        frames.setdefault(name, []).append(read_compiled(path))
    comparison = tables.check("comparison", report.compare_datasets(
        {name: pl.concat(parts, how="diagonal_relaxed") for name, parts in frames.items()}))  # fmt: skip
    meta = {"chromapipe_version": __version__}
    outputs = {
        parquet: tables.parquet_writer("comparison", comparison, meta),
        table: lambda tmp: comparison.write_csv(tmp, separator="\t", float_precision=4),
        figure: lambda tmp: report.plot_comparison(comparison, tmp),
    }
    if correlations:
        side_by_side = pl.concat([tables.read("correlations", path) for path in correlations])
        outputs.update(_correlation_outputs(side_by_side, correlations_table, None, heatmaps, meta))
    write_files({path: writer for path, writer in outputs.items() if path})
    log.info("%d datasets compared -> %s", len(frames), table)


def _chromosome_of(path):
    chrom = tables.read_metadata(path).get("chromosome")
    if chrom is None:
        raise InputError("compiled table without chromapipe metadata: name its chromosome (--chr)", path)
    return chrom


def run_nextflow_config(config, flat, profile_dir=None, run_config=None):
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


def text_writer(text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)

    return write


# -- the Snakemake adapter --------------------------------------------------------------------------

#: Rule name -> step function (the rules in workflow/rules/*.smk).
STEPS = {
    "fetch_dataset": stage_dataset,
    "prepare_fasta": prepare_fasta,
    "prepare_genes": prepare_genes,
    "fetch_pdb": stage_structure,
    "fetch_bead_map": stage_positions,
    "fetch_mapping": stage_bins,
    "compute_physical": run_physical,
    "fetch_annotations": run_annotations,
    "compile": run_compile,
    "figures": run_figures,
    "summary": run_summary,
    "compare_datasets": run_compare,
    "nextflow_config": run_nextflow_config,
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


def from_snakemake(smk):
    """Run the step of rule ``smk.rule`` with its wiring; log to the rule's log file.

    A :class:`~chromapipe.errors.ChromapipeError` ends the job with its
    one-paragraph message in the log (exit status 1), no traceback.
    """
    import sys

    handler = logging.FileHandler(smk.log[0], mode="w") if smk.log else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(handler)
    step = STEPS[smk.rule.split("__")[0]]  # fetch_dataset__NAME: one rule per dataset of a sheet
    kwargs = step_arguments(dict(smk.input.items()), dict(smk.output.items()), dict(smk.params.items()),
                            dict(smk.wildcards.items()))  # fmt: skip
    try:
        step(**kwargs)
    except ChromapipeError as exc:
        log.error("%s: %s", smk.rule, exc)
        sys.exit(1)
    except Exception:
        log.exception("%s failed", smk.rule)
        raise
