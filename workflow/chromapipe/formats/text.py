"""Text formats with genomic positions: Dip-C and hickit ``.3dg``, 4DN ``.nucle3d``, nuc_dynamics ``.n3d``,
TADbit ``.xyz``.

Every parser takes the decoded text and the path (for messages), and reports
each defect with the file, the line and what was expected. Writers write every
coordinate with enough digits to read back the same float32 value (``%.9g``)
or, for float64 input, the same float64 (``repr``).
"""

import re

import numpy as np

from ..errors import InputError
from .model import (
    BeadList,
    Structure,
    chrom_name,
    label,
    normalise_haplotype,
    off_grid,
    parse_float,
    parse_int,
    split_paren_haplotype,
)

DIPC_UNITS = "bead radii (Dip-C)"
HICKIT_UNITS = "hickit units / #unit (Dip-C's rescaling)"
NUCLE3D_UNITS = "not declared (nucle3d)"
N3D_UNITS = "bead radii (nuc_dynamics)"
TADBIT_UNITS = "nm (TADbit)"


def number_formatter(coords):
    """``%.9g`` for float32 coordinates (round-trips float32), ``repr`` for float64 (round-trips float64)."""
    if np.asarray(coords).dtype == np.float32:
        return lambda v: f"{v:.9g}"
    return lambda v: repr(float(v))


def _lines(text):
    return enumerate(text.splitlines(), start=1)


def _xyz(fields, path, line):
    return [parse_float(v, f"{axis} coordinate", path, line) for axis, v in zip("xyz", fields)]


# --- Dip-C .3dg -------------------------------------------------------------------------------------


def parse_dipc_3dg(text, path):
    """Dip-C ``.3dg``: ``homolog<TAB>position<TAB>x<TAB>y<TAB>z``, position = 0-based bin start.

    Homologs are ``1(pat)``/``1(mat)``; a bare name is read as haploid. Blank
    lines and ``#`` comment lines (which Dip-C itself refuses) are skipped.
    A well-formed file is read at array speed (:func:`_dipc_3dg_fast`), any other line by line.
    """
    fast = _dipc_3dg_fast(text, path)
    if fast is not None:
        return fast
    beads = BeadList(path)
    for lineno, line in _lines(text):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 5:
            raise InputError(f"expected 5 fields 'homolog position x y z', found {len(fields)}", path, lineno)
        chrom, hap = split_paren_haplotype(fields[0], path, lineno)
        pos = parse_int(fields[1], "position", path, lineno)
        beads.add(chrom, hap, pos + 1, 1, _xyz(fields[2:], path, lineno), lineno, shown=pos)
    beads.check_grid()
    return beads.build(DIPC_UNITS, "dipc-3dg")


def _dipc_3dg_fast(text, path):
    """:func:`parse_dipc_3dg` of a well-formed file (every line five fields, no comment, no blank line) at
    array speed; None for any other text (the line-by-line reader then names the defect).

    The same checks pass or fail as the line-by-line reader's: homolog names, non-negative integer
    positions, finite coordinates, positions increasing along each homolog (so none twice), every
    position on its homolog's grid (:meth:`BeadList.check_grid`'s step).
    """
    if not text or "#" in text:
        return None
    lines = text.splitlines()
    if set(map(len, map(str.split, lines))) != {5}:
        return None
    tokens = text.split()  # the lines' fields end to end: every line break is whitespace
    names = {}
    try:
        for raw in dict.fromkeys(tokens[0::5]):
            names[raw] = split_paren_haplotype(raw, path)
        coords = np.array([list(map(float, tokens[k::5])) for k in (2, 3, 4)], dtype=np.float64).T
    except (InputError, ValueError):
        return None
    digits = "".join(tokens[1::5])
    if not (digits.isdigit() and digits.isascii()) or not np.isfinite(coords).all():
        return None
    starts = np.array(list(map(int, tokens[1::5])), dtype=np.int64) + 1
    homologs = list(dict.fromkeys(names.values()))
    of_name = {raw: homologs.index(homolog) for raw, homolog in names.items()}
    chain = np.array([of_name[raw] for raw in tokens[0::5]], dtype=np.int64)
    order = np.argsort(chain, kind="stable")  # each homolog's beads, in file order
    chain_sorted, starts_sorted = chain[order], starts[order]
    same = chain_sorted[1:] == chain_sorted[:-1]
    if (same & (starts_sorted[1:] <= starts_sorted[:-1])).any():
        return None
    for k in range(len(homologs)):
        values = starts_sorted[chain_sorted == k]
        if values.size >= 2 and off_grid(values)[1].size:
            return None
    chroms_of = np.array([c for c, _ in homologs], dtype=object)
    haps_of = np.array([h for _, h in homologs], dtype=object)
    return Structure(chrom=chroms_of[chain], haplotype=haps_of[chain], start=starts,
                     model=np.ones(len(lines), dtype=np.int64), coords=coords, units=DIPC_UNITS,
                     format="dipc-3dg", path=path)  # fmt: skip


