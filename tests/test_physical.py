"""Physical features: parity with the Nextflow reference, the loop definition, and geometric properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chromapipe import physical
from chromapipe.errors import InputError
from chromapipe.physical import (
    BINS,
    compute_surface,
    physical_features,
    rolling_backbone,
    sphere_offsets,
)
from conftest import physical_settings, random_coords
from loop_reference import loop_features, loop_surface

TOLERANCE = 1e-6


def test_chr21_physical_columns_match_reference(chr21_coords, reference_physical):
    features, _ = physical_features(chr21_coords)
    for column in reference_physical.columns:
        ours = np.asarray(features[column], dtype=np.float64)
        theirs = reference_physical[column].to_numpy()
        assert ours.shape == theirs.shape
        assert np.abs(ours - theirs).max() < TOLERANCE, column


def test_chr21_surface_matches_reference(chr21_coords, reference_surface):
    surface = compute_surface(chr21_coords)
    assert surface.points.shape == (12493, 3)
    assert reference_surface.shape == (12493, 3)
    # same points in the same (lexicographic voxel) order, to the last bit
    assert np.array_equal(surface.points, reference_surface)
    assert surface.n_dropped == 5


def test_chr1_drops_the_documented_points(chr1_coords):
    surface = compute_surface(chr1_coords)
    assert surface.n_dropped == 331
    assert surface.n_samples == 451 * 1575


def test_sphere_sampling_definition():
    offsets = sphere_offsets(2.0)
    assert offsets.shape == (1575, 3)
    radii = np.linalg.norm(offsets, axis=1)
    assert np.allclose(np.unique(np.round(radii, 12)), np.linspace(0, 2.0, 7))
    assert (radii == 0).sum() == 225  # duplicated centre points stay in


@pytest.mark.parametrize("n,seed", [(3, 1), (12, 2), (60, 3), (120, 4)])
def test_vectorised_equals_loop_definition(n, seed):
    coords = random_coords(n, seed)
    ours, surface = physical_features(coords, grid="original")  # the original's definition
    theirs, loop_points = loop_features(coords)
    assert np.array_equal(surface.points, loop_points)
    assert surface.n_dropped == loop_surface(coords)[1]
    for column in ours:
        assert np.allclose(ours[column], theirs[column], atol=1e-9, rtol=0, equal_nan=True), column


@pytest.mark.parametrize("n", [2, 10, 50])
def test_short_chain_has_no_backbone_and_does_not_crash(n):
    coords = random_coords(n, seed=n)
    features, surface = physical_features(coords)
    assert rolling_backbone(coords).shape == (0, 3)
    assert np.isnan(features["dist_rolling_mean"]).all()
    assert np.isfinite(features["dist_surface"]).all()
    assert surface.points.shape[0] > 0


def test_51_beads_have_one_backbone_point():
    coords = random_coords(51, seed=51)
    backbone = rolling_backbone(coords)
    assert backbone.shape == (1, 3)
    assert np.allclose(backbone[0], coords[:50].astype(np.float64).mean(axis=0), atol=1e-6)
    features, _ = physical_features(coords)
    assert np.isfinite(features["dist_rolling_mean"]).all()


def test_rolling_backbone_leaves_out_the_last_window():
    coords = random_coords(80, seed=8)
    backbone = rolling_backbone(coords)
    assert backbone.shape == (30, 3)
    assert np.allclose(backbone[-1], coords[29:79].astype(np.float64).mean(axis=0), atol=1e-6)


@pytest.mark.parametrize(
    "coords,message",
    [
        (np.zeros((1, 3)), "needs at least two beads"),
        (np.zeros((5, 3)), "every bond has length zero"),
        (np.zeros((0, 3)), "no beads"),
        (np.array([[0.0, 0.0, np.nan], [1.0, 0.0, 0.0]]), "NaN or infinite"),
        (np.zeros((4, 2)), r"\(n, 3\) array"),
    ],
)
def test_degenerate_structures_raise_clear_errors(coords, message):
    with pytest.raises(InputError, match=message):
        physical_features(coords)


def test_unknown_modes_are_rejected(chr21_coords):
    with pytest.raises(InputError, match="surface mode"):
        compute_surface(chr21_coords, mode="inside")
    with pytest.raises(InputError, match="grid"):
        compute_surface(chr21_coords, grid="tight")


def test_exterior_surface_is_a_subset_without_enclosed_voxels(chr21_coords):
    full = compute_surface(chr21_coords, mode="all")
    exterior = compute_surface(chr21_coords, mode="exterior")
    as_set = {tuple(p) for p in full.points}
    assert all(tuple(p) in as_set for p in exterior.points)
    assert full.points.shape[0] - exterior.points.shape[0] == full.n_enclosed
    # the documented figure: about 3,500 of chr21's 12,493 face only enclosed cavities
    assert 3000 < full.n_enclosed < 4000


def test_fitted_grid_drops_nothing(chr1_coords):
    assert compute_surface(chr1_coords, grid="original").n_dropped == 331
    assert compute_surface(chr1_coords, grid="fitted").n_dropped == 0


coordinates = st.lists(st.tuples(*[st.integers(-4096, 4096)] * 3), min_size=2, max_size=40, unique=True).map(
    lambda rows: np.array(rows, dtype=np.float32) / np.float32(1024)
)


@settings(max_examples=25)
@given(coordinates)
def test_distances_are_non_negative_and_points_on_lattice(coords):
    features, surface = physical_features(coords)
    for column in ("dist_surface", "dist_com"):
        assert (features[column] >= 0).all()
    rm = features["dist_rolling_mean"]
    assert (rm[~np.isnan(rm)] >= 0).all()
    lattice = (surface.points - surface.origin) / surface.bin_size
    assert np.abs(lattice - np.round(lattice)).max() < 1e-6
    assert lattice.min() > -1e-6 and lattice.max() < BINS


@settings(max_examples=25)
@given(coordinates, st.tuples(*[st.integers(-2048, 2048)] * 3))
def test_fitted_grid_translates_with_the_structure(coords, steps):
    # translations on the same dyadic grid as the coordinates are exact in float32
    shift = np.array(steps, dtype=np.float32) / np.float32(1024)
    moved = coords + shift
    assert np.array_equal(moved - shift, coords)
    a = compute_surface(coords, grid="fitted")
    b = compute_surface(moved, grid="fitted")
    assert a.points.shape == b.points.shape
    assert np.allclose(a.points + shift.astype(np.float64), b.points, atol=1e-9, rtol=0)


def test_a_structure_away_from_the_origin_warns_on_the_original_grid(chr21_coords, tmp_path, caplog):
    """The original grid is anchored at 0 after its shift: a structure moved away from the origin loses
    samples (a warning naming the fitted grid) or the whole surface (an error naming it)."""
    import logging

    from chromapipe import formats, steps

    def run(offset, name, grid="original"):
        n = chr21_coords.shape[0]
        moved = formats.Structure(np.full(n, "21", object), np.full(n, None, object), np.arange(n) * 500000 + 1,
                                  np.ones(n, dtype=np.int64), chr21_coords + np.float32(offset), "", "x")  # fmt: skip
        source = tmp_path / f"{name}.3dg"
        formats.write_structure(moved, source)
        steps.compute_physical(
            source, tmp_path / f"{name}.parquet", tmp_path / f"{name}_s.parquet", "21", **physical_settings(grid=grid)
        )

    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        run(0, "centred")
        assert "outside the original grid" not in caplog.text  # chr21 drops 5 of 116,550 samples
        run(-3.0, "moved")  # 5,586 of 116,550 samples dropped
        assert "fell outside the original grid" in caplog.text and "--grid fitted" in caplog.text
    with pytest.raises(InputError, match="the surface is empty: .* use the fitted or the auto grid"):
        run(5.0, "far")
    run(5.0, "far_fitted", grid="fitted")


def test_the_original_grids_dropped_points_are_counted_without_filling_it():
    from chromapipe.physical import _build_surface, check_coords, original_dropped
    from chromapipe.synthetic import random_walk

    for seed, shift in enumerate(((0, 0, 0), (0.7, -0.3, 1.1), (2.1, -0.9, 3.3), (40, 40, 40))):
        coords = (random_walk(800, seed=seed) + shift).astype(np.float32)
        surface = _build_surface(check_coords(coords), "all", "original")
        assert original_dropped(coords) == (surface.n_samples, surface.n_dropped)


# --- the voxel grid's operations in numpy against scipy.ndimage's (the implementation they replace) ---------


def _ndimage_grid(filled):
    """Surface voxels, exterior empty voxels and their dilation, by scipy.ndimage (as chromapipe.physical had)."""
    from scipy import ndimage

    cube = np.ones((3, 3, 3), dtype=np.uint8)
    surface = filled & (ndimage.convolve(filled.astype(np.uint8), cube, mode="constant", cval=0) < 27)
    labels, _ = ndimage.label(~filled)
    exterior = labels == labels[0, 0, 0]
    return surface, exterior, ndimage.binary_dilation(exterior, structure=cube.astype(bool))


def _padded(inside):
    filled = np.zeros([n + 2 for n in inside.shape], dtype=bool)
    filled[1:-1, 1:-1, 1:-1] = inside
    return filled


def serpentine(layers, side=50):
    """A full grid but for one empty corridor winding from the outside through ``layers`` zig-zag layers: each
    turn costs the run propagation a round."""
    inside = np.ones((side,) * 3, dtype=bool)
    x = 1
    for z in range(1, 2 * layers, 2):
        for row in range(1, side - 1, 2):
            inside[1 : side - 1, row, z] = False  # the row
            x = side - 2 if (row // 2) % 2 == 0 else 1
            if row + 2 < side - 1:
                inside[x, row + 1, z] = False  # the turn to the next row
        inside[x, row, z + 1] = False  # down to the next layer
    inside[0, 1, 1] = False  # the entrance from the outside
    return _padded(inside)


@pytest.mark.parametrize("seed", range(6))
def test_the_grid_operations_are_ndimages(seed):
    rng = np.random.default_rng(seed)
    filled = _padded(rng.random((20, 23, 17)) < rng.uniform(0.2, 0.8))
    surface, exterior, dilated = _ndimage_grid(filled)
    assert np.array_equal(physical._surface_voxels(filled), surface)
    assert np.array_equal(physical._exterior_empty(filled), exterior)
    assert np.array_equal(physical._dilated(exterior), dilated)


@pytest.mark.parametrize(("layers", "side", "fallback"), [(1, 8, False), (1, 50, True), (20, 50, True)])
def test_a_maze_falls_back_to_labelling(layers, side, fallback, monkeypatch):
    """A winding corridor: propagated in numpy while it needs at most ROUNDS rounds (3 turns), labelled by
    ndimage past them (25 turns, 500); the same voxels either way, and the corridor is reached to its end."""
    filled = serpentine(layers, side)
    labelled = []
    monkeypatch.setattr(physical, "_labelled_exterior", lambda grid: labelled.append(1) or _ndimage_grid(grid)[1])
    exterior = physical._exterior_empty(filled)
    assert np.array_equal(exterior, _ndimage_grid(filled)[1])
    assert int(exterior[1:-1, 1:-1, 1:-1].sum()) == int((~filled[1:-1, 1:-1, 1:-1]).sum())  # all of it
    assert bool(labelled) == fallback
