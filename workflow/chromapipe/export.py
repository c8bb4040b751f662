"""Annotated structures for molecular viewers: an mmCIF and ChimeraX attribute files per chromosome.

From a compiled table (:data:`chromapipe.tables.COMPILED`; an ensemble's mean coordinates):

* ``chr{N}.cif``: one atom per bead (atom ``C``, element C, residue ``BEA``), residue number = the bead
  number, one chain per homolog (:func:`chain_id`: ``chr21``, or ``chr21pat`` and ``chr21mat``), the
  compiled coordinates (the structure's units, unscaled), occupancy 1, and the column chosen by
  ``report.colour_by`` as the B-factor (``?`` where empty; ``compartment`` writes ``compartment_e1``).
  Consecutive beads of a chain are bonded (``struct_conn``, type ``covale``).
* ``chr{N}_attributes.zip`` of ``{column}.defattr``: one ChimeraX attribute assignment file per numeric column of
  the compiled table (https://www.cgl.ucsf.edu/chimerax/docs/user/formats/defattr.html): control lines
  ``attribute: {column}``, ``match mode: 1-to-1``, ``recipient: residues``, then one assignment line
  ``<tab>/{chain}:{bead}<tab>{value}`` per bead with a value (beads where the column is empty get none).
  One attribute per file: each file is then one ``open`` (and ``color byattribute``) away.

Text only (no mmCIF library): the step loads none (``tests/test_startup.py``).
"""

import re

import numpy as np

#: The atom, element and residue name of a bead.
ATOM, ELEMENT, RESIDUE = "C", "C", "BEA"
#: Numeric compiled columns not written as attributes: the bead number and the bin's bounds are its identity.
NOT_ATTRIBUTES = ("bead",)


def chain_id(chrom, haplotype=None):
    """The chain of a chromosome's homolog: ``chr21``, ``chr21pat`` (unique across chromosomes, so every
    chromosome's files can be opened together)."""
    return f"chr{chrom}{haplotype or ''}"


def attribute_name(column):
    """A ChimeraX attribute name for ``column``: letters, digits and underscores, not starting with a digit."""
    name = re.sub(r"\W", "_", column)
    return f"a_{name}" if not name or name[0].isdigit() else name


def bead_rows(table):
    """The rows of a compiled table with a bead, in chain order within each homolog (homologs in the table's order)."""
    import polars as pl

    rows = table.filter(pl.col("bead").is_not_null())
    if "haplotype" not in rows.columns or rows["haplotype"].is_null().all():
        return rows.sort("bead", maintain_order=True)
    order = {h: i for i, h in enumerate(rows["haplotype"].unique(maintain_order=True).to_list())}  # the table's
    homolog = pl.col("haplotype").replace_strict(order, return_dtype=pl.Int32)
    return rows.sort(homolog, "bead", maintain_order=True)


def bfactor_column(table, colour_by):
    """The compiled column written as the B-factor: ``colour_by``, or ``compartment_e1`` for ``compartment``.

    Raises
    ------
    InputError
        Not a column of the table, or not numeric.
    """
    from .errors import InputError

    name = "compartment_e1" if colour_by == "compartment" else colour_by
    if name not in table.columns:
        raise InputError(f"report.colour_by: '{name}' is not a column of the compiled table, so not a B-factor")
    if not table.schema[name].is_numeric():
        raise InputError(f"report.colour_by: '{name}' holds {table.schema[name]}, not numbers: no B-factor")
    return name


def numeric_columns(table):
    """Every numeric column of a compiled table but the bead's identity (:data:`NOT_ATTRIBUTES`), in order."""
    return [c for c, t in table.schema.items() if t.is_numeric() and c not in NOT_ATTRIBUTES]


def _repr_text(value, float32):
    """One value as :func:`_texts` writes it, the slow way (Python's ``repr``): for values written in exponent form."""
    return repr(float(str(np.float32(value)))) if float32 else repr(float(value))


def _texts(series):
    """A column's values as a String series, ``?`` where empty (null or NaN).

    Float32 values (the compiled table's) by their shortest float32 representation (``0.1234``, not
    ``0.12340000271797180``), other values as Python's ``repr`` writes them. Polars writes the same shortest
    digits for the whole column at once; the few values either writes with an exponent (Python below 1e-4 and
    from 1e16, Polars from 1e15) are written one by one.
    """
    import polars as pl

    texts = series.cast(pl.String)
    empty = series.is_null().to_numpy()
    if series.dtype.is_float():
        values = series.to_numpy()  # nulls become NaN
        empty |= np.isnan(values)
        size = np.abs(values)
        with np.errstate(invalid="ignore"):
            python = np.isfinite(values) & (values != 0) & ((size < 1e-4) | (size >= 1e16))
        exponent = np.flatnonzero(python | texts.str.contains("e", literal=True).fill_null(False).to_numpy())
        if exponent.size:
            float32 = series.dtype == pl.Float32
            texts = texts.scatter(exponent, [_repr_text(values[i], float32) for i in exponent.tolist()])
    if empty.any():
        texts = texts.scatter(np.flatnonzero(empty), "?")
    return texts


def _lines(columns, template):
    """One line per row as a String series: ``template`` (a :func:`str.format` string of positional fields)
    filled with ``columns`` (equal-length series), built by Polars column-wise."""
    import polars as pl

    parts = template.split("{}")
    exprs = []
    for i, part in enumerate(parts):
        if part:
            exprs.append(pl.lit(part))
        if i < len(columns):
            exprs.append(pl.lit(columns[i]))
    return pl.select(pl.concat_str(exprs)).to_series()


