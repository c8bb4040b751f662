"""One registry per extension point: structure formats, track statistics (with their dtype), bead-map
sources and annotation sources. Both schemas' enums name exactly the registry's entries, in order."""

import polars as pl
import pytest

from chromapipe import beadmap, formats, settings, tables, tracks
from chromapipe.annotations import SOURCES

CONFIG = settings.read_schema(settings.SCHEMA)["properties"]
SHEET = settings.read_schema(settings.SHEET_SCHEMA)["properties"]


def test_both_schemas_name_the_structure_formats_of_the_registry():
    assert CONFIG["structures"]["properties"]["format"]["enum"] == list(formats.FORMATS)
    assert SHEET["format"]["enum"] == list(formats.FORMATS)


def test_both_schemas_name_the_bead_map_sources_of_the_registry():
    assert CONFIG["bead_map"]["properties"]["source"]["enum"] == list(beadmap.BEAD_MAP_SOURCES)
    assert SHEET["bead_map"]["enum"] == list(beadmap.BEAD_MAP_SOURCES)


def test_the_schema_names_the_track_statistics_of_the_registry():
    stat = CONFIG["tracks"]["items"]["properties"]["stat"]
    assert stat["enum"] == list(tracks.STATISTICS)


def test_the_schema_names_the_annotation_sources_of_the_registry():
    assert CONFIG["annotations"]["properties"]["source"]["enum"] == list(SOURCES)


def test_each_annotation_source_needs_what_its_registry_entry_names():
    from chromapipe.annotations import missing_inputs
    from chromapipe.errors import InputError

    for name, source in SOURCES.items():
        assert missing_inputs(name, {}) == list(source.needs)
        assert missing_inputs(name, dict.fromkeys(source.needs, "x")) == []
    with pytest.raises(InputError, match="annotation source 'rest' is not one of files, ensembl, table"):
        missing_inputs("rest", {})


def test_each_format_allows_the_statistics_the_registry_gives_it_the_first_its_default():
    assert tracks.STATS == {"bigwig": ("mean", "max"), "bedgraph": ("mean", "max"), "bed": ("coverage", "count")}
    for fmt, ending in (("bigwig", ".bw"), ("bedgraph", ".bedGraph"), ("bed", ".bed")):
        assert tracks.make_track("t", "x" + ending).stat == tracks.STATS[fmt][0]


@pytest.mark.parametrize("stat", list(tracks.STATISTICS))
def test_a_track_column_takes_its_statistics_dtype_from_the_registry(stat):
    assert tracks.dtype(stat) == getattr(pl, tracks.STATISTICS[stat].dtype)
    assert tracks.STATISTICS[stat].dtype in tables.TRACK_KINDS
    assert f"`{stat}`" in tables.TRACK_COLUMN.meaning


def test_the_schema_names_the_surface_modes_and_grids_of_the_physical_module():
    from chromapipe import physical

    surface = CONFIG["surface"]["properties"]
    assert surface["mode"]["enum"] == list(physical.SURFACE_MODES)
    assert surface["grid"]["enum"] == list(physical.GRID_MODES)


def test_the_features_defaults_have_one_home_the_schema():
    """No science function re-defaults a feature setting (rg_local and neighbours need theirs from the caller),
    and the command line and the workflow take the same values from the schema's section."""
    import numpy as np

    from chromapipe import neighbourhood, physical

    coords = np.arange(30, dtype=np.float32).reshape(10, 3)
    for call in (lambda: neighbourhood.rg_local(coords), lambda: neighbourhood.neighbours(coords),
                 lambda: physical.model_features(coords, "all", "auto")):  # fmt: skip
        with pytest.raises(TypeError, match="missing"):
            call()
    features = CONFIG["features"]["properties"]
    assert settings.check_section("features", {}) == {k: v["default"] for k, v in features.items()}


@pytest.mark.parametrize("stat", list(tracks.STATISTICS))
def test_a_tracks_axis_label_is_its_statistics_registry_label(stat):
    from chromapipe import report

    assert report.track_label("lads", stat) == f"lads\n{tracks.STATISTICS[stat].label}"
    assert report.track_label("lads", "median") == "lads"
