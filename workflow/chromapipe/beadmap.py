"""The genome-wide bin map and the pairing of beads with bins.

The original pasted bead rows beside bin rows by row number (defect 1 in
``shared/spec/known-defects.md``). 3DMax only models the bins that take part in
at least one off-diagonal contact with a positive count, numbering them 1..n in
position order; so bead k is the k-th of those positions. This module reads the
bin map and builds that bead -> bin pairing from one of three sources:

``contacts``
    the structure's input contact list (``pos1 pos2 count``): the positions in an
    off-diagonal contact (3DMax, LorDG);
``list``
    the same list, every position in a positive row, the diagonal included
    (Chromosome3D and ShRec3D read the matrix of these rows);
``mapping3dmax``
    a 3DMax ``<prefix>_coordinate_mapping.txt`` (``position<TAB>index``, 0-based);
``sequential``
    bead k = k-th bin, valid only when there are as many beads as bins.
"""

import logging
import os

import numpy as np
import polars as pl

from . import chroms, tables
from .errors import BeadMismatch, InputError

log = logging.getLogger("chromapipe")

#: The registry of bead-map sources (how beads pair with bins); both schemas' ``bead_map`` enums are
#: tested against it.
BEAD_MAP_SOURCES = ("contacts", "list", "mapping3dmax", "sequential", "positions")
#: Sources read from a contact list, and whether the diagonal counts.
CONTACT_RULES = {"contacts": False, "list": True}


def _read_text(path, what):
    path = os.fspath(path)
    try:
        with open(path, encoding="ascii", errors="strict") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", path) from None
    except UnicodeDecodeError:
        raise InputError(f"{what} has non-ASCII bytes: not a text table", path) from None


def _records(text, layout, path):
    """Yield ``(line number, fields)`` of a whitespace-separated table.

    Blank lines and lines starting with ``#`` are skipped; every other line must
    have as many fields as ``layout`` names (e.g. ``"pos1 pos2 count"``).
    """
    expected = len(layout.split())
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != expected:
            raise InputError(f"expected {expected} fields '{layout}', found {len(fields)}", path, lineno)
        yield lineno, fields


def parse_bin_map(text, path="<bin map>", autosomes=chroms.HUMAN):
    """Parse a GSDB bin map: ``bin chr start end`` per line, whitespace separated.

    Chromosomes may be numbers (autosomes, then X, Y, MT: human 23 = X, 24 = Y,
    25 = MT; see :func:`chromapipe.chroms.canonical`) or names (``X``, ``chrX``);
    coordinates are 1-based and inclusive.

    Returns
    -------
    polars.DataFrame
        Columns ``bin`` (Int64), ``chr`` (canonical name), ``start``, ``end``
        (Int64), in file order.

    Raises
    ------
    InputError
        A line without four fields, a non-integer field, an unknown chromosome,
        ``start > end`` or ``start < 1``, a repeated bin index, or bins of one
        chromosome that are unsorted or overlap; each names the line.
    """
    bins, names, starts, ends = [], [], [], []
    last = {}
    seen = {}
    for lineno, fields in _records(text, "bin chr start end", path):
        try:
            index, start, end = int(fields[0]), int(fields[2]), int(fields[3])
        except ValueError:
            raise InputError(
                f"bin index, start and end must be integers, got {' '.join(fields)!r}", path, lineno
            ) from None
        try:
            name = chroms.canonical(fields[1], autosomes)
        except InputError as exc:
            raise InputError(str(exc), path, lineno) from None
        if start < 1 or end < start:
            raise InputError(
                f"bad interval {start}-{end}: expected 1 <= start <= end (1-based, inclusive)", path, lineno
            )
        if index in seen:
            raise InputError(f"bin index {index} already used on line {seen[index]}", path, lineno)
        seen[index] = lineno
        if name in last:
            prev_start, prev_end, prev_line = last[name]
            if start <= prev_start:
                raise InputError(
                    f"bins of chromosome {name} are not sorted: start {start} after {prev_start} (line {prev_line})",
                    path,
                    lineno,
                )
            if start <= prev_end:
                raise InputError(
                    f"bin {start}-{end} of chromosome {name} overlaps the previous bin "
                    f"{prev_start}-{prev_end} (line {prev_line})",
                    path,
                    lineno,
                )
        last[name] = (start, end, lineno)
        bins.append(index)
        names.append(name)
        starts.append(start)
        ends.append(end)
    if not bins:
        raise InputError("the bin map has no bins", path)
    return pl.DataFrame({"bin": bins, "chr": names, "start": starts, "end": ends}, schema=tables.BINS.schema)


