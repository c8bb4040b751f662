"""Spearman rho with block-bootstrap intervals (chromapipe.stats)."""

import numpy as np
import polars as pl
import pytest
from scipy import stats as scipy_stats

from chromapipe import stats


def smooth(n, seed):
    """An autocorrelated signal along a chromosome (a random walk)."""
    return np.cumsum(np.random.default_rng(seed).normal(size=n))


def test_rho_equals_scipy_over_bins_where_both_are_present():
    x = smooth(300, 1)
    y = x + np.random.default_rng(2).normal(0, 5, 300)
    x_missing = [None if i % 7 == 0 else v for i, v in enumerate(x)]
    y_missing = [np.nan if i % 11 == 0 else v for i, v in enumerate(y)]
    rho, low, high, n = stats.spearman_ci(x_missing, y_missing)
    keep = np.array([i % 7 != 0 and i % 11 != 0 for i in range(300)])
    assert n == keep.sum()
    assert rho == pytest.approx(scipy_stats.spearmanr(x[keep], y[keep])[0], rel=1e-12)
    assert low < rho < high
    assert low > 0  # a strong association is significant


def samples(count=400, seed=5):
    """Rows of every kind the ranks meet: ties (small integers, rounded values), distinct values, lengths 3 to 200."""
    rng = np.random.default_rng(seed)
    for case in range(count):
        n, k = int(rng.integers(3, 200)), int(rng.integers(1, 4))
        kind = case % 3
        rows = rng.integers(0, 5, (k, n)) if kind == 0 else np.round(rng.normal(size=(k, n)), kind)
        yield rows.astype(np.float64), rng.normal(size=n) if case % 2 else rng.integers(0, 4, n).astype(np.float64)


def test_average_ranks_are_scipys_to_the_bit():
    for rows, _ in samples():
        assert np.array_equal(stats.average_ranks(rows, axis=1), scipy_stats.rankdata(rows, axis=1))
        assert np.array_equal(stats.average_ranks(rows.T, axis=0), scipy_stats.rankdata(rows.T, axis=0))


def test_spearman_is_scipys_to_the_bit():
    compared = 0
    for rows, other in samples():
        if np.ptp(rows[0]) == 0 or np.ptp(other) == 0:
            continue
        assert stats.spearman(rows[0], other) == float(scipy_stats.spearmanr(rows[0], other).statistic)
        compared += 1
    assert compared > 300


def test_stats_does_not_import_scipy_stats():
    """scipy.stats takes about a second to import: the figures and summary jobs do without it."""
    import subprocess
    import sys

    code = "import sys, chromapipe.stats, chromapipe.report; print('scipy.stats' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_reproducible_with_the_seed():
    x, y = smooth(200, 3), smooth(200, 4)
    assert stats.spearman_ci(x, y) == stats.spearman_ci(x, y)
    assert stats.spearman_ci(x, y, seed=1)[1:3] != stats.spearman_ci(x, y, seed=2)[1:3]


def test_permuted_tracks_give_intervals_covering_zero():
    """A feature against independent permutations of an autocorrelated track: every interval covers 0."""
    x = smooth(400, 5)
    track = smooth(400, 6)
    for k in range(5):
        permuted = np.random.default_rng(100 + k).permutation(track)
        rho, low, high, _ = stats.spearman_ci(x, permuted)
        assert low < 0 < high, (k, rho, low, high)


def test_block_indices():
    rows = stats.block_indices(25, block=10, resamples=50, seed=0)
    assert rows.shape == (50, 25)
    assert rows.min() >= 0 and rows.max() <= 24
    # each resample is runs of 10 consecutive bins (the last cut to 5)
    for row in rows:
        for start in (0, 10, 20):
            run = row[start : start + 10]
            np.testing.assert_array_equal(np.diff(run), 1)
    np.testing.assert_array_equal(rows, stats.block_indices(25, block=10, resamples=50, seed=0))


def test_degenerate_inputs():
    assert stats.spearman_ci([1.0, 2.0], [2.0, 1.0]) == (None, None, None, 2)
    assert stats.spearman_ci([1.0] * 50, list(range(50))) == (None, None, None, 50)
    rho, low, high, n = stats.spearman_ci(list(range(15)), list(range(15)))
    assert (rho, low, high, n) == (pytest.approx(1.0), None, None, 15)


