"""The steps (chromapipe.steps) without Snakemake: each reads its inputs, calls the science and writes its
tables; structures of other formats, ensembles and diploid files through them."""

import gc
import inspect
import re

import numpy as np
import polars as pl
import pytest

from chromapipe import steps, tables
from chromapipe.errors import InputError
from chromapipe.formats.pdb import read_pdb
from conftest import EXAMPLE, GSDB, MAPPING, REFERENCE, physical_settings


def test_a_chromosome_through_the_steps_reads_each_file_once(tmp_path):
    """fetch_pdb, fetch_mapping, compute_physical, fetch_annotations (table), compile: each input parsed once,
    by its staging step; the later steps read the staged tables only (the sources are gone by then)."""
    import shutil

    sources = tmp_path / "sources"
    sources.mkdir()
    pdb, mapping = shutil.copy(GSDB / "chr21.pdb", sources), shutil.copy(MAPPING, sources)
    staged = {k: tmp_path / f"{k}.parquet" for k in ("structure", "bins", "physical", "surface", "annotations")}
    steps.fetch_pdb(staged["structure"], "21", source=pdb)
    steps.fetch_mapping(mapping, staged["bins"])
    shutil.rmtree(sources)
    steps.compute_physical(staged["structure"], staged["physical"], staged["surface"], "21", **physical_settings())
    steps.fetch_annotations(staged["bins"], staged["annotations"], "21", "table", "GRCh37",
                          table=REFERENCE / "chr21_annotations.csv")  # fmt: skip
    out = tmp_path / "out"
    steps.compile(staged["physical"], staged["surface"], staged["annotations"], out / "chr21_compiled.parquet",
                      out / "chr21_surface.parquet", "21", "sequential", legacy=True, bins=staged["bins"])  # fmt: skip
    compiled = pl.read_parquet(out / "chr21_compiled.parquet")
    assert compiled.equals(pl.read_parquet(REFERENCE / "chr21_compiled.parquet"))
    meta = tables.read_metadata(out / "chr21_compiled.parquet")
    assert meta["physical"]["structure"] == "chr21.pdb" and meta["units"] == "model units"
    staged_coords = tables.read("structure", staged["structure"]).select("x", "y", "z").to_numpy()
    assert np.array_equal(staged_coords, read_pdb(GSDB / "chr21.pdb"))


def test_staging_errors_name_the_source_not_a_temporary_copy(tmp_path):
    import tarfile

    bad = tmp_path / "chr21.pdb"
    bad.write_text("<html>404</html>\n")
    archive = tmp_path / "data.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(bad, arcname="top/VC/chr21.pdb")
    with pytest.raises(InputError, match=re.escape(f"{archive}!VC/chr21.pdb: no ATOM records")):
        steps.fetch_pdb(tmp_path / "s.parquet", "21", source=archive, member="VC/chr21.pdb")
    assert not (tmp_path / "s.parquet").exists()


def test_rule_wiring_refuses_a_name_used_twice():
    with pytest.raises(InputError, match="'surface' is both"):
        steps.step_arguments({"surface": "a"}, {"surface": "b"}, {}, {"chr": "21"})
    assert steps.step_arguments({"a": 1}, {"b": 2}, {"c": 3}, {"chr": "X"}) == {"a": 1, "b": 2, "c": 3, "chrom": "X"}
    assert set(steps.STEPS) >= {"fetch_pdb", "compute_physical", "fetch_annotations", "compile"}


def test_a_batch_job_gives_each_chromosome_its_own_paths_and_params():
    """batch: dataset: the inputs that differ are split by the plan's counts (None: one path), the shared ones go
    whole to every chromosome, outputs one per chromosome, the plan's params per chromosome."""
    plan = {"chromosomes": ["19", "X"], "inputs": {"source": [None, None], "index": [2, 1]},
            "params": [{"member": "a"}, {"member": "b"}]}  # fmt: skip
    inputs = {"source": ["s19", "sX"], "index": ["i19a", "i19b", "iX"], "bins": "bins", "tracks": ["t1", "t2"]}
    calls = steps.batch_arguments(inputs, {"out": ["o19", "oX"]}, {"colour_by": "c"}, {"dataset": "d"}, plan)
    assert list(calls) == ["19", "X"]
    assert calls["19"] == {"source": "s19", "index": ["i19a", "i19b"], "bins": "bins", "tracks": ["t1", "t2"],
                           "out": "o19", "colour_by": "c", "member": "a", "chrom": "19"}  # fmt: skip
    assert calls["X"]["index"] == ["iX"] and calls["X"]["out"] == "oX" and calls["X"]["member"] == "b"
    with pytest.raises(InputError, match="output 'out' has 1 paths for 2 chromosomes"):
        steps.batch_arguments(inputs, {"out": "o19"}, {}, {}, plan)
    with pytest.raises(InputError, match="input 'index' has 2 paths"):
        steps.batch_arguments({**inputs, "index": ["i19a", "iX"]}, {"out": ["o19", "oX"]}, {}, {}, plan)


