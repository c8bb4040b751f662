"""Annotations from a local FASTA and GTF/GFF3."""

import gzip

import numpy as np
import polars as pl
import pytest

from chromapipe.annotations.files import annotate_from_files
from chromapipe.annotations.table import base_counts, gc_stats, genes_per_bin
from chromapipe.beadmap import parse_bin_map
from chromapipe.errors import InputError

BIN = 100


def make_genome(tmp_path, name="21", compress=None):
    # four bins of 100 bp: plain GC 50 %, half N, all N, lowercase GC-rich
    seq = "ACGT" * 25 + "GGCC" * 12 + "N" * 52 + "N" * 100 + "gcgcat" * 16 + "gcgc"
    assert len(seq) == 4 * BIN
    fasta = tmp_path / "genome.fa"
    body = f">{name} test\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n"
    if compress == "gzip":
        fasta = tmp_path / "genome.fa.gz"
        fasta.write_bytes(gzip.compress(body.encode()))
    elif compress == "bgzip":
        from Bio import bgzf

        fasta = tmp_path / "genome.fa.gz"
        with bgzf.BgzfWriter(str(fasta), "wb") as handle:
            handle.write(body.encode())
    else:
        fasta.write_text(body)
    gtf = tmp_path / "genes.gtf"
    rows = [
        (name, "t", "gene", 10, 20),  # bin 1
        (name, "t", "gene", 90, 210),  # bins 1, 2, 3
        (name, "t", "exon", 95, 105),  # not a gene
        (name, "t", "gene", 200, 201),  # bins 2, 3 (200 is bin 2's end, 201 bin 3's start)
        ("22", "t", "gene", 1, 400),  # another chromosome
    ]
    gtf.write_text(
        "#!genome-build test\n"
        + "".join(f'{c}\t{s}\t{f}\t{a}\t{b}\t.\t+\t.\tgene_id "g{i}";\n' for i, (c, s, f, a, b) in enumerate(rows))
    )
    bins = parse_bin_map("".join(f"{i + 1} 21 {i * BIN + 1} {(i + 1) * BIN}\n" for i in range(4)))
    return fasta, gtf, bins


EXPECTED_GC = [0.5, 1.0, None, (16 * 4 + 4) / 100]
EXPECTED_N = [0.0, 0.52, 1.0, 0.0]
EXPECTED_GENES = [2, 2, 2, 0]


def check(table):
    assert table.columns == ["start", "end", "gc_content", "n_fraction", "gene_density"]
    assert table["start"].to_list() == [1, 101, 201, 301]
    gc = table["gc_content"].to_list()
    for got, want in zip(gc, EXPECTED_GC):
        assert (got is None and want is None) or got == pytest.approx(want)
    assert table["n_fraction"].to_list() == pytest.approx(EXPECTED_N)
    assert table["gene_density"].to_list() == EXPECTED_GENES
    assert table.schema["gene_density"] == pl.Int32


@pytest.mark.parametrize("fasta_name", ["21", "chr21"])
def test_gc_n_and_genes(tmp_path, fasta_name):
    fasta, gtf, bins = make_genome(tmp_path, fasta_name)
    check(annotate_from_files(bins, "21", fasta, gtf))
    check(annotate_from_files(bins, "chr21", fasta, gtf))


def test_bgzip_fasta(tmp_path):
    fasta, gtf, bins = make_genome(tmp_path, compress="bgzip")
    check(annotate_from_files(bins, "21", fasta, gtf))


def test_plain_gzip_fasta_is_a_clear_error(tmp_path):
    fasta, gtf, bins = make_genome(tmp_path, compress="gzip")
    with pytest.raises(InputError, match="recompress it with 'bgzip'"):
        annotate_from_files(bins, "21", fasta, gtf)


def test_gzipped_gtf(tmp_path):
    fasta, gtf, bins = make_genome(tmp_path)
    packed = tmp_path / "genes.gtf.gz"
    packed.write_bytes(gzip.compress(gtf.read_bytes()))
    check(annotate_from_files(bins, "21", fasta, packed))


def test_missing_chromosome_in_fasta_and_gtf(tmp_path):
    fasta, gtf, _ = make_genome(tmp_path, "chr19")
    bins = parse_bin_map("1 21 1 100\n")
    with pytest.raises(
        InputError, match=r"chromosome 21 does not occur in the GTF/GFF3 \(looked for 21 or chr21; it has chr19, 22\)"
    ):
        annotate_from_files(bins, "21", fasta, gtf)
    gtf.write_text("21\tt\tgene\t1\t5\t.\t+\t.\tx\n")
    with pytest.raises(InputError, match=r"chromosome 21 is not in the FASTA \(looked for 21 or chr21; it has chr19\)"):
        annotate_from_files(bins, "21", fasta, gtf)


def test_bin_past_chromosome_end(tmp_path):
    fasta, gtf, _ = make_genome(tmp_path)
    bins = parse_bin_map("1 21 301 400\n2 21 401 500\n")
    with pytest.raises(InputError, match="runs past the end of chromosome 21"):
        annotate_from_files(bins, "21", fasta, gtf)


def test_gc_stats_definition():
    assert gc_stats("GGCCAATT") == (0.5, 0.0)
    assert gc_stats("NNNN") == (None, 1.0)
    assert gc_stats("ggNN") == (1.0, 0.5)
    assert gc_stats("RYKM") == (None, 0.0)  # IUPAC codes are neither ACGT nor N


def test_base_counts_are_the_letters_counted_in_either_case():
    """The counts over the bytes equal counting each letter of the upper-cased text."""
    rng = np.random.default_rng(3)
    letters = np.array(list("ACGTNacgtnRYKM-."))
    every_ascii = np.array([chr(code) for code in range(128)])  # bytes one bit away from a letter counted too
    texts = ["", "ACGTNacgtn", "ßAcg", "g" * 7, "".join(rng.choice(letters, 50_000)),
             "".join(rng.choice(every_ascii, 50_000))]  # fmt: skip
    for text in texts:
        upper = text.upper()
        expected = {"gc": upper.count("G") + upper.count("C"), "at": upper.count("A") + upper.count("T"),
                    "n": upper.count("N"), "length": len(upper)}  # fmt: skip
        assert base_counts(text) == expected, text[:10]


def test_genes_per_bin_matches_brute_force():
    rng = np.random.default_rng(0)
    starts = rng.integers(1, 10_000, 300)
    ends = starts + rng.integers(0, 3_000, 300)
    bin_starts = np.arange(1, 12_000, 500)
    bin_ends = bin_starts + 499
    brute = [int(((starts <= b) & (ends >= a)).sum()) for a, b in zip(bin_starts, bin_ends)]
    assert genes_per_bin(starts, ends, bin_starts, bin_ends).tolist() == brute
