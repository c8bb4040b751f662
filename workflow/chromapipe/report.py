"""Figures and the genome-wide summary for the HTML report.

Per chromosome: feature tracks along the chromosome (bins without a bead as
gaps; local Rg, neighbours, compartment E1 and user tracks when the compiled
table has them), the 3D structure from two viewing angles coloured by a chosen
column or the compartment, and dist_surface against GC content and gene density
with Spearman's rho. Genome-wide: one summary row per chromosome (beads, bins,
bins without a bead, surface points, medians, correlations) and a figure of it.
Correlation heatmaps (structure features x annotations, from
:mod:`chromapipe.stats`): one dataset's, or several datasets' side by side.

Coordinates and distances are in the reconstruction's arbitrary model units
(the PDB columns divided by 10, as mdtraj reads them, kept for parity; a whole
chromosome spans about 2 units), not nanometres: every axis says so.

Each figure has a ``*_figure`` function returning the matplotlib Figure (what
the tests measure) and a ``plot_*`` function writing it as a PNG.
"""

import functools
import math

import numpy as np
import polars as pl

from .errors import InputError
from .stats import bins_once, by_homolog, column_values, spearman

#: The length unit of GSDB's PDB structures (other formats name their own: :func:`unit_label`).
UNIT = "model units"

#: Panels of the tracks figure; ``{unit}`` is the structure's length unit.
TRACKS = (
    ("dist_surface", "distance to\nsurface\n({unit})"),
    ("dist_com", "distance to\ncentre of mass\n({unit})"),
    ("dist_rolling_mean", "distance to\nbackbone\n({unit})"),
    ("gc_content", "GC content"),
    ("gene_density", "genes\nper bin"),
)

#: Structure features of newer compiled tables, drawn when the table has them.
STRUCTURE_TRACKS = (
    ("rg_local", "local Rg\n({unit})"),
    ("neighbours", "neighbouring\nbeads"),
)


def unit_label(units=None):
    """The short length unit figures print for a table's ``units`` metadata ("nm (TADbit)" -> "nm")."""
    if not units:
        return UNIT
    short = str(units).split(" (")[0].split(" / ")[0].strip()
    return "units not declared" if short.startswith("not declared") else short


#: Line colour and style of each homolog of a diploid structure (a haploid one draws as pat).
HOMOLOG_STYLES = {None: ("#1f5f8b", "-"), "pat": ("#1f5f8b", "-"), "mat": ("#b5651d", "--")}


def _titled(text, dataset=None):
    """A figure title, naming the dataset of a datasets sheet first."""
    return f"{dataset}: {text}" if dataset else text


COMPARTMENT_LABEL = "compartment\nE1"
COMPARTMENT_COLOURS = {"A": "#c0392b", "B": "#2c6fa8", None: "#bbbbbb"}
COMPARTMENT_LEGEND = {"A": "A (E1 > 0)", "B": "B (E1 < 0)", None: "no compartment"}

#: Columns in model units (coordinates, distances, local Rg): colour bars name the unit.
LENGTH_COLUMNS = frozenset({"x", "y", "z", "dist_surface", "dist_com", "dist_rolling_mean", "rg_local",
                            "dist_periphery_territory", "dist_nucleus_com", "dist_periphery", "dist_homolog"})  # fmt: skip
#: What the unitless landmark and trans columns' values are, under their name on a colour bar.
RATIO_COLUMNS = {
    "radial_position": "distance to the nucleus centre / nucleus radius",
    "radial_position_territory": "distance to the territory centre / its radius",
    "trans_fraction": "trans / (cis + trans) neighbours",
}

#: Height of one tracks panel (inches): the old five panels made 9 inches.
PANEL_HEIGHT = 1.8

# two side views a quarter turn apart: a steep elevation crowds the z tick labels into one spot
VIEWS = ((20, -60), (20, 30))
#: Where each view draws its z axis (ticks and label): "lower" is its left edge at these views.
Z_SIDE = "lower"


#: The matplotlib release whose import :func:`_import_matplotlib` speeds up (pyproject.toml pins it).
MATPLOTLIB_VERSION = "3.11.2"


@functools.cache
def _import_matplotlib():
    """Import what the figures use of matplotlib (a figure, the Agg canvas, 3D axes), without its docstrings.

    At import, matplotlib builds the ``set()`` docstring and signature of every Artist subclass
    (``Artist.__init_subclass__`` -> ``_update_set_signature_and_docstring``, inspecting every setter's
    docstring) and fills the ``%(...:kwdoc)s`` tables of its methods' docstrings (``matplotlib.artist.kwdoc``):
    a third of its import, for text no job reads. Both are swapped, for the import only, for functions leaving
    ``set()`` undocumented (it sets the same properties: ``Artist.set``) and the tables empty, then restored.
    Done here, the one place, before any other matplotlib import of this module; a matplotlib without the two
    functions, or already imported, imports as usual (the figures are the same): tests/test_report.py checks the
    swap takes effect on the pinned release, and that it changes no pixel.

    Returns
    -------
    bool
        Whether the docstrings were skipped.
    """
    import sys

    import matplotlib

    if "matplotlib.figure" in sys.modules:  # imported already (a test, a user's session): nothing left to skip
        return False
    import matplotlib.artist as artist

    kwdoc = getattr(artist, "kwdoc", None)
    update = vars(artist.Artist).get("_update_set_signature_and_docstring")
    skip = matplotlib.__version__ == MATPLOTLIB_VERSION and callable(kwdoc) and isinstance(update, classmethod)

    def undocumented(cls):
        cls.set._autogenerated_signature = True  # what the subclasses' __init_subclass__ checks, as before

    if skip:
        artist.kwdoc, artist.Artist._update_set_signature_and_docstring = (lambda _: ""), classmethod(undocumented)
    try:
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        import mpl_toolkits.mplot3d  # noqa: F401
    finally:
        if skip:
            artist.kwdoc, artist.Artist._update_set_signature_and_docstring = kwdoc, update
    return skip


class _Figures:
    """The two figure constructors of pyplot the figures use, through matplotlib's object-oriented API.

    No pyplot: nothing here opens a window, and pyplot's import (its backend selection, figure manager
    and style machinery) costs a job more than drawing a small figure; a :class:`~matplotlib.figure.Figure`
    on an Agg canvas, as pyplot's ``Agg`` backend makes it (the same bytes), freed like any object.
    """

    @staticmethod
    def figure(figsize=None, layout=None, dpi=None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout=layout, dpi=dpi)
        FigureCanvasAgg(fig)  # the canvas pyplot's Agg backend gives a figure (drawn, saved and measured by it)
        return fig

    @classmethod
    def subplots(cls, nrows=1, ncols=1, *, figsize=None, layout=None, dpi=None, **kwargs):
        fig = cls.figure(figsize, layout, dpi)
        return fig, fig.subplots(nrows, ncols, **kwargs)


def _pyplot():
    """What the figures use of pyplot (:class:`_Figures`), matplotlib imported (:func:`_import_matplotlib`)."""
    _import_matplotlib()
    return _Figures


#: The PNGs' resolution (dots per inch).
DPI = 110


#: zlib's level for the PNGs: 3 encodes in about half the time of the default 6, for files ~5-10% larger.
PNG_COMPRESSION = 3


def png_bytes(rgba, dpi=DPI, software=None):
    """An RGBA image (``height x width x 4`` bytes) as a PNG file's bytes: 8-bit RGBA rows without a filter, zlib at
    :data:`PNG_COMPRESSION`, the resolution (pHYs) and the ``Software`` text matplotlib's PNGs carry.

    Pillow's encoder, which ``savefig`` uses, tries the five PNG filters on every row (adaptive filtering): three
    times the time of compressing the rows as they are, which for a figure's wide flat areas makes files as small.
    The same pixels either way (tests/test_report.py decodes both).
    """
    import struct
    import zlib

    height, width, _ = rgba.shape
    rows = np.empty((height, 1 + width * 4), dtype=np.uint8)
    rows[:, 0] = 0  # filter "none" on every row
    rows[:, 1:] = rgba.reshape(height, width * 4)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    metres = int(dpi / 0.0254 + 0.5)  # pixels per metre, rounded as Pillow writes them
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
             chunk(b"pHYs", struct.pack(">IIB", metres, metres, 1))]  # fmt: skip
    if software:
        parts.append(chunk(b"tEXt", b"Software\0" + software.encode("latin-1")))
    parts += [chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESSION)), chunk(b"IEND", b"")]
    return b"".join(parts)


