"""Property tests: the PDB reader and the bin-map parser on random bytes and mutated real files.

Either a parsed result that round-trips, or the package's own InputError: never another exception.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chromapipe.beadmap import parse_bin_map
from chromapipe.errors import InputError
from chromapipe.structure import parse_pdb_bytes
from chromapipe.synthetic import format_pdb
from conftest import GSDB, MAPPING

PDB = (GSDB / "chr21.pdb").read_bytes()
BINS = "".join(line for line in MAPPING.read_text().splitlines(keepends=True) if line.split()[1] in ("21", "22", "23"))
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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


def check_pdb(raw):
    try:
        coords = parse_pdb_bytes(raw, "fuzz.pdb")
    except InputError as exc:
        assert str(exc).startswith("fuzz.pdb")
        return
    assert coords.dtype == np.float32 and coords.ndim == 2 and coords.shape[1] == 3
    assert np.isfinite(coords).all() and coords.shape[0] >= 1
    again = parse_pdb_bytes(format_pdb(coords.astype(np.float64)).encode(), "again.pdb")
    assert np.array_equal(again, coords)


def check_bins(text):
    try:
        bins = parse_bin_map(text, "fuzz.txt")
    except InputError as exc:
        assert str(exc).startswith("fuzz.txt")
        return
    rendered = "".join(f"{b} {c} {s} {e}\n" for b, c, s, e in bins.iter_rows())
    assert parse_bin_map(rendered).equals(bins)


@FUZZ
@given(st.binary(max_size=400))
def test_pdb_reader_on_random_bytes(raw):
    check_pdb(raw)


@FUZZ
@given(mutated(PDB))
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
    check_pdb(PDB)
    check_bins(BINS)
    assert parse_bin_map(BINS).height == len(BINS.splitlines())
    extreme = np.array([[-99.9999, 999.9999, 0.0], [0.0, 0.1, 0.2]])  # the 8-column field's limits, in nm
    check_pdb(format_pdb(extreme).encode())
