"""Figures and the genome-wide summary for the HTML report.

Per chromosome: feature tracks along the chromosome (bins without a bead as
gaps), the 3D structure from two viewing angles, and dist_surface against GC
content and gene density with Spearman's rho. Genome-wide: one summary row per
chromosome (beads, bins, bins without a bead, surface points, medians,
correlations) and a figure of it.
"""

import math

import numpy as np
import polars as pl
from scipy.stats import spearmanr

TRACKS = (
    ("dist_surface", "distance to surface (nm)"),
    ("dist_com", "distance to centre of mass (nm)"),
    ("dist_rolling_mean", "distance to backbone (nm)"),
    ("gc_content", "GC content"),
    ("gene_density", "genes per bin"),
)

SUMMARY_SCHEMA = {
    "chr": pl.String,
    "bins": pl.Int64,
    "beads": pl.Int64,
    "bins_without_bead": pl.Int64,
    "surface_points": pl.Int64,
    "median_dist_surface": pl.Float64,
    "median_dist_com": pl.Float64,
    "median_dist_rolling_mean": pl.Float64,
    "median_gc_content": pl.Float64,
    "median_gene_density": pl.Float64,
    "rho_surface_gc": pl.Float64,
    "rho_surface_genes": pl.Float64,
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def spearman(a, b):
    """Spearman's rho over the pairs where both values are present; NaN when undefined."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 3 or np.ptp(a[keep]) == 0 or np.ptp(b[keep]) == 0:
        return float("nan")
    return float(spearmanr(a[keep], b[keep]).statistic)


def _values(table, column):
    return table[column].cast(pl.Float64).fill_null(float("nan")).to_numpy()


def plot_tracks(table, path, chrom):
    """Feature tracks along the chromosome; bins without a bead (or value) are gaps."""
    plt = _pyplot()
    mid = (table["start"].to_numpy() + table["end"].to_numpy()) / 2 / 1e6
    fig, axes = plt.subplots(len(TRACKS), 1, figsize=(10, 8.5), sharex=True)
    for ax, (column, label) in zip(axes, TRACKS):
        values = _values(table, column)
        ax.plot(mid, values, lw=1.2, color="#1f5f8b")  # NaN breaks the line: gaps stay gaps
        ax.scatter(mid, values, s=6, color="#1f5f8b")
        ax.set_ylabel(label, fontsize=8)
        no_bead = table["bead"].is_null().to_numpy() if "bead" in table.columns else np.zeros(len(mid), bool)
        for x in mid[no_bead]:
            ax.axvspan(x - 0.25, x + 0.25, color="#dddddd", lw=0)
    axes[-1].set_xlabel(f"chr{chrom} position (Mb); grey: bins without a bead")
    fig.suptitle(f"chr{chrom}: physical features and annotations along the chromosome")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_structure(table, surface, path, chrom):
    """The 3D structure: beads coloured by dist_surface, the chain as a line, surface points faint."""
    plt = _pyplot()
    beads = table.filter(pl.col("bead").is_not_null()).sort("bead") if "bead" in table.columns else table
    xyz = np.column_stack([_values(beads, c) for c in ("x", "y", "z")])
    colour = _values(beads, "dist_surface")
    points = surface.select("x", "y", "z").to_numpy()
    if points.shape[0] > 4000:  # a faint hint of the envelope is enough
        points = points[:: math.ceil(points.shape[0] / 4000)]
    fig = plt.figure(figsize=(11, 5.2))
    for index, (elevation, azimuth) in enumerate(((20, -60), (70, 30)), start=1):
        ax = fig.add_subplot(1, 2, index, projection="3d")
        ax.scatter(points[:, 0], points[:, 1], points[:, 2], s=2, alpha=0.12, color="grey")
        ax.plot(xyz[:, 0], xyz[:, 1], xyz[:, 2], lw=0.8, color="black", alpha=0.6)
        drawn = ax.scatter(xyz[:, 0], xyz[:, 1], xyz[:, 2], c=colour, cmap="viridis", s=22, depthshade=False)
        ax.view_init(elev=elevation, azim=azimuth)
        ax.set_title(f"view {index} (elevation {elevation}, azimuth {azimuth})", fontsize=9)
        ax.set_xlabel("x (nm)", fontsize=7)
        ax.set_ylabel("y (nm)", fontsize=7)
        ax.set_zlabel("z (nm)", fontsize=7)
    fig.colorbar(drawn, ax=fig.axes, shrink=0.6, label="distance to surface (nm)")
    fig.suptitle(f"chr{chrom}: 3D structure ({beads.height} beads)")
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def plot_correlation(table, path, chrom):
    """dist_surface against GC content and gene density, Spearman's rho in the titles."""
    plt = _pyplot()
    surface = _values(table, "dist_surface")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, (column, label) in zip(axes, (("gc_content", "GC content"), ("gene_density", "genes per bin"))):
        values = _values(table, column)
        rho = spearman(surface, values)
        ax.scatter(values, surface, s=12, alpha=0.7, color="#8b3a1f")
        ax.set_xlabel(label)
        ax.set_ylabel("distance to surface (nm)")
        ax.set_title(f"Spearman's rho = {rho:.2f}" if not math.isnan(rho) else "Spearman's rho: undefined")
    fig.suptitle(f"chr{chrom}: are GC-rich, gene-dense bins near the surface?")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def summary_row(chrom, table, surface):
    """One row of the genome-wide summary for a compiled (default-layout) table."""
    with_bead = table.filter(pl.col("bead").is_not_null()) if "bead" in table.columns else table

    def median(column, frame=with_bead):
        values = _values(frame, column)
        values = values[~np.isnan(values)]
        return float(np.median(values)) if values.size else None

    return {
        "chr": str(chrom),
        "bins": table.height,
        "beads": with_bead.height,
        "bins_without_bead": table.height - with_bead.height,
        "surface_points": surface.height,
        "median_dist_surface": median("dist_surface"),
        "median_dist_com": median("dist_com"),
        "median_dist_rolling_mean": median("dist_rolling_mean"),
        "median_gc_content": median("gc_content", table),
        "median_gene_density": median("gene_density", table),
        "rho_surface_gc": spearman(_values(table, "dist_surface"), _values(table, "gc_content")),
        "rho_surface_genes": spearman(_values(table, "dist_surface"), _values(table, "gene_density")),
    }


def summary_table(rows):
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA, orient="row").with_columns(pl.col(pl.Float64).fill_nan(None))


