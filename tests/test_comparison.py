"""The datasets comparison (chromapipe.stats.compare_datasets): every ordered pair of datasets, per feature,
Spearman's rho over the bins both have a value on, the same numbers as an inner join of the two tables."""

import numpy as np
import polars as pl
import pytest

from chromapipe import stats
from chromapipe.errors import InputError
from chromapipe.tables import COMPARISON


def joined_reference(tables_by_dataset):
    """The definition: per feature and ordered pair, an inner join on (chr, start), nulls dropped, then rho."""
    entries = stats.comparison_entries(tables_by_dataset)
    rows = []
    for feature in stats.COMPARED:
        if not all(feature in t.columns for t in entries.values()):
            continue
        for a, left in entries.items():
            for b, right in entries.items():
                pairs = left.select("chr", "start", pl.col(feature).alias("_a")).join(
                    right.select("chr", "start", pl.col(feature).alias("_b")), on=["chr", "start"], how="inner",
                    maintain_order="left",
                ).drop_nulls(["_a", "_b"])  # fmt: skip
                rho = stats.spearman(stats.column_values(pairs, "_a"), stats.column_values(pairs, "_b"))
                rows.append((feature, a, b, pairs.height, rho))
    return pl.DataFrame(rows, schema=COMPARISON.schema, orient="row").with_columns(pl.col("rho").fill_nan(None))


def dataset(rng, bins=60, missing=0.0, nulls=0.0, nans=0.0, ties=False, constant=False, haplotype=None):
    """A compiled-like table over two chromosomes: some bins absent, some values null or NaN, rounded to ties."""
    starts = np.arange(bins) * 500_000 + 1
    frame = pl.DataFrame({"chr": ["21"] * bins + ["X"] * bins, "start": np.concatenate([starts, starts])})
    for feature in ("dist_com", "dist_surface", "neighbours"):
        values = rng.normal(size=frame.height)
        values = np.round(values) if ties or feature == "neighbours" else values
        values = np.full(frame.height, 2.0) if constant and feature == "dist_surface" else values
        values[rng.random(frame.height) < nans] = np.nan
        column = pl.Series(feature, values)
        frame = frame.with_columns(pl.when(pl.lit(rng.random(frame.height) < nulls)).then(None).otherwise(column)
                                   .alias(feature))  # fmt: skip
    frame = frame.filter(pl.lit(rng.random(frame.height) >= missing))
    frame = frame.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(1 << 30)))  # rows in any order
    return frame.with_columns(pl.lit(haplotype).alias("haplotype")) if haplotype else frame


CASES = {
    "the same bins": dict(),
    "bins missing": dict(missing=0.3),
    "nulls and NaN": dict(nulls=0.2, nans=0.1),
    "ties and a constant": dict(ties=True, constant=True),
    "few bins": dict(bins=3, missing=0.3),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", range(4))
def test_the_comparison_is_the_inner_joins_to_the_bit(case, seed):
    rng = np.random.default_rng(seed)
    options = CASES[case]
    tables_by_dataset = {f"d{i}": dataset(rng, **(options if i % 2 else {})) for i in range(4)}
    diploid = pl.concat([dataset(rng, haplotype="pat", **options), dataset(rng, haplotype="mat")])
    tables_by_dataset["diploid"] = diploid
    ours, reference = stats.compare_datasets(tables_by_dataset), joined_reference(tables_by_dataset)
    assert ours.height == reference.height == 3 * 6 * 6
    assert ours.select(pl.exclude("rho")).equals(reference.select(pl.exclude("rho")))
    assert np.array_equal(ours["rho"].to_numpy(), reference["rho"].to_numpy(), equal_nan=True)


def test_a_dataset_with_two_rows_on_one_bin_is_refused():
    rng = np.random.default_rng(0)
    twice = dataset(rng)
    with pytest.raises(InputError, match="twice.*more than one row on a bin"):
        stats.compare_datasets({"once": dataset(rng), "twice": pl.concat([twice, twice.head(1)])})