def _save(fig, path):
    """Write ``fig`` as a PNG, drawn once (by ``savefig``, at :data:`DPI`), encoded by :func:`png_bytes`.

    A figure laid out by a one-off ``tight_layout()`` keeps a placeholder layout engine, and ``savefig`` draws a
    figure with any engine twice (a first draw to lay it out): the placeholder lays nothing out, so it is dropped.
    """
    import io

    import matplotlib
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)
    raw = io.BytesIO()
    fig.savefig(raw, dpi=DPI, format="rgba")  # the pixels savefig's PNG would hold
    shape = np.asarray(fig.canvas.renderer.buffer_rgba()).shape  # the canvas it drew them on: height, width, 4
    pixels = np.frombuffer(raw.getbuffer(), dtype=np.uint8)
    if pixels.size != math.prod(shape):
        raise RuntimeError(f"{path}: {pixels.size} bytes of RGBA drawn on a canvas of {shape}")
    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    with open(path, "wb") as out:
        out.write(png_bytes(pixels.reshape(shape), DPI, software))


def _title(ax, text, **kwargs):
    """``ax``'s title at its top edge: where matplotlib places it when no x tick labels are on top, without the
    automatic placement measuring the axes' tick labels at every draw."""
    ax.set_title(text, y=1.0, **kwargs)


@functools.cache
def _in_view_locator():
    """The locator class of :func:`_ticks_in_view`, made once (matplotlib imported only when a figure is drawn)."""
    from matplotlib.ticker import Locator

    class InView(Locator):
        def __init__(self, locator):
            self.locator = locator

        def set_axis(self, axis):
            super().set_axis(axis)
            self.locator.set_axis(axis)

        def __call__(self):
            low, high = sorted(self.axis.get_view_interval())
            slack = (high - low) * 1e-9  # a tick on an end, within rounding
            return [v for v in self.locator() if low - slack <= v <= high + slack]

        def tick_values(self, vmin, vmax):
            return self.locator.tick_values(vmin, vmax)

        def view_limits(self, vmin, vmax):
            return self.locator.view_limits(vmin, vmax)

    return InView


def _ticks_in_view(*axes):
    """Give the x, y (and z) axes of ``axes`` only the ticks they draw.

    Locators return ticks beyond the view (a step past each end, a log axis' whole decades) and matplotlib makes a
    tick (two lines, a grid line, two labels) for each before leaving those out of the drawing: the same figure
    from fewer ticks. Call it after the scales are set (a scale brings its own locators).
    """
    InView = _in_view_locator()
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis, *([ax.zaxis] if hasattr(ax, "zaxis") else [])):  # shared axes: wrapped once
            if not isinstance(axis.get_major_locator(), InView):
                axis.set_major_locator(InView(axis.get_major_locator()))
            if not isinstance(axis.get_minor_locator(), InView):
                axis.set_minor_locator(InView(axis.get_minor_locator()))


def track_label(name, stat=None):
    """A user track's y label: its name, then what its values are ("lads" + "coverage" -> "lads\ncoverage\nfraction").

    Parameters
    ----------
    name : str
        The track's column.
    stat : str, optional
        Its per-bin statistic (a key of :data:`chromapipe.tracks.STATISTICS`, whose label it shows); unknown or
        missing: the name alone.
    """
    from .tracks import STATISTICS

    shown = STATISTICS[stat].label if stat in STATISTICS else None
    return f"{name}\n{shown}" if shown else name


def _panels(table, tracks, unit=UNIT, stats=None):
    """The tracks figure's panels, top to bottom: ``(kind, column, label)``, kind "line" or "compartment"."""
    missing = [name for name in tracks if name not in table.columns]
    if missing:
        raise InputError(
            f"track column(s) not in the compiled table: {', '.join(missing)}; "
            f"its columns are: {', '.join(table.columns)}"
        )
    structure = [("line", column, label.format(unit=unit)) for column, label in TRACKS if column.startswith("dist_")]
    annotations = [("line", column, label) for column, label in TRACKS if not column.startswith("dist_")]
    local = [("line", c, label.format(unit=unit)) for c, label in STRUCTURE_TRACKS if c in table.columns]
    compartment = [("compartment", "compartment_e1", COMPARTMENT_LABEL)] if "compartment_e1" in table.columns else []
    user = [("line", name, track_label(name, (stats or {}).get(name))) for name in tracks]
    return structure + local + annotations + compartment + user


def _compartment_panel(ax, mid, width, e1):
    """E1 as bars, A (E1 > 0) and B (E1 < 0) in two colours; bins without E1 draw nothing (a gap).

    The bars of each compartment are one collection of rectangles (from 0 to E1, a bin wide), as ``ax.bar`` draws
    them (no edge, stuck to 0 when autoscaled), without a patch per bin and its update of the limits.
    """
    from matplotlib.collections import PolyCollection

    present = ~np.isnan(e1)
    for name, keep in (("A", present & (e1 > 0)), ("B", present & (e1 <= 0))):
        low, high, top = mid[keep] - width[keep] / 2, mid[keep] + width[keep] / 2, e1[keep]
        if top.size > DISPLAY_COLUMNS:  # bars narrower than a pixel: each column's tallest (A) or deepest (B)
            low, high, top = _bar_envelope(low, high, top, np.max if name == "A" else np.min)
        boxes = np.stack([np.column_stack([low, np.zeros_like(top)]), np.column_stack([low, top]),
                          np.column_stack([high, top]), np.column_stack([high, np.zeros_like(top)])], axis=1)  # fmt: skip
        bars = PolyCollection(boxes, facecolors=COMPARTMENT_COLOURS[name], linewidths=0, label=COMPARTMENT_LEGEND[name])
        bars.sticky_edges.y.append(0)
        ax.add_collection(bars)
    ax.axhline(0, color="grey", lw=0.6)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


#: The dot a tracks line draws on each bin: the 6 pt\u00b2 scatter dots of before, drawn with the line (one artist).
BIN_MARKER = {"marker": "o", "markersize": math.sqrt(6)}
#: A tracks line draws a dot per bin up to this many bins (dots further apart than their size); a longer line
#: (a whole-genome structure's chromosome at 5 kb: 50,000 bins) is drawn without, as its x label says.
MAX_BIN_MARKERS = 500
#: The pixel columns a line or a bar chart is reduced to when it has more points than 4 per column (the PNG's
#: width: finer than a panel's): per column the envelope the full line draws (:func:`_line_envelope`).
DISPLAY_COLUMNS = 1100


def _columns(x, low, high, columns=DISPLAY_COLUMNS):
    """The display column (0 to ``columns - 1``) of each ``x`` over ``[low, high]``."""
    span = max(high - low, 1e-12)
    return np.clip(((x - low) / span * columns).astype(np.int64), 0, columns - 1)


