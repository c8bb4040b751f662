"""Annotated structures (chromapipe.export): the mmCIF read back by gemmi, the ChimeraX attribute files."""

import math
import zipfile

import numpy as np
import polars as pl
import pytest

from chromapipe import export, steps
from chromapipe.errors import InputError


@pytest.fixture(scope="module")
def exported(example_chr21, tmp_path_factory):
    root, _, _ = example_chr21
    out = tmp_path_factory.mktemp("annotated")
    steps.export_structure(str(root / "chr21_compiled.parquet"), str(out / "chr21.cif"),
                           str(out / "chr21_attributes.zip"), "21", colour_by="rg_local")  # fmt: skip
    return steps.read_compiled(root / "chr21_compiled.parquet"), out


def test_gemmi_reads_back_the_beads_coordinates_and_b_factors(exported):
    gemmi = pytest.importorskip("gemmi")
    table, out = exported
    beads = table.filter(pl.col("bead").is_not_null())
    structure = gemmi.read_structure(str(out / "chr21.cif"))
    atoms = [(ch.name, r.name, r.seqid.num, a.name, a.pos, a.b_iso) for ch in structure[0] for r in ch for a in r]
    assert len(structure) == 1 and len(atoms) == beads.height > 40
    assert {a[0] for a in atoms} == {"chr21"} and {a[1] for a in atoms} == {"BEA"}
    assert [a[2] for a in atoms] == beads["bead"].to_list()
    xyz = np.array([[a[4].x, a[4].y, a[4].z] for a in atoms])
    np.testing.assert_allclose(xyz, beads.select("x", "y", "z").to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose([a[5] for a in atoms], beads["rg_local"].to_numpy(), rtol=1e-6)


def test_consecutive_beads_are_bonded(exported):
    gemmi = pytest.importorskip("gemmi")
    table, out = exported
    structure = gemmi.read_structure(str(out / "chr21.cif"))
    bonds = [(c.partner1.res_id.seqid.num, c.partner2.res_id.seqid.num) for c in structure.connections]
    beads = table["bead"].drop_nulls().sort().to_list()
    assert bonds == list(zip(beads[:-1], beads[1:], strict=True)) and len(bonds) > 40
    assert {c.type for c in structure.connections} == {gemmi.ConnectionType.Covale}


def test_one_attribute_file_per_numeric_column_in_chimerax_format(exported):
    table, out = exported
    numeric = [c for c, t in table.schema.items() if t.is_numeric() and c != "bead"]
    archive = zipfile.ZipFile(out / "chr21_attributes.zip")
    assert sorted(name.removesuffix(".defattr") for name in archive.namelist()) == sorted(numeric)
    assert {"dist_surface", "gc_content", "radial_position_territory", "gene_density"} <= set(numeric)
    lines = archive.read("dist_surface.defattr").decode().splitlines()
    assert lines[1:4] == ["attribute: dist_surface", "match mode: 1-to-1", "recipient: residues"]
    data = [line.split("\t") for line in lines[4:]]
    beads = table.filter(pl.col("bead").is_not_null())
    assert [d[1] for d in data] == [f"/chr21:{b}" for b in beads["bead"].to_list()]
    assert all(d[0] == "" for d in data)  # tab-indented
    np.testing.assert_allclose([float(d[2]) for d in data], beads["dist_surface"].to_numpy(), rtol=1e-6)
    genes = archive.read("gene_density.defattr").decode().splitlines()[4:]
    assert all(line.split("\t")[2].isdigit() for line in genes)  # integers stay integers


def test_empty_values_assign_nothing_and_are_unknown_b_factors():
    table = pl.DataFrame(
        {
            "chr": ["1"] * 4,
            "haplotype": ["pat", "pat", "mat", "mat"],
            "bead": pl.Series([1, 2, 1, 2], dtype=pl.Int32),
            **{a: pl.Series([0.5, 1.25, 2.0, 3.0], dtype=pl.Float32) for a in "xyz"},
            "dist_homolog": pl.Series([1.5, None, 1.5, None], dtype=pl.Float32),
        }
    )
    text = export.mmcif(table, "1", "dist_homolog")
    atoms = [line.split() for line in text.splitlines() if line.startswith("HETATM")]
    assert [a[6] for a in atoms] == ["chr1pat", "chr1pat", "chr1mat", "chr1mat"]
    assert [a[13] for a in atoms] == ["1.5", "?", "1.5", "?"]
    assert text.count("covale ") == 2  # within each homolog, not across
    attributes = export.defattr(table, "1", "dist_homolog").splitlines()[4:]
    assert attributes == ["\t/chr1pat:1\t1.5", "\t/chr1mat:1\t1.5"]
    assert not math.isnan(float(atoms[0][9]))


def test_a_b_factor_needs_a_numeric_column():
    table = pl.DataFrame({"bead": pl.Series([1], dtype=pl.Int32), "compartment": ["A"], "x": [0.0], "y": [0.0],
                          "z": [0.0]})  # fmt: skip
    with pytest.raises(InputError, match="compartment_e1"):
        export.mmcif(table, "1", "compartment")
    with pytest.raises(InputError, match="not a column"):
        export.mmcif(table, "1", "nope")