def format_dipc_3dg(structure):
    _single_model(structure, "Dip-C .3dg")
    fmt = number_formatter(structure.coords)
    out = []
    for chrom, hap, start, (x, y, z) in zip(structure.chrom, structure.haplotype, _starts(structure), structure.coords):
        out.append(f"{label(chrom, hap)}\t{start - 1}\t{fmt(x)}\t{fmt(y)}\t{fmt(z)}\n")
    return "".join(out)


# --- hickit .3dg ------------------------------------------------------------------------------------

_HICKIT_NAME = re.compile(r"^((?:chr)?(?:[0-9]+|X|Y|MT|M))([A-Za-z])?$")


def split_hickit_name(raw, path=None, line=None):
    """``1a`` -> ``("1", "pat")``, ``chrXb`` -> ``("X", "mat")``, ``X`` -> ``("X", None)``; others verbatim."""
    match = _HICKIT_NAME.match(raw)
    if not match:
        return raw, None
    base, suffix = match.groups()
    if suffix is None:
        return chrom_name(base), None
    if suffix not in ("a", "b"):
        raise InputError(f"chromosome {raw!r}: unknown haplotype suffix {suffix!r} (hickit writes a or b)", path, line)
    return chrom_name(base), normalise_haplotype(suffix)


def parse_hickit_3dg(text, path):
    """hickit ``.3dg``: ``#chromosome: NAME LEN`` and ``#unit: U`` headers, rows ``name start x y z [feature]``.

    Start is the 0-based bead start; coordinates are divided by ``#unit`` when
    given (Dip-C's conversion). Beads of different sizes (hickit merges
    contact-less beads) are accepted: there is no grid check in the file.
    """
    beads = BeadList(path)
    lengths = {}
    unit = 1.0
    seen_unit = False
    for lineno, line in _lines(text):
        fields = line.split()
        if not fields:
            continue
        if fields[0].startswith("#"):
            key = fields[0]
            if key == "#chromosome:":
                if len(fields) != 3:
                    raise InputError("expected '#chromosome: NAME LENGTH'", path, lineno)
                lengths[fields[1]] = parse_int(fields[2], "chromosome length", path, lineno, minimum=1)
            elif key == "#unit:":
                if len(fields) != 2 or len(beads):
                    raise InputError("expected one '#unit: VALUE' line before the beads", path, lineno)
                unit = parse_float(fields[1], "unit", path, lineno)
                if not unit > 0:
                    raise InputError(f"unit {fields[1]!r} must be positive", path, lineno)
                seen_unit = True
            continue
        if len(fields) not in (5, 6):
            raise InputError(
                f"expected 5 or 6 fields 'chromosome start x y z [feature]', found {len(fields)}", path, lineno
            )
        if lengths and fields[0] not in lengths:
            raise InputError(f"chromosome {fields[0]!r} is not declared by a '#chromosome:' line", path, lineno)
        chrom, hap = split_hickit_name(fields[0], path, lineno)
        pos = parse_int(fields[1], "start", path, lineno)
        if fields[0] in lengths and pos >= lengths[fields[0]]:
            raise InputError(
                f"start {pos} is beyond the length {lengths[fields[0]]} of chromosome {fields[0]}", path, lineno
            )
        xyz = _xyz(fields[2:5], path, lineno)
        if seen_unit:
            xyz = [v / unit for v in xyz]
        beads.add(chrom, hap, pos + 1, 1, xyz, lineno, shown=pos)
    return beads.build(HICKIT_UNITS, "hickit-3dg")


