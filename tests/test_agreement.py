"""chromapipe.agreement: a structure's 3D distances against its contact counts."""

import numpy as np
import polars as pl
import pytest
from scipy import stats as scipy_stats

from chromapipe import agreement, tables
from chromapipe import compile as compile_
from chromapipe.errors import InputError
from chromapipe.synthetic import random_walk

STEP = 1000


def _bins(n):
    starts = np.arange(n, dtype=np.int64) * STEP + 1
    return pl.DataFrame({"start": starts, "end": starts + STEP - 1})


def _beads(coords, starts, model=1, haplotype=None):
    return pl.DataFrame({
        "haplotype": pl.Series([haplotype] * len(starts), dtype=pl.String),
        "model": pl.Series([model] * len(starts), dtype=pl.Int32),
        "start": np.asarray(starts, dtype=np.int64),
        "x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2],
    })  # fmt: skip


def _contacts_from(coords, bins):
    """Every pair i <= j, count a decreasing function of distance (plus the diagonal, and a zero count)."""
    n = coords.shape[0]
    i, j = np.triu_indices(n)
    d = np.linalg.norm(coords[i] - coords[j], axis=1)
    count = np.round(100 / (1 + d**2), 3)
    starts = bins["start"].to_numpy()
    return starts[i], starts[j], count


def test_against_scipy_and_definition():
    coords = random_walk(40, seed=2)
    bins = _bins(40)
    pos1, pos2, count = _contacts_from(coords, bins)
    start1, start2, summed = agreement.contact_pairs(pos1, pos2, count, bins)
    assert (start1 < start2).all()  # i = j dropped
    frame = agreement.agreement(_beads(coords, bins["start"]), start1, start2, summed)
    row = frame.row(0, named=True)
    keep = summed > 0
    a = (start1[keep] - 1) // STEP
    b = (start2[keep] - 1) // STEP
    distance = np.linalg.norm(coords[a] - coords[b], axis=1)
    assert row["pairs"] == keep.sum()
    assert row["rho"] == pytest.approx(scipy_stats.spearmanr(distance, summed[keep])[0], abs=1e-12)
    assert row["pearson"] == pytest.approx(scipy_stats.pearsonr(summed[keep], 1 / distance)[0], abs=1e-12)
    assert row["rho"] < -0.9  # counts fall with distance


def test_only_beads_on_bins_and_repeats_summed():
    coords = random_walk(5, seed=1)
    bins = _bins(6)
    starts = bins["start"].to_numpy()
    beads = _beads(coords[[0, 1, 2, 4]], starts[[0, 1, 2, 4]])  # bins 3 and 5 without a bead
    pos1 = starts[[0, 0, 0, 1, 3, 2, 0]]
    pos2 = starts[[1, 1, 2, 4, 4, 5, 4]]
    count = np.array([1.0, 2.0, 5.0, 4.0, 9.0, 7.0, 0.0])
    start1, start2, summed = agreement.contact_pairs(pos1, pos2, count, bins)
    assert summed[(start1 == starts[0]) & (start2 == starts[1])].tolist() == [3.0]
    values = agreement.agreement(beads, start1, start2, summed)
    assert values["pairs"].to_list() == [3]  # (0,1), (0,2), (1,4); (3,4), (2,5) have a bin without bead; 0 dropped


def test_few_pairs_and_summary_values():
    coords = random_walk(3, seed=0)
    bins = _bins(3)
    starts = bins["start"].to_numpy()
    frame = agreement.agreement(_beads(coords, starts), starts[:1], starts[1:2], np.array([4.0]))
    assert frame["pairs"].to_list() == [1] and np.isnan(frame["rho"][0])
    values = agreement.summary_values(frame)
    assert values == {"contact_pairs": 1, "contact_distance_rho": None, "contact_distance_pearson": None}
    both = pl.DataFrame({"haplotype": ["pat", "mat"], "model": [1, 1], "pairs": [10, 8], "rho": [-0.5, -0.7],
                         "pearson": [0.2, 0.4]})  # fmt: skip
    assert agreement.summary_values(both) == {
        "contact_pairs": 8,
        "contact_distance_rho": pytest.approx(-0.6),
        "contact_distance_pearson": pytest.approx(0.3),
    }
    assert agreement.summary_values(None)["contact_distance_rho"] is None


def test_per_model_and_homolog():
    bins = _bins(30)
    starts = bins["start"].to_numpy()
    good = random_walk(30, seed=4)
    pos1, pos2, count = _contacts_from(good, bins)
    shuffled = good[np.random.default_rng(0).permutation(30)]
    beads = pl.concat(
        [_beads(good, starts, 1, "pat"), _beads(shuffled, starts, 2, "pat"), _beads(good, starts, 1, "mat")]
    )
    start1, start2, summed = agreement.contact_pairs(pos1, pos2, count, bins)
    frame = agreement.agreement(beads, start1, start2, summed)
    assert frame.select("haplotype", "model").rows() == [("pat", 1), ("pat", 2), ("mat", 1)]
    assert frame["rho"][0] < -0.9 and abs(frame["rho"][1]) < 0.5 and frame["rho"][2] == frame["rho"][0]


