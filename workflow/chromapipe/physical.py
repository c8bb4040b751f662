"""Physical features of a chromosome structure.

Implements the reference definition of the Nextflow pipeline's
``compute_physical`` (``shared/spec/physical-features.md``), vectorised:

* ``dist_com``: distance of each bead to the centre of mass (plain mean);
* ``dist_rolling_mean``: distance to the nearest point of a backbone smoothed
  over windows of 50 beads;
* ``dist_surface``: distance to the nearest point of a voxel "chromosome
  surface accessible area" built from spheres sampled around every bead.

Precision follows the original exactly: bead coordinates are float32, the sphere
offsets float64, and every voxel index is ``floor(float64 point / bin size)``
computed in the same order of operations, so surface points are reproduced to
the last bit or so (see ``tests/test_parity.py``).
"""

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _scipy
from .errors import InputError

#: Beads per window of the rolling-mean backbone.
WINDOW = 50
#: Voxels per axis of the surface grid.
BINS = 50
#: Sphere radius as a multiple of the longest bond.
RADIUS_FACTOR = 1.45
#: Shift as a multiple of |smallest sampled coordinate|.
SHIFT_FACTOR = 1.25
#: Padding of the grid's edge, as a fraction of the largest extent of the sampled points (see _edge).
EDGE_PADDING = 0.1
#: Sampling of each filled sphere: radii, polar angles, azimuths.
N_RADII = int(15 / 2)
N_PHI = 15
N_THETA = 15

SURFACE_MODES = ("all", "exterior")
GRID_MODES = ("auto", "original", "fitted")
#: ``auto`` keeps the original grid where it keeps at least this share of the sampled points (GSDB's
#: structures, which sit around the origin: chr1 keeps 99.96 %), else it takes the fitted grid.
AUTO_KEEP = 0.99

# Beads per block in the voxel fill: bounds memory (block x ~1,300 offsets x 3
# float64, about 1 MB) whatever the chain length, and keeps a block in cache.
_BLOCK = 32


@dataclass
class Surface:
    """The voxel surface of a structure.

    Attributes
    ----------
    points : numpy.ndarray
        ``(m, 3)`` float64 surface points in model units, lexicographic voxel order.
    bin_size : float
        Voxel edge in model units.
    origin : numpy.ndarray
        Coordinates (model units) of the corner of voxel (0, 0, 0): ``-shift`` on every
        axis for the original grid.
    radius : float
        Radius of the sampled spheres (model units).
    n_samples : int
        Sampled points (beads x 1575).
    n_dropped : int
        Sampled points that fell outside the grid and were dropped.
    n_filled : int
        Filled voxels.
    n_enclosed : int
        Surface voxels of the ``all`` definition that face only enclosed empty
        space (removed in ``exterior`` mode, counted in both).
    mode, grid : str
        The settings used: ``grid`` is the grid built (``original`` or ``fitted``, also when ``auto`` chose it).
    choice : str
        Why ``auto`` chose ``grid`` (empty when a grid was asked for).
    original_kept : float or None
        ``auto``: the share of the sampled points the original grid keeps (None when a grid was asked for).
    """

    points: np.ndarray
    bin_size: float
    origin: np.ndarray
    radius: float
    n_samples: int
    n_dropped: int
    n_filled: int
    n_enclosed: int
    mode: str = "all"
    grid: str = "original"
    choice: str = ""
    original_kept: float | None = None

    @property
    def kept(self):
        """The share of the sampled points inside the grid."""
        return 1.0 - self.n_dropped / self.n_samples if self.n_samples else 0.0


def check_coords(coords):
    """Validate bead coordinates and return them as C-ordered float32 ``(n, 3)``.

    C order matters: numpy's float32 sums (the backbone's window means) add in
    an order that depends on the memory layout, and the reference was computed
    on C-ordered coordinates.

    Raises
    ------
    InputError
        Not an ``(n, 3)`` array of finite numbers.
    """
    coords = np.asarray(coords)
    if coords.ndim != 2 or coords.shape[1] != 3:
        raise InputError(f"bead coordinates must be an (n, 3) array, got shape {coords.shape}")
    if coords.shape[0] == 0:
        raise InputError("the structure has no beads")
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        raise InputError("bead coordinates contain NaN or infinite values")
    return coords


