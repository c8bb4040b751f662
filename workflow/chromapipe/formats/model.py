"""The in-memory structure every reader returns and every writer takes.

Conventions (one for every format):

* **chromosome**: the canonical human name of :mod:`chromapipe.chroms` (``"1"`` ...
  ``"22"``, ``"X"``, ``"Y"``, ``"MT"``) when the file's name is a human chromosome
  (``chr21``, ``21``); any other name (another species' contig, ``scaffold_7``) is
  kept verbatim.
* **haplotype**: ``None`` (haploid, unphased or unknown), ``"pat"`` or ``"mat"``.
  Dip-C writes ``(pat)``/``(mat)``; hickit's phase suffixes ``a``/``b`` and
  alabtools' copy letters ``A``/``B`` map to ``pat``/``mat`` as Dip-C's own
  hickit conversion does (phase 0 = ``pat``); for those two the label is the
  phase, not a verified parent of origin.
* **start**: the genomic bin start of the bead, **1-based**, the GSDB bin map's
  convention (``start`` of ``1 \\t 1 \\t 1 \\t 500000``). A format that writes
  0-based starts (Dip-C, hickit, nucle3d, N3D, nuc_dynamics PDB, Dip-C mmCIF,
  alabtools) is read as ``file value + 1``. ``None`` for a format without
  positions (the GSDB PDB, unless its bead map is given).
* **model**: 1-based model number (PDB ``MODEL n``, IHM ``model_id``, N3D column
  group); 1 for single-model formats.
* **coords**: float64 as written, except the PDB formats, which keep mdtraj's
  ``float32(value * 0.1)`` (the GSDB parity convention). Units are the format's
  own (:attr:`Structure.units`); nothing is rescaled between formats. Staging
  (:func:`chromapipe.stage.structure_frame`) holds every format's coordinates as
  float32, so one structure gives the same features in every format.

Beads are stored model-major: every model lists the same beads in the same
order (checked).
"""

import logging
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .. import chroms
from ..errors import InputError

log = logging.getLogger(__name__)

HAPLOTYPES = ("pat", "mat")
_HAPLOTYPE_ALIASES = {"pat": "pat", "mat": "mat", "a": "pat", "b": "mat", "A": "pat", "B": "mat"}


def chrom_name(raw):
    """Canonical human name of ``raw`` (``"chr21"`` -> ``"21"``), or ``raw`` itself for other names."""
    try:
        return chroms.canonical(raw)
    except InputError:
        return raw


def normalise_haplotype(raw, path=None, line=None):
    """``"pat"``/``"mat"`` for any accepted label (pat, mat, a, b, A, B); None stays None."""
    if raw is None:
        return None
    if raw in _HAPLOTYPE_ALIASES:
        return _HAPLOTYPE_ALIASES[raw]
    raise InputError(f"unknown haplotype {raw!r}: expected pat or mat (or hickit's a/b, alabtools' A/B)", path, line)


_PAREN = re.compile(r"^(.+)\(([^()]*)\)$")


def split_paren_haplotype(raw, path=None, line=None):
    """Split a Dip-C homolog name ``1(pat)`` into ``("1", "pat")``; a bare name is haploid."""
    if "(" not in raw and ")" not in raw:
        return chrom_name(raw), None
    match = _PAREN.match(raw)
    if not match or match.group(2) not in HAPLOTYPES:
        raise InputError(f"homolog {raw!r}: expected CHROMOSOME(pat) or CHROMOSOME(mat)", path, line)
    return chrom_name(match.group(1)), match.group(2)


def parse_float(raw, what, path, line):
    """A finite float, or an InputError naming the field."""
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{what} {raw!r} is not a number", path, line) from None
    if not np.isfinite(value):
        raise InputError(f"{what} {raw!r} is not finite", path, line)
    return value


def parse_int(raw, what, path, line, minimum=0):
    """An integer >= ``minimum`` (no sign tricks, no decimals), or an InputError naming the field."""
    text = raw.strip()
    if not text.isdigit() or not text.isascii():
        raise InputError(f"{what} {raw!r} is not a non-negative integer", path, line)
    value = int(text)
    if value < minimum:
        raise InputError(f"{what} {value} is below {minimum}", path, line)
    return value


def label(chrom, haplotype):
    """``"1"`` or ``"1(pat)"``: a homolog as messages name it."""
    return chrom if haplotype is None else f"{chrom}({haplotype})"


