"""The schemas compiled into chromapipe._schemas (chromapipe.schema): current, equal to the YAML, read without it."""

import subprocess
import sys
from pathlib import Path

import yaml

from chromapipe import _schemas, schema, settings


def test_the_compiled_schemas_are_current():
    """Fails when a schema changed and was not compiled again: run ``python -m chromapipe.schema``."""
    assert Path(schema.MODULE).read_text(encoding="utf-8") == schema.module_text()
    documents = [yaml.safe_load(Path(path).read_text(encoding="utf-8")) for path in schema.COMPILED]
    assert list(_schemas.SCHEMAS.values()) == documents
    assert [settings.read_schema(p) for p in (settings.SCHEMA, settings.SHEET_SCHEMA)] == documents


def test_a_schema_read_is_a_copy():
    first = schema.read()
    first["properties"]["surface"]["properties"]["grid"]["default"] = "changed"
    assert schema.read()["properties"]["surface"]["properties"]["grid"]["default"] != "changed"


def test_an_edited_schema_is_read_from_its_yaml(tmp_path):
    text = Path(schema.CONFIG).read_text(encoding="utf-8")
    edited = tmp_path / "config.schema.yaml"
    edited.write_text(text.replace("additionalProperties: false", "additionalProperties: true", 1), encoding="utf-8")
    assert schema.read(edited) == yaml.safe_load(edited.read_text(encoding="utf-8")) != schema.read()


def test_reading_an_unchanged_schema_parses_no_yaml(tmp_path):
    copy = tmp_path / "copy.yaml"
    copy.write_bytes(Path(schema.SHEET).read_bytes())  # the same bytes elsewhere: the compiled document
    code = (
        "import sys; from chromapipe import schema; "
        "assert schema.read(sys.argv[1]) and schema.option('surface', 'grid'); print('yaml' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(copy)], capture_output=True, text=True, check=True)
    assert result.stdout == "False\n"


def test_the_options_are_the_yaml_schemas_declarations():
    document = yaml.safe_load(Path(schema.CONFIG).read_text(encoding="utf-8"))
    for keys in (("surface", "mode"), ("surface", "grid"), ("features", "rg_window"), ("annotations", "max_rps")):
        assert schema.option(*keys) == schema.option(*keys, schema=document) == settings.option(*keys)
        assert schema.default(*keys) == settings.default(*keys, schema=document)
    assert schema.option("surface", "grid")["choices"] == ["auto", "original", "fitted"]
