"""Spearman correlations between structure features and annotations, with block-bootstrap intervals.

Neighbouring bins are not independent (a compartment, a lamina-associated domain
spans many bins), so a plain p-value overstates the evidence. The confidence
interval here comes from a moving-block bootstrap along the chromosome:

* the bins where both values are present, in chromosome order (bins where
  either is missing are dropped first, so a block may step over such a gap);
* blocks of ``BLOCK`` = 10 consecutive bins, starting at any bin ``0 … n - 10``
  (non-circular: blocks do not wrap round from the chromosome's end to its start);
* each resample concatenates ``ceil(n / 10)`` blocks drawn uniformly with
  replacement and keeps its first ``n`` bins; ``RESAMPLES`` = 1,000 resamples;
* the interval is the 2.5th and 97.5th percentile of the resamples' rho
  (resamples whose rho is undefined, a constant resample, are left out);
* the generator is numpy's default (PCG64) seeded with ``SEED`` = 0 for every
  pair, so a result depends only on its data.

Genome-wide, the chromosomes' bins are put end to end in the table's order and
blocks are drawn the same way, but only within one chromosome (or homolog): a block
never spans the junction of two, whose bins are not neighbours. A chromosome with
fewer than ``BLOCK`` bins present lies in no block and enters rho, not the interval.
With fewer than ``2 x BLOCK`` bins (or a constant variable) there is no
interval: rho may exist, the interval bounds are None and the pair is not
significant.
"""

import math

import numpy as np
import polars as pl

from . import tables
from .errors import InputError
from .tables import COMPARISON, CORRELATIONS, SD_FEATURES, SUMMARY, SUMMARY_MEDIANS

#: Bins per bootstrap block.
BLOCK = 10
#: Bootstrap resamples.
RESAMPLES = 1000
#: Seed of every bootstrap.
SEED = 0
#: Two-sided confidence level.
LEVEL = 0.95

#: The correlation table's columns: its contract (chromapipe.tables.CORRELATIONS).
RESULT_SCHEMA = CORRELATIONS.schema


