"""Property tests: the PDB reader and the bin-map parser on random bytes and mutated real files.

Either a parsed result that round-trips through our own writer, or the package's own InputError
naming the file: never another exception. The examples are fixed (conftest.py's Hypothesis profile).
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chromapipe.beadmap import parse_bin_map
from chromapipe.errors import InputError
from chromapipe.formats.pdb import format_pdb, parse_pdb_bytes
from conftest import GSDB, MAPPING

PDB = (GSDB / "chr21.pdb").read_bytes()
BINS = "".join(line for line in MAPPING.read_text().splitlines(keepends=True) if line.split()[1] in ("21", "22", "23"))
FUZZ = settings(max_examples=300)
# the first ATOM's z coordinate without its decimal point: once read as -485.8 nm, beyond the writer's range
LOST_DECIMAL = PDB.replace(b"  -4.858  0.20", b"   -4858  0.20", 1)


@st.composite
def mutated(draw, original):
    """A real file with a few random edits: cut, insert, replace, duplicate or drop lines."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "insert", "replace", "truncate", "duplicate_line", "drop_line"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif kind == "replace" and data:
            data[at] = draw(st.sampled_from(list(b"0123456789 .-+eEnaNINFxX\t\n\x00\xff")))
        elif kind == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate_line":
                lines.insert(i, lines[i])
            else:
                del lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def pdb_round_trips(raw, name):
    """Parse ``raw`` (an InputError propagates) and check the writer gives back the same coordinates."""
    coords = parse_pdb_bytes(raw, name)
    assert coords.dtype == np.float32 and coords.ndim == 2 and coords.shape[1] == 3
    assert np.isfinite(coords).all() and coords.shape[0] >= 1
    again = parse_pdb_bytes(format_pdb(coords.astype(np.float64)).encode(), "again.pdb")
    assert np.array_equal(again, coords)
    return coords


def bins_round_trip(text, name):
    """Parse ``text`` (an InputError propagates) and check a re-rendered map parses to the same table."""
    bins = parse_bin_map(text, name)
    rendered = "".join(f"{b} {c} {s} {e}\n" for b, c, s, e in bins.iter_rows())
    assert parse_bin_map(rendered).equals(bins)
    return bins


def check_pdb(raw):
    """A fuzzed input: a round trip, or an InputError naming the file."""
    try:
        pdb_round_trips(raw, "fuzz.pdb")
    except InputError as exc:
        assert str(exc).startswith(("fuzz.pdb: ", "fuzz.pdb, line ")), exc


def check_bins(text):
    try:
        bins_round_trip(text, "fuzz.txt")
    except InputError as exc:
        assert str(exc).startswith(("fuzz.txt: ", "fuzz.txt, line ")), exc


@FUZZ
@given(st.binary(max_size=400))
def test_pdb_reader_on_random_bytes(raw):
    check_pdb(raw)


@FUZZ
@given(mutated(PDB))
@example(LOST_DECIMAL)
def test_pdb_reader_on_mutated_structures(raw):
    check_pdb(raw)


@FUZZ
@given(st.binary(max_size=300))
def test_bin_map_parser_on_random_bytes(raw):
    check_bins(raw.decode("latin-1"))


@FUZZ
@given(mutated(BINS.encode()))
def test_bin_map_parser_on_mutated_maps(raw):
    check_bins(raw.decode("latin-1"))


def test_unmutated_files_round_trip():
    # no InputError is caught here: a rejected real file fails the test
    assert pdb_round_trips(PDB, "chr21.pdb").shape == (74, 3)
    assert bins_round_trip(BINS, "bins.txt").height == len(BINS.splitlines())
    extreme = np.array([[-99.9999, 999.9999, 0.0], [0.0, 0.1, 0.2]])  # the 8-column field's limits, in nm
    assert pdb_round_trips(format_pdb(extreme).encode(), "extreme.pdb").shape == (2, 3)


def test_a_coordinate_without_its_decimal_point_is_rejected():
    assert LOST_DECIMAL != PDB
    with pytest.raises(InputError, match=r"^fuzz.pdb, line 2: z coordinate '   -4858' \(columns 47-54\)"):
        parse_pdb_bytes(LOST_DECIMAL, "fuzz.pdb")
