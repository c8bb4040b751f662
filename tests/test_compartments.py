"""A/B compartments (chromapipe.compartments) on a synthetic contact list with a planted checkerboard,
and against cooler + cooltools (test dependencies only) on the example's contact lists.

The reference tests are marked slow: importing cooler and cooltools takes seconds, and cooltools'
first eigs_cis in a process more (numba compiles its observed/expected kernel).
"""

import os
import tempfile
import warnings

import numpy as np
import polars as pl
import pytest

from chromapipe import compartments
from chromapipe.errors import InputError
from conftest import EXAMPLE

WIDTH = 100_000
N_BINS = 160


def bin_map(n=N_BINS):
    starts = np.arange(n) * WIDTH + 1
    return pl.DataFrame({"bin": np.arange(1, n + 1), "chr": "21", "start": starts, "end": starts + WIDTH - 1})


def planted_labels(seed, n=N_BINS):
    """+1 (A) / -1 (B) in runs of 5-15 bins."""
    rng = np.random.default_rng(seed)
    labels, sign = [], 1
    while len(labels) < n:
        labels += [sign] * int(rng.integers(5, 16))
        sign = -sign
    return np.array(labels[:n])


def write_contacts(path, labels, seed, zero_based=False):
    """Poisson counts: a power-law decay with distance, x 1.6 within a compartment type, x 0.4 across."""
    rng = np.random.default_rng(seed)
    n = labels.size
    i, j = np.triu_indices(n)
    distance = (j - i).astype(float)
    mean = 2_000.0 * (distance + 1.0) ** -1.0 * np.where(labels[i] == labels[j], 1.6, 0.4)
    count = rng.poisson(mean)
    keep = count > 0
    offset = 0 if zero_based else 1
    rows = [f"{a * WIDTH + offset}\t{b * WIDTH + offset}\t{c}" for a, b, c in zip(i[keep], j[keep], count[keep])]
    path.write_text("\n".join(rows) + "\n")


def gc_for(labels, seed, direction=1.0):
    rng = np.random.default_rng(seed)
    return (0.41 + direction * 0.03 * labels + rng.normal(0, 0.01, labels.size)).tolist()


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("compartments") / "chr21_list.txt"
    labels = planted_labels(7)
    write_contacts(path, labels, 8)
    return path, labels


def test_planted_checkerboard_recovered_and_oriented_by_gc(planted):
    path, labels = planted
    result = compartments.compartments(path, bin_map(), gc_for(labels, 9), "chr21")
    assert result.schema == pl.Schema({"compartment_e1": pl.Float32, "compartment": pl.String})
    assert result.height == N_BINS
    called = np.array(result["compartment"].to_list())
    defined = called != None  # noqa: E711 (elementwise)
    # ICE masks a few low-coverage bins (the chromosome's ends, a short run near one end): E1 is empty there
    assert defined.mean() > 0.9
    planted_calls = np.where(labels > 0, "A", "B")
    assert np.mean(called[defined] == planted_calls[defined]) > 0.95
    e1 = result["compartment_e1"].to_numpy()
    gc = np.array(gc_for(labels, 9))
    assert np.corrcoef(e1[defined], gc[defined])[0, 1] > 0


def test_orientation_follows_gc(planted):
    path, labels = planted
    forward = compartments.compartments(path, bin_map(), gc_for(labels, 9), "21")["compartment_e1"].to_numpy()
    flipped = compartments.compartments(path, bin_map(), gc_for(labels, 9, -1.0), "21")["compartment_e1"].to_numpy()
    np.testing.assert_allclose(flipped, -forward, rtol=1e-5)
    defined = np.isfinite(flipped)
    assert np.mean(np.sign(flipped[defined]) == -labels[defined]) > 0.95