def off_grid(values):
    """A homolog's grid and the beads off it: ``(step, indices)``, the step the most common one between its
    (two or more) bead starts ``values``, counted from the first bead (the rule :meth:`BeadList.check_grid`
    enforces)."""
    step = Counter(np.diff(values).tolist()).most_common(1)[0][0]
    return step, np.flatnonzero((values - values[0]) % step)


def _error(message, path, where):
    """An InputError at a line number, or at a named place (``"row 3"``, ``"sphere 2"``) for CIF readers."""
    if isinstance(where, str):
        return InputError(f"{where}: {message}", path)
    return InputError(message, path, where)


def _at(where):
    return where if isinstance(where, str) else f"line {where}"


class BeadList:
    """Collects beads as a reader meets them and checks them with line numbers.

    Checks: no bead twice (same model, chromosome, haplotype and start); starts
    increase along a chromosome; every model lists the same beads in the same
    order; optionally every start on the chromosome's grid (the most common step
    between consecutive beads, counted from the first bead).
    """

    def __init__(self, path):
        self.path = path
        self.chrom, self.haplotype, self.start, self.model, self.coords, self.lines = [], [], [], [], [], []
        self._seen = {}
        self._last = {}

    def add(self, chrom, haplotype, start, model, xyz, line, shown=None):
        """Add a bead; ``shown`` is the position as the file writes it (for messages)."""
        if start is not None:
            key = (model, chrom, haplotype, start)
            shown = start if shown is None else shown
            if key in self._seen:
                raise _error(
                    f"duplicate bead: {label(chrom, haplotype)} at position {shown} already given on "
                    f"{_at(self._seen[key])}",
                    self.path,
                    line,
                )
            self._seen[key] = line
            chain = (model, chrom, haplotype)
            last = self._last.get(chain)
            if last is not None and start < last[0]:
                raise _error(
                    f"position {shown} of {label(chrom, haplotype)} comes after position {last[1]} ({_at(last[2])}): "
                    "positions must increase along a chromosome",
                    self.path,
                    line,
                )
            self._last[chain] = (start, shown, line)
        self.chrom.append(chrom)
        self.haplotype.append(haplotype)
        self.start.append(start)
        self.model.append(model)
        self.coords.append(xyz)
        self.lines.append(line)

    def __len__(self):
        return len(self.coords)

    def check_grid(self, offset=1):
        """Every bead on its chromosome's grid (see the class doc); ``offset`` turns starts back into file values."""
        starts = np.asarray(self.start, dtype=np.int64)
        groups = {}
        for i, key in enumerate(zip(self.model, self.chrom, self.haplotype)):
            groups.setdefault(key, []).append(i)
        for (_, chrom, hap), rows in groups.items():
            if len(rows) < 2:
                continue
            values = starts[rows]
            step, off = off_grid(values)
            if off.size:
                bad = rows[off[0]]
                raise _error(
                    f"position {starts[bad] - offset} of {label(chrom, hap)} is off the chromosome's {step} bp grid "
                    f"(the most common step between its beads, counted from position {values[0] - offset})",
                    self.path,
                    self.lines[bad],
                )

    def build(self, units, fmt, dtype=np.float64, has_positions=True):
        """The :class:`Structure`; every model must list model 1's beads in the same order."""
        if not self.coords:
            raise InputError("no beads: the file holds no coordinates", self.path)
        models = np.asarray(self.model, dtype=np.int64)
        ids = list(dict.fromkeys(self.model))
        if len(ids) > 1:
            first = np.flatnonzero(models == ids[0])
            keys = list(zip(self.chrom, self.haplotype, self.start))
            reference = [keys[i] for i in first]
            for model in ids[1:]:
                rows = np.flatnonzero(models == model)
                these = [keys[i] for i in rows]
                if these != reference:
                    k = next(
                        (k for k, (a, b) in enumerate(zip(these, reference)) if a != b), min(len(these), len(reference))
                    )
                    line = self.lines[rows[min(k, len(rows) - 1)]]
                    raise _error(
                        f"model {model} has {len(rows)} beads and model {ids[0]} {len(first)}, or lists them "
                        f"differently (bead {k + 1}): every model must hold the same beads in the same order",
                        self.path,
                        line,
                    )
        coords = np.asarray(self.coords, dtype=np.float64)
        if dtype == np.float32:
            coords = (coords * 0.1).astype(np.float32)
        return Structure(
            chrom=np.asarray(self.chrom, dtype=object),
            haplotype=np.asarray(self.haplotype, dtype=object),
            start=np.asarray(self.start, dtype=np.int64) if has_positions else None,
            model=models,
            coords=coords,
            units=units,
            format=fmt,
            path=self.path,
        )