def _text(head, lines=None):
    """``head`` (a list of lines) and the ``lines`` series (optional) as one text, each line ended."""
    text = "\n".join(head) + "\n"
    return text + "\n".join(lines.to_list()) + "\n" if lines is not None and lines.len() else text


def _chains(rows, chrom):
    """The chain of every row (:func:`chain_id`) as a String series."""
    import polars as pl

    if "haplotype" in rows.columns:
        return rows.select(pl.lit(f"chr{chrom}") + pl.col("haplotype").cast(pl.String).fill_null("")).to_series()
    return pl.Series([chain_id(chrom)] * rows.height, dtype=pl.String)


def _beads(rows):
    import polars as pl

    return rows["bead"].cast(pl.String)


def mmcif(table, chrom, colour_by="dist_surface", name=None):
    """The mmCIF text of a compiled table's beads (see the module's description).

    Parameters
    ----------
    table : polars.DataFrame
        A compiled table (one chromosome, one or two homologs).
    chrom : str
        The chromosome (canonical: ``21``, ``X``).
    colour_by : str
        The column written as the B-factor (:func:`bfactor_column`).
    name : str, optional
        The data block's and entry's name (default ``chr{chrom}``).

    Returns
    -------
    str
    """
    import polars as pl

    rows = bead_rows(table)
    bcol = bfactor_column(rows, colour_by)
    name = re.sub(r"\s", "_", name or f"chr{chrom}")
    chains, beads = _chains(rows, chrom), _beads(rows)
    x, y, z = (_texts(rows[axis]) for axis in "xyz")
    lines = [f"data_{name}", "#", f"_entry.id {name}", "#", "_chem_comp.id BEA", "_chem_comp.type other",
             "_chem_comp.name 'chromatin bead'", "#", "loop_"]  # fmt: skip
    fields = ("group_PDB", "id", "type_symbol", "label_atom_id", "label_alt_id", "label_comp_id", "label_asym_id",
              "label_entity_id", "label_seq_id", "Cartn_x", "Cartn_y", "Cartn_z", "occupancy", "B_iso_or_equiv",
              "auth_seq_id", "auth_asym_id", "auth_atom_id", "auth_comp_id", "pdbx_PDB_model_num")  # fmt: skip
    lines += [f"_atom_site.{f}" for f in fields]
    entity = {c: str(i + 1) for i, c in enumerate(chains.unique(maintain_order=True).to_list())}
    ids = pl.int_range(1, rows.height + 1, eager=True).cast(pl.String)
    atoms = _lines([ids, chains, chains.replace_strict(entity), beads, x, y, z, _texts(rows[bcol]), beads, chains],
                   f"HETATM {{}} {ELEMENT} {ATOM} . {RESIDUE} {{}} {{}} {{}} {{}} {{}} {{}} 1 {{}} {{}} {{}} {ATOM} "
                   f"{RESIDUE} 1")  # fmt: skip
    text = _text(lines, atoms)
    bonded = np.flatnonzero((chains.head(-1) == chains.tail(-1)).to_numpy())  # consecutive beads of one chain
    if bonded.size:
        conn = ("id", "conn_type_id", "ptnr1_label_asym_id", "ptnr1_label_comp_id", "ptnr1_label_seq_id",
                "ptnr1_label_atom_id", "ptnr1_auth_asym_id", "ptnr1_auth_seq_id", "ptnr2_label_asym_id",
                "ptnr2_label_comp_id", "ptnr2_label_seq_id", "ptnr2_label_atom_id", "ptnr2_auth_asym_id",
                "ptnr2_auth_seq_id")  # fmt: skip
        chain, a, b = chains.gather(bonded), beads.gather(bonded), beads.gather(bonded + 1)
        ids = pl.int_range(1, bonded.size + 1, eager=True).cast(pl.String)
        bonds = _lines([ids, chain, a, chain, a, chain, b, chain, b],
                       f"covale{{}} covale {{}} {RESIDUE} {{}} {ATOM} {{}} {{}} {{}} {RESIDUE} {{}} {ATOM} {{}} {{}}")  # fmt: skip
        text += _text(["#", "loop_", *(f"_struct_conn.{f}" for f in conn)], bonds)
    return text + "#\n"


def defattr(table, chrom, column):
    """The ChimeraX attribute assignment file of one numeric column (see the module's description)."""
    rows = bead_rows(table)
    return _defattr(rows, _chains(rows, chrom), _beads(rows), chrom, column)


def _defattr(rows, chains, beads, chrom, column):
    """:func:`defattr` of rows in chain order, given their chains and bead numbers (String series)."""
    values = _texts(rows[column])
    kept = values != "?"  # an empty value assigns nothing
    head = [
        f"# {column} of chr{chrom}, one value per bead (residue): chromapipe's compiled table",
        f"attribute: {attribute_name(column)}",
        "match mode: 1-to-1",
        "recipient: residues",
    ]
    return _text(head, _lines([chains.filter(kept), beads.filter(kept), values.filter(kept)], "\t/{}:{}\t{}"))


def annotated(table, chrom, colour_by="dist_surface", name=None):
    """The mmCIF text and ``{column: defattr text}`` of every numeric column of a compiled table."""
    rows = bead_rows(table)
    chains, beads = _chains(rows, chrom), _beads(rows)
    attributes = {c: _defattr(rows, chains, beads, chrom, c) for c in numeric_columns(table)}
    return mmcif(table, chrom, colour_by, name), attributes
