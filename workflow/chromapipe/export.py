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

import math
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


def _empty(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def _texts(series):
    """A column's values as text, ``?`` where empty: Float32 values (the compiled table's) by their shortest
    float32 representation (``0.1234``, not ``0.12340000271797180``), others as Python writes them."""
    import polars as pl

    values = series.to_list()
    if series.dtype == pl.Float32:
        return ["?" if _empty(v) else repr(float(str(np.float32(v)))) for v in values]
    return ["?" if _empty(v) else repr(v) for v in values]


def _chains(rows, chrom):
    haps = rows["haplotype"].to_list() if "haplotype" in rows.columns else [None] * rows.height
    return [chain_id(chrom, h) for h in haps]


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
    rows = bead_rows(table)
    bcol = bfactor_column(rows, colour_by)
    name = re.sub(r"\s", "_", name or f"chr{chrom}")
    chains = _chains(rows, chrom)
    beads = rows["bead"].to_list()
    x, y, z = (_texts(rows[axis]) for axis in "xyz")
    bvalues = _texts(rows[bcol])
    lines = [f"data_{name}", "#", f"_entry.id {name}", "#", "_chem_comp.id BEA", "_chem_comp.type other",
             "_chem_comp.name 'chromatin bead'", "#", "loop_"]  # fmt: skip
    fields = ("group_PDB", "id", "type_symbol", "label_atom_id", "label_alt_id", "label_comp_id", "label_asym_id",
              "label_entity_id", "label_seq_id", "Cartn_x", "Cartn_y", "Cartn_z", "occupancy", "B_iso_or_equiv",
              "auth_seq_id", "auth_asym_id", "auth_atom_id", "auth_comp_id", "pdbx_PDB_model_num")  # fmt: skip
    lines += [f"_atom_site.{f}" for f in fields]
    entity = {c: i + 1 for i, c in enumerate(dict.fromkeys(chains))}
    for i, (chain, bead, *xyz, b) in enumerate(zip(chains, beads, x, y, z, bvalues, strict=True)):
        lines.append(
            f"HETATM {i + 1} {ELEMENT} {ATOM} . {RESIDUE} {chain} {entity[chain]} {bead} {' '.join(xyz)} 1 {b} "
            f"{bead} {chain} {ATOM} {RESIDUE} 1"
        )
    bonds = [(chains[i], beads[i], beads[i + 1]) for i in range(len(beads) - 1) if chains[i] == chains[i + 1]]
    if bonds:
        lines += ["#", "loop_"]
        conn = ("id", "conn_type_id", "ptnr1_label_asym_id", "ptnr1_label_comp_id", "ptnr1_label_seq_id",
                "ptnr1_label_atom_id", "ptnr1_auth_asym_id", "ptnr1_auth_seq_id", "ptnr2_label_asym_id",
                "ptnr2_label_comp_id", "ptnr2_label_seq_id", "ptnr2_label_atom_id", "ptnr2_auth_asym_id",
                "ptnr2_auth_seq_id")  # fmt: skip
        lines += [f"_struct_conn.{f}" for f in conn]
        for k, (chain, a, b) in enumerate(bonds):
            lines.append(
                f"covale{k + 1} covale {chain} {RESIDUE} {a} {ATOM} {chain} {a} {chain} {RESIDUE} {b} {ATOM} {chain} {b}"
            )
    lines.append("#")
    return "\n".join(lines) + "\n"


def defattr(table, chrom, column):
    """The ChimeraX attribute assignment file of one numeric column (see the module's description)."""
    rows = bead_rows(table)
    chains = _chains(rows, chrom)
    values = _texts(rows[column])
    lines = [
        f"# {column} of chr{chrom}, one value per bead (residue): chromapipe's compiled table",
        f"attribute: {attribute_name(column)}",
        "match mode: 1-to-1",
        "recipient: residues",
    ]
    for chain, bead, value in zip(chains, rows["bead"].to_list(), values, strict=True):
        if value != "?":  # an empty value assigns nothing
            lines.append(f"\t/{chain}:{bead}\t{value}")
    return "\n".join(lines) + "\n"


def annotated(table, chrom, colour_by="dist_surface", name=None):
    """The mmCIF text and ``{column: defattr text}`` of every numeric column of a compiled table."""
    return mmcif(table, chrom, colour_by, name), {c: defattr(table, chrom, c) for c in numeric_columns(table)}
