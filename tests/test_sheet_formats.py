"""Several datasets in one run (a datasets sheet): one Snakemake run of one sheet holding the example
and the same structures written by the test in every format the package reads, each into its own
folder, their compiled tables equal and the comparison's correlations 1.0; and the files the real tools
wrote (tests/data/real/) through the same run, with default settings."""

import shutil

import numpy as np
import polars as pl
import pytest
import yaml

from chromapipe import formats, tables
from chromapipe.beadmap import bead_map, chromosome_bins, read_bin_map
from chromapipe.compile import DECIMALS
from chromapipe.stats import COMPARED
from conftest import DATA, EXTENSION
from test_workflow import EXAMPLE, example_config, snakemake

pytestmark = pytest.mark.slow  # runs Snakemake

CHROMOSOMES = ["21"]  # every format on one chromosome (a second adds ~20 s and no format case)
#: Models of the ensemble dataset (identical copies of the example's structure).
MODELS = 3
#: dataset -> the format its files are written in; ``example`` is the shipped PDB with its contact list.
DATASETS = {
    "example": "pdb",
    "ensemble": "nucdyn-pdb",
    "dipc": "dipc-3dg",
    "hickit": "hickit-3dg",
    "nucle3d": "nucle3d",
    "n3d": "n3d",
    "cif": "dipc-cif",
    "ihm": "ihm",
    "tadbit": "tadbit-xyz",
}
#: dataset -> a file a real tool wrote (tests/data/README.md), each paired by its own positions
REAL = {
    "hickit_real": "cell.hickit.3dg.gz",
    "dipc_real": "cell.dipc.3dg.gz",
    "dipc_cif_real": "cell.dipc.cif",
    "nucdyn_real": "cell.nucdyn.n3d.gz",
}
#: Files written by the real tools (data/real, data/README.md) paired with bins: dataset -> (file, format cell,
#: chr21 beads). ``pastis`` takes its bins from PASTIS's config.ini beside it, ``pastis_map`` (no config.ini) from
#: the bin map.
BINNED = {
    "alabtools": (DATA / "real" / "alabtools" / "cell.ihm", "ihm", 120),
    "pastis": (DATA / "real" / "pastis" / "MDS.structure.pdb", "", 53),
    "pastis_map": (DATA / "real" / "pastis" / "chr21" / "MDS.structure.pdb", "pastis", 53),
}


def positioned(chrom):
    """The example's structure of ``chrom`` with its beads' bin starts from its contact list."""
    bins = chromosome_bins(read_bin_map(EXAMPLE / "bins.txt"), chrom)
    pdb = formats.read_structure(EXAMPLE / f"chr{chrom}.pdb")
    rows = bead_map(pdb.n_beads, bins, "contacts", EXAMPLE / f"chr{chrom}_list.txt")
    return formats.read_structure(EXAMPLE / f"chr{chrom}.pdb", positions=bins["start"].to_numpy()[rows])


def ensemble(structure, n):
    """``n`` identical models of a single-model structure."""
    return formats.Structure(
        chrom=np.tile(structure.chrom, n),
        haplotype=np.tile(structure.haplotype, n),
        start=np.tile(structure.start, n),
        model=np.repeat(np.arange(1, n + 1), len(structure)),
        coords=np.tile(structure.coords, (n, 1)),
        units=structure.units,
        format=structure.format,
    )


