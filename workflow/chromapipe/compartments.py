"""A/B compartments of a chromosome from the contact list its structure was built from.

Definition (the standard one, Lieberman-Aiden et al. 2009, as cooltools computes it):

1. the contact list (``pos1 pos2 count``; GSDB's ``chr{N}_list.txt``, positions
   are bin starts in the bin map's 1-based coordinates) becomes a symmetric
   matrix on the chromosome's bins, held in a cooler (rows with ``count <= 0``
   are dropped, repeated pairs summed);
2. the matrix is balanced by cooler's iterative correction (ICE, cooler's
   defaults: the first two diagonals ignored, bins with fewer than 10 non-zero
   contacts or a marginal more than 5 median absolute deviations below the
   median masked);
3. cooltools' ``eigs_cis`` divides each diagonal by its mean (observed /
   expected), clips at the 99.9th percentile, subtracts 1 and takes the leading
   eigenvector E1, scaled by the square root of its eigenvalue;
4. E1's sign is chosen so that it correlates positively (Spearman) with the
   bins' GC content: compartment ``A`` where E1 > 0, ``B`` where E1 < 0.

E1 is None where it is undefined (a bin masked by the balancing, a bin without
contacts, or a chromosome too small for the decomposition); the compartment is
None where E1 is None or exactly 0.
"""

import functools
import logging
import os
import tempfile
import warnings

import numpy as np
import polars as pl

from . import chroms
from .beadmap import positions_to_bins
from .errors import InputError

log = logging.getLogger("chromapipe")

#: ICE balancing: diagonals ignored, the fewest non-zero contacts a kept bin has.
IGNORE_DIAGS = 2
MIN_NNZ = 10
#: Observed/expected values above this percentile are clipped (cooltools' default).
CLIP_PERCENTILE = 99.9


