"""Files written by the real tools (hickit, Dip-C, nuc_dynamics; tests/data/real/, see tests/data/README.md):
gzipped structures, the auto surface grid, and nuc_dynamics' particle past each chromosome's end."""

import gzip
import logging

import numpy as np
import polars as pl
import pytest

from chromapipe import formats, stage, steps, tables
from chromapipe.beadmap import chromosome_bins, exact_bins, read_bin_map
from chromapipe.errors import InputError
from chromapipe.physical import AUTO_KEEP, compute_surface, physical_features
from conftest import DATA, GSDB, physical_settings, run_cli

REAL = DATA / "real"
EXAMPLE = DATA.parents[1] / "workflow" / "resources" / "example"
HICKIT = REAL / "cell.hickit.3dg.gz"
DIPC = REAL / "cell.dipc.3dg.gz"
DIPC_CIF = REAL / "cell.dipc.cif"
NUCDYN_N3D = REAL / "cell.nucdyn.n3d.gz"
NUCDYN_PDB = REAL / "cell_pat.nucdyn.pdb.gz"


def data_rows(path):
    """The bead lines of a (gzipped) .3dg: ``[(homolog, position, x, y, z)]`` as written."""
    rows = []
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        if line.strip() and not line.startswith("#"):
            hom, pos, *xyz = line.split("\t")[:5]
            rows.append((hom, int(pos), *map(float, xyz)))
    return rows


# -- gzipped structures --------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt"), [(HICKIT, "hickit-3dg"), (DIPC, "dipc-3dg")])
def test_a_gzipped_3dg_is_read_with_the_format_under_gz(path, fmt):
    structure = formats.read_structure(path)
    assert structure.format == fmt
    assert formats.detect_format(path) == fmt
    rows = data_rows(path)
    assert len(structure) == len(rows)
    # coordinates exact (hickit's divided by its #unit, as Dip-C rescales), positions 0-based in the file
    unit = 0.1802805 if fmt == "hickit-3dg" else 1.0
    written = np.array([[v / unit for v in r[2:]] for r in rows])
    assert np.array_equal(np.asarray(structure.coords, dtype=np.float64), written)
    assert structure.start.tolist() == [r[1] + 1 for r in rows]
    assert set(structure.haplotype.tolist()) == {"pat", "mat"}
    assert set(structure.chrom.tolist()) == {"21", "X"}


def test_gzipped_and_plain_text_and_bgzip_read_the_same(tmp_path):
    from Bio import bgzf

    text = gzip.decompress(HICKIT.read_bytes())
    plain = tmp_path / "cell.3dg"
    plain.write_bytes(text)
    blocked = tmp_path / "cell.3dg.gz"
    with bgzf.BgzfWriter(blocked, "wb") as out:  # bgzip: gzip in many members (64 kB each)
        for start in range(0, len(text), 1000):
            out.write(text[start : start + 1000])
        out.flush()
    assert blocked.read_bytes()[:4] == b"\x1f\x8b\x08\x04"  # a BGZF header (FEXTRA)
    a, b, c = (formats.read_structure(p) for p in (plain, HICKIT, blocked))
    for other in (b, c):
        assert np.array_equal(a.coords, other.coords) and a.start.tolist() == other.start.tolist()
    # an explicit format reads the gzip content too (it was refused as binary content)
    renamed = tmp_path / "cell.txt"
    renamed.write_bytes(HICKIT.read_bytes())
    assert np.array_equal(formats.read_structure(renamed, "hickit-3dg").coords, a.coords)


def test_a_gzipped_file_with_no_known_extension_under_gz_names_it(tmp_path):
    path = tmp_path / "cell.gz"
    path.write_bytes(HICKIT.read_bytes())
    with pytest.raises(InputError, match=r"unknown structure extension '\(none\)' under '\.gz'.*\.3dg\.gz"):
        formats.read_structure(path)


def test_a_truncated_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "cell.3dg.gz"
    path.write_bytes(HICKIT.read_bytes()[:-40])
    with pytest.raises(InputError, match="cell.3dg.gz: corrupt or truncated gzip file"):
        formats.read_structure(path)


