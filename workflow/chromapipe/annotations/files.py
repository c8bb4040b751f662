"""Annotations from local reference files: an indexed FASTA and a GTF/GFF3.

The FASTA is read through pyfaidx (plain, or bgzip-compressed with its ``.gzi``
index); the gene models through polars. Chromosome names are matched either
way round (``21`` or ``chr21``).
"""

import gzip
import os

import polars as pl

from .. import chroms
from ..errors import InputError
from .table import annotation_frame, gc_stats, genes_per_bin

GTF_COLUMNS = ["seqname", "source", "feature", "start", "end", "score", "strand", "frame", "attribute"]


def open_fasta(path):
    """Open an indexed FASTA with pyfaidx, with clear errors for the usual problems."""
    import pyfaidx

    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError("FASTA: no such file", path)
    try:
        # the counts read either case (table.base_counts): not upper-casing the text saves a pass over it
        return pyfaidx.Fasta(path, rebuild=False)
    except pyfaidx.UnsupportedCompressionFormat:
        raise InputError(
            "FASTA is gzip-compressed but not with bgzip, so it cannot be indexed: "
            "recompress it with 'bgzip' (htslib) and index it with 'samtools faidx'",
            path,
        ) from None
    except (pyfaidx.FastaIndexingError, OSError, ValueError) as exc:
        raise InputError(f"FASTA cannot be indexed: {exc}", path) from None


def fasta_record(fasta, chrom, path):
    """The FASTA record of ``chrom`` under any of its names."""
    for name in chroms.candidates(chrom):
        if name in fasta.keys():
            return fasta[name]
    names = list(fasta.keys())
    raise InputError(
        f"chromosome {chroms.canonical(chrom)} is not in the FASTA (looked for "
        f"{' or '.join(chroms.candidates(chrom))}; it has {', '.join(names[:8])}"
        f"{', ...' if len(names) > 8 else ''})",
        path,
    )


def gc_per_bin(fasta_path, chrom, bins):
    """GC content and N fraction of every bin, from an indexed FASTA.

    Raises
    ------
    InputError
        The chromosome is missing, or a bin runs past its end (a different
        assembly than the bin map's).
    """
    fasta = open_fasta(fasta_path)
    try:
        record = fasta_record(fasta, chrom, fasta_path)
        length = len(record)
        gc, n_fraction = [], []
        for start, end in zip(bins["start"].to_list(), bins["end"].to_list()):
            if end > length:
                raise InputError(
                    f"bin {start}-{end} runs past the end of chromosome {chroms.canonical(chrom)} "
                    f"({length:,} bp): the FASTA is not the bin map's assembly",
                    os.fspath(fasta_path),
                )
            g, n = gc_stats(record[start - 1 : end].seq)
            gc.append(g)
            n_fraction.append(n)
        return gc, n_fraction
    finally:
        fasta.close()


