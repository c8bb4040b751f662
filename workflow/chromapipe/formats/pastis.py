"""PASTIS (``pastis-mds``, ``-nmds``, ``-pm1``, ``-pm2``): the ``{ALGO}.structure.pdb`` coordinate matrix.

Despite its name the file is ``numpy.savetxt`` of the n x 3 coordinates: row k is bin k of
the counts matrix PASTIS read, and a bin without contacts is a row of ``nan``. It carries no
positions, so the bins come from elsewhere (:func:`bins_for`):

- the counts' own bins: the bins file (HiC-Pro/iced ``chrom start end index``, 0-based,
  half-open) that PASTIS's ``config.ini`` beside the structure names as ``lengths``, or a
  ``.bed`` given explicitly;
- the bin map (a GSDB ``bin chr start end`` map, or its staged table): row k is bin k of the
  whole map, or of the chromosome when the matrix has exactly the chromosome's bins.

The ``{ALGO}.structure.pdb.pdb`` PASTIS writes beside it (ATOM records without residue numbers
or chromosomes, ``nan`` coordinates) cannot be paired with bins and is refused by
:func:`refuse_pdb_pdb` with a message naming the matrix file.
"""

import configparser
import os

import numpy as np

from ..errors import InputError
from .model import BeadList, chrom_name

UNITS = "PASTIS (arbitrary)"


def parse_pastis(text, path, bins):
    """The beads of a PASTIS coordinate matrix, row k on ``bins[k]``.

    Parameters
    ----------
    text : str
        The file: three whitespace-separated numbers a line (``nan`` for a bin without a bead).
    path : str
        For messages.
    bins : sequence of (chrom, start, end)
        One bin per row, 0-based half-open starts, in the counts' order.

    Returns
    -------
    Structure
        One model, haploid, the rows that are not ``nan``.

    Raises
    ------
    InputError
        A line without three numbers, a row partly ``nan`` or infinite, or another number of rows
        than of bins.
    """
    if text.lstrip().startswith(("ATOM", "HETATM", "HEADER", "REMARK")):
        refuse_pdb_pdb(path)
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3:
            raise InputError(f"expected 3 numbers 'x y z' (a row of the coordinate matrix), found {len(fields)}", path,
                             lineno)  # fmt: skip
        try:
            xyz = [float(v) for v in fields]
        except ValueError:
            raise InputError(f"not a number in {line.strip()[:60]!r}", path, lineno) from None
        nan = [np.isnan(v) for v in xyz]
        if any(nan) and not all(nan):
            raise InputError("a row partly nan: a bin without a bead is a row of three nan", path, lineno)
        if not all(nan) and not all(np.isfinite(xyz)):
            raise InputError(f"infinite coordinate in {line.strip()[:60]!r}", path, lineno)
        rows.append((lineno, None if all(nan) else xyz))
    if len(rows) != len(bins):
        raise InputError(
            f"{len(rows)} rows, but the counts' bins are {len(bins)}: row k of a PASTIS matrix is bin k of the "
            "counts it was run on (same bins, same order)",
            path,
        )
    beads = BeadList(path)
    for (lineno, xyz), (chrom, start, _end) in zip(rows, bins):
        if xyz is not None:
            beads.add(chrom_name(chrom), None, int(start) + 1, 1, xyz, lineno, shown=int(start))
    if not len(beads):
        raise InputError("every row is nan: PASTIS placed no bead", path)
    return beads.build(UNITS, "pastis")


def is_matrix(content):
    """Whether ``content`` (text) looks like a PASTIS coordinate matrix: its first data line three numbers."""
    for line in content.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3:
            return False
        try:
            [float(v) for v in fields]
        except ValueError:
            return False
        return True
    return False


def is_pdb_pdb(raw):
    """Whether ``raw`` (bytes) is PASTIS's ``.pdb.pdb``: ATOM records of residues ``NOD``/``EDG`` (its writer's)."""
    for line in raw.splitlines():
        if line[:6] in (b"ATOM  ", b"HETATM"):
            return line[17:20] in (b"NOD", b"EDG")
    return False


def refuse_pdb_pdb(path):
    """Refuse PASTIS's ``.pdb.pdb``: it has no positions, and its beads cannot be told from its ``nan`` ones."""
    name = os.path.basename(os.fspath(path))
    matrix = name[: -len(".pdb")] if name.endswith(".pdb.pdb") else "ALGO.structure.pdb"
    raise InputError(
        f"a PASTIS .pdb.pdb file (ATOM records without residue numbers or chromosomes) cannot be paired with bins: "
        f"read the coordinate matrix PASTIS wrote beside it, {matrix}, with format pastis",
        os.fspath(path),
    )