def _line_envelope(x, y, columns=DISPLAY_COLUMNS):
    """The indices of the points of a line (``x`` increasing) that draw it the same at ``columns`` pixel columns.

    Per column and unbroken stretch of the line (NaN breaks it): its first, last, lowest and highest point, which
    keep every vertical extent and the joins between columns (the M4 reduction); per break, its first NaN. A line of
    at most 4 points per column, or whose ``x`` is not increasing, is kept whole.

    Parameters
    ----------
    x, y : numpy.ndarray
        The line's points; NaN in ``y`` (or ``x``) breaks it.
    columns : int
        The pixel columns over the range of ``x``.

    Returns
    -------
    numpy.ndarray of int
        Indices into ``x`` and ``y``, increasing.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    if x.size <= 4 * columns or not finite.any() or np.any(np.diff(x[finite]) < 0):
        return np.arange(x.size)
    idx = np.flatnonzero(finite)
    stretch = np.cumsum(~finite)[idx]  # which unbroken stretch each point is on
    key = stretch * columns + _columns(x[idx], x[idx].min(), x[idx].max(), columns)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], idx.size] - 1
    order = np.lexsort((y[idx], key))  # by column and stretch, then value: each group's lowest first
    breaks = np.flatnonzero(~finite & np.r_[True, finite[:-1]])
    return np.unique(np.concatenate([idx[starts], idx[ends], idx[order[starts]], idx[order[ends]], breaks]))


def _bar_envelope(low, high, top, pick, columns=DISPLAY_COLUMNS):
    """Bars (``low`` to ``high``, from 0 to ``top``, in order) merged per pixel column: ``(low, high, top)`` of one
    bar per column with bars, from its first bar's ``low`` to its last one's ``high``, its ``top`` the ``pick``
    (``np.max`` or ``np.min``) of theirs."""
    key = _columns((low + high) / 2, low.min(), high.max(), columns)
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], key.size] - 1
    reduce = np.maximum if pick is np.max else np.minimum
    return low[starts], high[ends], reduce.reduceat(top, starts)


GREY_BAND = "#dddddd"
#: The tracks figure's fixed margins (inches): the title's top, the title's band above the first panel, the x axis's
#: band below the last, the gap between panels (the end tick labels of two neighbours), the figure's edge.
TRACKS_MARGINS = {"title": 0.08, "top": 0.45, "bottom": 0.6, "gap": 0.14, "edge": 0.12}
#: The right margin (inches) of a tracks figure without a legend: half an x tick label at the axis' end.
TRACKS_RIGHT = 0.25
#: The font size of the tracks' y labels and y tick labels.
TRACKS_FONTSIZE = 8


def no_bead_bands(start, end, no_bead):
    """The grey bands of the tracks figure: ``[(start, end)]`` of each run of consecutive bins without a bead.

    Parameters
    ----------
    start, end : numpy.ndarray
        The bins' bounds (in the figure's unit), in order.
    no_bead : numpy.ndarray of bool
        The bins without a bead.

    Returns
    -------
    list of tuple of float
        One band per run of adjacent bins without a bead (a bin ending where the next starts); bins apart: a band each.
    """
    bands = []
    for low, high, empty in zip(start.tolist(), end.tolist(), np.asarray(no_bead, dtype=bool).tolist()):
        if not empty:
            continue
        if bands and bands[-1][1] == low:  # touches the band before it: one band
            bands[-1] = (bands[-1][0], high)
        else:
            bands.append((low, high))
    return bands


def _band_paths(bands):
    """The closed rectangles of :func:`_grey_bands` (as a :class:`~matplotlib.collections.PolyCollection` makes
    them), made once for every panel of a figure."""
    from matplotlib.path import Path

    return [Path(np.array(((low, 0), (low, 1), (high, 1), (high, 0), (low, 0)), dtype=float), closed=True)
            for low, high in bands]  # fmt: skip


def _grey_bands(ax, bands, paths=None):
    """``bands`` as one collection of full-height grey rectangles (as ``axvspan`` draws one), x in data;
    ``paths``: theirs from :func:`_band_paths` (shared by a figure's panels)."""
    from matplotlib.collections import PathCollection

    if not bands:
        return None
    grey = PathCollection(paths if paths is not None else _band_paths(bands), facecolors=GREY_BAND, linewidths=0,
                          transform=ax.get_xaxis_transform(which="grid"))  # fmt: skip
    ax.add_collection(grey, autolim=False)
    edges = np.array(bands, dtype=float).ravel()
    ax.update_datalim(np.column_stack([edges, np.zeros_like(edges)]), updatey=False)  # the x range covers them
    return grey


def _tick_label_extent(axis, renderer):
    """The widest and the tallest tick label ``axis`` will draw (inches, majors and minors in its view, as its tick
    labels' font and rotation draw them), from its locators and formatters, without drawing it."""
    from matplotlib.text import Text

    low, high = sorted(axis.get_view_interval())
    slack = (high - low) * 1e-9
    proto = axis.majorTicks[0].label1  # the first tick, made by the drawing anyway: the labels' font and rotation
    width = height = 0.0
    for locator, formatter in ((axis.get_major_locator(), axis.get_major_formatter()),
                               (axis.get_minor_locator(), axis.get_minor_formatter())):  # fmt: skip
        locations = [v for v in locator() if low - slack <= v <= high + slack]
        for text in formatter.format_ticks(locations) if locations else ():
            if text:
                box = Text(0, 0, text, fontproperties=proto.get_fontproperties(), rotation=proto.get_rotation(),
                           figure=axis.figure).get_window_extent(renderer)  # fmt: skip
                width, height = max(width, box.width), max(height, box.height)
    return width / axis.figure.dpi, height / axis.figure.dpi


#: The margins (inches) of a grid of panels placed by :func:`_place_grid`: the figure's edge, the pad between a
#: panel's decorations and the next panel's.
GRID_MARGINS = {"edge": 0.1, "pad": 0.15}


def _place_grid(fig, axes, columns, legends_above=False, reserve=None):
    """Place equal panels in a grid of ``columns`` (row by row) without a layout engine, as ``tight_layout`` did:
    the margins and gaps from the sizes of what the panels draw around them (title or a legend above, tick labels
    and axis labels below and to the left, an end tick label's overhang), the suptitle above them all.

    ``tight_layout`` measures every artist of every panel (their tight boxes), then the PNG draws them again: here
    only the labels are measured, from their text. Placed twice: a panel's size changes its ticks' count.
    ``legends_above``: the panels' legends sit above them (``loc="lower center"`` at their top), in the margin.
    ``reserve``: inches kept free beyond the panels' own margins, ``{"right": ..., "bottom": ...}`` (a colour bar,
    a caption).
    """
    from matplotlib import rcParams

    width, height = fig.get_size_inches()
    rows = math.ceil(len(axes) / columns)
    renderer = fig.canvas.get_renderer()
    dpi, points, margins = fig.dpi, 1 / 72, GRID_MARGINS

    def extent(text, side):
        return getattr(text.get_window_extent(renderer), side) / dpi if text.get_visible() and text.get_text() else 0

    suptitle = fig._suptitle
    top = margins["edge"] + (extent(suptitle, "height") + (1 - suptitle.get_position()[1]) * height if suptitle else 0)
    for _ in range(2):
        need = {"left": 0.0, "right": 0.0, "top": 0.0, "bottom": 0.0}
        for ax in axes:
            x_width, x_height = _tick_label_extent(ax.xaxis, renderer)
            y_width, y_height = _tick_label_extent(ax.yaxis, renderer)
            x_ticks, y_ticks = (
                (t.get_tick_padding() + t.get_pad()) * points  # its tick's length and pad
                for t in (ax.xaxis.majorTicks[0], ax.yaxis.majorTicks[0])
            )
            label_x, label_y = ax.xaxis.label, ax.yaxis.label
            above = extent(ax.title, "height") + (rcParams["axes.titlepad"] * points if ax.get_title() else 0)
            if legends_above and ax.get_legend():
                above = max(above, ax.get_legend().get_window_extent(renderer).height / dpi)
            need["left"] = max(need["left"], y_width + y_ticks + extent(label_y, "width") + ax.yaxis.labelpad * points)
            need["bottom"] = max(need["bottom"], x_height + x_ticks + extent(label_x, "height")
                                 + ax.xaxis.labelpad * points)  # fmt: skip
            need["top"] = max(need["top"], above, y_height / 2)
            need["right"] = max(need["right"], x_width / 2)
            if ax.xaxis.majorTicks[0].label1.get_horizontalalignment() == "right":  # slanted, ending at their tick
                need["left"] = max(need["left"], x_width)
        reserve = {"right": 0.0, "bottom": 0.0} | (reserve or {})
        left, right = margins["edge"] + need["left"], margins["edge"] + need["right"] + reserve["right"]
        column_gap = need["right"] + margins["pad"] + need["left"]
        row_gap = need["bottom"] + margins["pad"] + need["top"]
        panel_width = (width - left - right - (columns - 1) * column_gap) / columns
        bottom = (reserve["bottom"] or margins["edge"]) + need["bottom"]  # a caption at the edge: its own margin
        panel_height = (height - top - need["top"] - bottom - (rows - 1) * row_gap) / rows
        for index, ax in enumerate(axes):
            row, column = divmod(index, columns)
            x0 = left + column * (panel_width + column_gap)
            y0 = height - top - need["top"] - (row + 1) * panel_height - row * row_gap
            ax.set_position((x0 / width, y0 / height, panel_width / width, panel_height / height))


def _place_tracks(fig, axes):
    """Place the tracks panels, one above the other: fixed bands for the title and the x axis, the left margin
    the widest y label and tick labels, the right one the widest legend; every y label at one x (aligned)."""
    from matplotlib import rcParams

    width, height = fig.get_size_inches()
    margins = TRACKS_MARGINS
    panel = (height - margins["top"] - margins["bottom"] - margins["gap"] * (len(axes) - 1)) / len(axes)
    bottoms = [height - margins["top"] - (i + 1) * panel - i * margins["gap"] for i in range(len(axes))]
    for ax, bottom in zip(axes, bottoms):  # the height first: the y ticks' count depends on it
        ax.set_position((0.1, bottom / height, 0.8, panel / height))
    renderer = fig.canvas.get_renderer()
    points = 1 / 72
    ticks = max(_tick_label_extent(ax.yaxis, renderer)[0] for ax in axes)
    ticks += (rcParams["ytick.major.size"] + rcParams["ytick.major.pad"]) * points
    offset = ticks + axes[0].yaxis.labelpad * points  # from the axes to the labels' right edge
    label = max(ax.yaxis.label.get_window_extent(renderer).width for ax in axes) / fig.dpi
    # how far a legend beside its panel reaches beyond the panel's right edge (its pad from the edge included)
    legends = [(ax.get_legend().get_window_extent(renderer).x1 - ax.get_window_extent(renderer).x1) / fig.dpi
               for ax in axes if ax.get_legend()]  # fmt: skip
    left = margins["edge"] + label + offset
    right = margins["edge"] + max(legends) if legends else TRACKS_RIGHT
    for ax, bottom in zip(axes, bottoms):
        ax.set_position((left / width, bottom / height, 1 - (left + right) / width, panel / height))
        ax.yaxis.set_label_coords(-offset / (width - left - right), 0.5)  # the labels' right edges, aligned
    for ax in axes[:-1]:  # no x label above the last panel: nothing to place below their (hidden) tick labels
        ax.xaxis.set_label_coords(0.5, 0)


#: The figures last drawn with ``reuse``, per kind ("tracks", "correlation"): ``(layout, figure, axes, positions)``.
_SKELETONS = {}


def _skeleton(kind, layout, build, reuse=False):
    """A figure of ``kind`` and its axes, without data: ``build()``'s (``(figure, axes)``), or with ``reuse`` the
    previous one's of the same ``kind`` and ``layout`` (what its axes and labels depend on), emptied of its data.

    A batch job draws every chromosome of a dataset on one skeleton per figure, without making its axes and their
    ticks again: its axes are emptied (lines, collections, patches, legends, data limits) and put back where the
    new figure had them, so what is drawn on it is what a new figure draws (tests/test_report.py compares the
    PNGs' bytes). A new one is kept for the next call with ``reuse``.
    """
    kept = _SKELETONS.get(kind)
    if reuse and kept is not None and kept[0] == layout:
        _, fig, axes, positions = kept
        _empty(axes)
        for ax, box in zip(axes, positions):
            ax.set_position(box)
        return fig, axes
    fig, axes = build()
    if reuse:
        _SKELETONS[kind] = (layout, fig, axes, [ax.get_position(original=True).frozen() for ax in axes])
    return fig, axes


def _tracks_skeleton(plt, panels, reuse=False):
    """The tracks figure's figure and panels (:func:`_skeleton`), their y labels set: one per set of ``panels``
    (kinds, columns, labels)."""

    def build():
        # a fixed layout (`_place_tracks`), not a layout engine: constrained layout measured every axes' tight
        # box, twice, and was most of the figure's time
        # measured at the PNG's resolution: text extents at another one differ by their hinting
        fig, axes = plt.subplots(len(panels), 1, figsize=(10, PANEL_HEIGHT * len(panels)), sharex=True,
                                 squeeze=False, dpi=DPI)  # fmt: skip
        axes = list(axes[:, 0])
        for ax, (_, _, label) in zip(axes, panels):
            ax.set_ylabel(label, fontsize=TRACKS_FONTSIZE)
            ax.tick_params(axis="y", labelsize=TRACKS_FONTSIZE)
        return fig, axes

    return _skeleton("tracks", panels, build, reuse)


def _empty(axes):
    """Take the data off ``axes`` (lines, collections, patches, legends) and forget their data limits, and their
    figure's legends, texts but the title and axes added after them (colour bars): as new, for the next chromosome's."""
    from matplotlib.transforms import Bbox

    fig = axes[0].get_figure(root=True)
    for artist in [*fig.legends, *(t for t in fig.texts if t is not fig._suptitle), *fig.axes[len(axes) :]]:
        artist.remove()  # a figure's legends, notes and colour bars (axes added after the skeleton's)
    for ax in axes:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.dataLim.set(Bbox.null())
        ax.ignore_existing_data_limits = True
        ax._request_autoscale_view()


def tracks_figure(table, chrom, tracks=(), unit=UNIT, dataset=None, stats=None, reuse=False):
    """The feature tracks figure (see `plot_tracks`), not yet written.

    Parameters
    ----------
    table : polars.DataFrame
        A compiled table (one row per bin). Panels: the distances, ``rg_local`` and
        ``neighbours`` when present, GC content and gene density, the compartment
        E1 when ``compartment_e1`` is present, then one panel per name in ``tracks``.
    chrom : str
        The chromosome's name, without ``chr``.
    tracks : sequence of str
        User track columns of ``table``, one panel each, labelled with the name.
    unit : str
        The structure's length unit (:func:`unit_label`).
    dataset : str, optional
        The dataset of a datasets sheet, named in the title.
    stats : dict, optional
        ``track name -> statistic`` (the compiled table's track metadata): a track's y label
        says what its values are (:func:`track_label`).
    reuse : bool
        Draw on the figure of the previous call with ``reuse`` when its panels are the same (:func:`_skeleton`): the
        same figure, drawn again (what :func:`plot_tracks` does: a figure it has written is not kept by anyone).

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel, top to bottom; its height grows with the panel count; the title
        sits above the first panel. Every panel leaves bins without a bead undrawn (the line
        breaks at their grey bands): a bin's annotation is drawn only where it pairs with a bead.

    Raises
    ------
    InputError
        A name in ``tracks`` is not a column of ``table``.
    """
    plt = _pyplot()
    panels = _panels(table, tuple(tracks), unit, stats)
    bins = bins_once(table)
    homologs = by_homolog(table)
    physical = {c for c, _ in TRACKS if c.startswith("dist_")} | {c for c, _ in STRUCTURE_TRACKS}

    def position(frame):
        start, end = frame["start"].to_numpy(), frame["end"].to_numpy()
        return (start + end) / 2 / 1e6, (end - start) / 1e6

    mid, width = position(bins)
    no_bead = bins["_no_bead"].to_numpy()
    bands = no_bead_bands(bins["start"].to_numpy() / 1e6, bins["end"].to_numpy() / 1e6, no_bead)
    band_paths = _band_paths(bands)
    fig, axes = _tracks_skeleton(plt, panels, reuse)
    for ax, (kind, column, _) in zip(axes, panels):
        if kind == "compartment":
            _compartment_panel(ax, mid, width, np.where(no_bead, np.nan, column_values(bins, column)))
        else:
            # a structure feature per homolog (each its own line); a bin's annotation once
            for hap, rows in homologs if column in physical else [(None, bins)]:
                x, _ = position(rows)
                values = column_values(rows, column)
                if column not in physical:  # no bead, nothing to pair with: a gap, not a flat 0
                    values = np.where(no_bead, np.nan, values)
                colour, style = HOMOLOG_STYLES[hap]
                keep = _line_envelope(x, values)  # a long line: what its pixels draw
                dots = BIN_MARKER if bins.height <= MAX_BIN_MARKERS else {}
                # one artist: the line (NaN breaks it) and a dot per bin
                ax.plot(x[keep], values[keep], lw=1.2, color=colour, linestyle=style, label=hap, **dots)
            if column in physical and len(homologs) > 1:
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, title="homolog")
        _grey_bands(ax, bands, band_paths)
    where = "no homolog has a bead" if len(homologs) > 1 else "bins without a bead"
    dots = "" if bins.height <= MAX_BIN_MARKERS else f"; lines without a dot per bin (over {MAX_BIN_MARKERS} bins)"
    axes[-1].set_xlabel(f"chr{chrom} position (Mb); grey: {where}{dots}")
    title = _titled(f"chr{chrom}: physical features and annotations along the chromosome", dataset)
    fig.suptitle(title, y=1 - TRACKS_MARGINS["title"] / fig.get_size_inches()[1])  # its top: va "top"
    _ticks_in_view(*axes)
    _place_tracks(fig, axes)
    return fig


