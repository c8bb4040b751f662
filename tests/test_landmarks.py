"""Nuclear landmarks (chromapipe.landmarks): known geometry, the loop reference, beads without a hull."""

import logging

import numpy as np
import polars as pl
import pytest

from chromapipe import landmarks, physical, stage
from chromapipe.synthetic import random_walk
from loop_landmarks import loop_hull_distance, loop_radial_position


def sphere(n, radius=2.0, seed=0):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 3))
    return radius * points / np.linalg.norm(points, axis=1, keepdims=True)


def test_points_on_a_sphere_have_radial_position_1_and_hull_distance_0():
    half = sphere(250)
    shell = np.vstack([half, -half]) + [5.0, -1.0, 2.0]  # antipodal pairs: the beads' mean is the sphere's centre
    radial = landmarks.radial_position(shell)
    distance, why = landmarks.hull_distance(shell)
    assert why == ""
    # every bead is at the same distance from the centre: R is that distance
    assert radial == pytest.approx(np.ones(500), abs=1e-9)
    assert distance == pytest.approx(np.zeros(500), abs=1e-9)
    inside = landmarks.hull_distance(shell, [[5.0, -1.0, 2.0]])[0]
    assert 1.9 < inside[0] < 2.0  # the centre: a little less than the radius from the faceted sphere


def test_radial_position_is_1_at_the_99th_percentile():
    rng = np.random.default_rng(1)
    beads = rng.normal(size=(1001, 3))
    radial = landmarks.radial_position(beads)
    assert np.percentile(radial, 99) == pytest.approx(1.0)
    assert (radial > 1).sum() == 10  # the 1 % past R


def test_a_bead_inside_a_cube_is_as_far_from_the_hull_as_from_the_nearest_face():
    corners = np.array([[x, y, z] for x in (0, 4) for y in (0, 4) for z in (0, 4)], dtype=float)
    inside = np.array([[1.0, 2.0, 2.0], [2.0, 2.0, 2.0], [3.5, 3.0, 0.5]])
    distance, _ = landmarks.hull_distance(corners, inside)
    assert distance == pytest.approx([1.0, 2.0, 0.5])
    own, _ = landmarks.hull_distance(np.vstack([corners, inside]))
    assert own == pytest.approx([0.0] * 8 + [1.0, 2.0, 0.5])
    outside, _ = landmarks.hull_distance(corners, [[5.0, 2.0, 2.0]])
    assert outside[0] < 0  # positive inside only


@pytest.mark.parametrize("n", [200, 1000])
def test_against_the_loop_reference(n):
    beads = random_walk(n, seed=n).astype(np.float64)
    distance, _ = landmarks.hull_distance(beads)
    np.testing.assert_allclose(distance, loop_hull_distance(beads), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(landmarks.radial_position(beads), loop_radial_position(beads), rtol=1e-12)


@pytest.mark.parametrize(
    "beads",
    [np.zeros((0, 3)), np.eye(3), np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [2, 3, 0.0]])],
    ids=["none", "three", "coplanar"],
)
def test_fewer_than_4_beads_or_a_plane_have_no_hull(beads):
    distance, why = landmarks.hull_distance(beads)
    assert distance is None and why


def test_a_short_chain_gets_an_empty_territory_distance_with_a_warning(caplog):
    coords = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0]], dtype=np.float32)
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        radial, distance = physical.territory(coords, "chr21")
    assert np.isnan(distance).all() and np.isfinite(radial).all()
    assert "chr21's territory: no convex hull (3 bead(s)" in caplog.text
    table = physical.structure_physical(_frame(coords), {}, "21", "toy", "all", "auto", 5, 1.5)[0]
    assert table["dist_periphery_territory"].null_count() == 3  # empty, not NaN


