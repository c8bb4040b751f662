"""Per-bin statistics of a user's genomic track (bigWig, bedGraph or BED).

A track is put on the bins of one chromosome of the GSDB bin map (1-based,
inclusive ``start``-``end``; here turned into 0-based half-open ``[start - 1,
end)`` as the track files use). One value per bin:

``mean`` (bigWig, bedGraph)
    the base-weighted mean of the track over the bin's covered bases:
    ``sum(value x overlap) / sum(overlap)`` over the track's intervals that
    overlap the bin; None where no base of the bin is covered (or only by
    NaN values).
``max`` (bigWig, bedGraph)
    the largest value of an interval overlapping the bin; None where none.
``coverage`` (BED)
    the fraction of the bin's bases covered by the union of the intervals
    (overlapping intervals are merged first), 0.0 where none.
``count`` (BED)
    the number of intervals overlapping the bin by at least one base (a
    zero-length interval counts where its position lies inside the bin, as
    bioframe counts it), 0 where none.

bigWig files are read with pyBigWig, bedGraph and BED with bioframe; the
overlaps are bioframe's. Chromosome names are matched either way round
(``21`` or ``chr21``, :func:`chromapipe.chroms.candidates`).

A track on another assembly than the bin map is an error. The bin map's last
bin of a chromosome ends at the chromosome's end (GSDB truncates it there), so:

* a bigWig header gives the chromosome's size: when the last bin is shorter
  than the chromosome's other bins (truncated), the size must equal its end;
  otherwise it must lie inside the last bin;
* a bedGraph or BED interval must not end past the last bin's end.
"""

import gzip
import os
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from . import chroms
from .errors import AssemblyMismatch, InputError

#: File name endings (lower case, after an optional ``.gz``) of each format.
EXTENSIONS = {
    "bigwig": (".bw", ".bigwig"),
    "bedgraph": (".bedgraph", ".bdg", ".bg"),
    "bed": (".bed",),
}
#: How the README names each format.
FORMAT_LABELS = {"bigwig": "bigWig", "bedgraph": "bedGraph", "bed": "BED"}
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a leading _ marks internal columns
_HEADER_PREFIXES = ("#", "track", "browser")


@dataclass(frozen=True)
class Statistic:
    """A per-bin statistic of a track: the file formats it applies to, its column's dtype, what it is, and how
    a figure's axis names its values."""

    formats: tuple
    dtype: str  # the polars dtype's name of the track's column
    description: str
    label: str


#: The registry of track statistics (the config schema's ``tracks[].stat`` enum is tested against it):
#: the first a format allows is its default.
STATISTICS = {
    "mean": Statistic(
        ("bigwig", "bedgraph"),
        "Float64",
        "base-weighted mean over the bin's covered bases, empty where none",
        "mean signal",
    ),
    "max": Statistic(("bigwig", "bedgraph"), "Float64", "the largest value over the bin's covered bases", "max signal"),
    "coverage": Statistic(
        ("bed",), "Float64", "fraction of the bin covered by the union of the intervals", "coverage\nfraction"
    ),
    "count": Statistic(("bed",), "Int64", "intervals overlapping the bin", "intervals\nper bin"),
}
#: The statistics each format allows (from :data:`STATISTICS`); the first is the default.
STATS = {fmt: tuple(name for name, s in STATISTICS.items() if fmt in s.formats) for fmt in EXTENSIONS}


def describe_statistics():
    """One line per statistic of :data:`STATISTICS` (the README's track column, :data:`chromapipe.tables.TRACK_COLUMN`)."""
    return "; ".join(
        f"`{name}` of a {'/'.join(FORMAT_LABELS[f] for f in s.formats)} ({s.dtype}): {s.description}"
        for name, s in STATISTICS.items()
    )


def dtype(stat):
    """The polars dtype of a track column of statistic ``stat``."""
    import polars as pl

    return getattr(pl, STATISTICS[stat].dtype)


@dataclass(frozen=True)
class Track:
    """A user track: the column it becomes, where it is, and how it is summarised per bin.

    Attributes
    ----------
    name : str
        The column name: a Python identifier.
    path : str
        Local path (or URL, resolved by the workflow before reading).
    stat : str
        ``mean`` or ``max`` (bigWig, bedGraph); ``coverage`` or ``count`` (BED).
    format : str
        ``bigwig``, ``bedgraph`` or ``bed``, from the file name.
    """

    name: str
    path: str
    stat: str
    format: str