def read_bin_map(path, autosomes=chroms.HUMAN):
    """Read a GSDB bin map file; see :func:`parse_bin_map`."""
    return parse_bin_map(_read_text(path, "bin map"), os.fspath(path), autosomes)


def chromosome_bins(bin_map, chrom, path="bin map"):
    """The bins of one chromosome, in order.

    Raises
    ------
    InputError
        When the chromosome has no bin in the map.
    """
    name = chroms.canonical(chrom)
    bins = bin_map.filter(pl.col("chr") == name)
    if bins.height == 0:
        present = ", ".join(bin_map["chr"].unique(maintain_order=True).to_list())
        raise InputError(f"chromosome {name} has no bins in the bin map (it has: {present})", path)
    return bins


def bins_mismatch(starts, ends, bins, rows="rows"):
    """Why rows ``starts``/``ends`` are not exactly ``bins`` (in order), or None when they are.

    ``rows`` names the rows in the message ("96 annotation rows for 97 bins").
    """
    starts = pl.Series(starts).cast(pl.Int64)
    ends = pl.Series(ends).cast(pl.Int64)
    if starts.len() != bins.height:
        return f"{starts.len()} {rows} for {bins.height} bins"
    differs = (starts != bins["start"]).to_numpy() | (ends != bins["end"]).to_numpy()
    if not differs.any():
        return None
    row = int(np.argmax(differs))
    return f"row {row + 1} is {starts[row]}-{ends[row]}, the bin map says {bins['start'][row]}-{bins['end'][row]}"


def read_contact_positions(path, diagonal=False):
    """Sorted distinct positions of a contact list that take part in a contact.

    A GSDB contact list has rows ``pos1 pos2 count``; rows with ``count <= 0``
    are ignored, and so are rows with ``pos1 == pos2`` (the diagonal) unless
    ``diagonal``: exactly as 3DMax ignores them (``diagonal=False``) or as the
    matrix Chromosome3D and ShRec3D read keeps them (``diagonal=True``).

    Returns
    -------
    numpy.ndarray
        int64 positions, sorted, unique: bead k is element k-1.
    """
    path = os.fspath(path)
    text = _read_text(path, "contact list")
    rows = []
    for lineno, fields in _records(text, "pos1 pos2 count", path):
        try:
            pos1, pos2, count = float(fields[0]), float(fields[1]), float(fields[2])
        except ValueError:
            raise InputError(f"fields must be numbers, got {' '.join(fields)!r}", path, lineno) from None
        if not (pos1.is_integer() and pos2.is_integer()):
            raise InputError(f"positions must be integers, got {fields[0]} and {fields[1]}", path, lineno)
        if not np.isfinite(count):
            raise InputError(f"count {fields[2]!r} is not finite", path, lineno)
        rows.append((int(pos1), int(pos2), count))
    if not rows:
        raise InputError("the contact list is empty", path)
    table = np.asarray(rows, dtype=np.float64)
    keep = table[:, 2] > 0
    if not diagonal:
        keep &= table[:, 0] != table[:, 1]
    if not keep.any():
        what = "contact" if diagonal else "off-diagonal contact"
        raise InputError(f"the contact list has no {what} with a positive count", path)
    return np.unique(table[keep, :2].astype(np.int64))


