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
  named ``19``, ``21``, ``X`` (Ensembl style), denser in GC-rich bins;
* A/B compartments planted in the contact lists: every pair of beads more than
  three bins apart has a count drawn around a power-law decay with distance,
  raised within a compartment type and lowered across (type A where the bin's
  GC content is above the chromosome's median), so the cis eigenvector finds them;
* ``h3k9me3.bw``: a bigWig (``chr19``... naming) of a heterochromatin-like signal
  in 50 kb steps, high in B, low in A, with an uncovered stretch per chromosome;
* ``lads.bed.gz``: lamina-associated-domain-like BED intervals (``19``...
  naming) planted on the structure: they cover most of each stretch of beads
  farther from the chain's centre than the chromosome's median bead (the
  periphery, where the nuclear lamina is), some crossing bin edges; their
  ``coverage`` rises with ``dist_com`` and falls with ``dist_surface``, a
  correlation the report's heatmap shows as real (its interval excludes 0).

The mixed naming between FASTA and GTF is deliberate: both are resolved.

* ``nucleus.3dg.gz``: a whole diploid nucleus in Dip-C's ``.3dg`` (``19(pat)``, ``19(mat)``, ...;
  0-based bin starts), one bead per bin of each homolog outside the chromosome's gap stretch, each
  homolog a confined random walk in its own territory of a shared nucleus: the second example config
  (``config/nucleus.yaml``) runs the whole-nucleus features on it (radial position, periphery, trans
  neighbours, the distance between homologs). Its own generator (:data:`NUCLEUS_SEED`): the other
  files' draws stay as they were.
* ``ensemble.pdb.gz``: a small ensemble of the same genome in nuc_dynamics' multi-``MODEL`` PDB
  (``nucdyn-pdb``: one chain per chromosome, 0-based bin starts in columns 81-90), :data:`ENSEMBLE_MODELS`
  models of the beads of ``chr{N}.pdb``: model 1 is those structures as they are, each later model the
  same beads moved by a seeded Gaussian jitter (:data:`ENSEMBLE_JITTER` per axis), then rotated and
  translated at random (what a superposition takes out). The third example config
  (``config/compare.yaml``) compares it with the other two structures and superposes its models. Its own
  generator (:data:`ENSEMBLE_SEED`).
