"""Optimal rigid superposition (Kabsch) and the RMSD between structures on the same beads.

Definition, for two structures ``P`` and ``Q`` of the same ``n`` beads (``n >= 3``):

1. both are centred on their centroid (the mean of their beads);
2. ``H = Pc^T Qc`` (3 x 3) has the singular value decomposition ``H = U S V^T``; with
   ``d = sign(det(V U^T))`` (``+1`` where the determinant is 0), the rotation ``R = V diag(1, 1, d) U^T``
   turns ``Pc`` onto ``Qc`` with the least squared distance among proper rotations: a mirror image is
   never superposed by reflecting it (Kabsch 1976, Umeyama 1991);
3. ``rmsd = sqrt(sum |R p_i - q_i|^2 / n)``, computed as
   ``sqrt(max(0, |Pc|^2 + |Qc|^2 - 2 (s1 + s2 + d s3)) / n)`` from the singular values ``s1 >= s2 >= s3``;
4. ``rmsd_scaled``: the same after dividing each centred structure by its radius of gyration
   ``Rg = sqrt(|Pc|^2 / n)``, so that structures in different units (or of different sizes) compare by
   shape alone; it lies in ``[0, 2]``. Empty where either structure has ``Rg = 0``.

The structures' own ``rmsd`` is reported only where both are in the same units (else empty). With fewer
than :data:`MIN_BEADS` shared beads there is no superposition: both are empty, with a warning.
"""

import logging

import numpy as np
import polars as pl

log = logging.getLogger("chromapipe")

#: The fewest shared beads a superposition is computed on (three points fix a rotation).
MIN_BEADS = 3


def _centred(coords):
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim < 2 or coords.shape[-1] != 3:
        raise ValueError(f"coordinates must be (..., n, 3), got shape {coords.shape}")
    return coords - coords.mean(axis=-2, keepdims=True)


def _rmsd_from_cross(cross, squares_a, squares_b, n):
    """RMSD after the best proper rotation, from the cross-covariances ``(..., 3, 3)`` and the sums of squares."""
    u, s, vt = np.linalg.svd(cross)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    d = np.where(d == 0, 1.0, d)
    trace = s[..., 0] + s[..., 1] + d * s[..., 2]
    return np.sqrt(np.maximum(squares_a + squares_b - 2 * trace, 0.0) / n)


def kabsch(p, q):
    """The proper rotation superposing ``p`` onto ``q`` (both centred first) and the RMSD after it.

    Parameters
    ----------
    p, q : array_like
        ``(n, 3)`` coordinates of the same beads, in the same order.

    Returns
    -------
    tuple
        ``(rotation, rmsd)``: ``rotation`` (3 x 3, determinant +1) such that ``(p - p.mean(0)) @ rotation.T``
        lies closest to ``q - q.mean(0)``; ``rmsd`` as float.

    Raises
    ------
    ValueError
        Shapes differ, or fewer than :data:`MIN_BEADS` beads.
    """
    pc, qc = _centred(p), _centred(q)
    if pc.shape != qc.shape or pc.ndim != 2:
        raise ValueError(f"two (n, 3) structures of the same beads expected, got {pc.shape} and {qc.shape}")
    if pc.shape[0] < MIN_BEADS:
        raise ValueError(f"{pc.shape[0]} beads: a superposition needs at least {MIN_BEADS}")
    u, _, vt = np.linalg.svd(pc.T @ qc)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    rotation = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    rmsd = float(np.sqrt(((pc @ rotation.T - qc) ** 2).sum() / pc.shape[0]))
    return rotation, rmsd