def read_3dmax_mapping(path):
    """Positions of the beads from a 3DMax ``_coordinate_mapping.txt``.

    Rows are ``position<TAB>index`` with index 0-based: bead ``index + 1``
    sits at ``position``.

    Returns
    -------
    numpy.ndarray
        int64 positions in bead order.
    """
    path = os.fspath(path)
    text = _read_text(path, "3DMax coordinate mapping")
    positions, indices, lines = [], [], {}
    for lineno, fields in _records(text, "position index", path):
        try:
            position, index = int(fields[0]), int(fields[1])
        except ValueError:
            raise InputError(f"position and index must be integers, got {' '.join(fields)!r}", path, lineno) from None
        if index in lines:
            raise InputError(f"index {index} already given on line {lines[index]}", path, lineno)
        lines[index] = lineno
        positions.append(position)
        indices.append(index)
    if not positions:
        raise InputError("the 3DMax coordinate mapping is empty", path)
    order = np.argsort(indices)
    indices = np.asarray(indices)[order]
    if not np.array_equal(indices, np.arange(len(indices))):
        missing = sorted(set(range(len(indices))) - set(indices.tolist()))[:5]
        raise InputError(f"indices must run 0..{len(indices) - 1} without gaps; missing e.g. {missing}", path)
    return np.asarray(positions, dtype=np.int64)[order]


def positions_to_bins(positions, bins, source):
    """Row numbers (0-based, into ``bins``) of the bins starting at ``positions``.

    Positions are bin starts in the bin map's coordinates (1-based). A list
    written with 0-based starts (every position one less than a bin start) is
    recognised and accepted as well.

    Raises
    ------
    InputError
        Positions that are not on the bin grid.
    """
    starts = bins["start"].to_numpy()
    for offset in (0, 1):
        rows = np.searchsorted(starts, positions + offset)
        rows_c = np.minimum(rows, len(starts) - 1)
        hit = starts[rows_c] == positions + offset
        if hit.all():
            return rows_c
        if offset == 0:
            first_miss = positions[~hit]
    raise InputError(
        f"{len(first_miss)} position(s) of {source} are not bin starts of the bin map "
        f"(e.g. {', '.join(str(p) for p in first_miss[:5])}; bins start at "
        f"{', '.join(str(s) for s in starts[:3])}, ...): is it the same resolution and assembly?"
    )


def match_starts(positions, starts):
    """Rows of the sorted ``starts`` equal to each position, and the indices of positions that are none."""
    rows = np.minimum(np.searchsorted(starts, positions), len(starts) - 1)
    return rows, np.flatnonzero(starts[rows] != positions)


def exact_bins(positions, bins, path=None):
    """Rows of ``bins`` whose 1-based start is each of ``positions`` (a structure file's own bead positions).

    A bead that starts at or past the chromosome's end (past the last bin's end) is no bin's: it gets
    row -1 and a warning says how many (nuc_dynamics writes one particle past each chromosome's end,
    rounding the last contact up to a particle edge).

    Raises
    ------
    InputError
        A position inside the chromosome that is no bin start, naming the first such bead and position.
    """
    positions = np.asarray(positions, dtype=np.int64)
    starts = bins["start"].to_numpy()
    end = int(bins["end"].max())
    past = positions > end
    rows, off = match_starts(positions, starts)
    off = off[~past[off]]
    if off.size:
        i = int(off[0])
        raise InputError(
            f"{off.size} bead position(s) of the structure file are off the bin map's grid: bead {i + 1} starts at "
            f"{positions[i]} (1-based), which is no bin start (bins start at "
            f"{', '.join(str(s) for s in starts[:3])}, ...): is it the same resolution and assembly?",
            path,
        )
    if past.any():
        first = int(np.flatnonzero(past)[0])
        where = f"{os.fspath(path)}: " if path is not None else ""
        log.warning(
            "%s%d bead(s) start at or past the chromosome's end (%d bp, the last bin's end) and are dropped: "
            "bead %d starts at %d (1-based). Such a bead is no bin's (nuc_dynamics writes one particle past "
            "each chromosome's end); it keeps its physical features but has no row in the compiled table",
            where, int(past.sum()), end, first + 1, int(positions[first]),
        )  # fmt: skip
        rows = np.where(past, -1, rows)
    return rows


