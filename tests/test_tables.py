"""The table contracts (chromapipe.tables): declared once, enforced on write and read."""

from pathlib import Path

import polars as pl
import pytest

from chromapipe import tables
from chromapipe.errors import InputError
from conftest import REFERENCE

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


# --- track and compartment columns, correlations (issue 17) -------------------------------------------------


def test_track_columns_end_the_table_and_are_named_by_its_metadata(tmp_path):
    frame = pl.DataFrame(
        {"start": [1, 11], "end": [10, 20], "gc_content": [0.4, None], "n_fraction": [0.0, 0.1],
         "gene_density": pl.Series([1, 0], dtype=pl.Int32), "lads": [0.5, None], "n_lads": [2, 0]}
    )  # fmt: skip
    meta = {"tracks": [{"name": "lads"}, {"name": "n_lads"}]}
    path = tmp_path / "ann.parquet"
    tables.write({path: ("annotations", frame, meta)})
    back = tables.read("annotations", path)
    assert back.columns[-2:] == ["lads", "n_lads"] and back.equals(frame)
    with pytest.raises(InputError, match="declared schema"):  # a track column the metadata does not name
        tables.write({tmp_path / "bad.parquet": ("annotations", frame, {"tracks": [{"name": "lads"}]})})
    with pytest.raises(InputError, match="n_lads:Float64 or Int64"):  # a track must be a number
        tables.check("annotations", frame.with_columns(pl.col("n_lads").cast(pl.String)), tracks=("lads", "n_lads"))
    with pytest.raises(InputError, match="has no track columns"):
        tables.check("surface", pl.DataFrame({"x": [1.0], "y": [1.0], "z": [1.0]}), tracks=("lads",))
    assert not (tmp_path / "bad.parquet").exists()


def test_the_readme_documents_the_new_columns():
    section = tables.readme_section()
    for column in ("rg_local", "neighbours", "compartment_e1", "compartment", "<track name>", "ci_low", "significant"):
        assert f"| `{column}` |" in section
