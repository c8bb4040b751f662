"""Per-bin genomic annotations: GC content, fraction of N, gene density.

``table`` holds the definitions shared by every backend; ``files`` computes
them from a local FASTA and GTF/GFF3; ``ensembl`` from the Ensembl REST API.
The table's columns are declared in :data:`chromapipe.tables.ANNOTATIONS`.
:data:`SOURCES` is the registry of annotation sources (the config schema's
``annotations.source`` enum is tested against it); :func:`annotate` is the one
dispatch over it (:func:`from_source`); :func:`annotate` adds compartments and user tracks.
"""

import os
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Source:
    """An annotation source: the inputs it needs (keys of the ``annotations`` section / step arguments)."""

    needs: tuple
    description: str


#: The registry of annotation sources.
SOURCES = {
    "files": Source(("fasta", "gtf"), "a local FASTA and GTF/GFF3"),
    "ensembl": Source((), "the Ensembl REST API"),
    "table": Source(("table",), "existing per-bin tables"),
}


def missing_inputs(source, given):
    """The inputs of :data:`SOURCES` ``[source]`` that ``given`` (``key -> value``) lacks.

    Raises
    ------
    InputError
        An unknown source.
    """
    if source not in SOURCES:
        raise InputError(f"annotation source {source!r} is not one of {', '.join(SOURCES)}")
    return [key for key in SOURCES[source].needs if not given.get(key)]


def from_source(bins, chrom, source, assembly, fasta=None, gtf=None, table=None, ensembl=None, client_options=None):
    """The annotation table of a chromosome's ``bins`` from ``source`` (:data:`SOURCES`), and its metadata.

    Parameters
    ----------
    bins : polars.DataFrame
        The chromosome's bins.
    source : str
        ``files`` (``fasta``, ``gtf``), ``table`` (``table``) or ``ensembl`` (``ensembl``: a
        :class:`chromapipe.settings.Ensembl`; ``client_options``: more keyword arguments of the
        REST client and ``window``).
    assembly : str

    Returns
    -------
    frame : polars.DataFrame
        :data:`chromapipe.tables.ANNOTATIONS` without compartments.
    meta : dict
        What the source recorded (files, host, assembly).
    """
    missing = missing_inputs(source, {"fasta": fasta, "gtf": gtf, "table": table})
    if missing:
        raise InputError(f"annotation source '{source}' needs {' and '.join(missing)}")
    if source == "table":
        from .table import read_annotation_table

        return read_annotation_table(table, bins, chrom), {"table": os.path.basename(table), "assembly": assembly}
    if source == "files":
        from .files import annotate_from_files

        meta = {"fasta": os.path.basename(fasta), "gtf": os.path.basename(gtf), "assembly": assembly}
        return annotate_from_files(bins, chrom, fasta, gtf), meta
    from .ensembl import annotate_with_client

    return annotate_with_client(bins, chrom, assembly, ensembl, dict(client_options or {}))


def annotate(bins, chrom, source, assembly, sources=None, contacts=None, tracks=()):
    """The annotation table of a chromosome's ``bins`` (:data:`chromapipe.tables.ANNOTATIONS`) and its metadata.

    Parameters
    ----------
    bins : polars.DataFrame
        The chromosome's bins.
    chrom, source, assembly : str
        See :func:`from_source`.
    sources : dict, optional
        The source's inputs: keyword arguments of :func:`from_source` (``fasta``, ``gtf``, ``table``,
        ``ensembl``, ``client_options``).
    contacts : path, optional
        A ``pos1 pos2 count`` contact list of the chromosome: adds ``compartment_e1`` and ``compartment``
        (:func:`chromapipe.compartments.compartments`, oriented by this table's GC content).
    tracks : sequence of chromapipe.tracks.Track
        One column each after the fixed columns (:func:`chromapipe.tracks.track_columns`).
    """
    import polars as pl

    from .. import __version__, tables

    frame, found = from_source(bins, chrom, source, assembly, **(sources or {}))
    meta = {"chromapipe_version": __version__, "chromosome": chrom, "source": source, "bins": bins.height, **found}
    frame = tables.conform("annotations", frame.select(pl.exclude("compartment_e1", "compartment")))
    if contacts:
        from ..compartments import compartments

        oriented = compartments(contacts, bins, frame["gc_content"].to_list(), chrom)
        frame = pl.concat([frame, oriented], how="horizontal")
        meta["compartments"] = {"contacts": os.path.basename(os.fspath(contacts)), "oriented_by": "gc_content"}
    if tracks:
        from ..tracks import track_columns

        columns, meta["tracks"] = track_columns(tracks, chrom, bins, assembly)
        frame = frame.with_columns(columns)
    return frame, meta
