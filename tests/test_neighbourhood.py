"""rg_local and neighbours (chromapipe.neighbourhood) against the loop references on random chains."""

import numpy as np
import pytest

from chromapipe import neighbourhood
from chromapipe.errors import InputError
from chromapipe.synthetic import random_walk
from loop_neighbourhood import loop_neighbours, loop_rg_local


def chain(n, seed):
    return random_walk(n, seed=seed).astype(np.float32)


@pytest.mark.parametrize(("n", "seed", "window"), [(300, 1, 5), (257, 2, 0), (120, 3, 1), (200, 4, 17)])
def test_rg_local_against_loop(n, seed, window):
    coords = chain(n, seed)
    np.testing.assert_allclose(
        neighbourhood.rg_local(coords, window), loop_rg_local(coords, window), rtol=1e-9, atol=1e-12
    )


def test_rg_local_far_from_the_origin():
    coords = (chain(200, 5) + np.float32(1e4)).astype(np.float32)
    np.testing.assert_allclose(neighbourhood.rg_local(coords, 5), loop_rg_local(coords, 5), rtol=1e-6)


@pytest.mark.parametrize("budget", [neighbourhood.PAIR_BUDGET, 0])
@pytest.mark.parametrize(("n", "seed", "factor"), [(300, 1, 1.5), (250, 6, 3.0), (150, 7, 0.5)])
def test_neighbours_against_loop(n, seed, factor, budget, monkeypatch):
    """Both ways of counting (the pairs listed, within PAIR_BUDGET; each bead's ball, past it) give the loop's counts."""
    monkeypatch.setattr(neighbourhood, "PAIR_BUDGET", budget)
    coords = chain(n, seed)
    got = neighbourhood.neighbours(coords, factor)
    want = loop_neighbours(coords, factor)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
    if factor >= 1.5:
        assert got.sum() > 0  # the comparison is not between two arrays of zeros


@pytest.mark.parametrize("n", [1, 2, 3, 6, 11])
def test_short_chains(n):
    """Shorter than the window (w = 5): clipped windows; n <= w + 1 gives the whole chain's Rg everywhere."""
    coords = chain(n, 8)
    rg = neighbourhood.rg_local(coords, 5)
    np.testing.assert_allclose(rg, loop_rg_local(coords, 5), rtol=1e-9, atol=1e-12)
    whole = np.sqrt(((coords.astype(np.float64) - coords.astype(np.float64).mean(axis=0)) ** 2).sum(axis=1).mean())
    if n <= 6:
        np.testing.assert_allclose(rg, whole, rtol=1e-9, atol=1e-12)
    if n == 1:
        assert rg.tolist() == [0.0]
    np.testing.assert_array_equal(neighbourhood.neighbours(coords, 1.5), loop_neighbours(coords, 1.5))
    if n <= 2:
        assert neighbourhood.neighbours(coords, 1.5).tolist() == [0] * n


def test_neighbours_on_a_folded_chain():
    """A hairpin: beads 0..4 along x, 5..9 back along a parallel line 1.2 bonds away."""
    line = np.arange(5, dtype=np.float32)
    coords = np.concatenate(
        [np.stack([line, np.zeros(5), np.zeros(5)], 1), np.stack([line[::-1], np.full(5, 1.2), np.zeros(5)], 1)]
    ).astype(np.float32)
    counts = neighbourhood.neighbours(coords, 1.5)
    # bead 0 (x=0, y=0) sees bead 9 (x=0, y=1.2) only; bead 2 sees beads 6, 7, 8 (x=2, 3... within 1.5: x=2 only, and
    # x=1, x=3 at sqrt(1 + 1.44) = 1.56 > 1.5), so 1
    assert counts.tolist() == loop_neighbours(coords, 1.5).tolist()
    assert counts[0] == 1 and counts[2] == 1


def test_bad_arguments():
    coords = chain(20, 9)
    with pytest.raises(ValueError, match="window must be an integer >= 0"):
        neighbourhood.rg_local(coords, -1)
    with pytest.raises(ValueError, match="radius_factor must be a positive number"):
        neighbourhood.neighbours(coords, 0)
    with pytest.raises(InputError, match=r"\(n, 3\) array"):
        neighbourhood.rg_local(np.zeros((4, 2)), 5)