def plot_summary(summary, path):
    """Per chromosome: median distances and the two correlations."""
    plt = _pyplot()
    names = summary["chr"].to_list()
    x = np.arange(len(names))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for offset, column, label in ((-0.2, "median_dist_surface", "to surface"), (0.0, "median_dist_com", "to centre"),
                                  (0.2, "median_dist_rolling_mean", "to backbone")):  # fmt: skip
        axes[0].bar(x + offset, _values(summary, column), width=0.2, label=label)
    axes[0].set_xticks(x, [f"chr{n}" for n in names], rotation=90 if len(names) > 8 else 0)
    axes[0].set_ylabel("median distance (nm)")
    axes[0].legend(fontsize=8)
    axes[1].axhline(0, color="grey", lw=0.8)
    axes[1].plot(x, _values(summary, "rho_surface_gc"), "o-", label="dist_surface vs GC")
    axes[1].plot(x, _values(summary, "rho_surface_genes"), "s-", label="dist_surface vs genes")
    axes[1].set_xticks(x, [f"chr{n}" for n in names], rotation=90 if len(names) > 8 else 0)
    axes[1].set_ylabel("Spearman's rho")
    axes[1].set_ylim(-1, 1)
    axes[1].legend(fontsize=8)
    fig.suptitle("All chromosomes")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