def test_a_failing_chromosome_of_a_batch_job_is_named_and_the_others_still_run(caplog):
    done = []

    def step(chrom):
        if chrom == "21":
            raise InputError("no ATOM records")
        done.append(chrom)

    calls = {c: {"chrom": c} for c in ("19", "21", "X")}
    assert steps.run_batch("fetch_pdb", step, calls) == ["21"]
    assert done == ["19", "X"]
    assert "fetch_pdb chr21: no ATOM records" in caplog.text
    assert "fetch_pdb: 1 of 3 chromosomes failed: chr21" in caplog.text
    assert steps.run_batch("fetch_pdb", step, {"X": {"chrom": "X"}}) == []


def test_the_adapter_gives_a_job_s_threads_only_to_a_step_that_takes_them(tmp_path, monkeypatch):
    """from_snakemake: the rule's threads (Snakemake's ``snakemake.threads``) reach a step with a ``threads``
    argument (summary's bootstrap), and no other step."""
    from types import SimpleNamespace

    seen = {}
    monkeypatch.setitem(steps.STEPS, "uses", lambda out, threads=1: seen.update(uses=threads))
    monkeypatch.setitem(steps.STEPS, "ignores", lambda out: seen.update(ignores=out))
    for rule in ("uses", "ignores"):
        smk = SimpleNamespace(rule=rule, log=[str(tmp_path / f"{rule}.log")], threads=3, params={},
                              input={}, output={"out": "o"}, wildcards={})  # fmt: skip
        steps.from_snakemake(smk)
    gc.unfreeze()  # a job's heap is frozen before it exits: not this process's
    assert seen == {"uses": 3, "ignores": "o"}
    assert "threads" in inspect.signature(steps.summary).parameters


# --- structures from other formats, through the steps ------------------------------------------------


def _through_steps(root, paths, source, name, pairing="positions", **options):
    """Stage ``source``, compute its features and compile it beside the example's annotations."""
    out = {k: root / f"{name}_{k}.parquet" for k in ("structure", "physical", "surface", "compiled", "published")}
    steps.fetch_pdb(out["structure"], "21", source=source, **options)
    steps.compute_physical(out["structure"], out["physical"], out["surface"], "21", **physical_settings())
    steps.compile(out["physical"], out["surface"], paths["ann"], out["compiled"], out["published"], "21", pairing,
                      bins=paths["bins"], positions=out["structure"])  # fmt: skip
    return out


def test_a_format_with_positions_compiles_to_the_pdb_table(example_chr21, tmp_path):
    """Dip-C .3dg with its own positions (bead_map: positions) = the PDB with its contact list, bit for bit."""
    from chromapipe import formats

    root, paths, structure = example_chr21
    source = tmp_path / "chr21.3dg"
    formats.write_structure(structure, source)
    out = _through_steps(tmp_path, paths, source, "dipc")
    staged = tables.read("structure", out["structure"])
    assert staged["start"].to_list() == structure.positions.tolist() and set(staged["model"]) == {1}
    assert tables.read_metadata(out["structure"])["format"] == "dipc-3dg"
    reference = pl.read_parquet(root / "chr21_compiled.parquet")
    assert pl.read_parquet(out["compiled"]).equals(reference)
    assert pl.read_parquet(out["published"]).equals(pl.read_parquet(root / "chr21_surface.parquet"))
    # the PDB path keeps its table: no model, start or haplotype beyond the structure table
    assert pl.read_parquet(paths["physical"]).columns == list(tables.PHYSICAL.names)