def read_bed_bins(path):
    """The bins of a HiC-Pro/iced bins file: ``chrom start end [index]`` a line, 0-based, half-open.

    Returns
    -------
    list of (chrom, start, end)
    """
    try:
        with open(path, encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the counts' bins: {getattr(exc, 'strerror', None) or exc}", path) from None
    out = []
    for lineno, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith(("#", "track", "browser")):
            continue
        if len(fields) < 3:
            raise InputError(f"expected 'chrom start end [index]', found {len(fields)} fields", path, lineno)
        try:
            start, end = int(fields[1]), int(fields[2])
        except ValueError:
            raise InputError(f"start and end must be integers, got {fields[1]!r} {fields[2]!r}", path, lineno) from None
        if start < 0 or end <= start:
            raise InputError(f"bad bin {start}-{end}: expected 0 <= start < end (0-based, half-open)", path, lineno)
        out.append((fields[0], start, end))
    if not out:
        raise InputError("the counts' bins file has no bins", path)
    return out


def config_bins(path):
    """The bins file PASTIS's ``config.ini`` beside ``path`` names (``lengths`` ending in ``.bed``), or None."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    ini = os.path.join(folder, "config.ini")
    if not os.path.isfile(ini):
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
        lengths = parser.get("all", "lengths", fallback="").strip()
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise InputError(f"PASTIS's config.ini beside the structure is unreadable: {exc}", ini) from None
    return os.path.join(folder, lengths) if lengths.endswith(".bed") else None


def map_bins(bin_map, n_rows, chrom=None):
    """Bins of a bin map (``chr``, 1-based ``start``, ``end`` columns) for an ``n_rows`` matrix: every bin of
    the map, or of ``chrom``, whichever has ``n_rows``; None when neither has."""
    frame = bin_map
    if frame.height == n_rows:
        return list(zip(frame["chr"].to_list(), (frame["start"] - 1).to_list(), frame["end"].to_list()))
    if chrom is not None:
        part = frame.filter(frame["chr"] == chrom_name(chrom))
        if part.height == n_rows:
            return list(zip(part["chr"].to_list(), (part["start"] - 1).to_list(), part["end"].to_list()))
    return None


def count_rows(text):
    """The matrix's rows (non-blank, non-comment lines)."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def bins_for(path, text, bins=None, chrom=None):
    """The bins of a PASTIS matrix: the counts' own first (a ``.bed`` given as ``bins``, else the one PASTIS's
    ``config.ini`` beside the matrix names), then a bin map (a file or a staged table given as ``bins``, or a
    polars frame).

    Raises
    ------
    InputError
        Neither is there, or the bin map has no part with the matrix's number of rows.
    """
    if bins is not None and not hasattr(bins, "height") and os.fspath(bins).endswith(".bed"):
        own = os.fspath(bins)  # given: the counts' own bins
    else:
        own = config_bins(path)
    if own is not None:
        return read_bed_bins(own)
    if bins is None:
        raise InputError(
            "a PASTIS coordinate matrix carries no positions (row k is bin k of the counts PASTIS read): keep "
            "PASTIS's config.ini and the counts' .bed (its lengths) beside it, or give the bins "
            "(chromapipe physical --bins, the counts' .bed or the bin map; the workflow uses the bin map)",
            os.fspath(path),
        )
    frame = bins if hasattr(bins, "height") else _read_map(bins)
    n_rows = count_rows(text)
    found = map_bins(frame, n_rows, chrom)
    if found is None:
        where = f", nor chromosome {chrom_name(chrom)}" if chrom is not None else ""
        raise InputError(
            f"{n_rows} rows, but the bin map has {frame.height} bins{where} with as many: row k of a PASTIS matrix "
            "is bin k of the counts it was run on; give the counts' own bins (PASTIS's config.ini and .bed beside "
            "it, or --bins FILE.bed)",
            os.fspath(path),
        )
    return found


def _read_map(path):
    name = os.fspath(path)
    if name.endswith(".parquet"):
        from .. import tables

        return tables.read("bins", name)
    from ..beadmap import read_bin_map

    return read_bin_map(name)
