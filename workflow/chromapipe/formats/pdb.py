"""PDB: GSDB/3DMax single-chromosome files and nuc_dynamics multi-MODEL files.

Both keep the package's PDB convention: a coordinate is ``float32(value * 0.1)``
(mdtraj's conversion, kept for parity with the GSDB outputs), in model units.
The GSDB/3DMax PDB's reader (:func:`parse_pdb`, :func:`read_pdb`), its
:class:`~chromapipe.formats.Structure` wrapper (:func:`read_gsdb`) and its writer
(:func:`format_pdb`) all live here.

GSDB / 3DMax PDB
----------------
Reading GSDB / 3DMax PDB structures.

A 3DMax structure has one CA atom per bead, in chain order::

    ATOM      1   CA MET A1          7.436   5.957  -4.858  0.20 10.00
    ...
    CONECT    1    2
    END

We parse the fixed PDB columns ourselves rather than through mdtraj so that
every defect can be reported with its file and line (mdtraj silently skips or
guesses on malformed records). The coordinates are converted exactly as mdtraj
converts them, ``float32(angstrom * 0.1)``, so every distance is in the structure's model units (mdtraj's "nm", kept for
parity; 3DMax coordinates have no physical unit); the test
suite checks the result is bit-identical to ``mdtraj.load(...).xyz[0]``.
"""

import math
import os
import re

import numpy as np

from ..errors import InputError
from .model import BeadList, Structure, chrom_name

#: PDB's residue-number field has four digits.
MAX_BEADS = 9999

#: A PDB coordinate field: ``%8.3f``, right-aligned in its 8 columns, three decimals.
_FIXED_3 = re.compile(r" *-?[0-9]+\.[0-9]{3}")


def _field(line, start, stop):
    return line[start:stop].strip()


def pdb_number(line, axis, start, stop, path, lineno):
    """The number in columns ``start + 1 .. stop`` of a PDB record: finite, else InputError naming the columns."""
    raw = _field(line, start, stop)
    try:
        value = float(raw)
    except ValueError:
        raise InputError(
            f"{axis} coordinate {raw!r} (columns {start + 1}-{stop}) is not a number", path, lineno
        ) from None
    if not math.isfinite(value):
        raise InputError(f"{axis} coordinate {raw!r} (columns {start + 1}-{stop}) is not finite", path, lineno)
    return value


