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


def _python_text(value, dtype):
    """The reference: one value as Python writes it (float32 by its shortest float32 digits), '?' if empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    return repr(float(str(np.float32(value)))) if dtype == pl.Float32 else repr(value)


@pytest.mark.parametrize("dtype", [pl.Float32, pl.Float64, pl.Int32, pl.Int64])
def test_column_texts_are_pythons_repr_value_by_value(dtype):
    rng = np.random.default_rng(7)
    special = [0.0, -0.0, 1e-4, -1e-4, 9.99e-5, 1e-5, 3e-45, 1e15, 1e16, -1e16, 1e17, 3.0, -2.5, 0.1, 1 / 3,
               123456789.0, 16777217.0, float("inf"), float("-inf"), float("nan"), None]  # fmt: skip
    if dtype.is_float():
        values = [*special, *rng.normal(0, 1, 3000), *rng.normal(0, 1e6, 1000), *rng.uniform(-1e-3, 1e-3, 1000),
                  *np.round(rng.normal(0, 10, 1000), 4), *(10.0 ** rng.uniform(-40, 38, 1000))]  # fmt: skip
    else:
        values = [0, 1, -1, 2**31 - 1, -(2**31), None, *rng.integers(-(2**31), 2**31 - 1, 1000).tolist()]
    series = pl.Series(values, dtype=dtype, strict=False)
    assert export._texts(series).to_list() == [_python_text(v, dtype) for v in series.to_list()]


def test_the_mmcif_and_attribute_texts_line_by_line():
    table = pl.DataFrame(
        {
            "haplotype": ["pat", "pat", "mat"],
            "bead": pl.Series([2, 1, 1], dtype=pl.Int32),
            "x": pl.Series([0.5, 1e-5, 2.0], dtype=pl.Float32),
            "y": pl.Series([0.1, -3.25, None], dtype=pl.Float32),
            "z": pl.Series([1.0, 2.0, 3.0], dtype=pl.Float32),
            "gene_density": pl.Series([4, None, 0], dtype=pl.Int32),
        }
    )
    text, files = export.annotated(table, "7", "gene_density", "my set")
    assert text.splitlines()[:3] == ["data_my_set", "#", "_entry.id my_set"]
    assert text.endswith("\n#\n") and "\n\n" not in text
    atoms = [line for line in text.splitlines() if line.startswith("HETATM")]
    assert atoms == [
        "HETATM 1 C C . BEA chr7pat 1 1 1e-05 -3.25 2.0 1 ? 1 chr7pat C BEA 1",
        "HETATM 2 C C . BEA chr7pat 1 2 0.5 0.1 1.0 1 4 2 chr7pat C BEA 1",
        "HETATM 3 C C . BEA chr7mat 2 1 2.0 ? 3.0 1 0 1 chr7mat C BEA 1",
    ]
    bonds = [line for line in text.splitlines() if line.startswith("covale")]
    assert bonds == ["covale1 covale chr7pat BEA 1 C chr7pat 1 chr7pat BEA 2 C chr7pat 2"]
    assert sorted(files) == ["gene_density", "x", "y", "z"]
    assert files["y"].splitlines()[4:] == ["\t/chr7pat:1\t-3.25", "\t/chr7pat:2\t0.1"]
    assert files["gene_density"].endswith("\t/chr7pat:2\t4\n\t/chr7mat:1\t0\n")
    empty = export.defattr(table.with_columns(pl.lit(None, dtype=pl.Float32).alias("y")), "7", "y")
    assert empty == "# y of chr7, one value per bead (residue): chromapipe's compiled table\nattribute: y\n" \
                    "match mode: 1-to-1\nrecipient: residues\n"  # fmt: skip