def test_an_off_grid_position_is_an_error_naming_it(example_chr21, tmp_path):
    from chromapipe import formats

    _, paths, structure = example_chr21
    shifted = structure.start.copy()
    shifted[3] += 1000
    moved = formats.Structure(structure.chrom, structure.haplotype, shifted, structure.model, structure.coords,
                              structure.units, "pdb")  # fmt: skip
    source = tmp_path / "chr21.3dg"
    formats.write_structure(moved, source)  # Dip-C: the reader finds it off its own grid
    with pytest.raises(InputError, match=rf"chr21.3dg, line 4: position {shifted[3] - 1} of 21 is off"):
        _through_steps(tmp_path, paths, source, "off")
    formats.write_structure(moved, source, "hickit-3dg")  # hickit has no grid: the bin map is the check
    with pytest.raises(InputError, match=rf"bead 4 starts at {shifted[3]} \(1-based\), which is no bin start"):
        _through_steps(tmp_path, paths, source, "off")
    with pytest.raises(InputError, match="bead map 'positions': the pdb file has no bead positions"):
        _through_steps(tmp_path, paths, EXAMPLE / "chr21.pdb", "pdb")


def _ensemble(structure, *scales, jitter=0.0):
    """``structure``'s beads as an ensemble, model k scaled by ``scales[k]`` (1, 1, 1: identical models);
    with ``jitter``, models after the first also move by seeded normal noise of that scale."""
    from chromapipe import formats

    n = len(structure)
    rng = np.random.default_rng(7)
    models = [structure.coords * np.float32(s) for s in scales]
    models[1:] = [m + rng.normal(scale=jitter, size=m.shape) for m in models[1:]] if jitter else models[1:]
    return formats.Structure(
        np.tile(structure.chrom, len(scales)), np.tile(structure.haplotype, len(scales)),
        np.tile(structure.start, len(scales)), np.repeat(np.arange(1, len(scales) + 1), n),
        np.vstack([m.astype(np.float32) for m in models]), structure.units, "n3d",
    )  # fmt: skip


def test_an_ensemble_of_identical_models_gives_the_single_models_means_and_sd_zero(example_chr21, tmp_path):
    from chromapipe import formats

    root, paths, structure = example_chr21
    source = tmp_path / "chr21.n3d"
    formats.write_structure(_ensemble(structure, 1, 1, 1), source)
    out = _through_steps(tmp_path, paths, source, "three")
    physical = pl.read_parquet(out["physical"])
    assert physical.columns == ["model", *tables.PHYSICAL.names] and physical.height == 3 * len(structure)
    single = pl.read_parquet(paths["physical"])
    for model in (1, 2, 3):
        assert physical.filter(pl.col("model") == model).drop("model").equals(single)
    surface = pl.read_parquet(out["published"])
    assert surface.columns == ["model", "x", "y", "z"] and surface["model"].unique().to_list() == [1, 2, 3]
    compiled = pl.read_parquet(out["compiled"])
    reference = pl.read_parquet(root / "chr21_compiled.parquet")
    whole_file = {c.name for c in tables.PHYSICAL.columns if c.only and c.name in tables.SD_FEATURES}  # none here
    sds = [f"{c}_sd" for c in tables.SD_FEATURES if c not in whole_file]
    assert compiled.columns == [*reference.columns, "n_models", *sds]
    assert compiled.select(reference.columns).equals(reference)
    with_bead = compiled.filter(pl.col("bead").is_not_null())
    assert with_bead["n_models"].unique().to_list() == [3]
    assert all((with_bead[c].drop_nulls() == 0).all() for c in sds)
    assert compiled.filter(pl.col("bead").is_null())["n_models"].is_null().all()
    tables.check("compiled", compiled)


