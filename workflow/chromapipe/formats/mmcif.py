"""mmCIF: Dip-C ``vis`` files (read with gemmi's CIF block reader) and alabtools-style IHM files
(read with python-ihm).

Neither is parsed by hand: the CIF tokeniser is the library's; a file the
library cannot parse becomes an :class:`InputError` carrying the library's
message (which names the line).
"""

import io
import re

from ..errors import InputError
from .model import BeadList, chrom_name, label, normalise_haplotype, parse_float, split_paren_haplotype
from .text import number_formatter

DIPC_UNITS = "bead radii (Dip-C)"
IHM_UNITS = "nm (alabtools)"

_DIPC_KEYS = ["label_asym_id", "label_comp_id", "label_atom_id", "Cartn_x", "Cartn_y", "Cartn_z"]


def _row_error(message, path, row):
    return InputError(f"_atom_site row {row}: {message}", path)


def parse_dipc_cif(text, path):
    """Dip-C ``vis`` mmCIF: ``_atom_site`` rows with homolog ``label_asym_id`` (``7(pat)``), position =
    ``label_comp_id`` x 1e6 + ``label_atom_id`` x 1e3 (0-based bin start, 1 kb precision).

    ``pdbx_PDB_model_num``, when present, gives the model. Rows are named by
    their number in the loop (gemmi keeps no line numbers).
    """
    import gemmi  # here, not at import: every structure job loads this module (formats' registry)

    if not text.strip():
        raise InputError("empty file: expected a Dip-C mmCIF structure (data_ block with _atom_site rows)", path)
    try:
        block = gemmi.cif.read_string(text).sole_block()
    except (RuntimeError, ValueError, IndexError) as exc:
        raise InputError(f"not a readable mmCIF file: {exc}", path) from None
    table = block.find("_atom_site.", _DIPC_KEYS)
    if not table or len(table) == 0:
        raise InputError(
            f"no _atom_site loop with {', '.join(_DIPC_KEYS)}: not a Dip-C mmCIF file (an IHM file? use format ihm)",
            path,
        )
    models = block.find_values("_atom_site.pdbx_PDB_model_num")
    beads = BeadList(path)
    for i, row in enumerate(table, start=1):
        asym, comp, atom = (gemmi.cif.as_string(row[k]) for k in range(3))
        chrom, hap = split_paren_haplotype(asym, path)
        if not (comp.isascii() and comp.isdigit() and atom.isascii() and atom.isdigit() and len(atom) <= 3):
            raise _row_error(
                f"label_comp_id {comp!r} and label_atom_id {atom!r} must be the Mb and kb digits of the position",
                path,
                i,
            )
        pos = int(comp) * 1_000_000 + int(atom) * 1_000
        xyz = [
            parse_float(gemmi.cif.as_string(row[k]), f"row {i}: Cartn_{a}", path, None)
            for k, a in zip((3, 4, 5), "xyz")
        ]
        model = 1
        if models:
            raw = gemmi.cif.as_string(models[i - 1])
            if not (raw.isascii() and raw.isdigit()):
                raise _row_error(f"pdbx_PDB_model_num {raw!r} is not an integer", path, i)
            model = int(raw)
        beads.add(chrom, hap, pos + 1, model, xyz, f"row {i}", shown=pos)
    beads.check_grid()
    return beads.build(DIPC_UNITS, "dipc-cif")


def format_dipc_cif(structure):
    """Dip-C ``vis`` mmCIF through gemmi (positions must be whole kb, below 1 Gb)."""
    import gemmi

    if structure.start is None:
        raise InputError("a Dip-C mmCIF needs bead positions")
    fmt = number_formatter(structure.coords)
    doc = gemmi.cif.Document()
    block = doc.add_new_block("chromapipe")
    keys = ["group_PDB", "type_symbol", "id", "label_asym_id", "label_comp_id", "label_seq_id", "label_atom_id"]
    keys += ["Cartn_x", "Cartn_y", "Cartn_z", "B_iso_or_equiv", "pdbx_PDB_model_num"]
    loop = block.init_loop("_atom_site.", keys)
    for i, (chrom, hap, start, model, (x, y, z)) in enumerate(
        zip(structure.chrom, structure.haplotype, structure.start, structure.model, structure.coords), start=1
    ):
        pos = int(start) - 1
        if pos % 1000 or pos >= 10**9:
            raise InputError(f"position {pos} of {label(chrom, hap)}: a Dip-C mmCIF holds whole kb below 1 Gb")
        loop.add_row(
            ["HETATM", ".", str(i), label(chrom, hap), f"{pos // 1_000_000:03d}", "1", f"{pos // 1000 % 1000:03d}"]
            + [fmt(x), fmt(y), fmt(z), "-1", str(int(model))]
        )
    return doc.as_string()