@pytest.fixture(scope="module")
def sheet_run(tmp_path_factory):
    """One run of one sheet: the example (PDB + contact list) and a copy in each other format, with its positions."""
    workdir = tmp_path_factory.mktemp("datasets")
    config = yaml.safe_load(example_config(workdir, chromosomes=CHROMOSOMES).read_text())
    lines = ["dataset\tstructures\tformat\tbead_map\tbead_map_path\tspecies"]
    lines.append(f"example\t{config['structures']['path']}\tpdb\tcontacts\t{config['bead_map']['path']}\thuman")
    for chrom in CHROMOSOMES:
        structure = positioned(chrom)
        for name, fmt in DATASETS.items():
            if name == "example":
                continue
            folder = workdir / name
            folder.mkdir(exist_ok=True)
            written = ensemble(structure, MODELS) if name == "ensemble" else structure
            assert formats.write_structure(written, folder / f"chr{chrom}{EXTENSION[fmt]}", fmt) == fmt
    for name, fmt in DATASETS.items():
        if name != "example":
            lines.append(f"{name}\t{name}/chr{{chr}}{EXTENSION[fmt]}\t{fmt}\tpositions\t\thuman")
    (workdir / "real").mkdir()
    for name, file in REAL.items():  # genome-wide diploid files: no {chr}, the format from the extension
        shutil.copy(DATA / "real" / file, workdir / "real" / file)
        lines.append(f"{name}\treal/{file}\t\tpositions\t\thuman")
    # the issue's nuc_dynamics file: the real N3D with one particle past chr21's end (30,000,000, 0-based)
    from test_real_files import past_the_end

    nucdyn = formats.read_structure(DATA / "real" / REAL["nucdyn_real"])
    formats.write_structure(past_the_end(nucdyn, "21"), workdir / "real" / "past_end.n3d")
    lines.append("nucdyn_past_end\treal/past_end.n3d\t\tpositions\t\thuman")
    for name, (path, fmt, _) in BINNED.items():
        lines.append(f"{name}\t{path}\t{fmt}\tpositions\t\thuman")
    sheet = workdir / "datasets.tsv"
    sheet.write_text("\n".join(lines) + "\n")
    config["datasets"] = str(sheet)
    del config["structures"], config["bead_map"]
    # the converted copies carry positions, not a contact list: no compartments (the structure figures are
    # not asked for either); the example's two tracks stay, so every dataset's correlations include them
    config.update(compartments=False, report={})
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    # only what the tests check: the compiled tables and the comparison (which reads every dataset's summary
    # correlations), not the per-chromosome figures
    targets = [
        f"results/{name}/chr{chrom}_compiled.parquet"
        for name in [*DATASETS, *REAL, "nucdyn_past_end", *BINNED]
        for chrom in CHROMOSOMES
    ]
    result = snakemake(workdir, *targets, "results/comparison/datasets.parquet", configfile=configfile)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def compiled(workdir, name):
    """A dataset's compiled tables of every chromosome, concatenated."""
    return pl.concat([pl.read_parquet(workdir / "results" / name / f"chr{c}_compiled.parquet") for c in CHROMOSOMES])


#: Physical columns of the compiled table (the contract's), compared within the written precision.
PHYSICAL = {c.name for c in tables.PHYSICAL.columns} - {"model", "haplotype"}
#: Columns only an ensemble's compiled table has.
ENSEMBLE_ONLY = {c.name for c in tables.COMPILED.columns if c.only.startswith("ensembles")}


@pytest.mark.parametrize("name", [n for n in DATASETS if n != "example"])
def test_every_format_compiles_to_the_example_table(sheet_run, name):
    reference, table = compiled(sheet_run, "example"), compiled(sheet_run, name)
    extra = [c for c in table.columns if c not in reference.columns]
    assert set(extra) <= ENSEMBLE_ONLY and bool(extra) == (name == "ensemble"), extra
    assert [c for c in table.columns if c not in extra] == reference.columns
    assert set(tables.COMPILED.names) <= set(reference.columns)
    if name != "ensemble":  # one model: the very table
        assert table.equals(reference)
    for column in reference.columns:
        a, b = table[column], reference[column]
        assert a.is_null().to_list() == b.is_null().to_list(), column
        if column in PHYSICAL:  # the ensemble's means: within the table's 4 decimals
            assert np.allclose(a.drop_nulls().to_numpy(), b.drop_nulls().to_numpy(), rtol=0, atol=10**-DECIMALS), column
        else:  # bins, beads, annotations: identical
            assert a.equals(b), column
    for chrom in CHROMOSOMES:
        meta = tables.read_metadata(sheet_run / "results" / name / f"chr{chrom}_compiled.parquet")
        assert meta["dataset"]["format"] == DATASETS[name]


def test_the_ensemble_has_three_models_and_no_spread(sheet_run):
    table = compiled(sheet_run, "ensemble").filter(pl.col("bead").is_not_null())
    assert table.height > 0 and (table["n_models"] == MODELS).all()
    spreads = [c for c in table.columns if c.endswith("_sd")]
    assert {f"{f}_sd" for f in ("dist_surface", "dist_com", "dist_rolling_mean")} <= set(spreads)
    for column in spreads:
        values = table[column].drop_nulls()
        assert (values == 0).all(), column
    assert table["dist_surface_sd"].drop_nulls().len() == table.height