# --- specification --------------------------------------------------------------------------


def track_format(path):
    """The format of a track from its file name (``.bw``, ``.bigWig``, ``.bedGraph[.gz]``, ``.bed[.gz]`` …).

    Raises
    ------
    InputError
        An unknown ending, listing the known ones.
    """
    name = str(path).lower().split("?")[0]
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
    for fmt, endings in EXTENSIONS.items():
        if name.endswith(endings):
            return fmt
    known = ", ".join(e for endings in EXTENSIONS.values() for e in endings)
    raise InputError(
        f"track {path}: cannot tell its format from the file name: expected one of {known} "
        "(bedGraph and BED may end in .gz)"
    )


def check_name(name, reserved=(), where="track"):
    """Validate a track's column name: an identifier that is not one of ``reserved``.

    Raises
    ------
    InputError
        Not an identifier (letters, digits, underscores; starting with a letter),
        or a name already used by another column.
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise InputError(
            f"{where}: name {name!r} is not a valid column name: expected letters, digits and "
            "underscores, starting with a letter (e.g. h3k9me3)"
        )
    if name in reserved:
        raise InputError(f"{where}: name {name!r} is already a column of the table: choose another")
    return name


def make_track(name, path, stat=None, reserved=(), where="track"):
    """A validated :class:`Track`; ``stat`` defaults to ``mean`` (bigWig, bedGraph) or ``coverage`` (BED).

    Raises
    ------
    InputError
        A bad name, an unknown format, or a statistic the format does not have.
    """
    check_name(name, reserved, where)
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise InputError(f"{where} {name}: path must be a non-empty string, got {path!r}")
    path = os.fspath(path)
    fmt = track_format(path)
    allowed = STATS[fmt]
    if stat is None:
        stat = allowed[0]
    if stat not in allowed:
        raise InputError(
            f"{where} {name}: statistic {stat!r} does not apply to a {fmt} track ({path}): "
            f"expected {' or '.join(allowed)}"
        )
    return Track(name, path, stat, fmt)


def parse_spec(spec, reserved=()):
    """Parse the command-line form ``NAME=PATH[:STAT]``.

    The statistic is split off only when the text after the last ``:`` is a
    statistic name, so paths and URLs with colons need no quoting.

    Raises
    ------
    InputError
        No ``=``, an empty path, or the errors of :func:`make_track`.
    """
    where = f"--track {spec!r}"
    name, sep, rest = str(spec).partition("=")
    if not sep or not rest:
        raise InputError(f"{where}: expected NAME=PATH or NAME=PATH:STAT (e.g. lads=data/lads.bed:coverage)")
    path, colon, stat = rest.rpartition(":")
    known = set(STATISTICS)
    if colon and path and re.fullmatch(r"[A-Za-z]+", stat) and stat not in known:  # a word, not a path's tail
        raise InputError(f"{where}: unknown statistic {stat!r}: expected one of {', '.join(sorted(known))}")
    if not colon or stat not in known:
        path, stat = rest, None
    return make_track(name.strip(), path, stat, reserved, where)


def from_config(entry, index=0, reserved=()):
    """A :class:`Track` from one item of the config's ``tracks`` list: ``{name, path, stat}``.

    Raises
    ------
    InputError
        Not a mapping, an unknown or missing key, or the errors of :func:`make_track`.
    """
    where = f"config tracks[{index}]"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a mapping {{name, path, stat}}, got {entry!r}")
    unknown = sorted(set(entry) - {"name", "path", "stat"})
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}: expected name, path and optional stat")
    for key in ("name", "path"):
        if key not in entry:
            raise InputError(f"{where}: missing {key!r} (expected {{name, path, stat}})")
    return make_track(entry["name"], entry["path"], entry.get("stat"), reserved, where)


def check_unique(tracks):
    """Raise :class:`InputError` when two tracks share a name; return ``tracks``."""
    seen = {}
    for track in tracks:
        if track.name in seen:
            raise InputError(f"tracks: name {track.name!r} is used twice ({seen[track.name]} and {track.path})")
        seen[track.name] = track.path
    return tracks


# --- the bins ------------------------------------------------------------------------------


def bin_intervals(bins):
    """0-based half-open ``(starts, ends)`` int64 arrays of 1-based inclusive bins.

    Parameters
    ----------
    bins : polars.DataFrame or mapping
        ``start`` and ``end`` columns (1-based, inclusive), in order.
    """
    starts = np.asarray(bins["start"], dtype=np.int64) - 1
    ends = np.asarray(bins["end"], dtype=np.int64)
    return starts, ends


def _bins_frame(starts, ends):
    import pandas as pd

    return pd.DataFrame({"chrom": "bins", "start": starts, "end": ends, "bin_index": np.arange(starts.size)})


def _end_is_known(starts, ends):
    """True when the last bin is shorter than the others: the bin map was truncated at the chromosome's end."""
    widths = ends - starts
    return widths.size > 1 and widths[-1] < np.median(widths[:-1])


