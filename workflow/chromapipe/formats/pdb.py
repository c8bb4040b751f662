"""PDB: GSDB/3DMax single-chromosome files and nuc_dynamics multi-MODEL files.

Both keep the package's PDB convention: a coordinate is ``float32(value * 0.1)``
(mdtraj's conversion, kept for parity with the GSDB outputs), in model units.
"""

import re

import numpy as np

from .. import structure as gsdb_pdb
from ..errors import InputError
from ..synthetic import format_pdb
from .model import BeadList, Structure, chrom_name

GSDB_UNITS = "model units (PDB value / 10)"
NUCDYN_UNITS = "model units (PDB value / 10; nuc_dynamics writes bead radii)"


def _chrom_from_filename(path):
    match = re.search(r"chr([0-9]{1,2}|[XYM]T?)(?![0-9A-Za-z])", str(path), flags=re.IGNORECASE)
    return chrom_name(match.group(1)) if match else None


def read_gsdb(path, chrom=None, positions=None):
    """A GSDB/3DMax PDB through :func:`chromapipe.structure.read_pdb` (mdtraj-identical float32).

    Parameters
    ----------
    chrom : str, optional
        The chromosome (the file does not name it); by default taken from the
        file name (``chr21.pdb``).
    positions : array_like, optional
        1-based bin starts of the beads (from the bead map); without them the
        structure has no positions.
    """
    coords = gsdb_pdb.read_pdb(path)
    return gsdb_structure(coords, path, chrom, positions)


def parse_gsdb_bytes(raw, path, chrom=None, positions=None):
    """:func:`read_gsdb` on bytes."""
    return gsdb_structure(gsdb_pdb.parse_pdb_bytes(raw, path), path, chrom, positions)


def gsdb_structure(coords, path, chrom=None, positions=None):
    name = chrom_name(str(chrom)) if chrom is not None else _chrom_from_filename(path)
    if name is None:
        raise InputError("a GSDB PDB does not name its chromosome: give chrom (--chr)", path)
    n = coords.shape[0]
    if positions is not None:
        positions = np.asarray(positions, dtype=np.int64)
        if positions.shape != (n,):
            raise InputError(f"the structure has {n} beads but {positions.shape[0]} positions were given", path)
    return Structure(
        chrom=np.full(n, name, dtype=object),
        haplotype=np.full(n, None, dtype=object),
        start=positions,
        model=np.ones(n, dtype=np.int64),
        coords=coords,
        units=GSDB_UNITS,
        format="pdb",
        path=str(path),
    )


def format_gsdb(structure):
    """3DMax PDB text of a single-model, single-chromosome structure (positions are not stored)."""
    if len(structure.model_ids) > 1 or len(structure.homologs) > 1:
        raise InputError("a GSDB PDB holds one model of one chromosome: select one first")
    if len(structure) > gsdb_pdb.MAX_BEADS:
        raise InputError(f"{len(structure)} beads: a GSDB PDB holds at most {gsdb_pdb.MAX_BEADS}")
    # format_pdb writes value * 10, the inverse of the reader's * 0.1
    try:
        return format_pdb(np.asarray(structure.coords, dtype=np.float64))
    except ValueError as exc:
        raise InputError(str(exc)) from None


# --- nuc_dynamics -------------------------------------------------------------------------------


def _residue_name(chrom):
    """nuc_dynamics' three-letter code: ``1`` -> ``C_1``, ``21`` -> ``C21``, ``X`` -> ``C_X``."""
    code = chrom.rjust(2, "_")
    if len(code) == 2:
        code = "C" + code
    if len(code) != 3:
        raise InputError(f"chromosome {chrom!r} does not fit nuc_dynamics' 3-character residue name")
    return code


def _decode_residue(code, chain):
    if len(code) == 3 and code[0] == "C" and code[1:].strip("_"):
        return chrom_name(code[1:].lstrip("_"))
    return f"chain {chain}"