def plot_tracks(table, path, chrom, tracks=(), unit=UNIT, dataset=None, stats=None):
    """Feature tracks along the chromosome; bins without a bead (or value) are gaps.

    Parameters
    ----------
    table : polars.DataFrame
        A compiled table (see `tracks_figure`).
    path : str or os.PathLike
        The PNG to write.
    chrom : str
        The chromosome's name, without ``chr``.
    tracks : sequence of str
        User track columns of ``table``, one panel each.
    unit, dataset, stats
        As for `tracks_figure`.
    """
    _save(tracks_figure(table, chrom, tracks, unit, dataset, stats, reuse=True), path)


#: The 3D views draw at most this many beads (an evenly spaced subset of a longer chain, the chain through it, as
#: the title says) and this many surface points (every k-th of those in the box).
MAX_BEADS_3D = 5000
MAX_SURFACE_POINTS = 4000
#: The surface points' opacity in the 3D views.
SURFACE_ALPHA = 0.1
#: Where the note of a subset sits (figure fraction, its top): under the title, above the views' titles.
SUBSET_NOTE_Y = 0.925


def _ordinal(n):
    """``2`` -> "2nd", ``11`` -> "11th", ``23`` -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cube(xyz, margin=0.08):
    """Equal limits on the three axes around the beads: centre ± half the largest span, plus a margin."""
    low, high = np.nanmin(xyz, axis=0), np.nanmax(xyz, axis=0)
    half = max(float(np.max(high - low)), 1e-9) * (0.5 + margin)
    centre = (low + high) / 2
    return centre - half, centre + half


def _bead_colours(beads, colour_by, unit=UNIT):
    """How the beads are coloured: ``("values", numbers, bar label)`` or ``("categories", RGBA rows, legend)``."""
    from matplotlib.colors import to_rgba

    if colour_by == "compartment":
        names = beads["compartment"].cast(pl.String).to_list()
        names = [name if name in ("A", "B") else None for name in names]
        colours = np.array([to_rgba(COMPARTMENT_COLOURS[name]) for name in names]).reshape(-1, 4)
        shown = ["A", "B"] + ([None] if None in names else [])  # A and B always, grey only when drawn
        legend = [(COMPARTMENT_COLOURS[name], "no compartment" if name is None else name) for name in shown]
        return "categories", colours, legend
    label = f"{colour_by} ({unit})" if colour_by in LENGTH_COLUMNS else colour_by
    if colour_by in RATIO_COLUMNS:
        label = f"{colour_by}\n({RATIO_COLUMNS[colour_by]})"
    return "values", column_values(beads, colour_by), label


def structure_figure(table, surface, chrom, colour_by="dist_surface", unit=UNIT, dataset=None, reuse=False):
    """The 3D structure figure (see `plot_structure`), not yet written.

    Parameters
    ----------
    table : polars.DataFrame
        A compiled table; rows without a bead are left out.
    surface : polars.DataFrame
        The surface points (``x, y, z``), drawn faint.
    chrom : str
        The chromosome's name, without ``chr``.
    colour_by : str
        The column colouring the beads: any numeric column (a colour bar labelled
        with its name, and with the unit for coordinates, distances and ``rg_local``;
        beads without a value in grey), or ``"compartment"`` (A and B in two colours,
        beads without a compartment in grey, with a legend).
    unit, dataset, reuse
        As for `tracks_figure`.

    Returns
    -------
    matplotlib.figure.Figure
        Two 3D views side by side, each with its z axis on its left edge, then the colour bar's
        axes (numeric colouring).

    Raises
    ------
    InputError
        ``colour_by`` is not a column of ``table``, or (other than ``"compartment"``) not numeric.
    """
    if colour_by not in table.columns:
        raise InputError(
            f"cannot colour the structure by '{colour_by}': not a column of the compiled table; "
            f"its columns are: {', '.join(table.columns)}"
        )
    if colour_by != "compartment" and not table.schema[colour_by].is_numeric():
        raise InputError(
            f"cannot colour the structure by '{colour_by}': its values are {table.schema[colour_by]}, not numbers"
        )
    plt = _pyplot()  # first: matplotlib imported by it
    homologs = [
        (hap, rows.filter(pl.col("bead").is_not_null()).sort("bead") if "bead" in rows.columns else rows)
        for hap, rows in by_homolog(table)
    ]
    counts = [(hap, rows.height) for hap, rows in homologs]
    every = math.ceil(sum(n for _, n in counts) / MAX_BEADS_3D)  # thousands of beads: an evenly spaced subset
    if every > 1:
        homologs = [(hap, rows.gather_every(every)) for hap, rows in homologs]
    beads = pl.concat([rows for _, rows in homologs])
    xyz = np.column_stack([column_values(beads, c) for c in ("x", "y", "z")])
    kind, colour, key = _bead_colours(beads, colour_by, unit)
    low, high = _cube(xyz)
    points = surface.select("x", "y", "z").to_numpy()
    points = points[np.all((points >= low) & (points <= high), axis=1)]  # 3D axes do not clip: keep the box's own
    stride = math.ceil(points.shape[0] / MAX_SURFACE_POINTS)
    if stride > 1:  # a faint hint of the envelope is enough
        points = points[::stride]
    fig, views = _skeleton("structure", unit, lambda: _structure_skeleton(plt, unit), reuse)
    for ax in views:
        # one colour for every point, no depth shading: Agg stamps one marker (a third of the figure's drawing
        # before, with a colour per point), and an alpha of 0.1 keeps the cloud as faint as the shading made it
        ax.scatter(points[:, 0], points[:, 1], points[:, 2], s=3, alpha=SURFACE_ALPHA, color="grey", depthshade=False)
        for hap, rows in homologs:  # each homolog its own chain
            chain = np.column_stack([column_values(rows, c) for c in ("x", "y", "z")])
            ax.plot(*chain.T, lw=0.8, color="black", alpha=0.6, linestyle=HOMOLOG_STYLES[hap][1],
                    label=f"{hap} chain" if hap else None)  # fmt: skip
        if kind == "values":  # 3D scatter drops beads without a value: those are drawn grey, apart
            gap = np.isnan(colour)
            if gap.any():
                ax.scatter(*xyz[gap].T, color=COMPARTMENT_COLOURS[None], s=30, depthshade=False)
            drawn = ax.scatter(*xyz[~gap].T, c=colour[~gap], cmap="viridis", s=30, depthshade=False)
        else:
            ax.scatter(xyz[:, 0], xyz[:, 1], xyz[:, 2], c=colour, s=30, depthshade=False)
        ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), zlim=(low[2], high[2]))
    if kind == "values":
        bar = fig.add_axes((0.91, 0.2, 0.015, 0.55))
        fig.colorbar(drawn, cax=bar, label=key + ("\n(grey: no value)" if np.isnan(colour).any() else ""))
    else:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker="o", linestyle="none", color=colour, markersize=8) for colour, _ in key]
        fig.legend(handles, [name for _, name in key], title="compartment", loc="center right", frameon=False)
    if len(homologs) > 1:
        from matplotlib.lines import Line2D

        lines = [Line2D([], [], color="black", linestyle=HOMOLOG_STYLES[hap][1]) for hap, _ in homologs]
        fig.legend(lines, [f"{hap} chain" for hap, _ in homologs], loc="lower right", frameon=False, fontsize=8)
        count = " + ".join(f"{n} {hap}" for hap, n in counts)
    else:
        count = str(counts[0][1])
    fig.suptitle(_titled(f"chr{chrom}: 3D structure ({count} beads), coloured by {colour_by}", dataset))
    if every > 1:  # said under the title: which beads are drawn, the chain through them, which surface points
        note = f"drawn: every {_ordinal(every)} bead ({beads.height} beads), the chain through them"
        note += f"; every {_ordinal(stride)} surface point" if stride > 1 else ""
        fig.text(0.5, SUBSET_NOTE_Y, note, ha="center", va="top", fontsize=9, color="#444444")
    return fig


def _structure_skeleton(plt, unit):
    """The 3D figure and its two views, without data: their angles, titles, axis labels in ``unit``, ticks."""
    from matplotlib.ticker import MaxNLocator

    fig = plt.figure(figsize=(11, 5.6))
    views = []
    for index, (elevation, azimuth) in enumerate(VIEWS, start=1):
        ax = fig.add_axes((0.01 + (index - 1) * 0.44, 0.02, 0.44, 0.86), projection="3d")
        ax.set_box_aspect((1, 1, 1), zoom=0.92)
        ax.view_init(elev=elevation, azim=azimuth)
        ax.set_title(f"view {index} (elevation {elevation}, azimuth {azimuth})", fontsize=9, y=0.95)
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y"), (ax.zaxis, "z")):
            axis.set_label_text(f"{name} ({unit})", fontsize=8)
            axis.set_major_locator(MaxNLocator(5))
        _ticks_in_view(ax)
        # the z axis on each view's left edge: by default the first view draws it on its right, beside the
        # second view's z axis, and the two z labels sat side by side between the views
        ax.zaxis.set_ticks_position(Z_SIDE)
        ax.zaxis.set_label_position(Z_SIDE)
        ax.tick_params(labelsize=7)
        views.append(ax)
    return fig, views


def plot_structure(table, surface, path, chrom, colour_by="dist_surface", unit=UNIT, dataset=None):
    """The 3D structure: beads coloured by a column (dist_surface by default), the chain as a line, surface faint.

    Parameters
    ----------
    table, surface, chrom, colour_by, unit, dataset
        As for `structure_figure`.
    path : str or os.PathLike
        The PNG to write.
    """
    _save(structure_figure(table, surface, chrom, colour_by, unit, dataset, reuse=True), path)


def _points_as_one_array(legend):
    """Let ``legend``'s "best" placement count the scatter points under each place it tries from one array.

    matplotlib gathers the points as a list of 2-element rows and makes an array of it again for each of the nine
    places (``Legend._auto_legend_data``, ``Bbox.count_contains``): at 100,000 points a homolog, seconds per
    legend. The same points, the same counts, the same place: an array once (matplotlib's own list when the
    pinned release's method is not there).
    """
    gather = getattr(legend, "_auto_legend_data", None)
    if matplotlib_version() != MATPLOTLIB_VERSION or not callable(gather):
        return legend

    def as_array(renderer):
        bboxes, lines, offsets = gather(renderer)
        return bboxes, lines, np.asarray(offsets, dtype=float).reshape(-1, 2)

    legend._auto_legend_data = as_array
    return legend


def matplotlib_version():
    """The matplotlib release imported."""
    import matplotlib

    return matplotlib.__version__


def correlation_figure(table, chrom, unit=UNIT, dataset=None, reuse=False):
    """The correlation figure (see `plot_correlation`), not yet written; ``reuse``: on the previous one's figure
    (:func:`_skeleton`, as for `tracks_figure`)."""
    plt = _pyplot()
    homologs = by_homolog(table)
    colours = {None: "#8b3a1f", "pat": "#1f5f8b", "mat": "#b5651d"}
    fig, axes = _skeleton("correlation", (), lambda: plt.subplots(1, 2, figsize=(10, 4.2)), reuse)
    for ax, (column, label) in zip(axes, (("gc_content", "GC content"), ("gene_density", "genes per bin"))):
        titles = []
        for hap, rows in homologs:  # each homolog its own rho
            surface, values = column_values(rows, "dist_surface"), column_values(rows, column)
            rho = spearman(surface, values)
            shown = f"{rho:.2f}" if not math.isnan(rho) else "undefined"
            ax.scatter(
                values, surface, s=12, alpha=0.7, color=colours[hap], label=f"{hap}: rho {shown}" if hap else None
            )
            titles.append(f"{hap} {shown}" if hap else shown)
        ax.set_xlabel(label)
        ax.set_ylabel(f"distance to surface ({unit})")
        _title(ax, f"Spearman's rho{': ' if 'undefined' in titles else ' = '}{', '.join(titles)}")
        if len(homologs) > 1:
            _points_as_one_array(ax.legend(fontsize=8, frameon=False))
    fig.suptitle(_titled(f"chr{chrom}: are GC-rich, gene-dense bins near the surface?", dataset))
    _ticks_in_view(*axes)
    _place_grid(fig, list(axes), 2)
    return fig


def plot_correlation(table, path, chrom, unit=UNIT, dataset=None):
    """dist_surface against GC content and gene density, Spearman's rho in the titles."""
    _save(correlation_figure(table, chrom, unit, dataset, reuse=True), path)


def summary_figure(summary, unit=UNIT, dataset=None):
    """The genome-wide figure (see `plot_summary`), not yet written."""
    plt = _pyplot()
    names = summary["chr"].to_list()
    x = np.arange(len(names))
    ticks = [f"chr{n}" for n in names]
    rotation = 90 if len(names) > 8 else 0
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for offset, column, label in ((-0.25, "median_dist_surface", "to surface"), (0.0, "median_dist_com", "to centre"),
                                  (0.25, "median_dist_rolling_mean", "to backbone")):  # fmt: skip
        axes[0].bar(x + offset, column_values(summary, column), width=0.25, label=label)
    axes[0].set_ylabel(f"median distance ({unit})")
    # categories: one marker per chromosome and correlation, nothing joins one chromosome to the next
    axes[1].axhline(0, color="grey", lw=0.8)
    for offset, column, marker, label in ((-0.1, "rho_surface_gc", "o", "dist_surface vs GC"),
                                          (0.1, "rho_surface_genes", "s", "dist_surface vs genes")):  # fmt: skip
        axes[1].plot(x + offset, column_values(summary, column), marker=marker, linestyle="none", ms=7, label=label)
    axes[1].set_ylabel("Spearman's rho")
    axes[1].set_ylim(-1, 1)
    for ax in axes:
        ax.set_xticks(x, ticks, rotation=rotation)
        ax.set_xlim(-0.6, len(names) - 0.4)
        # above the panel, never over a bar or a marker
        ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.suptitle(_titled("All chromosomes", dataset))
    _ticks_in_view(*axes)
    _place_grid(fig, list(axes), 2, legends_above=True)
    return fig


def plot_summary(summary, path, unit=UNIT, dataset=None):
    """Per chromosome: median distances and the two correlations."""
    _save(summary_figure(summary, unit, dataset), path)


# -- several datasets side by side ---------------------------------------------------------------------

#: Matrices per row of the comparison figure.
COMPARISON_COLUMNS = 3


def comparison_figure(comparison):
    """One matrix of Spearman's rho between datasets per feature, three to a row, sized to the datasets."""
    plt = _pyplot()
    features = comparison["feature"].unique(maintain_order=True).to_list()
    names = comparison["dataset_a"].unique(maintain_order=True).to_list()
    n = len(names)
    side = max(3.6, 0.42 * n + 1.6)  # inches per matrix: room for a legible number in every cell
    fontsize = 8 if n <= 6 else max(4.5, 8 - 0.4 * (n - 6))
    columns = min(COMPARISON_COLUMNS, max(len(features), 1))
    rows = max(math.ceil(len(features) / columns), 1)
    fig, axes = plt.subplots(rows, columns, figsize=(side * columns + 1.2, side * rows + 0.6), squeeze=False)
    image = None
    for index, ax in enumerate(axes.flat):
        if index >= len(features):
            ax.set_axis_off()
            continue
        feature = features[index]
        part = comparison.filter(pl.col("feature") == feature)
        matrix = np.full((n, n), np.nan)
        for a, b, rho in part.select("dataset_a", "dataset_b", "rho").iter_rows():
            matrix[names.index(a), names.index(b)] = np.nan if rho is None else rho
        image = ax.imshow(matrix, vmin=-1, vmax=1, cmap="RdBu_r")
        for i in range(n):
            for j in range(n):
                value = matrix[i, j]
                ax.text(j, i, "n/a" if np.isnan(value) else f"{value:.2f}", ha="center", va="center",
                        fontsize=fontsize, color="white" if abs(np.nan_to_num(value)) > 0.6 else "black")  # fmt: skip
        ax.set_xticks(range(n), names, rotation=45, ha="right", fontsize=min(9, fontsize + 1))
        ax.set_yticks(range(n), names if index % columns == 0 else [""] * n, fontsize=min(9, fontsize + 1))
        _title(ax, feature)
    if image is not None:
        fig.colorbar(image, ax=list(axes.flat), label="Spearman's rho over shared bins", shrink=0.8)
    fig.suptitle("Datasets compared, per bin (a diploid dataset once per homolog)")
    return fig


def plot_comparison(comparison, path):
    _save(comparison_figure(comparison), path)


# -- correlation heatmaps (chromapipe.stats results) ------------------------------------------------------

#: The heatmaps' caption: what a star and a hatched cell mean.
HEATMAP_CAPTION = "* 95% block-bootstrap CI excludes 0; hatched, grey text: the CI covers 0 or is undefined"
HEATMAP_COLUMNS = ("dataset", "chromosome", "feature", "annotation", "rho", "significant")
NOT_SIGNIFICANT = "#666666"


def _check_correlations(correlations):
    missing = [column for column in HEATMAP_COLUMNS if column not in correlations.columns]
    if missing:
        raise InputError(
            f"correlations lack column(s) {', '.join(missing)}: expected chromapipe.stats.RESULT_SCHEMA "
            f"({', '.join(HEATMAP_COLUMNS)}, ...)"
        )


def _order(correlations, column):
    return correlations[column].unique(maintain_order=True).to_list()


def _scope(chromosome):
    if chromosome == "genome":
        return "genome-wide"
    return chromosome if str(chromosome).startswith("chr") else f"chr{chromosome}"


def _no_correlations(plt):
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.axis("off")
    ax.text(0.5, 0.5, "no correlations", ha="center", va="center", fontsize=12, transform=ax.transAxes)
    return fig


def _rho(value):
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _draw_heatmap(ax, part, features, annotations, label_rows=True):
    """One features x annotations grid of rho on ``ax``; returns the image (for a colour bar)."""
    from matplotlib.patches import Rectangle

    rho = np.full((len(features), len(annotations)), np.nan)
    significant = np.zeros(rho.shape, dtype=bool)
    for feature, annotation, value, flag in part.select("feature", "annotation", "rho", "significant").iter_rows():
        i, j = features.index(feature), annotations.index(annotation)
        rho[i, j] = np.nan if value is None else value
        significant[i, j] = bool(flag) and value is not None and not math.isnan(value)
    image = ax.imshow(rho, vmin=-1, vmax=1, cmap="RdBu_r", aspect="auto")  # the figure sizes the cells
    for i in range(len(features)):
        for j in range(len(annotations)):
            value = rho[i, j]
            if significant[i, j]:
                text, colour, weight = f"{_rho(value)}*", "white" if abs(value) > 0.6 else "black", "bold"
            else:
                text, colour, weight = "n/a" if np.isnan(value) else _rho(value), NOT_SIGNIFICANT, "normal"
                # add_artist, not add_patch: the image sets the limits, and add_patch's update of the data limits
                # (through every transform the cell texts hang on) was a third of the figure's time
                ax.add_artist(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", edgecolor="#aaaaaa",
                                        lw=0))  # fmt: skip
            plate = None if significant[i, j] else {"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1.5}
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour, fontweight=weight, bbox=plate)
    ax.set_xticks(range(len(annotations)), annotations, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(features)), features if label_rows else [""] * len(features), fontsize=8)
    ax.tick_params(length=0)
    return image