def read_gtf(path):
    """Every row of a GTF or GFF3 file (gzip-compressed too), as a frame of its 9 columns.

    Raises
    ------
    InputError
        Unreadable file or rows without 9 tab-separated columns.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError("GTF: no such file", path)
    try:
        source = gzip.open(path, "rb").read() if path.endswith(".gz") else path
        table = pl.read_csv(
            source,
            separator="\t",
            has_header=False,
            comment_prefix="#",
            quote_char=None,
            new_columns=GTF_COLUMNS,
            schema_overrides={"seqname": pl.String, "feature": pl.String, "start": pl.Int64, "end": pl.Int64},
            truncate_ragged_lines=False,
        )
    except (OSError, gzip.BadGzipFile, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read GTF/GFF3 (expected 9 tab-separated columns): {first}", path) from None
    if table.width != len(GTF_COLUMNS):
        raise InputError(f"expected 9 tab-separated columns, found {table.width}", path)
    return table


def _attribute(names):
    """The first of the attributes ``names`` (GTF ``key "value"`` or GFF3 ``key=value``)."""
    patterns = [pl.col("attribute").str.extract(rf'(?:^|;)\s*{n}(?:\s+"|=)([^";]+)', 1) for n in names]
    return pl.coalesce(patterns)


def gene_table(gtf):
    """The genes of a GTF/GFF3 frame (:func:`read_gtf`): :data:`chromapipe.tables.GENES`, file order."""
    from ..tables import GENES

    genes = gtf.filter(pl.col("feature") == "gene").select(
        "seqname", "start", "end",
        _attribute(("gene_id", "ID")).alias("gene_id"),
        _attribute(("gene_biotype", "gene_type", "biotype")).alias("gene_biotype"),
    )  # fmt: skip
    return genes.select([pl.col(c).cast(t) for c, t in GENES.schema.items()])


def prepare_genes(gtf):
    """The per-gene table and the chromosome names the GTF/GFF3 has (any feature): parse it once."""
    frame = read_gtf(gtf)
    return gene_table(frame), frame["seqname"].unique(maintain_order=True).to_list()


def read_genes(path, chrom):
    """Start and end (1-based, inclusive) of the genes of ``chrom``.

    ``path`` is a GTF or GFF3 file (rows whose feature, column 3, is ``gene``
    count; gzip-compressed files are read as well) or the per-gene table
    ``prepare_genes`` wrote once (``.parquet``).

    Raises
    ------
    InputError
        Unreadable file, a row with too few columns, or a chromosome that does
        not occur in the file under any of its names.
    """
    from .. import tables

    path = os.fspath(path)
    if path.endswith(".parquet"):
        genes = tables.read("genes", path)
        present = tables.read_metadata(path).get("seqnames") or genes["seqname"].unique(maintain_order=True).to_list()
    else:
        genes, present = prepare_genes(path)
    names = chroms.candidates(chrom)
    if not any(name in present for name in names):
        raise InputError(
            f"chromosome {chroms.canonical(chrom)} does not occur in the GTF/GFF3 (looked for "
            f"{' or '.join(names)}; it has {', '.join(present[:8])}{', ...' if len(present) > 8 else ''})",
            path,
        )
    rows = genes.filter(pl.col("seqname").is_in(names))
    return rows["start"].to_numpy(), rows["end"].to_numpy()


def annotate_from_files(bins, chrom, fasta, gtf):
    """Annotation table of one chromosome from a FASTA and a GTF/GFF3.

    Parameters
    ----------
    bins : polars.DataFrame
        The chromosome's bins (``start``, ``end``; 1-based, inclusive).
    chrom : str
    fasta, gtf : str or os.PathLike

    Returns
    -------
    polars.DataFrame
        ``start, end, gc_content, n_fraction, gene_density``, one row per bin.
    """
    gene_starts, gene_ends = read_genes(gtf, chrom)
    gc, n_fraction = gc_per_bin(fasta, chrom, bins)
    density = genes_per_bin(gene_starts, gene_ends, bins["start"].to_numpy(), bins["end"].to_numpy())
    return annotation_frame(bins, gc, n_fraction, density)


def _is_bgzip(path):
    """True for a BGZF file (gzip with the 'BC' extra subfield): indexable as it is."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def bgzip_fasta(source, fasta, fai, gzi):
    """A reference FASTA (plain, gzip or bgzip) written to ``fasta`` as bgzip, with its ``.fai`` and ``.gzi``.

    The result is what every chromosome's annotation job reads (pyfaidx, random access); on any
    failure none of the three files is left.
    """
    import shutil

    from Bio import bgzf

    from ..io import write_files

    def write(tmp):
        if _is_bgzip(source):
            shutil.copyfile(source, tmp)
            return
        with open(source, "rb") as probe:
            packed = probe.read(2) == b"\x1f\x8b"
        with gzip.open(source, "rb") if packed else open(source, "rb") as src, bgzf.BgzfWriter(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)

    write_files({fasta: write})
    try:
        open_fasta(fasta).close()  # writes the .fai and .gzi beside it
        for index in (fai, gzi):
            if not os.path.exists(index):
                raise InputError(f"indexing wrote no {os.path.basename(index)}", fasta)
    except BaseException:
        for path in (fasta, fai, gzi):
            if os.path.exists(path):
                os.unlink(path)
        raise