"""

import gzip
import io
import os
import sys

import numpy as np

from .formats.pdb import format_pdb
from .synthetic import random_walk

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
#: A second generator for what was added later (compartments, tracks): the first's draws stay as they were.
TRACKS_SEED = 20261125
STEP = 50_000  # the bigWig's step
#: The generator of the diploid nucleus (added later still).
NUCLEUS_SEED = 20261203
#: The generator of the ensemble (added last), its models and their jitter (model units, per axis).
ENSEMBLE_SEED = 20261204
ENSEMBLE_MODELS = 3
ENSEMBLE_JITTER = 0.03


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


def _contacts(rng, bead_bins, bins_of_chrom, gap, long_range=()):
    """Contacts among bead bins (neighbours within 3 bins, and ``long_range``), plus rows that must not make beads."""
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
    lines += long_range
    return "".join(f"{a}\t{b}\t{c:g}\n" for a, b, c in sorted(lines))


def _compartment_types(gc, bead_bins):
    """+1 (A) where a bead bin's GC content is above the chromosome's median, else -1 (B)."""
    values = np.array([gc[b] for b in bead_bins])
    return np.where(values > np.median(values), 1, -1)


def _long_range(rng, bead_bins, bins_of_chrom, types):
    """Contacts between beads more than three apart: power-law decay, x1.6 within a type, x0.4 across."""
    starts = [bins_of_chrom[b][0] for b in bead_bins]
    lines = []
    for i in range(len(starts)):
        for j in range(i + 4, len(starts)):
            mean = 40.0 * (j - i) ** -1.0 * (1.6 if types[i] == types[j] else 0.4)
            count = int(rng.poisson(mean))
            if count:
                lines.append((starts[i], starts[j], float(count)))
    return lines


def _peripheral(coords, bead_bins):
    """The bead bins whose bead lies farther from the beads' centre than the median bead's (the periphery)."""
    distance = np.linalg.norm(coords - coords.mean(axis=0), axis=1)
    return {b for b, d in zip(bead_bins, distance) if d > np.median(distance)}


def _track_rows(rng, name, bins_of_chrom, bead_bins, types, gap, peripheral):
    """The bigWig's (start, end, value) steps and the BED's (start, end) intervals of one chromosome, 0-based.

    The signal follows the compartments (high in B); the intervals follow the structure: they
    cover the runs of ``peripheral`` bins, each run's ends trimmed by up to a quarter bin.
    """
    kind = dict(zip(bead_bins, types))
    first, length = gap
    end = bins_of_chrom[-1][1]
    steps = []
    for start in range(0, end, STEP):
        b = start // BIN
        if first <= b < first + length:
            continue  # the gap: uncovered
        level = 2.0 if kind.get(b, 1) < 0 else 0.5
        steps.append((start, min(start + STEP, end), round(level + float(rng.normal(0, 0.3)), 3)))
    beds = []
    b = 0
    while b < len(bins_of_chrom):
        if b in peripheral:
            run = b
            while run < len(bins_of_chrom) and run in peripheral:
                run += 1
            lo = bins_of_chrom[b][0] - 1 + int(rng.integers(0, BIN // 4))
            hi = min(bins_of_chrom[run - 1][1] - int(rng.integers(0, BIN // 4)), end)
            if hi > lo:
                beds.append((lo, hi))
            b = run
        else:
            b += 1
    return steps, beds


def _write_tracks(outdir, tracks, sizes):
    import pyBigWig

    path = os.path.join(outdir, "h3k9me3.bw")
    handle = pyBigWig.open(path, "w")
    handle.addHeader([(f"chr{name}", size) for name, size in sizes])
    for name, _ in sizes:
        steps = tracks[name][0]
        handle.addEntries([f"chr{name}"] * len(steps), [s for s, _, _ in steps], ends=[e for _, e, _ in steps],
                          values=[v for _, _, v in steps])  # fmt: skip
    handle.close()
    bed = "".join(f"{name}\t{lo}\t{hi}\n" for name, _ in sizes for lo, hi in tracks[name][1])
    with open(os.path.join(outdir, "lads.bed.gz"), "wb") as handle:
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as packed:
            packed.write(bed.encode("ascii"))


def _bgzip(path, text):
    from Bio import bgzf

    with bgzf.BgzfWriter(path, "wb", compresslevel=9) as handle:
        handle.write(text.encode("ascii"))


def _index_fasta(path):
    import pyfaidx

    pyfaidx.Fasta(path).close()  # writes .fai (and .gzi for bgzip)


def _nucleus(rng):
    """The ``.3dg`` text of the diploid nucleus: each homolog's walk around its territory's centre."""
    lines = []
    for name, _, n_bins, gap, _ in CHROMOSOMES:
        for hap in ("pat", "mat"):
            centre = rng.normal(scale=2.0, size=3)
            walk = random_walk(len(_bead_bins(name, n_bins, gap)), seed=int(rng.integers(1 << 30)), step=1.0,
                               confinement=0.03) + centre  # fmt: skip
            for b, (x, y, z) in zip(_bead_bins(name, n_bins, gap), walk, strict=True):
                lines.append(f"{name}({hap})\t{b * BIN}\t{x:.6f}\t{y:.6f}\t{z:.6f}\n")
    return "".join(lines)


def _rotation(rng):
    """A random proper rotation (3 x 3, determinant +1): the Q of a Gaussian matrix's QR, signs fixed."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _ensemble(rng, walks):
    """The ``nucdyn-pdb`` text of the ensemble: ``walks`` (chromosome -> (bead bins, coordinates)) as model 1,
    then each later model jittered, rotated and translated as a whole (every chromosome together)."""
    from .formats.model import Structure
    from .formats.pdb import NUCDYN_UNITS, format_nucdyn

    names = [name for name, *_ in CHROMOSOMES]
    first = np.vstack([walks[name][1] for name in names])
    chrom = np.array([name for name in names for _ in walks[name][0]], dtype=object)
    start = np.array([b * BIN + 1 for name in names for b in walks[name][0]], dtype=np.int64)
    models = [first]
    for _ in range(ENSEMBLE_MODELS - 1):
        moved = first + rng.normal(0.0, ENSEMBLE_JITTER, first.shape)
        models.append(moved @ _rotation(rng).T + rng.normal(0.0, 1.0, 3))
    n = first.shape[0]
    structure = Structure(
        chrom=np.tile(chrom, ENSEMBLE_MODELS),
        haplotype=np.full(n * ENSEMBLE_MODELS, None, dtype=object),
        start=np.tile(start, ENSEMBLE_MODELS),
        model=np.repeat(np.arange(1, ENSEMBLE_MODELS + 1, dtype=np.int64), n),
        coords=np.vstack(models),
        units=NUCDYN_UNITS,
        format="nucdyn-pdb",
    )
    return format_nucdyn(structure)


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
    later = np.random.default_rng(TRACKS_SEED)
    tracks, sizes, walks = {}, [], {}
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
        walks[name] = (bead_bins, coords)
        with open(os.path.join(outdir, f"chr{name}.pdb"), "w") as handle:
            handle.write(format_pdb(coords))
        types = _compartment_types(gc, bead_bins)
        with open(os.path.join(outdir, f"chr{name}_list.txt"), "w") as handle:
            handle.write(_contacts(rng, bead_bins, bins_of_chrom, gap, _long_range(later, bead_bins, bins_of_chrom,
                                                                                     types)))  # fmt: skip
        tracks[name] = _track_rows(later, name, bins_of_chrom, bead_bins, types, gap, _peripheral(coords, bead_bins))
        sizes.append((name, bins_of_chrom[-1][1]))
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
    _write_tracks(outdir, tracks, sizes)
    with open(os.path.join(outdir, "nucleus.3dg.gz"), "wb") as handle:
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="") as packed:
            packed.write(_nucleus(np.random.default_rng(NUCLEUS_SEED)).encode("ascii"))
    with open(os.path.join(outdir, "ensemble.pdb.gz"), "wb") as handle:
        with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0, filename="", compresslevel=9) as packed:
            packed.write(_ensemble(np.random.default_rng(ENSEMBLE_SEED), walks).encode("ascii"))
    return sorted(os.listdir(outdir))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    outdir = argv[0] if argv else os.path.join(os.path.dirname(os.path.dirname(__file__)), "resources", "example")
    for name in generate(outdir):
        print(os.path.join(outdir, name))


if __name__ == "__main__":
    main()
