"""The command-line contract: subcommands, --help, exit status 2 with one message and no outputs."""

from pathlib import Path

import polars as pl
import pytest

from conftest import GSDB, MAPPING, REFERENCE, run_cli
from test_annotations_files import make_genome

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # every test runs the command line in a subprocess


@pytest.mark.parametrize("command", ["physical", "compile", "annotations"])
def test_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "--chr" in result.stdout and "--outdir" in result.stdout


def test_top_level_help_and_version():
    result = run_cli("--help")
    assert result.returncode == 0 and "physical" in result.stdout and "compile" in result.stdout
    assert run_cli("--version").returncode == 0


def test_usage_error_is_status_2():
    result = run_cli("physical", "--chr", "21")
    assert result.returncode == 2 and "required" in result.stderr


def test_bad_pdb_status_2_one_message_no_output(tmp_path):
    bad = tmp_path / "chr21.pdb"
    bad.write_text("<html><body>502 Bad Gateway</body></html>\n")
    out = tmp_path / "out"
    result = run_cli("physical", bad, "--chr", "21", "--outdir", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{bad}: no ATOM records" in result.stderr and "HTML page" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_debug_shows_traceback(tmp_path):
    bad = tmp_path / "x.pdb"
    bad.write_text("")
    result = run_cli("physical", bad, "--chr", "21", "--outdir", tmp_path, "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_bad_chromosome(tmp_path):
    result = run_cli("physical", GSDB / "chr21.pdb", "--chr", "chr0", "--outdir", tmp_path)
    assert result.returncode == 2 and "'chr0' is not a human chromosome" in result.stderr


def test_physical_short_chain_and_options(tmp_path):
    from chromapipe.formats.pdb import write_pdb
    from chromapipe.synthetic import random_walk

    pdb = tmp_path / "short.pdb"
    write_pdb(pdb, random_walk(20, seed=5))
    result = run_cli("physical", pdb, "--chr", "X", "--outdir", tmp_path, "--surface", "exterior", "--grid", "fitted")
    assert result.returncode == 0, result.stderr
    assert "no rolling-mean backbone" in result.stderr
    table = pl.read_parquet(tmp_path / "chrX_physical.parquet")
    assert table.height == 20 and table["dist_rolling_mean"].is_nan().all()


def test_compile_missing_input_no_output(tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "compile", "--chr", "21", "--outdir", out,
        "--physical", tmp_path / "nope.parquet",
        "--surface", REFERENCE / "chr21_surface.csv",
        "--annotations", REFERENCE / "chr21_annotations.csv",
    )  # fmt: skip
    assert result.returncode == 2 and "no such file" in result.stderr
    assert not out.exists()


def test_compile_count_mismatch_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "compile", "--chr", "21", "--outdir", out, "--mapping", MAPPING,
        "--physical", REFERENCE / "chr21_physical.csv",
        "--surface", REFERENCE / "chr21_surface.csv",
        "--annotations", REFERENCE / "chr21_annotations.csv",
    )  # fmt: skip
    assert result.returncode == 2
    assert "74 beads and the chromosome 97 bins" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_annotations_from_files(tmp_path):
    fasta, gtf, bins = make_genome(tmp_path, "chr21")
    mapping = tmp_path / "map.txt"
    mapping.write_text("".join(f"{i + 1} 21 {s} {e}\n" for i, (s, e) in enumerate(zip(bins["start"], bins["end"]))))
    result = run_cli(
        "annotations", "--chr", "21", "--mapping", mapping, "--outdir", tmp_path / "ann",
        "--source", "files", "--fasta", fasta, "--gtf", gtf,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pl.read_parquet(tmp_path / "ann" / "chr21_annotations.parquet")
    assert table.columns == ["start", "end", "gc_content", "n_fraction", "gene_density"]
    assert table["gene_density"].to_list() == [2, 2, 2, 0]
    result = run_cli("annotations", "--chr", "21", "--mapping", mapping, "--outdir", tmp_path, "--source", "files")
    assert result.returncode == 2 and "annotation source 'files' needs fasta and gtf" in result.stderr


def test_gsdb_finds_the_shipped_dataset_and_prints_a_config_block_that_parses():
    import yaml

    result = run_cli("gsdb", "--search", "endothelial", "--resolution", "500kb")
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert ["AX9716PF", "GSE105544_ENCFF010WBP"] in [r[:2] for r in rows]
    assert all("endothelial" in r[-1].lower() for r in rows)
    result = run_cli("gsdb", "AX9716PF/GSE105544_ENCFF010WBP", "--algorithm", "3DMax")
    assert result.returncode == 0, result.stderr
    block = yaml.safe_load(result.stdout)
    assert block["gsdb"]["id"] == "AX9716PF" and block["gsdb"]["normalization"] == "VC"
    assert block["assembly"] == "GRCh37"
    result = run_cli("gsdb", "AX9716PF/GSE35156_HindIII", "--algorithm", "3DMax")
    assert result.returncode == 2 and "GSE35156_HindIII" in result.stderr


def test_annotations_with_tracks_and_compartments_on_the_example(tmp_path):
    """The contract form: --track NAME=PATH[:STAT] (repeatable) and --contacts FILE."""
    example = REPO / "workflow" / "resources" / "example"
    common = ["annotations", "--chr", "chr21", "--mapping", example / "bins.txt", "--outdir", tmp_path,
              "--source", "files", "--assembly", "example", "--fasta", example / "genome.fa.gz",
              "--gtf", example / "genes.gtf.gz"]  # fmt: skip
    result = run_cli(*common, "--track", f"sig={example / 'h3k9me3.bw'}:max",
                     "--track", f"lads={example / 'lads.bed.gz'}", "--track", f"n_lads={example / 'lads.bed.gz'}:count",
                     "--contacts", example / "chr21_list.txt")  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = pl.read_parquet(tmp_path / "chr21_annotations.parquet")
    assert table.columns[-5:] == ["compartment_e1", "compartment", "sig", "lads", "n_lads"]
    assert table.schema["n_lads"] == pl.Int64 and table["lads"].min() >= 0 and table["lads"].max() <= 1
    import pyBigWig

    hg19 = tmp_path / "hg19.bw"  # chr21 as long as GRCh37's, not the example's
    with pyBigWig.open(str(hg19), "w") as handle:
        handle.addHeader([("chr21", 48_129_895)])
        handle.addEntries(["chr21"], [0], ends=[1000], values=[1.0])
    for spec, message in [
        (
            f"other={hg19}",
            "track other: the track says chromosome 21 is 48,129,895 bp but the bin map's chromosome "
            "21 ends at 29,689,895: the track is on another assembly than the bin map (the bin map's "
            "assembly is example)",
        ),
        (f"gc_content={example / 'lads.bed.gz'}", "already a column"),
        (f"x={example / 'lads.bed.gz'}", "'x' is already a column"),
        (f"sig2={example / 'lads.bed.gz'}:mean", "does not apply to a bed track"),
        ("novalue", "expected NAME=PATH"),
        (f"absent={tmp_path / 'none.bw'}", "no such file"),
    ]:
        bad = run_cli(*common, "--outdir", tmp_path / "bad", "--track", spec)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr
        assert not (tmp_path / "bad" / "chr21_annotations.parquet").exists()


def test_physical_takes_the_neighbourhood_parameters(tmp_path):
    pdb = REPO / "workflow" / "resources" / "example" / "chr21.pdb"
    for name, options in (("default", ()), ("wide", ("--rg-window", "20", "--neighbour-radius", "3"))):
        result = run_cli("physical", pdb, "--chr", "21", "--outdir", tmp_path / name, *options)
        assert result.returncode == 0, result.stderr
    default, wide = (pl.read_parquet(tmp_path / n / "chr21_physical.parquet") for n in ("default", "wide"))
    assert default.columns[-4:] == ["rg_local", "neighbours", "radial_position_territory", "dist_periphery_territory"]
    assert (wide["rg_local"] > default["rg_local"]).mean() > 0.9 and (wide["neighbours"] >= default["neighbours"]).all()
    for option, value, message in (
        ("--rg-window", "-1", "--rg-window (features.rg_window): -1 is less than the minimum of 0"),
        ("--neighbour-radius", "inf", "--neighbour-radius (features.neighbour_radius): inf is not a finite number"),
        ("--neighbour-radius", "nan", "--neighbour-radius (features.neighbour_radius): nan is not a finite number"),
        ("--neighbour-radius", "0", "--neighbour-radius (features.neighbour_radius): 0.0 is less than or equal to"),
    ):
        bad = run_cli("physical", pdb, "--chr", "21", "--outdir", tmp_path / "bad", option, value)
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


def test_physical_and_compile_of_a_diploid_file_record_what_they_read(tmp_path):
    """A diploid .3dg straight from the command line: homologs of different lengths, the units and the
    homolog recorded, empty (not NaN) where a chain has no backbone, and compile pairing the beads with
    their bins from the file itself (--bead-map positions:FILE)."""
    import json

    from chromapipe.synthetic import random_walk

    example = REPO / "workflow" / "resources" / "example"
    lengths = {"pat": 60, "mat": 40}
    lines = []
    for hap, n in lengths.items():
        coords = random_walk(n, seed=n)
        lines += [f"21({hap})\t{i * 500000}\t{x:.4f}\t{y:.4f}\t{z:.4f}\n" for i, (x, y, z) in enumerate(coords)]
    source = tmp_path / "cell.3dg"
    source.write_text("".join(lines))
    phys = tmp_path / "phys"
    result = run_cli("physical", source, "--chr", "21", "--outdir", phys, "--grid", "fitted")
    assert result.returncode == 0, result.stderr
    assert "60 (pat) + 40 (mat) beads" in result.stderr and "chr21 (mat): 40 beads, no rolling-mean" in result.stderr
    table = pl.read_parquet(phys / "chr21_physical.parquet")
    meta = json.loads(pl.read_parquet_metadata(phys / "chr21_physical.parquet")["chromapipe"])
    assert meta["beads"] == 100 and meta["beads_per_haplotype"] == lengths and meta["units"] == "bead radii (Dip-C)"
    mat = table.filter(pl.col("haplotype") == "mat")["dist_rolling_mean"]
    assert mat.null_count() == 40 and not table["dist_rolling_mean"].is_nan().any()
    assert table.filter(pl.col("haplotype") == "pat")["dist_rolling_mean"].null_count() == 0
    one = run_cli(
        "physical", source, "--chr", "21", "--haplotype", "mat", "--outdir", tmp_path / "mat", "--grid", "fitted"
    )
    assert one.returncode == 0, one.stderr
    meta = json.loads(pl.read_parquet_metadata(tmp_path / "mat" / "chr21_physical.parquet")["chromapipe"])
    assert (meta["haplotype"], meta["beads"]) == ("mat", 40)
    ann = tmp_path / "ann"
    result = run_cli("annotations", "--chr", "21", "--mapping", example / "bins.txt", "--outdir", ann, "--source",
                     "files", "--assembly", "example", "--fasta", example / "genome.fa.gz", "--gtf",
                     example / "genes.gtf.gz")  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = tmp_path / "compiled"
    result = run_cli("compile", "--chr", "21", "--physical", phys / "chr21_physical.parquet", "--surface",
                     phys / "chr21_surface.parquet", "--annotations", ann / "chr21_annotations.parquet", "--mapping",
                     example / "bins.txt", "--bead-map", f"positions:{source}", "--outdir", out)  # fmt: skip
    assert result.returncode == 0, result.stderr
    compiled = pl.read_parquet(out / "chr21_compiled.parquet")
    meta = json.loads(pl.read_parquet_metadata(out / "chr21_compiled.parquet")["chromapipe"])
    assert meta["units"] == "bead radii (Dip-C)"
    for hap, n in lengths.items():
        rows = compiled.filter(pl.col("haplotype") == hap)
        assert rows.height == 60 and rows.filter(pl.col("bead").is_not_null())["start"].to_list() == [
            1 + 500000 * i for i in range(n)
        ]


def test_the_options_of_config_keys_take_default_choices_and_help_from_the_schema():
    from chromapipe import settings
    from chromapipe.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for command, flag, keys in (
        ("physical", "--surface", ("surface", "mode")),
        ("physical", "--grid", ("surface", "grid")),
        ("physical", "--rg-window", ("features", "rg_window")),
        ("physical", "--neighbour-radius", ("features", "neighbour_radius")),
        ("annotations", "--source", ("annotations", "source")),
    ):
        node = settings.read_schema()
        for key in keys:
            node = node["properties"][key]
        action = next(a for a in commands[command]._actions if flag in a.option_strings)
        assert action.default == node["default"], flag
        assert list(action.choices or ()) == node.get("enum", []), flag
        assert " ".join(node["description"].split()).replace("%", "%%") in action.help, flag
