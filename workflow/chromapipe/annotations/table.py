"""Definitions shared by every annotation backend.

* ``gc_content`` = (G + C) / (A + C + G + T), empty where the bin has no A, C,
  G or T (the original divided by the whole length, so gaps lowered it; defect 3);
* ``n_fraction`` = N / bin length;
* ``gene_density`` = genes overlapping the bin (1-based, inclusive coordinates),
  each gene counted once per bin.
"""

import numpy as np
import polars as pl

from ..tables import ANNOTATIONS


def base_counts(sequence):
    """Counts of G+C, A+T, N and the length of a sequence (any case).

    Returns
    -------
    dict
        ``{"gc": int, "at": int, "n": int, "length": int}``. The REST backend
        caches these, so both backends derive their numbers from the same counts.
    """
    if not sequence.isascii():  # str.upper can change a non-ASCII text's length: count such a text as text
        seq = sequence.upper()
        return {
            "gc": seq.count("G") + seq.count("C"),
            "at": seq.count("A") + seq.count("T"),
            "n": seq.count("N"),
            "length": len(seq),
        }
    # setting bit 5 of every byte lower-cases the letters, and only G or g turn into g (C, A, T, N alike): five
    # vectorised comparisons of the bytes (~6x faster than a bincount of them, which widens each byte to 8)
    lower = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8) | np.uint8(0x20)
    g, c, a, t, n = (int(np.count_nonzero(lower == letter)) for letter in b"gcatn")
    return {"gc": g + c, "at": a + t, "n": n, "length": len(sequence)}


def gc_from_counts(counts):
    """``(gc_content, n_fraction)`` from :func:`base_counts`; gc is None without A/C/G/T."""
    acgt = counts["gc"] + counts["at"]
    n_fraction = counts["n"] / counts["length"] if counts["length"] else 0.0
    return (counts["gc"] / acgt if acgt else None), n_fraction


def gc_stats(sequence):
    """GC content and fraction of N of one sequence.

    Parameters
    ----------
    sequence : str
        Any case (soft-masked lowercase counts the same as uppercase).

    Returns
    -------
    gc : float or None
        (G + C) / (A + C + G + T); ``None`` when the sequence has none of A, C, G, T.
    n_fraction : float
        N / len(sequence); 0.0 for an empty sequence.
    """
    return gc_from_counts(base_counts(sequence))


def genes_per_bin(gene_starts, gene_ends, bin_starts, bin_ends):
    """Number of genes overlapping each bin (all 1-based, inclusive).

    A gene [s, e] overlaps bin [a, b] when s <= b and e >= a. Vectorised: the
    genes starting at or before b, minus those ending before a (which all start
    before a too).

    Returns
    -------
    numpy.ndarray
        int32 counts, one per bin.
    """
    starts = np.sort(np.asarray(gene_starts, dtype=np.int64))
    ends = np.sort(np.asarray(gene_ends, dtype=np.int64))
    bin_starts = np.asarray(bin_starts, dtype=np.int64)
    bin_ends = np.asarray(bin_ends, dtype=np.int64)
    started = np.searchsorted(starts, bin_ends, side="right")
    finished = np.searchsorted(ends, bin_starts, side="left")
    return (started - finished).astype(np.int32)


def annotation_frame(bins, gc, n_fraction, gene_density):
    """The annotation table of a chromosome (:data:`chromapipe.tables.ANNOTATIONS`): one row per bin, in order."""
    values = {"start": bins["start"], "end": bins["end"], "gc_content": gc, "n_fraction": n_fraction,
              "gene_density": gene_density}  # fmt: skip
    return pl.DataFrame({c: pl.Series(c, values[c], dtype=t) for c, t in ANNOTATIONS.schema.items()})


def read_annotation_table(path, bins, chrom):
    """Per-bin annotations from an existing table, checked against the bin map.

    Reads the Nextflow pipeline's ``chr{N}_annotations.csv`` layout (``bead, chr,
    start, end, gc_content, gene_density``) or a chromapipe annotation table
    (CSV or Parquet, with ``n_fraction`` if known). The rows must be exactly the
    chromosome's bins, in order; ``gene_density`` must hold whole numbers.

    Raises
    ------
    InputError
        Missing columns, another chromosome, rows that are not the bin map's
        bins, or fractional gene counts.
    """
    from .. import chroms
    from ..beadmap import bins_mismatch
    from ..errors import InputError
    from ..tables import read_frame, require

    table = require(read_frame(path, "annotation table"), ("start", "end", "gc_content", "gene_density"),
                    "annotation table", path)  # fmt: skip
    if "chr" in table.columns:
        found = {chroms.canonical(v) for v in table["chr"].drop_nulls().unique().to_list()}
        if found and found != {chroms.canonical(chrom)}:
            raise InputError(f"annotation table is for chromosome(s) {', '.join(sorted(found))}, not {chrom}", path)
    detail = bins_mismatch(table["start"], table["end"], bins)
    if detail:
        raise InputError(f"annotation table does not match the bin map's bins of chromosome {chrom}: {detail}", path)
    density = table["gene_density"].cast(pl.Float64)
    values = density.drop_nulls().drop_nans().to_numpy()
    if not np.all(values == np.round(values)):
        raise InputError("gene_density has fractional values: expected whole gene counts", path)
    n_fraction = table["n_fraction"] if "n_fraction" in table.columns else [None] * table.height
    return annotation_frame(
        bins, table["gc_content"].cast(pl.Float64), n_fraction, density.fill_nan(None).cast(pl.Int32)
    )
