"""The table contracts (chromapipe.tables) and the steps that write them, without Snakemake."""

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from chromapipe import steps, tables
from chromapipe.errors import InputError
from chromapipe.structure import read_pdb
from conftest import GSDB, MAPPING, REFERENCE

REPO = Path(__file__).resolve().parents[1]


def test_readme_output_tables_are_generated_from_the_contracts():
    readme = (REPO / "README.md").read_text()
    section = tables.readme_section()
    assert section in readme, "regenerate the README's output tables: python -m chromapipe.tables"


def test_no_column_is_declared_twice_within_a_table_and_units_are_model_units():
    for contract in tables.TABLES.values():
        assert len(set(contract.names)) == len(contract.names), contract.kind
        for column in contract.columns:
            assert "nm" not in column.unit.split(), (contract.kind, column.name)
    assert tables.PHYSICAL.schema["dist_surface"] == pl.Float64
    assert all(tables.COMPILED.schema[c] == pl.Float32 for c in tables.PHYSICAL.names)


def test_write_refuses_a_frame_off_its_contract_and_leaves_nothing(tmp_path):
    good = pl.DataFrame({c: [0.5] for c in tables.SURFACE.names})
    bad = good.with_columns(pl.col("x").cast(pl.Float32))
    with pytest.raises(InputError, match=r"surface table does not have the declared schema: expected x:Float64"):
        tables.write({tmp_path / "a.parquet": ("surface", good, {}), tmp_path / "b.parquet": ("surface", bad, {})})
    assert not any(tmp_path.iterdir())


def test_read_casts_the_nextflow_csv_layout_and_names_missing_columns(tmp_path):
    physical = tables.read("physical", REFERENCE / "chr21_physical.csv")
    assert dict(physical.schema) == tables.PHYSICAL.schema and physical.height == 74
    annotations = tables.read("annotations", REFERENCE / "chr21_annotations.csv")
    assert annotations["n_fraction"].is_null().all()  # optional: the original had none
    broken = tmp_path / "p.csv"
    broken.write_text("x,y,z\n1,2,3\n")
    with pytest.raises(InputError, match=r"missing column\(s\) dist_surface, dist_com, dist_rolling_mean"):
        tables.read("physical", broken)
    with pytest.raises(InputError, match="unknown table kind 'nope'"):
        tables.read("nope", broken)


def test_a_chromosome_through_the_steps_reads_each_file_once(tmp_path, monkeypatch):
    """fetch_pdb, fetch_mapping, compute_physical, fetch_annotations (table), compile: each input parsed once."""
    calls = []
    import chromapipe.beadmap as beadmap
    import chromapipe.structure as structure

    for module, name in ((structure, "read_pdb"), (beadmap, "read_bin_map")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _o=original, _n=name: calls.append(_n) or _o(*a))
    staged = {k: tmp_path / f"{k}.parquet" for k in ("structure", "bins", "physical", "surface", "annotations")}
    steps.stage_structure(staged["structure"], "21", source=GSDB / "chr21.pdb")
    steps.stage_bins(MAPPING, staged["bins"])
    steps.run_physical(staged["structure"], staged["physical"], staged["surface"], "21")
    steps.run_annotations(staged["bins"], staged["annotations"], "21", "table", "GRCh37",
                          table=REFERENCE / "chr21_annotations.csv")  # fmt: skip
    out = tmp_path / "out"
    steps.run_compile(staged["physical"], staged["surface"], staged["annotations"], out / "chr21_compiled.parquet",
                      out / "chr21_surface.parquet", "21", "row-order", bins=staged["bins"])  # fmt: skip
    assert calls == ["read_pdb", "read_bin_map"]
    compiled = pl.read_parquet(out / "chr21_compiled.parquet")
    assert compiled.equals(pl.read_parquet(REFERENCE / "chr21_compiled.parquet"))
    meta = tables.read_metadata(out / "chr21_compiled.parquet")
    assert meta["physical"]["structure"] == "chr21.pdb" and meta["units"] == "model units"
    staged_coords = tables.read("structure", staged["structure"]).select("x", "y", "z").to_numpy()
    assert np.array_equal(staged_coords, read_pdb(GSDB / "chr21.pdb"))


def test_staging_errors_name_the_source_not_a_temporary_copy(tmp_path):
    import tarfile

    bad = tmp_path / "chr21.pdb"
    bad.write_text("<html>404</html>\n")
    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(bad, arcname="top/VC/chr21.pdb")
    with pytest.raises(InputError, match=re.escape(f"{archive}!VC/chr21.pdb: no ATOM records")):
        steps.stage_structure(tmp_path / "s.parquet", "21", source=archive, member="VC/chr21.pdb")
    assert not (tmp_path / "s.parquet").exists()


def test_rule_wiring_refuses_a_name_used_twice():
    with pytest.raises(InputError, match="'surface' is both"):
        steps.step_arguments({"surface": "a"}, {"surface": "b"}, {}, {"chr": "21"})
    assert steps.step_arguments({"a": 1}, {"b": 2}, {"c": 3}, {"chr": "X"}) == {"a": 1, "b": 2, "c": 3, "chrom": "X"}
    assert set(steps.STEPS) >= {"fetch_pdb", "compute_physical", "fetch_annotations", "compile"}