def test_a_datasets_sheet_runs_each_dataset_into_its_folder_and_compares_them(sheet_run):
    results = sheet_run / "results"
    # each dataset's logs and benchmarks in its folder; the whole run's (the comparison's) at the top
    assert sorted(p.name for p in results.iterdir() if p.is_dir()) == sorted(
        [*DATASETS, *REAL, "nucdyn_past_end", *BINNED, "comparison", "logs", "benchmarks"]
    )
    assert (results / "example" / "logs" / "compile").is_dir() and (results / "logs" / "compare_datasets").is_dir()
    example = compiled(sheet_run, "example")
    comparison = tables.read("comparison", results / "comparison" / "datasets.parquet")
    features = {f for f in COMPARED if f in example.columns}
    assert {"dist_surface", "dist_com", "dist_rolling_mean"} <= features
    assert set(comparison["feature"]) == features
    diploid = [*REAL, "nucdyn_past_end", "alabtools"]  # each enters the comparison once per homolog
    entries = {*DATASETS, *(f"{name} ({h})" for name in diploid for h in ("pat", "mat")), "pastis", "pastis_map"}
    assert set(comparison["dataset_a"]) == set(comparison["dataset_b"]) == entries
    copies = pl.col("dataset_a").is_in(list(DATASETS)) & pl.col("dataset_b").is_in(list(DATASETS))
    pairs = comparison.filter(copies & (pl.col("dataset_a") != pl.col("dataset_b")))
    assert pairs.height == len(features) * len(DATASETS) * (len(DATASETS) - 1)
    assert np.allclose(pairs["rho"].to_numpy(), 1.0, rtol=0, atol=1e-12)
    assert (pairs["bins"] == int(example["bead"].is_not_null().sum())).all()
    assert (results / "comparison" / "datasets.png").stat().st_size > 0
    assert not any(results.glob("chr*_compiled.parquet"))  # with a sheet, nothing at the top level


def test_each_datasets_feature_annotation_correlations_side_by_side(sheet_run):
    """Per dataset, every structure feature against every annotation and track; the same structure gives the same."""
    results = sheet_run / "results" / "comparison"
    side = pl.read_csv(results / "correlations.tsv", separator="\t", schema=tables.CORRELATIONS.schema)
    assert side.columns == list(tables.CORRELATIONS.names)
    assert side["dataset"].unique(maintain_order=True).to_list()[: len(DATASETS)] == list(DATASETS)
    side = side.filter(pl.col("dataset").is_in(list(DATASETS)))  # the copies; the real files' below
    assert set(side["annotation"]) == {"gc_content", "gene_density", "h3k9me3", "lads"}
    assert set(side["chromosome"]) == ({*CHROMOSOMES, "genome"} if len(CHROMOSOMES) > 1 else set(CHROMOSOMES))
    wide = side.pivot(on="dataset", index=["chromosome", "feature", "annotation"], values="rho")
    exact = [n for n in DATASETS if n != "ensemble"]  # an ensemble's means are rounded to 4 decimals once more
    for name in exact:
        assert wide[name].to_list() == wide["example"].to_list(), name
    assert np.allclose(wide["ensemble"].to_numpy(), wide["example"].to_numpy(), atol=1e-2)
    for dataset in DATASETS:  # each dataset's own summary holds the same rows
        own = tables.read("correlations", sheet_run / "results" / dataset / "summary" / "correlations.parquet")
        assert own.height == side.filter(pl.col("dataset") == dataset).height
    assert (results / "correlations.png").stat().st_size > 0


@pytest.mark.parametrize("name", [*REAL, "nucdyn_past_end"])
def test_the_real_tools_files_run_with_default_settings(sheet_run, name):
    """Each homolog on its own bins, on the grid the auto default chose, recorded in the metadata: fitted for
    hickit's and Dip-C's (the original grid keeps none of their samples), original for nuc_dynamics' chr21
    (centred: >= 99% kept); the particle past the chromosome's end dropped."""
    results = sheet_run / "results" / name
    table = compiled(sheet_run, name)
    assert set(table["haplotype"]) == {"pat", "mat"}
    meta = tables.read_metadata(results / "chr21_compiled.parquet")
    grid = "original" if name.startswith("nucdyn") else "fitted"
    assert meta["physical"]["grid"] == grid and meta["physical"]["grid_setting"] == "auto"
    assert meta["physical"]["grid_choice"].startswith(f"auto grid: {grid}")
    physical = pl.read_parquet(results / "physical" / "chr21_physical.parquet")
    if "model" in physical.columns:
        physical = physical.filter(pl.col("model") == 1)
    beads = physical.group_by("haplotype").len()
    placed = table.filter(pl.col("bead").is_not_null()).group_by("haplotype").len()
    dropped = 1 if name == "nucdyn_past_end" else 0  # one particle past chr21's end per homolog
    assert placed.sort("haplotype")["len"].to_list() == [n - dropped for n in beads.sort("haplotype")["len"]]
    assert table.height == 2 * chromosome_bins(read_bin_map(EXAMPLE / "bins.txt"), "21").height


