"""What users see: figures, the summary, the HTML report, and a real browser rendering it."""

import itertools
import json
import re
import shutil
import struct
import subprocess
import sys

import docutils.core
import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from chromapipe import report, stats, tables  # noqa: E402
from test_workflow import PROFILE, REPO, example_config, snakemake  # noqa: E402

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
    assert "correlations.png" in html and "correlations.tsv" in html  # the heatmap and its table
    for caption in (
        "Grey bands are bins without a bead",
        "Spearman's rank correlation",
        "voxel surface",
        "model units",
        "coloured by compartment",  # the example's report.colour_by
        "moving-block bootstrap",
        "A/B compartment eigenvector and",
    ):
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


# --- Readable figures, measured with matplotlib's own renderer on a small synthetic chromosome (no Snakemake) ---

REPORT_TEXTS = REPO / "workflow" / "report"
NANOMETRES = re.compile(r"\bnm\b", re.IGNORECASE)  # the landing page may say "not nanometres"


def synthetic_chromosome(bins=60, gap=range(10, 16), seed=7):
    """A compiled table (a random-walk chain spanning about 2 model units, a gap without beads) and a surface."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=0.12, size=(bins, 3))
    xyz = np.cumsum(steps, axis=0)
    has_bead = np.array([i not in gap for i in range(bins)])
    bead = np.where(has_bead, np.cumsum(has_bead), -1)

    def physical(values):
        return [float(v) if keep else None for v, keep in zip(values, has_bead)]

    table = pl.DataFrame(
        {
            "start": np.arange(bins) * 500_000,
            "end": (np.arange(bins) + 1) * 500_000,
            "bead": [int(b) if b > 0 else None for b in bead],
            "x": physical(xyz[:, 0]),
            "y": physical(xyz[:, 1]),
            "z": physical(xyz[:, 2]),
            "dist_surface": physical(rng.uniform(0.02, 0.6, bins)),
            "dist_com": physical(rng.uniform(0.3, 2.0, bins)),
            "dist_rolling_mean": physical(rng.uniform(0.3, 2.0, bins)),
            "gc_content": rng.uniform(0.3, 0.6, bins),
            "gene_density": rng.integers(0, 8, bins).astype(float),
        }
    )
    # the real surfaces reach about one unit beyond the beads on every side
    low, high = xyz.min(axis=0) - 1.0, xyz.max(axis=0) + 1.0
    surface = pl.DataFrame(rng.uniform(low, high, size=(6000, 3)), schema=["x", "y", "z"], orient="row")
    return table, surface


def synthetic_summary(chromosomes):
    table, surface = synthetic_chromosome()
    rows = [stats.summary_row(chrom, table, surface) for chrom in chromosomes]
    # the tallest bar reaches the top of its panel, where a legend inside the panel would sit; rho differs
    return stats.summary_table(rows).with_columns(
        pl.Series("median_dist_com", np.linspace(0.5, 2.0, len(rows))),
        pl.Series("rho_surface_gc", np.linspace(-0.6, 0.9, len(rows))),
        pl.Series("rho_surface_genes", np.linspace(0.8, -0.3, len(rows))),
    )


class Footprint:
    """The rectangle a drawn text covers, rotated with the text (a bounding box of a tilted 3D axis label would
    also cover tick labels it does not touch)."""

    def __init__(self, text, renderer):
        self.box = text.get_window_extent(renderer)  # axis-aligned, around the rotated rectangle
        self.angle = np.deg2rad(text.get_rotation())
        if np.isclose(np.sin(2 * self.angle), 0):  # upright or sideways: the box is the rectangle
            self.angle, self.width, self.height = 0.0, self.box.width, self.box.height
        else:  # one line of plain text (3D tick and axis labels)
            self.width, self.height, _ = renderer.get_text_width_height_descent(
                text.get_text(), text.get_fontproperties(), ismath=False
            )
        self.centre = np.array([self.box.x0 + self.box.width / 2, self.box.y0 + self.box.height / 2])
        self.axes = np.array([[np.cos(self.angle), np.sin(self.angle)], [-np.sin(self.angle), np.cos(self.angle)]])

    def points(self):
        along, across = np.meshgrid(np.linspace(-0.5, 0.5, 25) * self.width, np.linspace(-0.5, 0.5, 7) * self.height)
        return self.centre + np.column_stack([along.ravel(), across.ravel()]) @ self.axes

    def covers(self, points):
        local = (points - self.centre) @ self.axes.T
        return bool(np.any((np.abs(local[:, 0]) <= self.width / 2) & (np.abs(local[:, 1]) <= self.height / 2)))

    def overlaps(self, other):
        return self.covers(other.points()) or other.covers(self.points())


@pytest.fixture
def drawn(monkeypatch):
    """Draw a Figure; give every text's footprint as it was drawn, and close the figures afterwards.

    Footprints are taken while drawing: 3D axes place their tick labels during the draw, and asking a label for
    its extent afterwards moves it back to a 2D position it was never drawn at.
    """
    figures, extents, draw_text = [], {}, Text.draw

    def recording(text, renderer):
        draw_text(text, renderer)
        if text.get_visible() and text.get_text():
            extents[text] = Footprint(text, renderer)

    monkeypatch.setattr(Text, "draw", recording)

    def draw(figure):
        figures.append(figure)
        figure.canvas.draw()
        return figure.canvas.get_renderer()

    draw.extents = extents
    yield draw
    for figure in figures:
        plt.close(figure)


def overlapping(texts, extents):
    """The pairs of drawn texts whose footprints overlap."""
    drawn_texts = [(text.get_text(), extents[text]) for text in texts if text in extents]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(drawn_texts, 2) if box_a.overlaps(box_b)]


@pytest.mark.parametrize("newer", [False, True], ids=["older table", "newer table"])
def test_tracks_y_labels_do_not_overlap_and_stay_beside_their_own_panel(drawn, newer):
    table, _ = synthetic_chromosome()
    tracks = ("h3k9me3", "lads") if newer else ()
    figure = report.tracks_figure(with_new_columns(table) if newer else table, "21", tracks)
    renderer = drawn(figure)
    axes = figure.axes
    assert len(axes) == len(report.TRACKS) + (5 if newer else 0)
    assert all(ax.yaxis.label in drawn.extents for ax in axes)
    assert not overlapping([ax.yaxis.label for ax in axes], drawn.extents)
    for ax in axes:
        label, panel = drawn.extents[ax.yaxis.label].box, ax.get_window_extent(renderer)
        assert panel.y0 <= label.y0 and label.y1 <= panel.y1, (ax.get_ylabel(), label, panel)
        ticks = [tick.label1 for tick in ax.yaxis.majorTicks]
        assert not overlapping([ax.yaxis.label, *ticks], drawn.extents), ax.get_ylabel()


def test_tracks_title_sits_above_the_first_panel(drawn):
    table, _ = synthetic_chromosome()
    for figure in (report.tracks_figure(table, "21"), report.tracks_figure(with_new_columns(table), "21", ("lads",))):
        renderer = drawn(figure)
        title = drawn.extents[figure._suptitle].box
        first = figure.axes[0].get_tightbbox(renderer)  # the panel with its tick labels
        assert title.y0 >= first.y1, (title, first)
        assert title.y1 <= figure.bbox.y1  # and inside the figure


def test_tracks_draw_nothing_across_bins_without_a_bead(drawn):
    """Every panel's line breaks at bins without a bead: an annotation there (a gap's 0 genes) is not drawn."""
    table, _ = synthetic_chromosome()
    table = with_new_columns(table).with_columns(gene_density=pl.when(pl.col("bead").is_null()).then(0.0)
                                                 .otherwise(pl.col("gene_density")))  # fmt: skip
    figure = report.tracks_figure(table, "21", ("h3k9me3", "lads"))
    drawn(figure)
    no_bead = table["bead"].is_null().to_numpy()
    gap = (table["start"].to_numpy()[no_bead].min() / 1e6, table["end"].to_numpy()[no_bead].max() / 1e6)
    for ax in figure.axes:
        points = [np.column_stack(line.get_data()).astype(float) for line in ax.lines]
        points += [collection.get_offsets() for collection in ax.collections
                   if collection not in grey_bands(ax) and collection not in bar_collections(ax)]  # fmt: skip
        points += [np.array([[x, height]]) for x, _, height, _ in e1_bars(ax)]
        drawn_points = np.concatenate(points)
        inside = (drawn_points[:, 0] > gap[0]) & (drawn_points[:, 0] < gap[1]) & np.isfinite(drawn_points[:, 1])
        assert not inside.any(), (ax.get_ylabel(), drawn_points[inside])
        assert np.isfinite(drawn_points[:, 1]).sum() > 0.8 * (~no_bead).sum()  # the bins with a bead are drawn


def test_no_bead_bands_join_adjacent_bins_and_keep_apart_ones():
    start, end = np.array([0, 1, 2, 3, 4, 5, 7.0]), np.array([1, 2, 3, 4, 5, 6, 8.0])  # no bin from 6 to 7
    no_bead = np.array([True, True, False, True, False, True, True])
    assert report.no_bead_bands(start, end, no_bead) == [(0, 2), (3, 4), (5, 6), (7, 8)]
    assert report.no_bead_bands(start, end, np.zeros(7, dtype=bool)) == []


def diploid_chromosome():
    """Two homologs with gaps of their own: no homolog has a bead on bins 0-2 and 20 only."""
    pat, surface = synthetic_chromosome(gap=(0, 1, 2, 20, 33, 34), seed=7)
    mat, _ = synthetic_chromosome(gap=(0, 1, 2, 3, 20, 40, 59), seed=8)
    return pl.concat([pat.with_columns(haplotype=pl.lit("pat")), mat.with_columns(haplotype=pl.lit("mat"))]), surface


@pytest.mark.parametrize("ploidy", ["haploid", "diploid"])
def test_grey_bands_cover_exactly_the_bins_without_a_bead_in_every_panel(drawn, ploidy):
    """One band per run of bins without a bead (of any homolog), in every panel, full height, on the bins' edges;
    the x range shows them (a band at the chromosome's start too); drawn grey; each line a dot per bin."""
    if ploidy == "haploid":
        table = with_new_columns(synthetic_chromosome(gap=(0, 1, 2, 20, 33, 34, 59))[0])
        no_bead = table["bead"].is_null().to_numpy()
    else:
        table, _ = diploid_chromosome()
        no_bead = np.isin(np.arange(60), [0, 1, 2, 20])
    figure = report.tracks_figure(table, "21", ("h3k9me3",) if ploidy == "haploid" else ())
    renderer = drawn(figure)
    bins = table.unique("start", maintain_order=True)
    start, end = bins["start"].to_numpy() / 1e6, bins["end"].to_numpy() / 1e6
    mids = (start + end) / 2
    pixels = np.asarray(renderer.buffer_rgba())
    for ax in figure.axes:
        intervals = band_intervals(ax)
        assert np.array_equal(covered(intervals, mids), no_bead), ax.get_ylabel()
        assert intervals == report.no_bead_bands(start, end, no_bead)  # a run of bins is one band
        low, high = ax.get_xlim()
        assert low < intervals[0][0] == 0 and intervals[-1][1] < high
        for band_low, band_high in intervals:  # drawn: the band's grey in the panel, a quarter up
            x, y = ax.transData.transform(((band_low + band_high) / 2, 0))[0], ax.transAxes.transform((0, 0.25))[1]
            assert tuple(pixels[pixels.shape[0] - 1 - int(y), int(x), :3]) == (0xDD, 0xDD, 0xDD), ax.get_ylabel()
        for line in ax.lines:
            if line.get_label() in ("pat", "mat", "_child0") or len(line.get_xdata()) > 2:  # not the E1 = 0 line
                assert line.get_marker() == "o" and line.get_markersize() > 0  # a dot on every bin with a value


@pytest.mark.parametrize("case", ["older", "newer", "diploid"])
def test_tracks_y_labels_are_aligned_and_every_panel_fits_in_the_figure(drawn, case):
    """Every y label's right edge at one x, left of every panel's tick labels (a track of wide numbers too); no
    panel (tick labels, label, legend) outside the figure or over its neighbour."""
    table, _ = synthetic_chromosome()
    if case == "older":
        figure = report.tracks_figure(table, "21")
    elif case == "newer":
        wide = with_new_columns(table).with_columns(h3k9me3=pl.col("h3k9me3") * 10_000)  # tick labels "20000"
        figure = report.tracks_figure(wide, "21", ("h3k9me3", "lads"))
    else:
        figure = report.tracks_figure(diploid_chromosome()[0], "21")
    renderer = drawn(figure)
    rights = [drawn.extents[ax.yaxis.label].box.x1 for ax in figure.axes]
    assert max(rights) - min(rights) < 0.5, rights
    boxes = []
    for ax in figure.axes:
        ticks = [drawn.extents[tick.label1].box for tick in ax.yaxis.majorTicks if tick.label1 in drawn.extents]
        assert ticks and all(max(rights) < tick.x0 for tick in ticks), ax.get_ylabel()
        box = ax.get_tightbbox(renderer)  # with its legend
        assert 0 <= box.x0 and box.x1 <= figure.bbox.x1 and 0 <= box.y0 and box.y1 <= figure.bbox.y1, ax.get_ylabel()
        boxes.append(box)
    assert all(below.y1 <= above.y0 for above, below in zip(boxes, boxes[1:]))
    if case == "diploid":
        assert sum(ax.get_legend() is not None for ax in figure.axes) == 3  # the three distances name the homologs


def test_figures_make_only_the_ticks_they_draw(drawn):
    """Locators trimmed to the view (what keeps the figures cheap): every tick made is inside its axis' view, and the
    axes still draw their ticks (the same ones: beyond the view nothing is drawn)."""
    table, surface = synthetic_chromosome()
    rng = np.random.default_rng(0)
    scatters = [("21", rng.uniform(0.1, 2, 50), rng.integers(1, 30, 50).astype(float), -0.4)]
    figures = [
        report.tracks_figure(with_new_columns(table), "21", ("lads",)),
        report.correlation_figure(table, "21"),
        report.structure_figure(table, surface, "21"),
        report.summary_figure(synthetic_summary(["19", "21"])),
        report.contact_distance_figure(scatters),
    ]
    for figure in figures:
        drawn(figure)
        for ax in figure.axes:
            if (not ax.axison and ax.name != "3d") or hasattr(ax, "_colorbar"):  # off, or a colour bar (its own ticks)
                continue
            for axis in (ax.xaxis, ax.yaxis, *([ax.zaxis] if ax.name == "3d" else [])):
                low, high = sorted(axis.get_view_interval())
                slack = (high - low) * 1e-6
                ticks = axis.get_major_ticks() + axis.get_minor_ticks()
                assert len(axis.get_major_ticks()) >= 1, (ax.get_ylabel(), axis.axis_name)
                assert all(
                    low - slack <= tick.get_loc() <= high + slack for tick in ticks if tick.get_loc() is not None
                )


def test_track_panels_say_what_a_track_value_is():
    assert report.track_label("h3k9me3", "mean") == "h3k9me3\nmean signal"
    assert report.track_label("lads", "coverage") == "lads\ncoverage\nfraction"
    assert report.track_label("peak", "max") == "peak\nmax signal"
    assert report.track_label("n_lads", "count") == "n_lads\nintervals\nper bin"
    assert report.track_label("old") == "old"  # a table whose metadata has no statistic: the name alone
    table = with_new_columns(synthetic_chromosome()[0])
    figure = report.tracks_figure(table, "21", ("h3k9me3", "lads"), stats={"h3k9me3": "mean", "lads": "coverage"})
    try:
        labels = [ax.get_ylabel().replace("\n", " ") for ax in figure.axes]
        assert labels[-2:] == ["h3k9me3 mean signal", "lads coverage fraction"]
    finally:
        plt.close(figure)


@pytest.mark.slow
def test_the_figures_step_labels_the_tracks_with_their_statistic_from_the_table(example_results, tmp_path):
    """``chromapipe figures`` reads each track's statistic from the compiled table's metadata: its tracks PNG is
    the one drawn with the example's statistics (mean, coverage), not the one with the track names alone."""
    from chromapipe import steps

    results = example_results / "results"
    compiled = results / "chr21_compiled.parquet"
    steps.figures(compiled, results / "chr21_surface.parquet", tmp_path / "t.png", tmp_path / "s.png",
                  tmp_path / "c.png", "21")  # fmt: skip
    table, unit = steps.read_compiled(compiled), report.unit_label(tables.read_metadata(compiled).get("units"))
    for name, statistics in (("labelled", {"h3k9me3": "mean", "lads": "coverage"}), ("names", None)):
        report.plot_tracks(table, tmp_path / f"{name}.png", "21", ("h3k9me3", "lads"), unit, stats=statistics)
    drawn = (tmp_path / "t.png").read_bytes()
    assert drawn == (tmp_path / "labelled.png").read_bytes()  # "h3k9me3 mean signal", "lads coverage fraction"
    assert drawn != (tmp_path / "names.png").read_bytes()  # "h3k9me3", "lads"


def test_structure_z_axis_sits_on_the_left_of_each_view(drawn):
    """The z labels of the two views are not side by side between the views: each is on its view's left."""
    table, surface = synthetic_chromosome()
    for colour_by in ("dist_surface", "compartment"):
        figure = report.structure_figure(with_new_columns(table), surface, "21", colour_by)
        renderer = drawn(figure)
        views = [ax for ax in figure.axes if ax.name == "3d"]
        for ax in views:
            box = ax.get_window_extent(renderer)
            label = drawn.extents[ax.zaxis.label]
            ticks = [drawn.extents[tick.label1] for tick in ax.zaxis.majorTicks if tick.label1 in drawn.extents]
            assert label.centre[0] < box.x0 + 0.25 * box.width, (ax.get_title(), label.centre, box)
            assert ticks and all(tick.centre[0] < box.x0 + 0.3 * box.width for tick in ticks)
        left, right = (drawn.extents[ax.zaxis.label].centre[0] for ax in views)
        assert right - left > 0.3 * figure.bbox.width  # a view's width apart, not side by side


def test_structure_fills_an_equal_cube_and_no_tick_labels_overprint(drawn):
    table, surface = synthetic_chromosome()
    figure = report.structure_figure(table, surface, "21")
    drawn(figure)
    views = [ax for ax in figure.axes if ax.name == "3d"]
    assert len(views) == 2
    beads = table.drop_nulls("bead").select("x", "y", "z").to_numpy()
    span = beads.max(axis=0) - beads.min(axis=0)
    for ax in views:
        texts = []
        for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
            labels = [tick.label1 for tick in axis.majorTicks if tick.label1 in drawn.extents]
            assert len(labels) >= 3 and axis.label in drawn.extents, axis.axis_name
            assert "model units" in axis.get_label_text()
            texts += [*labels, axis.label]
        assert not overlapping(texts, drawn.extents), ax.get_title()  # no tick or axis label over another
        limits = np.array([ax.get_xlim(), ax.get_ylim(), ax.get_zlim()])
        widths = limits[:, 1] - limits[:, 0]
        assert np.allclose(widths, widths[0]), widths  # one scale on the three axes
        assert span.max() >= 0.8 * widths[0], (span, widths)  # the beads fill the box, not a corner of it
        assert np.all(limits[:, 0] <= beads.min(axis=0)) and np.all(beads.max(axis=0) <= limits[:, 1])


def test_summary_legends_cover_no_bar_and_rho_joins_no_categories(drawn):
    summary = synthetic_summary(["19", "21", "X"])
    figure = report.summary_figure(summary)
    renderer = drawn(figure)
    bars, rho = figure.axes[:2]
    assert len(bars.patches) == 3 * summary.height
    for ax in (bars, rho):
        legend = ax.get_legend().get_window_extent(renderer)  # a legend is not a Text: its box is its own
        drawn_marks = [patch.get_window_extent(renderer) for patch in ax.patches]
        for line in ax.lines:
            points = ax.transData.transform(np.column_stack(line.get_data()))
            drawn_marks += [type(legend).from_bounds(x - 4, y - 4, 8, 8) for x, y in points if np.isfinite(y)]
        assert not [mark for mark in drawn_marks if mark.overlaps(legend)], ax.get_ylabel()
    joined = [
        line for line in rho.lines if line.get_linestyle() not in ("None", "", " ") and np.ptp(line.get_ydata()) > 0
    ]
    assert not joined, "a line joins one chromosome's rho to the next"
    markers = [line for line in rho.lines if line.get_marker() not in ("None", "", " ", None)]
    assert sum(np.isfinite(line.get_ydata()).sum() for line in markers) == 2 * summary.height


@pytest.mark.parametrize("name", ["tracks", "structure", "correlation", "summary", "tracks newer", "structure rg"])
def test_every_figure_labels_distances_in_model_units_never_nm(drawn, name):
    table, surface = synthetic_chromosome()
    figure = {
        "tracks": lambda: report.tracks_figure(table, "21"),
        "tracks newer": lambda: report.tracks_figure(with_new_columns(table), "21", ("h3k9me3",)),
        "structure": lambda: report.structure_figure(table, surface, "21"),
        "structure rg": lambda: report.structure_figure(with_new_columns(table), surface, "21", "rg_local"),
        "correlation": lambda: report.correlation_figure(table, "21"),
        "summary": lambda: report.summary_figure(synthetic_summary(["19", "21"])),
    }[name]()
    drawn(figure)
    texts = [text.get_text() for text in figure.findobj(Text) if text.get_text()]
    assert not [text for text in texts if NANOMETRES.search(text)]
    assert any("model units" in text for text in texts)


def test_plot_functions_write_pngs(tmp_path):
    table, surface = synthetic_chromosome()
    report.plot_tracks(table, tmp_path / "tracks.png", "21")
    report.plot_structure(table, surface, tmp_path / "structure.png", "21")
    report.plot_correlation(table, tmp_path / "correlation.png", "21")
    report.plot_summary(synthetic_summary(["21"]), tmp_path / "summary.png")
    for name in ("tracks", "structure", "correlation", "summary"):
        assert png_size(tmp_path / f"{name}.png")[1] >= 800
    assert not plt.get_fignums()  # every figure closed after writing


#: A fresh interpreter drawing the three figures of a compiled table (argv: the folder, holding it, "plain" to
#: import matplotlib before chromapipe.report, as a session that has it already does, the surface): what the
#: docstring swap did.
SKIPPED_DOCSTRINGS = r"""
import json, sys
from pathlib import Path
if sys.argv[2] == "plain":
    import matplotlib.figure  # noqa: F401
import polars as pl
from chromapipe import report
table, surface = pl.read_parquet(Path(sys.argv[1]) / "table.parquet"), pl.read_parquet(sys.argv[3])
report.plot_tracks(table, Path(sys.argv[1]) / "tracks.png", "21")
report.plot_structure(table, surface, Path(sys.argv[1]) / "structure.png", "21")
report.plot_correlation(table, Path(sys.argv[1]) / "correlation.png", "21")
import matplotlib.artist, matplotlib.lines
from mpl_toolkits.mplot3d.art3d import Line3D
print(json.dumps({"skipped": report._import_matplotlib(), "line2d": matplotlib.lines.Line2D.set.__doc__ or "",
                  "line3d": Line3D.set.__doc__ or "", "plot": matplotlib.axes.Axes.plot.__doc__,
                  "kwdoc": matplotlib.artist.kwdoc(matplotlib.lines.Line2D),
                  "update": matplotlib.artist.Artist._update_set_signature_and_docstring.__func__.__qualname__}))
"""


def test_matplotlib_imports_without_its_docstrings_and_draws_the_same_pixels(tmp_path):
    """The figures import matplotlib skipping its artists' ``set()`` docstrings and ``kwdoc`` tables (a third of
    its import): on the pinned release the swap takes effect (a new release fails here: check the swap still holds,
    then move MATPLOTLIB_VERSION), it is undone after the import, and the PNGs are the same bytes as without it."""
    table, surface = synthetic_chromosome()
    surface.write_parquet(tmp_path / "surface.parquet")
    runs = {}
    for mode in ("swapped", "plain"):
        (tmp_path / mode).mkdir()
        table.write_parquet(tmp_path / mode / "table.parquet")
        done = subprocess.run([sys.executable, "-c", SKIPPED_DOCSTRINGS, str(tmp_path / mode), mode,
                               str(tmp_path / "surface.parquet")], capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs[mode] = json.loads(done.stdout.splitlines()[-1])
    assert matplotlib.__version__ == report.MATPLOTLIB_VERSION  # the release the swap was checked on
    swapped, plain = runs["swapped"], runs["plain"]
    assert swapped["skipped"] and not plain["skipped"]
    for run in (swapped, plain):  # restored: what matplotlib's own functions give after the import
        assert run["kwdoc"].startswith("Properties:") and "linewidth" in run["kwdoc"]
        assert run["update"] == "Artist._update_set_signature_and_docstring"
    # the docstrings the swap skipped; built without it
    assert "linewidth" not in swapped["line2d"] and "linewidth" not in swapped["line3d"]
    assert "linewidth" in plain["line2d"] and "linewidth" in plain["line3d"]
    assert "Properties:" not in swapped["plot"] and "Properties:" in plain["plot"]
    for name in ("tracks", "structure", "correlation"):
        assert (tmp_path / "swapped" / f"{name}.png").read_bytes() == (tmp_path / "plain" / f"{name}.png").read_bytes()


def landing_page(chromosomes):
    """workflow.rst rendered as Snakemake renders the report's landing page (Jinja, then docutils)."""

    class Snakemake:
        config = {"chromosomes": chromosomes, "assembly": "example", "annotations": {"source": "files"}}

    template = (REPORT_TEXTS / "workflow.rst").read_text()
    text = jinja2.Environment(trim_blocks=True, lstrip_blocks=True).from_string(template).render(snakemake=Snakemake)
    body = docutils.core.publish_parts(text, writer="html")["html_body"]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.mark.parametrize(
    "chromosomes, shown",
    [([19, 21, "X"], "19, 21, X"), ("19,21,X", "19, 21, X"), ("chr19, chr21", "chr19, chr21"), (21, "21")],
)
def test_landing_page_lists_chromosomes_as_text_and_explains_model_units(chromosomes, shown):
    page = landing_page(chromosomes)
    assert f"chromosomes {shown}, the physical features" in page
    assert not re.search(r"[\[\]]|'[^' ]+'", page), page  # no Python list, no quoted names
    assert "model units" in page and "mdtraj" in page and "about 2 units" in page


def test_captions_name_the_structures_units_never_nm():
    """Captions of distances point to the units named on the axes (model units for GSDB's PDB, each
    format's own otherwise); none calls GSDB's model units nanometres."""
    for caption in REPORT_TEXTS.glob("*.rst"):
        text = " ".join(caption.read_text().split())
        assert not NANOMETRES.search(text), caption.name
        if "distance" in text.lower():
            assert "the structure's units" in text or "the structure's own units" in text, caption.name


# --- The figures of newer compiled tables: local structure, compartments, user tracks, correlation heatmaps ---

GREY_BAND = matplotlib.colors.to_rgba("#dddddd")


def with_new_columns(table, seed=11):
    """The synthetic table with the columns newer compiled tables carry: rg_local, neighbours, compartments and
    two user tracks (a Float64 and an Int64 one). Compartment E1 is null on bins 20-22."""
    rng = np.random.default_rng(seed)
    n = table.height
    has_bead = table["bead"].is_not_null().to_numpy()
    e1 = [None if 20 <= i <= 22 else float(v) for i, v in enumerate(rng.normal(size=n))]
    return table.with_columns(
        pl.Series("rg_local", np.where(has_bead, rng.uniform(0.1, 0.5, n), np.nan), dtype=pl.Float32).fill_nan(None),
        pl.Series(
            "neighbours", [int(v) if keep else None for v, keep in zip(rng.integers(0, 6, n), has_bead)], dtype=pl.Int32
        ),  # fmt: skip
        pl.Series("compartment_e1", e1, dtype=pl.Float32),
        pl.Series("h3k9me3", rng.uniform(0, 3, n)),
        pl.Series("lads", rng.integers(0, 3, n)),
    ).with_columns(
        compartment=pl.when(pl.col("compartment_e1") > 0)
        .then(pl.lit("A"))
        .when(pl.col("compartment_e1").is_not_null())
        .then(pl.lit("B"))
    )


def grey_bands(ax):
    """The grey no-bead bands of a tracks panel: its collections (or patches) filled with the band grey."""
    artists = [*ax.collections, *ax.patches]
    return [a for a in artists if len(a.get_facecolor()) and np.allclose(np.reshape(a.get_facecolor(), (-1, 4)),
                                                                          GREY_BAND)]  # fmt: skip


def bar_collections(ax):
    """The compartment panel's bar collections (rectangles from 0, one per bin), not the grey bands."""
    return [c for c in ax.collections if c not in grey_bands(ax) and type(c).__name__ == "PolyCollection"]


def e1_bars(ax):
    """``[(centre, width, height, rgba)]`` of every E1 bar of a panel: a bar patch, or a rectangle of a collection
    (each checked to be a rectangle standing on 0)."""
    bars = [(bar.get_x() + bar.get_width() / 2, bar.get_width(), bar.get_height(), tuple(bar.get_facecolor()))
            for bar in ax.patches if bar not in grey_bands(ax)]  # fmt: skip
    for collection in bar_collections(ax):
        (colour,) = collection.get_facecolor()
        for path in collection.get_paths():
            xs, ys = path.vertices[:4, 0], path.vertices[:4, 1]
            assert 0.0 in ys.tolist() and len(set(xs.tolist())) == 2
            top = ys[np.argmax(np.abs(ys))]
            bars.append(((xs.min() + xs.max()) / 2, xs.max() - xs.min(), top, tuple(colour)))
    return bars


def band_intervals(ax):
    """``[(x0, x1)]`` of every grey band of a tracks panel (in Mb), each checked to span the panel's full height."""
    intervals = []
    for artist in grey_bands(ax):
        assert artist.get_transform() == ax.get_xaxis_transform(which="grid")  # x in data, y the panel's 0 to 1
        for path in artist.get_paths() if hasattr(artist, "get_paths") else [artist.get_path()]:
            vertices = path.vertices
            assert vertices[:, 1].min() == 0 and vertices[:, 1].max() == 1
            intervals.append((vertices[:, 0].min(), vertices[:, 0].max()))
    return sorted(intervals)


def covered(intervals, points):
    """Which ``points`` lie inside one of ``intervals``."""
    return np.array([any(low < x < high for low, high in intervals) for x in points])


def test_tracks_of_an_older_table_are_the_five_panels():
    table, _ = synthetic_chromosome()
    figure = report.tracks_figure(table, "21")
    try:
        labels = [ax.get_ylabel() for ax in figure.axes]
        assert labels == [label.format(unit="model units") for _, label in report.TRACKS]
    finally:
        plt.close(figure)


def test_tracks_add_local_structure_compartment_and_user_track_panels():
    old, _ = synthetic_chromosome()
    table = with_new_columns(old)
    figure = report.tracks_figure(table, "21", tracks=("h3k9me3", "lads"))
    before = report.tracks_figure(old, "21")
    try:
        labels = [ax.get_ylabel().replace("\n", " ") for ax in figure.axes]
        assert len(labels) == len(report.TRACKS) + 5
        assert "local Rg (model units)" in labels and "neighbouring beads" in labels
        assert "compartment E1" in labels and labels[-2:] == ["h3k9me3", "lads"]
        assert labels.index("local Rg (model units)") < labels.index("GC content")  # beside the other distances
        assert figure.get_size_inches()[1] > before.get_size_inches()[1] * 1.5  # taller, not squeezed
        no_bead = table["bead"].is_null().to_numpy()
        mids = (table["start"].to_numpy() + table["end"].to_numpy()) / 2 / 1e6
        for ax in figure.axes:  # every panel keeps the bands, over the bins without a bead and no other
            assert np.array_equal(covered(band_intervals(ax), mids), no_bead), ax.get_ylabel()
        # the user tracks' panels draw their own column
        lads = figure.axes[labels.index("lads")]
        expected = np.where(table["bead"].is_null().to_numpy(), np.nan, table["lads"].to_numpy().astype(float))
        assert np.array_equal(lads.lines[0].get_ydata(), expected, equal_nan=True)
    finally:
        plt.close(figure)
        plt.close(before)


def test_compartment_panel_draws_e1_as_bars_a_and_b_apart_null_as_gaps():
    table = with_new_columns(synthetic_chromosome()[0])
    figure = report.tracks_figure(table, "21")
    try:
        ax = next(ax for ax in figure.axes if ax.get_ylabel() == "compartment\nE1")
        bars = e1_bars(ax)
        e1 = table["compartment_e1"].to_numpy()
        present = ~np.isnan(e1) & table["bead"].is_not_null().to_numpy()
        no_bead = int(table["bead"].is_null().sum())
        assert len(bars) == present.sum() == table.height - 3 - no_bead  # null bins and bins without a bead: nothing
        mids = (table["start"].to_numpy() + table["end"].to_numpy()) / 2 / 1e6
        drawn_bars = sorted((x, height, colour) for x, _, height, colour in bars)
        assert all(width == pytest.approx(0.5) for _, width, _, _ in bars)  # a bin wide
        colours = {"A": matplotlib.colors.to_rgba(report.COMPARTMENT_COLOURS["A"]),
                   "B": matplotlib.colors.to_rgba(report.COMPARTMENT_COLOURS["B"])}  # fmt: skip
        assert colours["A"] != colours["B"]
        for (x, height, colour), mid, value in zip(drawn_bars, mids[present], e1[present]):
            assert x == pytest.approx(mid) and height == pytest.approx(value)
            assert colour == colours["A" if value > 0 else "B"]
        legend = [text.get_text() for text in ax.get_legend().get_texts()]
        assert legend == ["A (E1 > 0)", "B (E1 < 0)"]
        low, high = ax.get_ylim()  # the panel's range shows every bar
        assert low < e1[present].min() < 0 < e1[present].max() < high
    finally:
        plt.close(figure)


def test_tracks_reject_a_track_the_table_lacks():
    table = with_new_columns(synthetic_chromosome()[0])
    with pytest.raises(report.InputError, match=r"h3k27ac.*columns are: .*h3k9me3"):
        report.tracks_figure(table, "21", tracks=("h3k9me3", "h3k27ac"))
    assert not plt.get_fignums()


def bead_scatters(ax):
    """The beads' scatters of a 3D view (the surface points are the first collection, drawn faint)."""
    return [c for c in ax.collections[1:] if len(c.get_offsets())]


def test_structure_colours_beads_by_any_numeric_column_with_its_name_and_unit():
    table = with_new_columns(synthetic_chromosome()[0])
    surface = synthetic_chromosome()[1]
    beads = table.drop_nulls("bead").sort("bead")
    for column, label in (("rg_local", "rg_local (model units)"), ("neighbours", "neighbours"),
                          ("dist_surface", "dist_surface (model units)")):  # fmt: skip
        figure = report.structure_figure(table, surface, "21", colour_by=column)
        try:
            views = [ax for ax in figure.axes if ax.name == "3d"]
            assert len(views) == 2 and len(figure.axes) == 3  # two views and the colour bar
            assert figure.axes[2].get_ylabel() == label
            for ax in views:
                (scatter,) = bead_scatters(ax)
                assert np.allclose(scatter.get_array(), beads[column].to_numpy().astype(float))
                assert scatter.get_cmap().name == "viridis"
        finally:
            plt.close(figure)


def test_structure_draws_beads_without_a_value_grey_not_missing():
    table, surface = synthetic_chromosome()
    table = with_new_columns(table).with_columns(
        pl.when(pl.col("start") < 2_000_000).then(None).otherwise(pl.col("h3k9me3")).alias("h3k9me3")
    )
    beads = table.drop_nulls("bead").sort("bead")
    figure = report.structure_figure(table, surface, "21", colour_by="h3k9me3")
    figure.canvas.draw()
    try:
        grey, coloured = bead_scatters(figure.axes[0])
        assert len(grey.get_offsets()) == 4 and len(coloured.get_offsets()) == beads.height - 4
        assert np.allclose(grey.get_facecolors(), matplotlib.colors.to_rgba(report.COMPARTMENT_COLOURS[None]))
        assert np.allclose(coloured.get_array(), beads["h3k9me3"].drop_nulls().to_numpy())
        assert figure.axes[2].get_ylabel() == "h3k9me3\n(grey: no value)"
    finally:
        plt.close(figure)


def test_structure_coloured_by_compartment_shows_a_and_b_with_a_legend():
    table, surface = synthetic_chromosome()
    table = with_new_columns(table)
    beads = table.drop_nulls("bead")
    figure = report.structure_figure(table, surface, "21", colour_by="compartment")
    figure.canvas.draw()  # a 3D scatter's colours are only complete once drawn
    try:
        assert len(figure.axes) == 2  # no colour bar
        (legend,) = figure.legends
        assert [text.get_text() for text in legend.get_texts()] == ["A", "B", "no compartment"]
        expected = {name: int((beads["compartment"] == name).sum()) for name in ("A", "B")}
        expected[None] = int(beads["compartment"].is_null().sum())
        assert expected[None] == 3 and min(expected.values()) > 0
        for ax in figure.axes:
            (scatter,) = bead_scatters(ax)
            colours = [tuple(row) for row in scatter.get_facecolors()]
            for name, count in expected.items():
                assert colours.count(matplotlib.colors.to_rgba(report.COMPARTMENT_COLOURS[name])) == count, name
    finally:
        plt.close(figure)
    # without beads lacking a compartment the legend has no grey entry
    figure = report.structure_figure(table.filter(pl.col("compartment").is_not_null()), surface, "21", "compartment")
    try:
        assert [text.get_text() for text in figure.legends[0].get_texts()] == ["A", "B"]
    finally:
        plt.close(figure)


def test_structure_rejects_a_colour_column_the_table_lacks_or_that_is_not_numeric():
    table, surface = synthetic_chromosome()  # an older table: no compartment
    with pytest.raises(report.InputError, match=r"'compartment'.*columns are: start, end, bead, x"):
        report.structure_figure(table, surface, "21", colour_by="compartment")
    with pytest.raises(report.InputError, match=r"'label'.*String"):
        report.structure_figure(table.with_columns(label=pl.lit("a")), surface, "21", colour_by="label")
    assert not plt.get_fignums()


def correlation_rows(dataset, chromosome, cells):
    """Rows of chromapipe.stats.RESULT_SCHEMA: ``cells`` holds (feature, annotation, rho, significant)."""
    from chromapipe.stats import RESULT_SCHEMA

    rows = [
        (dataset, chromosome, feature, annotation, rho, None if rho is None else rho - 0.2,
         None if rho is None else rho + 0.2, 100, significant)
        for feature, annotation, rho, significant in cells
    ]  # fmt: skip
    return pl.DataFrame(rows, schema=RESULT_SCHEMA, orient="row")


CELLS = [  # two features x three annotations, in this order
    ("dist_surface", "gc_content", -0.612, True),
    ("dist_surface", "gene_density", 0.051, False),
    ("dist_surface", "h3k9me3", None, False),
    ("rg_local", "gc_content", 0.3, True),
    ("rg_local", "gene_density", -0.004, False),
    ("rg_local", "h3k9me3", 0.25, False),
]


def heatmap_cells(ax):
    """``{(row, column): text}`` of a heatmap's cells, and the set of hatched cells."""
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    hatched = {(round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax.patches if p.get_hatch()}
    return texts, hatched


def test_heatmap_cells_say_rho_mark_the_insignificant_and_colour_by_rho():
    figure = report.heatmap_figure(correlation_rows("gsdb", "21", CELLS))
    try:
        ax, bar = figure.axes
        assert [t.get_text() for t in ax.get_yticklabels()] == ["dist_surface", "rg_local"]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["gc_content", "gene_density", "h3k9me3"]
        texts, hatched = heatmap_cells(ax)
        assert {cell: text.get_text() for cell, text in texts.items()} == {
            (0, 0): "-0.61*", (0, 1): "0.05", (0, 2): "n/a",
            (1, 0): "0.30*", (1, 1): "0.00", (1, 2): "0.25",
        }  # fmt: skip
        assert hatched == {(0, 1), (0, 2), (1, 1), (1, 2)}  # the CI covers 0, or rho is undefined
        grey = matplotlib.colors.to_rgba(report.NOT_SIGNIFICANT)
        assert {cell for cell, text in texts.items() if matplotlib.colors.to_rgba(text.get_color()) == grey} == hatched
        (image,) = ax.images
        assert image.get_cmap().name == "RdBu_r" and image.norm.vmin == -1 and image.norm.vmax == 1
        expected = np.array([[-0.612, 0.051, np.nan], [0.3, -0.004, 0.25]])
        assert np.allclose(image.get_array().filled(np.nan), expected, equal_nan=True)
        assert bar.get_ylabel() == "Spearman's rho"
        assert ax.get_title() == "gsdb: chr21"
        captions = [t.get_text() for t in figure.findobj(Text)]
        assert any(t.startswith("* 95% block-bootstrap CI excludes 0") for t in captions)
    finally:
        plt.close(figure)


def test_heatmap_title_genome_wide_or_given_and_empty_input_says_so():
    genome = correlation_rows("gsdb", "genome", CELLS)
    unnamed = correlation_rows(None, "21", CELLS)  # a run without a datasets sheet: no dataset name
    for rows, title, expected in ((genome, None, "gsdb: genome-wide"), (genome, "chosen", "chosen"),
                                  (unnamed, None, "chr21")):  # fmt: skip
        figure = report.heatmap_figure(rows, title=title)
        assert figure.axes[0].get_title() == expected
        plt.close(figure)
    figure = report.heatmap_figure(genome.clear())
    try:
        assert [t.get_text() for t in figure.axes[0].texts] == ["no correlations"] and len(figure.axes) == 1
    finally:
        plt.close(figure)


def test_heatmap_rejects_several_chromosomes():
    both = pl.concat([correlation_rows("gsdb", "21", CELLS), correlation_rows("gsdb", "genome", CELLS)])
    with pytest.raises(report.InputError, match="gsdb/21, gsdb/genome"):
        report.heatmap_figure(both)
    assert not plt.get_fignums()


def test_heatmaps_side_by_side_share_one_colour_bar_and_show_genome_rows():
    flipped = [(f, a, None if rho is None else -rho, sig) for f, a, rho, sig in CELLS]
    correlations = pl.concat([
        correlation_rows("first", "21", flipped),  # a chromosome's rows: not shown when genome rows exist
        correlation_rows("first", "genome", CELLS),
        correlation_rows("second", "X", flipped[:3]),  # only one chromosome, fewer features
    ])  # fmt: skip
    figure = report.heatmaps_figure(correlations)
    try:
        *panels, bar = figure.axes
        assert len(panels) == 2 and bar.get_ylabel() == "Spearman's rho"
        assert [ax.get_title() for ax in panels] == ["first", "second"]
        assert [ax.get_xlabel() for ax in panels] == ["genome-wide", "chrX"]
        first, hatched_first = heatmap_cells(panels[0])
        assert first[(0, 0)].get_text() == "-0.61*" and hatched_first == {(0, 1), (0, 2), (1, 1), (1, 2)}
        second, hatched_second = heatmap_cells(panels[1])
        assert second[(0, 0)].get_text() == "0.61*" and second[(1, 0)].get_text() == "n/a"  # a pair it lacks
        assert (1, 0) in hatched_second
        assert all(ax.images[0].norm.vmin == -1 and ax.images[0].norm.vmax == 1 for ax in panels)
        assert [t.get_text() for t in panels[1].get_yticklabels()] == ["", ""]  # the rows are named once
    finally:
        plt.close(figure)


def test_heatmaps_need_genome_rows_or_one_chromosome_per_dataset():
    several = pl.concat([correlation_rows("first", "21", CELLS), correlation_rows("first", "22", CELLS)])
    with pytest.raises(report.InputError, match="first: correlations for chromosomes 21, 22 but no 'genome' rows"):
        report.heatmaps_figure(several)
    figure = report.heatmaps_figure(several.clear())
    assert [t.get_text() for t in figure.axes[0].texts] == ["no correlations"]
    plt.close(figure)


def test_heatmap_plot_functions_write_pngs(tmp_path):
    correlations = pl.concat([correlation_rows("first", "genome", CELLS), correlation_rows("second", "21", CELLS)])
    report.plot_heatmap(correlations.filter(pl.col("dataset") == "first"), tmp_path / "heatmap.png")
    report.plot_heatmaps(correlations, tmp_path / "heatmaps.png")
    assert png_size(tmp_path / "heatmap.png")[1] >= 500 and png_size(tmp_path / "heatmaps.png")[1] >= 800
    assert not plt.get_fignums()


@pytest.mark.slow
def test_the_example_shows_a_real_correlation_lads_follow_the_periphery(report_run):
    """The example's LADs are planted on the structure's periphery: genome-wide, and on every chromosome, their
    coverage rises with dist_com and falls with dist_surface, intervals excluding 0 (a starred, unhatched cell)."""
    workdir, _ = report_run
    corr = tables.read("correlations", workdir / "results" / "summary" / "correlations.parquet")
    lads = corr.filter(pl.col("annotation") == "lads")
    for row in lads.filter(pl.col("feature") == "dist_com").iter_rows(named=True):
        assert row["significant"] and row["ci_low"] > 0.3, row
    for row in lads.filter(pl.col("feature") == "dist_surface").iter_rows(named=True):
        assert row["significant"] and row["ci_high"] < 0, row
    genome = corr.filter(pl.col("chromosome") == "genome")
    assert genome.filter(pl.col("significant"))["annotation"].unique().to_list() == ["lads"]  # the rest: no plant


@pytest.mark.slow
def test_the_example_correlations_cover_every_feature_and_annotation(report_run):
    """Every structure feature x annotation (compartments and the two tracks included), per chromosome and genome."""
    workdir, _ = report_run
    corr = tables.read("correlations", workdir / "results" / "summary" / "correlations.parquet")
    assert corr["chromosome"].unique(maintain_order=True).to_list() == [*CHROMOSOMES, "genome"]
    assert set(corr["annotation"]) == {"gc_content", "gene_density", "compartment_e1", "h3k9me3", "lads"}
    assert set(corr["feature"]) == {"dist_surface", "dist_com", "dist_rolling_mean", "rg_local", "neighbours",
                                    "radial_position_territory", "dist_periphery_territory"}  # fmt: skip
    assert corr.height == 4 * 7 * 5 and (corr["ci_low"] <= corr["rho"]).all() and (corr["rho"] <= corr["ci_high"]).all()
    genome = corr.filter(pl.col("chromosome") == "genome")
    assert genome["n_bins"].max() == sum(
        int(pl.read_parquet(workdir / "results" / f"chr{c}_compiled.parquet")["bead"].is_not_null().sum())
        for c in CHROMOSOMES
    )
    tsv = pl.read_csv(workdir / "results" / "summary" / "correlations.tsv", separator="\t")
    assert tsv.columns == list(tables.CORRELATIONS.names) and tsv.height == corr.height
    assert png_size(workdir / "results" / "summary" / "correlations.png")[0] > 20_000


def test_figures_name_the_dataset_and_the_structures_own_unit():
    """With a datasets sheet every figure says whose it is, and a format's units (TADbit's nm) are on its axes."""
    assert report.unit_label("nm (TADbit)") == "nm" and report.unit_label("bead radii (Dip-C)") == "bead radii"
    assert (
        report.unit_label("model units (PDB value / 10)") == "model units" and report.unit_label(None) == "model units"
    )
    assert report.unit_label("not declared (nucle3d)") == "units not declared"
    table, surface = synthetic_chromosome()
    figures = [
        report.tracks_figure(table, "21", unit="nm", dataset="tadbit"),
        report.structure_figure(table, surface, "21", unit="nm", dataset="tadbit"),
        report.correlation_figure(table, "21", unit="nm", dataset="tadbit"),
    ]
    try:
        for figure in figures:
            assert figure._suptitle.get_text().startswith("tadbit: chr21"), figure._suptitle.get_text()
            labels = [ax.get_ylabel() for ax in figure.axes] + [getattr(ax, "get_zlabel", str)() for ax in figure.axes]
            assert any("(nm)" in label for label in labels) and not any("model units" in label for label in labels)
    finally:
        for figure in figures:
            plt.close(figure)


def test_a_diploid_dataset_is_compared_once_per_homolog():
    """Homologs are never matched with another dataset's bins by position alone: a diploid dataset enters
    the comparison as 'name (pat)' and 'name (mat)', so one homolog picked from it compares as itself."""
    rng = np.random.default_rng(3)
    n = 40
    pat = rng.normal(size=n)
    mat = rng.normal(size=n)

    def table(values, haplotype=None):
        frame = pl.DataFrame({"chr": ["21"] * n, "start": np.arange(n) * 500000 + 1, "dist_com": values})
        return frame.with_columns(pl.lit(haplotype).alias("haplotype")) if haplotype else frame

    diploid = pl.concat([table(pat, "pat"), table(mat, "mat")])
    comparison = stats.compare_datasets({"picked": table(pat), "diploid": diploid, "haploid": table(mat)})
    rows = {(a, b): (bins, rho) for _, a, b, bins, rho in comparison.iter_rows()}
    assert set(comparison["dataset_a"]) == {"picked", "diploid (pat)", "diploid (mat)", "haploid"}
    assert rows["picked", "diploid (pat)"] == (n, pytest.approx(1.0))
    assert rows["haploid", "diploid (mat)"] == (n, pytest.approx(1.0))
    assert rows["picked", "diploid (mat)"][0] == n and rows["picked", "diploid (mat)"][1] < 0.9
    figure = report.comparison_figure(comparison)
    plt.close(figure)


def test_many_datasets_heatmaps_wrap_onto_rows_and_matrices_grow():
    names = [f"d{i}" for i in range(6)]
    correlations = pl.concat([correlation_rows(name, "genome", CELLS) for name in names])
    figure = report.heatmaps_figure(correlations)
    try:
        shown = [ax for ax in figure.axes if ax.get_title() in names]
        assert [ax.get_title() for ax in shown] == names
        rows = sorted({round(ax.get_position().y0, 3) for ax in shown})
        assert len(rows) == 2  # four to a row
        labelled = [ax.get_title() for ax in shown if any(t.get_text() for t in ax.get_yticklabels())]
        assert labelled == ["d0", "d4"]  # the first of each row names the features
    finally:
        plt.close(figure)
    entries = [f"dataset_{i}" for i in range(10)]
    comparison = pl.DataFrame(
        [("dist_com", a, b, 10, 1.0) for a in entries for b in entries], schema=tables.COMPARISON.schema, orient="row"
    )
    few = report.comparison_figure(
        comparison.filter(pl.col("dataset_a").is_in(entries[:2]) & pl.col("dataset_b").is_in(entries[:2]))
    )
    many = report.comparison_figure(comparison)
    try:
        assert many.get_size_inches()[0] > few.get_size_inches()[0]
    finally:
        plt.close(few)
        plt.close(many)


def test_a_diploid_table_draws_each_homolog_as_its_own_chain_and_line():
    """Homologs are never joined into one chain, nor drawn as one line wrapping from the end back to the start;
    a bin's annotations are drawn once; the summary counts the bins once and the beads of both homologs."""
    pat, surface = synthetic_chromosome(seed=7)
    mat, _ = synthetic_chromosome(gap=range(40, 60), seed=8)
    diploid = pl.concat([pat.with_columns(haplotype=pl.lit("pat")), mat.with_columns(haplotype=pl.lit("mat"))])
    structure = report.structure_figure(diploid, surface, "21")
    tracks = report.tracks_figure(diploid, "21")
    try:
        assert "(54 pat + 40 mat beads)" in structure._suptitle.get_text()
        views = [ax for ax in structure.axes if hasattr(ax, "get_zlim")]
        for ax in views:
            chains = [line for line in ax.get_lines()]
            assert len(chains) == 2 and [len(line.get_xdata()) for line in chains] == [54, 40]
        surface_panel, *_ = tracks.axes
        lines = surface_panel.get_lines()
        assert [line.get_label() for line in lines] == ["pat", "mat"]
        assert all(np.all(np.diff(line.get_xdata()) > 0) for line in lines)  # left to right, no wrap-around
        gc_panel = next(ax for ax in tracks.axes if ax.get_ylabel() == "GC content")
        assert len(gc_panel.get_lines()) == 1 and len(gc_panel.get_lines()[0].get_xdata()) == 60
    finally:
        plt.close(structure)
        plt.close(tracks)
    row = stats.summary_row("21", diploid, surface)
    assert (row["bins"], row["beads"], row["bins_without_bead"]) == (60, 94, 0)


@pytest.mark.parametrize("count", [1, 3, 6])
def test_grid_placed_figures_keep_every_text_inside_the_figure_and_apart(drawn, count):
    """The contact-distance, summary, correlation and heatmap figures, placed without a layout engine (``_place_grid``): every text drawn
    (titles, tick and axis labels, legends' entries, the suptitle) inside the figure, no two overlapping, no two
    panels overlapping; a panel's texts beside it, not over its neighbour (rows and columns apart)."""
    rng = np.random.default_rng(count)
    scatters = [(str(i + 1), rng.uniform(0.02, 30, 80), rng.integers(1, 400, 80).astype(float), -0.4)
                for i in range(count)]  # fmt: skip
    scatters[-1] = (scatters[-1][0], None, None, None) if count > 1 else scatters[-1]  # a panel saying why not
    chromosomes = [str(i + 1) for i in range(count * 3)]  # over 8: the x tick labels turn upright
    dataset = "a dataset" if count > 1 else None  # one 4-inch panel: a dataset's longer title overflows it (before too)
    table = (diploid_chromosome() if count == 6 else synthetic_chromosome())[0]  # the homologs' legends in the panels
    for figure in (report.contact_distance_figure(scatters, "nm", dataset), report.summary_figure(
            synthetic_summary(chromosomes), "nm", dataset), report.correlation_figure(table, "21", "nm", dataset),
            report.heatmap_figure(correlation_rows("d1", "genome", CELLS[: count + 1]))):  # fmt: skip
        renderer = drawn(figure)
        inside = figure.bbox
        texts = [text for text in drawn.extents if text.get_figure(root=True) is figure]
        assert len(texts) > 10
        for text in texts:
            box = drawn.extents[text].box
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, (
                text.get_text()
            )
        assert not overlapping(texts, drawn.extents)
        panels = [ax for ax in figure.axes if ax.axison]
        for a, b in itertools.permutations(panels, 2):
            assert not a.get_window_extent(renderer).overlaps(b.get_window_extent(renderer))
            # a panel's whole drawing (its tick labels, axis labels, title) clear of the other panel's frame
            assert not a.get_tightbbox(renderer).overlaps(b.get_window_extent(renderer))


def test_contact_distance_and_rmsd_figures(tmp_path):
    """The agreement figure (a log-log panel per chromosome, or a panel saying there is no list) and the RMSD
    heatmaps (a symmetric matrix per chromosome and homolog; a figure saying there are no pairs when empty)."""
    from chromapipe import superpose
    from chromapipe.synthetic import random_walk

    rng = np.random.default_rng(0)
    scatters = [("21", rng.uniform(0.1, 2, 50), rng.integers(1, 30, 50).astype(float), -0.4), ("X", None, None, None)]
    fig = report.contact_distance_figure(scatters, "model units", "d1")
    try:
        axes = fig.axes
        assert axes[0].get_xscale() == axes[0].get_yscale() == "log" and "rho = -0.40" in axes[0].get_title()
        assert any(t.get_text() == "no contact list" for t in axes[1].texts)
    finally:
        plt.close(fig)
    models = np.stack([random_walk(20, seed=s) for s in range(3)])
    physical = pl.DataFrame({"model": np.repeat([1, 2, 3], 20).astype(np.int32), "x": models[:, :, 0].ravel(),
                             "y": models[:, :, 1].ravel(), "z": models[:, :, 2].ravel()})  # fmt: skip
    frame = superpose.model_rmsd(physical, "21")
    fig = report.rmsd_figure(frame, "model_a", "model_b", "models")
    try:
        matrix = fig.axes[0].images[0].get_array()
        assert matrix.shape == (3, 3) and np.allclose(matrix, np.asarray(matrix).T)
        assert matrix[0, 1] == pytest.approx(frame["rmsd_scaled"][0])
        # the colour bar says what its numbers are; the ticks say they are models
        assert fig.axes[-1].get_ylabel() == report.RMSD_SCALED_LABEL  # one bar, one scale for every panel
        assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["model 1", "model 2", "model 3"]
        # each value readable on its cell: dark text on the light (high) end of the colour map, light on the dark
        cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in fig.axes[0].texts}
        brightest = np.unravel_index(np.nanargmax(matrix), matrix.shape)
        assert cells[(0, 0)].get_color() == "white" and cells[tuple(int(i) for i in brightest)].get_color() == "black"
    finally:
        plt.close(fig)
    report.plot_model_rmsd(frame.clear(), tmp_path / "empty.png")
    assert (tmp_path / "empty.png").stat().st_size > 0
    empty = report.rmsd_figure(frame.clear(), "model_a", "model_b", "models", empty="no pairs of models")
    try:  # no empty panel: one line saying why there is nothing
        assert not empty.axes and [t.get_text() for t in empty.texts][1] == "no pairs of models"
    finally:
        plt.close(empty)
    # the contact figure's log axes label plain numbers (2, 5, 10, 20 on counts 2 to 29), not powers of ten; the
    # labels of the ticks drawn (within the view: the figure makes no tick beyond it, such as 1 here)
    fig = report.contact_distance_figure(scatters[:1])
    try:
        fig.canvas.draw()
        axis = fig.axes[0].xaxis
        low, high = axis.get_view_interval()
        assert 1 < low < 2 and 29 < high < 100
        shown = [t.get_text() for t in axis.get_ticklabels() + axis.get_ticklabels(minor=True) if t.get_text()]
        assert sorted(shown, key=float) == ["2", "5", "10", "20"] and not any("^" in t or "times" in t for t in shown)
    finally:
        plt.close(fig)


# -- large chromosomes: what is drawn of thousands of bins and beads (issue 25, point 5) ----------------------


def test_line_envelope_keeps_every_columns_extremes_and_every_break():
    """A long line reduced to its pixel columns: per column and unbroken stretch the same lowest and highest value,
    the first and last points, a NaN at every break; a short line is kept whole."""
    rng = np.random.default_rng(3)
    x = np.arange(20_000) / 100.0
    y = np.cumsum(rng.normal(size=x.size))
    y[[500, 501, 502, 9_000, 15_555]] = np.nan
    keep = report._line_envelope(x, y, columns=300)
    assert keep.size < 300 * 4 * 4 and np.all(np.diff(keep) > 0)
    assert keep[0] == 0 and keep[-1] == x.size - 1
    column = np.clip((x / x.max() * 300).astype(int), 0, 299)
    stretch = np.cumsum(np.isnan(y))
    for key in {(s, c) for s, c in zip(stretch[~np.isnan(y)], column[~np.isnan(y)])}:
        every = (stretch == key[0]) & (column == key[1]) & ~np.isnan(y)
        kept = np.isin(np.flatnonzero(every), keep)
        assert np.nanmin(y[every]) == y[every][kept].min() and np.nanmax(y[every]) == y[every][kept].max(), key
    # a break stays a break: as many NaN-separated stretches as before
    assert np.isnan(y[keep]).sum() == 3 and set(np.flatnonzero(np.isnan(y))) >= set(keep[np.isnan(y[keep])])
    assert report._line_envelope(x[:1000], y[:1000], columns=300).tolist() == list(range(1000))


def long_chromosome(bins, seed=5):
    """A compiled table of ``bins`` bins (every 40th without a bead) with compartments, and a surface."""
    table, surface = synthetic_chromosome(bins=bins, gap=range(0, bins, 40), seed=seed)
    e1 = np.sin(np.arange(bins) / 50.0)
    e1 = np.where(table["bead"].is_null().to_numpy(), np.nan, e1)
    return table.with_columns(compartment_e1=pl.Series(e1).fill_nan(None)), surface


def test_a_long_chromosomes_tracks_lose_the_dots_say_so_and_keep_their_envelope(drawn):
    """Over MAX_BIN_MARKERS bins: lines without a dot per bin (the x label says so), at most four points per pixel
    column, the same extremes; the E1 bars one per column, reaching as high and low; a short one keeps its dots."""
    table, _ = long_chromosome(20_000)
    fig = report.tracks_figure(table, "1")
    drawn(fig)
    assert "without a dot per bin" in fig.axes[-1].get_xlabel()
    for ax in fig.axes[:-1]:
        (line,) = ax.get_lines()
        assert line.get_marker() in ("None", "", None) and len(line.get_xdata()) <= 4 * 4 * report.DISPLAY_COLUMNS
    surface_line = fig.axes[0].get_lines()[0].get_ydata()
    assert np.nanmax(surface_line) == table["dist_surface"].max() and np.nanmin(surface_line) == table[
        "dist_surface"
    ].min()  # fmt: skip
    heights = [height for _, _, height, _ in e1_bars(fig.axes[-1])]
    assert len(heights) <= 2 * report.DISPLAY_COLUMNS
    assert max(heights) == table["compartment_e1"].max() and min(heights) == table["compartment_e1"].min()
    short = report.tracks_figure(long_chromosome(report.MAX_BIN_MARKERS)[0], "1")
    drawn(short)
    assert "dot" not in short.axes[-1].get_xlabel()
    assert all(ax.get_lines()[0].get_marker() == "o" for ax in short.axes[:-1])


def test_a_long_chains_3d_views_draw_an_evenly_spaced_subset_and_say_so(drawn):
    """Over MAX_BEADS_3D beads: every k-th bead (at most MAX_BEADS_3D in each view, the chain through them), the
    title counting all of them and a note under it saying which are drawn; a short chain: all, no note."""
    table, surface = long_chromosome(12_000)
    beads = int(table["bead"].is_not_null().sum())
    fig = report.structure_figure(table, surface, "1", "dist_surface")
    drawn(fig)
    every = -(-beads // report.MAX_BEADS_3D)
    for ax in fig.axes[:2]:
        assert sum(len(c.get_offsets()) for c in bead_scatters(ax)) == len(range(0, beads, every))
        assert len(ax.get_lines()[0].get_data_3d()[0]) == len(range(0, beads, every))
    assert f"({beads} beads)" in fig._suptitle.get_text()
    (note,) = [text for text in fig.texts if text is not fig._suptitle]
    assert f"every {every}rd bead" in note.get_text() and "surface point" in note.get_text()
    assert note.get_window_extent().y0 > max(ax.title.get_window_extent().y1 for ax in fig.axes[:2])
    small = report.structure_figure(*long_chromosome(200), "1", "dist_surface")
    drawn(small)
    assert [text for text in small.texts if text is not small._suptitle] == []


# -- one skeleton per batch job: the same bytes as a figure drawn alone (issue 25, point 2) --------------------


def skeleton_cases():
    """Chromosomes a batch job may draw one after the other: other lengths, bands, panels, homologs, tracks."""
    base, _ = synthetic_chromosome()
    longer, _ = synthetic_chromosome(bins=90, gap=(0, 1, 44, 45, 46, 89), seed=9)
    full = with_new_columns(base)
    no_gap, _ = synthetic_chromosome(bins=50, gap=(), seed=4)
    diploid, _ = diploid_chromosome()
    return [
        ("short", base, ()),
        ("longer, other bands", longer, ()),
        ("no bin without a bead", no_gap, ()),
        ("local structure, compartment, a track", full, ("lads",)),
        ("the same panels again", with_new_columns(longer), ("lads",)),
        ("without the compartment", with_new_columns(base).drop("compartment_e1"), ("lads",)),
        ("diploid", diploid, ()),
        ("haploid again", base, ()),
        ("long", long_chromosome(6000)[0], ()),
        ("short after long", longer, ()),
    ]


@pytest.mark.parametrize("kind", ["tracks", "structure", "correlation"])
def test_figures_drawn_on_a_reused_skeleton_are_the_same_bytes_as_drawn_alone(tmp_path, kind):
    """plot_tracks, plot_structure and plot_correlation draw each chromosome on the previous one's figure when its
    layout is the same: every PNG of a sequence (other lengths, bands, panel sets, homologs, colourings, a long chain's
    subset, an undefined rho) is byte for byte the PNG of a new figure."""
    report._SKELETONS.clear()
    cases = skeleton_cases() + [("an undefined rho", synthetic_chromosome()[0].with_columns(gene_density=pl.lit(2.0)),
                                 ())]  # fmt: skip
    reused = 0
    for index, (name, table, tracks) in enumerate(cases):
        before = report._SKELETONS.get(kind)
        if kind == "tracks":
            report.plot_tracks(table, tmp_path / f"batch{index}.png", "7", tracks)
            report._save(report.tracks_figure(table, "7", tracks), tmp_path / f"alone{index}.png")
        elif kind == "structure":  # by a column (a colour bar; grey beads without a value) or the compartment
            colour_by = ("dist_surface", "dist_com", "compartment")[index % 3]
            if colour_by == "compartment":
                e1 = table["compartment_e1"] if "compartment_e1" in table.columns else table["dist_com"] - 1
                table = table.with_columns(compartment=pl.when(e1 > 0).then(pl.lit("A")).otherwise(pl.lit("B")))
            elif index == 4:
                table = table.with_columns(dist_com=pl.when(pl.col("start") < 5e6).then(None).otherwise("dist_com"))
            surface = synthetic_chromosome(seed=index)[1]
            report.plot_structure(table, surface, tmp_path / f"batch{index}.png", "7", colour_by)
            report._save(report.structure_figure(table, surface, "7", colour_by), tmp_path / f"alone{index}.png")
        else:
            report.plot_correlation(table, tmp_path / f"batch{index}.png", "7")
            report._save(report.correlation_figure(table, "7"), tmp_path / f"alone{index}.png")
        reused += before is not None and report._SKELETONS[kind][1] is before[1]
        assert (tmp_path / f"batch{index}.png").read_bytes() == (tmp_path / f"alone{index}.png").read_bytes(), name
    assert reused >= 4  # the skeleton was reused, not only rebuilt


def test_pngs_hold_the_pixels_and_metadata_of_matplotlibs_own(tmp_path):
    """_save encodes savefig's pixels itself (rows unfiltered): decoded, the same pixels, size, resolution and
    Software text as savefig's PNG, for a 2D and a 3D figure; a figure of a non-integer pixel height too."""
    from PIL import Image

    table, surface = synthetic_chromosome()
    figures = {"correlation": report.correlation_figure(table, "7"),
               "structure": report.structure_figure(table, surface, "7", "dist_surface")}  # fmt: skip
    figures["odd"] = report._pyplot().figure(figsize=(3.33, 2.07))
    figures["odd"].text(0.5, 0.5, "an odd size", color="#b5651d")
    for name, fig in figures.items():
        report._save(fig, tmp_path / f"{name}.png")
        fig.savefig(tmp_path / f"{name}_matplotlib.png", dpi=report.DPI, format="png")
        mine, theirs = Image.open(tmp_path / f"{name}.png"), Image.open(tmp_path / f"{name}_matplotlib.png")
        assert (mine.mode, mine.size, mine.info) == (theirs.mode, theirs.size, theirs.info), name
        assert np.array_equal(np.asarray(mine), np.asarray(theirs)), name
        assert (tmp_path / f"{name}.png").read_bytes() != (tmp_path / f"{name}_matplotlib.png").read_bytes()
