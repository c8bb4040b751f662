"""chromapipe.superpose: Kabsch superposition and RMSD, against independent computations."""

import logging

import numpy as np
import polars as pl
import pytest
from scipy.spatial.transform import Rotation

from chromapipe import superpose, tables
from chromapipe.synthetic import random_walk


def _svd_rmsd(p, q):
    """An independent Kabsch: scipy's Wahba solver (proper rotations only), applied and measured."""
    pc, qc = p - p.mean(0), q - q.mean(0)
    rotation, _ = Rotation.align_vectors(qc, pc)
    return float(np.sqrt(((rotation.apply(pc) - qc) ** 2).sum(axis=1).mean()))


@pytest.fixture
def chain():
    return random_walk(200, seed=3).astype(np.float64)


def test_known_transform_gives_zero(chain):
    rotation = Rotation.from_euler("xyz", [30, -50, 110], degrees=True).as_matrix()
    moved = 2.5 * chain @ rotation.T + np.array([10.0, -3.0, 7.0])
    rmsd, scaled = superpose.pair_rmsd(chain, moved)
    assert scaled == pytest.approx(0.0, abs=1e-6)
    assert rmsd > 0.1  # scaled by 2.5: not superposable in the structures' own units
    same, _ = superpose.pair_rmsd(chain, chain @ rotation.T - 4.0)
    assert same == pytest.approx(0.0, abs=1e-6)
    found, value = superpose.kabsch(chain, chain @ rotation.T)
    np.testing.assert_allclose(found, rotation, atol=1e-8)
    assert value == pytest.approx(0.0, abs=1e-8)


def test_against_independent_svd():
    rng = np.random.default_rng(0)
    models = np.stack([random_walk(60, seed=s) for s in range(5)]) + rng.normal(size=(5, 60, 3))
    rmsd, scaled = superpose.pairwise_rmsd(models)
    for a in range(5):
        for b in range(5):
            assert rmsd[a, b] == pytest.approx(_svd_rmsd(models[a], models[b]), abs=1e-8)
            rg = [np.sqrt(((m - m.mean(0)) ** 2).sum(1).mean()) for m in (models[a], models[b])]
            expected = _svd_rmsd((models[a] - models[a].mean(0)) / rg[0], (models[b] - models[b].mean(0)) / rg[1])
            assert scaled[a, b] == pytest.approx(expected, abs=1e-8)
    np.testing.assert_allclose(rmsd, rmsd.T, atol=1e-10)
    assert (np.diag(rmsd) == 0).all()


def test_no_reflection(chain):
    mirror = chain * np.array([-1.0, 1.0, 1.0])  # a mirror image: a reflection would superpose it exactly
    rotation, value = superpose.kabsch(chain, mirror)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    assert value > 0.1
    assert value == pytest.approx(_svd_rmsd(chain, mirror), abs=1e-8)
    assert superpose.pair_rmsd(chain, mirror)[0] == pytest.approx(value, abs=1e-8)


def test_few_beads():
    with pytest.raises(ValueError, match="at least 3"):
        superpose.kabsch(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least 3"):
        superpose.pairwise_rmsd(np.zeros((2, 2, 3)))


def test_point_structure_has_no_scaled_rmsd():
    rmsd, scaled = superpose.pair_rmsd(np.zeros((4, 3)), random_walk(4, seed=1))
    assert np.isfinite(rmsd) and np.isnan(scaled)


def _physical(models, haplotype=None):
    m, n, _ = models.shape
    frame = pl.DataFrame({
        "model": np.repeat(np.arange(1, m + 1), n).astype(np.int32),
        "x": models[:, :, 0].ravel(), "y": models[:, :, 1].ravel(), "z": models[:, :, 2].ravel(),
    })  # fmt: skip
    return frame if haplotype is None else frame.with_columns(pl.lit(haplotype).alias("haplotype"))


def test_model_rmsd_table():
    models = np.stack([random_walk(30, seed=s) for s in range(3)])
    frame = tables.check("model_rmsd", superpose.model_rmsd(_physical(models), "21"))
    assert frame.select("model_a", "model_b").rows() == [(1, 2), (1, 3), (2, 3)]
    assert frame["rmsd"][0] == pytest.approx(_svd_rmsd(models[0], models[1]), abs=1e-8)
    single = superpose.model_rmsd(_physical(models[:1]), "21")
    assert single.is_empty() and single.schema == tables.MODEL_RMSD.schema
    diploid = pl.concat([_physical(models, "pat"), _physical(models[::-1], "mat")])
    assert superpose.model_rmsd(diploid, "1")["haplotype"].to_list() == ["pat"] * 3 + ["mat"] * 3


def _beads(chrom, starts, coords):
    return pl.DataFrame({"chr": chrom, "start": starts, "x": coords[:, 0], "y": coords[:, 1], "z": coords[:, 2]})


def test_dataset_rmsd_shared_bins_units_and_few(caplog):
    coords = random_walk(10, seed=5)
    starts = np.arange(10) * 1000 + 1
    a = _beads("21", starts, coords)
    b = _beads("21", starts[2:], 3 * coords[2:] + 1)  # 8 shared bins, scaled by 3
    c = _beads("21", starts[:2], coords[:2])  # 2 shared bins
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        frame = tables.check("rmsd", superpose.dataset_rmsd({"a": a, "b": b, "c": c},
                                                           {"a": "model units", "b": "nm", "c": "model units"}))  # fmt: skip
    rows = {(r["dataset_a"], r["dataset_b"]): r for r in frame.iter_rows(named=True)}
    assert rows[("a", "b")]["bins"] == 8
    assert rows[("a", "b")]["rmsd"] is None  # different units
    assert rows[("a", "b")]["rmsd_scaled"] == pytest.approx(0.0, abs=1e-6)
    assert (
        rows[("a", "c")]["bins"] == 2 and rows[("a", "c")]["rmsd"] is None and rows[("a", "c")]["rmsd_scaled"] is None
    )
    assert "fewer than 3" in caplog.text


def test_against_loop_reference():
    from loop_agreement import loop_pairwise_rmsd

    rng = np.random.default_rng(7)
    models = np.stack([random_walk(25, seed=s) for s in range(4)]) + rng.normal(size=(4, 25, 3))
    models[3] = models[0] * np.array([1.0, -1.0, 1.0])  # a mirror image among them
    for fast, slow in zip(superpose.pairwise_rmsd(models), loop_pairwise_rmsd(models), strict=True):
        np.testing.assert_allclose(fast, slow, atol=1e-9)


def test_models_of_2_beads_get_no_rmsd_with_a_warning(caplog):
    models = np.stack([random_walk(2, seed=s) for s in range(3)])
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        frame = tables.check("model_rmsd", superpose.model_rmsd(_physical(models), "21"))
    assert frame.height == 3 and frame["beads"].to_list() == [2, 2, 2]
    assert frame["rmsd"].null_count() == 3 and frame["rmsd_scaled"].null_count() == 3  # empty, not NaN
    assert "chr21: 2 beads per model, fewer than 3: no RMSD between models" in caplog.text
