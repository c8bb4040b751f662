"""A/B compartments of a chromosome from the contact list its structure was built from.

Definition (the standard one, Lieberman-Aiden et al. 2009), computed here with numpy and scipy
as cooler 0.11 (``balance_cooler``) and cooltools 0.7 (``eigs_cis``) compute it, step for step
(tests/test_compartments.py checks both on contact lists: the weights equal to ~1e-12, E1 to
~1e-9, relative):

1. the contact list (``pos1 pos2 count``; GSDB's ``chr{N}_list.txt``, positions
   are bin starts in the bin map's 1-based coordinates) becomes a symmetric
   matrix on the chromosome's bins (rows with ``count <= 0`` are dropped,
   repeated pairs summed);
2. the matrix is balanced by iterative correction (ICE, :func:`ice_weights`, cooler's defaults:
   the first two diagonals ignored; bins with fewer than 10 non-zero contacts, or a marginal
   more than 5 median absolute deviations below the median in log scale, masked; iterated until
   the variance of the non-zero marginals is below 1e-5, at most 200 times; the weights scaled
   so that the balanced rows sum to 1);
3. the balanced matrix, its first two diagonals set to 1, has each group of diagonals divided
   by its mean over the unmasked bins (observed / expected, :func:`observed_over_expected`;
   distances grouped in log-spaced ranges of ratio 1.03, one diagonal each up to ~33 bins),
   is clipped to [0, its 99.9th percentile over the unmasked bins], 1 is subtracted and the
   masked rows and columns are zeroed;
4. E1 is the eigenvector of the largest eigenvalue in absolute value, over the rows that are
   not all zero (LAPACK's full decomposition for small matrices, ARPACK's ``eigsh`` from a seeded
   start vector above :data:`DENSE_ROWS` rows: the same E1 on every run, where cooltools starts
   ARPACK from a random vector), scaled to the square root of that eigenvalue's absolute value;
5. E1's sign is chosen so that it correlates positively (Spearman) with the bins' GC content
   (over the unmasked bins with both): compartment ``A`` where E1 > 0, ``B`` where E1 < 0.

E1 is None where it is undefined (a bin masked by the balancing, a bin without
contacts, a chromosome too small for the decomposition, or no correlation with GC to orient
it by); the compartment is None where E1 is None or exactly 0.
"""

import logging
import os
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
#: ICE: bins whose log marginal is more than this many median absolute deviations below the median are masked.
MAD_MAX = 5
#: ICE: converged when the variance of the non-zero marginals is below this; at most this many iterations.
TOLERANCE = 1e-5
MAX_ITERATIONS = 200
#: ICE sums the marginals over the pixels in chunks of this many (cooler's chunksize), in order.
CHUNK = 10_000_000
#: Observed/expected values above this percentile are clipped (cooltools' default).
CLIP_PERCENTILE = 99.9
#: Observed/expected: the largest distance of a range of diagonals over its smallest (cooltools').
DISTANCE_RATIO = 1.03
#: E1 by a full eigen decomposition up to this many rows, by ARPACK's above (:func:`leading_eigenvector`).
DENSE_ROWS = 500
#: The seed of ARPACK's start vector.
SEED = 0


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


def _marginal(bin1, bin2, values, n_bins):
    """Row sums of the symmetric matrix whose upper triangle is ``values``, summed chunk by chunk as cooler does.

    The diagonal counts once, every other pixel in its row and its column.
    """
    total = np.zeros(n_bins)
    for lo in range(0, len(values), CHUNK):
        b1, b2, data = bin1[lo : lo + CHUNK], bin2[lo : lo + CHUNK], values[lo : lo + CHUNK]
        off = b1 != b2
        total = total + (
            np.bincount(b1[off], weights=data[off], minlength=n_bins) + np.bincount(b2, weights=data, minlength=n_bins)
        )
    return total