def test_ensemble_means_and_sds_match_per_model_runs(example_chr21, tmp_path):
    from chromapipe import formats

    _, paths, structure = example_chr21
    ensemble = _ensemble(structure, 1.0, 1.5, jitter=0.02)  # the jitter changes neighbours and rg_local too
    source = tmp_path / "chr21.n3d"
    formats.write_structure(ensemble, source)
    compiled = pl.read_parquet(_through_steps(tmp_path, paths, source, "two")["compiled"])
    per_model = []
    for k, model in enumerate(ensemble.models()):
        single = tmp_path / f"model{k}.3dg"
        formats.write_structure(model, single, "dipc-3dg")
        per_model.append(pl.read_parquet(_through_steps(tmp_path, paths, single, f"m{k}")["physical"]))
    rows = compiled.filter(pl.col("bead").is_not_null()).sort("bead")
    assert not per_model[0]["neighbours"].equals(per_model[1]["neighbours"])  # the means are not whole numbers
    for feature in [c for c in tables.SD_FEATURES if c in per_model[0].columns]:
        values = np.vstack([m[feature].to_numpy() for m in per_model]).astype(float)
        mean = np.where(np.isnan(values).any(axis=0), np.nan, values.mean(axis=0))
        assert np.allclose(rows[feature].to_numpy(), mean, atol=6e-5, equal_nan=True), feature
        sd = np.where(np.isnan(values).any(axis=0), np.nan, values.std(axis=0, ddof=1))
        assert np.allclose(rows[f"{feature}_sd"].to_numpy(), sd, atol=6e-5, equal_nan=True), feature


def _diploid_genome(structure, other):
    """chr21 and ``other`` (another chromosome's structure), each with two homologs (mat moved by +0.5)."""
    from chromapipe import formats

    parts = [
        (s, hap, s.coords + np.float32(shift)) for s in (structure, other) for hap, shift in (("pat", 0), ("mat", 0.5))
    ]
    return formats.Structure(
        np.concatenate([s.chrom for s, _, _ in parts]), np.concatenate([np.full(len(s), h, object) for s, h, _ in parts]),
        np.concatenate([s.start for s, _, _ in parts]), np.ones(sum(len(s) for s, _, _ in parts), dtype=np.int64),
        np.vstack([c for _, _, c in parts]).astype(np.float32), "bead radii", "dipc-3dg",
    )  # fmt: skip


def test_a_diploid_genome_wide_file_is_split_and_homologs_are_kept_apart(example_chr21, tmp_path):
    from chromapipe import formats

    root, paths, structure = example_chr21
    other = formats.Structure(np.full(7, "19", object), np.full(7, None, object), np.arange(7) * 500000 + 1,
                              np.ones(7, dtype=np.int64), np.arange(21, dtype=np.float32).reshape(7, 3), "", "x")  # fmt: skip
    genome = _diploid_genome(structure, other)
    source = tmp_path / "cell.3dg"
    formats.write_structure(genome, source)
    out = _through_steps(tmp_path, paths, source, "both")
    staged = tables.read("structure", out["structure"])
    assert staged["haplotype"].unique(maintain_order=True).to_list() == ["pat", "mat"]
    chr21 = np.asarray(genome.chrom == "21")
    assert np.allclose(staged["dist_nucleus_com"].to_numpy(), formats.dist_nucleus_com(genome)[chr21], atol=1e-12)
    compiled = pl.read_parquet(out["compiled"])
    reference = pl.read_parquet(root / "chr21_compiled.parquet")
    assert compiled.columns[:2] == ["chr", "haplotype"] and "dist_nucleus_com" in compiled.columns
    assert compiled.height == 2 * reference.height
    # each homolog alone (structures.haplotype) gives that homolog's rows: never averaged
    for hap in ("pat", "mat"):
        alone = pl.read_parquet(_through_steps(tmp_path, paths, source, hap, haplotype=hap)["compiled"])
        assert "haplotype" not in alone.columns
        assert compiled.filter(pl.col("haplotype") == hap).drop("haplotype").equals(alone)
    pat = compiled.filter(pl.col("haplotype") == "pat").select(reference.columns)
    assert pat.equals(reference)  # the pat homolog is the example's chr21 itself


# --- track and compartment columns, correlations (issue 17) -------------------------------------------------


