"""Files written by the real tools (issue 24): alabtools' diploid IHM and PASTIS's coordinate matrices,
made from the simulated diploid cell of ``data/real/simulate_population.py`` (``data/README.md`` has the
commands and versions). Read through ``chromapipe.formats`` and ``chromapipe physical`` with default
settings; the datasets-sheet run is in ``test_sheet_formats.py``."""

import shutil

import numpy as np
import polars as pl
import pytest

from chromapipe import cli, formats, tables
from chromapipe.beadmap import read_bin_map
from chromapipe.errors import InputError
from conftest import DATA
from test_workflow import EXAMPLE

REAL = DATA / "real"
IHM = REAL / "alabtools" / "cell.ihm"
PASTIS = REAL / "pastis"


@pytest.fixture(scope="module")
def cell():
    """The simulated cell: beads in alabtools' diploid order, coordinates (beads x structures x 3, nm)."""
    data = np.load(REAL / "coords.npz")
    return {key: data[key] for key in data.files}


def bed_bins():
    return [line.split("\t")[:3] for line in (PASTIS / "counts.bed").read_text().splitlines()]


# --- alabtools: the diploid IHM -------------------------------------------------------------------


def test_alabtools_diploid_ihm_reads_both_copies_exactly(cell):
    s = formats.read_structure(IHM)
    assert s.format == "ihm" and s.model_ids == list(range(1, 11))  # savePDBx writes structures 1-10
    assert s.homologs == [("21", "pat"), ("X", "pat"), ("21", "mat"), ("X", "mat")]
    first = s.model == 1
    # every bead in alabtools' order: copy A (pat) of each chromosome, then copy B (mat)
    assert [f"chr{c}" for c in s.chrom[first]] == cell["chrom"].tolist()
    assert s.haplotype[first].tolist() == ["pat" if k == 0 else "mat" for k in cell["copy"]]
    assert (s.start[first] - 1).tolist() == cell["start"].tolist()
    for m, coords in zip(s.model_ids, s.coords_by_model()):  # the HSS file's float32 coordinates, exactly
        assert np.array_equal(coords.astype(np.float32), cell["coords"][:, m - 1, :].astype(np.float32)), m


def test_alabtools_copy_b_is_paired_by_rank_with_copy_a_segments():
    text = IHM.read_text()
    assert "'chrX:35500000-35945000'" in text and text.count("Seg-") < 2 * 132 + 132  # segments of copy A only
    s = formats.read_structure(IHM)
    for chrom in ("21", "X"):
        pat = s.select(chrom, "pat")
        mat = s.select(chrom, "mat")
        assert pat.start.tolist() == mat.start.tolist()
        assert not np.array_equal(pat.coords, mat.coords)


def test_alabtools_copy_with_a_sphere_missing_fails_naming_both_counts(tmp_path):
    lines = IHM.read_text().splitlines(keepends=True)
    # the first sphere of copy 21B in model 1 (ordinal 133, seq_id 133)
    drop = next(i for i, line in enumerate(lines) if line.startswith("133 1 133 133 21B "))
    path = tmp_path / "cell.ihm"
    path.write_text("".join(lines[:drop] + lines[drop + 1 :]))
    with pytest.raises(InputError) as info:
        formats.read_structure(path)
    message = str(info.value)
    assert "for seq_id 134 of asym 21B" in message
    assert "the copy's 59 spheres (model 1) do not match chromosome 21's 60 _chem_comp segments" in message


# --- PASTIS: the coordinate matrix ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["MDS", "PM2"])
def test_pastis_matrix_row_k_is_bin_k_of_the_counts(name):
    matrix = np.loadtxt(PASTIS / f"{name}.structure.pdb")
    bins = bed_bins()
    placed = ~np.isnan(matrix).any(axis=1)
    assert len(matrix) == len(bins) == 132 and 0 < (~placed).sum() < 10  # chr21's short arm has no contact
    s = formats.read_structure(PASTIS / f"{name}.structure.pdb")  # the format from the content of a .pdb
    assert s.format == "pastis" and s.homologs == [("21", None), ("X", None)]
    expected = [(c.removeprefix("chr"), int(start) + 1) for (c, start, _), p in zip(bins, placed) if p]
    assert list(zip(s.chrom.tolist(), s.start.tolist())) == expected
    assert np.array_equal(s.coords.astype(np.float32), matrix[placed].astype(np.float32))


