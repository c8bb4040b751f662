"""PDB reading: bit-identical to mdtraj on real files, and every defect named with file and line."""

import numpy as np
import pytest

from chromapipe.errors import InputError
from chromapipe.formats.pdb import format_pdb, parse_pdb, read_pdb
from conftest import GSDB, random_coords

GOOD = (GSDB / "chr21.pdb").read_text()


@pytest.mark.parametrize("name", ["chr21.pdb", "chr1.pdb"])
def test_same_coordinates_as_mdtraj(name):
    import mdtraj as md  # a pinned test dependency: missing, the comparison fails rather than skips

    ours = read_pdb(GSDB / name)
    theirs = md.load(str(GSDB / name)).xyz[0]
    assert ours.dtype == np.float32
    assert np.array_equal(ours, theirs)


def test_bead_counts():
    assert read_pdb(GSDB / "chr21.pdb").shape == (74, 3)
    assert read_pdb(GSDB / "chr1.pdb").shape == (451, 3)


def test_synthetic_writer_round_trips_and_matches_gsdb_format(tmp_path):
    coords = np.array(
        [
            [float(line[30:38]), float(line[38:46]), float(line[46:54])]
            for line in GOOD.splitlines()
            if line.startswith("ATOM")
        ]
    )
    assert format_pdb(coords / 10) == GOOD
    walk = random_coords(300, seed=3)
    path = tmp_path / "walk.pdb"
    path.write_text(format_pdb(walk))
    assert np.allclose(read_pdb(path), walk, atol=5e-5)


def _lines():
    return GOOD.splitlines(keepends=True)


def _with_line(lineno, new):
    lines = _lines()
    lines[lineno - 1] = new
    return "".join(lines)


def _atom(serial, resseq, x="   1.000", y="   2.000", z="   3.000"):
    return f"ATOM  {serial:>5d}   CA MET A{resseq:<4}    {x}{y}{z}  0.20 10.00\n"


