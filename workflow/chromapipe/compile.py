"""Compile per-bead physical features and per-bin annotations into one table.

Default mode: one row per bin of the chromosome, each bead on its own bin
(see :mod:`chromapipe.beadmap`), bins without a bead keep empty physical
columns; a declared schema (:data:`chromapipe.tables.COMPILED`) is enforced on write.

Legacy mode reproduces the original's ``chr{N}_compiled.parquet`` exactly:
bead rows pasted beside bin rows by row number, the shorter side padded with
nulls (polars 1.x behaviour, rebuilt here explicitly), Float64, the original's
column order and dtypes. The pairing is wrong whenever beads and bins differ in
number, so legacy mode says so in its log.
"""

import logging
import os

import numpy as np
import polars as pl

from . import chroms, tables
from .beadmap import bead_map, bins_mismatch
from .errors import BeadMismatch, InputError

log = logging.getLogger("chromapipe")

DECIMALS = 4


def _as_float(frame, columns, dtype=pl.Float64):
    return frame.select([pl.col(c).cast(dtype) for c in columns])


def annotation_bins(annotations, bins=None, path="annotations"):
    """Check the annotation rows are exactly the chromosome's bins; return the bins.

    Parameters
    ----------
    annotations : polars.DataFrame
        With ``start`` and ``end``.
    bins : polars.DataFrame, optional
        The chromosome's bins from the bin map. Without it the annotation rows
        are taken as the bin grid.
    """
    if bins is None:
        return annotations.select(pl.col("start").cast(pl.Int64), pl.col("end").cast(pl.Int64))
    detail = bins_mismatch(annotations["start"], annotations["end"], bins, "annotation rows")
    if detail:
        raise InputError(f"the annotations do not match the bin map's bins: {detail}", path)
    return bins.select("start", "end")


def compile_chromosome(
    chrom, physical, annotations, bins=None, bead_source="sequential", bead_file=None, positions=None
):
    """The compiled table of one chromosome (default mode).

    Parameters
    ----------
    chrom : str
        Chromosome (any accepted spelling).
    physical : polars.DataFrame
        One row per bead, chain order, with :data:`chromapipe.tables.PHYSICAL` columns.
    annotations : polars.DataFrame
        One row per bin: ``start``, ``end``, ``gc_content``, ``gene_density``
        and, where known, ``n_fraction``.
    bins : polars.DataFrame, optional
        The chromosome's bins from the bin map; the annotations must match them.
    bead_source, bead_file, positions :
        How beads are paired with bins; see :func:`chromapipe.beadmap.bead_map`.

    Returns
    -------
    polars.DataFrame
        :data:`chromapipe.tables.COMPILED`: one row per bin; floats rounded to 4 decimals.
    """
    name = chroms.canonical(chrom)
    given = physical
    physical = tables.conform("physical", physical)  # optional columns absent (a Nextflow table) become empty
    # an ensemble's means are fractional (neighbours too): keep the given floats, not the contract's Int32
    physical = physical.with_columns(
        [given[c].cast(pl.Float64) for c in physical.columns if c in given.columns and given[c].dtype.is_float()]
    )
    bins = annotation_bins(annotations, bins)
    rows = bead_map(physical.height, bins, bead_source, bead_file, positions)
    on_bins = rows[rows >= 0]  # -1: a bead past the chromosome's end (dropped, with a warning)
    if np.unique(on_bins).shape[0] != on_bins.shape[0]:
        raise BeadMismatch("two beads were paired with the same bin")
    features = [c.name for c in tables.PHYSICAL.columns_of(physical.columns) if c.name != "model"]
    placed = _as_float(physical, features).with_columns(
        pl.Series("bead", np.arange(1, physical.height + 1), dtype=pl.Int32),
        pl.Series("_row", rows, dtype=pl.Int64),
    )
    placed = placed.filter(pl.col("_row") >= 0)
    density = annotations["gene_density"]
    if density.dtype.is_float() and not (density.drop_nulls() == density.drop_nulls().round(0)).all():
        raise InputError("gene_density has non-integer values")
    n_fraction = annotations["n_fraction"] if "n_fraction" in annotations.columns else None
    carried = [c for c in annotations.columns if c in ("compartment_e1", "compartment")]
    tracks = track_columns(annotations)
    frame = (
        bins.select("start", "end")
        .with_columns(
            pl.lit(name, dtype=pl.String).alias("chr"),
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
            annotations["gc_content"].cast(pl.Float64).alias("gc_content"),
            pl.Series("n_fraction", n_fraction, dtype=pl.Float64)
            if n_fraction is not None
            else pl.lit(None, dtype=pl.Float64).alias("n_fraction"),
            density.cast(pl.Int32).alias("gene_density"),
            *[annotations[c] for c in carried + tracks],
        )
        .join(placed, on="_row", how="left", maintain_order="left")
    )
    schema = tables.COMPILED.schema_of([c for c in frame.columns if c not in tracks])
    float_columns = [c for c, t in schema.items() if t == pl.Float32]
    frame = frame.with_columns([pl.col(c).round(DECIMALS).cast(pl.Float32) for c in float_columns])
    return tables.check("compiled", frame.select(list(schema) + tracks), tracks=tracks)