def _frame(coords):
    n = coords.shape[0]
    return pl.DataFrame(
        {
            "bead": pl.Series(range(1, n + 1), dtype=pl.Int32),
            **{axis: pl.Series(coords[:, i], dtype=pl.Float32) for i, axis in enumerate("xyz")},
            "model": pl.Series([1] * n, dtype=pl.Int32),
            "start": pl.Series([None] * n, dtype=pl.Int64),
            "haplotype": pl.Series([None] * n, dtype=pl.String),
            "dist_nucleus_com": pl.Series([None] * n, dtype=pl.Float64),
            **{name: pl.Series([None] * n, dtype=getattr(pl, t)) for name, t in stage.CONTEXT_COLUMNS.items()},
        }
    )


def test_territory_columns_are_the_chains_own_landmarks():
    coords = random_walk(300, seed=3).astype(np.float32)
    table = physical.structure_physical(_frame(coords), {}, "21", "toy", "all", "auto", 5, 1.5)[0]
    beads = coords.astype(np.float64)
    np.testing.assert_allclose(table["radial_position_territory"].to_numpy(), loop_radial_position(beads))
    np.testing.assert_allclose(table["dist_periphery_territory"].to_numpy(), loop_hull_distance(beads), atol=1e-12)
    # a single-chromosome structure has none of the whole-nucleus columns
    assert "radial_position" not in table.columns and "neighbours_trans" not in table.columns


def test_a_genome_wide_file_gets_the_whole_models_landmarks(tmp_path):
    """Two chromosomes in one .3dg: the nucleus landmarks use every bead of the model, the territory ones the
    chain's own."""
    a = random_walk(120, seed=1)
    b = random_walk(80, seed=2) + 3.0
    path = tmp_path / "cell.3dg"
    lines = [f"{c}\t{1 + 100000 * i}\t{x:.6f}\t{y:.6f}\t{z:.6f}" for c, walk in (("1", a), ("2", b))
             for i, (x, y, z) in enumerate(walk)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    frame, info = stage.load_structure(path, "2")
    whole = np.vstack([a, b]).astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(frame["radial_position"].to_numpy(), loop_radial_position(whole)[120:], rtol=1e-6)
    np.testing.assert_allclose(frame["dist_periphery"].to_numpy(), loop_hull_distance(whole)[120:], atol=1e-5)
    table = physical.structure_physical(frame, info, "2", "cell", "all", "auto", 5, 1.5)[0]
    assert table["radial_position"].equals(frame["radial_position"])
    own = whole[120:]
    np.testing.assert_allclose(table["dist_periphery_territory"].to_numpy(), loop_hull_distance(own), atol=1e-5)


def _write_3dg(path, chains):
    lines = [f"{c}\t{1 + 100000 * i}\t{x:.6f}\t{y:.6f}\t{z:.6f}" for c, walk in chains
             for i, (x, y, z) in enumerate(walk)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def test_a_chromosome_of_3_beads_in_a_genome_wide_file_has_no_territory_hull_with_a_warning(tmp_path, caplog):
    """The whole nucleus has a hull (the other chromosome's beads), the 3-bead chromosome's territory none: its
    dist_periphery_territory is empty, with a warning naming it, and nothing fails."""
    path = tmp_path / "cell.3dg"
    _write_3dg(path, (("1", random_walk(120, seed=1)), ("2", random_walk(3, seed=2) + 0.5)))
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        frame, info = stage.load_structure(path, "2")
        table = physical.structure_physical(frame, info, "2", "cell", "all", "auto", 5, 1.5)[0]
    assert table.height == 3
    assert table["dist_periphery_territory"].null_count() == 3  # empty, not NaN
    assert table["dist_periphery"].null_count() == 0 and table["radial_position"].null_count() == 0
    assert "chr2's territory: no convex hull (3 bead(s)" in caplog.text


def test_a_whole_file_of_3_beads_has_no_nucleus_hull_with_a_warning(tmp_path, caplog):
    path = tmp_path / "tiny.3dg"
    _write_3dg(path, (("1", random_walk(2, seed=1)), ("2", random_walk(1, seed=2) + 0.5)))
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        frame, _ = stage.load_structure(path, "1")
    assert frame["dist_periphery"].null_count() == 2
    assert "no convex hull (3 bead(s)" in caplog.text
