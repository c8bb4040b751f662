"""Compile per-bead physical features and per-bin annotations into one table.

Default mode: one row per bin of the chromosome, each bead on its own bin
(see :mod:`chromapipe.beadmap`), bins without a bead keep empty physical
columns; a declared schema (:data:`COMPILED_SCHEMA`) is enforced on write.

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

from . import __version__, chroms
from .beadmap import bead_map, bins_mismatch
from .errors import InputError

log = logging.getLogger("chromapipe")

PHYSICAL_COLUMNS = ("x", "y", "z", "dist_surface", "dist_com", "dist_rolling_mean")
SURFACE_COLUMNS = ("x", "y", "z")
DECIMALS = 4

#: Schema of ``chr{N}_compiled.parquet`` (default mode), in column order.
COMPILED_SCHEMA = {
    "chr": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "bead": pl.Int32,
    "x": pl.Float32,
    "y": pl.Float32,
    "z": pl.Float32,
    "dist_surface": pl.Float32,
    "dist_com": pl.Float32,
    "dist_rolling_mean": pl.Float32,
    "gc_content": pl.Float32,
    "n_fraction": pl.Float32,
    "gene_density": pl.Int32,
}

#: Schema of the original's ``chr{N}_compiled.parquet`` (legacy mode), in column order.
LEGACY_SCHEMA = {
    "x": pl.Float64,
    "y": pl.Float64,
    "z": pl.Float64,
    "dist_surface": pl.Float64,
    "dist_com": pl.Float64,
    "dist_rolling_mean": pl.Float64,
    "start": pl.Int64,
    "end": pl.Int64,
    "gc_content": pl.Float64,
    "gene_density": pl.Float64,
    "chr": pl.Int32,
}

#: Schema of ``chr{N}_surface.parquet`` (both modes): surface points unchanged.
SURFACE_SCHEMA = {"x": pl.Float64, "y": pl.Float64, "z": pl.Float64}


def _as_float(frame, columns, dtype=pl.Float64):
    return frame.select([pl.col(c).cast(dtype) for c in columns])


def check_schema(frame, schema, what):
    """Raise unless ``frame`` has exactly ``schema``'s columns, order and dtypes."""
    actual = dict(frame.schema)
    if list(actual) != list(schema) or any(actual[c] != schema[c] for c in schema):
        raise InputError(
            f"{what} does not have the declared schema: expected "
            f"{', '.join(f'{c}:{t}' for c, t in schema.items())}; got "
            f"{', '.join(f'{c}:{t}' for c, t in actual.items())}"
        )
    return frame


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


def compile_chromosome(chrom, physical, annotations, bins=None, bead_source="sequential", bead_file=None):
    """The compiled table of one chromosome (default mode).

    Parameters
    ----------
    chrom : str
        Chromosome (any accepted spelling).
    physical : polars.DataFrame
        One row per bead, chain order, with :data:`PHYSICAL_COLUMNS`.
    annotations : polars.DataFrame
        One row per bin: ``start``, ``end``, ``gc_content``, ``gene_density``
        and, where known, ``n_fraction``.
    bins : polars.DataFrame, optional
        The chromosome's bins from the bin map; the annotations must match them.
    bead_source, bead_file :
        How beads are paired with bins; see :func:`chromapipe.beadmap.bead_map`.

    Returns
    -------
    polars.DataFrame
        :data:`COMPILED_SCHEMA`: one row per bin; floats rounded to 4 decimals.
    """
    name = chroms.canonical(chrom)
    bins = annotation_bins(annotations, bins)
    rows = bead_map(physical.height, bins, bead_source, bead_file)
    if np.unique(rows).shape[0] != rows.shape[0]:
        raise InputError("two beads were paired with the same bin")
    placed = _as_float(physical, PHYSICAL_COLUMNS).with_columns(
        pl.Series("bead", np.arange(1, physical.height + 1), dtype=pl.Int32),
        pl.Series("_row", rows, dtype=pl.Int64),
    )
    density = annotations["gene_density"]
    if density.dtype.is_float() and not (density.drop_nulls() == density.drop_nulls().round(0)).all():
        raise InputError("gene_density has non-integer values")
    n_fraction = annotations["n_fraction"] if "n_fraction" in annotations.columns else None
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
        )
        .join(placed, on="_row", how="left", maintain_order="left")
    )
    float_columns = [c for c, t in COMPILED_SCHEMA.items() if t == pl.Float32]
    frame = frame.with_columns([pl.col(c).round(DECIMALS).cast(pl.Float32) for c in float_columns])
    return check_schema(frame.select(list(COMPILED_SCHEMA)), COMPILED_SCHEMA, "compiled table")


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

    phys = pad(_as_float(physical, PHYSICAL_COLUMNS))
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
    floats = [c for c, t in LEGACY_SCHEMA.items() if t == pl.Float64]
    frame = frame.with_columns([pl.col(c).round(DECIMALS) for c in floats])
    return check_schema(frame.select(list(LEGACY_SCHEMA)), LEGACY_SCHEMA, "legacy compiled table")


def surface_table(surface):
    """The surface points, unchanged (Float64 ``x, y, z``)."""
    return check_schema(_as_float(surface, SURFACE_COLUMNS), SURFACE_SCHEMA, "surface table")


def compiled_metadata(chrom, legacy, bead_source, bead_file, physical_meta, annotation_meta, assembly=None):
    """Key-value metadata recorded in the compiled Parquet files."""
    return {
        "chromapipe_version": __version__,
        "chromosome": chroms.canonical(chrom),
        "legacy": bool(legacy),
        "pairing": "row-order (legacy)" if legacy else "bead map",
        "bead_map": {"source": bead_source, "file": os.path.basename(bead_file) if bead_file else None},
        "assembly": assembly or annotation_meta.get("assembly") or "unknown",
        "physical": physical_meta,
        "annotations": annotation_meta,
        "schema": {c: str(t) for c, t in (LEGACY_SCHEMA if legacy else COMPILED_SCHEMA).items()},
    }