def test_tracks_and_compartments_reach_the_compiled_table_and_the_correlations(example_chr21, tmp_path):
    """The example's chr21 with its contact list, two tracks and a permuted copy of one, through the steps."""
    import pyBigWig

    root, paths, _ = example_chr21
    lads = EXAMPLE / "lads.bed.gz"
    rng = np.random.default_rng(5)
    shuffled = tmp_path / "shuffled.bedGraph"  # the bigWig's values, permuted among its intervals
    with pyBigWig.open(str(EXAMPLE / "h3k9me3.bw")) as handle:
        steps_ = handle.intervals("chr21")
    values = rng.permutation([v for _, _, v in steps_])
    shuffled.write_text("".join(f"chr21\t{s}\t{e}\t{v}\n" for (s, e, _), v in zip(steps_, values)))
    ann = tmp_path / "ann.parquet"
    steps.fetch_annotations(paths["bins"], ann, "21", "files", "example", fasta=EXAMPLE / "genome.fa.gz",
                          gtf=EXAMPLE / "genes.gtf.gz", contacts=EXAMPLE / "chr21_list.txt",
                          tracks=[EXAMPLE / "h3k9me3.bw", lads, shuffled],
                          track_specs=[{"name": "h3k9me3"}, {"name": "lads"}, {"name": "shuffled"}])  # fmt: skip
    compiled = tmp_path / "chr21_compiled.parquet"
    steps.compile(paths["physical"], paths["surface"], ann, compiled, tmp_path / "surface.parquet", "21",
                      "contacts", bins=paths["bins"], positions=paths["positions"])  # fmt: skip
    frame = steps.read_compiled(compiled)
    base = pl.read_parquet(root / "chr21_compiled.parquet")
    assert frame.columns == [*base.columns, "compartment_e1", "compartment", "h3k9me3", "lads", "shuffled"]
    assert frame.select(base.columns).equals(base)  # the new columns change nothing else
    assert frame.schema["h3k9me3"] == pl.Float64 and frame.schema["compartment_e1"] == pl.Float32
    assert set(frame["compartment"].drop_nulls()) == {"A", "B"}
    assert tables.read_metadata(compiled)["tracks"][1] == {"name": "lads", "stat": "coverage", "format": "bed",
                                                           "file": "lads.bed.gz"}  # fmt: skip
    out = {k: tmp_path / f"summary.{k}" for k in ("tsv", "parquet", "png")}
    out.update({f"c{k}": tmp_path / f"correlations.{k}" for k in ("tsv", "parquet", "png")})
    steps.summary([compiled], [tmp_path / "surface.parquet"], out["tsv"], out["parquet"], out["png"],
                      correlations_table=out["ctsv"], correlations_parquet=out["cparquet"], heatmap=out["cpng"],
                      dataset="example")  # fmt: skip
    corr = tables.read("correlations", out["cparquet"])
    assert set(corr["feature"]) == {"dist_surface", "dist_com", "dist_rolling_mean", "rg_local", "neighbours",
                                    "radial_position_territory", "dist_periphery_territory"}  # fmt: skip
    assert corr["annotation"].unique(maintain_order=True).to_list() == [
        "gc_content", "gene_density", "compartment_e1", "h3k9me3", "lads", "shuffled"
    ]  # fmt: skip
    assert (corr["chromosome"] == "21").all() and (corr["dataset"] == "example").all()  # one chromosome: no genome row
    beads = int(frame["bead"].is_not_null().sum())
    gc = corr.filter(pl.col("annotation") == "gc_content")
    assert (gc["n_bins"] == beads).all()  # every bin with a bead has GC content
    shuffled_rows = corr.filter(pl.col("annotation") == "shuffled")
    assert not shuffled_rows["significant"].any()  # a permuted track: every interval covers 0
    assert ((shuffled_rows["ci_low"] < 0) & (shuffled_rows["ci_high"] > 0)).all()
    planted = corr.filter((pl.col("annotation") == "h3k9me3") & (pl.col("feature") == "dist_surface"))
    assert planted.height == 1 and out["cpng"].stat().st_size > 0


def test_a_bead_count_its_rule_cannot_explain_names_the_algorithm_and_no_other_error_does(bins21):
    """The GSDB note rides on the error's type (BeadMismatch), not on the word 'beads' in its text."""
    from chromapipe.compile import compile_structure
    from chromapipe.errors import BeadMismatch

    physical = tables.read("physical", REFERENCE / "chr21_physical.csv")
    annotations = tables.read("annotations", REFERENCE / "chr21_annotations.csv")
    with pytest.raises(BeadMismatch, match="3DMax structure of chr21: bead map 'sequential' needs as many beads"):
        compile_structure("21", physical, annotations, bins21, "sequential", algorithm="3DMax")
    off_grid = {None: bins21["start"].to_numpy()[23:] + 7}  # no bin starts there: not a bead count problem
    with pytest.raises(InputError) as error:
        compile_structure("21", physical, annotations, bins21, "contacts", off_grid, "beads_chr21.txt", "3DMax")
    assert "are not bin starts" in str(error.value) and "3DMax" not in str(error.value)
    assert not isinstance(error.value, BeadMismatch)
