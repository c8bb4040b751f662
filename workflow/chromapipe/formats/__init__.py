"""Structures from the community's file formats, in one in-memory form.

``read_structure(path, format=None)`` reads any supported format into a
:class:`Structure` (see :mod:`chromapipe.formats.model` for the conventions:
canonical chromosome names, haplotype ``None``/``"pat"``/``"mat"``, 1-based bin
starts, 1-based model numbers, the format's own units); ``write_structure``
writes one; ``convert`` does both.

| format       | extension            | multi-chromosome | models      | positions                | units             | reader     |
|--------------|----------------------|------------------|-------------|--------------------------|-------------------|------------|
| pdb          | .pdb (3DMax/GSDB)    | no               | 1           | bead map (sidecar)       | model units (/10) | own (mdtraj parity) |
| nucdyn-pdb   | .pdb (MODEL blocks)  | yes (chains)     | MODEL       | columns 81-90            | model units (/10) | own        |
| dipc-3dg     | .3dg                 | yes, (pat)/(mat) | 1           | bin start                | bead radii        | own        |
| hickit-3dg   | .3dg (``#`` headers) | yes, a/b         | 1           | bead start               | hickit / #unit    | own        |
| nucle3d      | .nucle3d, .nul3d     | yes              | 1           | binid x BINSIZE          | not declared      | own        |
| n3d          | .n3d                 | yes, (pat)/(mat) | columns     | bin start                | bead radii        | own        |
| dipc-cif     | .cif, .mmcif         | yes, (pat)/(mat) | model_num   | comp + atom ids (kb)     | bead radii        | gemmi      |
| ihm          | .ihm, .cif (IHM)     | yes, A/B copies  | model_id    | _chem_comp segment name  | nm                | python-ihm |
| tadbit-xyz   | .xyz                 | yes              | 1           | label (1-based)          | nm                | own        |
| pastis       | .pdb (n x 3 matrix)  | yes              | 1           | row k = bin k (bins file)| arbitrary         | own        |

Every format may be gzipped (gzip or bgzip, which hickit's and Dip-C's pipelines write): the file is
decompressed when its content starts with the gzip magic bytes, and the format comes from the extension
under ``.gz`` (``cell.3dg.gz`` is a ``.3dg``).
"""

import gzip
import os
import zlib

from ..errors import InputError
from . import mmcif, pastis, pdb, text
from .model import (
    HAPLOTYPES,
    Structure,
    chrom_name,
    dist_nucleus_com,
    normalise_haplotype,
    pair_with_bins,
)

__all__ = [
    "FORMATS",
    "HAPLOTYPES",
    "WRITE_FORMATS",
    "Structure",
    "chrom_name",
    "convert",
    "detect_format",
    "decompress",
    "dist_nucleus_com",
    "format_structure",
    "normalise_haplotype",
    "pair_with_bins",
    "parse_structure",
    "read_structure",
    "uncompressed_name",
    "write_structure",
]

#: format name -> (parser of (text, path), writer of Structure -> text)
_CODECS = {
    "nucdyn-pdb": (pdb.parse_nucdyn, pdb.format_nucdyn),
    "dipc-3dg": (text.parse_dipc_3dg, text.format_dipc_3dg),
    "hickit-3dg": (text.parse_hickit_3dg, text.format_hickit_3dg),
    "nucle3d": (text.parse_nucle3d, text.format_nucle3d),
    "n3d": (text.parse_n3d, text.format_n3d),
    "dipc-cif": (mmcif.parse_dipc_cif, mmcif.format_dipc_cif),
    "ihm": (mmcif.parse_ihm, mmcif.format_ihm),
    "tadbit-xyz": (text.parse_tadbit_xyz, text.format_tadbit_xyz),
}
#: formats read, not written
_READ_ONLY = ("pastis",)
#: every format name
FORMATS = ("pdb", *_CODECS, *_READ_ONLY)
#: the formats :func:`write_structure` writes
WRITE_FORMATS = ("pdb", *_CODECS)

_EXTENSIONS = {
    ".pdb": "pdb-any",
    ".3dg": "3dg",
    ".nucle3d": "nucle3d",
    ".nul3d": "nucle3d",
    ".n3d": "n3d",
    ".cif": "cif",
    ".mmcif": "cif",
    ".ihm": "ihm",
    ".xyz": "tadbit-xyz",
}
#: the format a writer picks for an extension
_WRITE_DEFAULT = {"pdb-any": "pdb", "3dg": "dipc-3dg", "cif": "dipc-cif"}
#: extensions of a compressed file, whose format is the extension under them
COMPRESSED = (".gz", ".bgz")
#: the first bytes of a gzip (and bgzip) file
_GZIP_MAGIC = b"\x1f\x8b"


def uncompressed_name(path):
    """``path`` without a ``.gz``/``.bgz`` extension: the name whose extension tells the format."""
    name = os.fspath(path)
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in COMPRESSED else name


def _extension_kind(path):
    name = os.fspath(path)
    inner = uncompressed_name(name)
    ext = os.path.splitext(inner)[1].lower()
    if ext not in _EXTENSIONS:
        under = f" under {os.path.splitext(name)[1]!r}" if inner != name else ""
        raise InputError(
            f"unknown structure extension {ext or '(none)'!r}{under}: expected one of "
            f"{', '.join(sorted(_EXTENSIONS))} (each optionally gzipped, e.g. .3dg.gz) "
            f"or an explicit format ({', '.join(FORMATS)})",
            name,
        )
    return _EXTENSIONS[ext]


