"""Compile: legacy parity with the Nextflow output, the corrected pairing, the declared schema."""

import json

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from chromapipe import tables
from chromapipe.compile import compile_chromosome, compile_legacy
from chromapipe.errors import InputError
from conftest import MAPPING, REFERENCE, run_cli


@pytest.fixture(scope="module")
def physical():
    return pl.read_csv(REFERENCE / "chr21_physical.csv")


@pytest.fixture(scope="module")
def annotations():
    return pl.read_csv(REFERENCE / "chr21_annotations.csv")


@pytest.fixture(scope="module")
def contacts21(tmp_path_factory, bins21):
    """A contact list whose positions give the 74 beads: the last 74 of the 97 bins."""
    path = tmp_path_factory.mktemp("contacts") / "chr21_list.txt"
    starts = bins21["start"].to_numpy()[23:]
    rows = [f"{a}\t{b}\t1.0" for a, b in zip(starts[:-1], starts[1:])] + [f"{starts[0]}\t{starts[0]}\t7.0"]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_legacy_reproduces_the_nextflow_parquet(physical, annotations, caplog):
    ours = compile_legacy("21", physical, annotations)
    theirs = pl.read_parquet(REFERENCE / "chr21_compiled.parquet")
    assert ours.schema == theirs.schema
    assert ours.equals(theirs)  # cell for cell, nulls included
    assert "pairing 74 beads with 97 bins by row number" in caplog.text


def test_legacy_schema_is_the_originals():
    theirs = pl.read_parquet(REFERENCE / "chr21_compiled.parquet")
    assert dict(theirs.schema) == tables.LEGACY.schema


def test_default_mode_one_row_per_bin_each_bead_on_its_bin(physical, annotations, bins21, contacts21):
    table = compile_chromosome("21", physical, annotations, bins21, "contacts", contacts21)
    assert dict(table.schema) == tables.COMPILED.schema
    assert table.height == 97
    assert table["start"].to_list() == bins21["start"].to_list()
    with_bead = table.filter(pl.col("bead").is_not_null())
    assert with_bead["bead"].to_list() == list(range(1, 75))
    assert with_bead["start"][0] == bins21["start"][23]
    # physical columns unchanged per bead (rounded to 4 decimals, Float32)
    for column in ("x", "dist_surface", "dist_rolling_mean"):
        want = physical[column].round(4).cast(pl.Float32)
        assert with_bead[column].equals(want.alias(column))
    # bins without a bead keep empty physical columns and their annotations
    empty = table.filter(pl.col("bead").is_null())
    assert empty.height == 23
    assert empty["x"].null_count() == 23
    assert empty["gc_content"].null_count() == 0
    assert table["chr"].unique().to_list() == ["21"]


def test_values_are_rounded_to_four_decimals(physical, annotations, bins21, contacts21):
    table = compile_chromosome("21", physical, annotations, bins21, "contacts", contacts21)
    values = table["dist_com"].drop_nulls().cast(pl.Float64).to_numpy()
    assert np.allclose(values, np.round(values, 4), atol=1e-7)


def test_mismatch_is_an_error_never_a_shift(physical, annotations, bins21):
    with pytest.raises(InputError, match="74 beads and the chromosome 97 bins"):
        compile_chromosome("21", physical, annotations, bins21, "sequential")


def test_annotations_must_match_the_bin_map(physical, annotations, bins21, contacts21):
    with pytest.raises(InputError, match="96 annotation rows for 97 bins"):
        compile_chromosome("21", physical, annotations.head(96), bins21, "contacts", contacts21)
    shifted = annotations.with_columns(pl.col("start") + 1)
    with pytest.raises(InputError, match="row 1 is 2-500000, the bin map says 1-500000"):
        compile_chromosome("21", physical, shifted, bins21, "contacts", contacts21)


@pytest.mark.slow
def test_cli_legacy_equals_reference(tmp_path):
    result = run_cli(
        "compile", "--chr", "21", "--legacy", "--outdir", tmp_path,
        "--physical", REFERENCE / "chr21_physical.csv",
        "--surface", REFERENCE / "chr21_surface.csv",
        "--annotations", REFERENCE / "chr21_annotations.csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "legacy mode" in result.stderr and "by row number" in result.stderr
    for name in ("chr21_compiled.parquet", "chr21_surface.parquet"):
        ours = pl.read_parquet(tmp_path / name)
        theirs = pl.read_parquet(REFERENCE / name)
        assert ours.schema == theirs.schema and ours.equals(theirs), name


@pytest.mark.slow
def test_cli_pipeline_default_mode_with_metadata(tmp_path, contacts21):
    pdb = REFERENCE.parent / "gsdb" / "chr21.pdb"
    result = run_cli("physical", pdb, "--chr", "chr21", "--outdir", tmp_path / "phys")
    assert result.returncode == 0, result.stderr
    physical = pl.read_parquet(tmp_path / "phys" / "chr21_physical.parquet")
    assert physical.columns == [
        "x",
        "y",
        "z",
        "dist_surface",
        "dist_com",
        "dist_rolling_mean",
        "rg_local",
        "neighbours",
        "radial_position_territory",
        "dist_periphery_territory",
    ]
    assert dict(physical.schema) == tables.PHYSICAL.schema  # Float64, and neighbours Int32
    result = run_cli(
        "compile", "--chr", "21", "--outdir", tmp_path / "out", "--mapping", MAPPING,
        "--physical", tmp_path / "phys" / "chr21_physical.parquet",
        "--surface", tmp_path / "phys" / "chr21_surface.parquet",
        "--annotations", REFERENCE / "chr21_annotations.csv",
        "--bead-map", f"contacts:{contacts21}", "--assembly", "GRCh37",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    compiled = tmp_path / "out" / "chr21_compiled.parquet"
    table = pl.read_parquet(compiled)
    assert dict(table.schema) == tables.COMPILED.schema and table.height == 97
    meta = json.loads(pq.read_schema(compiled).metadata[b"chromapipe"])
    assert meta["assembly"] == "GRCh37"
    assert meta["bead_map"] == {"source": "contacts", "file": "chr21_list.txt"}
    assert meta["physical"]["surface"] == "all" and meta["physical"]["grid"] == "original"
    assert meta["legacy"] is False and meta["chromapipe_version"]
    surface = pl.read_parquet(tmp_path / "out" / "chr21_surface.parquet")
    assert surface.shape == (12493, 3)
    reference = pl.read_csv(REFERENCE / "chr21_surface.csv").to_numpy()
    assert np.array_equal(surface.to_numpy(), reference)