def _bad_line(path, text_lines):
    """The first line of a contact list that is not three numbers: (line number, reason)."""
    for lineno, line in enumerate(text_lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 3:
            return lineno, f"expected 3 fields 'pos1 pos2 count', found {len(fields)}"
        try:
            [float(f) for f in fields]
        except ValueError:
            return lineno, f"fields must be numbers, got {line.strip()!r}"
    return None, "cannot be read as 'pos1 pos2 count' rows"


def read_contacts(path):
    """Read a contact list ``pos1 pos2 count`` (whitespace separated, ``#`` comments).

    Returns
    -------
    tuple of numpy.ndarray
        ``pos1``, ``pos2`` (int64) and ``count`` (float64), in file order.

    Raises
    ------
    InputError
        Unreadable, empty, a line without three numbers, non-integer positions or
        a count that is not finite; each names the file and, where it can, the line.
    """
    path = os.fspath(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            table = np.loadtxt(path, dtype=np.float64, comments="#", ndmin=2)
    except FileNotFoundError:
        raise InputError("contact list: no such file", path) from None
    except OSError as exc:
        raise InputError(f"cannot read contact list: {exc.strerror}", path) from None
    except ValueError:
        with open(path, encoding="ascii", errors="replace") as handle:
            lineno, reason = _bad_line(path, handle)
        raise InputError(reason, path, lineno) from None
    if table.shape[0] == 0:
        raise InputError("the contact list is empty", path)
    if table.shape[1] != 3:
        raise InputError(f"expected 3 fields 'pos1 pos2 count', found {table.shape[1]}", path, 1)
    positions = table[:, :2]
    bad = ~np.isfinite(table).all(axis=1) | (positions != np.round(positions)).any(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(
            f"row {row + 1}: positions must be integers and the count finite, got {table[row].tolist()}", path
        )
    return positions[:, 0].astype(np.int64), positions[:, 1].astype(np.int64), table[:, 2]


def contact_pixels(pos1, pos2, count, bins, path="contact list"):
    """The upper-triangle pixels of a contact list on the chromosome's bins.

    Parameters
    ----------
    pos1, pos2, count : numpy.ndarray
        From :func:`read_contacts`.
    bins : polars.DataFrame
        The chromosome's bins (``start``, ``end``: 1-based inclusive), in order.

    Returns
    -------
    polars.DataFrame
        ``bin1_id <= bin2_id`` (0-based bin rows) and ``count`` (summed over
        repeated pairs), sorted; rows with ``count <= 0`` dropped.

    Raises
    ------
    InputError
        A position that is not the start of a bin (1-based; 0-based starts are
        recognised, see :func:`chromapipe.beadmap.positions_to_bins`), or no
        positive count.
    """
    keep = count > 0
    if not keep.any():
        raise InputError("the contact list has no contact with a positive count", path)
    pos1, pos2, count = pos1[keep], pos2[keep], count[keep]
    try:
        ids = [positions_to_bins(positions, bins, "the contact list") for positions in (pos1, pos2)]
    except InputError as exc:
        raise InputError(str(exc), path) from None
    lo, hi = np.minimum(ids[0], ids[1]), np.maximum(ids[0], ids[1])
    return (
        pl.DataFrame({"bin1_id": lo, "bin2_id": hi, "count": count})
        .group_by("bin1_id", "bin2_id")
        .agg(pl.col("count").sum())
        .sort("bin1_id", "bin2_id")
    )


def cis_eigenvector(pixels, bins, gc, chrom):
    """E1 of the balanced observed/expected matrix, oriented by GC content (cooler + cooltools).

    Parameters
    ----------
    pixels : polars.DataFrame
        From :func:`contact_pixels`.
    bins : polars.DataFrame
        The chromosome's bins (1-based inclusive ``start``, ``end``).
    gc : sequence of float or None
        GC content per bin (None or NaN where unknown).
    chrom : str
        The chromosome, for the cooler's bin table.

    Returns
    -------
    numpy.ndarray
        float64 E1 per bin, NaN where undefined.
    """
    import cooler
    import pandas as pd
    from cooltools.api.eigdecomp import eigs_cis

    _cache_compilation()

    name = chroms.canonical(chrom)
    starts = np.asarray(bins["start"], dtype=np.int64) - 1
    ends = np.asarray(bins["end"], dtype=np.int64)
    bin_table = pd.DataFrame({"chrom": name, "start": starts, "end": ends})
    gc_values = np.array([np.nan if v is None else v for v in gc], dtype=np.float64)
    phasing = bin_table.assign(GC=gc_values)
    view = pd.DataFrame({"chrom": [name], "start": [0], "end": [int(ends[-1])], "name": [name]})
    with tempfile.TemporaryDirectory(prefix="chromapipe-cooler-") as tmp:
        uri = os.path.join(tmp, "contacts.cool")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            cooler.create_cooler(
                uri,
                bin_table,
                pixels.to_pandas(),
                dtypes={"count": np.float64},
                ordered=True,
                symmetric_upper=True,
            )
            clr = cooler.Cooler(uri)
            warnings.filterwarnings("ignore", category=RuntimeWarning)  # a fully masked matrix: reported below
            cooler.balance_cooler(clr, ignore_diags=IGNORE_DIAGS, min_nnz=MIN_NNZ, store=True)
            balanced = np.isfinite(clr.bins()["weight"][:].to_numpy(np.float64))
            if not (balanced & np.isfinite(gc_values)).any():
                log.warning(
                    "chr%s: no bin kept by the balancing (each needs %d non-zero contacts off the first %d "
                    "diagonals) has a GC content: compartment_e1 and compartment are empty", name, MIN_NNZ,
                    IGNORE_DIAGS,
                )  # fmt: skip
                return np.full(len(starts), np.nan)
            _, table = eigs_cis(
                clr,
                phasing_track=phasing,
                view_df=view,
                n_eigs=1,
                clip_percentile=CLIP_PERCENTILE,
            )
    return table["E1"].to_numpy(np.float64)


@functools.cache
def _cache_compilation():
    """Keep numba's compilation of cooltools' observed/expected kernel on disk (numba's own cache).

    cooltools compiles it on its first call in every process (~3 s, once per
    chromosome job); numba's cache (``__pycache__`` beside cooltools, or
    ``NUMBA_CACHE_DIR``, or the user's cache folder where that is read-only)
    makes that once per installation. The result is the same machine code.
    """
    from cooltools.lib import numutils

    kernel = numutils.observed_over_expected
    if hasattr(kernel, "enable_caching"):  # a numba dispatcher
        kernel.enable_caching()


def labels(e1):
    """``"A"`` where E1 > 0, ``"B"`` where E1 < 0, None where E1 is NaN or 0."""
    return [None if not np.isfinite(v) or v == 0 else ("A" if v > 0 else "B") for v in e1]


def compartments(contact_list, bins, gc, chrom):
    """A/B compartments of a chromosome's bins from its contact list.

    Parameters
    ----------
    contact_list : str or os.PathLike
        ``pos1 pos2 count`` rows, positions = bin starts (1-based).
    bins : polars.DataFrame
        The chromosome's bins from the bin map, in order.
    gc : sequence of float or None
        GC content per bin, which orients E1.
    chrom : str
        The chromosome.

    Returns
    -------
    polars.DataFrame
        ``compartment_e1`` (Float32, null where undefined) and ``compartment``
        (String ``A``/``B``, null where E1 is), one row per bin.

    Raises
    ------
    InputError
        A malformed contact list, positions off the bin map, or no GC content to
        orient E1 with.
    """
    path = os.fspath(contact_list)
    if len(gc) != bins.height:
        raise ValueError(f"{len(gc)} GC values for {bins.height} bins")
    if all(v is None or not np.isfinite(v) for v in gc):
        raise InputError(
            f"compartments of chromosome {chroms.canonical(chrom)}: no bin has a GC content, "
            "so E1 cannot be oriented (A = positively correlated with GC)",
            path,
        )
    pos1, pos2, count = read_contacts(path)
    pixels = contact_pixels(pos1, pos2, count, bins, path)
    e1 = cis_eigenvector(pixels, bins, gc, chrom)
    return pl.DataFrame(
        {
            "compartment_e1": [float(v) if np.isfinite(v) else None for v in e1],
            "compartment": labels(e1),
        },
        schema={"compartment_e1": pl.Float32, "compartment": pl.String},
    )