def test_correlation_table():
    n = 120
    a = smooth(2 * n, 7)
    frame = pl.DataFrame(
        {
            "chr": ["1"] * n + ["2"] * n,
            "rg_local": a,
            "gc": a + np.random.default_rng(8).normal(0, 1, 2 * n),
            "lads": np.random.default_rng(9).permutation(smooth(2 * n, 10)),
        }
    )
    table = stats.correlation_table(frame, ["rg_local"], ["gc", "lads"], "GSDB1")
    assert table.schema == pl.Schema(stats.RESULT_SCHEMA)
    assert table.select("chromosome", "annotation").rows() == [
        ("1", "gc"),
        ("1", "lads"),
        ("2", "gc"),
        ("2", "lads"),
        ("genome", "gc"),
        ("genome", "lads"),
    ]
    assert table["dataset"].unique().to_list() == ["GSDB1"]
    assert table.filter(pl.col("chromosome") == "genome")["n_bins"].to_list() == [2 * n, 2 * n]
    gc = table.filter(pl.col("annotation") == "gc")
    assert gc["significant"].all()
    expected = stats.spearman_ci(frame["rg_local"][:n], frame["gc"][:n])
    assert gc.row(0)[4:8] == expected
    significant = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    assert table["significant"].to_list() == significant.to_list()
    with pytest.raises(KeyError, match="neighbours"):
        stats.correlation_table(frame, ["neighbours"], ["gc"], "GSDB1")