# --- IHM (alabtools) --------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^(.+):([0-9]+)-([0-9]+)$")
_ASYM = re.compile(r"^(.+?)([A-Z])$")


def parse_ihm(text, path):
    """An alabtools-style IHM file: beads in ``_ihm_sphere_obj_site``, read through python-ihm.

    alabtools writes ``seq_id`` as the global 1-based bead index, and names the
    bead's segment ``Seg-{index}`` in ``_chem_comp`` as ``chr2:0-1000000``
    (0-based start); the asym id is the chromosome without ``chr`` plus a copy
    letter (``2A``, ``XB``: A = pat, B = mat; a chromosome with copy A only is
    haploid, haplotype None). A file that numbers beads per
    entity (the IHMCIF convention) is read through the entity's sequence.

    For a diploid population alabtools writes segments for copy A only (and an
    ``_entity_poly_seq`` that does not fit the diploid index): the spheres of a
    copy whose ``seq_id`` names no segment of its chromosome are paired by rank,
    the k-th sphere of the copy (by ``seq_id``, per model) with the k-th
    ``_chem_comp`` segment of its chromosome (file order, each name once); the
    counts must agree (see :func:`pair_by_rank`).
    """
    import ihm.reader

    try:
        systems = ihm.reader.read(io.StringIO(text))
    except Exception as exc:  # python-ihm raises many types on malformed input; report them all as input errors
        raise InputError(f"not a readable IHM file: {type(exc).__name__}: {exc}", path) from None
    if len(systems) != 1:
        raise InputError(f"{len(systems)} data blocks: expected one IHM system", path)
    system = systems[0]
    segments = {}
    for entity in system.entities:
        for comp in getattr(entity, "sequence", []):
            cid = getattr(comp, "id", None)
            if cid is not None:
                segments[cid] = getattr(comp, "name", None)
    copies = {}
    for asym in system.asym_units:
        match = _ASYM.match(str(getattr(asym, "id", "")))
        if match:
            copies.setdefault(match.group(1), set()).add(match.group(2))
    # every sphere, checked, with its segment where its seq_id names one on its chromosome
    spheres = []
    chains = {}  # (model, asym id) -> indices into spheres
    n = 0
    for models in _models(system):
        for model_id, model in models:
            for sphere in model.get_spheres():
                n += 1
                where = f"sphere {n}"
                asym = sphere.asym_unit
                asym_id = getattr(asym, "id", None)
                match = _ASYM.match(str(asym_id)) if asym_id is not None else None
                if not match:
                    raise InputError(f"{where}: asym id {asym_id!r} is not CHROMOSOME + copy letter (2A, XB)", path)
                copy = match.group(2)
                if copy not in "AB":
                    raise InputError(f"{where}: copy letter {copy!r} of asym {asym_id}: expected A or B", path)
                # one copy (A) only: a haploid or unphased chromosome
                hap = None if copies.get(match.group(1)) == {"A"} else normalise_haplotype(copy)
                chrom = chrom_name(match.group(1))
                seq = sphere.seq_id_range[0]
                name = _segment_name(segments, asym, seq, chrom)
                seg = _SEGMENT.match(name or "")
                if seg and chrom_name(seg.group(1)) != chrom:
                    seg = None
                xyz = [parse_float(str(v), f"{where}: Cartn_{a}", path, None) for v, a in zip(_xyz(sphere), "xyz")]
                chains.setdefault((model_id, asym_id), []).append(len(spheres))
                spheres.append([where, chrom, hap, model_id, asym_id, seq, name, seg, xyz])
    unpaired = [key for key, rows in chains.items() if any(spheres[i][7] is None for i in rows)]
    if unpaired:
        by_chrom = _chromosome_segments(text, path)
        for model_id, asym_id in unpaired:
            rows = sorted(chains[(model_id, asym_id)], key=lambda i: _seq_key(spheres[i][5]))
            failing = next(spheres[i] for i in rows if spheres[i][7] is None)
            chrom = failing[1]
            names = pair_by_rank(len(rows), by_chrom.get(chrom, []), chrom, asym_id, model_id, failing, path)
            for i, name in zip(rows, names):
                spheres[i][6], spheres[i][7] = name, _SEGMENT.match(name)
    beads = BeadList(path)
    for where, chrom, hap, model_id, _asym_id, _seq, _name, seg, xyz in spheres:
        pos = int(seg.group(2))
        beads.add(chrom, hap, pos + 1, model_id, xyz, where, shown=pos)
    return beads.build(IHM_UNITS, "ihm")