def sphere_radius(coords):
    """Radius of the sampled spheres: 1.45 x the longest bond (model units).

    Bonds are measured in float64 from the float32 bead coordinates, as the
    original does.

    Raises
    ------
    InputError
        Fewer than two beads, or every bond of length zero (all beads at one
        point): there is no radius to sample with.
    """
    coords = check_coords(coords)
    if coords.shape[0] < 2:
        raise InputError(
            f"the structure has {coords.shape[0]} bead: the surface needs at least two beads "
            "(its sphere radius is 1.45 x the longest bond)"
        )
    bonds = np.linalg.norm(np.diff(coords.astype(np.float64), axis=0), axis=1)
    longest = bonds.max()
    if not longest > 0:
        raise InputError(
            "every bond has length zero (all beads at the same point): the surface sphere radius "
            "(1.45 x the longest bond) would be zero"
        )
    return RADIUS_FACTOR * longest


def sphere_offsets(radius):
    """Offsets of the points sampled in a filled sphere, as the original samples them.

    7 radii from 0 to ``radius`` inclusive, 15 polar angles from 0 to pi
    inclusive, 15 azimuths from 0 to 2 pi exclusive: 1575 float64 offsets
    ``rad * (sin phi cos theta, sin phi sin theta, cos phi)``, duplicates kept.

    Parameters
    ----------
    radius : float

    Returns
    -------
    numpy.ndarray
        ``(1575, 3)`` float64, radius-major, then phi, then theta.
    """
    rad = np.linspace(0, radius, N_RADII)
    phi = np.linspace(0, np.pi, N_PHI)
    theta = np.linspace(0, 2 * np.pi, N_THETA, endpoint=False)
    r, p, t = np.meshgrid(rad, phi, theta, indexing="ij")
    offsets = np.stack(
        [r * np.sin(p) * np.cos(t), r * np.sin(p) * np.sin(t), r * np.cos(p)],
        axis=-1,
    )
    return offsets.reshape(-1, 3)


def _distinct(offsets):
    """Distinct offsets and how often each occurs.

    Equal offsets give equal points, so each distinct offset is sampled once
    (the 225 points at rad = 0 and the poles' repeats): ~20 % less work, same
    voxels. ``+ 0.0`` folds -0.0 into 0.0 (bead + -0.0 == bead + 0.0).
    """
    return np.unique(offsets + 0.0, axis=0, return_counts=True)


def _sample_bounds(beads, offsets):
    """Per-axis min and max of every sampled point ``bead + offset`` (float64).

    Rounding is monotone, so min over (i, j) of fl(b_i + o_j) is
    fl(min b + min o): the bounds need no materialised sample.
    """
    lo = beads.min(axis=0) + offsets.min(axis=0)
    hi = beads.max(axis=0) + offsets.max(axis=0)
    return lo, hi


def _fill(beads, offsets, weights, origin_shift, bin_size, hi):
    """Boolean voxel grid of the sampled points.

    Voxel index = floor((bead + offset + shift) / bin_size), float64, in
    exactly this order of operations. Indices are never negative (the shift,
    or the fitted origin, puts every point at or above 0); points with an
    index of ``BINS`` or more on any axis are dropped. Returns
    ``(grid, n_dropped)``: ``grid`` has shape ``(BINS + 2,) * 3`` with voxel
    (i, j, k) at ``grid[i + 1, j + 1, k + 1]`` (an empty layer all round), and
    ``n_dropped`` counts dropped points, each offset ``weights`` times.
    """
    side = BINS + 1  # one extra layer per axis collects the dropped points
    grid = np.zeros(side**3, dtype=bool)
    strides = np.array([side * side, side, 1], dtype=np.float64)
    # can any point reach index BINS? (``hi``, the exact upper bound of the sampled points, tells)
    may_drop = bool((np.floor((hi + origin_shift) / bin_size) >= BINS).any())
    dropped = 0
    if may_drop:
        # flat indices of the extra layers, where dropped points land
        off_grid = np.zeros((side,) * 3, dtype=bool)
        off_grid[BINS, :, :] = off_grid[:, BINS, :] = off_grid[:, :, BINS] = True
        off_grid = off_grid.ravel()
    # axis by axis, each a (beads, offsets) array: long inner loops (an (..., 3) layout's loops of 3 cost several
    # times more per point), the same operations on each coordinate in the same order
    columns = np.ascontiguousarray(offsets.T)
    origin_shift = np.broadcast_to(np.asarray(origin_shift, dtype=np.float64), (3,))  # one shift, or one per axis
    buffer = np.empty((3, _BLOCK, offsets.shape[0]))
    for start in range(0, beads.shape[0], _BLOCK):
        block = beads[start : start + _BLOCK]
        pts = buffer[:, : block.shape[0]]
        for axis in range(3):
            coordinate = pts[axis]
            np.add(block[:, axis, None], columns[axis], out=coordinate)
            coordinate += origin_shift[axis]
            coordinate /= bin_size
            np.floor(coordinate, out=coordinate)
            if may_drop:
                np.minimum(coordinate, BINS, out=coordinate)
        # flat index computed on the (small, integral, exact) float indices
        flat = pts[0] * strides[0]
        flat += pts[1] * strides[1]
        flat += pts[2]
        flat = flat.astype(np.intp)
        grid[flat.ravel()] = True
        if may_drop:
            dropped += int(off_grid[flat].sum(axis=0) @ weights)
    grid = grid.reshape((side,) * 3)
    padded = np.zeros((BINS + 2,) * 3, dtype=bool)
    padded[1:-1, 1:-1, 1:-1] = grid[:BINS, :BINS, :BINS]
    return padded, dropped


