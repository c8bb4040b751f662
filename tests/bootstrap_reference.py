"""The correlations' block bootstrap as chromapipe.stats computed it before the draws' counts were packed
(commit 4b95e78): the reference the tests hold the packed one equal to (tests/test_stats.py), kept apart so
that the package carries one implementation."""

import numpy as np

from chromapipe.stats import BLOCK, RESAMPLES, SEED, block_starts, draw_counts

#: A variable with at most this many distinct values, correlated as the second of a pair, is summed per
#: value through its values' indicator (a matrix product) rather than ranked bin by bin.
FEW_VALUES = 64


def _rank_plan(values):
    """What :func:`_resample_ranks` needs of a variable: its sort order, or where each bin's value stands."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(values.size, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    if new.all():  # no ties: ranks follow the sorted order
        return {"order": order, "inverse": inverse}
    group = (np.cumsum(new) - 1)[inverse]  # each bin's value, numbered in sorted order
    plan = {"group": group, "values": int(new.sum()), "labels": {}}
    if plan["values"] <= FEW_VALUES:
        plan["onehot"] = (group[:, None] == np.arange(plan["values"])).astype(np.float64)
    return plan


def _value_ranks(counts, weights, plan):
    """A tied column's (``group`` plan) draws of each of its values and each value's rank in each resample.

    ``weights`` is ``counts`` as float64 (one conversion per chunk, for every column).

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
    ``2 R - (n + 1)``, exact integers (float64, below ``2 n``). Bins not drawn get a rank they would have; it is weighted 0.

    A value drawn ``t`` times after ``b`` smaller draws ranks ``b + (t + 1) / 2``: doubled and centred,
    ``2 b + t - n``.

    Returns
    -------
    tuple
        ``(ranks, tied)``: ranks ``(k, n)`` float64 in bin order, and ``tied`` ``(k, values)`` float64 the draws of
        each distinct value (None for a column without ties, whose tied draws are a bin's own: ``counts``).
    """
    n = counts.shape[1]
    weights = counts.astype(np.float64) if weights is None else weights
    if "group" in plan:  # ties: each value's draws, then each bin's value's rank
        ranks, tied = _value_ranks(counts, weights, plan)
        return np.take(ranks, plan["group"], axis=1), tied
    drawn = np.take(weights, plan["order"], axis=1)
    through = np.cumsum(drawn, axis=1)  # draws at or below each value, in sorted order
    through *= 2
    through -= drawn
    through -= n
    return np.take(through, plan["inverse"], axis=1), None  # a bin's copies tie only with one another


def _rank_squares(n, tied):
    """``sum of counts x ranks^2`` of each resample from its tie sizes: the doubled, centred average ranks
    of ``n`` draws square-sum to ``(n^3 - sum over tie groups of t^3) / 3`` (the ``t`` sum to ``n``), exact in int64."""
    tied = tied.astype(np.int64)
    return (n**3 - np.einsum("ij,ij->i", tied * tied, tied)) // 3


#: Resamples x bins per chunk of the bootstrap: bounds its memory (a few int64 arrays of this many values,
#: ~8 MB each, per column) whatever the number of bins.
CHUNK_VALUES = 1 << 18
#: Up to this many bins, the sums of (doubled, centred) rank products (< n^3) are exact in int64.
EXACT_BINS = 2_000_000
#: float64 holds every integer below this exactly, and so sums of integers below it, in any order.
FLOAT_EXACT = 1 << 53


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


def _rank_products(weighted, ranks, bits):
    """``sum over bins of weighted[k, f] x ranks[k]``: ``(k, features)`` int64, exact.

    ``weighted`` ``(k, features, n)`` float64 (counts x ranks, integers ``< n^2``), ``ranks`` ``(k, n)`` float64
    integers.
    A float64 matrix product, the ranks split in two parts (high and low ``bits``) where the whole
    would exceed float64's exact integers (:func:`_split_bits`).
    """
    if bits == 0:
        return np.matmul(weighted, ranks[:, :, None])[:, :, 0].astype(np.int64)
    high = np.floor(ranks / (1 << bits))  # a power of two: exact
    low = ranks - high * (1 << bits)
    total = np.matmul(weighted, high[:, :, None])[:, :, 0].astype(np.int64) << bits
    return total + np.matmul(weighted, low[:, :, None])[:, :, 0].astype(np.int64)


def bootstrap_rhos(columns, pairs, block=BLOCK, resamples=RESAMPLES, seed=SEED, groups=None):
    """Spearman's rho of every moving-block bootstrap resample of each pair of columns over the same bins.

    The same values as ranking each resample of :func:`block_indices` (average ranks for ties) and
    correlating the ranks, without materialising the resamples: a resample is the count of draws of
    every bin (:func:`draw_counts`), a value's rank the draws below it plus half its tied draws, and the
    sums of rank products exact integers. Each column is ranked once per resample and serves every
    pair it is in: the first columns of the pairs, weighted by the counts, against each second column
    are one matrix product (exact in float64; against a column of few distinct values, a product with
    its values' indicator and then each value's rank). Time ``O(resamples x n)`` per column, memory
    bounded by :data:`CHUNK_VALUES`.

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
    bits = _split_bits(n)
    if n > EXACT_BINS or bits is None:
        return _bootstrap_rhos_int(columns, pairs, block, resamples, seed, groups)
    firsts = list(dict.fromkeys(a for a, _ in pairs))
    seconds = list(dict.fromkeys(b for _, b in pairs))
    plans = {name: _rank_plan(columns[name]) for name in dict.fromkeys([*firsts, *seconds])}
    row = {name: i for i, name in enumerate(firsts)}
    out = [np.empty(resamples) for _ in pairs]
    done = 0
    chunk = max(1, CHUNK_VALUES // n)
    for starts in block_starts(n, block, resamples, seed, groups, chunk=chunk):
        counts = draw_counts(starts, n, block)
        k = counts.shape[0]
        weights = counts.astype(np.float64)
        own = _rank_squares(n, counts)  # a column without ties: its tie groups are a bin's copies
        weighted = np.empty((k, len(firsts), n))
        squares = {}
        for name in firsts:
            ranks, tied = _resample_ranks(counts, plans[name], weights)
            np.multiply(weights, ranks, out=weighted[:, row[name], :])  # < n^2: exact
            squares[name] = own if tied is None else _rank_squares(n, tied)
        products = {}
        for name in seconds:
            plan = plans[name]
            if "onehot" in plan:  # per value: the weighted ranks' sums (< n^2, exact), times the value's rank
                ranks, tied = _value_ranks(counts, weights, plan)
                sums = weighted.reshape(k * len(firsts), n) @ plan["onehot"]
                sums = sums.astype(np.int64).reshape(k, len(firsts), -1)
                products[name] = np.einsum("kfg,kg->kf", sums, ranks.astype(np.int64))
            else:
                ranks, tied = _resample_ranks(counts, plan, weights)
                products[name] = _rank_products(weighted, ranks, bits)
            squares.setdefault(name, own if tied is None else _rank_squares(n, tied))
        for result, (a, b) in zip(out, pairs, strict=True):
            with np.errstate(invalid="ignore", divide="ignore"):
                result[done : done + k] = products[b][:, row[a]].astype(np.float64) / np.sqrt(
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
        ranks = {name: _resample_ranks(counts, plan)[0] for name, plan in plans.items()}
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