def check_size(size, starts, ends, chrom, path):
    """Raise :class:`InputError` when a chromosome size from a track header disagrees with the bin map.

    See the module's description for the rule.
    """
    last_start, last_end = int(starts[-1]), int(ends[-1])
    agrees = size == last_end if _end_is_known(starts, ends) else last_start < size <= last_end
    if not agrees:
        raise AssemblyMismatch(
            f"the track says chromosome {chrom} is {size:,} bp but the bin map's chromosome {chrom} ends at "
            f"{last_end:,}: the track is on another assembly than the bin map",
            path,
        )


def check_extent(track_end, line, starts, ends, chrom, path):
    """Raise :class:`InputError` when an interval of a track ends past the bin map's chromosome end."""
    last_end = int(ends[-1])
    if track_end > last_end:
        raise AssemblyMismatch(
            f"an interval of chromosome {chrom} ends at {track_end:,}, past the bin map's chromosome {chrom} "
            f"end ({last_end:,}): the track is on another assembly than the bin map",
            path,
            line,
        )


# --- reading ---------------------------------------------------------------------------------


def _gzipped(path):
    with open(path, "rb") as probe:
        return probe.read(2) == b"\x1f\x8b"


def _open_text(path):
    return gzip.open(path, "rt", encoding="utf-8") if _gzipped(path) else open(path, encoding="utf-8")


def _header_lines(path):
    """Leading ``track``/``browser``/``#`` lines of a text track (skipped when reading)."""
    count = 0
    with _open_text(path) as handle:
        for line in handle:
            if not line.strip() or line.lstrip().startswith(_HEADER_PREFIXES):
                count += 1
            else:
                break
    return count