def test_a_gzipped_gsdb_pdb_reads_as_the_plain_one(tmp_path):
    path = tmp_path / "chr21.pdb.gz"
    path.write_bytes(gzip.compress((GSDB / "chr21.pdb").read_bytes()))
    frame, _ = stage.load_structure(path, "21")
    plain, _ = stage.load_structure(GSDB / "chr21.pdb", "21")
    assert frame.equals(plain)


def test_write_structure_gzips_under_gz(tmp_path):
    structure = formats.read_structure(DIPC)
    assert formats.write_structure(structure, tmp_path / "copy.3dg.gz") == "dipc-3dg"
    assert (tmp_path / "copy.3dg.gz").read_bytes()[:2] == b"\x1f\x8b"
    again = formats.read_structure(tmp_path / "copy.3dg.gz")
    assert np.array_equal(again.coords, structure.coords)


def test_dipc_3dg_and_its_vis_cif_give_identical_tables():
    a, _ = stage.load_structure(DIPC, "X")
    b, _ = stage.load_structure(DIPC_CIF, "X")
    assert a.equals(b)


# -- the auto surface grid --------------------------------------------------------------------------------


def test_auto_keeps_the_original_grid_on_gsdb_structures(chr21_coords, chr1_coords):
    for coords in (chr21_coords, chr1_coords):
        auto, original = compute_surface(coords), compute_surface(coords, grid="original")
        assert auto.grid == "original" and np.array_equal(auto.points, original.points)
        assert auto.original_kept >= AUTO_KEEP and "auto grid: original, which keeps" in auto.choice
    features, _ = physical_features(chr21_coords)
    forced, _ = physical_features(chr21_coords, grid="original")
    assert all(np.array_equal(features[k], forced[k], equal_nan=True) for k in features)


@pytest.mark.parametrize("path", [HICKIT, DIPC, DIPC_CIF])
def test_auto_takes_the_fitted_grid_on_real_single_cell_files(path):
    structure = formats.read_structure(path).select("21", "pat")
    coords = np.asarray(structure.coords, dtype=np.float32)
    with pytest.raises(InputError, match="the surface is empty"):
        compute_surface(coords, grid="original")
    auto, fitted = compute_surface(coords), compute_surface(coords, grid="fitted")
    assert auto.grid == "fitted" and np.array_equal(auto.points, fitted.points)
    assert auto.original_kept < AUTO_KEEP
    assert "auto grid: fitted, because the original grid" in auto.choice and "(< 99%)" in auto.choice


def test_auto_takes_the_fitted_grid_below_99_percent(chr21_coords):
    """chr21 moved by -3 loses 5,586 of 116,550 samples (4.8 %) on the original grid: fitted."""
    moved = compute_surface(chr21_coords - np.float32(3.0))
    assert moved.grid == "fitted" and 0.9 < moved.original_kept < AUTO_KEEP
    assert "keep only 110964 of the 116550 sampled points" in moved.choice