def parse_nucdyn(text, path):
    """A nuc_dynamics PDB: ``MODEL`` blocks of ``HETATM`` records, bin start (0-based) in columns 81-90.

    The chromosome comes from the residue name (``C_1`` -> 1, ``C21`` -> 21); a
    name nuc_dynamics truncated (``chr``) leaves only the chain letter, kept as
    ``"chain a"``. Without columns 81-90 the structure has no positions.

    Raises
    ------
    InputError
        Unbalanced MODEL/ENDMDL, records too short for x, y, z, bad numbers,
        positions in some records only, duplicate beads, models that differ,
        a file cut inside a model.
    """
    beads = BeadList(path)
    model = None
    n_models = 0
    in_model = False
    with_pos = None
    lineno = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        record = line[:6].strip().upper()
        if record == "MODEL":
            if in_model:
                raise InputError("MODEL inside MODEL: ENDMDL missing", path, lineno)
            n_models += 1
            try:
                model = int(line[6:].strip() or n_models)
            except ValueError:
                raise InputError(f"MODEL number {line[6:].strip()!r} is not an integer", path, lineno) from None
            in_model = True
            continue
        if record == "ENDMDL":
            if not in_model:
                raise InputError("ENDMDL without MODEL", path, lineno)
            in_model = False
            continue
        if record not in ("ATOM", "HETATM"):
            continue
        if n_models and not in_model:
            raise InputError(f"{record} record outside MODEL ... ENDMDL", path, lineno)
        if len(line) < 54:
            raise InputError(
                f"{record} record is {len(line)} characters long, too short for the x, y, z columns 31-54", path, lineno
            )
        xyz = [
            gsdb_pdb.pdb_number(line, axis, a, b, path, lineno)
            for axis, (a, b) in zip("xyz", ((30, 38), (38, 46), (46, 54)))
        ]
        raw_pos = line[80:90].strip()
        has = bool(raw_pos)
        if with_pos is None:
            with_pos = has
        elif has != with_pos:
            raise InputError("bin start (columns 81-90) given on some records only", path, lineno)
        start = None
        if has:
            start = _pdb_int(raw_pos, path, lineno) + 1
        chain = line[21]
        chrom = _decode_residue(line[17:20], chain)
        beads.add(chrom, None, start, model if n_models else 1, xyz, lineno, shown=raw_pos)
    if in_model:
        raise InputError(f"MODEL {model} is not closed by ENDMDL: the file looks truncated", path, lineno)
    return beads.build(NUCDYN_UNITS, "nucdyn-pdb", dtype=np.float32, has_positions=bool(with_pos))


def _pdb_int(raw, path, lineno):
    if not (raw.isascii() and raw.isdigit()):
        raise InputError(f"bin start {raw!r} (columns 81-90) is not a non-negative integer", path, lineno)
    return int(raw)


def format_nucdyn(structure):
    """nuc_dynamics' extended PDB: one MODEL per model, bin start (0-based) in columns 81-90."""
    if any(h is not None for h in structure.haplotype.tolist()):
        raise InputError("a nuc_dynamics PDB cannot hold haplotypes (its residue names have three characters)")
    if structure.start is None:
        raise InputError("a nuc_dynamics PDB needs bead positions")
    n = structure.n_beads
    if n > 99999:
        raise InputError(f"{n} beads: PDB atom serials have five digits")
    chains = {}
    for chrom in dict.fromkeys(structure.chrom[:n].tolist()):
        chains[chrom] = chr(ord("a") + len(chains)) if len(chains) < 26 else None
        if chains[chrom] is None:
            raise InputError("more than 26 chromosomes: PDB chains are one letter")
    lines = [
        "TITLE     chromapipe structure export",
        "REMARK 210 Extended PDB format with particle seq. pos. in last column",
    ]
    first = structure.model == structure.model[0]
    chrom, starts = structure.chrom[first], structure.start[first] - 1
    for model, coords in zip(structure.model_ids, structure.coords_by_model()):
        lines.append(f"MODEL     {model:4d}")
        values = np.asarray(coords, dtype=np.float64) * 10.0
        if values.size and (values.min() < -999.9995 or values.max() > 9999.9995):
            raise InputError("coordinates do not fit PDB's 8-column fields")
        atom, previous_mb = 0, None
        for i in range(n):
            mb = int(starts[i] // 1_000_000) + 1
            atom = atom + 1 if mb == previous_mb else 1
            previous_mb = mb
            name = f"C{atom}"
            x, y, z = values[i]
            lines.append(
                f"HETATM{i + 1:5d} {name:<4.4s} {_residue_name(chrom[i])} {chains[chrom[i]]}{mb % 10000:4d}    "
                f"{x:8.3f}{y:8.3f}{z:8.3f}{0.0:6.2f}{0.0:6.2f}           C  {starts[i]:10d}"
            )
        lines.append("ENDMDL")
    lines.append("END")
    return "\n".join(lines) + "\n"