def _as_values(values):
    """A sequence of float or None (or a float array) as float64, NaN where missing."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values.astype(np.float64, copy=False)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _allowed_starts(n, block, groups):
    """The rows a block may start at (None: any of ``0 … n - block``); see :func:`block_indices`."""
    if n < block:
        raise ValueError(f"{n} bins is fewer than one block of {block}")
    if groups is None:
        return None
    labels = np.asarray(groups, dtype=object)
    if labels.shape != (n,):
        raise ValueError(f"{labels.size} group labels for {n} rows")
    allowed = np.flatnonzero(labels[: n - block + 1] == labels[block - 1 :])
    if allowed.size == 0:
        raise ValueError(f"no group has {block} consecutive rows")
    return allowed


def block_starts(n, block=BLOCK, resamples=RESAMPLES, seed=SEED, groups=None, chunk=None):
    """The first row of every block of every resample of :func:`block_indices`, ``chunk`` resamples at a time.

    Yields
    ------
    numpy.ndarray
        ``(k, ceil(n / block))`` int64, ``k <= chunk`` resamples (all of them without ``chunk``): the same
        draws from the same generator as :func:`block_indices` makes, in the same order.

    Raises
    ------
    ValueError
        As :func:`block_indices`.
    """
    allowed = _allowed_starts(n, block, groups)
    rng = np.random.default_rng(seed)
    blocks = math.ceil(n / block)
    chunk = resamples if chunk is None else max(1, chunk)
    for first in range(0, resamples, chunk):
        size = (min(chunk, resamples - first), blocks)
        if allowed is None:
            yield rng.integers(0, n - block + 1, size=size)
        else:
            yield allowed[rng.integers(0, allowed.size, size=size)]


def block_indices(n, block=BLOCK, resamples=RESAMPLES, seed=SEED, groups=None):
    """Row indices of moving-block bootstrap resamples (non-circular).

    Parameters
    ----------
    n : int
    block, resamples, seed
        See the module's description.
    groups : array_like, optional
        A label per row (its chromosome), equal labels consecutive: blocks start only where all their
        ``block`` rows share one label. Without it, any start ``0 … n - block``.

    Returns
    -------
    numpy.ndarray
        ``(resamples, n)`` int64: each row ``ceil(n / block)`` blocks of
        ``block`` consecutive indices, starts uniform over the allowed ones, cut to ``n``.

    Raises
    ------
    ValueError
        Fewer than ``block`` rows, or no group of ``block`` rows.
    """
    (starts,) = block_starts(n, block, resamples, seed, groups)
    rows = (starts[:, :, None] + np.arange(block)).reshape(resamples, starts.shape[1] * block)
    return rows[:, :n]


def stable_order(values):
    """``numpy.argsort(values, kind="stable")`` of a 1-D float64 array of finite numbers.

    For values float32 holds exactly (a compiled table's features and annotations) one sort of 64-bit keys instead,
    the value's float32 bits made unsigned-sortable above the row number below: unique keys, so the order is the
    stable one, several times faster than a stable argsort (``+ 0`` folds -0.0 into 0.0, which it equals).
    """
    n = values.size
    single = values.astype(np.float32)
    if not 0 < n < 1 << 32 or not np.array_equal(single, values):
        return np.argsort(values, kind="stable")
    bits = (single + np.float32(0)).view(np.uint32)
    keys = np.where(bits >> 31, ~bits, bits | np.uint32(1 << 31)).astype(np.uint64)
    keys <<= np.uint64(32)
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)


def average_ranks(values, axis=-1):
    """Ranks along ``axis`` (1 to n), ties sharing the mean of their positions: ``scipy.stats.rankdata``'s
    ``average`` method, without importing scipy.stats (about a second in every figures and summary job).

    Parameters
    ----------
    values : array_like
        Finite numbers (NaN has no rank here).
    axis : int
        The axis ranked; every other axis indexes an independent sequence.

    Returns
    -------
    numpy.ndarray
        float64 ranks, the shape of ``values``; exactly scipy's (each rank is a whole or half number).
    """
    a = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    n = a.shape[-1]
    if a.size == n:  # one sequence
        order = stable_order(a.reshape(n)).reshape(a.shape)
    else:
        order = np.argsort(a, axis=-1, kind="stable")
    ordered = np.take_along_axis(a, order, axis=-1)
    index = np.broadcast_to(np.arange(n), a.shape)
    first = np.ones(a.shape, dtype=bool)  # the first of a run of equal values
    first[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    last = np.ones(a.shape, dtype=bool)  # the last of one
    last[..., :-1] = first[..., 1:]
    starts = np.maximum.accumulate(np.where(first, index, 0), axis=-1)
    ends = np.minimum.accumulate(np.where(last, index, n - 1)[..., ::-1], axis=-1)[..., ::-1]
    ranks = np.empty(a.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, (starts + ends) / 2 + 1, axis=-1)
    return np.moveaxis(ranks, -1, axis)


def draw_counts(starts, n, block=BLOCK):
    """How often each row is drawn by each resample whose blocks start at ``starts``.

    Parameters
    ----------
    starts : numpy.ndarray
        ``(k, ceil(n / block))`` block starts (:func:`block_starts`).
    n : int
        Rows, and the length of each resample (its last block is cut to fit).

    Returns
    -------
    numpy.ndarray
        ``(k, n)`` int64: row ``r`` of resample ``i`` is drawn ``counts[i, r]`` times; each row sums to ``n``.
        The same multiset as the resample's row of :func:`block_indices`.
    """
    k, blocks = starts.shape
    flat = (starts + (np.arange(k) * n)[:, None]).ravel()
    begun = np.bincount(flat, minlength=k * n).reshape(k, n)
    covered = np.cumsum(begun, axis=1)  # blocks begun at or before each row, less those ended before it
    covered[:, block:] -= covered[:, :-block].copy()
    cut = blocks * block - n  # the last block's rows past the resample's end are not drawn
    if cut:
        tail = starts[:, -1:] + np.arange(block - cut, block)
        covered[np.arange(k)[:, None], tail] -= 1
    return covered


def _rank_plan(values):
    """Where each bin's value stands among the column's distinct values, in sorted order: ``{"group", "values"}``
    (a column without ties: its bins' ranks, as many values as bins)."""
    order = stable_order(values)
    ordered = values[order]
    new = np.ones(values.size, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    group = np.empty(values.size, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    return {"group": group, "values": int(new.sum()), "labels": {}}


def _value_ranks(counts, weights, plan):
    """A column's draws of each of its values and each value's rank in each resample (``counts``, ``weights``:
    :func:`draw_counts` and the same as float64).

    Returns
    -------
    tuple of numpy.ndarray
        ``(ranks, tied)``, both ``(k, values)`` float64 integers (exact: below ``2 n``): a value's rank
        doubled and centred (see :func:`_resample_ranks`), and how often the resample draws it.
    """
    k, n = counts.shape
    values = plan["values"]
    if k not in plan["labels"]:  # each resample's values apart: value + values x resample
        plan["labels"][k] = (plan["group"] + values * np.arange(k)[:, None]).ravel()
    tied = np.bincount(plan["labels"][k], weights=weights.ravel(), minlength=k * values).reshape(k, values)
    through = np.cumsum(tied, axis=1)  # draws at or below each value
    through *= 2
    through -= tied
    through -= n
    return through, tied


def _resample_ranks(counts, plan, weights=None):
    """Each bin's average rank in each resample (``counts``: :func:`draw_counts`), doubled and centred:
    ``2 R - (n + 1)``, exact integers (float64, below ``2 n``). Bins not drawn get a rank they would have; it is
    weighted 0.

    A value drawn ``t`` times after ``b`` smaller draws ranks ``b + (t + 1) / 2``: doubled and centred,
    ``2 b + t - n``.

    Returns
    -------
    tuple
        ``(ranks, tied)``: ranks ``(k, n)`` float64 in bin order, and ``tied`` ``(k, values)`` float64 the draws of
        each distinct value.
    """
    weights = counts.astype(np.float64) if weights is None else weights
    ranks, tied = _value_ranks(counts, weights, plan)
    return np.take(ranks, plan["group"], axis=1), tied


def _rank_squares(n, tied):
    """``sum of counts x ranks^2`` of each resample from its tie sizes: the doubled, centred average ranks
    of ``n`` draws square-sum to ``(n^3 - sum over tie groups of t^3) / 3`` (the ``t`` sum to ``n``), exact in int64."""
    tied = tied.astype(np.int64)
    return (n**3 - np.einsum("ij,ij->i", tied * tied, tied)) // 3


#: Resamples x bins per chunk of the bootstrap: bounds its memory (a few arrays of this many values, ~8 MB
#: each, and the first columns' weighted ranks) whatever the number of bins.
CHUNK_VALUES = 1 << 18
#: Up to this many bins, the sums of (doubled, centred) rank products (< n^3) are exact in int64.
EXACT_BINS = 2_000_000
#: float64 holds every integer below this exactly, and so sums of integers below it, in any order.
FLOAT_EXACT = 1 << 53
#: The second columns of the pairs are summed per combination of their values (bins sorted by it) while there
#: are at most this many combinations; a second column past that is ranked bin by bin.
FEW_VALUES = 64


def _split_bits(n):
    """How many low bits of a rank (``|rank| < n``) to multiply apart so that each of the two float64 sums of
    ``counts x rank_a x part_b`` is exact (< :data:`FLOAT_EXACT`): 0 if the whole rank can; None if no split can."""
    if n**3 < FLOAT_EXACT:
        return 0
    bits = 0
    while n * n << (bits + 1) < FLOAT_EXACT:
        bits += 1
    if bits == 0 or ((n >> bits) + 1) * n * n >= FLOAT_EXACT:
        return None
    return bits


def _split(ranks, bits):
    """``ranks`` (float64 integers) as the parts :func:`_rank_products` multiplies apart: ``(ranks,)`` when ``bits``
    is 0, else their high part and their low ``bits`` (:func:`_split_bits`)."""
    if bits == 0:
        return (ranks,)
    high = np.floor(ranks / (1 << bits))  # a power of two: exact
    return high, ranks - high * (1 << bits)


def _rank_products(weighted, parts, bits):
    """``sum over bins of weighted[k] x ranks[k]``: ``(k,)`` int64, exact.

    ``weighted`` ``(k, n)`` float64 (counts x ranks, integers ``< n^2``), ``parts`` the ranks (``(k, n)`` float64
    integers) as :func:`_split` gives them: float64 dot products, the ranks split in two parts (high and low
    ``bits``) where the whole would exceed float64's exact integers.
    """
    if bits == 0:
        return np.einsum("ij,ij->i", weighted, parts[0]).astype(np.int64)
    high, low = parts
    total = np.einsum("ij,ij->i", weighted, high).astype(np.int64) << bits
    return total + np.einsum("ij,ij->i", weighted, low).astype(np.int64)


def _lanes(n):
    """``(bits, lanes)``: how many resamples' draws one number carries side by side, ``bits`` each.

    A lane holds a value's draws, the draws at or below it, and twice those less its own (each at most
    ``2 n < 2 ** bits``); ``lanes`` of them stay below float64's exact integers (:data:`FLOAT_EXACT`), so a
    float64 sum of packed draw counts is every lane's sum at once, exact, and int64 arithmetic on them
    never carries from one lane into the next."""
    bits = (2 * n).bit_length()
    return bits, max(1, (FLOAT_EXACT.bit_length() - 1) // bits)


def _pack(counts, bits, lanes):
    """``(k, n)`` draw counts as ``(ceil(k / lanes), n)`` float64, resample ``lane x rows + row`` in lane ``lane``
    of row ``row`` (:func:`_lanes`)."""
    k, n = counts.shape
    rows = -(-k // lanes)
    packed = counts[:rows].copy()
    for lane in range(1, lanes):
        part = counts[lane * rows : (lane + 1) * rows]
        packed[: part.shape[0]] += part << (bits * lane)
    return packed.astype(np.float64)


def _packed_value_ranks(packed, plan, n, k, bits, lanes):
    """:func:`_value_ranks` of ``k`` resamples from their packed counts (:func:`_pack`): ``(ranks, tied)``, both
    ``(k, values)`` int64; one sum and one cumulative sum per ``lanes`` resamples."""
    rows = packed.shape[0]
    values = plan["values"]
    if rows not in plan["labels"]:  # each packed row's values apart: value + values x row
        plan["labels"][rows] = (plan["group"] + values * np.arange(rows)[:, None]).ravel()
    tied = np.bincount(plan["labels"][rows], weights=packed.ravel(), minlength=rows * values).astype(np.int64)
    through = np.cumsum(tied.reshape(rows, values), axis=1)  # draws at or below each value, lane by lane
    through *= 2
    through -= tied.reshape(rows, values)  # 2 b + t: in [0, 2 n], no lane borrows
    mask = (1 << bits) - 1
    both = np.empty((2, lanes, rows, values), dtype=np.int64)
    for lane in range(lanes):
        np.right_shift(through, bits * lane, out=both[0, lane])
        np.right_shift(tied.reshape(rows, values), bits * lane, out=both[1, lane])
    both &= mask
    ranks, tied = both.reshape(2, lanes * rows, values)[:, :k]
    ranks -= n
    return ranks, tied


def _segments(plans, seconds, n):
    """The bins sorted by the values of as many of the ``seconds`` (fewest values first) as keep at most
    :data:`FEW_VALUES` distinct combinations: ``(order, starts, values, rest)``, the bins' order, the first
    position of each combination, each summed column's value at each combination and the columns left out."""
    code, values, rest = None, {}, []
    for name in sorted(seconds, key=lambda name: plans[name]["values"]):
        group = plans[name]["group"]
        joined = group if code is None else code * plans[name]["values"] + group
        combinations, joined = np.unique(joined, return_inverse=True)
        if combinations.size > FEW_VALUES:
            rest.append(name)
            continue
        code, values[name] = joined, None
    if code is None:
        return np.arange(n), np.zeros(0, dtype=np.int64), {}, rest
    order = np.argsort(code, kind="stable")
    ordered = code[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return order, starts, {name: plans[name]["group"][order][starts] for name in values}, rest


def bootstrap_rhos(columns, pairs, block=BLOCK, resamples=RESAMPLES, seed=SEED, groups=None):
    """Spearman's rho of every moving-block bootstrap resample of each pair of columns over the same bins.

    The same values as ranking each resample of :func:`block_indices` (average ranks for ties) and
    correlating the ranks, without materialising the resamples: a resample is the count of draws of
    every bin (:func:`draw_counts`), a value's rank the draws below it plus half its tied draws, and the
    sums of rank products exact integers. Each column's values are counted and ranked once per resample,
    several resamples at once (their counts packed side by side in one number, :func:`_lanes`), and serve
    every pair the column is in. The bins are sorted by the second columns' values (:func:`_segments`): the
    first columns' weighted ranks summed over each run of equal seconds, then times each second's rank (a
    second column of many values: a matrix product with its ranks bin by bin). Time ``O(resamples x n)`` per
    column, memory bounded by :data:`CHUNK_VALUES`.

    Parameters
    ----------
    columns : dict
        ``name -> (n,)`` float64 values, every one present (finite), in bin order.
    pairs : sequence of (str, str)
        The pairs of names to correlate.
    block, resamples, seed, groups
        As for :func:`block_indices`.

    Returns
    -------
    list of numpy.ndarray
        Per pair, ``(resamples,)`` float64 in resample order, NaN where a resample is constant.

    Raises
    ------
    ValueError
        As :func:`block_indices`.
    """
    n = columns[pairs[0][0]].size
    if n > EXACT_BINS:
        return _bootstrap_rhos_int(columns, pairs, block, resamples, seed, groups)
    firsts = list(dict.fromkeys(a for a, _ in pairs))
    seconds = list(dict.fromkeys(b for _, b in pairs))
    plans = {name: _rank_plan(columns[name]) for name in dict.fromkeys([*firsts, *seconds])}
    order, starts_at, segment_values, rest = _segments(plans, seconds, n)
    bits = _split_bits(n)
    if rest and bits is None:
        return _bootstrap_rhos_int(columns, pairs, block, resamples, seed, groups)
    sorted_bins = segment_values != {}
    for plan in plans.values():  # every column's bins in the segments' order
        plan["group"] = plan["group"][order]
    lane_bits, lanes = _lanes(n)
    out = [np.empty(resamples) for _ in pairs]
    done = 0
    chunk = max(1, CHUNK_VALUES // n // lanes) * lanes
    for starts in block_starts(n, block, resamples, seed, groups, chunk=chunk):
        counts = draw_counts(starts, n, block)
        if sorted_bins:
            counts = np.take(counts, order, axis=1)
        k = counts.shape[0]
        weights = counts.astype(np.float64)
        packed = _pack(counts, lane_bits, lanes)
        ranks, squares = {}, {}
        for name, plan in plans.items():
            ranks[name], tied = _packed_value_ranks(packed, plan, n, k, lane_bits, lanes)
            squares[name] = _rank_squares(n, tied)
        bins = {name: _split(np.take(ranks[name].astype(np.float64), plans[name]["group"], axis=1), bits)
                for name in rest}  # fmt: skip
        at = {name: np.take(ranks[name], values, axis=1) for name, values in segment_values.items()}
        products = {}
        for name in firsts:  # one column's weighted ranks at a time: they stay in the cache
            weighted = np.take(ranks[name].astype(np.float64), plans[name]["group"], axis=1)
            weighted *= weights  # < n^2: exact
            if at:  # per run of equal seconds: the weighted ranks' sums (< n^2, exact), times each rank
                sums = np.add.reduceat(weighted, starts_at, axis=1).astype(np.int64)
                for second, second_ranks in at.items():
                    products[name, second] = np.einsum("ks,ks->k", sums, second_ranks)
            for second in rest:
                products[name, second] = _rank_products(weighted, bins[second], bits)
        for result, (a, b) in zip(out, pairs, strict=True):
            with np.errstate(invalid="ignore", divide="ignore"):
                result[done : done + k] = products[a, b].astype(np.float64) / np.sqrt(
                    squares[a].astype(np.float64) * squares[b].astype(np.float64)
                )
        done += k
    return out


def _bootstrap_rhos_int(columns, pairs, block, resamples, seed, groups):
    """:func:`bootstrap_rhos` pair by pair in int64 (float64 past :data:`EXACT_BINS`): beyond the bins
    whose rank products float64 holds exactly, even split in two."""
    names = list(dict.fromkeys(name for pair in pairs for name in pair))
    n = columns[names[0]].size
    plans = {name: _rank_plan(columns[name]) for name in names}
    out = [np.empty(resamples) for _ in pairs]
    done = 0
    for starts in block_starts(n, block, resamples, seed, groups, chunk=max(1, CHUNK_VALUES // n)):
        counts = draw_counts(starts, n, block)
        ranks = {name: _resample_ranks(counts, plan)[0].astype(np.int64) for name, plan in plans.items()}  # exact
        if n > EXACT_BINS:  # int64 sums of rank products could overflow: float64 (rounded, as any float sum)
            counts, ranks = counts.astype(np.float64), {k: r.astype(np.float64) for k, r in ranks.items()}
        weighted = {name: counts * r for name, r in ranks.items()}
        squares = {name: np.einsum("ij,ij->i", weighted[name], ranks[name]).astype(np.float64) for name in names}
        for result, (a, b) in zip(out, pairs, strict=True):
            products = np.einsum("ij,ij->i", weighted[a], ranks[b]).astype(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                result[done : done + counts.shape[0]] = products / np.sqrt(squares[a] * squares[b])
        done += counts.shape[0]
    return out


def _rowwise_spearman(x, y):
    """Spearman's rho of every row pair of two ``(k, n)`` arrays (average ranks for ties); NaN where constant."""
    return _centred_correlation(_centred_ranks(x), _centred_ranks(y))


def _centred_ranks(x):
    """Each row's average ranks less their mean (``(k, n)`` float64): what :func:`_centred_correlation` takes."""
    ranks = average_ranks(x, axis=1)
    ranks -= ranks.mean(axis=1, keepdims=True)
    return ranks


def _centred_correlation(rx, ry):
    """Pearson's correlation of each row pair of two centred ``(k, n)`` arrays; NaN where one is constant."""
    denominator = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=1) / denominator


def spearman_ci(x, y, block=BLOCK, resamples=RESAMPLES, seed=SEED, level=LEVEL, groups=None):
    """Spearman's rho of ``x`` and ``y`` over the positions where both are present, with a block-bootstrap CI.

    Parameters
    ----------
    x, y : sequence of float or None
        Values along the chromosome, in bin order (None or NaN where missing).
    block, resamples, seed, level
        The bootstrap's settings (see the module's description).
    groups : sequence, optional
        Each value's chromosome (genome-wide rows): blocks stay within one (:func:`block_indices`).

    Returns
    -------
    tuple
        ``(rho, low, high, n)``: rho and the interval as floats (None where
        undefined), ``n`` the number of bins where both are present.
    """
    return spearman_cis({"x": x, "y": y}, [("x", "y")], block, resamples, seed, level, groups)[0]


def spearman_cis(columns, pairs, block=BLOCK, resamples=RESAMPLES, seed=SEED, level=LEVEL, groups=None):
    """:func:`spearman_ci` of each pair of columns; pairs present on the same bins share their bootstrap.

    Parameters
    ----------
    columns : dict
        ``name -> values`` along the chromosome (sequences of float or None, or float arrays; None or NaN
        where missing), all of one length.
    pairs : sequence of (str, str)
    block, resamples, seed, level, groups
        As for :func:`spearman_ci`.

    Returns
    -------
    list of tuple
        ``(rho, low, high, n)`` per pair, as :func:`spearman_ci` gives it.
    """
    values = {name: _as_values(v) for name, v in columns.items()}
    labels = None if groups is None else np.asarray(groups, dtype=object)
    shared = {}  # the bins where both are present -> the pairs present there
    for index, (a, b) in enumerate(pairs):
        if values[a].shape != values[b].shape:
            raise ValueError(f"{values[a].size} values against {values[b].size}")
        keep = np.isfinite(values[a]) & np.isfinite(values[b])
        shared.setdefault(keep.tobytes(), (keep, []))[1].append(index)
    results = [None] * len(pairs)
    tail = (1 - level) / 2 * 100
    for keep, indices in shared.values():
        present = {name: values[name][keep] for i in indices for name in pairs[i]}
        n = int(keep.sum())
        booted, centred = [], {}  # each column ranked once for every pair it is in
        for i in indices:
            x, y = present[pairs[i][0]], present[pairs[i][1]]
            if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
                results[i] = (None, None, None, n)
                continue
            for name in pairs[i]:
                if name not in centred:
                    centred[name] = _centred_ranks(present[name][None, :])
            rho = _centred_correlation(centred[pairs[i][0]], centred[pairs[i][1]])[0]
            results[i] = (float(rho), None, None, n)
            if n >= 2 * block:
                booted.append(i)
        if not booted:
            continue
        try:
            boots = bootstrap_rhos(present, [pairs[i] for i in booted], block, resamples, seed,
                                   None if labels is None else labels[keep])  # fmt: skip
        except ValueError:  # (n >= 2 x block here) no chromosome has a whole block
            continue
        for i, boot in zip(booted, boots, strict=True):
            boot = boot[np.isfinite(boot)]
            if boot.size:
                low, high = np.percentile(boot, [tail, 100 - tail])
                results[i] = (results[i][0], float(low), float(high), n)
    return results


def _row(dataset, chromosome, feature, annotation, result):
    rho, low, high, n = result
    significant = low is not None and (low > 0 or high < 0)
    return {
        "dataset": dataset,
        "chromosome": chromosome,
        "feature": feature,
        "annotation": annotation,
        "rho": rho,
        "ci_low": low,
        "ci_high": high,
        "n_bins": n,
        "significant": significant,
    }


def _one_blas_thread():
    """A context in which BLAS runs one thread (threadpoolctl, a pinned dependency): the bootstrap's matrix
    products are small and each worker thread calls its own; a job's BLAS would otherwise start as many threads
    again as the job has (Snakemake sets ``OPENBLAS_NUM_THREADS`` to them), oversubscribing the cores."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def correlation_table(frame, features, annotations, dataset, chromosome="chr", workers=1, resamples=RESAMPLES):
    """Spearman rho and its block-bootstrap CI for every feature x annotation pair, per chromosome and genome-wide.

    Parameters
    ----------
    frame : polars.DataFrame
        One row per bin, in chromosome then bin order (a compiled table, or
        several chromosomes' stacked), with a ``chromosome`` column.
    features, annotations : sequence of str
        Column names (structure features; annotations and tracks).
    dataset : str
        Written in the ``dataset`` column.
    chromosome : str
        The column naming each row's chromosome.
    workers : int
        Threads correlating the chromosomes (and the genome) side by side; the result is the same.
    resamples : int
        Bootstrap resamples (:data:`RESAMPLES`; fewer: cheaper, noisier interval bounds, the same first draws).

    Returns
    -------
    polars.DataFrame
        ``dataset, chromosome, feature, annotation, rho, ci_low, ci_high,
        n_bins, significant`` (``RESULT_SCHEMA``): one row per chromosome and pair,
        in the frame's chromosome order, then the ``"genome"`` rows (when the frame
        has more than one chromosome). ``significant``: the interval excludes 0.

    Raises
    ------
    KeyError
        A named column is missing.
    """
    missing = [c for c in [chromosome, *features, *annotations] if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the table: {', '.join(missing)}")
    names = frame[chromosome].cast(pl.String).unique(maintain_order=True).to_list()
    rows = []
    parts = [(name, frame.filter(pl.col(chromosome).cast(pl.String) == name)) for name in names]
    if len(names) > 1:
        parts.append(("genome", frame))
    pairs = [(feature, annotation) for feature in features for annotation in annotations]

    def correlate(name, part):
        groups = part[chromosome].cast(pl.String).to_numpy() if name == "genome" else None
        columns = {c: column_values(part, c) for c in dict.fromkeys([*features, *annotations])}
        return spearman_cis(columns, pairs, resamples=resamples, groups=groups)  # pairs on the same bins share one

    if workers > 1 and len(parts) > 1:  # numpy's loops release the GIL: the parts side by side, largest first
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool, _one_blas_thread():
            biggest = sorted(range(len(parts)), key=lambda i: -parts[i][1].height)
            futures = {i: pool.submit(correlate, *parts[i]) for i in biggest}
            results = [futures[i].result() for i in range(len(parts))]
    else:
        results = [correlate(name, part) for name, part in parts]
    for (name, _), result in zip(parts, results, strict=True):
        rows.extend(_row(dataset, name, *pair, r) for pair, r in zip(pairs, result, strict=True))
    return pl.DataFrame(rows, schema=RESULT_SCHEMA)


# -- the summary and the datasets comparison -------------------------------------------------------


def spearman(a, b, ranks=None):
    """Spearman's rho over the pairs where both values are present; NaN when undefined.

    ``ranks``: the :func:`average_ranks` of ``a`` and of ``b``, if known; used where every pair is present (they
    are then the ranks this computes, the same numbers).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 3 or np.ptp(a[keep]) == 0 or np.ptp(b[keep]) == 0:
        return float("nan")
    # as scipy.stats.spearmanr computes it (each column ranked, then their Pearson correlation), to the bit
    if ranks is not None and keep.all():
        ranked = np.column_stack(ranks)
    else:
        ranked = average_ranks(np.column_stack((a[keep], b[keep])), axis=0)
    return float(np.corrcoef(ranked, rowvar=False)[1, 0])


def column_values(table, column):
    """A column as float64 numbers, NaN where empty."""
    return table[column].cast(pl.Float64).fill_null(float("nan")).to_numpy()


def by_homolog(table):
    """``[(haplotype, rows)]``: a diploid table's rows per homolog (never drawn as one chain); else ``[(None, table)]``."""
    if "haplotype" not in table.columns or table["haplotype"].is_null().all():
        return [(None, table)]
    names = table["haplotype"].unique(maintain_order=True).to_list()
    return [(name, table.filter(pl.col("haplotype").eq_missing(name))) for name in names]


def bins_once(table):
    """One row per bin (a diploid table has one per bin and homolog): the bins' own columns, and
    ``_no_bead`` where no homolog has a bead on the bin."""
    no_bead = pl.col("bead").is_null().all() if "bead" in table.columns else pl.lit(False)
    first = table.unique(subset=["start"], keep="first", maintain_order=True)
    empty = table.group_by("start", maintain_order=True).agg(no_bead.alias("_no_bead"))
    return first.join(empty, on="start", how="left", maintain_order="left")


def summary_row(chrom, table, surface):
    """One row of the genome-wide summary for a compiled (default-layout) table."""
    with_bead = table.filter(pl.col("bead").is_not_null()) if "bead" in table.columns else table

    def median(column, frame=with_bead):
        if column not in frame.columns:  # a feature of other files (genome-wide, diploid): empty, not invented
            return None
        values = column_values(frame, column)
        values = values[~np.isnan(values)]
        return float(np.median(values)) if values.size else None

    if len(by_homolog(table)) > 1:  # a diploid table: its bins once, its beads both homologs'
        bins = bins_once(table)
        n_bins, without_bead = bins.height, int(bins["_no_bead"].sum())
    else:
        n_bins, without_bead = table.height, table.height - with_bead.height
    return {
        "chr": str(chrom),
        "bins": n_bins,
        "beads": with_bead.height,
        "bins_without_bead": without_bead,
        "surface_points": surface.height,
        "median_dist_surface": median("dist_surface"),
        "median_dist_com": median("dist_com"),
        "median_dist_rolling_mean": median("dist_rolling_mean"),
        **{f"median_{name}": median(name) for name in SUMMARY_MEDIANS},
        "median_gc_content": median("gc_content", table),
        "median_gene_density": median("gene_density", table),
        "rho_surface_gc": spearman(column_values(table, "dist_surface"), column_values(table, "gc_content")),
        "rho_surface_genes": spearman(column_values(table, "dist_surface"), column_values(table, "gene_density")),
    }


#: The summary's contact agreement columns where there is no contact list (chromapipe.agreement).
NO_AGREEMENT = {"contact_pairs": None, "contact_distance_rho": None, "contact_distance_pearson": None}


def chromosome_summary(chromosomes, frames, surfaces, agreements=None):
    """The genome-wide summary (:data:`chromapipe.tables.SUMMARY`): :func:`summary_row` of each chromosome's
    compiled table and surface points, in order, and its contact agreement (``agreements``: one
    :func:`chromapipe.agreement.summary_values` dict per chromosome; None: no contact list, empty columns)."""
    agreements = [NO_AGREEMENT] * len(frames) if agreements is None else agreements
    rows = [{**summary_row(c, frame, points), **NO_AGREEMENT, **values}
            for c, frame, points, values in zip(chromosomes, frames, surfaces, agreements, strict=True)]  # fmt: skip
    return tables.check("summary", summary_table(rows))


def summary_table(rows):
    return pl.DataFrame(rows, schema=SUMMARY.schema, orient="row").with_columns(pl.col(pl.Float64).fill_nan(None))


#: Per-bin features the datasets comparison correlates (those present in every dataset).
COMPARED = SD_FEATURES


def comparison_entries(tables_by_dataset):
    """The structures a datasets comparison correlates: each dataset, a diploid one once per homolog.

    A dataset whose table holds two homologs enters as ``"name (pat)"`` and ``"name (mat)"`` (homologs
    are never averaged, nor matched with another dataset's by position alone); any other enters under
    its name, without its ``haplotype`` column.
    """
    entries = {}
    for name, table in tables_by_dataset.items():
        parts = by_homolog(table)
        if len(parts) > 1:
            entries.update({f"{name} ({hap})": rows.drop("haplotype") for hap, rows in parts})
        else:
            entries[name] = table.drop("haplotype", strict=False)
    return entries


def compare_datasets(tables_by_dataset):
    """Per feature, Spearman's rho between every pair of datasets over the bins both have a bead on.

    Parameters
    ----------
    tables_by_dataset : dict
        ``name -> compiled table`` (every chromosome of the dataset, concatenated) or a list of the dataset's tables
        (concatenated here). Bins are matched
        on ``chr`` and ``start``; a diploid dataset enters once per homolog (:func:`comparison_entries`).

    Returns
    -------
    polars.DataFrame
        :data:`chromapipe.tables.COMPARISON`: one row per feature and ordered pair (the diagonal included).
    """
    tables_by_dataset = {
        name: pl.concat(table, how="diagonal_relaxed") if isinstance(table, list | tuple) else table
        for name, table in tables_by_dataset.items()
    }
    entries = comparison_entries(tables_by_dataset)
    names = list(entries)
    keys, rows_of = _bin_keys(entries)
    rows = []
    for feature in COMPARED:
        if not all(feature in t.columns for t in entries.values()):
            continue
        values = {name: _present_values(table, feature) for name, table in entries.items()}
        for a in names:
            for b in names:
                (left, left_present, left_ranks), (right, right_present, right_ranks) = values[a], values[b]
                at = rows_of[b][keys[a]]  # the row of b on each bin of a, -1 where b has none
                both = at >= 0
                both[both] = left_present[both] & right_present[at[both]]
                # the bins in a's order, as an inner join of a's rows with b's
                pair = left[both], right[at[both]]
                whole = both.all() and both.size == right.size and left_ranks is not None and right_ranks is not None
                ranks = (left_ranks, right_ranks[at]) if whole else None  # every row of both, in a's order
                rows.append((feature, a, b, int(both.sum()), spearman(*pair, ranks)))
    frame = pl.DataFrame(rows, schema=COMPARISON.schema, orient="row")
    return frame.with_columns(pl.col("rho").fill_nan(None))


def _bin_keys(entries):
    """Each entry's bins as numbers, and each entry's row of every bin (-1: none), ``chr`` and ``start`` matched.

    Returns
    -------
    keys : dict
        ``name -> (n,)`` int64: the bin of each row of the entry (numbered over every entry's bins).
    rows_of : dict
        ``name -> (bins,)`` int64: the entry's row on each bin, -1 where it has none.

    Raises
    ------
    InputError
        A table with two rows on one bin (a comparison matches one row per bin of each dataset).
    """
    bins = pl.concat([t.select(pl.col("chr").cast(pl.String), "start") for t in entries.values()]).unique()
    bins = bins.with_row_index("_bin")
    keys, rows_of = {}, {}
    for name, table in entries.items():
        numbered = table.select(pl.col("chr").cast(pl.String), "start").join(
            bins, on=["chr", "start"], how="left", maintain_order="left"
        )  # fmt: skip
        key = numbered["_bin"].cast(pl.Int64).to_numpy()
        row = np.full(bins.height, -1, dtype=np.int64)
        row[key] = np.arange(key.size)
        if np.unique(key).size != key.size:
            raise InputError(f"datasets comparison: {name} has more than one row on a bin (chr, start)")
        keys[name], rows_of[name] = key, row
    return keys, rows_of


def _present_values(table, feature):
    """A column as float64 numbers (NaN where empty), where it is not null (a NaN value is present), and its
    :func:`average_ranks` when every value is a number (else None)."""
    values = column_values(table, feature)
    ranks = average_ranks(values) if values.size and not np.isnan(values).any() else None
    return values, table[feature].is_not_null().to_numpy(), ranks


def feature_correlations(frames, dataset=None, tracks=(), workers=1, resamples=RESAMPLES):
    """Structure features x annotations of compiled tables: :func:`correlation_table` over the chromosomes.

    Parameters
    ----------
    frames : sequence of polars.DataFrame
        Compiled tables (one per chromosome, in order).
    dataset : str, optional
        The dataset's name, written in the ``dataset`` column.
    tracks : sequence of sequence of str
        The track columns of each table; the tracks every table has are correlated.
    workers, resamples : int
        Threads and bootstrap resamples of :func:`correlation_table`.

    Returns
    -------
    polars.DataFrame
        :data:`chromapipe.tables.CORRELATIONS`: per chromosome, then ``genome`` (more than one chromosome).
        Features are the structure features the tables have (an ensemble's means), annotations
        ``gc_content``, ``gene_density``, ``compartment_e1`` (where every table has it) and the tracks;
        a diploid table's homologs are apart ("21 (pat)").
    """
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
    return tables.check(
        "correlations",
        correlation_table(stacked, features, annotations + shared, dataset, workers=workers, resamples=resamples),
    )


def bootstrap_settings(resamples=RESAMPLES):
    """What a correlation table's metadata records of the method (``resamples``: ``report.bootstrap_resamples``)."""
    return {
        "method": "Spearman's rho, moving-block bootstrap interval (chromapipe.stats)",
        "bootstrap": {"block_bins": BLOCK, "resamples": int(resamples), "seed": SEED, "level": LEVEL},
    }
