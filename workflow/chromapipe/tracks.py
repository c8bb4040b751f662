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

bigWig files are read with pyBigWig, bedGraph and BED as tab-separated text
(:func:`read_intervals`); the overlaps are numpy searches over sorted starts
(:func:`overlap_pairs`, :func:`covered_bases`), tested equal to bioframe's
(tests/test_tracks.py). Chromosome names are matched either way round
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


def _read_lines(path):
    """The lines of a text track (gzip or plain, UTF-8), without their line ends."""
    opener = gzip.open if _gzipped(path) else open
    with opener(path, "rb") as handle:
        text = handle.read().decode("utf-8")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the last line's end
    return lines


def _header_lines(lines):
    """How many leading lines of a text track are ``track``/``browser``/``#`` or blank lines (skipped)."""
    for count, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith(_HEADER_PREFIXES):
            return count
    return len(lines)


def _first(frame, bad):
    """The first row of ``frame`` where ``bad`` (a dict), and its line."""
    row = frame.filter(bad).row(0, named=True)
    return row, int(row["line"])


def read_intervals(path, fmt):
    """Intervals of a bedGraph or BED file: tab-separated columns after the leading header lines.

    Leading ``track``, ``browser``, ``#`` and blank lines are skipped, blank lines are skipped anywhere, columns
    past the format's are ignored; the file may be gzipped.

    Returns
    -------
    polars.DataFrame
        ``chrom`` (str), ``start``, ``end`` (int64, 0-based half-open), ``value``
        (float64, NaN where ``nan``, ``NA`` or ``.``; bedGraph only) and ``line`` (1-based line in the file).

    Raises
    ------
    InputError
        Unreadable file, no intervals, non-integer coordinates, ``start < 0`` or ``end < start``, non-numeric
        values; each names the file and, where it can, the line.
    """
    import polars as pl

    path = os.fspath(path)
    names = ["chrom", "start", "end", "value"][: 4 if fmt == "bedgraph" else 3]
    layout = " ".join(names)
    try:
        lines = _read_lines(path)
    except FileNotFoundError:
        raise InputError(f"{fmt} track: no such file", path) from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"{fmt} track cannot be read: {exc}", path) from None
    skip = _header_lines(lines)
    fields = pl.Series("fields", lines[skip:], dtype=pl.String).str.split("\t")
    frame = pl.DataFrame(
        [fields.list.get(i, null_on_oob=True).fill_null("").alias(name) for i, name in enumerate(names)]
    ).with_columns(line=pl.int_range(skip + 1, skip + 1 + len(fields), dtype=pl.Int64))
    frame = frame.filter(pl.col("chrom").str.strip_chars() != "")
    if frame.is_empty():
        raise InputError(f"{fmt} track has no intervals", path)
    for column in ("start", "end"):
        numbers = frame[column].str.strip_chars().cast(pl.Float64, strict=False)
        bad = numbers.is_null() | numbers.is_nan() | (numbers != numbers.round())
        if bad.any():
            row, line = _first(frame, bad)
            raise InputError(f"{column} must be an integer, got {row[column]!r} (expected '{layout}')", path, line)
        frame = frame.with_columns(numbers.cast(pl.Int64).alias(column))
    bad = (frame["start"] < 0) | (frame["end"] < frame["start"])
    if bad.any():
        row, line = _first(frame, bad)
        raise InputError(f"bad interval {row['start']}-{row['end']}: expected 0 <= start <= end (0-based, half-open)",
                         path, line)  # fmt: skip
    if fmt == "bedgraph":
        text = frame["value"].str.strip_chars()
        values = text.cast(pl.Float64, strict=False)
        bad = values.is_null() & ~text.str.to_lowercase().is_in(["nan", "na", "."])
        if bad.any():
            row, line = _first(frame, bad)
            raise InputError(f"value must be a number, got {row['value']!r}", path, line)
        frame = frame.with_columns(values.fill_null(float("nan")).alias("value"))
    return frame


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
    import polars as pl
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
    return pl.DataFrame({"chrom": [name] * table.shape[0], "start": table[:, 0].astype(np.int64),
                         "end": table[:, 1].astype(np.int64), "value": table[:, 2]},
                        schema={"chrom": pl.String, "start": pl.Int64, "end": pl.Int64, "value": pl.Float64})  # fmt: skip


def _text_intervals(path, fmt, chrom, starts, ends):
    frame = read_intervals(path, fmt)
    name = _select(set(frame["chrom"]), chrom, os.fspath(path), f"{fmt} track")
    if name is None:
        return frame.clear()
    frame = frame.filter(frame["chrom"] == name)
    longest = int(frame["end"].arg_max())
    check_extent(int(frame["end"][longest]), int(frame["line"][longest]), starts, ends, chroms.canonical(chrom),
                 os.fspath(path))  # fmt: skip
    return frame


# --- overlaps ------------------------------------------------------------------------------------