def _seq_key(seq):
    return (0, seq, "") if isinstance(seq, int) else (1, 0, str(seq))


def pair_by_rank(n_spheres, names, chrom, asym_id, model_id, failing, path):
    """The segment names of the ``n_spheres`` spheres of one copy, paired by rank with the chromosome's ``names``.

    ``failing`` is the first sphere of the copy whose ``seq_id`` names no segment of its chromosome (its
    ``where``, ``seq`` and segment name are items 0, 5 and 6), for the message.

    Raises
    ------
    InputError
        When the chromosome has no segment, or another number of segments than the copy has spheres.
    """
    where, seq, name = failing[0], failing[5], failing[6]
    reason = f"segment {name!r} is not on chromosome {chrom}" if name else "no _chem_comp segment 'chrN:start-end'"
    reason = f"{where}: {reason} for seq_id {seq} of asym {asym_id}"
    if not names:
        raise InputError(f"{reason}, and chromosome {chrom} has no _chem_comp segment to pair by rank", path)
    if len(names) != n_spheres:
        raise InputError(
            f"{reason}; paired by rank instead, the copy's {n_spheres} spheres (model {model_id}) do not match "
            f"chromosome {chrom}'s {len(names)} _chem_comp segments: the k-th sphere of a copy pairs with the k-th "
            "segment of its chromosome only when the counts agree",
            path,
        )
    return names


def _chromosome_segments(text, path):
    """Chromosome -> the names of its ``_chem_comp`` segments (``chrN:start-end``), in file order, each once."""
    import ihm.format

    class Handler:
        not_in_file = omitted = unknown = None

        def __init__(self):
            self.names = []

        def __call__(self, name):
            if name is not None:
                self.names.append(name)

    handler = Handler()
    try:
        ihm.format.CifReader(io.StringIO(text), {"_chem_comp": handler}).read_file()
    except Exception as exc:  # read once already: only a defect python-ihm's reader tolerated can land here
        raise InputError(f"not a readable IHM file: {type(exc).__name__}: {exc}", path) from None
    out = {}
    for name in dict.fromkeys(handler.names):
        seg = _SEGMENT.match(name)
        if seg:
            out.setdefault(chrom_name(seg.group(1)), []).append(name)
    return out


def _xyz(sphere):
    return sphere.x, sphere.y, sphere.z


def _models(system):
    for state_group in system.state_groups:
        for state in state_group:
            for group in state:
                yield [(_model_id(m, k), m) for k, m in enumerate(group, start=1)]


def _model_id(model, default):
    try:
        return int(model._id)
    except (AttributeError, TypeError, ValueError):
        return default


