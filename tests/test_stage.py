"""A genome-wide structure file split once (chromapipe.stage.split_once): the same tables, one parse (issue 25)."""

import gzip
import os

import pytest

from chromapipe import stage, steps
from conftest import EXAMPLE

NUCLEUS = EXAMPLE / "nucleus.3dg.gz"
CHROMOSOMES = ("19", "21", "X")


@pytest.mark.parametrize("haplotype", [None, "mat"])
def test_each_chromosome_of_the_split_is_the_table_of_its_own_parse(tmp_path, haplotype):
    for chrom in CHROMOSOMES:
        direct = stage.load_structure(NUCLEUS, chrom, haplotype=haplotype, neighbour_radius=1.5)
        shared = stage.load_structure(NUCLEUS, chrom, haplotype=haplotype, neighbour_radius=1.5, shared=tmp_path)
        assert shared[0].equals(direct[0], null_equal=True) and shared[0].schema == direct[0].schema
        assert shared[1] == direct[1]
    (split,) = tmp_path.iterdir()  # one split of the file at these settings, every chromosome in it
    assert sorted(p.name for p in split.glob("*.parquet")) == [f"chr{c}.parquet" for c in CHROMOSOMES]


def test_the_file_is_parsed_once_for_every_chromosome(tmp_path, monkeypatch):
    reads = []
    read = stage._read_whole
    monkeypatch.setattr(stage, "_read_whole", lambda *args: reads.append(args) or read(*args))
    for chrom in CHROMOSOMES:
        stage.load_structure(NUCLEUS, chrom, shared=tmp_path)
    assert len(reads) == 1
    stage.load_structure(NUCLEUS, "21", neighbour_radius=2.0, shared=tmp_path)  # another radius: its own split
    assert len(reads) == 2 and len(list(tmp_path.iterdir())) == 2


def test_an_edited_file_is_split_again(tmp_path):
    copy = tmp_path / "cell.3dg"
    lines = gzip.decompress(NUCLEUS.read_bytes()).decode().splitlines(keepends=True)
    copy.write_text("".join(lines))
    before = stage.load_structure(copy, "21", shared=tmp_path / "split")[0]
    copy.write_text("".join(moved(line) if line.startswith("21(") else line for line in lines))
    os.utime(copy, ns=(0, copy.stat().st_mtime_ns + 10**9))
    after, direct = stage.load_structure(copy, "21", shared=tmp_path / "split")[0], stage.load_structure(copy, "21")[0]
    assert after.equals(direct, null_equal=True) and not after.equals(before, null_equal=True)


def moved(line):
    """A .3dg line with its bead moved by 1 along x."""
    fields = line.rstrip("\n").split("\t")
    fields[2] = repr(float(fields[2]) + 1.0)
    return "\t".join(fields) + "\n"


def test_a_file_of_one_chromosome_is_not_split(tmp_path):
    single = tmp_path / "chr21.3dg"
    lines = gzip.decompress(NUCLEUS.read_bytes()).decode().splitlines(keepends=True)
    single.write_text("".join(line for line in lines if line.startswith("21(")))
    frame, info = stage.load_structure(single, "21", shared=tmp_path / "split")
    assert frame.height > 0 and info["nucleus_chromosomes"] is None
    assert not list((tmp_path / "split").rglob("*.parquet"))  # its one job parses it; nothing to share


def test_fetch_pdb_writes_the_same_bytes_from_the_split(tmp_path, monkeypatch):
    for chrom in CHROMOSOMES:  # the first job splits the file; the others read theirs
        steps.fetch_pdb(str(tmp_path / "shared" / f"chr{chrom}.parquet"), chrom, source=str(NUCLEUS))
    assert len(list((tmp_path / "shared" / ".split").rglob("chr*.parquet"))) == len(CHROMOSOMES)
    monkeypatch.setattr(stage, "split_once", lambda *args: None)  # each job parses the whole file itself
    for chrom in CHROMOSOMES:
        steps.fetch_pdb(str(tmp_path / "alone" / f"chr{chrom}.parquet"), chrom, source=str(NUCLEUS))
        alone, shared = (tmp_path / where / f"chr{chrom}.parquet" for where in ("alone", "shared"))
        assert alone.read_bytes() == shared.read_bytes()