def test_genome_wide_blocks_never_span_two_chromosomes():
    groups = np.array(["1"] * 25 + ["2"] * 7 + ["X"] * 30, dtype=object)
    rows = stats.block_indices(groups.size, groups=groups)
    blocks = rows[:, : (rows.shape[1] // stats.BLOCK) * stats.BLOCK].reshape(rows.shape[0], -1, stats.BLOCK)
    labels = groups[blocks]
    assert (labels == labels[:, :, :1]).all()  # every block within one chromosome
    assert not np.isin(np.arange(25, 32), rows).any()  # chr2's 7 bins lie in no block of 10
    one = np.array(["1"] * 40, dtype=object)  # one chromosome: the same resamples as without groups
    assert np.array_equal(stats.block_indices(40, groups=one), stats.block_indices(40))
    with pytest.raises(ValueError, match="no group has 10 consecutive rows"):
        stats.block_indices(12, groups=np.array(["1"] * 6 + ["2"] * 6, dtype=object))


def test_genome_rows_bootstrap_within_chromosomes():
    rng = np.random.default_rng(5)
    frame = pl.DataFrame({"chr": ["1"] * 60 + ["2"] * 60, "f": rng.normal(size=120), "a": rng.normal(size=120)})
    table = stats.correlation_table(frame, ["f"], ["a"], "d")
    genome = table.filter(pl.col("chromosome") == "genome").row(0, named=True)
    groups = frame["chr"].to_numpy()
    assert (genome["rho"], genome["ci_low"], genome["ci_high"]) == stats.spearman_ci(
        frame["f"].to_list(), frame["a"].to_list(), groups=groups
    )[:3]
    assert genome["ci_low"] != stats.spearman_ci(frame["f"].to_list(), frame["a"].to_list())[1]


def test_the_homologs_of_a_diploid_table_are_correlated_apart():
    rng = np.random.default_rng(8)
    n = 30

    def homolog(hap):
        return pl.DataFrame({"chr": ["21"] * n, "haplotype": [hap] * n, "start": np.arange(n) * 500000 + 1,
                             "dist_com": rng.normal(size=n), "gc_content": rng.normal(size=n),
                             "gene_density": rng.integers(0, 5, n)})  # fmt: skip

    table = stats.feature_correlations([pl.concat([homolog("pat"), homolog("mat")])], "cell")
    assert table["chromosome"].unique(maintain_order=True).to_list() == ["21 (pat)", "21 (mat)", "genome"]
    assert (table.filter(pl.col("chromosome") != "genome")["n_bins"] == n).all()


def test_the_bootstrap_from_draw_counts_equals_ranking_the_materialised_resamples():
    """bootstrap_rhos (draw counts, integer rank sums) gives the very values of ranking each resample of
    block_indices: continuous values, ties, few distinct values, a short last block, chromosome groups."""
    rng = np.random.default_rng(4)
    for n, groups in ((23, None), (101, None), (257, np.array(["1"] * 100 + ["2"] * 157, dtype=object))):
        columns = {"a": smooth(n, n), "ties": np.round(smooth(n, n + 1)), "few": rng.integers(0, 3, n) * 1.0}
        pairs = [("a", "ties"), ("a", "few"), ("ties", "few")]
        rows = stats.block_indices(n, resamples=200, groups=groups)
        counts = np.stack([np.bincount(r, minlength=n) for r in rows])
        (starts,) = stats.block_starts(n, resamples=200, groups=groups)
        np.testing.assert_array_equal(stats.draw_counts(starts, n), counts)
        got = stats.bootstrap_rhos(columns, pairs, resamples=200, groups=groups)
        for (a, b), boot in zip(pairs, got, strict=True):
            expected = stats._rowwise_spearman(columns[a][rows], columns[b][rows])
            np.testing.assert_array_equal(boot, expected)


def cell_columns(n, seed=0, groups=None):
    """Columns built like a diploid cell's compiled tables at 5 kb: smooth float32 features (ties, as stored), one
    without ties, a float32 GC content of 2,501 values, a 4-valued gene density; ``groups``: the rows' chromosomes."""
    rng = np.random.default_rng(seed)
    walk = lambda scale: np.cumsum(rng.normal(size=n)) * scale  # noqa: E731
    columns = {f"f{i}": walk(0.01 * (i + 1)).astype(np.float32).astype(np.float64) for i in range(3)}
    columns["counts"] = np.round(walk(0.3) - walk(0.3).min())  # few distinct values, as neighbours
    columns["distinct"] = walk(1.0) + np.arange(n) * 1e-6
    columns["gc_content"] = np.round(rng.uniform(0.35, 0.6, n), 4).astype(np.float32).astype(np.float64)
    columns["gene_density"] = rng.integers(0, 4, n).astype(np.float64)
    return columns


@pytest.mark.parametrize(("n", "resamples", "chromosomes"), [(20_000, 40, 1), (20_000, 40, 3), (70_000, 6, 2)])
def test_the_packed_bootstrap_gives_the_very_rhos_of_the_reference(n, resamples, chromosomes):
    """The packed, segment-summed bootstrap_rhos against the implementation it replaced (tests/bootstrap_reference.py)
    at a size where every lane width and path is met: 20,000 rows (3 lanes) and 70,000 (2), features x GC content
    (many values: ranked bin by bin) and gene density (few: summed per value), chromosome groups."""
    import bootstrap_reference

    groups = np.repeat(np.arange(chromosomes), -(-n // chromosomes))[:n].astype(str).astype(object)
    columns = cell_columns(n, seed=n + chromosomes)
    features = ["f0", "f1", "f2", "counts", "distinct"]
    pairs = [(f, a) for f in features for a in ("gc_content", "gene_density")] + [("gene_density", "f1")]
    assert stats._lanes(n)[1] == (3 if n < 1 << 15 else 2)
    expected = bootstrap_reference.bootstrap_rhos(columns, pairs, resamples=resamples, groups=groups)
    got = stats.bootstrap_rhos(columns, pairs, resamples=resamples, groups=groups)
    for pair, mine, theirs in zip(pairs, got, expected, strict=True):
        np.testing.assert_array_equal(mine, theirs, err_msg=str(pair))


def test_the_bootstrap_past_float64s_exact_rank_products_splits_them_and_stays_exact():
    """Past ~208,000 rows a sum of rank products exceeds float64's exact integers: split in two (_split_bits), the
    same rhos as the reference's, and as the int64 pair-by-pair path's."""
    import bootstrap_reference

    n = 210_000
    assert stats._split_bits(n) > 0
    columns = {name: cell_columns(n, seed=1)[name] for name in ("f0", "gc_content", "gene_density")}
    pairs = [("f0", "gc_content"), ("f0", "gene_density")]
    expected = bootstrap_reference.bootstrap_rhos(columns, pairs, resamples=2)
    for got in (stats.bootstrap_rhos(columns, pairs, resamples=2),
                stats._bootstrap_rhos_int(columns, pairs, stats.BLOCK, 2, stats.SEED, None)):  # fmt: skip
        for mine, theirs in zip(got, expected, strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_the_point_rhos_ranked_once_per_column_are_each_pairs_own():
    columns = cell_columns(500, seed=2)
    pairs = [(f, a) for f in ("f0", "f1", "counts") for a in ("gc_content", "gene_density")]
    results = stats.spearman_cis(columns, pairs, resamples=20)
    for (a, b), result in zip(pairs, results, strict=True):
        assert result[0] == stats._rowwise_spearman(columns[a][None, :], columns[b][None, :])[0]
        assert result[0] == pytest.approx(scipy_stats.spearmanr(columns[a], columns[b])[0], rel=1e-12)


def test_block_starts_in_chunks_are_the_draws_of_one():
    (whole,) = stats.block_starts(95, resamples=50)
    np.testing.assert_array_equal(np.concatenate(list(stats.block_starts(95, resamples=50, chunk=7))), whole)


def test_pairs_on_the_same_bins_share_a_bootstrap_with_the_result_of_each_alone():
    x, y, z = smooth(120, 5), smooth(120, 6), smooth(120, 7)
    z[::9] = np.nan  # on other bins than x and y
    together = stats.spearman_cis({"x": x, "y": y, "z": z}, [("x", "y"), ("x", "z"), ("y", "z")])
    assert together == [stats.spearman_ci(x, y), stats.spearman_ci(x, z), stats.spearman_ci(y, z)]


def _compiled(n=30, seed=3, **columns):
    """A small compiled-like table: bins with beads (every fifth bin none), dist_surface and the annotations."""
    rng = np.random.default_rng(seed)
    bead = [None if i % 5 == 4 else i + 1 for i in range(n)]
    frame = pl.DataFrame({"start": np.arange(n) * 1000 + 1, "bead": pl.Series(bead, dtype=pl.Int32),
                          "dist_surface": rng.uniform(0, 1, n), "dist_com": rng.uniform(0, 1, n),
                          "dist_rolling_mean": rng.uniform(0, 1, n), "gc_content": rng.uniform(0.3, 0.6, n),
                          "gene_density": rng.integers(0, 5, n).astype(float)})  # fmt: skip
    return frame.with_columns(**{k: pl.Series(v, dtype=pl.Float32) for k, v in columns.items()})


def test_the_summary_gives_the_landmark_and_trans_medians_over_beads_and_none_where_absent():
    from chromapipe import tables

    n = 30
    radial = np.linspace(0.1, 1.2, n)
    radial[7] = np.nan  # a bead without a value is left out
    homolog = [None] * n  # a column with no value at all: empty
    table = _compiled(n, radial_position=radial, trans_fraction=np.arange(n) / n, dist_homolog=homolog)
    surface = pl.DataFrame({"x": [0.0], "y": [0.0], "z": [0.0]})
    summary = stats.chromosome_summary(["21", "X"], [table, _compiled(n)], [surface, surface])
    assert [f"median_{c}" for c in tables.SUMMARY_MEDIANS] == [c for c in summary.columns if c.startswith("median_")
                                                                and c[7:] in tables.SUMMARY_MEDIANS]  # fmt: skip
    with_bead = np.array([i % 5 != 4 for i in range(n)])
    keep = with_bead & ~np.isnan(radial)
    first, second = summary.row(0, named=True), summary.row(1, named=True)
    assert first["median_radial_position"] == pytest.approx(np.median(radial.astype(np.float32)[keep]), rel=1e-6)
    assert first["median_trans_fraction"] == pytest.approx(np.median((np.arange(n) / n).astype(np.float32)[with_bead]))
    assert first["median_dist_homolog"] is None and first["median_dist_periphery"] is None
    # a single-chromosome file's table has none of the columns: every median empty, not 0 or NaN
    assert all(second[f"median_{c}"] is None for c in tables.SUMMARY_MEDIANS)


def test_threads_and_fewer_resamples_of_the_correlation_table():
    """workers= gives the very table of one thread; resamples= (report.bootstrap_resamples) bootstraps that many
    resamples, the same first draws, and the metadata records them."""
    rng = np.random.default_rng(11)
    frame = pl.DataFrame({"chr": ["1"] * 90 + ["2"] * 70, "f": np.concatenate([smooth(90, 1), smooth(70, 2)]),
                          "g": rng.integers(0, 4, 160) * 1.0, "a": np.round(smooth(160, 3), 1)})  # fmt: skip
    one = stats.correlation_table(frame, ["f", "g"], ["a", "g"], "d")
    assert one.equals(stats.correlation_table(frame, ["f", "g"], ["a", "g"], "d", workers=2))
    fewer = stats.correlation_table(frame, ["f"], ["a"], "d", resamples=50)
    part = frame.filter(pl.col("chr") == "1")
    assert tuple(fewer.row(0)[4:7]) == stats.spearman_ci(part["f"].to_list(), part["a"].to_list(), resamples=50)[:3]
    assert fewer.row(0)[5] != one.row(0)[5]  # another interval than 1,000 resamples'
    (starts,) = stats.block_starts(90, resamples=50)
    np.testing.assert_array_equal(starts, next(stats.block_starts(90, chunk=50)))  # the first 50 of the 1,000
    assert stats.bootstrap_settings(50)["bootstrap"]["resamples"] == 50
    assert stats.bootstrap_settings()["bootstrap"]["resamples"] == stats.RESAMPLES