def parse_pdb(text, path="<pdb>"):
    """Parse the text of a 3DMax/GSDB PDB file into bead coordinates.

    Parameters
    ----------
    text : str
        The whole file.
    path : str, optional
        Name used in error messages.

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` float32 coordinates in model units, in chain order.

    Raises
    ------
    InputError
        No ATOM records; a record too short to hold its coordinates (a file cut
        mid-line); non-numeric, NaN or infinite coordinates, or coordinates not
        written as PDB's ``%8.3f`` (three decimals, right-aligned); residue numbers
        that repeat, skip, or do not start at 1; more than one model or chain;
        neither ``CONECT`` nor ``END`` records after the atoms (a file cut
        between lines); more than 9,999 beads.
    """
    if "\x00" in text:
        raise InputError("binary content: this is not a PDB text file", path)
    coords = []
    chain = None
    models = 0
    saw_end = False
    saw_conect = False
    last_atom_line = 0
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        record = line[:6].strip().upper()
        if record == "MODEL":
            models += 1
            if models > 1:
                raise InputError("more than one MODEL: only single-model structures are supported", path, lineno)
            continue
        if record == "END":
            saw_end = True
            break
        if record == "CONECT":
            saw_conect = True
            continue
        if record not in ("ATOM", "HETATM"):
            continue
        if saw_conect:
            raise InputError(
                f"{record} record after the CONECT records: the atom section must come first", path, lineno
            )
        if len(line.rstrip("\n")) < 54:
            raise InputError(
                f"{record} record is {len(line)} characters long, too short for the x, y, z "
                "columns 31-54: the file looks truncated",
                path,
                lineno,
            )
        residue = _field(line, 22, 26)
        try:
            resseq = int(residue)
        except ValueError:
            raise InputError(f"residue number {residue!r} (columns 23-26) is not an integer", path, lineno) from None
        expected = len(coords) + 1
        if resseq != expected:
            if coords and resseq <= len(coords):
                what = f"residue number {resseq} is duplicated or out of order"
            else:
                what = f"residue number {resseq} is not consecutive"
            raise InputError(
                f"{what}: expected {expected} (one bead per residue, numbered 1, 2, 3, ... in chain order)",
                path,
                lineno,
            )
        this_chain = line[21]
        if chain is None:
            chain = this_chain
        elif this_chain != chain:
            raise InputError(
                f"second chain {this_chain!r} after chain {chain!r}: one chain per chromosome expected", path, lineno
            )
        xyz = []
        for axis, (start, stop) in zip("xyz", ((30, 38), (38, 46), (46, 54))):
            value = pdb_number(line, axis, start, stop, path, lineno)
            if not _FIXED_3.fullmatch(line[start:stop]):
                # e.g. '   -1497' (a lost decimal point) would otherwise be read as -149.7 nm
                raise InputError(
                    f"{axis} coordinate {line[start:stop]!r} (columns {start + 1}-{stop}) is not a fixed-point "
                    "number with exactly three decimals, right-aligned in 8 columns (PDB's %8.3f, e.g. '  -1.497')",
                    path,
                    lineno,
                )
            xyz.append(value)
        coords.append(xyz)
        last_atom_line = lineno
        if len(coords) > MAX_BEADS:
            raise InputError(f"more than {MAX_BEADS} beads: PDB residue numbers have four digits", path, lineno)
    if not coords:
        head = text.lstrip()[:80].replace("\n", " ")
        hint = (
            " (it looks like an HTML page, e.g. a saved download error)"
            if head.lower().startswith(("<!doctype", "<html"))
            else ""
        )
        raise InputError(f"no ATOM records: not a 3DMax/GSDB structure{hint}", path)
    if not (saw_end or saw_conect):
        raise InputError(
            f"neither CONECT nor END records after the last ATOM (line {last_atom_line}): the file looks truncated",
            path,
        )
    # Exactly mdtraj's conversion: float64 Angstrom * 0.1, stored as float32 (model units).
    return (np.asarray(coords, dtype=np.float64) * 0.1).astype(np.float32)


def read_pdb(path):
    """Read a 3DMax/GSDB PDB file; see :func:`parse_pdb`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` float32 coordinates in model units, chain order.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read structure: {exc.strerror}", path) from None
    return parse_pdb_bytes(raw, path)


def parse_pdb_bytes(raw, path="<pdb>"):
    """:func:`parse_pdb` for the raw bytes of a file (non-ASCII content is an error)."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("non-ASCII bytes: this is not a PDB text file", path, line) from None
    return parse_pdb(text, path)


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


# --- GSDB / 3DMax as a Structure ------------------------------------------------------------------

GSDB_UNITS = "model units (PDB value / 10)"
NUCDYN_UNITS = "model units (PDB value / 10; nuc_dynamics writes bead radii)"


def _chrom_from_filename(path):
    match = re.search(r"chr([0-9]{1,2}|[XYM]T?)(?![0-9A-Za-z])", str(path), flags=re.IGNORECASE)
    return chrom_name(match.group(1)) if match else None


def read_gsdb(path, chrom=None, positions=None):
    """A GSDB/3DMax PDB through :func:`read_pdb` (mdtraj-identical float32).

    Parameters
    ----------
    chrom : str, optional
        The chromosome (the file does not name it); by default taken from the
        file name (``chr21.pdb``).
    positions : array_like, optional
        1-based bin starts of the beads (from the bead map); without them the
        structure has no positions.
    """
    coords = read_pdb(path)
    return gsdb_structure(coords, path, chrom, positions)


def parse_gsdb_bytes(raw, path, chrom=None, positions=None):
    """:func:`read_gsdb` on bytes."""
    return gsdb_structure(parse_pdb_bytes(raw, path), path, chrom, positions)


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
    if len(structure) > MAX_BEADS:
        raise InputError(f"{len(structure)} beads: a GSDB PDB holds at most {MAX_BEADS}")
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
            pdb_number(line, axis, a, b, path, lineno) for axis, (a, b) in zip("xyz", ((30, 38), (38, 46), (46, 54)))
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
