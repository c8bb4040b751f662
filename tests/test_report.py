"""What users see: figures, the summary, the HTML report, and a real browser rendering it."""

import shutil
import struct
import subprocess
import sys

import polars as pl
import pytest
import yaml

from test_workflow import PROFILE, REPO, example_config, snakemake

PNG = b"\x89PNG\r\n\x1a\n"
CHROMOSOMES = ("19", "21", "X")
FIGURES = ("tracks", "structure", "correlation")


@pytest.fixture(scope="module")
def report_run(example_results, tmp_path_factory):
    """The session's example run, and its HTML report (written outside the run's folder)."""
    report = tmp_path_factory.mktemp("report") / "report.html"
    built = snakemake(example_results, "--report", report, configfile=example_results / "config.yaml")
    assert built.returncode == 0, built.stdout + built.stderr
    return example_results, report


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG, f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return len(data), width, height


@pytest.mark.slow
@pytest.mark.parametrize("chrom", CHROMOSOMES)
def test_figures_are_real_pngs(report_run, chrom):
    workdir, _ = report_run
    for name in FIGURES:
        size, width, height = png_size(workdir / "results" / "figures" / f"chr{chrom}_{name}.png")
        assert size > 20_000 and width >= 800 and height >= 400, (name, size, width, height)


@pytest.mark.slow
def test_summary_table(report_run):
    workdir, _ = report_run
    summary = pl.read_parquet(workdir / "results" / "summary" / "summary.parquet")
    assert summary["chr"].to_list() == list(CHROMOSOMES)
    for chrom, row in zip(CHROMOSOMES, summary.iter_rows(named=True)):
        compiled = pl.read_parquet(workdir / "results" / f"chr{chrom}_compiled.parquet")
        surface = pl.read_parquet(workdir / "results" / f"chr{chrom}_surface.parquet")
        assert row["bins"] == compiled.height
        assert row["beads"] == compiled["bead"].is_not_null().sum()
        assert row["bins_without_bead"] == compiled["bead"].is_null().sum() > 0
        assert row["surface_points"] == surface.height
        assert row["median_dist_surface"] == pytest.approx(compiled["dist_surface"].drop_nulls().median(), abs=1e-6)
        assert -1 <= row["rho_surface_gc"] <= 1
    tsv = pl.read_csv(workdir / "results" / "summary" / "summary.tsv", separator="\t")
    assert tsv.columns == summary.columns and tsv.height == 3
    assert png_size(workdir / "results" / "summary" / "summary.png")[0] > 20_000


@pytest.mark.slow
def test_report_contains_every_figure_and_caption(report_run):
    _, report = report_run
    html = report.read_text(errors="replace")
    assert report.stat().st_size > 200_000
    for chrom in CHROMOSOMES:
        for name in FIGURES:
            assert f"chr{chrom}_{name}.png" in html, (chrom, name)
    assert "summary.png" in html and "summary.tsv" in html
    for caption in ("Grey bands are bins without a bead", "Spearman's rank correlation", "voxel surface"):
        assert caption in html, caption


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="no headless Chromium here (.ci/run installs Debian's chromium)")
def test_report_renders_in_headless_chromium_without_javascript_errors(report_run, tmp_path):
    _, report = report_run
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=15000", "--window-size=1400,1000", f"--screenshot={shot}", report.as_uri(),
        ],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    size, width, height = png_size(shot)
    assert (width, height) == (1400, 1000) and size > 30_000  # a rendered page, not a blank one
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    errors = [line for line in console if "Uncaught" in line or "Error" in line or ":ERROR:" in line]
    assert not errors, "\n".join(errors)


@pytest.mark.slow
def test_helpful_failures_come_first(tmp_path):
    configfile = example_config(tmp_path)
    (tmp_path / "example" / "chr19.pdb").unlink()
    cases = {
        ("--config", "chromosomes=19,21,X"): "structures.path (chr19)",
        ("--config", "chromosome=21"): "did you mean 'chromosomes'?",
        ("--config", "chromosomes=chr0"): "'chr0' is not a human chromosome",
    }
    for args, message in cases.items():
        result = snakemake(tmp_path, "-n", *args, configfile=configfile)
        assert result.returncode != 0
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        head = [line for line in lines if not line.startswith(("Using profile", "Config file"))][:3]
        assert head and head[0].startswith("Configuration error:"), lines[:6]
        assert message in "\n".join(head), (message, head)
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_figures_reject_a_bad_table(tmp_path):
    bad = tmp_path / "chr21_compiled.parquet"
    pl.DataFrame({"start": [1]}).write_parquet(bad)
    result = subprocess.run(
        [sys.executable, "-m", "chromapipe.cli", "figures", "--chr", "21", "--compiled", str(bad),
         "--surface", str(bad), "--outdir", str(tmp_path / "out")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and "missing column(s)" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_catalog_shows_the_flags_the_tests_run_the_workflow_with():
    # the formatting tools run in `make lint`, which `make test` runs first; here: the catalog's
    # usage flags name the profile test_workflow.py plans the example with, from the repository
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    assert catalog["usage"]["mandatory-flags"]["flags"].split() == ["--profile", str(PROFILE.relative_to(REPO))]
    assert catalog["usage"]["report"] is True
