"""Agreement of a structure with the Hi-C contacts it was built from.

Definition, per chromosome and structure (each model of an ensemble, each homolog of a diploid file apart;
the contact list ``pos1 pos2 count`` is unphased, so both homologs are held against the same list):

1. the contact list's rows with ``count > 0`` are put on the chromosome's bins (positions are bin starts,
   :func:`chromapipe.compartments.contact_pixels`), repeated pairs summed, each pair once (``bin1 <= bin2``);
   pairs of a bin with itself (``i = j``) are dropped;
2. the pairs where both bins have a bead of the structure, and the beads do not coincide (distance > 0),
   are the structure's ``pairs``; ``d`` is the Euclidean distance between the two beads (in the
   structure's units; the physical table's coordinates, not rounded);
3. ``rho``: Spearman's rho of ``d`` and ``count`` over those pairs (average ranks for ties,
   :func:`chromapipe.stats.spearman`): negative for a structure that puts frequent contacts close;
   ``pearson``: Pearson's r of ``count`` and ``1 / d``: positive for one. Both are empty with fewer than
   3 pairs or a constant column.

The summary's ``contact_distance_rho`` and ``contact_distance_pearson`` are the medians over the
chromosome's structures (a single structure: its own values), ``contact_pairs`` the fewest pairs of any of
them. Without a contact list (bead_map.source positions or sequential and compartments off) all three are
empty: nothing is invented.
"""

import numpy as np
import polars as pl

from .stats import spearman


def contact_pairs(pos1, pos2, count, bins, path="contact list"):
    """The contact list's pairs of distinct bins: ``start1 < start2`` (the bins' starts) and the summed ``count``.

    Parameters
    ----------
    pos1, pos2, count : numpy.ndarray
        :func:`chromapipe.compartments.read_contacts`.
    bins : polars.DataFrame
        The chromosome's bins (``start``, ``end``), in order.

    Returns
    -------
    tuple of numpy.ndarray
        ``start1``, ``start2`` (int64) and ``count`` (float64), sorted by bin.

    Raises
    ------
    InputError
        As :func:`chromapipe.compartments.contact_pixels`.
    """
    from .compartments import contact_pixels

    pixels = contact_pixels(pos1, pos2, count, bins, path).filter(pl.col("bin1_id") != pl.col("bin2_id"))
    starts = bins["start"].to_numpy().astype(np.int64)
    return starts[pixels["bin1_id"].to_numpy()], starts[pixels["bin2_id"].to_numpy()], pixels["count"].to_numpy()


def pair_distances(starts, coords, start1, start2):
    """Distances between the beads on the bins ``start1`` and ``start2`` of one structure.

    Parameters
    ----------
    starts : numpy.ndarray
        The bin start of each bead of the structure.
    coords : numpy.ndarray
        ``(n, 3)`` the beads' coordinates, in the order of ``starts``.
    start1, start2 : numpy.ndarray
        The pairs' bins.

    Returns
    -------
    tuple of numpy.ndarray
        ``(kept, distance)``: the pairs both of whose bins have a bead (boolean, per pair) and their
        distances (float64, one per kept pair).
    """
    order = np.argsort(starts, kind="stable")
    ordered = np.asarray(starts)[order]
    found = []
    for wanted in (start1, start2):
        at = np.minimum(np.searchsorted(ordered, wanted), max(ordered.size - 1, 0))
        found.append((at, ordered[at] == wanted if ordered.size else np.zeros(wanted.size, dtype=bool)))
    kept = found[0][1] & found[1][1]
    xyz = np.asarray(coords, dtype=np.float64)[order]
    diff = xyz[found[0][0][kept]] - xyz[found[1][0][kept]]
    return kept, np.sqrt(np.einsum("ij,ij->i", diff, diff))


def pearson(a, b):
    """Pearson's r of two float arrays; NaN with fewer than 3 values or a constant one."""
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def structure_agreement(starts, coords, start1, start2, count):
    """``(pairs, rho, pearson)`` of one structure against the contact pairs (see the module's definition)."""
    kept, distance = pair_distances(starts, coords, start1, start2)
    counts = np.asarray(count, dtype=np.float64)[kept]
    positive = distance > 0
    distance, counts = distance[positive], counts[positive]
    if distance.size < 3:
        return int(distance.size), float("nan"), float("nan")
    return int(distance.size), spearman(distance, counts), pearson(counts, 1.0 / distance)