@dataclass(frozen=True, eq=False)
class Structure:
    """Beads of one structure file, whatever its format.

    Attributes
    ----------
    chrom : numpy.ndarray
        ``(n,)`` object array of chromosome names (canonical human names, others verbatim).
    haplotype : numpy.ndarray
        ``(n,)`` object array: None, ``"pat"`` or ``"mat"``.
    start : numpy.ndarray or None
        ``(n,)`` int64 1-based bin starts, or None when the file has no positions.
    model : numpy.ndarray
        ``(n,)`` int64 1-based model numbers (model-major order).
    coords : numpy.ndarray
        ``(n, 3)`` coordinates in :attr:`units`.
    units : str
        The format's coordinate units, e.g. ``"nm"``, ``"bead radii"``, ``"model units"``.
    format : str
        The format's name (see ``chromapipe.formats.FORMATS``).
    path : str or None
        The file read, for messages.
    """

    chrom: np.ndarray
    haplotype: np.ndarray
    start: np.ndarray | None
    model: np.ndarray
    coords: np.ndarray
    units: str
    format: str
    path: str | None = None

    def __post_init__(self):
        n = self.coords.shape[0]
        if self.coords.ndim != 2 or self.coords.shape[1] != 3:
            raise InputError(f"coordinates must be an (n, 3) array, got shape {self.coords.shape}", self.path)
        lengths = {len(self.chrom), len(self.haplotype), len(self.model), n}
        if self.start is not None:
            lengths.add(len(self.start))
        if len(lengths) != 1:
            raise InputError("chrom, haplotype, start, model and coords must have one entry per bead", self.path)
        if n == 0:
            raise InputError("the structure has no beads", self.path)
        if not np.isfinite(self.coords).all():
            raise InputError("coordinates contain NaN or infinite values", self.path)
        if any(h is not None and h not in HAPLOTYPES for h in set(self.haplotype.tolist())):
            raise InputError(f"haplotypes must be None, 'pat' or 'mat', got {sorted(map(str, set(self.haplotype)))}")

    def __len__(self):
        return self.coords.shape[0]

    @property
    def model_ids(self):
        """Model numbers in file order."""
        return list(dict.fromkeys(self.model.tolist()))

    @property
    def n_beads(self):
        """Beads per model."""
        return int(np.count_nonzero(self.model == self.model[0]))

    @property
    def positions(self):
        """1-based bin starts of one model's beads (bead order), or None."""
        if self.start is None:
            return None
        return self.start[self.model == self.model[0]]

    @property
    def homologs(self):
        """``(chromosome, haplotype)`` pairs in file order."""
        first = self.model == self.model[0]
        return list(dict.fromkeys(zip(self.chrom[first].tolist(), self.haplotype[first].tolist())))

    def _subset(self, mask):
        return Structure(
            chrom=self.chrom[mask],
            haplotype=self.haplotype[mask],
            start=None if self.start is None else self.start[mask],
            model=self.model[mask],
            coords=self.coords[mask],
            units=self.units,
            format=self.format,
            path=self.path,
        )

    def models(self):
        """One single-model :class:`Structure` per model, in file order."""
        return [self._subset(self.model == m) for m in self.model_ids]

    def coords_by_model(self):
        """``(n_models, n_beads, 3)`` coordinates."""
        return self.coords.reshape(len(self.model_ids), self.n_beads, 3)

    def select(self, chrom, haplotype=None):
        """The beads of one chromosome (and homolog), every model.

        Parameters
        ----------
        chrom : str or int
            ``21``, ``"chr21"``, ``"X"``, or a non-human name as the file writes it.
        haplotype : {None, "pat", "mat", "a", "b"}
            Required when the chromosome has two homologs: they are never mixed.

        A file of one chain whose chromosome it does not name (a PDB whose residue names are not
        nuc_dynamics' ``C_1``, e.g. an ensemble of ``MODEL`` blocks of chain ``A``) is unambiguous:
        that chain is taken as ``chrom``, and the log says so.

        Raises
        ------
        InputError
            The chromosome (or homolog) is not in the structure, or it has two
            homologs and ``haplotype`` is None.
        """
        name = chrom_name(str(chrom))
        hap = normalise_haplotype(haplotype)
        present = [(c, h) for c, h in self.homologs if c == name]
        unnamed = {c for c, _ in self.homologs}
        if not present and len(unnamed) == 1 and str(next(iter(unnamed))).startswith("chain "):
            only = next(iter(unnamed))
            log.info("the structure has one chain (%s) and does not name its chromosome: taking it as chromosome %s",
                     only, name)  # fmt: skip
            present = [(c, h) for c, h in self.homologs]
            name = only
        if not present:
            have = ", ".join(label(c, h) for c, h in self.homologs)
            why = ""
            if any(str(c).startswith("chain ") for c, _ in self.homologs):
                why = (
                    "; nuc_dynamics' PDB keeps only the first three letters of a chromosome's name ('chr' for "
                    "chr1, chr2, ...), so the chromosome of each chain is unknown: export the structure from "
                    "names without 'chr' (1, 2, X) or as N3D (.n3d), which keeps the names"
                )
            raise InputError(f"chromosome {name} is not in the structure (it has: {have}){why}", self.path)
        haps = [h for _, h in present]
        if hap is None and len(haps) > 1:
            raise InputError(
                f"chromosome {name} has {len(haps)} homologs ({', '.join(map(str, haps))}): choose one with "
                "haplotype (--haplotype); homologs are never averaged",
                self.path,
            )
        if hap is not None and hap not in haps:
            raise InputError(f"chromosome {name} has no {hap} homolog (it has: {', '.join(map(str, haps))})", self.path)
        want = haps[0] if hap is None else hap
        mask = (self.chrom == name) & np.asarray([h == want for h in self.haplotype.tolist()])
        return self._subset(mask)

    def resolution(self):
        """The most common step (bp) between consecutive beads of a chromosome, or None."""
        if self.start is None:
            return None
        steps = Counter()
        first = self.model == self.model[0]
        start, chrom, hap = self.start[first], self.chrom[first], self.haplotype[first]
        same = (chrom[1:] == chrom[:-1]) & np.asarray([a == b for a, b in zip(hap[1:], hap[:-1])], dtype=bool)
        diffs = np.diff(start)[same]
        steps.update(diffs[diffs > 0].tolist())
        return steps.most_common(1)[0][0] if steps else None