def test_off_grid_positions_are_an_error():
    bins = _bins(4)
    with pytest.raises(InputError, match="not bin starts"):
        agreement.contact_pairs(np.array([1, 5]), np.array([1001, 2001]), np.array([1.0, 1.0]), bins, "c.txt")


def test_bead_coordinates_join():
    compiled = pl.DataFrame({"start": [1, 1001, 2001], "bead": pl.Series([2, None, 1], dtype=pl.Int32)})
    physical = pl.DataFrame({"model": pl.Series([1, 1, 2, 2], dtype=pl.Int32), "x": [0.0, 1.0, 2.0, 3.0],
                             "y": [0.0] * 4, "z": [0.0] * 4})  # fmt: skip
    frame = compile_.bead_coordinates(compiled, physical)
    assert frame.select("model", "bead", "start", "x").rows() == [(1, 1, 2001, 0.0), (1, 2, 1, 1.0), (2, 1, 2001, 2.0),
                                                                  (2, 2, 1, 3.0)]  # fmt: skip


def test_summary_columns_empty_without_contacts():
    values, scatters = agreement.summary_agreement(["21"], [pl.DataFrame()], [], [])
    assert values[0]["contact_distance_rho"] is None and scatters[0][1] is None
    with pytest.raises(InputError, match="physical tables"):
        agreement.summary_agreement(["21"], [pl.DataFrame()], [], ["c.txt"])
    assert "contact_distance_rho" in tables.SUMMARY.names


def test_against_loop_reference():
    from loop_agreement import loop_agreement

    rng = np.random.default_rng(1)
    coords = random_walk(60, seed=9)
    bins = _bins(60)
    starts = bins["start"].to_numpy()
    pos1, pos2 = rng.choice(starts, 400), rng.choice(starts, 400)  # repeats, both orders, the diagonal
    count = rng.integers(-1, 20, 400).astype(np.float64)
    on_bins = np.sort(rng.choice(60, 50, replace=False))
    beads = _beads(coords[on_bins], starts[on_bins])
    fast = agreement.agreement(beads, *agreement.contact_pairs(pos1, pos2, count, bins)).row(0)[2:]
    slow = loop_agreement(starts[on_bins], coords[on_bins], pos1, pos2, count)
    assert fast[0] == slow[0]
    np.testing.assert_allclose(fast[1:], slow[1:], atol=1e-12)


def test_the_summary_step_fills_the_columns_with_a_contact_list_only(example_chr21, tmp_path):
    from chromapipe import steps
    from conftest import EXAMPLE

    root, paths, _ = example_chr21
    compiled, surface = [str(root / "chr21_compiled.parquet")], [str(root / "chr21_surface.parquet")]
    out = {k: str(tmp_path / f"{k}.{e}") for k, e in (("table", "tsv"), ("parquet", "parquet"), ("figure", "png"))}
    steps.summary(compiled, surface, **out, physical=[str(paths["physical"])], contacts=[str(EXAMPLE / "chr21_list.txt")],
                  model_rmsd=str(tmp_path / "m.parquet"), contact_figure=str(tmp_path / "c.png"))  # fmt: skip
    row = tables.read("summary", out["parquet"]).row(0, named=True)
    assert row["contact_pairs"] > 100 and -1 < row["contact_distance_rho"] < 0 < row["contact_distance_pearson"] < 1
    staged = tmp_path / "chr21_contacts.parquet"  # fetch_contacts: the list on the bins, read by the summary
    steps.fetch_contacts(EXAMPLE / "chr21_list.txt", paths["bins"], staged, "21")
    steps.summary(compiled, surface, **out, physical=[str(paths["physical"])], contacts=[str(staged)])
    assert tables.read("summary", out["parquet"]).row(0, named=True) == row
    assert tables.read("model_rmsd", tmp_path / "m.parquet").is_empty()  # one model
    steps.summary(compiled, surface, **out)
    row = tables.read("summary", out["parquet"]).row(0, named=True)
    assert row["contact_pairs"] is None and row["contact_distance_rho"] is None
    bad = tmp_path / "bad_list.txt"
    bad.write_text("1 2 3\n5 x 1\n")
    with pytest.raises(InputError, match="bad_list"):
        steps.summary(compiled, surface, **out, physical=[str(paths["physical"])], contacts=[str(bad)])


def test_the_contact_list_settings():
    from test_settings import EXAMPLE_CONFIG, load, no_compartments

    run = load(EXAMPLE_CONFIG)
    assert run.agreement_contacts("21").location.endswith("chr21_list.txt")  # the compartments' list
    assert load(no_compartments(EXAMPLE_CONFIG)).agreement_contacts("X").location.endswith("chrX_list.txt")
    assert (
        load({**EXAMPLE_CONFIG, "legacy": True, "compartments": False, "report": {}}).agreement_contacts("21") is None
    )
    positions = {**no_compartments(EXAMPLE_CONFIG), "bead_map": {"source": "sequential"}}
    assert load(positions).agreement_contacts("21") is None  # no list given: the columns stay empty
