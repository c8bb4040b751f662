"""Bin map parsing and bead <-> bin pairing (defect 1)."""

import numpy as np
import pytest

from chromapipe.beadmap import (
    bead_map,
    chromosome_bins,
    parse_bead_map_spec,
    parse_bin_map,
    read_bin_map,
)
from chromapipe.errors import InputError
from conftest import MAPPING


def test_real_bin_map():
    bins = read_bin_map(MAPPING)
    assert bins.height == 6207
    assert chromosome_bins(bins, "1").height == 499
    assert chromosome_bins(bins, 21).height == 97
    x = chromosome_bins(bins, "chrX")
    assert x["chr"].unique().to_list() == ["X"]
    assert chromosome_bins(bins, "21")["end"][-1] == 48_129_895


def test_x_as_23_and_as_name_agree():
    numeric = parse_bin_map("1 23 1 500000\n2 23 500001 1000000\n")
    named = parse_bin_map("1 X 1 500000\n2 chrX 500001 1000000\n")
    assert numeric.equals(named)
    assert numeric["chr"].to_list() == ["X", "X"]


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("1 21 1 500000\n2 21 abc 1000000\n", 2, "must be integers"),
        ("1 21 1 500000 extra\n", 1, "expected 4 fields"),
        ("1 21 500001 1000000\n2 21 1 500000\n", 2, "not sorted"),
        ("1 21 1 500000\n2 21 400000 900000\n", 2, "overlaps the previous bin"),
        ("1 21 1 500000\n1 21 500001 1000000\n", 2, "bin index 1 already used"),
        ("1 21 500 100\n", 1, "bad interval"),
        ("1 26 1 500000\n", 1, "not a human chromosome"),
        ("", None, "no bins"),
    ],
)
def test_bad_bin_maps(text, line, message):
    with pytest.raises(InputError) as info:
        parse_bin_map(text, "map.txt")
    assert message in str(info.value)
    assert str(info.value).startswith("map.txt")
    if line:
        assert f"line {line}:" in str(info.value)


def test_missing_chromosome_lists_what_is_there():
    bins = parse_bin_map("1 21 1 500000\n")
    with pytest.raises(InputError, match=r"chromosome 22 has no bins in the bin map \(it has: 21\)"):
        chromosome_bins(bins, "22")


def write_contacts(path, positions, extra=""):
    rows = [f"{p}\t{q}\t{c}" for p, q, c in zip(positions[:-1], positions[1:], [2.5] * len(positions))]
    path.write_text("\n".join(rows) + "\n" + extra)
    return path


def test_contacts_pairing_keeps_off_diagonal_positive_contacts(tmp_path, bins21):
    starts = bins21["start"].to_numpy()
    beads = starts[[5, 6, 9, 20, 40]]
    # a diagonal-only bin and a zero-count bin must not become beads
    extra = f"{starts[60]}\t{starts[60]}\t9\n{starts[70]}\t{starts[5]}\t0\n"
    path = write_contacts(tmp_path / "chr21_list.txt", beads, extra)
    rows = bead_map(5, bins21, "contacts", path)
    assert rows.tolist() == [5, 6, 9, 20, 40]


def test_zero_based_contact_positions_are_recognised(tmp_path, bins21):
    starts = bins21["start"].to_numpy()
    path = write_contacts(tmp_path / "c.txt", starts[[1, 2, 3]] - 1)
    assert bead_map(3, bins21, "contacts", path).tolist() == [1, 2, 3]


def test_count_mismatch_names_both_counts_and_source(tmp_path, bins21):
    starts = bins21["start"].to_numpy()
    path = write_contacts(tmp_path / "c.txt", starts[[1, 2, 3]])
    with pytest.raises(InputError) as info:
        bead_map(74, bins21, "contacts", path)
    message = str(info.value)
    assert "74 beads" in message and "gives 3 bead positions" in message and str(path) in message


def test_sequential_needs_equal_counts(bins21):
    assert bead_map(97, bins21, "sequential").tolist() == list(range(97))
    with pytest.raises(InputError, match="structure has 74 beads and the chromosome 97 bins"):
        bead_map(74, bins21, "sequential")


def test_positions_off_the_grid(tmp_path, bins21):
    path = write_contacts(tmp_path / "c.txt", np.array([1, 250001, 500001]))
    with pytest.raises(InputError, match=r"not bin starts of the bin map \(e.g. 250001"):
        bead_map(3, bins21, "contacts", path)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("1\t1\t5\n", "no off-diagonal contact"),
        ("1 2\n", "expected 3 fields"),
        ("1 x 3\n", "must be numbers"),
    ],
)
def test_bad_contact_lists(tmp_path, bins21, text, message):
    path = tmp_path / "c.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        bead_map(1, bins21, "contacts", path)


def test_3dmax_mapping(tmp_path, bins21):
    starts = bins21["start"].to_numpy()
    path = tmp_path / "chr21_coordinate_mapping.txt"
    # rows in any order; index is 0-based
    path.write_text(f"{starts[30]}\t1\n{starts[12]}\t0\n{starts[31]}\t2\n")
    assert bead_map(3, bins21, "mapping3dmax", path).tolist() == [12, 30, 31]
    path.write_text(f"{starts[30]}\t0\n{starts[12]}\t2\n")
    with pytest.raises(InputError, match="without gaps"):
        bead_map(2, bins21, "mapping3dmax", path)


def test_bead_map_spec():
    assert parse_bead_map_spec("sequential") == ("sequential", None)
    assert parse_bead_map_spec("contacts:/a/b.txt") == ("contacts", "/a/b.txt")
    for bad in ("contacts", "nearest:f", "sequential:f"):
        with pytest.raises(InputError):
            parse_bead_map_spec(bad)