def track_columns(frame):
    """The user-track columns of an annotations or compiled table: those past its contract's columns, in order."""
    declared = {c.name for kind in ("annotations", "compiled") for c in tables.TABLES[kind].columns}
    return [c for c in frame.columns if c not in declared and not c.startswith("_")]


def ensemble_means(physical):
    """Per-bead means over an ensemble's models, and the spread of each feature.

    Parameters
    ----------
    physical : polars.DataFrame
        The physical table of an ensemble: a ``model`` column, every model listing the same beads in
        the same (chain) order.

    Returns
    -------
    means : polars.DataFrame
        One row per bead (chain order), the physical columns averaged over the models.
    spread : polars.DataFrame
        ``bead``, ``n_models`` and ``{feature}_sd`` (sample standard deviation, ddof 1) of
        :data:`chromapipe.tables.SD_FEATURES` present.

    Raises
    ------
    InputError
        Models with different bead counts.
    """
    counts = physical.group_by("model", maintain_order=True).len()
    if counts["len"].n_unique() != 1:
        raise InputError(
            f"the ensemble's models have different bead counts ({', '.join(map(str, counts['len'].to_list()))}): "
            "every model must hold the same beads"
        )
    features = [c.name for c in tables.PHYSICAL.columns_of(physical.columns) if c.name != "model"]
    beads = physical.with_columns(pl.int_range(pl.len()).over("model").alias("_bead"))
    grouped = beads.group_by("_bead", maintain_order=True)
    means = grouped.agg([pl.col(c).cast(pl.Float64).mean() for c in features]).sort("_bead")
    sds = [c for c in tables.SD_FEATURES if c in features]
    spread = (
        grouped.agg(pl.len().cast(pl.Int32).alias("n_models"), *[pl.col(c).std(ddof=1).alias(f"{c}_sd") for c in sds])
        .sort("_bead")
        .with_columns((pl.col("_bead") + 1).cast(pl.Int32).alias("bead"))
        .drop("_bead")
    )
    return means.drop("_bead"), spread


def add_spread(compiled, spread):
    """The compiled table of an ensemble's means with ``n_models`` and the ``_sd`` columns joined by bead."""
    frame = compiled.join(spread, on="bead", how="left", maintain_order="left")
    frame = frame.with_columns(
        pl.when(pl.col("bead").is_null()).then(None).otherwise(pl.col("n_models")).alias("n_models"),
        *[pl.col(c).round(DECIMALS).cast(pl.Float32) for c in spread.columns if c.endswith("_sd")],
    )
    tracks = track_columns(compiled)
    schema = tables.COMPILED.schema_of([c for c in frame.columns if c not in tracks])
    return tables.check("compiled", frame.select(list(schema) + tracks), tracks=tracks)