def test_zero_based_positions_and_masked_bins(tmp_path):
    labels = planted_labels(3)
    path = tmp_path / "list.txt"
    write_contacts(path, labels, 4, zero_based=True)
    # a bin with no contact at all: E1 and the compartment are empty there
    lines = [line for line in path.read_text().splitlines() if f"{50 * WIDTH}\t" not in line + "\t"]
    path.write_text("\n".join(lines) + "\n")
    result = compartments.compartments(path, bin_map(), gc_for(labels, 5), "21")
    assert result["compartment_e1"][50] is None
    assert result["compartment"][50] is None
    assert result["compartment_e1"].null_count() < 16


def test_labels():
    assert compartments.labels(np.array([0.5, -0.1, np.nan, 0.0])) == ["A", "B", None, None]


def test_positions_off_the_bin_map(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("1\t100001\t5\n1\t150000\t3\n")
    with pytest.raises(InputError, match=r"list.txt: .*not bin starts of the bin map \(e.g. 150000"):
        compartments.compartments(path, bin_map(), [0.4] * N_BINS, "21")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\t100001\t5\n1\t100001\n", r"line 2: expected 3 fields 'pos1 pos2 count', found 2"),
        ("# header\n1\tfoo\t5\n", r"line 2: fields must be numbers"),
        ("1.5\t100001\t5\n", r"positions must be integers"),
        ("# nothing\n", r"the contact list is empty"),
        ("1\t100001\t0\n", r"no contact with a positive count"),
    ],
)
def test_malformed_contact_lists(tmp_path, text, message):
    path = tmp_path / "list.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        compartments.compartments(path, bin_map(), [0.4] * N_BINS, "21")


def test_no_gc_to_orient(planted):
    path, _ = planted
    with pytest.raises(InputError, match="no bin has a GC content"):
        compartments.compartments(path, bin_map(), [None] * N_BINS, "21")


def test_a_list_too_sparse_to_balance_gives_empty_compartments_and_says_so(tmp_path, caplog):
    """Contacts only between neighbouring bins: every bin has fewer than 10 non-zero contacts, all are masked."""
    bins = bin_map(40)
    starts = bins["start"].to_list()
    path = tmp_path / "chr21_list.txt"
    path.write_text("".join(f"{a}\t{b}\t5\n" for a, b in zip(starts, starts[1:])))
    with caplog.at_level("WARNING", logger="chromapipe"):
        result = compartments.compartments(path, bins, [0.4] * 40, "21")
    assert result["compartment_e1"].null_count() == result["compartment"].null_count() == 40
    assert "no bin kept by the balancing" in caplog.text


def test_bins_of_several_widths_are_refused(planted):
    path, labels = planted
    bins = bin_map()
    bins = bins.with_columns(
        pl.when(pl.col("bin") == 6).then(pl.col("start") + 49_999).otherwise(pl.col("end")).alias("end")
    )
    with pytest.raises(
        InputError, match=r"chromosome 21: the bin map's bins are of several widths \(50000, 100000 bp\)"
    ):
        compartments.compartments(path, bins, gc_for(labels, 9), "21")


def test_a_shorter_last_bin_is_taken(planted):
    path, labels = planted
    bins = bin_map()
    shorter = bins.with_columns(
        pl.when(pl.col("bin") == N_BINS).then(pl.col("start") + 999).otherwise(pl.col("end")).alias("end")
    )
    expected = compartments.compartments(path, bins, gc_for(labels, 9), "21")
    assert compartments.compartments(path, shorter, gc_for(labels, 9), "21").equals(expected)


def test_e1_is_empty_where_gc_cannot_orient_it(planted):
    """GC the same in every balanced bin: the correlation that orients E1 is undefined (cooltools: E1 all NaN)."""
    path, _ = planted
    result = compartments.compartments(path, bin_map(), [0.4] * N_BINS, "21")
    assert result["compartment_e1"].null_count() == result["compartment"].null_count() == N_BINS