def _box_sum(grid):
    """The sum of each voxel's 3x3x3 box (itself and its 26 neighbours; zero outside the grid), one axis at a time."""
    total = grid.astype(np.uint8)
    for axis in range(3):
        shifted = np.zeros_like(total)
        front, back = [slice(None)] * 3, [slice(None)] * 3
        front[axis], back[axis] = slice(1, None), slice(None, -1)
        shifted[tuple(back)] += total[tuple(front)]  # the neighbour after
        shifted[tuple(front)] += total[tuple(back)]  # the neighbour before
        total = total + shifted
    return total


def _surface_voxels(filled):
    """Filled voxels with fewer than 26 filled neighbours (26-neighbourhood)."""
    # the box counts the voxel itself: 27 means all 26 neighbours filled
    return filled & (_box_sum(filled) < 27)


def _dilated(grid):
    """The voxels whose 3x3x3 box holds a voxel of ``grid`` (its dilation by the cube; nothing outside the grid)."""
    return _box_sum(grid) > 0


#: Rounds of run propagation :func:`_exterior_empty` tries before labelling the grid with scipy.ndimage.
ROUNDS = 16


def _run_ids(filled, axis):
    """A number for each straight run of voxels along ``axis`` between filled ones, the same for a run's voxels.

    Along a line, an empty voxel's run is the count of filled voxels before it (a cumulative sum); the line's
    position across the axis makes the number unique in the grid.
    """
    walls = np.cumsum(filled, axis=axis, dtype=np.int64)
    side = filled.shape[axis] + 1
    lines = np.arange(filled.size // filled.shape[axis]).reshape([1 if a == axis else n for a, n in
                                                                  enumerate(filled.shape)])  # fmt: skip
    return walls + side * lines, side * lines.size


def _exterior_empty(filled):
    """Empty voxels connected (face-adjacent, 6-connectivity) to the outside of the grid.

    From the padding layer's corner (empty, connected to the whole layer), the reached voxels spread along
    straight runs of empty voxels (:func:`_run_ids`), axis after axis, until nothing changes: a few rounds for a
    structure's grid. A maze that needs more than :data:`ROUNDS` rounds (each turn of a winding empty path costs
    one) is labelled with scipy.ndimage instead, imported only then: the same voxels either way, at a bounded
    cost.
    """
    empty = ~filled
    runs = [_run_ids(filled, axis) for axis in range(3)]
    reached = np.zeros_like(filled)
    reached[0, 0, 0] = True
    count = 1
    for _ in range(ROUNDS):
        for ids, size in runs:
            hit = np.zeros(size, dtype=bool)
            hit[ids[reached]] = True
            reached = empty & hit[ids]
        now = int(np.count_nonzero(reached))
        if now == count:
            return reached
        count = now
    return _labelled_exterior(filled)


def _labelled_exterior(filled):
    """:func:`_exterior_empty` by scipy.ndimage's 6-connected labelling."""
    from scipy import ndimage

    labels, _ = ndimage.label(~filled)  # 6-connectivity
    # the padding layer is empty and connected, so it carries the outside's label
    return labels == labels[0, 0, 0]


