"""Definitions shared by every annotation backend.

* ``gc_content`` = (G + C) / (A + C + G + T), empty where the bin has no A, C,
  G or T (the original divided by the whole length, so gaps lowered it; defect 3);
* ``n_fraction`` = N / bin length;
* ``gene_density`` = genes overlapping the bin (1-based, inclusive coordinates),
  each gene counted once per bin.
"""

import numpy as np
import polars as pl

ANNOTATION_COLUMNS = ("start", "end", "gc_content", "n_fraction", "gene_density")
ANNOTATION_SCHEMA = {
    "start": pl.Int64,
    "end": pl.Int64,
    "gc_content": pl.Float64,
    "n_fraction": pl.Float64,
    "gene_density": pl.Int32,
}


def base_counts(sequence):
    """Counts of G+C, A+T, N and the length of a sequence (any case).

    Returns
    -------
    dict
        ``{"gc": int, "at": int, "n": int, "length": int}``. The REST backend
        caches these, so both backends derive their numbers from the same counts.
    """
    seq = sequence.upper()
    return {
        "gc": seq.count("G") + seq.count("C"),
        "at": seq.count("A") + seq.count("T"),
        "n": seq.count("N"),
        "length": len(seq),
    }


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
    """The annotation table of a chromosome: one row per bin, in order."""
    return pl.DataFrame(
        {
            "start": bins["start"],
            "end": bins["end"],
            "gc_content": pl.Series(gc, dtype=pl.Float64),
            "n_fraction": pl.Series(n_fraction, dtype=pl.Float64),
            "gene_density": pl.Series(gene_density, dtype=pl.Int32),
        },
        schema=ANNOTATION_SCHEMA,
    )