def heatmap_figure(correlations, title=None):
    """Spearman's rho of every structure feature x annotation pair as a heatmap (see `plot_heatmap`).

    Parameters
    ----------
    correlations : polars.DataFrame
        Rows of :data:`chromapipe.stats.RESULT_SCHEMA` for one dataset and one
        ``chromosome`` value (a chromosome, or ``"genome"``).
    title : str, optional
        The heading; by default the dataset and the chromosome (or "genome-wide").

    Returns
    -------
    matplotlib.figure.Figure
        The heatmap's axes (rows: features, columns: annotations, both in order of
        first appearance) and its colour bar's. Each cell says rho to two decimals,
        with a ``*`` when its interval excludes 0; other cells are hatched with grey
        text; an undefined rho says "n/a". Empty ``correlations``: one axes saying
        "no correlations".

    Raises
    ------
    InputError
        A column of the schema is missing, or the rows hold several datasets or chromosomes.
    """
    _check_correlations(correlations)
    plt = _pyplot()
    if correlations.is_empty():
        return _no_correlations(plt)
    scopes = correlations.select("dataset", "chromosome").unique(maintain_order=True).rows()
    if len(scopes) > 1:
        shown = ", ".join(f"{dataset}/{chromosome}" for dataset, chromosome in scopes)
        raise InputError(f"a heatmap shows one dataset and one chromosome; the correlations hold {shown}")
    (dataset, chromosome), = scopes  # fmt: skip
    features, annotations = _order(correlations, "feature"), _order(correlations, "annotation")
    fig, ax = plt.subplots(figsize=(2.6 + 0.75 * len(annotations), 2.2 + 0.5 * len(features)))
    image = _draw_heatmap(ax, correlations, features, annotations)
    heading = _scope(chromosome) if dataset is None else f"{dataset}: {_scope(chromosome)}"  # one dataset: no name
    _title(ax, title if title is not None else heading, fontsize=10)
    caption = fig.supxlabel(HEATMAP_CAPTION, fontsize=7)
    if caption.get_window_extent(fig.canvas.get_renderer()).width > fig.bbox.width - 2 * GRID_MARGINS["edge"] * fig.dpi:
        caption.set_text(HEATMAP_CAPTION.replace("; ", ";\n"))  # a narrow heatmap: the caption on two lines
    bar = fig.add_axes((0, 0, 0.01, 0.01))  # placed beside the heatmap below, once it is
    fig.colorbar(image, cax=bar, label="Spearman's rho")
    _place_beside(fig, ax, bar, caption)
    return fig