def test_the_two_eigen_solvers_agree_and_arpack_is_deterministic(planted):
    """LAPACK's full decomposition (small matrices) and ARPACK's from its seeded start (large ones)."""
    path, labels = planted
    pixels = compartments.contact_pixels(*compartments.read_contacts(path), bin_map())
    dense = compartments.cis_eigenvector(pixels, bin_map(), gc_for(labels, 9), "21")
    arpack = [_forced_arpack(pixels, bin_map(), gc_for(labels, 9)) for _ in range(2)]
    np.testing.assert_array_equal(arpack[0], arpack[1])
    np.testing.assert_allclose(arpack[0], dense, rtol=1e-9, atol=1e-9 * np.nanmax(np.abs(dense)))
    assert np.isfinite(dense).sum() > 0.9 * N_BINS


def _forced_arpack(pixels, bins, gc):
    original = compartments.DENSE_ROWS
    compartments.DENSE_ROWS = 0
    try:
        return compartments.cis_eigenvector(pixels, bins, gc, "21")
    finally:
        compartments.DENSE_ROWS = original


def test_a_balancing_that_does_not_converge_says_so(planted, caplog, monkeypatch):
    path, labels = planted
    monkeypatch.setattr(compartments, "MAX_ITERATIONS", 2)
    with caplog.at_level("WARNING", logger="chromapipe"):
        compartments.compartments(path, bin_map(), gc_for(labels, 9), "21")
    assert "chr21: the balancing did not converge in 2 iterations" in caplog.text


# --- the same numbers as cooler + cooltools (test dependencies, not imported at run time) ----------------------


def example_case(chrom):
    """The example's contact list of ``chrom``, its bins and their GC content (the annotations step's)."""
    from chromapipe.annotations import from_source
    from chromapipe.beadmap import chromosome_bins, read_bin_map

    bins = chromosome_bins(read_bin_map(EXAMPLE / "bins.txt"), chrom)
    frame, _ = from_source(
        bins, chrom, "files", "example", fasta=EXAMPLE / "genome.fa.gz", gtf=EXAMPLE / "genes.gtf.gz"
    )
    return EXAMPLE / f"chr{chrom}_list.txt", bins, frame["gc_content"].to_list()


def planted_case(n, seed, folder):
    """A planted checkerboard of ``n`` bins written in ``folder``: its contact list, bins and GC content."""
    path = folder / "list.txt"
    labels = planted_labels(seed, n)
    write_contacts(path, labels, seed + 1)
    return path, bin_map(n), gc_for(labels, seed + 2)


def _cooler(pixels, bins, tmp):
    """The contact matrix as a cooler in ``tmp`` (as chromapipe did before it computed ICE itself)."""
    import cooler
    import pandas as pd

    starts = np.asarray(bins["start"], dtype=np.int64) - 1
    ends = np.asarray(bins["end"], dtype=np.int64)
    table = pd.DataFrame({"chrom": "21", "start": starts, "end": ends})
    uri = os.path.join(tmp, "contacts.cool")
    cooler.create_cooler(uri, table, pixels.to_pandas(), dtypes={"count": np.float64}, ordered=True,
                         symmetric_upper=True)  # fmt: skip
    return cooler.Cooler(uri), table


def reference(pixels, bins, gc, **balance):
    """cooler's ICE weights and cooltools' E1 (None when no balanced bin has a GC content).

    The settings are the definition's (README), written out: the module's constants are checked, not passed.
    """
    import cooler
    from cooltools.api.eigdecomp import eigs_cis

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clr, table = _cooler(pixels, bins, tmp)
        weights, _ = cooler.balance_cooler(clr, ignore_diags=2, min_nnz=10, store=True, **balance)
        gc = np.array([np.nan if v is None else v for v in gc])
        if not (np.isfinite(weights) & np.isfinite(gc)).any():
            return weights, None
        view = pd_view(table)
        _, eigvecs = eigs_cis(clr, phasing_track=table.assign(GC=gc), view_df=view, n_eigs=1, clip_percentile=99.9)
    return weights, eigvecs["E1"].to_numpy(np.float64)