def compile_legacy(chrom, physical, annotations):
    """The original's compiled table, bead rows pasted beside bin rows by row number.

    Reproduces ``chr{N}_compiled.parquet`` of the Nextflow pipeline cell for
    cell: the shorter side is padded with nulls, floats are Float64 rounded to
    4 decimals, ``chr`` is the chromosome number (Int32; X = 23).
    """
    name = chroms.canonical(chrom)
    if physical.height != annotations.height:
        log.warning(
            "legacy mode: pairing %d beads with %d bins by row number, as the Nextflow pipeline did; "
            "rows past %d have no %s and every bead after the first gap sits on the wrong bin",
            physical.height,
            annotations.height,
            min(physical.height, annotations.height),
            "bead" if physical.height < annotations.height else "bin",
        )
    else:
        log.warning("legacy mode: beads are paired with bins by row number, as the Nextflow pipeline did")
    height = max(physical.height, annotations.height)

    def pad(frame):
        if frame.height == height:
            return frame
        filler = pl.DataFrame(
            {c: pl.Series([None] * (height - frame.height), dtype=t) for c, t in frame.schema.items()}
        )
        return pl.concat([frame, filler])

    phys = pad(_as_float(physical, [c for c in tables.LEGACY.names if c in tables.PHYSICAL.names]))
    ann = pad(
        annotations.select(
            pl.col("start").cast(pl.Int64),
            pl.col("end").cast(pl.Int64),
            pl.col("gc_content").cast(pl.Float64),
            pl.col("gene_density").cast(pl.Float64),
        )
    )
    frame = pl.concat([phys, ann], how="horizontal").with_columns(
        pl.lit(chroms.number(name), dtype=pl.Int32).alias("chr")
    )
    floats = [c for c, t in tables.LEGACY.schema.items() if t == pl.Float64]
    frame = frame.with_columns([pl.col(c).round(DECIMALS) for c in floats])
    return tables.check("legacy", frame.select(tables.LEGACY.names))


def _one_structure(chrom, physical, annotations, bins, pairing, positions, bead_file, algorithm, legacy):
    """The compiled table of one homolog (an ensemble's means and spread beside them)."""
    spread = None
    if "model" in physical.columns:  # an ensemble: per-bead means, then the spread beside them
        if legacy:
            raise InputError("legacy: true reproduces single structures; an ensemble needs the bead-map pairing")
        physical, spread = ensemble_means(physical)
    if legacy:
        return compile_legacy(chrom, physical, annotations)
    try:
        frame = compile_chromosome(chrom, physical, annotations, bins, pairing, bead_file, positions)
    except BeadMismatch as exc:
        if not algorithm:
            raise
        raise BeadMismatch(
            f"{algorithm} structure of chr{chrom}: {exc}. The pairing '{pairing}' is the rule established for "
            f"{algorithm} (see chromapipe.gsdb.BEAD_RULES); provide a bead map file that pairs each bead with "
            "its bin (bead_map: {source: mapping3dmax, path: ...} with position<TAB>index rows, or source: "
            "contacts with the structure's own input contact list)"
        ) from None
    return add_spread(frame, spread) if spread is not None else frame


def homologs(physical):
    """The homologs of a physical table, in order: ``[None]`` unless it has a ``haplotype`` column."""
    return physical["haplotype"].unique(maintain_order=True).to_list() if "haplotype" in physical.columns else [None]


def compile_structure(chrom, physical, annotations, bins=None, pairing="sequential", positions=None, bead_file=None,
                      algorithm=None, legacy=False, path=None):  # fmt: skip
    """The compiled table of a structure: each homolog of a diploid one apart (never averaged).

    Parameters
    ----------
    chrom : str
    physical, annotations : polars.DataFrame
        The physical table (an ensemble's with ``model``, a diploid one's with ``haplotype``) and the
        annotation table.
    bins : polars.DataFrame, optional
        The chromosome's bins (see :func:`compile_chromosome`).
    pairing : str
        The bead-map source (:data:`chromapipe.beadmap.BEAD_MAP_SOURCES`).
    positions : dict, optional
        ``homolog -> bead positions`` (:func:`homologs`) for the sources that read positions.
    bead_file : str, optional
        The bead-map source's name, for messages.
    algorithm : str, optional
        The reconstruction algorithm (GSDB runs): a bead count its rule cannot explain is an error naming it.
    legacy : bool
        The Nextflow pipeline's layout (:func:`compile_legacy`): single structures only.
    path : path, optional
        The physical table, named in errors.

    Returns
    -------
    polars.DataFrame
        :data:`chromapipe.tables.COMPILED` (or :data:`chromapipe.tables.LEGACY`).
    """
    chrom = chroms.canonical(chrom)
    positions = positions or {}
    if "haplotype" not in physical.columns:
        return _one_structure(chrom, physical, annotations, bins, pairing, positions.get(None), bead_file, algorithm,
                              legacy)  # fmt: skip
    if legacy:
        raise InputError("legacy: true reproduces single structures; homologs need the bead-map pairing", path)
    parts = []
    for hap in homologs(physical):
        part = _one_structure(chrom, physical.filter(pl.col("haplotype") == hap).drop("haplotype"), annotations,
                              bins, pairing, positions.get(hap), bead_file, algorithm, legacy)  # fmt: skip
        parts.append(part.with_columns(pl.lit(hap, dtype=pl.String).alias("haplotype")))
    frame = pl.concat(parts)
    tracks = track_columns(frame)
    schema = tables.COMPILED.schema_of([c for c in frame.columns if c not in tracks])
    return tables.check("compiled", frame.select(list(schema) + tracks), tracks=tracks)


