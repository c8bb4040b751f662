"""The run config, loaded and checked without Snakemake (chromapipe.settings)."""

import copy
import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from chromapipe import settings
from chromapipe.physical import physical_features

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def no_compartments(config):
    """The config without compartments (a pairing without a contact list): the example colours by them."""
    return {**config, "compartments": False, "report": {}}


def load(config, roots=(str(REPO),), **kwargs):
    return settings.load(config, roots, **kwargs)


def test_the_example_config_loads_with_the_schema_defaults():
    run = load(EXAMPLE_CONFIG)
    assert run.chromosomes == ("19", "21", "X")
    assert run.outdir == "results" and run.out("chr21_compiled.parquet") == "results/chr21_compiled.parquet"
    assert run.bead_map.source == "contacts" and run.bead_map.files is not None
    assert run.structure("21") == settings.Input(str(REPO / "workflow/resources/example/chr21.pdb"))
    assert run.bead_map_file("X").location.endswith("example/chrX_list.txt")
    assert run.annotations.source == "files" and run.annotations.ensembl is None
    assert {Path(i.location).suffix for i in run.annotations.fasta_index} == {".fai", ".gzi"}
    assert len(run.final_outputs()) == 3 * 7 + 9  # + model_rmsd.parquet, .png, contact_distance.png


def test_defaults_come_from_the_schema_and_agree_with_the_library():
    config = {k: v for k, v in EXAMPLE_CONFIG.items() if k not in ("outdir", "surface", "legacy")}
    run = load(config)
    schema = settings.read_schema()
    assert run.outdir == schema["properties"]["outdir"]["default"]
    assert run.legacy is schema["properties"]["legacy"]["default"]
    assert (
        run.annotations.genes.location == f"{settings.default('annotations', 'references')}/example/genes.genes.parquet"
    )
    # the surface defaults are the reference definition's: physical_features' own defaults
    defaults = {p.name: p.default for p in __import__("inspect").signature(physical_features).parameters.values()}
    assert (run.surface.mode, run.surface.grid) == (defaults["mode"], defaults["grid"])


def test_the_config_is_not_modified_and_the_result_is_frozen():
    config = copy.deepcopy(EXAMPLE_CONFIG)
    del config["surface"]
    before = copy.deepcopy(config)
    run = load(config)
    assert config == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.legacy = True


def test_every_problem_is_listed_at_once():
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["annotations"] = {"source": "files"}
    config["outdir"] = "../elsewhere"
    with pytest.raises(settings.ConfigError) as error:
        load(config)
    assert error.value.problems == [
        "config key 'outdir': '../elsewhere' leaves the working directory; give an absolute path if that is what "
        "you want",
        "annotations.source 'files' needs annotations.fasta",
        "annotations.source 'files' needs annotations.gtf",
    ]


def test_schema_problems_are_listed_together_with_their_keys():
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["legacy"] = "maybe"
    config["surface"] = {"mode": "inside"}
    config["chromosome"] = 21
    with pytest.raises(settings.ConfigError) as error:
        load(config)
    problems = error.value.problems
    assert len(problems) == 3
    assert any("'chromosome' (did you mean 'chromosomes'?)" in p for p in problems)
    assert "config key 'legacy': 'maybe' is not a boolean" in problems
    assert "config key 'surface.mode': 'inside' is not one of all, exterior" in problems


def test_ensembl_needs_an_assembly_it_can_serve():
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["annotations"] = {"source": "ensembl"}
    with pytest.raises(settings.ConfigError, match="assembly 'example': the ensembl source needs GRCh37 or GRCh38"):
        load(config)
    config["assembly"] = "GRCh37"
    ensembl = load(config).annotations.ensembl
    assert ensembl == settings.Ensembl(None, 15, ".cache/ensembl", 10, None)


