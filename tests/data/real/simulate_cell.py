"""Simulated contacts of a small diploid (female) cell, as input to the real structure tools.

Each homolog of chr21 and chrX (the lengths of the shipped example genome) is a confined random walk of
100 kb loci, the four walks in territories of their own; loci pairs come into contact with a probability
that falls with their 3D distance, and each contact gets base-pair positions drawn inside its two loci.
The phase of every leg is known (``a``/``b`` = 0/1), as after hickit's imputation.

Writes in the current directory ``cell.pairs`` (hickit's pairs format, with phase0/phase1), ``cell.ncc``
(NucProcess's NCC, homologs named as Dip-C names them, ``chr21(pat)``/``chr21(mat)``) and
``cell_pat.ncc`` (the paternal copy alone, chromosomes named ``21``/``X``: nuc_dynamics' PDB keeps only
3 characters of a name, so a PDB tells chromosomes apart only for names that short).
Deterministic: ``python simulate_cell.py`` (numpy; seed fixed).
"""

import numpy as np

CHROMOSOMES = {"chr21": 29_689_895, "chrX": 35_945_000}
LOCUS = 100_000
#: Contacts to keep (about; drawn independently per loci pair).
TARGET = 40_000
SEED = 24


def walk(rng, n, centre):
    """A random walk of ``n`` unit steps, pulled towards ``centre`` (a territory of its own)."""
    points = np.empty((n, 3))
    points[0] = centre + rng.normal(size=3)
    for i in range(1, n):
        step = rng.normal(size=3)
        step /= np.linalg.norm(step)
        points[i] = points[i - 1] + step + 0.05 * (centre - points[i - 1])
    return points


def simulate(rng):
    """Loci (chrom, phase, start) and their coordinates for the four homologs."""
    loci, coords = [], []
    centres = iter(np.array([[4.0, 0, 0], [-4.0, 0, 0], [0, 4.5, 0], [0, -4.5, 0]]))
    for chrom, length in CHROMOSOMES.items():
        n = -(-length // LOCUS)
        for phase in (0, 1):
            coords.append(walk(rng, n, next(centres)))
            loci += [(chrom, phase, k * LOCUS, min((k + 1) * LOCUS, length)) for k in range(n)]
    return loci, np.concatenate(coords)


def contacts(rng, loci, coords):
    """Sampled contacts: pairs of loci, each with a probability ~ exp(-d^2 / 2) scaled to TARGET."""
    i, j = np.triu_indices(len(loci), k=1)
    d2 = ((coords[i] - coords[j]) ** 2).sum(axis=1)
    weight = np.exp(-d2 / 2.0)
    p = np.minimum(weight * TARGET / weight.sum(), 1.0)
    keep = rng.random(p.shape) < p
    out = []
    for a, b in zip(i[keep].tolist(), j[keep].tolist()):
        legs = []
        for k in (a, b):
            chrom, phase, start, end = loci[k]
            legs.append((chrom, int(rng.integers(start, end - 150)) + 1, phase, "+-"[int(rng.integers(2))]))
        out.append(legs)
    return out


def write_ncc(path, found, name):
    """Contacts in the NCC format; ``name(chrom, phase)`` names a leg's sequence."""
    with open(path, "w") as handle:
        for n, legs in enumerate(found, start=1):
            fields = []
            for chrom, pos, phase, strand in legs:
                fields += [name(chrom, phase), pos, pos + 100, pos - 50, pos + 150, strand]
                if strand == "-":  # nuc_dynamics takes the fragment end of a '-' leg: keep it the position
                    fields[-5], fields[-4] = pos + 100, pos
            handle.write(" ".join(str(f) for f in fields) + f" 1.1 {n} 0\n")


def main():
    rng = np.random.default_rng(SEED)
    loci, coords = simulate(rng)
    found = contacts(rng, loci, coords)
    with open("cell.pairs", "w") as handle:
        handle.write("## pairs format v1.0\n")
        for chrom, length in CHROMOSOMES.items():
            handle.write(f"#chromsize: {chrom} {length}\n")
        handle.write("#columns: readID chr1 pos1 chr2 pos2 strand1 strand2 phase0 phase1\n")
        for (c1, p1, h1, s1), (c2, p2, h2, s2) in found:
            handle.write(f".\t{c1}\t{p1}\t{c2}\t{p2}\t{s1}\t{s2}\t{h1}\t{h2}\n")
    write_ncc("cell.ncc", found, lambda chrom, phase: f"{chrom}({('pat', 'mat')[phase]})")
    paternal = [legs for legs in found if legs[0][2] == legs[1][2] == 0]
    write_ncc("cell_pat.ncc", paternal, lambda chrom, phase: chrom.removeprefix("chr"))
    print(f"{len(found)} contacts of {len(loci)} loci")


if __name__ == "__main__":
    main()