def ice_weights(bin1, bin2, count, n_bins, ignore_diags=IGNORE_DIAGS, min_nnz=MIN_NNZ, mad_max=MAD_MAX):
    """ICE balancing weights of a chromosome's contact matrix: ``cooler.balance_cooler`` with these settings.

    Parameters
    ----------
    bin1, bin2 : numpy.ndarray
        int64 bin rows of the upper-triangle pixels (``bin1 <= bin2``), sorted by ``bin1`` then ``bin2``.
    count : numpy.ndarray
        float64 count of each pixel.
    n_bins : int
        The chromosome's bins.
    ignore_diags, min_nnz, mad_max
        Pixels within ``ignore_diags`` diagonals of the main one are left out; a bin with
        fewer than ``min_nnz`` non-zero pixels, or a log marginal more than ``mad_max`` median
        absolute deviations below the median, is masked.

    Returns
    -------
    weights : numpy.ndarray
        float64 weight per bin (balanced = count x weight[bin1] x weight[bin2], its rows summing
        to 1), NaN where masked.
    converged : bool
        Whether the variance of the marginals fell below :data:`TOLERANCE` within
        :data:`MAX_ITERATIONS` iterations.
    """
    near = np.abs(bin1 - bin2) < ignore_diags
    bias = np.ones(n_bins)
    present = (count != 0).astype(np.float64)
    present[near] = 0
    bias[_marginal(bin1, bin2, present, n_bins) < min_nnz] = 0
    far = count.copy()
    far[near] = 0
    marg = _marginal(bin1, bin2, far, n_bins)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # medians of nothing: every bin is masked anyway
        marg /= np.median(marg[marg > 0])
        log_marg = np.log(marg[marg > 0])
        median = np.median(log_marg)
        deviation = np.median(np.abs(log_marg - np.median(log_marg)))
        bias[marg < np.exp(median - mad_max * deviation)] = 0

        variance = 0.0
        for _ in range(MAX_ITERATIONS):
            marg = _marginal(bin1, bin2, bias[bin1] * bias[bin2] * far, n_bins)
            nonzero = marg[marg != 0]
            if not len(nonzero):
                bias[:] = np.nan
                variance = 0.0
                break
            marg = marg / nonzero.mean()
            marg[marg == 0] = 1
            bias /= marg
            variance = nonzero.var()
            if variance < TOLERANCE:
                break
        scale = nonzero.mean()
        bias[bias == 0] = np.nan
        bias /= np.sqrt(scale)
    return bias, bool(variance < TOLERANCE)


def log_bins(n, ratio=DISTANCE_RATIO):
    """Edges 1..n of distance ranges spaced by ``ratio`` in log scale, as whole numbers (cooltools' ``_logbins_numba``)."""
    points = int(np.log(n / 1) / np.log(ratio))
    edges = np.unique(np.rint(10 ** np.linspace(0.0, np.log10(n), points))).astype(np.int64)
    if edges.size == 0 or edges[0] != 1 or edges[-1] != n:
        raise ValueError(f"no distance ranges for {n} bins")
    return edges


def observed_over_expected(matrix, mask, ratio=DISTANCE_RATIO):
    """Each range of diagonals divided by its mean over the unmasked bins (cooltools' ``observed_over_expected``).

    Parameters
    ----------
    matrix : numpy.ndarray
        A symmetric ``(n, n)`` matrix.
    mask : numpy.ndarray
        bool per bin: the bins whose pixels count (a pixel counts where both of its bins do).
    ratio : float
        The largest distance of a range over its smallest (:func:`log_bins`).

    Returns
    -------
    numpy.ndarray
        float64 copy of ``matrix``, the counted pixels divided by their range's mean (a range
        without counted pixels, or of mean 0, left as it is). Each mean is summed in the order
        cooltools' loop adds (distance, then row), so it is the same number to the bit.
    """
    n = matrix.shape[0]
    oe = np.array(matrix, dtype=np.float64)
    rows = np.arange(n)
    edges = np.concatenate(([0], log_bins(n, ratio)))
    for lo, hi in zip(edges[:-1], edges[1:]):
        cells = [(d, rows[d:][mask[d:] & mask[: n - d]]) for d in range(lo, hi)]
        values = np.concatenate([oe[r, r - d] for d, r in cells])
        if not values.size:
            continue
        mean = np.cumsum(values)[-1] / values.size  # a sequential sum, as the loop's
        if mean == 0:
            continue
        for d, r in cells:
            oe[r, r - d] /= mean
            if d:
                oe[r - d, r] /= mean
    return oe


def leading_eigenvector(matrix, dense_rows=None):
    """The eigenvector of a symmetric matrix's largest eigenvalue in absolute value, over its non-zero rows.

    Up to ``dense_rows`` (default :data:`DENSE_ROWS`) such rows, LAPACK's full decomposition
    (``numpy.linalg.eigh``: a few milliseconds, where importing ARPACK takes ~0.4 s); above, ARPACK's
    (``scipy.sparse.linalg.eigsh``, as cooltools, from a seeded start vector). Both are deterministic,
    and agree with each other and with cooltools to ~1e-12.

    Returns
    -------
    value : float
        The eigenvalue (NaN when fewer than two rows are non-zero).
    vector : numpy.ndarray
        Unit eigenvector, NaN on the all-zero rows; its sign is arbitrary.
    """
    n = matrix.shape[0]
    vector = np.full(n, np.nan)
    keep = np.sum(np.abs(matrix), axis=0) != 0
    if keep.sum() < 2:
        return np.nan, vector
    collapsed = matrix[keep, :][:, keep]
    if collapsed.shape[0] <= (DENSE_ROWS if dense_rows is None else dense_rows):
        values, vectors = np.linalg.eigh(collapsed)
        top = int(np.argmax(np.abs(values)))
        value, vector[keep] = values[top], vectors[:, top]
    else:
        from scipy.sparse.linalg import eigsh

        start = np.random.default_rng(SEED).uniform(-1.0, 1.0, collapsed.shape[0])
        values, vectors = eigsh(collapsed, 1, v0=start)
        value, vector[keep] = values[0], vectors[:, 0]
    return float(value), vector