def _edge(extent):
    """The grid's edge: the largest extent plus a tenth of it.

    Computed as ``extent + 0.1 * extent``, the original's arithmetic:
    ``extent * 1.1`` can differ in the last bit, and then every surface point
    (voxel corner = index x bin size - shift) differs in its last bit too.
    """
    return extent + EDGE_PADDING * extent


def compute_surface(coords, mode="all", grid="auto"):
    """The voxel surface (CSAA) of a structure.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` bead coordinates in model units (float32, as read from the PDB).
    mode : {"all", "exterior"}
        ``all`` (the original): every filled voxel with an empty neighbour.
        ``exterior``: only those with an empty neighbour that is connected to
        the outside of the grid; voxels that face enclosed cavities only are
        left out.
    grid : {"auto", "original", "fitted"}
        ``original``: the grid is anchored at 0 after the shift, so sampled
        points past the far edge are dropped. ``fitted``: the grid is anchored
        at the minimum of the sampled points, in coordinates relative to the
        structure's own minimum, so nothing is dropped and translating the
        structure translates the surface. ``auto`` (the default): the original
        grid where it keeps at least :data:`AUTO_KEEP` of the sampled points
        (GSDB's structures: the original's results exactly), else the fitted
        grid (single-cell structures away from the origin); ``Surface.choice``
        says which and why.

    Returns
    -------
    Surface

    Raises
    ------
    InputError
        Bad coordinates, fewer than two beads, zero bond length, an unknown
        mode, or a structure whose sampled points all fall off the grid.
    """
    if mode not in SURFACE_MODES:
        raise InputError(f"surface mode {mode!r} is not one of {', '.join(SURFACE_MODES)}")
    if grid not in GRID_MODES:
        raise InputError(f"grid {grid!r} is not one of {', '.join(GRID_MODES)}")
    coords = check_coords(coords)
    if grid != "auto":
        return _checked(_build_surface(coords, mode, grid))
    n_samples, n_dropped = original_dropped(coords)  # counted first: a grid auto refuses is never filled
    keep = 1.0 - n_dropped / n_samples
    if keep >= AUTO_KEEP:
        surface = _build_surface(coords, mode, "original")
        if surface.points.shape[0]:
            surface.original_kept = keep
            surface.choice = f"auto grid: original, which keeps {_share(surface)} (>= {100 * AUTO_KEEP:g}%)"
            return surface
    surface = _checked(_build_surface(coords, mode, "fitted"))
    surface.original_kept = keep
    surface.choice = (
        f"auto grid: fitted, because the original grid (anchored at 0 after its shift) would keep only "
        f"{_share_of(n_samples, n_dropped)} (< {100 * AUTO_KEEP:g}%)"
    )
    return surface


def _share(surface):
    """How many sampled points a surface's grid keeps, of how many (and the percentage)."""
    return _share_of(surface.n_samples, surface.n_dropped)


def _share_of(n_samples, n_dropped):
    kept = n_samples - n_dropped
    share = 1.0 - n_dropped / n_samples if n_samples else 0.0
    return f"{kept} of the {n_samples} sampled points ({100 * share:.3f}%)"


def _original_grid(beads, distinct):
    """The original grid's shift and voxel edge, and the sampled points' bounds (see :func:`_build_surface`)."""
    lo, hi = _sample_bounds(beads, distinct)
    shift = SHIFT_FACTOR * abs(lo.min())
    extent = (hi + shift) - (lo + shift)
    return shift, _edge(extent.max()) / BINS, lo, hi


def original_dropped(coords):
    """The sampled points, and how many of them the original grid drops, without filling it.

    Exactly the count :func:`compute_surface` finds on the original grid: a voxel index,
    ``floor((bead + offset + shift) / bin size)``, only grows with the offset, so the smallest and
    largest offset on each axis bound a bead's indices; only the beads whose bounds straddle the
    grid's far edge have their points computed one by one (as the fill computes them).

    Returns
    -------
    n_samples, n_dropped : int
    """
    coords = check_coords(coords)
    radius = sphere_radius(coords)
    distinct, weights = _distinct(sphere_offsets(radius))
    beads = coords.astype(np.float64)
    shift, bin_size, _, _ = _original_grid(beads, distinct)
    n_samples = coords.shape[0] * int(weights.sum())
    if not bin_size > 0:
        return n_samples, 0
    low = np.floor(((beads + distinct.min(axis=0)) + shift) / bin_size)
    high = np.floor(((beads + distinct.max(axis=0)) + shift) / bin_size)
    dropped = int((low >= BINS).any(axis=1).sum()) * int(weights.sum())  # every point off the grid
    straddle = np.flatnonzero((high >= BINS).any(axis=1) & ~(low >= BINS).any(axis=1))
    for start in range(0, straddle.size, _BLOCK):
        pts = beads[straddle[start : start + _BLOCK], None, :] + distinct[None, :, :]
        pts += shift
        pts /= bin_size
        np.floor(pts, out=pts)
        dropped += int((pts >= BINS).any(axis=2).sum(axis=0) @ weights)
    return n_samples, dropped


