"""The embedded example: a small, internally consistent synthetic genome.

``python -m chromapipe.example OUTDIR`` regenerates ``workflow/resources/example/``
byte for byte (the generator is seeded). Three chromosomes named like real ones,
each of 60-72 bins of 500 kb:

* ``bins.txt``: the genome-wide bin map in GSDB's layout (``bin chr start end``,
  1-based inclusive, X as 23), last bin of each chromosome shorter than 500 kb;
* ``chr{N}.pdb``: a 3DMax-style structure (GSDB's line format, CONECT records),
  one bead per bin that takes part in a contact;
* ``chr{N}_list.txt``: the contact list (``pos1 pos2 count``, bin starts),
  whose off-diagonal, positive-count positions are exactly the beads; it also
  holds diagonal-only and zero-count rows for bins that must not become beads;
* ``genome.fa.gz`` (+ ``.fai``, ``.gzi``): bgzip FASTA named ``chr19``,
  ``chr21``, ``chrX`` (UCSC style), GC content varying along each chromosome,
  soft-masked (lowercase) stretches, an all-N gap stretch per chromosome with no
  bead, and partial N runs inside some bins;
* ``genes.gtf.gz``: genes (with transcript and exon rows, which do not count)
  named ``19``, ``21``, ``X`` (Ensembl style), denser in GC-rich bins.

The mixed naming between FASTA and GTF is deliberate: both are resolved.
"""

import gzip
import io
import os
import sys

import numpy as np

from .synthetic import format_pdb, random_walk

BIN = 500_000
#: name, GSDB number, bins, gap stretch (first bin, bins), length short of the full last bin
CHROMOSOMES = (
    ("19", 19, 64, (28, 6), 137_000),
    ("21", 21, 60, (0, 8), 310_105),
    ("X", 23, 72, (30, 7), 55_000),
)
# bins with a few hundred kb of N (partial gaps), per chromosome, as (bin, N length)
PARTIAL_N = {"19": ((10, 120_000), (45, 300_000)), "21": ((8, 250_000), (33, 40_000)), "X": ((5, 100_000),)}
UNIT = 600  # each bin is a repeated random unit (a multiple of the 60-column line): compresses well
SEED = 20260224


def _bins():
    rows, index = [], 1
    for name, number, n_bins, _, short in CHROMOSOMES:
        for b in range(n_bins):
            start = b * BIN + 1
            end = (b + 1) * BIN if b < n_bins - 1 else (b + 1) * BIN - short
            rows.append((index, name, number, b, start, end))
            index += 1
    return rows


def _bead_bins(name, n_bins, gap):
    first, length = gap
    return [b for b in range(n_bins) if not first <= b < first + length]