def pairwise_rmsd(structures):
    """The RMSD of every pair of structures on the same beads, and the same scaled to unit radius of gyration.

    Vectorised over the pairs: the cross-covariance of every pair in one ``einsum``, one batched SVD.

    Parameters
    ----------
    structures : array_like
        ``(m, n, 3)``: ``m`` structures (an ensemble's models) of the same ``n`` beads.

    Returns
    -------
    tuple of numpy.ndarray
        ``(rmsd, rmsd_scaled)``, each ``(m, m)`` float64, symmetric with a zero diagonal (up to rounding);
        ``rmsd_scaled`` NaN where a structure has radius of gyration 0.

    Raises
    ------
    ValueError
        Not ``(m, n, 3)``, or fewer than :data:`MIN_BEADS` beads.
    """
    centred = _centred(structures)
    if centred.ndim != 3:
        raise ValueError(f"structures must be (m, n, 3), got shape {centred.shape}")
    m, n = centred.shape[:2]
    if n < MIN_BEADS:
        raise ValueError(f"{n} beads: a superposition needs at least {MIN_BEADS}")
    squares = np.einsum("anj,anj->a", centred, centred)
    cross = np.einsum("ani,bnj->abij", centred, centred)
    rmsd = _rmsd_from_cross(cross, squares[:, None], squares[None, :], n)
    rg = np.sqrt(squares / n)
    with np.errstate(divide="ignore"):
        scale = np.where(rg > 0, 1.0 / rg, 0.0)  # (0: a point-like structure, masked below)
    scaled = _rmsd_from_cross(cross * (scale[:, None] * scale[None, :])[..., None, None], n, n, n)
    np.fill_diagonal(rmsd, 0.0)
    np.fill_diagonal(scaled, 0.0)
    return rmsd, np.where((rg[:, None] > 0) & (rg[None, :] > 0), scaled, np.nan)


def pair_rmsd(p, q):
    """``(rmsd, rmsd_scaled)`` of two structures of the same beads (:func:`pairwise_rmsd` of the two)."""
    rmsd, scaled = pairwise_rmsd(np.stack([np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)]))
    return float(rmsd[0, 1]), float(scaled[0, 1])


def _value(x):
    return None if x is None or not np.isfinite(x) else float(x)


def model_rmsd(physical, chrom):
    """Every pair of models of an ensemble (each homolog apart): :data:`chromapipe.tables.MODEL_RMSD` rows.

    Parameters
    ----------
    physical : polars.DataFrame
        A physical table (:data:`chromapipe.tables.PHYSICAL`): beads in chain order per model and homolog.
    chrom : str
        Written in the ``chr`` column.

    Returns
    -------
    polars.DataFrame
        One row per homolog and pair of models ``model_a < model_b``; none for a single model.

    Raises
    ------
    InputError
        The models of a homolog have different bead counts.
    """
    from .errors import InputError
    from .tables import MODEL_RMSD

    rows = []
    haplotypes = (
        physical["haplotype"].unique(maintain_order=True).to_list() if "haplotype" in physical.columns else [None]
    )
    for hap in haplotypes:
        part = physical if hap is None else physical.filter(pl.col("haplotype").eq_missing(hap))
        models = part["model"].unique(maintain_order=True).to_list() if "model" in part.columns else [1]
        if len(models) < 2:
            continue
        coords = [part.filter(pl.col("model") == m).select("x", "y", "z").to_numpy() for m in models]
        if len({c.shape[0] for c in coords}) > 1:
            raise InputError(f"chr{chrom}: the ensemble's models have different bead counts, no RMSD between them")
        n = coords[0].shape[0]
        if n < MIN_BEADS:
            log.warning("chr%s: %d beads per model, fewer than %d: no RMSD between models", chrom, n, MIN_BEADS)
            rmsd = scaled = np.full((len(models), len(models)), np.nan)
        else:
            rmsd, scaled = pairwise_rmsd(np.stack(coords))
        for i, a in enumerate(models):
            for j in range(i + 1, len(models)):
                rows.append((str(chrom), hap, int(a), int(models[j]), n, _value(rmsd[i, j]), _value(scaled[i, j])))
    return pl.DataFrame(rows, schema=MODEL_RMSD.schema, orient="row")