def format_hickit_3dg(structure):
    _single_model(structure, "hickit .3dg")
    starts = _starts(structure)
    step = structure.resolution() or 1
    names, ends = {}, {}
    for chrom, hap, start in zip(structure.chrom, structure.haplotype, starts):
        name = chrom + {None: "", "pat": "a", "mat": "b"}[hap]
        names[(chrom, hap)] = name
        ends[name] = max(ends.get(name, 0), start - 1 + step)
    out = [f"#chromosome: {name} {end}\n" for name, end in ends.items()]
    out.append("#unit: 1\n")
    fmt = number_formatter(structure.coords)
    for chrom, hap, start, (x, y, z) in zip(structure.chrom, structure.haplotype, starts, structure.coords):
        out.append(f"{names[(chrom, hap)]}\t{start - 1}\t{fmt(x)}\t{fmt(y)}\t{fmt(z)}\n")
    return "".join(out)


# --- nucle3d ----------------------------------------------------------------------------------------


def parse_nucle3d(text, path):
    """4DN ``.nucle3d``/``.nul3d``: ``TITLE``, ``GENOME``, ``BINSIZE`` lines, then ``CHR<TAB>name`` and
    ``binid,x,y,z`` rows; start = binid x BINSIZE (0-based)."""
    beads = BeadList(path)
    binsize = None
    chrom = None
    for lineno, line in _lines(text):
        if not line.strip():
            continue
        if "," not in line:
            fields = line.split(None, 1)
            key = fields[0]
            value = fields[1].strip() if len(fields) > 1 else ""
            if key in ("TITLE", "GENOME"):
                continue
            if key == "BINSIZE":
                if binsize is not None or len(beads):
                    raise InputError("BINSIZE must be given once, before the beads", path, lineno)
                binsize = parse_int(value, "BINSIZE", path, lineno, minimum=1)
                continue
            if key == "CHR":
                if not value or len(value.split()) != 1:
                    raise InputError("expected 'CHR<TAB>name'", path, lineno)
                chrom = chrom_name(value)
                continue
            raise InputError(
                f"unexpected line starting {key[:20]!r}: expected TITLE, GENOME, BINSIZE, CHR or 'binid,x,y,z'",
                path,
                lineno,
            )
        fields = line.split(",")
        if len(fields) != 4:
            raise InputError(f"expected 4 fields 'binid,x,y,z', found {len(fields)}", path, lineno)
        if binsize is None or chrom is None:
            raise InputError("a bead before the BINSIZE and CHR lines", path, lineno)
        binid = parse_int(fields[0], "bin id", path, lineno)
        beads.add(chrom, None, binid * binsize + 1, 1, _xyz(fields[1:], path, lineno), lineno, shown=f"bin {binid}")
    return beads.build(NUCLE3D_UNITS, "nucle3d")


def format_nucle3d(structure):
    _single_model(structure, "nucle3d")
    if any(h is not None for h in structure.haplotype.tolist()):
        raise InputError("nucle3d has no haplotypes: select one homolog first")
    starts = _starts(structure)
    binsize = _grid(structure, starts)
    fmt = number_formatter(structure.coords)
    out = ["TITLE\tchromapipe\n", "GENOME\tunknown\n", f"BINSIZE\t{binsize}\n"]
    current = None
    for chrom, start, (x, y, z) in zip(structure.chrom, starts, structure.coords):
        if chrom != current:
            out.append(f"CHR\t{chrom}\n")
            current = chrom
        out.append(f"{(start - 1) // binsize},{fmt(x)},{fmt(y)},{fmt(z)}\n")
    return "".join(out)