def test_pastis_matrix_on_the_bin_map_of_its_chromosome(tmp_path):
    """A matrix without PASTIS's config.ini beside it: row k is bin k of the chromosome in the bin map."""
    path = PASTIS / "chr21" / "MDS.structure.pdb"
    matrix = np.loadtxt(path)
    with pytest.raises(InputError, match="carries no positions"):
        formats.read_structure(path, "pastis", chrom="21")
    bins = read_bin_map(EXAMPLE / "bins.txt").filter(pl.col("chr") == "21")
    assert bins.height == len(matrix) == 60
    for given in (EXAMPLE / "bins.txt", read_bin_map(EXAMPLE / "bins.txt")):
        s = formats.read_structure(path, "pastis", chrom="21", bins=given)
        placed = ~np.isnan(matrix).any(axis=1)
        assert s.start.tolist() == bins["start"].to_numpy()[placed].tolist()
    # the genome-wide matrix (132 rows) fits neither the whole map (196 bins) nor chromosome 21 (60)
    lone = tmp_path / "MDS.structure.pdb"
    shutil.copy(PASTIS / "MDS.structure.pdb", lone)
    with pytest.raises(InputError, match="132 rows, but the bin map has 196 bins, nor chromosome 21"):
        formats.read_structure(lone, "pastis", chrom="21", bins=EXAMPLE / "bins.txt")
    # ... and the counts' own .bed, given, pairs it
    assert len(formats.read_structure(lone, "pastis", bins=PASTIS / "counts.bed")) == len(
        formats.read_structure(PASTIS / "MDS.structure.pdb")
    )


def test_pastis_pdb_pdb_is_refused_pointing_at_the_matrix():
    for fmt in (None, "pdb", "pastis"):
        with pytest.raises(InputError) as info:
            formats.read_structure(PASTIS / "MDS.structure.pdb.pdb", fmt)
        assert "read the coordinate matrix PASTIS wrote beside it, MDS.structure.pdb, with format pastis" in str(
            info.value
        )


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda rows: rows[:-1], "131 rows, but the counts' bins are 132"),
        (lambda rows: [rows[0].replace("nan nan nan", "nan 1.0 nan")] + rows[1:], "a row partly nan"),
        (lambda rows: rows[:10] + ["1.0 2.0\n"] + rows[11:], "expected 3 numbers"),
        (lambda rows: rows[:10] + ["1.0 2.0 inf\n"] + rows[11:], "infinite coordinate"),
    ],
)
def test_pastis_bad_matrix(tmp_path, edit, fragment):
    for name in ("config.ini", "counts.bed"):
        shutil.copy(PASTIS / name, tmp_path / name)
    rows = (PASTIS / "MDS.structure.pdb").read_text().splitlines(keepends=True)
    path = tmp_path / "MDS.structure.pdb"
    path.write_text("".join(edit(rows)))
    with pytest.raises(InputError, match=fragment):
        formats.read_structure(path, "pastis")


# --- chromapipe physical, default settings --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "extra", "beads"),
    [
        (IHM, [], 2 * 60 * 10),  # both homologs of chr21, 10 models
        (PASTIS / "MDS.structure.pdb", [], None),
        (PASTIS / "PM2.structure.pdb", ["--format", "pastis"], None),
        (PASTIS / "chr21" / "MDS.structure.pdb", ["--format", "pastis", "--bins", EXAMPLE / "bins.txt"], None),
    ],
    ids=["alabtools", "pastis-mds", "pastis-pm2", "pastis-bin-map"],
)
def test_chromapipe_physical_reads_the_real_files(tmp_path, path, extra, beads):
    assert cli.main(["physical", str(path), "--chr", "21", "--outdir", str(tmp_path), *map(str, extra)]) == 0
    table = tables.read("physical", tmp_path / "chr21_physical.parquet")
    if beads is None:  # PASTIS: one bead per chr21 row that is not nan
        rows = np.loadtxt(path)[:60]
        beads = int((~np.isnan(rows).any(axis=1)).sum())
    assert table.height == beads and table["dist_surface"].is_not_null().all()
    meta = tables.read_metadata(tmp_path / "chr21_physical.parquet")
    assert meta["units"] == ("nm (alabtools)" if path == IHM else "PASTIS (arbitrary)")
    assert meta.get("nucleus_chromosomes") == (None if "chr21" in str(path) else ["21", "X"])