def pd_view(table):
    import pandas as pd

    return pd.DataFrame({"chrom": ["21"], "start": [0], "end": [int(table["end"].iloc[-1])], "name": ["21"]})


def _pixels_of(path, bins):
    return compartments.contact_pixels(*compartments.read_contacts(path), bins)


def _weights(pixels, n):
    columns = (pixels[c].to_numpy() for c in ("bin1_id", "bin2_id"))
    return compartments.ice_weights(*columns, pixels["count"].to_numpy().astype(np.float64), n)[0]


def assert_same_weights(ours, theirs):
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("chrom", ["19", "21", "X"])
def test_the_weights_are_coolers_on_the_example(chrom):
    path, bins, gc = example_case(chrom)
    pixels = _pixels_of(path, bins)
    weights, _ = reference(pixels, bins, [None] * bins.height)  # no GC: the balancing alone
    assert np.isfinite(weights).sum() > 0.8 * bins.height
    assert_same_weights(_weights(pixels, bins.height), weights)


@pytest.mark.slow
def test_the_weights_are_coolers_when_the_iterations_run_out(planted, monkeypatch):
    path, _ = planted
    pixels = _pixels_of(path, bin_map())
    monkeypatch.setattr(compartments, "MAX_ITERATIONS", 3)
    weights, _ = reference(pixels, bin_map(), [None] * N_BINS, max_iters=3)
    assert_same_weights(_weights(pixels, N_BINS), weights)


@pytest.mark.slow
def test_observed_over_expected_is_cooltools(planted):
    """cooltools' kernel run as plain Python (its ``py_func``: no numba compilation), on a balanced matrix."""
    from cooltools.lib import numutils

    path, _ = planted
    pixels = _pixels_of(path, bin_map())
    weights = _weights(pixels, N_BINS)
    matrix = np.zeros((N_BINS, N_BINS))
    i, j, count = pixels["bin1_id"].to_numpy(), pixels["bin2_id"].to_numpy(), pixels["count"].to_numpy()
    matrix[i, j] = matrix[j, i] = count
    balanced = np.nan_to_num(matrix * np.outer(weights, weights), nan=0.0)
    mask = balanced.sum(axis=0) > 0
    assert not mask.all()
    expected, edges, _, _ = numutils.observed_over_expected.py_func(balanced, mask)
    np.testing.assert_array_equal(compartments.observed_over_expected(balanced, mask), expected)
    for n in (6, 33, 34, 160, 5_000):
        np.testing.assert_array_equal(compartments.log_bins(n), numutils._logbins_numba.py_func(1, n, 1.03))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["chr19", "chr21", "chrX", "planted-160", "planted-700"])
def test_e1_is_cooltools(case, tmp_path):
    """E1 to 1e-9 (relative to its largest value) and the stored Float32 column equal to the bit.

    The example's chromosomes and a planted checkerboard of 160 bins go through the full eigen
    decomposition, one of 700 bins through ARPACK.
    """
    if case.startswith("chr"):
        path, bins, gc = example_case(case[3:])
    else:
        path, bins, gc = planted_case(int(case.split("-")[1]), 21, tmp_path)
    pixels = _pixels_of(path, bins)
    weights, e1 = reference(pixels, bins, gc)
    assert_same_weights(_weights(pixels, bins.height), weights)
    ours = compartments.cis_eigenvector(pixels, bins, gc, "21")
    defined = np.isfinite(e1)
    assert defined.mean() > 0.8
    np.testing.assert_array_equal(np.isfinite(ours), defined)
    np.testing.assert_allclose(ours, e1, rtol=1e-9, atol=1e-9 * np.abs(e1[defined]).max())
    stored = compartments.compartments(path, bins, gc, "21")["compartment_e1"]
    np.testing.assert_array_equal(stored.to_numpy(), pl.Series(e1, dtype=pl.Float32).fill_nan(None).to_numpy())