def _sequence(rng, name, n_bins, gap, bins_of_chrom):
    """One chromosome's sequence: GC varying along it, N gap and partial N runs, soft masking."""
    first, length = gap
    parts = []
    partial = dict(PARTIAL_N[name])
    for b, (start, end) in enumerate(bins_of_chrom):
        size = end - start + 1
        if first <= b < first + length:
            parts.append("N" * size)
            continue
        gc = 0.36 + 0.22 * (0.5 + 0.5 * np.sin(b / 5.0 + len(name)))
        unit = rng.choice(list("ACGT"), size=UNIT, p=[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
        unit = "".join(unit)
        if b % 7 == 3:
            unit = unit.lower()  # soft-masked repeat: counts as sequence
        seq = (unit * (size // UNIT + 1))[:size]
        if b in partial:
            n = partial[b]
            seq = "N" * n + seq[n:]
        parts.append(seq)
    return "".join(parts)


def _genes(rng, name, bins_of_chrom, bead_bins, sequence_gc):
    rows = []
    gene = 0
    for b in bead_bins:
        start, end = bins_of_chrom[b]
        # denser in GC-rich bins: 0-6 genes
        count = int(rng.poisson(1 + 8 * max(sequence_gc[b] - 0.38, 0)))
        for _ in range(count):
            g_start = int(rng.integers(start, end))
            g_end = min(g_start + int(rng.integers(1_000, 250_000)), bins_of_chrom[-1][1])
            gene += 1
            gid = f"ENSG_{name}_{gene:05d}"
            attrs = f'gene_id "{gid}"; gene_name "G{name}.{gene}"; gene_biotype "protein_coding";'
            strand = "+" if rng.random() < 0.5 else "-"
            rows.append((name, g_start, g_end, "gene", strand, attrs))
            rows.append((name, g_start, g_end, "transcript", strand, attrs + f' transcript_id "{gid}.1";'))
            rows.append(
                (name, g_start, min(g_start + 500, g_end), "exon", strand, attrs + f' transcript_id "{gid}.1";')
            )
    return rows


def _contacts(rng, bead_bins, bins_of_chrom, gap):
    """Contacts among bead bins (neighbours within 3 bins), plus rows that must not make beads."""
    starts = [bins_of_chrom[b][0] for b in bead_bins]
    lines = []
    for i, p in enumerate(starts):
        lines.append((p, p, float(rng.integers(50, 200))))  # diagonal
        for j in range(i + 1, min(i + 4, len(starts))):
            lines.append((p, starts[j], round(float(rng.gamma(2.0, 3.0)) + 0.01, 4)))
    first, _ = gap
    gap_start = bins_of_chrom[first][0]
    lines.append((gap_start, gap_start, 12.0))  # diagonal only: no bead
    lines.append((gap_start, starts[0], 0.0))  # zero count: no bead
    return "".join(f"{a}\t{b}\t{c:g}\n" for a, b, c in sorted(lines))


def _bgzip(path, text):
    from Bio import bgzf

    with bgzf.BgzfWriter(path, "wb", compresslevel=9) as handle:
        handle.write(text.encode("ascii"))


def _index_fasta(path):
    import pyfaidx

    pyfaidx.Fasta(path).close()  # writes .fai (and .gzi for bgzip)


def generate(outdir):
    """Write the example into ``outdir`` (created if missing); returns the file names."""
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    bins = _bins()
    with open(os.path.join(outdir, "bins.txt"), "w") as handle:
        for index, _, number, _, start, end in bins:
            handle.write(f"{index} \t {number} \t {start} \t {end}\n")
    fasta = io.StringIO()
    gtf_rows = []
    for name, _, n_bins, gap, _ in CHROMOSOMES:
        bins_of_chrom = [(s, e) for _, n, _, _, s, e in bins if n == name]
        bead_bins = _bead_bins(name, n_bins, gap)
        seq = _sequence(rng, name, n_bins, gap, bins_of_chrom)
        gc = []
        for s, e in bins_of_chrom:
            chunk = seq[s - 1 : e].upper()
            acgt = sum(chunk.count(c) for c in "ACGT")
            gc.append((chunk.count("G") + chunk.count("C")) / acgt if acgt else 0.0)
        fasta.write(f">chr{name}\n")
        for i in range(0, len(seq), 60):
            fasta.write(seq[i : i + 60] + "\n")
        gtf_rows += _genes(rng, name, bins_of_chrom, bead_bins, gc)
        coords = random_walk(len(bead_bins), seed=int(rng.integers(1 << 30)), step=0.35)
        with open(os.path.join(outdir, f"chr{name}.pdb"), "w") as handle:
            handle.write(format_pdb(coords))
        with open(os.path.join(outdir, f"chr{name}_list.txt"), "w") as handle:
            handle.write(_contacts(rng, bead_bins, bins_of_chrom, gap))
    fasta_path = os.path.join(outdir, "genome.fa.gz")
    for suffix in ("", ".fai", ".gzi"):
        if os.path.exists(fasta_path + suffix):
            os.unlink(fasta_path + suffix)
    _bgzip(fasta_path, fasta.getvalue())
    _index_fasta(fasta_path)
    gtf = "#!genome-build chromapipe-example\n" + "".join(
        f"{c}\texample\t{f}\t{s}\t{e}\t.\t{st}\t.\t{a}\n" for c, s, e, f, st, a in gtf_rows
    )
    with open(os.path.join(outdir, "genes.gtf.gz"), "wb") as handle:
        # mtime=0: the same bytes on every run
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as packed:
            packed.write(gtf.encode("ascii"))
    return sorted(os.listdir(outdir))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    outdir = argv[0] if argv else os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "example")
    for name in generate(outdir):
        print(os.path.join(outdir, name))


if __name__ == "__main__":
    main()
