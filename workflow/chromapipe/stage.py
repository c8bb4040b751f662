"""Staging inputs into the run: validate, then copy atomically.

``fetch_pdb`` and the other fetch rules receive a file from a local folder or
from a storage plugin (HTTP, S3) and stage it into the run's output folder.
Staging parses the file first, so an HTML error page saved as ``chr21.pdb`` or
a truncated download fails here, with its own message, not three steps later.
"""

import functools
import os
import shutil

from .beadmap import read_3dmax_mapping, read_bin_map, read_contact_positions
from .errors import InputError
from .formats.pdb import read_pdb
from .io import atomic_path

VALIDATORS = {
    "pdb": read_pdb,
    "contacts": read_contact_positions,
    "mapping3dmax": read_3dmax_mapping,
    "bins": read_bin_map,
}


def extract_member(archive, member, dest):
    """Extract one file of a zip or tar archive (or of a folder holding one extracted) to ``dest``.

    The member is found as :func:`chromapipe.archive.find_member` finds it (with or without leading folders).
    """
    import tempfile

    from .archive import extract_members

    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(dest))) as tmpdir:
        found = extract_members(archive, {"member": member}, tmpdir)
        shutil.move(found["member"], dest)


def stage(source, dest, kind, member=None):
    """Validate ``source`` as a ``kind`` file and copy it to ``dest`` atomically.

    Parameters
    ----------
    source : str
        A file, or a zip/tar archive when ``member`` is given.
    dest : str
    kind : {"pdb", "contacts", "mapping3dmax", "bins"}
    member : str, optional
        Path of the file inside the archive ``source``.
    """
    if kind not in VALIDATORS:
        raise InputError(f"unknown kind {kind!r}: expected one of {', '.join(VALIDATORS)}")
    with atomic_path(dest) as tmp:
        if member:
            extract_member(source, member, tmp)
        else:
            try:
                shutil.copyfile(source, tmp)
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror}", source) from None
        try:
            VALIDATORS[kind](tmp)
        except InputError as exc:
            # name the source, not the temporary copy
            raise InputError(str(exc).replace(tmp, f"{source}" + (f"!{member}" if member else ""))) from None


# -- staged tables: a file parsed once ----------------------------------------------------------------


def sha256(path):
    """The SHA-256 of a file (hex); computed once per process for a file unchanged (its size and mtime)."""
    stat = os.stat(path)
    return _sha256(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


@functools.cache
def _sha256(path, size, mtime_ns):
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parsed(source, member, reader):
    """``reader(file)`` on ``source`` (or its archive ``member``) and the file's SHA-256; errors name the source,
    not a temporary copy."""
    import tempfile

    label = f"{source}!{member}" if member else os.fspath(source)
    with tempfile.TemporaryDirectory() as tmpdir:
        path = os.fspath(source)
        if member:
            path = os.path.join(tmpdir, os.path.basename(member))
            extract_member(source, member, path)
        try:
            return reader(path), sha256(path)
        except InputError as exc:
            raise InputError(str(exc).replace(path, label)) from None


def source_meta(source, member, digest, **extra):
    """What a staged table records of its source: the package version, the file's name and SHA-256."""
    from . import __version__

    return {
        "chromapipe_version": __version__,
        "source": os.path.basename(os.fspath(source)) + (f"!{member}" if member else ""),
        "sha256": digest,
        **extra,
    }


def structure_frame(structure, nucleus=None, context=None):
    """The structure table of a :class:`chromapipe.formats.Structure` (one homolog, every model).

    ``nucleus`` is ``dist_nucleus_com`` aligned with the beads (None: an empty column); ``context``, the
    whole-file columns of :func:`nucleus_context` aligned with the beads (absent ones: empty columns).
    """
    import numpy as np
    import polars as pl

    n = len(structure)
    coords = np.asarray(structure.coords, dtype=np.float32)
    frame = pl.DataFrame(
        {
            "bead": pl.Series(np.zeros(n), dtype=pl.Int32),
            **{axis: pl.Series(coords[:, i], dtype=pl.Float32) for i, axis in enumerate("xyz")},
            "model": pl.Series(structure.model, dtype=pl.Int32),
            "start": pl.Series(structure.start if structure.start is not None else [None] * n, dtype=pl.Int64),
            "haplotype": pl.Series(structure.haplotype.tolist(), dtype=pl.String),
            "dist_nucleus_com": pl.Series(nucleus if nucleus is not None else [None] * n, dtype=pl.Float64),
            **{
                name: pl.Series(name, (context or {}).get(name, [None] * n), dtype=getattr(pl, dtype), nan_to_null=True)
                for name, dtype in CONTEXT_COLUMNS.items()
            },
        }
    )
    # beads numbered 1..n along each homolog of each model
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("model", "haplotype").alias("bead"))