#: What a legacy table's metadata names its pairing: beads and bins by row number, as the Nextflow pipeline did.
ROW_ORDER = "row-order"


def compiled_meta(chrom, frame, pairing, bead_file, physical_meta, annotations_meta, assembly=None, dataset=None,
                  legacy=False):  # fmt: skip
    """The metadata of a compiled table: how beads were paired, what it was compiled from, its schema."""
    from . import __version__

    meta = {
        "chromapipe_version": __version__,
        "chromosome": chroms.canonical(chrom),
        "legacy": legacy,
        "pairing": f"{ROW_ORDER} (legacy)" if legacy else "bead map",
        "bead_map": {
            "source": ROW_ORDER if legacy else pairing,
            "file": os.path.basename(os.fspath(bead_file)) if bead_file else None,
        },  # fmt: skip
        "assembly": assembly or annotations_meta.get("assembly") or "unknown",
        "units": physical_meta.get("units") or tables.MODEL_UNITS,
        "physical": physical_meta,
        "annotations": annotations_meta,
        "schema": {c: str(t) for c, t in frame.schema.items()},
    }
    if dataset:
        meta["dataset"] = dict(dataset)
    if annotations_meta.get("tracks") and not legacy:
        meta["tracks"] = annotations_meta["tracks"]
    return meta


def bead_coordinates(compiled, physical):
    """Every bead of every model with the bin it sits on: the physical table's coordinates on the compiled
    table's bins.

    Parameters
    ----------
    compiled : polars.DataFrame
        A compiled table (:data:`chromapipe.tables.COMPILED`): ``bead`` and ``start`` (and ``haplotype``).
    physical : polars.DataFrame
        Its physical table (:data:`chromapipe.tables.PHYSICAL`): beads 1..n in chain order per homolog and
        model (the coordinates, not rounded).

    Returns
    -------
    polars.DataFrame
        ``haplotype`` (None for a haploid structure), ``model`` (1 for a single one), ``bead``, ``start``,
        ``x``, ``y``, ``z`` (Float64), in the physical table's order; beads on no bin are left out.
    """
    keys = ["_hap", "bead"]
    hap = pl.col("haplotype").fill_null("") if "haplotype" in physical.columns else pl.lit("")
    beads = physical.select(
        (pl.col("haplotype") if "haplotype" in physical.columns else pl.lit(None, pl.String)).alias("haplotype"),
        (pl.col("model") if "model" in physical.columns else pl.lit(1, pl.Int32)).cast(pl.Int32).alias("model"),
        hap.alias("_hap"),
        "x",
        "y",
        "z",
    ).with_columns((pl.int_range(pl.len()).over("_hap", "model") + 1).cast(pl.Int32).alias("bead"))
    chap = pl.col("haplotype").fill_null("") if "haplotype" in compiled.columns else pl.lit("")
    on_bins = compiled.filter(pl.col("bead").is_not_null()).select(chap.alias("_hap"), pl.col("bead").cast(pl.Int32),
                                                                   "start")  # fmt: skip
    frame = beads.join(on_bins, on=keys, how="inner", maintain_order="left")
    return frame.select("haplotype", "model", "bead", "start", *(pl.col(a).cast(pl.Float64) for a in "xyz"))