def _ranges(lo, hi):
    """The concatenation of ``arange(lo[k], hi[k])`` over ``k`` (int64), without a Python loop."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(lo - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=np.int64)


def overlap_pairs(starts1, ends1, starts2, ends2):
    """Every pair ``(i, j)`` of an interval of set 1 and one of set 2 that share a base (0-based half-open).

    A zero-length interval ``[p, p)`` stands for the base ``p`` (``[p, p + 1)``), as bioframe counts it.
    Each set is ordered by start, then end; a pair where interval ``j`` starts inside interval ``i`` (at or
    after its start) is found by a binary search of ``j``'s start among set 2's sorted starts, a pair where
    ``i`` starts strictly inside ``j`` by the search the other way round, so no pair is found twice. The pairs
    come in that order: first those where ``j`` starts inside ``i`` (by ``i``, then ``j``, in sorted order),
    then the others (by ``j``, then ``i``): a sum over each ``i``'s pairs adds them in bioframe's order.

    Parameters
    ----------
    starts1, ends1, starts2, ends2 : numpy.ndarray
        int64 coordinates, ``start <= end``, in any order.

    Returns
    -------
    i, j : numpy.ndarray
        int64 indices into set 1 and set 2 of the overlapping pairs.
    """
    ends1 = np.where(ends1 == starts1, ends1 + 1, ends1)
    ends2 = np.where(ends2 == starts2, ends2 + 1, ends2)
    order1, order2 = np.lexsort((ends1, starts1)), np.lexsort((ends2, starts2))
    sorted1, sorted2 = starts1[order1], starts2[order2]
    lo = np.searchsorted(sorted2, sorted1, "left")  # j starts at or after i's start ...
    hi = np.searchsorted(sorted2, ends1[order1], "left")  # ... and before i's end
    inside_i = (np.repeat(order1, hi - lo), order2[_ranges(lo, hi)])
    lo = np.searchsorted(sorted1, sorted2, "right")  # i starts after j's start ...
    hi = np.searchsorted(sorted1, ends2[order2], "left")  # ... and before j's end
    inside_j = (order1[_ranges(lo, hi)], np.repeat(order2, hi - lo))
    return np.concatenate([inside_i[0], inside_j[0]]), np.concatenate([inside_i[1], inside_j[1]])


def merge_intervals(starts, ends):
    """The union of intervals as sorted disjoint intervals (touching ones merged); zero-length ones add nothing.

    Returns
    -------
    starts, ends : numpy.ndarray
        int64, sorted; each interval ends before the next one starts.
    """
    keep = ends > starts
    order = np.argsort(starts[keep], kind="stable")
    starts, ends = starts[keep][order], ends[keep][order]
    if starts.size == 0:
        return starts, ends
    reach = np.maximum.accumulate(ends)
    first = np.concatenate([[True], starts[1:] > reach[:-1]])  # starts a new merged interval
    last = np.concatenate([first[1:], [True]])
    return starts[first], reach[last]


def covered_bases(merged_starts, merged_ends, starts, ends):
    """How many bases of each interval ``[starts, ends)`` the disjoint sorted intervals ``merged`` cover.

    By the cumulative covered length ``C(x)`` (bases covered before position ``x``): ``C(end) - C(start)``.
    """
    cumulative = np.concatenate([[0], np.cumsum(merged_ends - merged_starts)])

    def before(x):
        k = np.searchsorted(merged_starts, x, "right")  # merged intervals starting at or before x
        past = np.maximum(merged_ends[np.maximum(k - 1, 0)] - x, 0) if merged_starts.size else 0
        return cumulative[k] - np.where(k > 0, past, 0)

    return before(ends) - before(starts)


# --- statistics --------------------------------------------------------------------------------


def _overlaps(starts, ends, intervals):
    """Pairs (bin, interval) that overlap (:func:`overlap_pairs`): the bin, the overlap's length and the value."""
    track_starts = intervals["start"].to_numpy().astype(np.int64)
    track_ends = intervals["end"].to_numpy().astype(np.int64)
    bin_index, track = overlap_pairs(starts, ends, track_starts, track_ends)
    lo = np.maximum(starts[bin_index], track_starts[track])
    hi = np.minimum(ends[bin_index], track_ends[track])
    return bin_index, (hi - lo).astype(np.float64), intervals["value"].to_numpy().astype(np.float64)[track]


def _to_list(values, defined):
    return [float(v) if ok else None for v, ok in zip(values, defined)]


def signal_per_bin(intervals, starts, ends, stat):
    """``mean`` or ``max`` of a signal track (intervals with values) on every bin.

    Intervals with a NaN value count as uncovered.

    Parameters
    ----------
    intervals : polars.DataFrame
        ``start``, ``end`` (0-based half-open) and ``value`` (:func:`read_intervals`).
    starts, ends : numpy.ndarray
        The bins, 0-based half-open (:func:`bin_intervals`).

    Returns
    -------
    list of float or None
        One per bin; None where no base is covered.
    """
    n = starts.size
    intervals = intervals.filter(intervals["value"].is_finite())
    if intervals.is_empty():
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
    """``coverage`` (fraction of bases covered by the union) or ``count`` of BED intervals on every bin.

    ``count``: the intervals sharing a base with the bin, a zero-length interval ``[p, p)`` where ``p`` lies in
    the bin (:func:`overlap_pairs`).
    """
    track_starts = intervals["start"].to_numpy().astype(np.int64)
    track_ends = intervals["end"].to_numpy().astype(np.int64)
    if stat == "coverage":
        covered = covered_bases(*merge_intervals(track_starts, track_ends), starts, ends)
        return (covered / (ends - starts)).tolist()
    if stat == "count":
        index, _ = overlap_pairs(starts, ends, track_starts, track_ends)
        return np.bincount(index, minlength=starts.size).astype(np.int64).tolist()
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