#: The structure table's whole-file columns (:func:`nucleus_context`) and their dtypes.
CONTEXT_COLUMNS = {
    "radial_position": "Float64",
    "dist_periphery": "Float64",
    "neighbours_trans": "Int32",
    "dist_homolog": "Float64",
}


def nucleus_context(whole, neighbour_radius=None):
    """The per-bead columns of a structure that need every chain of the file, per model.

    A genome-wide file (more than one chromosome) gets ``radial_position`` and ``dist_periphery``
    (:mod:`chromapipe.landmarks`, the whole model's centre, radius and hull); a file of more than one
    chain (genome-wide or diploid) ``neighbours_trans`` (:mod:`chromapipe.trans`, radius
    ``neighbour_radius`` x each chain's median bond); a diploid file with positions ``dist_homolog``.

    Returns
    -------
    dict
        ``name -> (n,)`` array aligned with ``whole``'s beads, only the columns that apply.
    """
    import numpy as np

    from . import landmarks, trans
    from .schema import default

    # None: the config schema's features.neighbour_radius (its one home; compiled, no YAML read)
    factor = default("features", "neighbour_radius") if neighbour_radius is None else neighbour_radius
    chroms_ = np.asarray([str(c) for c in whole.chrom.tolist()])
    haps = np.asarray(["" if h is None else str(h) for h in whole.haplotype.tolist()])
    # each bead's chain (chromosome and homolog) as a number, in order of appearance (no string sort of every bead)
    numbers = {}
    chains = np.fromiter((numbers.setdefault(pair, len(numbers)) for pair in zip(chroms_.tolist(), haps.tolist())),
                         dtype=np.int64, count=len(whole))  # fmt: skip
    genome_wide, several = len({c for c, _ in numbers}) > 1, len(numbers) > 1
    diploid = several and len({c for c, _ in numbers}) < len(numbers)  # a chromosome with two homologs
    n = len(whole)
    out = {}
    if genome_wide:
        out["radial_position"], out["dist_periphery"] = np.full(n, np.nan), np.full(n, np.nan)
    if several:
        out["neighbours_trans"] = np.zeros(n, dtype=np.int64)
    if diploid and whole.start is not None:
        out["dist_homolog"] = np.full(n, np.nan)
    coords = np.asarray(whole.coords, dtype=np.float32).astype(np.float64)  # as the structure table holds them
    for model in whole.model_ids:
        rows = np.flatnonzero(whole.model == model)
        if genome_wide:
            radial, periphery = landmarks.by_group(coords[rows], np.full(rows.size, model), f"model {model}")
            out["radial_position"][rows], out["dist_periphery"][rows] = radial, periphery
        if several:
            out["neighbours_trans"][rows] = trans.neighbours_trans(coords[rows], chains[rows], factor)
        if "dist_homolog" in out:
            out["dist_homolog"][rows] = trans.dist_homolog(coords[rows], chroms_[rows], haps[rows], whole.start[rows])
    return out


