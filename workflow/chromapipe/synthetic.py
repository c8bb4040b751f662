"""Synthetic structures in the 3DMax/GSDB PDB format, for tests, benchmarks and examples."""

import numpy as np


def random_walk(n, seed=0, step=0.4, confinement=0.02):
    """A confined random-walk chain of ``n`` beads (nm), deterministic for a seed.

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


def format_pdb(coords_nm, title="3DMAX STRUCTURE BY OLUWATOSIN OLUWADARE ET AL"):
    """PDB text in the exact line format of GSDB's 3DMax files (coordinates in Angstrom)."""
    angstrom = np.asarray(coords_nm, dtype=np.float64) * 10.0
    if angstrom.size and (angstrom.min() < -999.9995 or angstrom.max() > 9999.9995):
        raise ValueError("coordinates do not fit PDB's 8-column fields (-999.999 to 9999.999 Angstrom)")
    lines = [title]
    for i, (x, y, z) in enumerate(angstrom, start=1):
        resseq = f"{i:<4d}"
        lines.append(f"ATOM  {i:>5d}   CA MET A{resseq}    {x:8.3f}{y:8.3f}{z:8.3f}  0.20 10.00")
    for i in range(1, len(angstrom)):
        lines.append(f"CONECT{i:>5d}{i + 1:>5d}")
    lines.append("END")
    return "\n".join(lines) + "\n"


def write_pdb(path, coords_nm):
    """Write :func:`format_pdb` output to ``path``."""
    with open(path, "w", encoding="ascii") as handle:
        handle.write(format_pdb(coords_nm))