# --- N3D --------------------------------------------------------------------------------------------


def parse_n3d(text, path):
    """nuc_dynamics ``.n3d``: blocks of ``chrom<TAB>n_coords<TAB>n_models`` then ``pos x1 y1 z1 x2 ...`` rows.

    Positions are 0-based bin starts; homologs may be ``1(pat)``. Lines
    starting ``#`` and blank lines are skipped. Each block must have its
    ``n_coords`` rows (a cut file is an error) and every block the same number
    of models.
    """
    rows = []  # (chrom, hap, start, shown, coords per model, line)
    n_models = None
    remaining = 0
    block = None
    header_line = 0
    lineno = 0
    for lineno, line in _lines(text):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if remaining == 0:
            if len(fields) != 3:
                raise InputError(
                    f"expected a block header 'chromosome n_coords n_models', found {len(fields)} fields", path, lineno
                )
            chrom, hap = split_paren_haplotype(fields[0], path, lineno)
            remaining = parse_int(fields[1], "n_coords", path, lineno, minimum=1)
            models = parse_int(fields[2], "n_models", path, lineno, minimum=1)
            if n_models is not None and models != n_models:
                raise InputError(f"{models} models here, {n_models} in the first block", path, lineno)
            n_models = models
            block = (chrom, hap)
            header_line = lineno
            continue
        if len(fields) != 1 + 3 * n_models:
            raise InputError(
                f"expected {1 + 3 * n_models} fields 'position' + x y z for each of {n_models} model(s), "
                f"found {len(fields)}",
                path,
                lineno,
            )
        pos = parse_int(fields[0], "position", path, lineno)
        values = [parse_float(v, "coordinate", path, lineno) for v in fields[1:]]
        rows.append((*block, pos, values, lineno))
        remaining -= 1
    if remaining:
        raise InputError(
            f"the block starting on line {header_line} lacks {remaining} row(s): the file looks truncated", path, lineno
        )
    beads = BeadList(path)
    for model in range(n_models or 0):
        for chrom, hap, pos, values, line in rows:
            beads.add(chrom, hap, pos + 1, model + 1, values[3 * model : 3 * model + 3], line, shown=pos)
    beads.check_grid()
    return beads.build(N3D_UNITS, "n3d")


def format_n3d(structure):
    coords = structure.coords_by_model()
    first = structure.model == structure.model[0]
    chrom, hap, starts = structure.chrom[first], structure.haplotype[first], _starts(structure)[first]
    fmt = number_formatter(structure.coords)
    out = []
    n_models = coords.shape[0]
    i = 0
    while i < len(chrom):
        j = i
        while j < len(chrom) and chrom[j] == chrom[i] and hap[j] == hap[i]:
            j += 1
        out.append(f"{label(chrom[i], hap[i])}\t{j - i}\t{n_models}\n")
        for k in range(i, j):
            values = "\t".join(fmt(v) for v in coords[:, k, :].ravel())
            out.append(f"{starts[k] - 1}\t{values}\n")
        i = j
    return "".join(out)


# --- TADbit .xyz ------------------------------------------------------------------------------------

_LABEL = re.compile(r"^(.+):([0-9]+)-([0-9]+)$")