BAD = {
    "no atoms": ("3DMAX STRUCTURE\nEND\n", None, "no ATOM records"),
    "html page": ("<!DOCTYPE html><html><body>404 Not Found</body></html>\n", None, "HTML page"),
    "empty": ("", None, "no ATOM records"),
    "non-numeric": (_with_line(3, _atom(2, 2, x="   abc  ")), 3, "x coordinate 'abc' (columns 31-38) is not a number"),
    "nan": (_with_line(4, _atom(3, 3, y="     nan")), 4, "y coordinate 'nan' (columns 39-46) is not finite"),
    "inf": (_with_line(4, _atom(3, 3, z="     inf")), 4, "z coordinate 'inf' (columns 47-54) is not finite"),
    "duplicated residue": (_with_line(4, _atom(3, 2)), 4, "residue number 2 is duplicated or out of order: expected 3"),
    "skipped residue": (_with_line(4, _atom(3, 5)), 4, "residue number 5 is not consecutive: expected 3"),
    "not starting at 1": (_with_line(2, _atom(1, 7)), 2, "expected 1"),
    "truncated mid-line": ("".join(_lines()[:10]) + _lines()[10][:40], 11, "too short for the x, y, z columns"),
    "truncated between lines": (
        "".join(_lines()[:30]),
        None,
        "neither CONECT nor END records after the last ATOM (line 30)",
    ),
    "lost decimal point": (
        _with_line(3, _atom(2, 2, x="   -1497")),
        3,
        "x coordinate '   -1497' (columns 31-38) is not a fixed-point number with exactly three decimals",
    ),
    "two decimals": (_with_line(5, _atom(4, 4, y="   -1.49")), 5, "y coordinate '   -1.49' (columns 39-46)"),
    "four decimals": (_with_line(5, _atom(4, 4, z=" -1.4970")), 5, "z coordinate ' -1.4970' (columns 47-54)"),
    "exponent": (_with_line(5, _atom(4, 4, z="  1.5e+2")), 5, "z coordinate '  1.5e+2' (columns 47-54)"),
    "left-aligned": (_with_line(5, _atom(4, 4, x="1.497   ")), 5, "x coordinate '1.497   ' (columns 31-38)"),
    "digit separator": (_with_line(5, _atom(4, 4, y="1_00.000")), 5, "y coordinate '1_00.000' (columns 39-46)"),
    "non-integer residue": (_with_line(3, _atom(2, "B")), 3, "residue number 'B'"),
    "second chain": (_with_line(3, _atom(2, 2).replace(" A2", " B2")), 3, "second chain 'B'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_pdb_names_file_and_line(tmp_path, case):
    text, line, message = BAD[case]
    path = tmp_path / "bad.pdb"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_pdb(path)
    text = str(info.value)
    assert text.startswith(str(path)), text
    if line is not None:
        assert f"line {line}:" in text, text
    assert message in text, text


def test_end_or_conect_marks_a_complete_atom_section():
    no_end = GOOD.replace("END\n", "")
    assert parse_pdb(no_end).shape == (74, 3)
    no_conect = "".join(line for line in _lines() if not line.startswith("CONECT"))
    assert parse_pdb(no_conect).shape == (74, 3)


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "bin.pdb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(InputError, match="not a PDB text file"):
        read_pdb(path)
    with pytest.raises(InputError, match="cannot read structure"):
        read_pdb(tmp_path / "missing.pdb")


def test_parse_accepts_lowercase_record_padding_and_models():
    text = "MODEL        1\n" + _atom(1, 1) + _atom(2, 2) + "ENDMDL\nEND\n"
    assert parse_pdb(text).shape == (2, 3)
    with pytest.raises(InputError, match="more than one MODEL"):
        parse_pdb("MODEL 1\n" + _atom(1, 1) + "ENDMDL\nMODEL 2\n" + _atom(1, 1) + "END\n")


def ensemble_pdb(path, chains="A", models=3, beads=60, residue="ALA"):
    """A multi-model PDB as writers other than nuc_dynamics write ensembles: MODEL blocks, ATOM records."""
    lines = []
    for model in range(1, models + 1):
        lines.append(f"MODEL     {model:4d}")
        serial = 0
        for chain in chains:
            coords = random_coords(beads, seed=model) * 10
            for i, (x, y, z) in enumerate(coords, start=1):
                serial += 1
                lines.append(f"ATOM  {serial:5d}  CA  {residue} {chain}{i:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00")
        lines.append("ENDMDL")
    path.write_text("\n".join(lines + ["END"]) + "\n")
    return path


def test_a_multi_model_pdb_of_one_unnamed_chain_is_that_chromosome_read_as_an_ensemble(tmp_path, caplog):
    import logging

    import polars as pl

    from chromapipe.stage import load_structure
    from conftest import run_cli

    path = ensemble_pdb(tmp_path / "ensemble.pdb")
    with caplog.at_level(logging.INFO):
        frame, info = load_structure(path, "1")
    assert info["models"] == 3 and frame.height == 3 * 60
    assert frame["model"].unique().sort().to_list() == [1, 2, 3]
    assert "one chain (chain A)" in caplog.text and "taking it as chromosome 1" in caplog.text
    result = run_cli("physical", path, "--chr", "1", "--outdir", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "taking it as chromosome 1" in result.stderr
    physical = pl.read_parquet(tmp_path / "out" / "chr1_physical.parquet")
    assert physical["model"].unique().sort().to_list() == [1, 2, 3]


def test_an_unnamed_chain_is_taken_only_when_it_is_the_files_only_one(tmp_path):
    from chromapipe.stage import load_structure

    with pytest.raises(InputError, match=r"chromosome 1 is not in the structure \(it has: chain A, chain B\)"):
        load_structure(ensemble_pdb(tmp_path / "two.pdb", chains="AB"), "1")
    # a chain that names its chromosome (nuc_dynamics' C_2) is that chromosome, not the one asked for
    with pytest.raises(InputError, match=r"chromosome 1 is not in the structure \(it has: 2\)"):
        load_structure(ensemble_pdb(tmp_path / "named.pdb", residue="C_2"), "1")