def _segment_name(segments, asym, seq, chrom):
    """The segment name of a sphere's ``seq``: alabtools' global bead index (``Seg-{seq}``) or IHMCIF's
    index into the entity's own sequence, whichever lies on the asym's chromosome ``chrom`` (global first);
    else the first candidate, for the error message."""
    candidates = [segments.get(f"Seg-{seq}")]
    sequence = getattr(getattr(asym, "entity", None), "sequence", [])
    if isinstance(seq, int) and 1 <= seq <= len(sequence):
        candidates.append(getattr(sequence[seq - 1], "name", None))
    candidates = [name for name in candidates if name is not None]
    for name in candidates:
        seg = _SEGMENT.match(name)
        if seg and chrom_name(seg.group(1)) == chrom:
            return name
    return candidates[0] if candidates else None


def format_ihm(structure):
    """An alabtools-style IHM file (with a ``data_`` line, so it is valid mmCIF as well)."""
    import ihm.format

    if structure.start is None:
        raise InputError("an IHM file needs bead positions")
    if any(len(str(c)) == 0 for c in structure.chrom):
        raise InputError("empty chromosome name")
    first = structure.model == structure.model[0]
    chrom, hap, start = structure.chrom[first], structure.haplotype[first], structure.start[first]
    step = structure.resolution() or 1
    entities = list(dict.fromkeys(chrom.tolist()))
    entity_of = {c: i + 1 for i, c in enumerate(entities)}
    copies = {c: list(dict.fromkeys(h for cc, h in zip(chrom, hap) if cc == c)) for c in entities}
    letter = {None: "A", "pat": "A", "mat": "B"}
    fmt = number_formatter(structure.coords)
    out = io.StringIO()
    writer = ihm.format.CifWriter(out)
    writer.start_block("chromapipe")
    with writer.loop("_entity", ["id", "type", "src_method", "pdbx_description", "pdbx_number_of_molecules"]) as lp:
        for c in entities:
            lp.write(
                id=entity_of[c],
                type="polymer",
                src_method="man",
                pdbx_description=f"chr{c}",
                pdbx_number_of_molecules=len(copies[c]),
            )
    with writer.loop("_struct_asym", ["id", "entity_id", "details"]) as lp:
        for c in entities:
            for h in copies[c]:
                lp.write(id=f"{c}{letter[h]}", entity_id=entity_of[c], details=f"chr{c}")
    with writer.loop("_chem_comp", ["id", "name", "type"]) as lp:
        for i, (c, s) in enumerate(zip(chrom, start), start=1):
            lp.write(id=f"Seg-{i}", name=f"chr{c}:{int(s) - 1}-{int(s) - 1 + step}", type="other")
    with writer.loop("_entity_poly", ["entity_id", "type"]) as lp:
        for c in entities:
            lp.write(entity_id=entity_of[c], type="other")
    with writer.loop("_entity_poly_seq", ["entity_id", "num", "mon_id", "hetero"]) as lp:
        for c in entities:
            rows = [i for i in range(len(chrom)) if chrom[i] == c and hap[i] == copies[c][0]]
            for num, i in enumerate(rows, start=1):
                lp.write(entity_id=entity_of[c], num=num, mon_id=f"Seg-{i + 1}", hetero=".")
    with writer.loop("_ihm_model_list", ["model_id", "model_name"]) as lp:
        for m in structure.model_ids:
            lp.write(model_id=int(m), model_name=f"Structure {m}")
    keys = ["ordinal_id", "entity_id", "seq_id_begin", "seq_id_end", "asym_id", "Cartn_x", "Cartn_y", "Cartn_z"]
    keys += ["object_radius", "rmsf", "model_id"]
    with writer.loop("_ihm_sphere_obj_site", keys) as lp:
        ordinal = 0
        for m, coords in zip(structure.model_ids, structure.coords_by_model()):
            for i, (x, y, z) in enumerate(coords):
                ordinal += 1
                lp.write(
                    ordinal_id=ordinal,
                    entity_id=entity_of[chrom[i]],
                    seq_id_begin=i + 1,
                    seq_id_end=i + 1,
                    asym_id=f"{chrom[i]}{letter[hap[i]]}",
                    Cartn_x=fmt(x),
                    Cartn_y=fmt(y),
                    Cartn_z=fmt(z),
                    object_radius="1.0",
                    rmsf=None,
                    model_id=int(m),
                )
    writer.end_block()
    return out.getvalue()