def _checked(surface):
    """``surface``, unless it is empty (every sampled point off the grid): then a clear error."""
    if surface.points.shape[0] == 0:
        hint = (
            " (the original grid is anchored at 0 after its shift, so a structure away from the origin falls "
            "outside it: use the fitted or the auto grid, --grid fitted|auto or surface.grid: fitted|auto)"
            if surface.grid == "original"
            else ""
        )
        raise InputError(f"the surface is empty: every sampled point fell outside the grid{hint}")
    return surface


def _build_surface(coords, mode, grid):
    """The surface on one grid (``original`` or ``fitted``), possibly empty; see :func:`compute_surface`."""
    radius = sphere_radius(coords)
    offsets = sphere_offsets(radius)
    n_samples = coords.shape[0] * offsets.shape[0]
    distinct, weights = _distinct(offsets)
    beads = coords.astype(np.float64)

    if grid == "original":
        shift, bin_size, lo, hi = _original_grid(beads, distinct)
        origin_shift = shift
        origin = np.full(3, -shift)
    else:
        # Work relative to the structure's own minimum (exact for float32 input),
        # with the grid's corner at the minimum sampled point.
        base = beads.min(axis=0)
        beads = beads - base
        lo, hi = _sample_bounds(beads, distinct)
        extent = hi - lo
        bin_size = _edge(extent.max()) / BINS
        origin_shift = -lo
        origin = lo + base
    if not bin_size > 0:
        raise InputError("the sampled points have zero extent: cannot build the surface grid")

    filled, dropped = _fill(beads, distinct, weights, origin_shift, bin_size, hi)
    surface = _surface_voxels(filled)
    exterior_facing = surface & _dilated(_exterior_empty(filled))
    n_enclosed = int(surface.sum() - exterior_facing.sum())
    if mode == "exterior":
        surface = exterior_facing
    voxels = np.argwhere(surface[1:-1, 1:-1, 1:-1])
    if grid == "original":
        points = voxels * bin_size - shift
    else:
        points = voxels * bin_size + origin
    return Surface(
        points=points,
        bin_size=float(bin_size),
        origin=origin,
        radius=float(radius),
        n_samples=int(n_samples),
        n_dropped=int(dropped),
        n_filled=int(filled.sum()),
        n_enclosed=n_enclosed,
        mode=mode,
        grid=grid,
    )


def rolling_backbone(coords, window=WINDOW):
    """The rolling-mean backbone: point i is the float32 mean of beads i .. i+window-1.

    Only windows starting at 0 .. n-window-1 are used (the last possible
    window, starting at n-window, is not, as in the original): n - window
    points.

    Returns
    -------
    numpy.ndarray
        ``(max(n - window, 0), 3)`` float32. Empty for chains of ``window``
        beads or fewer.
    """
    coords = check_coords(coords)
    n = coords.shape[0]
    if n <= window:
        return np.empty((0, 3), dtype=np.float32)
    windows = sliding_window_view(coords, window, axis=0)[: n - window]
    return windows.mean(axis=-1, dtype=np.float32)