@pytest.mark.parametrize("path", [HICKIT, DIPC])
def test_physical_with_default_settings_on_a_real_file(path, tmp_path):
    result = run_cli("physical", path, "--chr", "21", "--outdir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("auto grid: fitted") == 1
    meta = tables.read_metadata(tmp_path / "chr21_physical.parquet")
    assert meta["grid"] == "fitted" and meta["grid_setting"] == "auto"
    assert meta["grid_choice"].startswith("auto grid: fitted") and meta["original_grid_kept"] == 0.0
    physical = pl.read_parquet(tmp_path / "chr21_physical.parquet")
    assert set(physical["haplotype"]) == {"pat", "mat"}
    assert physical["dist_surface"].is_not_null().all()


def test_original_and_fitted_can_still_be_forced(tmp_path):
    result = run_cli("physical", HICKIT, "--chr", "21", "--outdir", tmp_path, "--grid", "original")
    assert result.returncode == 2 and "the surface is empty" in result.stderr
    result = run_cli("physical", HICKIT, "--chr", "21", "--outdir", tmp_path, "--grid", "fitted")
    assert result.returncode == 0, result.stderr
    meta = tables.read_metadata(tmp_path / "chr21_physical.parquet")
    assert meta["grid"] == meta["grid_setting"] == "fitted" and "grid_choice" not in meta


def test_auto_uses_one_grid_for_every_model(chr21_coords, tmp_path, caplog):
    """An ensemble whose second model sits away from the origin: every model on the fitted grid."""
    n = chr21_coords.shape[0]
    ensemble = formats.Structure(
        np.full(2 * n, "21", object), np.full(2 * n, None, object), np.tile(np.arange(n) * 500000 + 1, 2),
        np.repeat([1, 2], n), np.concatenate([chr21_coords, chr21_coords + np.float32(5.0)]), "", "x",
    )  # fmt: skip
    source = tmp_path / "ensemble.n3d"
    formats.write_structure(ensemble, source)
    with caplog.at_level(logging.INFO, logger="chromapipe"):
        steps.compute_physical(source, tmp_path / "p.parquet", tmp_path / "s.parquet", "21", **physical_settings())
    meta = tables.read_metadata(tmp_path / "p.parquet")
    assert meta["grid"] == "fitted" and meta["original_grid_kept"] == 0.0
    assert "fitted for every model and homolog, because in model 2 the original grid" in meta["grid_choice"]
    assert caplog.text.count("auto grid:") == 1
    physical = pl.read_parquet(tmp_path / "p.parquet")
    one = physical.filter(pl.col("model") == 1)["dist_surface"].to_numpy()
    two = physical.filter(pl.col("model") == 2)["dist_surface"].to_numpy()
    assert np.allclose(one, two, atol=1e-5)  # the same structure, translated: the same fitted surface


def test_a_staged_structure_error_names_the_users_file(tmp_path):
    staged = tmp_path / "structures" / "chr21.parquet"
    staged.parent.mkdir()
    steps.fetch_pdb(staged, "21", source=HICKIT)
    with pytest.raises(InputError) as info:
        steps.compute_physical(
            staged, tmp_path / "p.parquet", tmp_path / "s.parquet", "21", **physical_settings(grid="original")
        )
    assert str(info.value).startswith(f"cell.hickit.3dg.gz (staged as {staged}): the surface is empty")


# -- nuc_dynamics' particle past each chromosome's end ---------------------------------------------------


@pytest.fixture(scope="module")
def example_bins():
    return read_bin_map(EXAMPLE / "bins.txt")


def test_a_bead_past_the_chromosomes_end_is_dropped_with_a_warning(example_bins, caplog):
    bins = chromosome_bins(example_bins, "21")  # 60 bins, the last ending at 29,689,895
    positions = np.append(bins["start"].to_numpy(), 30_000_001)
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        rows = exact_bins(positions, bins, "cell.n3d")
    assert rows.tolist() == [*range(60), -1]
    assert "cell.n3d: 1 bead(s) start at or past the chromosome's end (29689895 bp" in caplog.text
    assert "bead 61 starts at 30000001" in caplog.text
    with pytest.raises(InputError, match="bead 3 starts at 1000002 .*no bin start"):
        exact_bins(np.array([1, 500001, 1000002, 30_000_001]), bins)  # inside the chromosome: still an error


def past_the_end(structure, chrom, start=30_000_001):
    """``structure`` with one more particle after each homolog's last of ``chrom`` in every model, at ``start``
    (1-based): what nuc_dynamics writes when the last contact lies past the bin map's chromosome end (the
    issue's file: chr21 at 30,000,000, 0-based, for a 29,689,895 bp chromosome)."""
    runs = list(zip(structure.chrom.tolist(), structure.haplotype.tolist(), structure.model.tolist(), strict=True))
    last = [i for i in range(len(runs)) if runs[i][0] == chrom and (i + 1 == len(runs) or runs[i + 1] != runs[i])]
    where = np.array(last) + 1
    return formats.Structure(
        chrom=np.insert(structure.chrom, where, chrom),
        haplotype=np.insert(structure.haplotype, where, structure.haplotype[last]),
        start=np.insert(structure.start, where, start),
        model=np.insert(structure.model, where, structure.model[last]),
        coords=np.insert(structure.coords, where, structure.coords[last] + 0.5, axis=0),
        units=structure.units,
        format=structure.format,
    )


@pytest.mark.parametrize(("path", "chrom"), [(NUCDYN_N3D, "21"), (NUCDYN_N3D, "X"), (NUCDYN_PDB, "21")])
def test_nuc_dynamics_files_compile_with_their_own_positions(path, chrom, example_bins, tmp_path):
    """The real files: two models, each particle on its own bin (their last contacts lie inside the chromosome)."""
    from chromapipe.compile import compile_chromosome

    structure = formats.read_structure(path)
    assert structure.format == ("n3d" if path == NUCDYN_N3D else "nucdyn-pdb")
    assert len(structure.model_ids) == 2
    bins = chromosome_bins(example_bins, chrom)
    frame, _ = stage.load_structure(path, chrom)
    steps.compute_physical(path, tmp_path / "p.parquet", tmp_path / "s.parquet", chrom, **physical_settings())
    # nuc_dynamics centres its models: chr21 keeps >= 99% of its samples on the original grid, chrX does not
    meta = tables.read_metadata(tmp_path / "p.parquet")
    assert meta["grid"] == ("original" if chrom == "21" else "fitted") and meta["grid_setting"] == "auto"
    physical = pl.read_parquet(tmp_path / "p.parquet")
    hap = frame["haplotype"][0]
    one = frame.filter(pl.col("model") == 1, pl.col("haplotype").eq_missing(hap))
    part = physical.filter(pl.col("model") == 1)
    if "haplotype" in part.columns:  # the N3D is diploid, the PDB (paternal copy) haploid
        part = part.filter(pl.col("haplotype") == hap).drop("haplotype")
    annotations = bins.with_columns(gc_content=pl.lit(0.4), gene_density=pl.lit(0, dtype=pl.Int32))
    table = compile_chromosome(chrom, part.drop("model"), annotations, bins, "positions", path.name,
                               one["start"].to_numpy())  # fmt: skip
    assert table.height == bins.height
    assert table["bead"].drop_nulls().to_list() == list(range(1, one.height + 1))


def test_a_nuc_dynamics_particle_past_the_end_is_dropped_in_compile(example_bins, tmp_path, caplog):
    """The real N3D with the particle past chr21's end the issue reports: dropped with a warning naming how
    many; before, compile failed with 'bead 61 starts at 30000001 ... same resolution and assembly?'."""
    from chromapipe.compile import compile_chromosome

    path = tmp_path / "cell.n3d"
    formats.write_structure(past_the_end(formats.read_structure(NUCDYN_N3D), "21"), path)
    bins = chromosome_bins(example_bins, "21")
    frame, _ = stage.load_structure(path, "21", haplotype="pat")
    one = frame.filter(pl.col("model") == 1)
    assert one.height == 61 and one["start"][-1] == 30_000_001
    steps.compute_physical(
        path, tmp_path / "p.parquet", tmp_path / "s.parquet", "21", haplotype="pat", **physical_settings()
    )
    part = pl.read_parquet(tmp_path / "p.parquet").filter(pl.col("model") == 1).drop("model")
    annotations = bins.with_columns(gc_content=pl.lit(0.4), gene_density=pl.lit(0, dtype=pl.Int32))
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        table = compile_chromosome("21", part, annotations, bins, "positions", "cell.n3d", one["start"].to_numpy())
    assert "cell.n3d: 1 bead(s) start at or past the chromosome's end (29689895 bp" in caplog.text
    assert "bead 61 starts at 30000001" in caplog.text
    assert table.height == 60 and table["bead"].drop_nulls().to_list() == list(range(1, 61))
