"""An alabtools population (HSS) file of the simulated cell, then alabtools' own IHM writer on it.

Run with an alabtools installation (our code: it only fills alabtools' HssFile with
``simulate_population.py``'s coordinates; ``savePDBx`` is alabtools'):

    python tests/data/real/alabtools_hss.py SIMDIR/coords.npz OUTDIR/cell.hss OUTDIR/cell.ihm
"""

import sys

import numpy as np
from alabtools.analysis import HssFile
from alabtools.utils import Genome, Index


def main(coords_npz, hss, ihm):
    data = np.load(coords_npz)
    # the example genome's two chromosomes (simulate_population.CHROMOSOMES), not a shipped assembly's
    genome = Genome("example", chroms=["chr21", "chrX"], lengths=[29_689_895, 35_945_000])
    chrom = [genome.getchrnum(c) for c in data["chrom"]]
    index = Index(chrom, data["start"].tolist(), data["end"].tolist(), copy=data["copy"].tolist(), genome=genome)
    coords = data["coords"].astype(np.float32)
    with HssFile(hss, "w") as f:
        f.set_genome(genome)
        f.set_index(index)
        f.set_coordinates(coords)
        f.set_radii(np.full(len(index), 150.0, dtype=np.float32))
    with HssFile(hss, "r") as f:
        f.savePDBx(ihm)


if __name__ == "__main__":
    main(*sys.argv[1:4])