#: The colour bar beside a heatmap (inches): its gap from the heatmap, its width; its length, of the heatmap's.
HEATMAP_BAR = {"gap": 0.15, "width": 0.14, "shrink": 0.9}


def _place_beside(fig, ax, bar, caption):
    """Place a heatmap ``ax`` (:func:`_place_grid`) leaving room for its colour ``bar`` at its right (as wide as
    the bar, its tick labels and label) and for the ``caption`` below it, then the bar, centred on its height;
    the fixed layout of what ``layout="constrained"`` placed (measuring every artist's tight box, twice)."""
    from matplotlib import rcParams

    renderer = fig.canvas.get_renderer()
    width, height = fig.get_size_inches()
    ticks, _ = _tick_label_extent(bar.yaxis, renderer)
    ticks += (rcParams["ytick.major.size"] + rcParams["ytick.major.pad"]) * (1 / 72)
    label = bar.yaxis.label.get_window_extent(renderer).width / fig.dpi + bar.yaxis.labelpad / 72
    below = caption.get_window_extent(renderer).height / fig.dpi + caption.get_position()[1] * height
    below += GRID_MARGINS["pad"] / 2  # between it and the tick labels
    _place_grid(fig, [ax], 1, reserve={"right": HEATMAP_BAR["gap"] + HEATMAP_BAR["width"] + ticks + label,
                                       "bottom": below})  # fmt: skip
    x0, y0, x1, y1 = ax.get_position().extents
    length = (y1 - y0) * HEATMAP_BAR["shrink"]
    bar.set_position((x1 + HEATMAP_BAR["gap"] / width, (y0 + y1 - length) / 2, HEATMAP_BAR["width"] / width, length))