def correlation_sign(track, e1):
    """The sign of Spearman's rho of ``track`` and ``e1`` over the bins where both are finite (NaN: undefined).

    Undefined, as for ``scipy.stats.spearmanr``, with fewer than two such bins or either constant there.
    """
    from .stats import average_ranks

    keep = np.isfinite(track) & np.isfinite(e1)
    x, y = track[keep], e1[keep]
    if x.size <= 1 or (x == x[0]).all() or (y == y[0]).all():
        return np.nan
    ranked = average_ranks(np.column_stack((x, y)), axis=0)
    return float(np.sign(np.corrcoef(ranked, rowvar=False)[1, 0]))


def balanced_eigenvector(matrix, weights, gc, ignore_diags=IGNORE_DIAGS):
    """E1 of a balanced contact matrix, oriented by GC content (cooltools' ``eigs_cis`` on one region).

    Parameters
    ----------
    matrix : numpy.ndarray
        The symmetric ``(n, n)`` contact matrix.
    weights : numpy.ndarray
        ICE weights (:func:`ice_weights`), NaN where masked.
    gc : numpy.ndarray
        GC content per bin, NaN where unknown.
    ignore_diags : int
        The diagonals (the main one included) set to 1 before observed / expected.

    Returns
    -------
    numpy.ndarray
        float64 E1 per bin, NaN where undefined (all of it when the matrix is too small or
        its correlation with GC is undefined).
    """
    n = matrix.shape[0]
    balanced = matrix * np.outer(weights, weights)
    balanced[~np.isfinite(balanced)] = 0
    mask = balanced.sum(axis=0) > 0
    if n <= ignore_diags + 3 or mask.sum() <= ignore_diags + 3:
        return np.full(n, np.nan)
    for d in range(ignore_diags):
        i = np.arange(n - d)
        balanced[i, i + d] = balanced[i + d, i] = 1.0
    oe = observed_over_expected(balanced, mask)
    if CLIP_PERCENTILE and CLIP_PERCENTILE < 100:
        oe = np.clip(oe, 0, np.percentile(oe[mask, :][:, mask], CLIP_PERCENTILE))
    oe -= 1.0
    oe[~mask, :] = 0
    oe[:, ~mask] = 0
    value, e1 = leading_eigenvector(oe)
    e1 /= np.sqrt(np.nansum(e1**2))
    e1 *= np.sqrt(np.abs(value))
    track = np.where(np.isfinite(weights), gc, np.nan)
    return correlation_sign(track, e1) * e1


def _bin_width(bins, chrom):
    """The width of the chromosome's bins, the last one aside (observed / expected is by distance in bins).

    Raises
    ------
    InputError
        Bins of several widths (cooltools refuses them too).
    """
    widths = np.asarray(bins["end"], dtype=np.int64) - np.asarray(bins["start"], dtype=np.int64) + 1
    sizes = np.unique(widths[:-1])
    if sizes.size != 1 or int(np.median(widths)) != sizes[0]:
        shown = ", ".join(str(w) for w in np.unique(widths)[:5])
        raise InputError(
            f"compartments of chromosome {chroms.canonical(chrom)}: the bin map's bins are of several widths "
            f"({shown} bp): observed / expected needs bins of one width (the last one may be shorter)"
        )
    return int(sizes[0])


def cis_eigenvector(pixels, bins, gc, chrom):
    """E1 of the balanced observed/expected matrix, oriented by GC content.

    Parameters
    ----------
    pixels : polars.DataFrame
        From :func:`contact_pixels`.
    bins : polars.DataFrame
        The chromosome's bins (1-based inclusive ``start``, ``end``).
    gc : sequence of float or None
        GC content per bin (None or NaN where unknown).
    chrom : str
        The chromosome, for the messages.

    Returns
    -------
    numpy.ndarray
        float64 E1 per bin, NaN where undefined.

    Raises
    ------
    InputError
        Bins of several widths.
    """
    n = bins.height
    bin1 = pixels["bin1_id"].to_numpy().astype(np.int64)
    bin2 = pixels["bin2_id"].to_numpy().astype(np.int64)
    count = pixels["count"].to_numpy().astype(np.float64)
    gc_values = np.array([np.nan if v is None else v for v in gc], dtype=np.float64)
    weights, converged = ice_weights(bin1, bin2, count, n)
    name = chroms.canonical(chrom)
    if not converged:
        log.warning("chr%s: the balancing did not converge in %d iterations", name, MAX_ITERATIONS)
    if not (np.isfinite(weights) & np.isfinite(gc_values)).any():
        log.warning(
            "chr%s: no bin kept by the balancing (each needs %d non-zero contacts off the first %d "
            "diagonals) has a GC content: compartment_e1 and compartment are empty", name, MIN_NNZ,
            IGNORE_DIAGS,
        )  # fmt: skip
        return np.full(n, np.nan)
    _bin_width(bins, chrom)
    matrix = np.zeros((n, n))
    matrix[bin1, bin2] = count
    matrix[bin2, bin1] = count
    return balanced_eigenvector(matrix, weights, gc_values)


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
