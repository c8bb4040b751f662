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


def joined_rmsd(coordinates, units):
    """The definition of the datasets' RMSD: per chromosome and pair, an inner join on start, sorted by start."""
    from chromapipe.superpose import MIN_BEADS, pair_rmsd
    from chromapipe.tables import RMSD

    names, rows = list(coordinates), []
    for chrom in dict.fromkeys(c for name in names for c in coordinates[name]["chr"].to_list()):
        parts = {name: coordinates[name].filter(pl.col("chr") == chrom) for name in names}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if not parts[a].height or not parts[b].height:
                    continue
                shared = parts[a].join(parts[b], on="start", how="inner", suffix="_b").sort("start")
                if shared.height < MIN_BEADS:
                    rows.append((chrom, a, b, shared.height, None, None))
                    continue
                rmsd, scaled = pair_rmsd(shared.select("x", "y", "z").to_numpy(),
                                         shared.select("x_b", "y_b", "z_b").to_numpy())  # fmt: skip
                rows.append((chrom, a, b, shared.height, rmsd if units[a] == units[b] else None, scaled))
    return pl.DataFrame(rows, schema=RMSD.schema, orient="row")


def beads(rng, chromosomes=("1", "21", "X"), bins=80, missing=0.0):
    """One bead per bin with a bead, a random chain per chromosome, rows shuffled."""
    frames = []
    for chrom in chromosomes:
        starts = np.arange(bins) * 500_000 + 1
        xyz = np.cumsum(rng.normal(size=(bins, 3)), axis=0)
        frame = pl.DataFrame({"chr": [chrom] * bins, "start": starts, "x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]})
        frames.append(frame.filter(pl.lit(rng.random(bins) >= missing)))
    return pl.concat(frames).sample(fraction=1.0, shuffle=True, seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("seed", range(6))
def test_the_datasets_rmsd_is_the_inner_joins_to_the_bit(seed):
    from chromapipe.superpose import dataset_rmsd

    rng = np.random.default_rng(seed)
    coordinates = {
        "whole": beads(rng),
        "gaps": beads(rng, missing=0.4),
        "two bins": beads(rng, bins=2),  # fewer shared bins than an RMSD needs
        "no X": beads(rng, chromosomes=("21", "1")),  # a chromosome not in every entry, in another order
        "other units": beads(rng, missing=0.1),
    }
    units = {name: "model units" for name in coordinates} | {"other units": "nm"}
    ours, reference = dataset_rmsd(coordinates, units), joined_rmsd(coordinates, units)
    assert ours.height == reference.height > 0
    assert ours.equals(reference)


def test_two_beads_on_one_bin_are_refused_by_the_datasets_rmsd():
    from chromapipe.superpose import dataset_rmsd

    rng = np.random.default_rng(1)
    twice = beads(rng)
    with pytest.raises(InputError, match="twice has more than one bead on a bin"):
        dataset_rmsd({"once": beads(rng), "twice": pl.concat([twice, twice.head(1)])}, {})