@pytest.mark.parametrize(
    "legacy,source,pairing,has_bead_map",
    [
        (False, "contacts", "contacts", True),
        (False, "sequential", "sequential", False),
        (True, "contacts", "contacts", False),
    ],
)
def test_the_bead_map_source_is_the_configs_and_legacy_reads_no_bead_map(legacy, source, pairing, has_bead_map):
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["legacy"] = legacy
    config["bead_map"]["source"] = source
    config = config if source == "contacts" else no_compartments(config)  # the others have no contact list
    run = load(config)
    assert run.bead_map.source == pairing
    assert run.legacy is legacy  # the layout is decided at the edge, by compile (and parity)
    assert (run.bead_map.files is not None) is has_bead_map
    assert (run.bead_map_file("21") is not None) is has_bead_map


def test_missing_local_files_are_listed_per_chromosome(tmp_path):
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["structures"] = {"path": str(tmp_path / "chr{chr}.pdb")}
    (tmp_path / "chr21.pdb").write_text("x")
    with pytest.raises(settings.ConfigError) as error:
        load(config)
    lines = error.value.problems
    assert [line.split(":")[0] for line in lines] == ["structures.path (chr19)", "structures.path (chrX)"]
    assert "relative paths are looked up in the working directory, then in the repository" in lines[-1]
    # jobs on other machines do not check: their inputs are staged
    assert load(config, check_files=False).structure("19").location == str(tmp_path / "chr19.pdb")


def test_a_local_file_takes_precedence_over_the_url(tmp_path):
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["structures"] = {"path": str(tmp_path / "chr{chr}.pdb"), "url": "https://example.org/s/chr{chr}.pdb"}
    (tmp_path / "chr21.pdb").write_text("x")
    run = load(config)
    assert run.structure("21") == settings.Input(str(tmp_path / "chr21.pdb"))
    assert run.structure("X") == settings.Input("https://example.org/s/chrX.pdb")
    assert run.structure("X").is_url


def test_an_archive_is_the_input_and_the_path_names_the_member(tmp_path):
    archive = tmp_path / "data.tar.gz"
    archive.write_bytes(b"")
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["bead_map"] = {"source": "contacts", "archive": str(archive), "path": "VC/chr{chr}_list.txt"}
    assert load(config).bead_map_file("21") == settings.Input(str(archive), "VC/chr21_list.txt")
    config["bead_map"] = {"source": "contacts", "archive": str(tmp_path / "absent.zip")}
    with pytest.raises(settings.ConfigError) as error:
        load(config)
    assert error.value.problems == ["bead_map.archive needs bead_map.path: the member's path with {chr}"]
    config["bead_map"]["path"] = "VC/chr{chr}_list.txt"
    with pytest.raises(settings.ConfigError) as error:
        load(config)
    assert "bead_map.archive: " in error.value.problems[0] and "absent.zip does not exist" in error.value.problems[0]


