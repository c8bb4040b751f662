"""Simulated structures and contacts of a small diploid cell, the input of the real tools' test files.

Our own code (numpy only): the example genome's chr21 (29,689,895 bp) and chrX (35,945,000 bp) at 500 kb,
both homologs of each (a female cell), each homolog a confined random walk in nm around its own territory
centre, ``--structures`` independent cells. Writes into OUTDIR:

- ``coords.npz``: ``chrom``, ``start``, ``end``, ``copy`` (0 = first homolog) per bead, in alabtools'
  diploid order (every chromosome's first copy, then every second copy), and ``coords``
  (beads x structures x 3, nm): what ``alabtools_hss.py`` turns into an HSS file;
- ``counts.matrix`` and ``counts.bed``: the cells' contacts (bead pairs closer than ``--contact`` nm,
  both homologs summed onto the haploid bins, as unphased Hi-C sees them), HiC-Pro/iced layout
  (``i j count``, 1-based, i <= j; ``chrom start end index``): what PASTIS reads. The first
  ``--p-arm`` bins of chr21 (the acrocentric short arm, unmappable) get no contact.

    python tests/data/real/simulate_population.py OUTDIR --seed 24
"""

import argparse
import os

import numpy as np

CHROMOSOMES = (("chr21", 29_689_895), ("chrX", 35_945_000))
RESOLUTION = 500_000


def bins():
    """(chrom, start, end) of every haploid bin, chromosome by chromosome."""
    out = []
    for chrom, length in CHROMOSOMES:
        for start in range(0, length, RESOLUTION):
            out.append((chrom, start, min(start + RESOLUTION, length)))
    return out


def walk(n, rng, centre, step=250.0, pull=0.15):
    """A random walk of ``n`` beads (``step`` nm bonds) pulled towards ``centre`` (a compact territory)."""
    xyz = np.empty((n, 3))
    xyz[0] = centre + rng.normal(0, step, 3)
    for i in range(1, n):
        xyz[i] = xyz[i - 1] + rng.normal(0, step / np.sqrt(3), 3) + pull * (centre - xyz[i - 1])
    return xyz


def simulate(seed=24, structures=10, nucleus=2500.0):
    """Bead table and coordinates (beads x structures x 3) of ``structures`` cells."""
    rng = np.random.default_rng(seed)
    haploid = bins()
    index = [(c, s, e, copy) for copy in (0, 1) for c, s, e in haploid]
    coords = np.empty((len(index), structures, 3))
    for k in range(structures):
        rows = []
        for _copy in (0, 1):
            for chrom, _ in CHROMOSOMES:
                n = sum(1 for c, _, _ in haploid if c == chrom)
                direction = rng.normal(size=3)
                centre = direction / np.linalg.norm(direction) * nucleus * rng.uniform(0.2, 0.6)
                rows.append(walk(n, rng, centre))
        coords[:, k, :] = np.concatenate(rows)
    return haploid, index, coords


def contacts(haploid, index, coords, cutoff=500.0, p_arm=6):
    """Haploid contact counts (upper triangle, i < j) from every structure's close bead pairs."""
    n = len(haploid)
    counts = np.zeros((n, n), dtype=int)
    bin_of = [i % n for i in range(len(index))]
    for k in range(coords.shape[1]):
        xyz = coords[:, k, :]
        dist = np.linalg.norm(xyz[:, None, :] - xyz[None, :, :], axis=-1)
        a, b = np.nonzero(np.triu(dist < cutoff, 1))
        for i, j in zip(a, b):
            u, v = sorted((bin_of[i], bin_of[j]))
            if u != v:
                counts[u, v] += 1
    counts[:p_arm, :] = 0
    counts[:, :p_arm] = 0
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--structures", type=int, default=10)
    parser.add_argument("--contact", type=float, default=500.0, help="contact distance, nm")
    parser.add_argument("--p-arm", type=int, default=6, help="chr21 bins without contacts")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    haploid, index, coords = simulate(args.seed, args.structures)
    np.savez(
        os.path.join(args.outdir, "coords.npz"),
        chrom=np.array([c for c, _, _, _ in index]),
        start=np.array([s for _, s, _, _ in index]),
        end=np.array([e for _, _, e, _ in index]),
        copy=np.array([k for _, _, _, k in index]),
        coords=coords,
    )
    counts = contacts(haploid, index, coords, args.contact, args.p_arm)
    with open(os.path.join(args.outdir, "counts.bed"), "w") as handle:
        for i, (chrom, start, end) in enumerate(haploid, start=1):
            handle.write(f"{chrom}\t{start}\t{end}\t{i}\n")
    with open(os.path.join(args.outdir, "counts.matrix"), "w") as handle:
        for i, j in zip(*np.nonzero(counts)):
            handle.write(f"{i + 1}\t{j + 1}\t{counts[i, j]}\n")


if __name__ == "__main__":
    main()