def plot_heatmap(correlations, path, title=None):
    """The correlation heatmap of one dataset and chromosome (see `heatmap_figure`), written as a PNG.

    Parameters
    ----------
    correlations, title
        As for `heatmap_figure`.
    path : str or os.PathLike
        The PNG to write.
    """
    _save(heatmap_figure(correlations, title), path)


def _dataset_scope(correlations, dataset):
    """A dataset's rows for the side-by-side heatmaps: its "genome" rows, else those of its only chromosome."""
    rows = correlations.filter(pl.col("dataset") == dataset)
    chromosomes = _order(rows, "chromosome")
    if "genome" in chromosomes:
        return rows.filter(pl.col("chromosome") == "genome"), "genome"
    if len(chromosomes) == 1:
        return rows, chromosomes[0]
    raise InputError(
        f"dataset {dataset}: correlations for chromosomes {', '.join(chromosomes)} but no 'genome' rows; "
        "pass its genome-wide rows or one chromosome's"
    )


#: Datasets' heatmaps per row of the side-by-side figure.
HEATMAPS_PER_ROW = 4


def heatmaps_figure(correlations):
    """The correlation heatmaps of several datasets side by side, one colour bar (see `plot_heatmaps`).

    Parameters
    ----------
    correlations : polars.DataFrame
        Rows of :data:`chromapipe.stats.RESULT_SCHEMA` for one or more datasets.
        Each dataset shows its ``"genome"`` rows when it has them, else the rows of
        its only chromosome.

    Returns
    -------
    matplotlib.figure.Figure
        One heatmap axes per dataset (in order of first appearance, four to a row, titled with
        the dataset's name, the chromosome or "genome-wide" under it; unused axes switched off), then the shared
        colour bar's axes. Every panel has the same rows and columns (features and
        annotations in order of first appearance over all datasets; a pair a dataset
        lacks says "n/a"). Empty ``correlations``: one axes saying "no correlations".

    Raises
    ------
    InputError
        A column of the schema is missing, or a dataset has several chromosomes and no "genome" rows.
    """
    _check_correlations(correlations)
    plt = _pyplot()
    if correlations.is_empty():
        return _no_correlations(plt)
    datasets = _order(correlations, "dataset")
    parts = [_dataset_scope(correlations, dataset) for dataset in datasets]
    shown = pl.concat([part for part, _ in parts])
    features, annotations = _order(shown, "feature"), _order(shown, "annotation")
    columns = min(len(datasets), HEATMAPS_PER_ROW)  # more datasets wrap onto further rows
    rows = math.ceil(len(datasets) / columns)
    width = 2.0 + columns * (0.6 + 0.75 * len(annotations)) + 1.0
    fig, axes = plt.subplots(rows, columns, figsize=(width, rows * (2.4 + 0.5 * len(features))),
                             layout="constrained", squeeze=False)  # fmt: skip
    image = None
    for index, ax in enumerate(axes.flat):
        if index >= len(datasets):
            ax.set_axis_off()
            continue
        part, chromosome = parts[index]
        image = _draw_heatmap(ax, part, features, annotations, label_rows=index % columns == 0)
        _title(ax, datasets[index], fontsize=10)
        ax.set_xlabel(_scope(chromosome), fontsize=8)
    fig.colorbar(image, ax=list(axes.flat), label="Spearman's rho", shrink=0.9)
    fig.suptitle("Structure features against annotations, per dataset")
    fig.supxlabel(HEATMAP_CAPTION, fontsize=7)
    return fig