def load_structure(path, chrom, format=None, haplotype=None, bins=None, neighbour_radius=None, shared=None):
    """One chromosome (one homolog) of a structure file of any format, and what staging records of it.

    Parameters
    ----------
    path : path
        The structure file (see :data:`chromapipe.formats.FORMATS`).
    chrom : str
        The chromosome to keep (a GSDB PDB does not name its own: it is this one).
    format : str, optional
        The file's format; by default from its extension (and content, where an extension is shared).
    haplotype : {None, "pat", "mat"}
        The homolog to keep where the file has two of ``chrom``; without it both are kept, apart
        (the table's ``haplotype`` column): they are never averaged.
    bins : path, optional
        PASTIS only: the counts' ``.bed`` or the bin map, where no ``config.ini`` beside the file names
        the counts' bins (:func:`chromapipe.formats.pastis.bins_for`).
    neighbour_radius : float, optional
        ``neighbours_trans``' radius (x each chain's median bond), as ``features.neighbour_radius``.
    shared : path, optional
        A folder where a file of several chromosomes is split once (:func:`split_once`): each chromosome's
        job then reads its table there instead of parsing the whole file and computing its whole-nucleus
        columns again. The tables are the same either way.

    Returns
    -------
    frame : polars.DataFrame
        The structure table (:data:`chromapipe.tables.STRUCTURE`).
    info : dict
        Format, units, models, homologs of the file, and the chromosomes ``dist_nucleus_com`` spans.
    """
    if shared is not None and not _by_name(path, format):
        found = split_once(path, chrom, format, haplotype, neighbour_radius, shared)
        if found is not None:
            return found
    whole = _read_whole(path, chrom, format, bins)
    return chromosome_table(whole, _whole_columns(whole, neighbour_radius), chrom, haplotype)


def _by_name(path, format):
    """A file that does not name its chromosomes: a GSDB PDB (this one), a PASTIS row (its bin map's part)."""
    return _is_pdb(path, format) or format == "pastis"


def _read_whole(path, chrom, format, bins):
    """Every bead of the structure file (a GSDB PDB's or PASTIS matrix's as ``chrom``)."""
    from . import chroms, formats

    return formats.read_structure(path, format, chrom=chroms.canonical(chrom) if _by_name(path, format) else None,
                                  bins=bins)  # fmt: skip


def _whole_columns(whole, neighbour_radius):
    """What needs every bead of the file: its chromosomes, ``dist_nucleus_com`` (a genome-wide file's; else None)
    and the :func:`nucleus_context` columns, aligned with ``whole``'s beads."""
    from . import formats

    genome = sorted({str(c) for c in whole.chrom.tolist()})
    nucleus = formats.dist_nucleus_com(whole) if len(genome) > 1 else None
    return genome, nucleus, nucleus_context(whole, neighbour_radius)


def chromosome_table(whole, columns, chrom, haplotype=None):
    """One chromosome's structure table and info (:func:`load_structure`) of a file's beads ``whole`` and its
    whole-file ``columns`` (:func:`_whole_columns`)."""
    from . import chroms, formats

    genome, nucleus, context = columns
    name = chroms.canonical(chrom)
    if haplotype is None and len([h for c, h in whole.homologs if c == name]) > 1:
        part = whole._subset(whole.chrom == name)  # both homologs, told apart by the haplotype column
    else:
        part = whole.select(name, haplotype)
    mask = _mask(whole, part)
    info = {
        "format": whole.format,
        "units": whole.units,
        "models": len(part.model_ids),
        "haplotype": part.haplotype[0] if len(set(part.haplotype.tolist())) == 1 else None,
        "haplotypes": sorted({h for h in part.haplotype.tolist() if h}),
        "homologs": [formats.model.label(c, h) for c, h in whole.homologs],
        "nucleus_chromosomes": genome if nucleus is not None else None,
    }
    frame = structure_frame(part, nucleus[mask] if nucleus is not None else None,
                            {key: values[mask] for key, values in context.items()})  # fmt: skip
    return frame, info


