"""A/B compartments (chromapipe.compartments) on a synthetic contact list with a planted checkerboard.

The first eigen decomposition in a process costs ~15 s (numba compiles cooltools'
observed/expected kernel), so the tests that run one are marked slow and share
one process's compilation.
"""

import numpy as np
import polars as pl
import pytest

from chromapipe import compartments
from chromapipe.errors import InputError

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


@pytest.mark.slow
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


@pytest.mark.slow
def test_orientation_follows_gc(planted):
    path, labels = planted
    forward = compartments.compartments(path, bin_map(), gc_for(labels, 9), "21")["compartment_e1"].to_numpy()
    flipped = compartments.compartments(path, bin_map(), gc_for(labels, 9, -1.0), "21")["compartment_e1"].to_numpy()
    np.testing.assert_allclose(flipped, -forward, rtol=1e-5)
    defined = np.isfinite(flipped)
    assert np.mean(np.sign(flipped[defined]) == -labels[defined]) > 0.95


@pytest.mark.slow
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