def test_relative_paths_are_found_under_each_root_in_turn(tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["mapping"] = "mine.txt"
    run = load(config, roots=(str(tmp_path), str(REPO)))
    assert run.mapping.location == str(tmp_path / "mine.txt")
    assert run.structure("21").location == str(REPO / "workflow/resources/example/chr21.pdb")


def test_the_assembly_is_required_unless_a_gsdb_dataset_gives_it():
    config = {k: v for k, v in EXAMPLE_CONFIG.items() if k != "assembly"}
    with pytest.raises(settings.ConfigError, match="assembly: set the assembly"):
        load(config)
    gsdb = {"id": "AX9716PF", "filename": "GSE105544_ENCFF010WBP", "algorithm": "3dmax"}
    run = load({"chromosomes": [21], "gsdb": gsdb, "annotations": {"source": "ensembl"}})
    assert (run.assembly, run.algorithm, run.bead_map.source) == ("GRCh37", "3DMax", "contacts")
    assert run.notes == ("gsdb.algorithm '3dmax' read as '3DMax'",)
    assert run.dataset.location.endswith("/Dataset/AX9716PF/GSE105544_ENCFF010WBP.tar.gz")
    assert run.mapping == settings.Input("results/dataset/VC/GSE105544_ENCFF010WBP_mapping.txt", produced=True)
    primary = run.structure("21")
    assert primary.urls[0].endswith("/gsdb/AX9716PF/GSE105544_ENCFF010WBP/VC/3DMax/chr21.pdb")
    assert primary.urls[1].startswith("https://calla.rnet.missouri.edu/genome3d/GSDB/Database/AX9716PF/")
    assert run.dataset_metadata()["cell_type"] == "Hi-C from brain microvascular endothelial cell"


def test_an_algorithm_without_an_established_rule_pairs_one_bead_per_bin_or_stops():
    gsdb = {"id": "AX9716PF", "filename": "GSE105544_ENCFF010WBP", "algorithm": "MOGEN"}
    run = load({"chromosomes": [21], "gsdb": gsdb, "annotations": {"source": "ensembl"}})
    assert run.bead_map.source == "sequential" and run.bead_map.files is None and run.dataset is not None
    gsdb["algorithm"] = "Chromosome3D"
    assert load({"chromosomes": [21], "gsdb": gsdb, "annotations": {"source": "ensembl"}}).bead_map.source == "list"


def test_a_dataset_the_catalogue_lacks_runs_with_an_assembly_and_a_warning():
    gsdb = {"id": "QQ1234ZZ", "filename": "GSE999_NEW", "algorithm": "3DMax"}
    with pytest.raises(settings.ConfigError, match="the shipped catalogue lacks GSDB ID QQ1234ZZ"):
        load({"chromosomes": [21], "gsdb": gsdb, "annotations": {"source": "ensembl"}})
    run = load({"chromosomes": [19], "gsdb": {**gsdb, "assembly": "mm10"}, "annotations": {"source": "files",
               "fasta": "https://example.org/mm10.fa.gz", "gtf": "https://example.org/mm10.gtf.gz"}})  # fmt: skip
    assert run.assembly == "GRCm38" and run.autosomes == 19
    assert any("catalogue lacks" in note for note in run.notes)


def test_mouse_chromosomes_are_numbered_for_mouse():
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["assembly"] = "mm10"
    config["chromosomes"] = "19,X"
    assert load(config).chromosomes == ("19", "X")
    config["chromosomes"] = "20"
    with pytest.raises(settings.ConfigError, match="'20' is not accepted; name sex chromosomes X and Y"):
        load(config)


def test_structure_format_and_haplotype_keys_and_the_positions_pairing():
    from chromapipe import formats

    schema = settings.read_schema()["properties"]["structures"]["properties"]
    assert schema["format"]["enum"] == list(formats.FORMATS)
    run = load(EXAMPLE_CONFIG)
    assert run.structures.format is None and run.structures.haplotype is None  # from the extension; haploid
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["structures"].update(format="dipc-3dg", haplotype="mat")
    config = no_compartments(config)
    config["bead_map"] = {"source": "positions"}
    run = load(config, check_files=False)
    assert (run.structures.format, run.structures.haplotype, run.bead_map.source, run.bead_map.files) == (
        "dipc-3dg",
        "mat",
        "positions",
        None,
    )
    config["bead_map"]["path"] = "x_{chr}.txt"
    config["structures"]["format"] = "pdb"
    with pytest.raises(settings.ConfigError) as error:
        load(config, check_files=False)
    assert "remove bead_map's path" in str(error.value) and "a GSDB/3DMax PDB" in str(error.value)
    config["structures"]["format"] = "xyz"
    with pytest.raises(settings.ConfigError, match="'structures.format': 'xyz' is not one of pdb, nucdyn-pdb"):
        load(config, check_files=False)


def test_one_genome_wide_structure_file_serves_every_chromosome(tmp_path):
    cell = tmp_path / "cell.3dg"
    cell.write_text("")
    config = copy.deepcopy(EXAMPLE_CONFIG)
    config["structures"] = {"path": str(cell)}
    config["bead_map"] = {"source": "positions"}
    config = no_compartments(config)
    run = load(config)
    assert {run.structure(c).location for c in run.chromosomes} == {str(cell)}
    cell.unlink()
    with pytest.raises(settings.ConfigError) as error:
        load(config)
    assert str(error.value).count("cell.3dg does not exist") == 1


def test_a_datasets_sheet_gives_one_run_per_row_and_lists_every_bad_row(tmp_path):
    sheet = tmp_path / "datasets.tsv"
    sheet.write_text(
        "# name, structures, pairing\n"
        "dataset\tstructures\tformat\tbead_map\tbead_map_path\tspecies\tassembly\n"
        "ex\tworkflow/resources/example/chr{chr}.pdb\t\tcontacts\tworkflow/resources/example/chr{chr}_list.txt\t"
        "human\t\n"
        "cell\tcell.3dg\tdipc-3dg\tpositions\t\thuman\tGRCh38\n"
    )
    config = {**no_compartments(copy.deepcopy(EXAMPLE_CONFIG)), "datasets": str(sheet)}
    runs = settings.load_runs(config, (str(REPO),), check_files=False)
    assert runs.sheet and list(runs.runs) == ["ex", "cell"]
    assert (
        runs["ex"].outdir == "results/ex"
        and runs["ex"].bead_map.source == "contacts"
        and runs["ex"].assembly == "example"
    )
    cell = runs["cell"]
    assert (cell.bead_map.source, cell.structures.format, cell.assembly, cell.species) == (
        "positions",
        "dipc-3dg",
        "GRCh38",
        "human",
    )
    assert cell.dataset_metadata() == {"name": "cell", "species": "human", "format": "dipc-3dg"}
    assert "results/comparison/datasets.tsv" in runs.final_outputs()
    assert "results/comparison/rmsd.parquet" in runs.final_outputs()
    assert runs["ex"].dataset_metadata()["name"] == "ex"
    single = settings.load_runs(EXAMPLE_CONFIG, (str(REPO),))
    assert not single.sheet and single.first.out("x") == "results/x" and single.comparison_outputs() == []
    sheet.write_text(
        "dataset\tstructures\tformat\n"
        "ex\tx_{chr}.pdb\tpdbx\n"
        "comparison\tx_{chr}.pdb\t\n"
        "b\tx_{chr}.pdb\t\tone too many\n"
    )
    with pytest.raises(settings.ConfigError) as error:
        settings.load_runs(config, (str(REPO),), check_files=False)
    text = str(error.value)
    assert "datasets.tsv line 2: the row key 'format'" not in text  # the key is named, not 'the config'
    assert "line 2: config key 'format': 'pdbx' is not one of pdb" in text
    assert "line 3: the name 'comparison' is reserved" in text
    assert "line 4: more cells than the header's 3 columns" in text
    sheet.write_text("dataset\tstructures\tbead_mappath\nex\tx_{chr}.pdb\t\n")  # misspelt, every cell empty
    with pytest.raises(
        settings.ConfigError, match="line 1: unknown column 'bead_mappath' .did you mean 'bead_map_path'"
    ):
        settings.load_runs(config, (str(REPO),), check_files=False)


def test_the_shipped_datasets_sheet_loads():
    runs = settings.load_runs({**EXAMPLE_CONFIG, "datasets": "config/datasets.tsv"}, (str(REPO),))
    assert list(runs.runs) == ["example"] and runs["example"].structures.format == "pdb"
    assert runs["example"].out("chr21_compiled.parquet") == "results/example/chr21_compiled.parquet"


def test_the_compare_example_loads_three_datasets_and_asks_for_the_rmsd():
    """config/compare.yaml: the PDBs, the diploid nucleus and the ensemble, all three against the example's
    contact lists (two are paired by their own positions), with the datasets' RMSD among the final outputs."""
    config = yaml.safe_load((REPO / "config" / "compare.yaml").read_text())
    runs = settings.load_runs(config, (str(REPO),))
    assert list(runs.runs) == ["example", "nucleus", "ensemble"]
    assert [runs[n].structures.format for n in runs.runs] == ["pdb", "dipc-3dg", "nucdyn-pdb"]
    assert all(runs[n].contact_list("21") for n in runs.runs)
    final = runs.final_outputs()
    assert "results/compare/comparison/rmsd.png" in final
    assert "results/compare/ensemble/summary/model_rmsd.parquet" in final


def test_the_example_ensemble_is_the_pdbs_structure_then_two_moved_models():
    """workflow/resources/example/ensemble.pdb.gz (chromapipe.example): model 1 holds each chr{N}.pdb's beads
    as they are, on the contact lists' bins; the other models are those beads jittered and moved."""
    import numpy as np

    from chromapipe import superpose
    from chromapipe.formats import read_structure

    example = REPO / "workflow" / "resources" / "example"
    ensemble = read_structure(example / "ensemble.pdb.gz")
    assert ensemble.format == "nucdyn-pdb" and ensemble.model_ids == [1, 2, 3]
    for chrom in ("19", "21", "X"):
        part = ensemble.select(chrom)
        first, *others = part.coords_by_model()
        pdb = read_structure(example / f"chr{chrom}.pdb")
        np.testing.assert_allclose(first, pdb.coords, atol=1e-4)
        rows = [line.split() for line in (example / f"chr{chrom}_list.txt").read_text().splitlines()]
        beads = sorted({int(p) for a, b, count in rows if a != b and float(count) > 0 for p in (a, b)})
        assert part.positions.tolist() == beads
        rmsd, scaled = superpose.pairwise_rmsd(np.stack([first, *others]))
        assert 0.02 < rmsd[0, 1] < 0.1 and 0.02 < rmsd[0, 2] < 0.1  # jittered by 0.03 per axis, then moved


# --- tracks, compartments, structure-feature parameters and the report's colouring (issue 17) -----------


def test_the_example_has_two_tracks_compartments_and_the_feature_defaults():
    run = load(EXAMPLE_CONFIG)
    assert [(t.track.name, t.track.format, t.track.stat) for t in run.tracks] == [
        ("h3k9me3", "bigwig", "mean"),
        ("lads", "bed", "coverage"),
    ]
    assert all(Path(t.source.location).is_file() for t in run.tracks)
    assert run.contact_list("21") == run.bead_map_file("21")  # compartments: true reads the bead map's list
    schema = settings.read_schema()["properties"]["features"]["properties"]
    without = {k: v for k, v in EXAMPLE_CONFIG.items() if k != "features"}
    assert (load(without).features.rg_window, load(without).features.neighbour_radius) == (
        schema["rg_window"]["default"],
        schema["neighbour_radius"]["default"],
    )
    off = load({**without, "tracks": [], "compartments": False, "report": {}})
    assert off.tracks == () and off.contact_list("21") is None and off.report.colour_by == "dist_surface"


def test_a_track_given_by_url_is_an_input_to_download():
    config = {**EXAMPLE_CONFIG, "tracks": [{"name": "lads", "path": "https://example.org/data/LADs.bed.gz"}]}
    (track,) = load(config).tracks
    assert track.source.is_url and track.track.stat == "coverage" and track.track.format == "bed"


@pytest.mark.parametrize(
    "tracks, message",
    [
        ([{"name": "9lives", "path": "workflow/resources/example/lads.bed.gz"}], "tracks.0.name"),
        ([{"name": "gc_content", "path": "workflow/resources/example/lads.bed.gz"}], "already a column"),
        ([{"name": "lads", "path": "workflow/resources/example/lads.bed.gz", "stat": "mean"}], "does not apply"),
        ([{"name": "sig", "path": "workflow/resources/example/h3k9me3.bw", "stat": "count"}], "does not apply"),
        ([{"name": "x1", "path": "workflow/resources/example/bins.txt"}], "cannot tell its format"),
        ([{"name": "lads", "path": "data/missing.bed"}], "tracks[0] (lads): data/missing.bed does not exist"),
        ([{"name": "a", "path": "https://h/a.bw"}, {"name": "a", "path": "https://h/b.bw"}], "used twice"),
        ([{"name": "a", "path": "../outside.bw"}], "leaves the working directory"),
        ([{"name": "a"}], "'path' is a required property"),
    ],
)
def test_bad_tracks_are_named_with_what_is_expected(tracks, message):
    with pytest.raises(settings.ConfigError) as caught:
        load({**EXAMPLE_CONFIG, "tracks": tracks})
    assert message in str(caught.value)


def test_compartments_need_a_contact_list():
    positions = {**EXAMPLE_CONFIG, "bead_map": {"source": "sequential"}, "compartments": True, "report": {}}
    with pytest.raises(settings.ConfigError, match="compartments: true reads the bead map's contact list"):
        load(positions)
    template = {**positions, "compartments": "workflow/resources/example/chr{chr}_list.txt"}
    assert load(template).contact_list("X").location.endswith("example/chrX_list.txt")
    mapping = {**positions, "compartments": {"contacts": "workflow/resources/example/chr{chr}_list.txt"}}
    assert load(mapping).contact_list("X") == load(template).contact_list("X")
    assert load({**positions, "compartments": {"enabled": False}}).contact_list("X") is None
    assert load({**EXAMPLE_CONFIG, "compartments": {"enabled": True}}).contact_list("21") == load(
        EXAMPLE_CONFIG
    ).contact_list("21")
    with pytest.raises(settings.ConfigError, match=r"compartments' has unknown key\(s\) 'enable' \(did you mean"):
        load({**positions, "compartments": {"enable": True}})
    with pytest.raises(settings.ConfigError, match="config key 'compartments': 3 is not a boolean or string"):
        load({**positions, "compartments": 3})
    with pytest.raises(settings.ConfigError, match=r"must contain \{chr\}"):
        load({**positions, "compartments": "workflow/resources/example/chr21_list.txt"})
    with pytest.raises(settings.ConfigError, match="chr19_list.txt does not exist"):
        load({**positions, "compartments": "data/chr{chr}_list.txt"})


@pytest.mark.parametrize(
    "colour_by, ok",
    [("rg_local", True), ("lads", True), ("compartment", True), ("gc_content", True), ("chr", False),
     ("nothing", False)],
)  # fmt: skip
def test_colour_by_names_a_column_the_figures_can_use(colour_by, ok):
    config = {**EXAMPLE_CONFIG, "report": {"colour_by": colour_by}}
    if ok:
        assert load(config).report.colour_by == colour_by
    else:
        with pytest.raises(settings.ConfigError, match="report.colour_by"):
            load(config)
    with pytest.raises(settings.ConfigError, match="turn compartments on"):
        load({**EXAMPLE_CONFIG, "compartments": False, "report": {"colour_by": "compartment"}})


def test_bootstrap_resamples_default_to_the_thousand_of_the_statistics():
    from chromapipe import stats

    assert load(EXAMPLE_CONFIG).report.bootstrap_resamples == stats.RESAMPLES == 1000
    assert load({**EXAMPLE_CONFIG, "report": {"bootstrap_resamples": 200}}).report.bootstrap_resamples == 200
    with pytest.raises(settings.ConfigError, match="bootstrap_resamples"):
        load({**EXAMPLE_CONFIG, "report": {"bootstrap_resamples": 5}})


def test_chromosome_figures_are_asked_for_unless_turned_off():
    figures = [p for p in load(EXAMPLE_CONFIG).final_outputs() if "/figures/" in p]
    assert len(figures) == 3 * len(EXAMPLE_CONFIG["chromosomes"]) and load(EXAMPLE_CONFIG).report.chromosome_figures
    off = load({**EXAMPLE_CONFIG, "report": {"chromosome_figures": False}})
    assert not [p for p in off.final_outputs() if "/figures/" in p]
    assert set(off.final_outputs()) == set(load(EXAMPLE_CONFIG).final_outputs()) - set(figures)
    with pytest.raises(settings.ConfigError, match="chromosome_figures"):
        load({**EXAMPLE_CONFIG, "report": {"chromosome_figures": "maybe"}})


@pytest.mark.parametrize(
    "features",
    [{"rg_window": -1}, {"neighbour_radius": 0}, {"neighbour_radius": float("inf")}, {"rg_window": 2.5}, {"radius": 1}],
)
def test_bad_feature_parameters_stop_the_run(features):
    with pytest.raises(settings.ConfigError, match="features"):
        load({**EXAMPLE_CONFIG, "features": features})


def test_command_line_strings_are_read_as_the_schemas_booleans_and_numbers():
    """`snakemake --config legacy=true 'features={rg_window: 3}'` hands the config strings (YAML's base
    loader): the documented command-line forms take effect, and a string that is no such value stays an
    error naming the key."""
    config = {
        **EXAMPLE_CONFIG,
        "legacy": "true",
        "features": {"rg_window": "3", "neighbour_radius": "2"},
        "annotations": {**EXAMPLE_CONFIG["annotations"], "max_rps": "5"},
    }
    run = load({**config, "legacy": "False"})
    assert (run.legacy, run.features.rg_window, run.features.neighbour_radius) == (False, 3, 2.0)
    assert load(no_compartments({**config, "compartments": "false"})).compartments is None
    assert load({**config, "compartments": "true"}).compartments is not None
    for key, value, message in [
        ("legacy", "maybe", "config key 'legacy': 'maybe' is not a boolean"),
        ("features", {"rg_window": "2.5"}, "config key 'features.rg_window': '2.5' is not an integer"),
        ("features", {"neighbour_radius": "wide"}, "config key 'features.neighbour_radius': 'wide' is not a number"),
    ]:
        with pytest.raises(settings.ConfigError) as error:
            load({**config, key: value})
        assert message in error.value.problems


@pytest.mark.parametrize("section,mirror", [("surface", settings.Surface), ("features", settings.Features)])
def test_a_section_of_the_run_config_mirrors_the_schemas_section(section, mirror):
    """run.surface.grid, run.features.rg_window: the schema's keys under the schema's section, its defaults."""
    import dataclasses

    schema = settings.read_schema()["properties"][section]["properties"]
    assert [f.name for f in dataclasses.fields(mirror)] == list(schema)
    run = load({k: v for k, v in EXAMPLE_CONFIG.items() if k != section})
    assert dataclasses.asdict(getattr(run, section)) == {key: schema[key]["default"] for key in schema}


def test_relative_inputs_are_also_found_from_the_repository_of_the_rule_files(tmp_path):
    """Used as a module, the example's inputs are relative to the module's repository, not the user's folder."""
    copy_of_rules = tmp_path / "clone" / "workflow" / "rules"
    copy_of_rules.mkdir(parents=True)
    assert settings.repository_of(copy_of_rules / "common.smk") == str(tmp_path / "clone")
    assert settings.repository_of(REPO / "workflow" / "rules" / "common.smk") == str(REPO)
    # a remote module's rule file is not on this machine: the repository the package is installed from
    remote = "https://github.com/chromapipe/chromapipe/raw/v0.1.0/workflow/rules/common.smk"
    assert settings.repository_of(remote) == settings.REPOSITORY == str(REPO)


GSDB_CONFIG = yaml.safe_load((REPO / "config" / "gsdb.yaml").read_text())
UNKNOWN_DATASET = {"id": "QQ1234ZZ", "filename": "GSE999_NEW", "algorithm": "3DMax"}


def test_a_dataset_the_catalogue_lacks_is_one_problem_not_five():
    # config/gsdb.yaml with a dataset the catalogue lacks: its bin map, assembly and structures are unknown,
    # consequences of the one problem, not problems of their own
    with pytest.raises(settings.ConfigError) as error:
        load({**GSDB_CONFIG, "gsdb": UNKNOWN_DATASET})
    assert error.value.problems == [
        "gsdb: the shipped catalogue lacks GSDB ID QQ1234ZZ (and filename GSE999_NEW): set gsdb.assembly (e.g. "
        "GRCh37) to use it anyway, or check the identifiers with `chromapipe gsdb --search TEXT`"
    ]


def test_a_top_level_assembly_is_the_assembly_of_a_dataset_the_catalogue_lacks():
    run = load({**GSDB_CONFIG, "gsdb": UNKNOWN_DATASET, "assembly": "GRCh37"})
    assert (run.assembly, run.gsdb.assembly, run.gsdb.in_catalogue) == ("GRCh37", "GRCh37", False)
    assert run.notes == ("the shipped catalogue lacks GSDB ID QQ1234ZZ (and filename GSE999_NEW): using assembly "
                         "GRCh37 as given",)  # fmt: skip
    mouse = load({**GSDB_CONFIG, "chromosomes": [19], "gsdb": UNKNOWN_DATASET, "assembly": "mm10"})
    assert (mouse.assembly, mouse.gsdb.species, mouse.autosomes) == ("mm10", "mus_musculus", 19)
    # the same assembly given twice, in two spellings, is one; two different ones are an error
    same = load({**GSDB_CONFIG, "gsdb": {**UNKNOWN_DATASET, "assembly": "hg19"}, "assembly": "GRCh37"})
    assert same.gsdb.assembly == "GRCh37"
    with pytest.raises(settings.ConfigError) as error:
        load({**GSDB_CONFIG, "gsdb": {**UNKNOWN_DATASET, "assembly": "hg19"}, "assembly": "GRCh38"})
    assert error.value.problems == ["assembly 'GRCh38' and gsdb.assembly 'hg19' disagree: give the dataset's "
                                    "assembly once"]  # fmt: skip
    # a catalogued dataset without an assembly given keeps the catalogue's
    assert load(GSDB_CONFIG).assembly == "GRCh37"


def test_a_config_of_only_a_gsdb_section_lists_every_problem():
    with pytest.raises(settings.ConfigError) as error:
        load({"gsdb": GSDB_CONFIG["gsdb"]})
    assert error.value.problems == [
        "the config: 'chromosomes' is a required property",
        "annotations.source 'files' needs annotations.fasta",
        "annotations.source 'files' needs annotations.gtf",
    ]
    # a wrong key's consequences are not listed beside it: the bin map is not also "unset"
    with pytest.raises(settings.ConfigError) as error:
        load({**EXAMPLE_CONFIG, "mapping": 5, "chromosome": [1], "annotations": {"source": "files"}})
    assert [p.split(";")[0] for p in error.value.problems] == [
        "the config has unknown key(s) 'chromosome' (did you mean 'chromosomes'?)",
        "config key 'mapping': 5 is not a string",
        "annotations.source 'files' needs annotations.fasta",
        "annotations.source 'files' needs annotations.gtf",
    ]


def test_the_legacy_table_is_coloured_by_one_of_its_own_columns():
    # the example colours by compartment, which the legacy table does not have: checked up front, not in figures
    run = load({**EXAMPLE_CONFIG, "legacy": "true"})
    assert run.legacy and run.report.colour_by == "dist_surface"
    assert run.notes == ("report.colour_by 'compartment' is not a column of the legacy table (legacy: true): the 3D "
                         "figures colour beads by dist_surface",)  # fmt: skip
    assert (
        load({**EXAMPLE_CONFIG, "legacy": True, "report": {"colour_by": "gc_content"}}).report.colour_by == "gc_content"
    )
    assert load(EXAMPLE_CONFIG).report.colour_by == "compartment"
    with pytest.raises(settings.ConfigError, match="report.colour_by: 'nonsense' is not a column"):
        load({**EXAMPLE_CONFIG, "legacy": True, "report": {"colour_by": "nonsense"}})


def _settings_table():
    """``{key: "type, default" cell}`` of config/README.md's settings table (before the datasets sheet's)."""
    text = (REPO / "config" / "README.md").read_text().split("### Several datasets")[0]
    return dict(re.findall(r"^\| `([a-z_.]+)`[^|]*\| ([^|]*) \|", text, re.M))


def test_the_config_readme_states_the_schemas_defaults_and_bounds():
    """The schema is the one home of a setting's default and bounds: the settings table says the same."""
    schema = settings.read_schema()
    table = _settings_table()
    assert {"features.rg_window", "surface.grid", "annotations.batch_size", "legacy"} <= set(table)
    for key, cell in table.items():
        node = schema
        for part in key.split("."):
            node = node["properties"][part]
        if "default" in node and node["default"] not in ({}, None):
            value = node["default"]
            shown = "empty" if value in ("", []) else f"`{str(value).lower() if isinstance(value, bool) else value}`"
            assert shown in cell, (key, value, cell)
        for bound, written in (("minimum", ">= {}"), ("exclusiveMinimum", "> {}")):
            if bound in node and "maximum" not in node:
                assert written.format(node[bound]) in cell, (key, bound, cell)
        if "minimum" in node and "maximum" in node:
            assert f"{node['minimum']}-{node['maximum']}" in cell, (key, cell)