def plot_heatmaps(correlations, path):
    """Several datasets' correlation heatmaps side by side (see `heatmaps_figure`), written as a PNG.

    Parameters
    ----------
    correlations : polars.DataFrame
        As for `heatmaps_figure`.
    path : str or os.PathLike
        The PNG to write.
    """
    _save(heatmaps_figure(correlations), path)


def heatmap_rows(correlations):
    """The rows a correlation heatmap shows: each dataset's genome-wide rows, or its only chromosome's."""
    parts = []
    for _, part in correlations.group_by("dataset", maintain_order=True):
        genome = part.filter(pl.col("chromosome") == "genome")
        parts.append(genome if genome.height else part)
    return pl.concat(parts) if parts else correlations


# -- agreement with the contacts and superpositions (chromapipe.agreement, chromapipe.superpose) ---------------

#: Panels per row of the contact-distance and RMSD figures.
PANELS_PER_ROW = 4


def _panel_grid(plt, count, side=3.2):
    columns = min(PANELS_PER_ROW, max(count, 1))
    rows = max(math.ceil(count / columns), 1)
    fig, axes = plt.subplots(rows, columns, figsize=(side * columns + 0.8, side * rows + 0.8), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_axis_off()
    return fig, axes.flat


#: A log axis spanning fewer decades than this also labels its minor ticks at 2 and 5 times a power of ten.
MINOR_LABEL_DECADES = 2.5


def _plain_log_labels(minor=False):
    """Tick labels of a log axis as plain numbers (``0.2``, ``1``, ``10``, not ``10^0`` or ``6 x 10^-1``); minor
    ticks labelled only at 2 and 5 times a power of ten, on an axis of fewer than :data:`MINOR_LABEL_DECADES`
    decades (a short axis otherwise shows one or no major label)."""
    from matplotlib.ticker import Formatter

    class PlainLog(Formatter):
        def __call__(self, value, pos=None):
            if not value > 0:
                return ""
            if minor:
                low, high = sorted(self.axis.get_view_interval())
                mantissa = round(value / 10 ** np.floor(np.log10(value)), 6)
                if mantissa not in (2.0, 5.0) or not (low > 0 and np.log10(high / low) < MINOR_LABEL_DECADES):
                    return ""
            return f"{value:g}"

    return PlainLog()


def contact_distance_figure(scatters, unit=UNIT, dataset=None):
    """3D distance against contact count, log-log, one panel per chromosome (see `plot_contact_distance`).

    ``scatters``: ``[(chrom, distance, count, rho)]``, ``distance`` and ``count`` the first structure's
    pairs (None: the chromosome has no contact list).
    """
    plt = _pyplot()
    fig, axes = _panel_grid(plt, len(scatters))
    axes = list(axes)
    for ax, (chrom, distance, count, rho) in zip(axes, scatters):
        _title(ax, f"chr{chrom}" + ("" if rho is None else f"  (rho = {rho:.2f})"), fontsize=10)
        if distance is None or not len(distance):
            ax.text(0.5, 0.5, "no contact list" if distance is None else "no pairs", ha="center", va="center",
                    transform=ax.transAxes)  # fmt: skip
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        ax.scatter(count, distance, s=4, alpha=0.4, color="#1f5f8b", linewidths=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):  # 0.5, 1, 10 (not 10^0, nor 6 x 10^-1 crowding a short axis)
            axis.set_major_formatter(_plain_log_labels())
            axis.set_minor_formatter(_plain_log_labels(minor=True))
        ax.set_xlabel("contact count")
        ax.set_ylabel(f"3D distance ({unit})")
        _ticks_in_view(ax)  # a log axis' locators make a tick for every minor step of every decade
    fig.suptitle(_titled("Distance against contact count (model 1)", dataset))
    _place_grid(fig, axes[: len(scatters)], min(PANELS_PER_ROW, max(len(scatters), 1)))
    return fig


def plot_contact_distance(scatters, path, unit=UNIT, dataset=None):
    """Per chromosome: the bead pairs of the contact list, distance against count, log-log."""
    _save(contact_distance_figure(scatters, unit, dataset), path)


#: The colour bar of the RMSD heatmaps (rmsd_scaled: both structures at radius of gyration 1, no unit).
RMSD_SCALED_LABEL = "RMSD at Rg 1 (no unit, 0 to 2)"


def _text_colour(image, value):
    """Black on a light cell of ``image``'s colour map, white on a dark one (or an empty one)."""
    if np.isnan(value):
        return "black"
    red, green, blue, _ = image.cmap(image.norm(value))
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


def rmsd_figure(frame, first, second, title, column="rmsd_scaled", empty="no pairs (single structures)"):
    """Heatmaps of ``column`` (an RMSD table's) between ``first`` and ``second`` entries, one per
    chromosome (and homolog, for model RMSDs), symmetric, on one colour scale with one colour bar; a small
    figure saying ``empty`` where the table has no rows."""
    plt = _pyplot()
    keys = ["chr", "haplotype"] if "haplotype" in frame.columns else ["chr"]
    scopes = frame.select(keys).unique(maintain_order=True).rows()
    heading = f"{title} (RMSD at radius of gyration 1)"
    if not scopes:
        fig = plt.figure(figsize=(6.4, 1.6))
        fig.text(0.5, 0.62, heading, ha="center", va="center", fontsize=11)
        fig.text(0.5, 0.3, empty, ha="center", va="center", fontsize=10, color="#555555")
        return fig
    fig, axes = _panel_grid(plt, len(scopes), side=3.2)
    values = frame[column].drop_nulls().drop_nans() if frame[column].dtype.is_float() else frame[column].drop_nulls()
    top = max(float(values.max()), 1e-9) if values.len() else 1.0  # one scale: panels compare at a glance
    decimals = 2 if top >= 0.1 else 3  # small RMSDs (an ensemble's models) keep a significant digit
    image = None
    for ax, scope in zip(axes, scopes):
        part = frame.filter(pl.all_horizontal(pl.col(k).eq_missing(v) for k, v in zip(keys, scope)))
        names = list(dict.fromkeys(part[first].to_list() + part[second].to_list()))
        matrix = np.full((len(names), len(names)), np.nan)
        np.fill_diagonal(matrix, 0.0)
        for a, b, value in part.select(first, second, column).iter_rows():
            matrix[names.index(a), names.index(b)] = matrix[names.index(b), names.index(a)] = (
                np.nan if value is None else value
            )
        image = ax.imshow(matrix, vmin=0, vmax=top, cmap="viridis")
        if len(names) <= 12:
            for i in range(len(names)):
                for j in range(len(names)):
                    text = "n/a" if np.isnan(matrix[i, j]) else f"{matrix[i, j]:.{decimals}f}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=7, color=_text_colour(image, matrix[i, j]))
        labels = [f"model {n}" if isinstance(n, int) else str(n) for n in names]
        ax.set_xticks(range(len(names)), labels if len(names) <= 20 else [""] * len(names), rotation=45, ha="right",
                      fontsize=7)  # fmt: skip
        ax.set_yticks(range(len(names)), labels if len(names) <= 20 else [""] * len(names), fontsize=7)
        _title(ax, " ".join(f"chr{v}" if k == "chr" else str(v) for k, v in zip(keys, scope) if v is not None),
                     fontsize=10)  # fmt: skip
    fig.suptitle(heading)
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    bar = fig.add_axes((0.92, 0.2, 0.015, 0.6))
    fig.colorbar(image, cax=bar, label=RMSD_SCALED_LABEL)
    return fig


def plot_model_rmsd(frame, path, dataset=None):
    """The scaled RMSD between an ensemble's models, a heatmap per chromosome and homolog."""
    _save(rmsd_figure(frame, "model_a", "model_b", _titled("Models superposed", dataset),
                      empty="one model per structure: no pairs of models to superpose"), path)  # fmt: skip


def plot_rmsd(frame, path):
    """The scaled RMSD between the sheet's datasets, a heatmap per chromosome."""
    _save(rmsd_figure(frame, "dataset_a", "dataset_b", "Datasets superposed on shared bins",
                      empty="no two datasets share a chromosome"), path)  # fmt: skip