def agreement(beads, start1, start2, count):
    """Each structure's agreement with the contact pairs.

    Parameters
    ----------
    beads : polars.DataFrame
        ``haplotype``, ``model``, ``start``, ``x``, ``y``, ``z``: every bead with a bin of the chromosome
        (:func:`chromapipe.compile.bead_coordinates`).
    start1, start2, count : numpy.ndarray
        :func:`contact_pairs`.

    Returns
    -------
    polars.DataFrame
        ``haplotype``, ``model``, ``pairs``, ``rho``, ``pearson``: one row per structure, in the table's order.
    """
    rows = []
    for (hap, model), part in beads.group_by(["haplotype", "model"], maintain_order=True):
        pairs, rho, r = structure_agreement(part["start"].to_numpy(), part.select("x", "y", "z").to_numpy(),
                                            start1, start2, count)  # fmt: skip
        rows.append((hap, model, pairs, rho, r))
    schema = {"haplotype": pl.String, "model": pl.Int32, "pairs": pl.Int64, "rho": pl.Float64, "pearson": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def summary_values(per_structure):
    """The summary's ``contact_pairs``, ``contact_distance_rho``, ``contact_distance_pearson`` of a chromosome:
    the fewest pairs, the median rho and Pearson over its structures (each None where undefined)."""
    if per_structure is None or per_structure.is_empty():
        return {"contact_pairs": None, "contact_distance_rho": None, "contact_distance_pearson": None}

    def median(column):
        values = per_structure[column].to_numpy()
        values = values[np.isfinite(values)]
        return float(np.median(values)) if values.size else None

    return {
        "contact_pairs": int(per_structure["pairs"].min()),
        "contact_distance_rho": median("rho"),
        "contact_distance_pearson": median("pearson"),
    }


def staged_pairs(contacts, bins, path="contact list"):
    """:func:`contact_pairs` of a contact list, or the pairs of its staged table (:data:`chromapipe.tables.CONTACTS`)."""
    from . import tables

    if isinstance(contacts, pl.DataFrame):
        tables.check("contacts", contacts, path)
        return tuple(contacts[c].to_numpy() for c in ("start1", "start2", "count"))
    return contact_pairs(*contacts, bins, path)


def pairs_frame(start1, start2, count):
    """The staged contacts table (:data:`chromapipe.tables.CONTACTS`) of :func:`contact_pairs`."""
    return pl.DataFrame({"start1": start1, "start2": start2, "count": count},
                        schema={"start1": pl.Int64, "start2": pl.Int64, "count": pl.Float64})  # fmt: skip


def chromosome_agreement(beads, contacts, bins, path="contact list"):
    """A chromosome's summary values (:func:`summary_values`) and the first structure's pairs for the figure.

    Parameters
    ----------
    beads : polars.DataFrame
        :func:`chromapipe.compile.bead_coordinates`.
    contacts : tuple of numpy.ndarray or polars.DataFrame
        ``pos1, pos2, count`` of the contact list (:func:`chromapipe.compartments.read_contacts`), or its
        staged pairs (:data:`chromapipe.tables.CONTACTS`).
    bins : polars.DataFrame
        The chromosome's bins.

    Returns
    -------
    tuple
        ``(values, (distance, count))``: the summary's three values, and the first structure's pairs'
        distances and counts (the figure's points).
    """
    start1, start2, count = staged_pairs(contacts, bins, path)
    values = summary_values(agreement(beads, start1, start2, count))
    first = beads.filter((pl.col("model") == beads["model"][0]) & pl.col("haplotype").eq_missing(beads["haplotype"][0]))
    kept, distance = pair_distances(first["start"].to_numpy(), first.select("x", "y", "z").to_numpy(), start1, start2)
    counts = count[kept]
    return values, (distance[distance > 0], counts[distance > 0])


def summary_agreement(chromosomes, compiled, physical, contacts):
    """Every chromosome's agreement values and figure points, for the summary.

    Parameters
    ----------
    chromosomes : sequence of str
    compiled, physical : sequence of polars.DataFrame
        Each chromosome's compiled and physical tables (``physical`` may be empty when ``contacts`` is).
    contacts : sequence of str or None
        Each chromosome's staged contacts table (``.parquet``, :data:`chromapipe.tables.CONTACTS`) or contact
        list file; empty (or None items): no contact list, empty values.

    Returns
    -------
    tuple
        ``(values, scatters)``: per chromosome :func:`summary_values`' dict and
        ``(chrom, distance, count, rho)`` for :func:`chromapipe.report.plot_contact_distance`.

    Raises
    ------
    InputError
        Contact lists without the physical tables, lists of different lengths, or an unreadable list.
    """
    from . import tables
    from .compartments import read_contacts
    from .compile import bead_coordinates
    from .errors import InputError
    from .stats import NO_AGREEMENT, bins_once

    contacts = list(contacts or [None] * len(chromosomes))
    if len(contacts) != len(chromosomes) or (any(contacts) and len(physical) != len(chromosomes)):
        raise InputError(f"contact agreement: {len(chromosomes)} chromosomes, {len(contacts)} contact lists, "
                         f"{len(physical)} physical tables")  # fmt: skip
    values, scatters = [], []
    for index, (chrom, path) in enumerate(zip(chromosomes, contacts)):
        if not path:
            values.append(dict(NO_AGREEMENT))
            scatters.append((chrom, None, None, None))
            continue
        table = compiled[index]
        beads = bead_coordinates(table, physical[index])
        bins = bins_once(table).select("start", "end")
        staged = str(path).endswith(".parquet")
        pairs = tables.read("contacts", path) if staged else read_contacts(path)
        result, (distance, count) = chromosome_agreement(beads, pairs, bins, path)
        values.append(result)
        scatters.append((chrom, distance, count, result["contact_distance_rho"]))
    return values, scatters