def test_dipc_3dg_and_its_vis_cif_compile_to_the_same_table(sheet_run):
    assert compiled(sheet_run, "dipc_real").equals(compiled(sheet_run, "dipc_cif_real"))


@pytest.mark.parametrize("name", list(BINNED))
def test_the_real_tools_files_compile_on_the_bin_map(sheet_run, name):
    """alabtools' diploid IHM (both copies, 10 models) and PASTIS's matrices, through a datasets sheet."""
    path, fmt, beads = BINNED[name]
    table = compiled(sheet_run, name)
    bins = chromosome_bins(read_bin_map(EXAMPLE / "bins.txt"), "21")
    diploid = name == "alabtools"
    assert table.height == bins.height * (2 if diploid else 1)
    assert int(table["bead"].is_not_null().sum()) == beads
    assert table["dist_surface"].is_not_null().sum() == beads
    meta = tables.read_metadata(sheet_run / "results" / name / "chr21_compiled.parquet")
    assert meta["dataset"]["format"] == (fmt or None)
    if diploid:
        assert sorted(table["haplotype"].unique().to_list()) == ["mat", "pat"]
        assert (table.filter(pl.col("bead").is_not_null())["n_models"] == 10).all()
    else:  # a PASTIS bead on bin k of chr21 exactly where row k of the matrix is not nan
        rows = np.loadtxt(path)[: bins.height]
        placed = ~np.isnan(rows).any(axis=1)
        assert table.sort("start")["bead"].is_not_null().to_list() == placed.tolist()
    comparison = tables.read("comparison", sheet_run / "results" / "comparison" / "datasets.parquet")
    # the same PASTIS run on the genome and on chr21 alone: the same bins, found by two routes
    both = comparison.filter((pl.col("dataset_a") == "pastis") & (pl.col("dataset_b") == "pastis_map"))
    assert both.height > 0 and (both["bins"] == 53).all()


def test_the_copies_superpose_exactly_and_the_ensembles_models_too(sheet_run):
    """comparison/rmsd.parquet: the same structure in every format has rmsd_scaled 0 on every shared bin (and
    rmsd 0 between copies in the same units); the ensemble's identical models have RMSD 0 between them."""
    results = sheet_run / "results"
    rmsd = tables.read("rmsd", results / "comparison" / "rmsd.parquet")
    names = list(DATASETS)
    copies = rmsd.filter(pl.col("dataset_a").is_in(names) & pl.col("dataset_b").is_in(names))
    assert copies.height == len(names) * (len(names) - 1) // 2
    beads = int(compiled(sheet_run, "example")["bead"].is_not_null().sum())
    assert (copies["bins"] == beads).all()
    assert np.allclose(copies["rmsd_scaled"].to_numpy(), 0.0, atol=1e-3)
    same_units = copies.filter(pl.col("rmsd").is_not_null())
    assert same_units.height > 0 and np.allclose(same_units["rmsd"].to_numpy(), 0.0, atol=1e-3)

    def pair(a, b):
        return rmsd.filter((pl.col("dataset_a") == a) & (pl.col("dataset_b") == b)).row(0, named=True)

    same_cell = pair("dipc_real (pat)", "dipc_cif_real (pat)")  # one cell in two formats, one unit
    assert same_cell["rmsd"] == pytest.approx(0.0, abs=1e-6) and same_cell["rmsd_scaled"] == pytest.approx(
        0.0, abs=1e-6
    )
    homologs = pair("dipc_real (mat)", "dipc_real (pat)")  # the file's order; two chains, other shapes
    assert homologs["rmsd_scaled"] > 0.5 and homologs["bins"] > 0
    assert (results / "comparison" / "rmsd.png").stat().st_size > 0
    models = tables.read("model_rmsd", results / "ensemble" / "summary" / "model_rmsd.parquet")
    assert models.select("model_a", "model_b").rows() == [(1, 2), (1, 3), (2, 3)]
    assert np.allclose(models["rmsd"].to_numpy(), 0.0, atol=1e-6) and (models["beads"] == beads).all()
    assert tables.read("model_rmsd", results / "example" / "summary" / "model_rmsd.parquet").is_empty()
