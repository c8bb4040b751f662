"""Reading GSDB / 3DMax PDB structures.

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

from .errors import InputError

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