def bead_map(n_beads, bins, source="sequential", path=None, positions=None):
    """Pair every bead with its bin.

    Parameters
    ----------
    n_beads : int
        Beads in the structure.
    bins : polars.DataFrame
        The chromosome's bins (``start``, ``end``), in order.
    source : {"contacts", "mapping3dmax", "sequential"}
    path : str, optional
        The contact list or 3DMax mapping (not used by ``sequential``); named
        in messages, and read unless ``positions`` is given.
    positions : numpy.ndarray, optional
        The bead positions already read from ``path`` (bead order).

    Returns
    -------
    numpy.ndarray
        ``(n_beads,)`` int64: row of ``bins`` that bead k+1 sits on; -1 for a ``positions`` bead past
        the chromosome's end (see :func:`exact_bins`).

    Raises
    ------
    InputError
        An unknown source, a missing file, positions off the grid, or a count
        of beads that differs from the source's, naming both counts.
    """
    if source not in BEAD_MAP_SOURCES:
        raise InputError(f"bead-map source {source!r} is not one of {', '.join(BEAD_MAP_SOURCES)}")
    if source == "sequential":
        if n_beads != bins.height:
            raise BeadMismatch(
                f"bead map 'sequential' needs as many beads as bins, but the structure has {n_beads} "
                f"beads and the chromosome {bins.height} bins: pair them with the structure's contact "
                "list (contacts:FILE) or its 3DMax coordinate mapping (mapping3dmax:FILE)"
            )
        return np.arange(n_beads, dtype=np.int64)
    if path is None and positions is None:
        raise InputError(f"bead-map source {source!r} needs a file ({source}:FILE)")
    if positions is None:
        positions = read_positions_file(path, source)
    positions = np.asarray(positions, dtype=np.int64)
    if source == "positions":
        return exact_bins(positions, bins, path)
    what = "contact list" if source in CONTACT_RULES else "3DMax coordinate mapping"
    label = f"{what} {os.fspath(path)}" if path is not None else what
    if positions.shape[0] != n_beads:
        raise BeadMismatch(
            f"the structure has {n_beads} beads but the {label} gives {positions.shape[0]} "
            "bead positions: they do not describe the same structure"
        )
    if source == "mapping3dmax" and np.any(np.diff(positions) <= 0):
        raise InputError(f"positions of the {label} are not increasing with the bead index")
    return positions_to_bins(positions, bins, label)


def read_positions_file(path, source):
    """Bead positions (bead order) from a ``contacts``/``list`` contact list or a ``mapping3dmax`` file."""
    if source in CONTACT_RULES:
        return read_contact_positions(path, diagonal=CONTACT_RULES[source])
    if source == "mapping3dmax":
        return read_3dmax_mapping(path)
    raise InputError(
        f"bead-map source {source!r} has no file: expected one of {', '.join(CONTACT_RULES)}, mapping3dmax"
    )


def parse_bead_map_spec(spec):
    """Split a ``--bead-map`` value: ``contacts:F``, ``list:F``, ``mapping3dmax:F``, ``positions:F`` or
    ``sequential``."""
    source, _, path = spec.partition(":")
    if source not in BEAD_MAP_SOURCES:
        raise InputError(
            f"--bead-map {spec!r}: expected contacts:FILE, list:FILE, mapping3dmax:FILE, positions:FILE or sequential"
        )
    if source == "sequential":
        if path:
            raise InputError(f"--bead-map {spec!r}: 'sequential' takes no file")
        return source, None
    if not path:
        raise InputError(f"--bead-map {spec!r}: {source} needs a file ({source}:FILE)")
    return source, path
