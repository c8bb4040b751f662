"""Synthetic structures (random walks) and a synthetic GSDB dataset, for tests, benchmarks and examples.

They are written as GSDB/3DMax PDB text by :func:`chromapipe.formats.pdb.format_pdb`.
"""

import numpy as np

from .formats.pdb import format_pdb


def random_walk(n, seed=0, step=0.4, confinement=0.02):
    """A confined random-walk chain of ``n`` beads (model units), deterministic for a seed.

    Steps of mean length ~``step`` with a weak pull towards the origin, so the
    chain stays compact like a chromosome structure rather than drifting away.
    """
    rng = np.random.default_rng(seed)
    coords = np.empty((n, 3))
    position = np.zeros(3)
    for i in range(n):
        coords[i] = position
        position = position + rng.normal(0.0, step / np.sqrt(3), 3) - confinement * position
    return coords


# --- a synthetic GSDB dataset -----------------------------------------------------

#: Chromosome lengths of the synthetic GSDB dataset (bp): small, with a clipped last bin.
SYNTHETIC_GSDB_LENGTHS = {"1": 6_200_000, "2": 4_700_000, "X": 3_300_000}
SYNTHETIC_GSDB_BIN = 500_000


def synthetic_gsdb_dataset(lengths=None, bin_size=SYNTHETIC_GSDB_BIN, seed=7, empty_every=4):
    """A small GSDB dataset: bin map, contact lists and 3DMax-style structures.

    Not the shipped example: 2-3 chromosomes of a few Mb in 500 kb bins. Every
    ``empty_every``-th bin of a chromosome takes part in no off-diagonal contact (a
    diagonal row only, or nothing), so 3DMax gives it no bead; the contact lists have
    both positions per row and diagonal rows, as GSDB's do.

    Returns
    -------
    dict
        ``mapping`` (the bin map text, ``index chrom start end`` with chromosome numbers,
        1-based starts, the last bin clipped); ``lists`` (``{"chr1": text, ...}``);
        ``pdbs`` (``{"chr1": text, ...}``, bead k on the k-th off-diagonal contact
        position); ``bead_positions`` (``{"chr1": int64 array}``: the bin start of each
        bead, in bead order); ``bins`` (``{"chr1": int64 array of bin starts}``).
    """
    from . import chroms

    lengths = lengths or SYNTHETIC_GSDB_LENGTHS
    rng = np.random.default_rng(seed)
    mapping, lists, pdbs, bead_positions, all_bins = [], {}, {}, {}, {}
    index = 1
    for name, length in lengths.items():
        stem = f"chr{name}"
        number = chroms.number(name)
        starts = np.arange(1, length + 1, bin_size, dtype=np.int64)
        for start in starts:
            end = min(start + bin_size - 1, length)
            mapping.append(f"{index}\t{number}\t{start}\t{end}")
            index += 1
        n = len(starts)
        live = np.array([(k % empty_every) != 2 for k in range(n)])  # bins 2, 6, 10 ... (0-based): no contact
        rows = []
        for i in range(n):
            if not live[i] and i % (2 * empty_every) == 2:
                rows.append((starts[i], starts[i], float(rng.integers(1, 50))))  # a diagonal-only bin
            if not live[i]:
                continue
            rows.append((starts[i], starts[i], float(rng.integers(50, 500))))
            for j in range(i + 1, min(n, i + 4)):
                if live[j]:
                    rows.append((starts[i], starts[j], round(float(rng.uniform(0.5, 40.0)), 3)))
        lists[stem] = "".join(f"{a}\t{b}\t{v}\n" for a, b, v in rows)
        positions = starts[live]
        bead_positions[stem] = positions
        all_bins[stem] = starts
        pdbs[stem] = format_pdb(random_walk(len(positions), seed=seed + number))
    return {
        "mapping": "\n".join(mapping) + "\n",
        "lists": lists,
        "pdbs": pdbs,
        "bead_positions": bead_positions,
        "bins": all_bins,
    }