def dist_nucleus_com(structure):
    """Distance of each bead to the centre of mass of its model's whole structure.

    The centre is the plain float64 mean of every bead of the model (all
    chromosomes and homologs, equal masses), as ``dist_com`` is for one
    chromosome. Meaningful when the file holds the whole genome.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64, aligned with ``structure``'s beads.
    """
    coords = structure.coords.astype(np.float64)
    out = np.empty(len(structure))
    for model in structure.model_ids:
        rows = structure.model == model
        centre = coords[rows].mean(axis=0)
        out[rows] = np.linalg.norm(coords[rows] - centre, axis=1)
    return out


def pair_with_bins(structure, bins):
    """Rows of ``bins`` (a chromosome's GSDB bins: 1-based ``start``) of one model's beads.

    Raises
    ------
    InputError
        The structure has no positions, or a bead's start is not a bin start,
        naming the first such bead.
    """
    positions = structure.positions
    if positions is None:
        raise InputError(
            f"the {structure.format} file has no bead positions: give a bead map (contacts or mapping3dmax)",
            structure.path,
        )
    from ..beadmap import match_starts

    starts = np.asarray(bins["start"].to_numpy(), dtype=np.int64)
    rows, off = match_starts(positions, starts)
    if off.size:
        i = off[0]
        first = structure.model == structure.model[0]
        chrom, hap = structure.chrom[first][i], structure.haplotype[first][i]
        raise InputError(
            f"{off.size} bead(s) are off the bin map's grid: bead {i + 1} of {label(chrom, hap)} starts at "
            f"{positions[i]} (1-based; {positions[i] - 1} 0-based), which is no bin start (bins start at "
            f"{', '.join(str(s) for s in starts[:3])}, ...): is it the same resolution and assembly?",
            structure.path,
        )
    return rows