def _sniff(kind, content):
    """Tell apart formats that share an extension, by content."""
    if kind == "pdb-any":
        if pastis.is_matrix(content):
            return "pastis"
        for line in content.splitlines():
            record = line[:6].strip().upper()
            if record == "MODEL" or (record in ("ATOM", "HETATM") and line[80:90].strip()):
                return "nucdyn-pdb"
        return "pdb"
    if kind == "3dg":
        # hickit writes '#chromosome:'/'#unit:' headers; a Dip-C homolog has (pat)/(mat)
        lines = [line.strip() for line in content.splitlines() if line.strip()]
        if any(line.startswith(("#chromosome:", "#unit:")) for line in lines):
            return "hickit-3dg"
        first = next((line for line in lines if not line.startswith("#")), "")
        if "(" in first.split("\t")[0]:
            return "dipc-3dg"
        return "hickit-3dg" if lines and lines[0].startswith("#") else "dipc-3dg"
    if kind == "cif":
        return "ihm" if "_ihm_sphere_obj_site" in content else "dipc-cif"
    return kind


def detect_format(path, content=None):
    """The format of ``path``: from its extension, then its content where an extension is shared."""
    kind = _extension_kind(path)
    if kind in FORMATS:
        return kind
    if content is None:
        content = _read_bytes(path).decode("latin-1")
    return _sniff(kind, content)


def _read_bytes(path):
    """The bytes of a structure file, decompressed where it is gzip or bgzip (by content, whatever its name)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read structure: {exc.strerror}", os.fspath(path)) from None
    return decompress(raw, os.fspath(path))


def decompress(raw, path="<structure>"):
    """``raw`` itself, or its decompressed content when it starts with the gzip magic bytes.

    gzip and bgzip alike (bgzip is gzip in many members; every member is read).

    Raises
    ------
    InputError
        A truncated or corrupt gzip stream.
    """
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"corrupt or truncated gzip file: {exc}", path) from None


def _decode(raw, path):
    if b"\x00" in raw:
        raise InputError("binary content: not a text structure file", path)
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("non-ASCII bytes: not a text structure file", path, line) from None


def parse_structure(raw, format, path="<structure>", chrom=None, positions=None, bins=None):
    """Parse the bytes of a structure file of a known ``format`` (gzipped or not); see :func:`read_structure`."""
    if format not in FORMATS:
        raise InputError(f"unknown structure format {format!r}: expected one of {', '.join(FORMATS)}", path)
    raw = decompress(raw, path)
    if format in ("pdb", "nucdyn-pdb", "pastis") and pastis.is_pdb_pdb(raw):
        pastis.refuse_pdb_pdb(path)
    if format == "pastis":
        if positions is not None:
            raise InputError("a PASTIS matrix takes its positions from its bins: give bins, not positions", path)
        text = _decode(raw, path)
        return pastis.parse_pastis(text, path, pastis.bins_for(path, text, bins, chrom))
    if format == "pdb":
        return pdb.parse_gsdb_bytes(raw, path, chrom=chrom, positions=positions)
    if positions is not None:
        raise InputError(f"the {format} format carries its own positions: do not give positions", path)
    return _CODECS[format][0](_decode(raw, path), path)


def read_structure(path, format=None, chrom=None, positions=None, bins=None):
    """Read a structure file of any supported format.

    Parameters
    ----------
    path : str or os.PathLike
        The file, plain or gzipped (gzip or bgzip; ``.gz`` is looked under for the extension).
    format : str, optional
        One of :data:`FORMATS`; by default from the extension (and, for
        ``.pdb``, ``.3dg`` and ``.cif``, the content).
    chrom : str, optional
        GSDB PDB only: the chromosome (by default from the file name).
    positions : array_like, optional
        GSDB PDB only: the beads' 1-based bin starts (from the bead map).
    bins : path or polars.DataFrame, optional
        PASTIS only, where no ``config.ini`` beside the file names the counts' bins: the counts' ``.bed``
        or a bin map (row k = bin k of the map, or of ``chrom``); see :mod:`chromapipe.formats.pastis`.

    Returns
    -------
    Structure

    Raises
    ------
    InputError
        Unknown extension or format, or any defect of the file (naming the
        file, the line or row, and what was expected).
    """
    name = os.fspath(path)
    raw = _read_bytes(name)
    if format is None:
        kind = _extension_kind(name)
        format = kind if kind in FORMATS else _sniff(kind, raw.decode("latin-1"))
    return parse_structure(raw, format, name, chrom=chrom, positions=positions, bins=bins)


def format_structure(structure, format):
    """The text of ``structure`` in ``format``."""
    if format == "pdb":
        return pdb.format_gsdb(structure)
    if format in _READ_ONLY:
        raise InputError(f"the {format} format is read, not written: write another ({', '.join(_CODECS)})")
    if format not in _CODECS:
        raise InputError(f"unknown structure format {format!r}: expected one of {', '.join(FORMATS)}")
    return _CODECS[format][1](structure)


def write_structure(structure, path, format=None):
    """Write ``structure`` to ``path`` in ``format`` (by default from the extension: ``.pdb`` -> ``pdb``,
    ``.3dg`` -> ``dipc-3dg``, ``.cif`` -> ``dipc-cif``; under ``.gz``, gzipped). Returns the format written."""
    if format is None:
        kind = _extension_kind(path)
        format = _WRITE_DEFAULT.get(kind, kind)
    content = format_structure(structure, format).encode("ascii")
    if uncompressed_name(path) != os.fspath(path):
        content = gzip.compress(content, mtime=0)
    with open(path, "wb") as handle:
        handle.write(content)
    return format


def convert(source, target, source_format=None, target_format=None, chrom=None, positions=None):
    """Read ``source`` and write it to ``target``; returns the :class:`Structure` read."""
    structure = read_structure(source, source_format, chrom=chrom, positions=positions)
    write_structure(structure, target, target_format)
    return structure