def split_once(path, chrom, format, haplotype, neighbour_radius, folder):
    """``chrom``'s table and info from the shared split of a file of several chromosomes; None: not in it.

    The jobs of one genome-wide file (one per chromosome) each need the whole file parsed and its
    whole-nucleus columns (hull, trans neighbours: every bead of the file), which cost the same for
    every chromosome. The first job to take the folder's lock (the others wait on it) parses the file once
    and writes every chromosome's table, as :func:`load_structure` makes it, into ``folder``, under a key of
    the file's SHA-256 and the settings that shape the tables (format, haplotype, ``neighbour_radius``,
    chromapipe's version): an edited file or setting gets a split of its own. A file of one chromosome is
    not split (its one job parses it). The folder may be deleted at any time: it is only read again.
    """
    import fcntl
    import hashlib
    import json

    import polars as pl

    from . import __version__, chroms

    if not os.path.isfile(path):
        return None  # the parse says what is wrong
    settings = json.dumps([sha256(path), format, haplotype, neighbour_radius, __version__])
    split = os.path.join(folder, hashlib.sha256(settings.encode()).hexdigest()[:16])
    os.makedirs(split, exist_ok=True)
    table = os.path.join(split, f"chr{chroms.canonical(chrom)}.parquet")
    with open(os.path.join(split, "lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed (or the job ends)
        if not lock.tell():
            lock.write(f"{os.path.basename(os.fspath(path))}: {settings}\n")  # what the split is of
            lock.flush()
        if not os.path.exists(os.path.join(split, "done")):
            _split(path, format, haplotype, neighbour_radius, split)
        if not os.path.exists(table):
            return None
        with open(os.path.join(split, f"chr{chroms.canonical(chrom)}.json")) as handle:
            info = json.load(handle)
        return pl.read_parquet(table), info


def _split(path, format, haplotype, neighbour_radius, split):
    """Every chromosome's table of a file of several chromosomes into ``split`` (see :func:`split_once`), then
    the ``done`` marker; nothing but the marker for a file of one chromosome."""
    import json

    from . import chroms
    from .errors import InputError

    whole = _read_whole(path, None, format, None)
    names = [chroms.canonical(c) for c in dict.fromkeys(str(c) for c in whole.chrom.tolist())]
    if len(names) > 1:
        columns = _whole_columns(whole, neighbour_radius)
        for name in names:
            try:
                frame, info = chromosome_table(whole, columns, name, haplotype)
            except InputError:  # e.g. no such homolog: that chromosome's job says so itself, from the file
                continue
            with atomic_path(os.path.join(split, f"chr{name}.json")) as tmp, open(tmp, "w") as handle:
                json.dump(info, handle)
            with atomic_path(os.path.join(split, f"chr{name}.parquet")) as tmp:
                frame.write_parquet(tmp)
    with atomic_path(os.path.join(split, "done")) as tmp, open(tmp, "w") as handle:
        handle.write("\n".join(names) + "\n")


def _is_pdb(path, format):
    from .formats import uncompressed_name

    return format == "pdb" or (format is None and uncompressed_name(path).lower().endswith(".pdb"))


def _mask(whole, part):
    """Which beads of ``whole`` are ``part`` (one chromosome, one or both homologs)."""
    import numpy as np

    haps = set(part.haplotype.tolist())
    return (whole.chrom == part.chrom[0]) & np.asarray([h in haps for h in whole.haplotype.tolist()], dtype=bool)


def positions_frame(positions):
    """The positions table (:data:`chromapipe.tables.POSITIONS`) of bead positions in bead order."""
    import numpy as np
    import polars as pl

    return pl.DataFrame(
        {
            "bead": pl.Series(np.arange(1, len(positions) + 1), dtype=pl.Int32),
            "position": pl.Series(positions, dtype=pl.Int64),
        }
    )