def parse_tadbit_xyz(text, path):
    """TADbit ``.xyz``: ``# KEY : value`` headers, rows ``n<TAB>chr:start-end<TAB>x<TAB>y<TAB>z``.

    ``n`` and the interval are 1-based; ``n`` must count 1, 2, 3, ... With a
    ``START`` header not 0, TADbit shifts every label by ``START // RESOLUTION``
    bp; that shift is undone. With a ``RESOLUTION`` header every start must be
    on its grid (``(start - 1) % RESOLUTION == 0``).
    """
    beads = BeadList(path)
    header = {}
    for lineno, line in _lines(text):
        if not line.strip():
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if sep:
                header[key.strip().upper()] = (value.strip(), lineno)
            continue
        fields = line.split()
        if len(fields) != 5:
            raise InputError(f"expected 5 fields 'n chr:start-end x y z', found {len(fields)}", path, lineno)
        n = parse_int(fields[0], "bead number", path, lineno, minimum=1)
        if n != len(beads) + 1:
            raise InputError(f"bead number {n}: expected {len(beads) + 1} (1, 2, 3, ... in file order)", path, lineno)
        match = _LABEL.match(fields[1])
        if not match:
            raise InputError(f"bead label {fields[1]!r}: expected chromosome:start-end (1-based)", path, lineno)
        start, end = int(match.group(2)), int(match.group(3))
        if start < 1 or end < start:
            raise InputError(f"bead label {fields[1]!r}: expected 1 <= start <= end", path, lineno)
        resolution = _header_int(header, "RESOLUTION", path)
        chrom = chrom_name(match.group(1))
        begin = _header_start(header, chrom, path)
        shift = begin // resolution if resolution and begin else 0
        true_start = start - shift
        if true_start < 1 or (resolution and (true_start - 1) % resolution):
            raise InputError(
                f"bead label {fields[1]!r}: start {true_start} is off the {resolution} bp grid of the RESOLUTION header",
                path,
                lineno,
            )
        beads.add(chrom, None, true_start, 1, _xyz(fields[2:], path, lineno), lineno, shown=start)
    return beads.build(TADBIT_UNITS, "tadbit-xyz")


def _header_list(value):
    """A header value as a list of its items: ``chr7``, ``chr7,chr8`` or TADbit's ``['chr7', 'chr8']``."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [item.strip().strip("'\"") for item in text.split(",") if item.strip()]


def _header_start(header, chrom, path):
    """The START header of ``chrom``: one integer, or TADbit's list with one per CHROMOSOME of a
    multi-chromosome model (``[0, 0]``)."""
    if "START" not in header:
        return None
    value, line = header["START"]
    starts = [parse_int(item, "START", path, line) for item in _header_list(value)]
    if len(starts) == 1:
        return starts[0]
    names = [chrom_name(c) for c in _header_list(header["CHROMOSOME"][0])] if "CHROMOSOME" in header else []
    if len(names) != len(starts):
        raise InputError(
            f"START {value!r}: {len(starts)} starts need a CHROMOSOME header naming as many chromosomes", path, line
        )
    if chrom not in names:
        raise InputError(f"chromosome {chrom} is not in the CHROMOSOME header {header['CHROMOSOME'][0]!r}", path, line)
    return starts[names.index(chrom)]


def _header_int(header, key, path):
    if key not in header:
        return None
    value, line = header[key]
    return parse_int(value, key, path, line)


def format_tadbit_xyz(structure):
    _single_model(structure, "TADbit .xyz")
    if any(h is not None for h in structure.haplotype.tolist()):
        raise InputError("TADbit .xyz has no haplotypes: select one homolog first")
    starts = _starts(structure)
    step = structure.resolution() or 1
    fmt = number_formatter(structure.coords)
    out = [f"# {'CHROMOSOME':<15s} :  {','.join(dict.fromkeys(structure.chrom.tolist()))}\n"]
    for n, (chrom, start, (x, y, z)) in enumerate(zip(structure.chrom, starts, structure.coords), start=1):
        out.append(f"{n}\t{chrom}:{start}-{start + step - 1}\t{fmt(x)}\t{fmt(y)}\t{fmt(z)}\n")
    return "".join(out)


# --- shared -----------------------------------------------------------------------------------------


def _single_model(structure, what):
    if len(structure.model_ids) > 1:
        raise InputError(f"a {what} file holds one model: write each of structure.models() to its own file")


def _starts(structure):
    if structure.start is None:
        raise InputError(f"the {structure.format} structure has no bead positions: give them to the reader")
    return structure.start


def _grid(structure, starts):
    step = structure.resolution()
    if step is None:
        step = int(starts[0] - 1) or 1
    if np.any((starts - 1) % step):
        raise InputError(f"bead starts are not all on one {step} bp grid: the format needs a fixed bin size")
    return step