def read_intervals(path, fmt):
    """Intervals of a bedGraph or BED file, read with bioframe.

    Returns
    -------
    pandas.DataFrame
        ``chrom`` (str), ``start``, ``end`` (int64, 0-based half-open), ``value``
        (float64, bedGraph only) and ``line`` (1-based line in the file).

    Raises
    ------
    InputError
        Unreadable file, fewer columns than the format needs, non-integer
        coordinates, ``start < 0`` or ``end < start``, non-numeric values; each
        names the file and, where it can, the line.
    """
    import bioframe
    import pandas as pd

    path = os.fspath(path)
    columns = 4 if fmt == "bedgraph" else 3
    layout = "chrom start end value" if fmt == "bedgraph" else "chrom start end"
    try:
        skip = _header_lines(path)
        frame = bioframe.read_table(
            path,
            header=None,
            skiprows=skip,
            usecols=range(columns),
            dtype=str,
            skip_blank_lines=False,
            keep_default_na=False,
            compression="gzip" if _gzipped(path) else None,
        )
    except FileNotFoundError:
        raise InputError(f"{fmt} track: no such file", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{fmt} track cannot be read: {exc}", path) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{fmt} track has no intervals", path) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{fmt} track: expected tab-separated columns '{layout}': {exc}", path) from None
    frame.columns = ["chrom", "start", "end", "value"][:columns]
    frame["line"] = np.arange(frame.shape[0], dtype=np.int64) + skip + 1
    frame = frame[frame["chrom"].fillna("").str.strip() != ""]
    if frame.empty:
        raise InputError(f"{fmt} track has no intervals", path)
    for column in ("start", "end"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | (numbers != numbers.round())
        if bad.any():
            row = frame[bad].iloc[0]
            raise InputError(
                f"{column} must be an integer, got {row[column]!r} (expected '{layout}')", path, int(row["line"])
            )
        frame[column] = numbers.astype(np.int64)
    bad = (frame["start"] < 0) | (frame["end"] < frame["start"])
    if bad.any():
        row = frame[bad].iloc[0]
        raise InputError(
            f"bad interval {row['start']}-{row['end']}: expected 0 <= start <= end (0-based, half-open)",
            path,
            int(row["line"]),
        )
    if fmt == "bedgraph":
        values = pd.to_numeric(frame["value"], errors="coerce")
        bad = values.isna() & ~frame["value"].fillna("").str.strip().str.lower().isin(["nan", "na", "."])
        if bad.any():
            row = frame[bad].iloc[0]
            raise InputError(f"value must be a number, got {row['value']!r}", path, int(row["line"]))
        frame["value"] = values.astype(np.float64)
    return frame.reset_index(drop=True)


def _select(names, chrom, path, what):
    """The name under which ``chrom`` appears among ``names``, or None when it does not.

    Raises
    ------
    InputError
        The track names no chromosome recognisably (neither ``21`` nor ``chr21`` style).
    """
    for candidate in chroms.candidates(chrom):
        if candidate in names:
            return candidate
    recognised = False
    for name in names:
        try:
            chroms.canonical(name)
            recognised = True
            break
        except InputError:
            continue
    if not recognised:
        shown = ", ".join(sorted(map(str, names))[:8])
        raise InputError(
            f"{what} names no chromosome as the bin map does (looked for {' or '.join(chroms.candidates(chrom))}; "
            f"it has {shown}{', ...' if len(names) > 8 else ''})",
            path,
        )
    return None


def _bigwig_intervals(path, chrom, starts, ends):
    """The intervals of ``chrom`` in a bigWig, as a frame like :func:`read_intervals`'s; None when absent."""
    import pandas as pd
    import pyBigWig

    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError("bigWig track: no such file", path)
    try:
        handle = pyBigWig.open(path)
    except RuntimeError:
        handle = None
    if handle is None or not handle.isBigWig():
        raise InputError("not a bigWig file (pyBigWig cannot open it)", path)
    try:
        sizes = handle.chroms()
        name = _select(set(sizes), chrom, path, "bigWig track")
        if name is None:
            return None
        check_size(int(sizes[name]), starts, ends, chroms.canonical(chrom), path)
        found = handle.intervals(name) or ()
    finally:
        handle.close()
    table = np.array(found, dtype=np.float64).reshape(-1, 3)
    return pd.DataFrame(
        {
            "chrom": name,
            "start": table[:, 0].astype(np.int64),
            "end": table[:, 1].astype(np.int64),
            "value": table[:, 2],
        }
    )


def _text_intervals(path, fmt, chrom, starts, ends):
    frame = read_intervals(path, fmt)
    name = _select(set(frame["chrom"]), chrom, os.fspath(path), f"{fmt} track")
    if name is None:
        return frame.iloc[0:0]
    frame = frame[frame["chrom"] == name]
    longest = int(frame["end"].to_numpy().argmax())
    check_extent(
        int(frame["end"].iloc[longest]),
        int(frame["line"].iloc[longest]),
        starts,
        ends,
        chroms.canonical(chrom),
        os.fspath(path),
    )
    return frame


@contextmanager
def _quiet():
    """Silence pandas' notices of coming deprecations raised inside bioframe's own code, nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"bioframe\.")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"bioframe\.")
        yield


# --- statistics --------------------------------------------------------------------------------


def _overlaps(starts, ends, intervals):
    """Pairs (bin, interval) that overlap, with the overlap length: bioframe's inner overlap."""
    import bioframe

    bins = _bins_frame(starts, ends)
    other = intervals.assign(chrom="bins")[["chrom", "start", "end", "value"]]
    with _quiet():
        pairs = bioframe.overlap(bins, other, how="inner", suffixes=("", "_track"))
    bin_index = pairs["bin_index"].to_numpy(dtype=np.int64)
    lo = np.maximum(pairs["start"].to_numpy(np.int64), pairs["start_track"].to_numpy(np.int64))
    hi = np.minimum(pairs["end"].to_numpy(np.int64), pairs["end_track"].to_numpy(np.int64))
    return bin_index, (hi - lo).astype(np.float64), pairs["value_track"].to_numpy(np.float64)


def _to_list(values, defined):
    return [float(v) if ok else None for v, ok in zip(values, defined)]


def signal_per_bin(intervals, starts, ends, stat):
    """``mean`` or ``max`` of a signal track (intervals with values) on every bin.

    Intervals with a NaN value count as uncovered.

    Returns
    -------
    list of float or None
        One per bin; None where no base is covered.
    """
    n = starts.size
    if intervals.empty:
        return [None] * n
    intervals = intervals[np.isfinite(intervals["value"].to_numpy(np.float64))]
    if intervals.empty:
        return [None] * n
    index, length, value = _overlaps(starts, ends, intervals)
    keep = length > 0
    index, length, value = index[keep], length[keep], value[keep]
    covered = np.bincount(index, weights=length, minlength=n)
    defined = covered > 0
    if stat == "mean":
        weighted = np.bincount(index, weights=value * length, minlength=n)
        result = np.divide(weighted, covered, out=np.zeros(n), where=defined)
    elif stat == "max":
        result = np.full(n, -np.inf)
        np.maximum.at(result, index, value)
    else:
        raise ValueError(f"unknown signal statistic {stat!r}")
    return _to_list(result, defined)


def intervals_per_bin(intervals, starts, ends, stat):
    """``coverage`` (fraction of bases covered by the union) or ``count`` of BED intervals on every bin."""
    import bioframe

    if intervals.empty:
        return [0.0] * starts.size if stat == "coverage" else [0] * starts.size
    bins = _bins_frame(starts, ends)
    other = intervals.assign(chrom="bins")[["chrom", "start", "end"]]
    with _quiet():
        if stat == "coverage":
            covered = bioframe.coverage(bins, other)["coverage"].to_numpy(np.float64)
            return (covered / (ends - starts)).tolist()
        if stat == "count":
            return bioframe.count_overlaps(bins, other)["count"].to_numpy(np.int64).tolist()
    raise ValueError(f"unknown interval statistic {stat!r}")


def track_per_bin(track, chrom, bins):
    """The per-bin values of ``track`` on chromosome ``chrom``'s ``bins``.

    Parameters
    ----------
    track : Track
    chrom : str or int
        The chromosome (any naming, see :mod:`chromapipe.chroms`).
    bins : polars.DataFrame
        The chromosome's bins, ``start`` and ``end`` 1-based inclusive, in order.

    Returns
    -------
    list
        One value per bin: float or None (``mean``, ``max``), float
        (``coverage``), int (``count``).

    Raises
    ------
    InputError
        Unreadable or malformed track, or a track on another assembly than the bin map.
    """
    starts, ends = bin_intervals(bins)
    if starts.size == 0:
        return []
    if track.format == "bigwig":
        intervals = _bigwig_intervals(track.path, chrom, starts, ends)
        if intervals is None:
            return [None] * starts.size
    else:
        intervals = _text_intervals(track.path, track.format, chrom, starts, ends)
    if track.format == "bed":
        return intervals_per_bin(intervals, starts, ends, track.stat)
    return signal_per_bin(intervals, starts, ends, track.stat)


def from_step(paths, specs):
    """The :class:`Track` objects of the annotation step: its track files and their ``{name, stat}`` specs.

    ``specs`` may instead be :class:`Track` objects (then ``paths`` may be empty).
    """
    if all(isinstance(s, Track) for s in specs) and not paths:
        return check_unique(list(specs))
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if len(paths) != len(specs):
        raise InputError(f"{len(paths)} track files for {len(specs)} track specifications")
    return check_unique([make_track(s["name"], p, s.get("stat"), where="track") for p, s in zip(paths, specs)])


def track_columns(tracks, chrom, bins, assembly=None):
    """One column per track on ``bins`` (dtype of its statistic, :data:`STATISTICS`), and the metadata's list.

    Raises
    ------
    InputError
        A track's error, prefixed with its name; a track on another assembly also names the bin map's
        ``assembly``.
    """
    import polars as pl

    columns = []
    for track in tracks:
        try:
            values = track_per_bin(track, chrom, bins)
        except InputError as exc:
            where = f"track {track.name}: {exc.message}"
            if isinstance(exc, AssemblyMismatch):
                where += f" (the bin map's assembly is {assembly})"
            raise InputError(where, exc.path, exc.line) from None
        columns.append(pl.Series(track.name, values, dtype=dtype(track.stat)))
    meta = [{"name": t.name, "stat": t.stat, "format": t.format, "file": os.path.basename(t.path)} for t in tracks]
    return columns, meta