def nearest_distance(points, targets):
    """Distance from every point to the nearest target (exact, via a k-d tree).

    Parameters
    ----------
    points : array_like, ``(n, 3)``
    targets : array_like, ``(m, 3)``, m >= 1

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64.
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape[0] == 0:
        raise InputError("no target points to measure distances to")
    # Unbalanced, non-compact trees with larger leaves answer the same exact
    # nearest-neighbour queries 2-3x faster here: beads sit deep inside the
    # surface, so each query visits many nodes.
    tree = _scipy.spatial().cKDTree(targets, leafsize=64, compact_nodes=False, balanced_tree=False)
    distances, _ = tree.query(np.asarray(points, dtype=np.float64), k=1)
    return distances


def centre_of_mass(coords):
    """Centre of mass of equal-mass beads: the plain float64 mean."""
    return check_coords(coords).astype(np.float64).mean(axis=0)


def physical_features(coords, mode="all", grid="auto", window=WINDOW):
    """All per-bead features and the surface of a structure.

    Parameters
    ----------
    coords : array_like
        ``(n, 3)`` float32 bead coordinates (model units), chain order.
    mode, grid : str
        See :func:`compute_surface`.
    window : int
        Beads per backbone window (50 in the original).

    Returns
    -------
    features : dict of numpy.ndarray
        ``x, y, z`` (float32 values), ``dist_surface``, ``dist_com`` (float64),
        ``dist_rolling_mean`` (float32 values; all NaN when the chain has
        ``window`` beads or fewer, because it has no backbone).
    surface : Surface
    """
    coords = check_coords(coords)
    beads = coords.astype(np.float64)
    surface = compute_surface(coords, mode=mode, grid=grid)
    backbone = rolling_backbone(coords, window)
    if backbone.shape[0]:
        dist_rm = nearest_distance(beads, backbone).astype(np.float32)
    else:
        dist_rm = np.full(coords.shape[0], np.nan, dtype=np.float32)
    features = {
        "x": coords[:, 0],
        "y": coords[:, 1],
        "z": coords[:, 2],
        "dist_surface": nearest_distance(beads, surface.points),
        "dist_com": np.linalg.norm(beads - centre_of_mass(coords), axis=1),
        "dist_rolling_mean": dist_rm,
    }
    return features, surface


# -- a structure table: every model and homolog ----------------------------------------------------

#: The structure table's whole-file columns the physical table carries (where they apply).
_CONTEXT = ("radial_position", "dist_periphery", "neighbours_trans", "dist_homolog")

#: the share of sampled points the original grid may drop before a run warns (chr1 of GSDB drops 0.04 %)
DROPPED_WARNING = 0.01


def model_features(coords, mode, grid, rg_window, neighbour_radius, path=None, where="the chromosome"):
    """Every per-bead feature of one model (:data:`chromapipe.tables.PHYSICAL`) and its surface.

    ``mode``, ``grid``: :func:`compute_surface`'s; ``rg_window``, ``neighbour_radius``: the config's
    ``features`` (:func:`chromapipe.neighbourhood.rg_local`'s window, :func:`~chromapipe.neighbourhood.neighbours`'
    radius factor). ``path`` (the structure the coordinates came from) is named in a geometry error; ``where``
    (``chr21 (pat), model 2``) in a warning.
    """
    from .neighbourhood import neighbours, rg_local

    try:
        features, surface = physical_features(coords, mode=mode, grid=grid)
    except InputError as exc:
        if exc.path is not None or path is None:
            raise
        raise InputError(str(exc), path) from None  # name the structure the geometry came from
    features["rg_local"] = rg_local(coords, rg_window)
    features["neighbours"] = neighbours(coords, neighbour_radius)
    features["radial_position_territory"], features["dist_periphery_territory"] = territory(coords, where)
    return features, surface


def territory(coords, where="the chromosome"):
    """``radial_position_territory`` and ``dist_periphery_territory`` of one chain (:mod:`chromapipe.landmarks`):
    its own centre, radius and convex hull; the distance is NaN, with a warning naming ``where``, without a hull."""
    from .landmarks import by_group

    beads = check_coords(coords).astype(np.float64)
    return by_group(beads, np.zeros(beads.shape[0], dtype=np.int8), f"{where}'s territory")


def _homolog_tables(rows, features, surface, labels):
    """The physical and surface tables of one model of one homolog; ``labels``: its model/haplotype columns."""
    import polars as pl

    from . import tables
    from .trans import trans_fraction

    table = pl.DataFrame({k: features[k] for k in tables.PHYSICAL.names}).cast(tables.PHYSICAL.schema)
    table = table.with_columns(pl.col(pl.Float64).fill_nan(None))  # no backbone: empty, not NaN
    for name in ("dist_nucleus_com", *_CONTEXT):
        if name in rows.columns and not rows[name].is_null().all():  # a whole-file column that applies
            table = table.with_columns(rows[name])
    if "neighbours_trans" in table.columns:
        fraction = trans_fraction(table["neighbours"].to_numpy(), table["neighbours_trans"].to_numpy())
        table = table.with_columns(pl.Series("trans_fraction", fraction, dtype=pl.Float64, nan_to_null=True))
    table = table.with_columns(**{k: pl.Series([v] * rows.height, dtype=d) for k, (v, d) in labels.items()})
    points = pl.DataFrame(surface.points, schema=list(tables.SURFACE.names), orient="row")
    order = [k for k in ("haplotype", "model") if k in labels]
    points = points.select(*(pl.lit(labels[k][0], dtype=labels[k][1]).alias(k) for k in order), *points.columns)
    return table.select([c.name for c in tables.PHYSICAL.columns_of(table.columns)]), points


def backbone_note(lengths):
    """The metadata's ``backbone``: how each homolog's chain (``label -> beads``) got its rolling-mean backbone."""
    n = min(lengths.values())
    note = f"none (chain of {WINDOW} beads or fewer)" if n <= WINDOW else f"rolling mean, window {WINDOW}"
    if len(lengths) > 1 and n <= WINDOW < max(lengths.values()):
        note = ", ".join(f"{h}: {'none' if k <= WINDOW else 'rolling mean'}" for h, k in lengths.items())
        note += f" (window {WINDOW})"
    return note


def structure_units(staged):
    """The coordinates' units: model units for the PDB formats (and tables staged before formats), else the file's."""
    from .tables import MODEL_UNITS

    return MODEL_UNITS if staged.get("format") in (None, "pdb", "nucdyn-pdb") else staged["units"]


def structure_physical(frame, staged, chrom, name, mode, grid, rg_window, neighbour_radius, path=None):
    """Per-bead features and surface points of every model and homolog of a structure table, and their metadata.

    Parameters
    ----------
    frame : polars.DataFrame
        The structure table (:data:`chromapipe.tables.STRUCTURE`): one or more models, one or two homologs.
    staged : dict
        What staging recorded of the structure (format, units, haplotype, nucleus_chromosomes).
    chrom, name : str
        The chromosome and the structure's name (recorded).
    mode, grid : str
        See :func:`compute_surface` (the config's ``surface`` section).
    rg_window, neighbour_radius : int, float
        See :func:`model_features` (the config's ``features`` section).
    path : path, optional
        The structure, named in errors.

    Returns
    -------
    physical, surface : polars.DataFrame
        :data:`chromapipe.tables.PHYSICAL` (an ensemble's with ``model``, a diploid structure's with
        ``haplotype``, a genome-wide file's with ``dist_nucleus_com``) and :data:`chromapipe.tables.SURFACE`.
    meta : dict
        The metadata both tables record.
    """
    import polars as pl

    models = frame["model"].unique(maintain_order=True).to_list()
    homologs = frame["haplotype"].unique(maintain_order=True).to_list()
    runs = [(h, m) for h in homologs for m in models]
    features, points, surfaces = _every_model(frame, runs, models, homologs, mode, grid, rg_window,
                                              neighbour_radius, path, chrom)  # fmt: skip
    if grid == "auto" and len({surf.grid for surf in surfaces}) > 1:
        # one grid for every model and homolog, so that their features compare
        (hap, model), surf = next((run, s) for run, s in zip(runs, surfaces, strict=True) if s.grid == "fitted")
        why = f"in model {model}{f' ({hap})' if hap else ''} the original grid would keep only {100 * surf.original_kept:.3f}%"
        # only the runs on the original grid are computed again: the fitted ones already are what a rerun gives
        redo = [i for i, s in enumerate(surfaces) if s.grid != "fitted"]
        again = _every_model(frame, [runs[i] for i in redo], models, homologs, mode, "fitted", rg_window,
                             neighbour_radius, path, chrom)  # fmt: skip
        for i, table, pts, surf in zip(redo, *again, strict=True):
            surf.original_kept = surfaces[i].original_kept
            features[i], points[i], surfaces[i] = table, pts, surf
        for surf in surfaces:
            surf.choice = f"auto grid: fitted for every model and homolog, because {why} of the sampled points"
    # beads of each homolog's chain (one model): the homologs of a diploid file may differ in length
    chains = frame.filter(pl.col("model") == models[0]).group_by("haplotype", maintain_order=True).len()
    lengths = dict(zip(chains["haplotype"].to_list(), chains["len"].to_list(), strict=True))
    meta = _physical_meta(chrom, name, staged, surfaces, lengths, models, homologs, grid, rg_window,
                          neighbour_radius)  # fmt: skip
    return pl.concat(features), pl.concat(points), meta


def _every_model(frame, runs, models, homologs, mode, grid, rg_window, neighbour_radius, path, chrom="?"):
    """The physical tables, surface points tables and surfaces of every (homolog, model) of ``runs``."""
    import polars as pl

    features, points, surfaces = [], [], []
    for hap, model in runs:
        rows = frame.filter((pl.col("model") == model) & pl.col("haplotype").eq_missing(hap))
        coords = rows.select("x", "y", "z").to_numpy()
        where = f"chr{chrom}" + (f" ({hap})" if hap else "") + (f", model {model}" if len(models) > 1 else "")
        feats, surf = model_features(coords, mode, grid, rg_window, neighbour_radius, path, where)
        labels = {"model": (model, pl.Int32)} if len(models) > 1 else {}
        labels.update({"haplotype": (hap, pl.String)} if len(homologs) > 1 else {})
        table, pts = _homolog_tables(rows, feats, surf, labels)
        features.append(table)
        points.append(pts)
        surfaces.append(surf)
    return features, points, surfaces


def _physical_meta(chrom, name, staged, surfaces, lengths, models, homologs, grid, rg_window, neighbour_radius):
    from . import __version__

    first = surfaces[0]
    meta = {
        "chromapipe_version": __version__,
        "chromosome": chrom,
        "structure": name,
        "beads": sum(lengths.values()),
        "models": len(models),
        "units": structure_units(staged),
        "surface": first.mode,
        "grid": first.grid,
        "grid_setting": grid,
        **({"grid_choice": first.choice} if first.choice else {}),
        **({"original_grid_kept": min(s.original_kept for s in surfaces)} if first.original_kept is not None else {}),
        "sphere_radius": first.radius,
        "bin_size": first.bin_size,
        "sampled_points": sum(s.n_samples for s in surfaces),
        "dropped_points": sum(s.n_dropped for s in surfaces),
        "filled_voxels": sum(s.n_filled for s in surfaces),
        "enclosed_surface_voxels": sum(s.n_enclosed for s in surfaces),
        "surface_points": sum(int(s.points.shape[0]) for s in surfaces),
        "backbone": backbone_note(lengths),
        "rg_window": rg_window,
        "neighbour_radius": neighbour_radius,
    }
    if len(models) == 1:  # a single model's metadata, as before ensembles
        del meta["models"]
    if staged.get("haplotype"):
        meta["haplotype"] = staged["haplotype"]
    if len(homologs) > 1:
        meta["haplotypes"] = homologs
        meta["beads_per_haplotype"] = lengths
    if staged.get("nucleus_chromosomes"):
        meta["nucleus_chromosomes"] = staged["nucleus_chromosomes"]
    return meta


def log_physical(log, meta, seconds):
    """Log what :func:`structure_physical` computed: the grid's dropped points and chains without a backbone."""
    chrom, lengths = meta["chromosome"], meta.get("beads_per_haplotype") or {None: meta["beads"]}
    if meta["grid"] == "original" and meta["dropped_points"] > DROPPED_WARNING * meta["sampled_points"]:
        log.warning(
            "chr%s: %d of %d sampled points (%.0f%%) fell outside the original grid, which is anchored at 0 "
            "after its shift: a structure away from the origin loses part of its surface. The fitted grid "
            "(--grid fitted, surface.grid: fitted) fits the grid to the points",
            chrom, meta["dropped_points"], meta["sampled_points"],
            100 * meta["dropped_points"] / meta["sampled_points"],
        )  # fmt: skip
    if meta.get("grid_choice"):
        log.info("chr%s: %s", chrom, meta["grid_choice"])
    for hap, k in lengths.items():
        if k <= WINDOW:
            log.warning("chr%s%s: %d beads, no rolling-mean backbone (window %d): dist_rolling_mean is empty",
                        chrom, f" ({hap})" if hap else "", k, WINDOW)  # fmt: skip
    beads = " + ".join(f"{k} ({h})" for h, k in lengths.items()) if len(lengths) > 1 else min(lengths.values())
    log.info("chr%s: %s beads x %d model(s), %d surface points (%s surface, %s grid), %d of %d sampled points "
             "dropped, %.3f s", chrom, beads, meta.get("models", 1), meta["surface_points"], meta["surface"],
             meta["grid"], meta["dropped_points"], meta["sampled_points"], seconds)  # fmt: skip
