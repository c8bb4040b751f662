"""Trans features (chromapipe.trans): counts against a brute-force loop, the fraction, dist_homolog on a toy."""

import numpy as np
import pytest

from chromapipe import neighbourhood, physical, stage, trans
from chromapipe.synthetic import random_walk
from loop_trans import loop_dist_homolog, loop_neighbours_trans


def genome(seed=0, lengths=(150, 90, 60)):
    """Chains near one another (random walks from nearby origins), their labels."""
    rng = np.random.default_rng(seed)
    walks = [random_walk(n, seed=seed + k) * 0.5 + rng.normal(scale=0.3, size=3) for k, n in enumerate(lengths)]
    labels = np.concatenate([[f"c{k}"] * n for k, n in enumerate(lengths)])
    return np.vstack(walks), labels


@pytest.mark.parametrize(("seed", "factor"), [(0, 1.5), (1, 3.0), (2, 0.5)])
def test_neighbours_trans_against_the_loop(seed, factor):
    coords, chains = genome(seed)
    counts = trans.neighbours_trans(coords, chains, factor)
    np.testing.assert_array_equal(counts, loop_neighbours_trans(coords, chains, factor))
    assert counts.sum() > 0  # the toy has trans contacts at all


def test_one_chain_has_no_trans_neighbours_and_a_single_bead_chain_none_either():
    coords, _ = genome(3)
    assert not trans.neighbours_trans(coords, ["a"] * len(coords), 1.5).any()
    chains = np.array(["a"] * (len(coords) - 1) + ["b"])  # b: one bead, no bond, no radius
    counts = trans.neighbours_trans(coords, chains, 1.5)
    assert counts[-1] == 0
    np.testing.assert_array_equal(counts, loop_neighbours_trans(coords, chains, 1.5))


def test_trans_fraction():
    fraction = trans.trans_fraction([0, 3, 0, 1], [0, 1, 2, 0])
    assert np.isnan(fraction[0])
    assert fraction[1:] == pytest.approx([0.25, 1.0, 0.0])


def test_dist_homolog_on_a_two_homolog_toy():
    pat = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0]], dtype=float)
    mat = np.array([[0, 3, 0], [1, 4, 0], [5, 5, 5]], dtype=float)  # its third bead sits on another bin
    coords = np.vstack([pat, mat])
    chrom = ["1"] * 6
    hap = ["pat"] * 3 + ["mat"] * 3
    start = [1, 101, 201, 1, 101, 301]
    distance = trans.dist_homolog(coords, chrom, hap, start)
    np.testing.assert_allclose(distance, [3.0, 4.0, np.nan, 3.0, 4.0, np.nan])
    np.testing.assert_allclose(distance, loop_dist_homolog(coords, chrom, hap, start))


def test_dist_homolog_against_the_loop_on_two_chromosomes():
    rng = np.random.default_rng(5)
    chrom = np.repeat(["1", "1", "2", "2", "3"], 40)
    hap = np.tile(np.repeat(["pat", "mat"], 40), 3)[:200]
    start = np.concatenate([rng.choice(60, 40, replace=False) * 100 + 1 for _ in range(5)])
    coords = rng.normal(size=(200, 3))
    np.testing.assert_allclose(trans.dist_homolog(coords, chrom, hap, start),
                               loop_dist_homolog(coords, chrom, hap, start))  # fmt: skip


def test_a_diploid_genome_wide_file_gets_every_trans_column(tmp_path):
    coords, chains = genome(7, (80, 80, 50))
    names = {"c0": ("1", "pat"), "c1": ("1", "mat"), "c2": ("2", "pat")}
    path = tmp_path / "cell.3dg"
    lines, index = [], {}
    for (x, y, z), label in zip(coords, chains, strict=True):
        c, h = names[label]
        i = index[label] = index.get(label, -1) + 1
        lines.append(f"{c}({h})\t{1 + 100000 * i}\t{x:.6f}\t{y:.6f}\t{z:.6f}")
    path.write_text("\n".join(lines) + "\n")
    frame, info = stage.load_structure(path, "1", neighbour_radius=2.0)
    beads = np.array([[float(v) for v in line.split("\t")[2:]] for line in lines], dtype=np.float32).astype(float)
    expected = loop_neighbours_trans(beads, chains, 2.0)[:160]
    pat, mat = frame.filter(frame["haplotype"] == "pat"), frame.filter(frame["haplotype"] == "mat")
    assert np.concatenate([pat["neighbours_trans"], mat["neighbours_trans"]]).tolist() == expected.tolist()
    np.testing.assert_allclose(pat["dist_homolog"].to_numpy(), np.linalg.norm(beads[:80] - beads[80:160], axis=1))
    table = physical.structure_physical(frame, info, "1", "cell", "all", "auto", 5, 2.0)[0]
    cis = np.concatenate([neighbourhood.neighbours(beads[:80], 2.0), neighbourhood.neighbours(beads[80:160], 2.0)])
    assert table["neighbours"].to_list() == cis.tolist()
    np.testing.assert_allclose(table["trans_fraction"].to_numpy(), trans.trans_fraction(cis, expected))
    assert {"radial_position", "dist_periphery", "neighbours_trans", "trans_fraction", "dist_homolog"} <= set(
        table.columns
    )