def dataset_rmsd(coordinates, units):
    """Every pair of datasets (a diploid one once per homolog) on the bins both have a bead on, per chromosome.

    Parameters
    ----------
    coordinates : dict
        ``entry -> frame`` with ``chr``, ``start``, ``x``, ``y``, ``z``: one structure per chromosome of each
        entry (:func:`chromapipe.stats.comparison_entries`' names), a bead per row.
    units : dict
        ``entry -> units`` (the compiled tables' ``units``): ``rmsd`` only between entries of the same units.

    Returns
    -------
    polars.DataFrame
        :data:`chromapipe.tables.RMSD`: per chromosome (in the first entry's order, then any other's) and
        pair of entries ``a`` before ``b`` in ``coordinates``' order.
    """
    from .tables import RMSD

    names = list(coordinates)
    chromosomes = list(dict.fromkeys(c for name in names for c in coordinates[name]["chr"].to_list()))
    rows = []
    for chrom in chromosomes:
        parts = {name: _by_start(coordinates[name].filter(pl.col("chr") == chrom), name, chrom) for name in names}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                (starts_a, beads_a), (starts_b, beads_b) = parts[a], parts[b]
                if not starts_a.size or not starts_b.size:
                    continue  # the chromosome is not in both
                # the bins both have a bead on, by start: an inner join on start, sorted
                _, in_a, in_b = np.intersect1d(starts_a, starts_b, assume_unique=True, return_indices=True)
                n = in_a.size
                if n < MIN_BEADS:
                    log.warning("chr%s: %s and %s share %d bins with a bead, fewer than %d: no RMSD", chrom, a, b, n,
                                MIN_BEADS)  # fmt: skip
                    rows.append((chrom, a, b, n, None, None))
                    continue
                # column-major, as Polars gives a frame's columns: the sums run in the same order, the same bits
                rmsd, scaled = pair_rmsd(np.asfortranarray(beads_a[in_a]), np.asfortranarray(beads_b[in_b]))
                same = units.get(a) == units.get(b)
                rows.append((chrom, a, b, n, _value(rmsd) if same else None, _value(scaled)))
    return pl.DataFrame(rows, schema=RMSD.schema, orient="row")


def _by_start(beads, name, chrom):
    """``(starts, coordinates)`` of one entry's beads on a chromosome, sorted by start (one bead per bin).

    Raises
    ------
    InputError
        Two beads on one bin.
    """
    from .errors import InputError

    beads = beads.sort("start")
    starts = beads["start"].to_numpy()
    if starts.size and np.any(starts[1:] == starts[:-1]):
        raise InputError(f"dataset RMSD: {name} has more than one bead on a bin of chr{chrom}")
    return starts, beads.select("x", "y", "z").to_numpy()


def models_rmsd(chromosomes, physical):
    """:func:`model_rmsd` of each chromosome's physical table, one table (:data:`chromapipe.tables.MODEL_RMSD`)."""
    from .tables import MODEL_RMSD

    parts = [model_rmsd(frame, chrom) for chrom, frame in zip(chromosomes, physical, strict=True)]
    return pl.concat(parts) if parts else pl.DataFrame(schema=MODEL_RMSD.schema)


def sheet_rmsd(compiled, physical, units):
    """:func:`dataset_rmsd` of a datasets sheet's structures.

    Parameters
    ----------
    compiled, physical : dict
        ``dataset -> [table, ...]``: each dataset's compiled and physical tables, one per chromosome, in the same
        order.
    units : dict
        ``dataset -> units`` of its structures.

    Returns
    -------
    polars.DataFrame
        :data:`chromapipe.tables.RMSD`; a diploid dataset enters once per homolog (``"name (pat)"``), an
        ensemble with its model 1.
    """
    from .compile import bead_coordinates

    coordinates, entry_units = {}, {}
    for name, frames in compiled.items():
        parts = []
        for table, phys in zip(frames, physical[name], strict=True):
            chrom = str(table["chr"].drop_nulls()[0]) if table["chr"].drop_nulls().len() else None
            beads = bead_coordinates(table, phys).filter(pl.col("model") == pl.col("model").min())
            parts.append(beads.with_columns(pl.lit(chrom, pl.String).alias("chr")))
        beads = pl.concat(parts) if parts else None
        haplotypes = [] if beads is None else beads["haplotype"].unique(maintain_order=True).to_list()
        if len(haplotypes) > 1:
            for hap in haplotypes:
                coordinates[f"{name} ({hap})"] = beads.filter(pl.col("haplotype").eq_missing(hap))
                entry_units[f"{name} ({hap})"] = units.get(name)
        elif beads is not None:
            coordinates[name], entry_units[name] = beads, units.get(name)
    return dataset_rmsd(coordinates, entry_units)
