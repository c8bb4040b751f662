"""Per-bin track statistics (chromapipe.tracks) against a base-by-base computation on synthetic files."""

import gzip

import numpy as np
import pandas as pd
import polars as pl
import pyBigWig
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chromapipe import tracks
from chromapipe.errors import InputError

# chromosome 21 of a made-up assembly: 10 bins of 1,000 bp, the last truncated at the end
LENGTH = 9_650
BIN = 1_000


def bin_map(length=LENGTH, width=BIN):
    starts = np.arange(1, length + 1, width)
    ends = np.minimum(starts + width - 1, length)
    return pl.DataFrame({"bin": np.arange(1, starts.size + 1), "chr": "21", "start": starts, "end": ends})


def random_signal(seed, length=LENGTH, gap=(3_000, 4_200)):
    """Non-overlapping sorted intervals with values (0-based half-open), none inside ``gap``."""
    rng = np.random.default_rng(seed)
    cuts = np.unique(rng.integers(0, length, 60))
    rows = []
    for start, end in zip(cuts[:-1], cuts[1:]):
        if end <= gap[0] or start >= gap[1]:
            if rng.random() < 0.8:  # leave some uncovered stretches
                rows.append((int(start), int(end), float(np.float32(rng.normal()))))  # bigWig stores float32
    return rows


def base_signal(rows, length=LENGTH):
    """Per-base value (NaN where uncovered): the independent reference."""
    values = np.full(length, np.nan)
    for start, end, value in rows:
        values[start:end] = value
    return values


def expected_signal(rows, bins, stat):
    values = base_signal(rows)
    out = []
    for start, end in zip(bins["start"], bins["end"]):
        window = values[start - 1 : end]
        window = window[~np.isnan(window)]
        out.append(None if window.size == 0 else float(window.mean() if stat == "mean" else window.max()))
    return out


def assert_close(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        if e is None:
            assert a is None
        else:
            assert a == pytest.approx(e, rel=1e-9, abs=1e-12)


def write_bigwig(path, rows, name="chr21", size=LENGTH):
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([(name, size)])
    handle.addEntries(
        [name] * len(rows),
        [r[0] for r in rows],
        ends=[r[1] for r in rows],
        values=[r[2] for r in rows],
    )
    handle.close()


def write_text(path, lines, header=()):
    text = "".join(f"{line}\n" for line in [*header, *lines])
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)


@pytest.mark.parametrize("stat", ["mean", "max"])
def test_bigwig_against_base_by_base(tmp_path, stat):
    rows = random_signal(1)
    write_bigwig(tmp_path / "t.bw", rows)
    bins = bin_map()
    track = tracks.make_track("signal", str(tmp_path / "t.bw"), stat)
    got = tracks.track_per_bin(track, "21", bins)
    want = expected_signal(rows, bins, stat)
    assert want[3] is None  # the gap leaves bin 4 (3,001-4,000) uncovered
    assert_close(got, want)


@pytest.mark.parametrize("stat", ["mean", "max"])
def test_bedgraph_against_base_by_base_gzipped_and_unprefixed(tmp_path, stat):
    rows = random_signal(2)
    path = tmp_path / "t.bedGraph.gz"
    write_text(path, [f"21\t{s}\t{e}\t{v}" for s, e, v in rows], header=["track type=bedGraph name=x"])
    bins = bin_map()
    got = tracks.track_per_bin(tracks.make_track("signal", str(path), stat), "chr21", bins)
    assert_close(got, expected_signal(rows, bins, stat))


def test_bigwig_and_bedgraph_agree(tmp_path):
    rows = random_signal(3)
    write_bigwig(tmp_path / "t.bw", rows)
    write_text(tmp_path / "t.bedgraph", [f"chr21\t{s}\t{e}\t{v}" for s, e, v in rows])
    bins = bin_map()
    a = tracks.track_per_bin(tracks.make_track("a", str(tmp_path / "t.bw")), "21", bins)
    b = tracks.track_per_bin(tracks.make_track("b", str(tmp_path / "t.bedgraph")), "21", bins)
    assert_close(a, b)


def test_bedgraph_nan_values_are_uncovered(tmp_path):
    path = tmp_path / "t.bedGraph"
    write_text(path, ["chr21\t0\t500\tNaN", "chr21\t500\t1000\t2.0", "chr21\t1000\t1500\tnan"])
    got = tracks.track_per_bin(tracks.make_track("s", str(path)), "21", bin_map())
    assert got[:2] == [2.0, None]


def random_bed(seed, length=LENGTH, n=40):
    """Overlapping intervals, many crossing bin edges, none inside 5,000-6,500."""
    rng = np.random.default_rng(seed)
    rows = []
    while len(rows) < n:
        start = int(rng.integers(0, length - 1))
        end = int(min(length, start + rng.integers(1, 2_500)))
        if end <= 5_000 or start >= 6_500:
            rows.append((start, end))
    return rows


@pytest.mark.parametrize("stat", ["coverage", "count"])
def test_bed_against_base_by_base(tmp_path, stat):
    rows = random_bed(4)
    path = tmp_path / "t.bed"
    write_text(path, [f"chr21\t{s}\t{e}\tname{i}\t0\t+" for i, (s, e) in enumerate(rows)], header=["browser hide all"])
    bins = bin_map()
    covered = np.zeros(LENGTH, dtype=bool)
    for start, end in rows:
        covered[start:end] = True
    want = []
    for start, end in zip(bins["start"], bins["end"]):
        lo, hi = start - 1, end
        if stat == "coverage":
            want.append(covered[lo:hi].mean())
        else:
            want.append(sum(1 for s, e in rows if max(s, lo) < min(e, hi)))
    got = tracks.track_per_bin(tracks.make_track("lads", str(path), stat), "21", bins)
    assert want[5] == 0  # bin 6 (5,001-6,000) has no interval
    assert any(s // BIN != (e - 1) // BIN for s, e in rows)  # some intervals cross a bin edge
    if stat == "coverage":
        assert_close(got, want)
    else:
        assert got == want


def test_bed_without_the_chromosome_gives_zeros(tmp_path):
    path = tmp_path / "t.bed"
    write_text(path, ["chr1\t0\t100"])
    assert tracks.track_per_bin(tracks.make_track("x", str(path), "count"), "21", bin_map()) == [0] * 10


def test_bigwig_without_the_chromosome_gives_none(tmp_path):
    write_bigwig(tmp_path / "t.bw", [(0, 10, 1.0)], name="chr1", size=249_250_621)
    assert tracks.track_per_bin(tracks.make_track("x", str(tmp_path / "t.bw")), "21", bin_map()) == [None] * 10


def test_unrecognisable_chromosome_names(tmp_path):
    path = tmp_path / "t.bed"
    write_text(path, ["NC_000021.9\t0\t100"])
    with pytest.raises(InputError, match=r"names no chromosome as the bin map does.*NC_000021.9"):
        tracks.track_per_bin(tracks.make_track("x", str(path)), "21", bin_map())


def test_bigwig_on_another_assembly(tmp_path):
    write_bigwig(tmp_path / "t.bw", [(0, 10, 1.0)], size=LENGTH - 1)
    with pytest.raises(InputError, match=r"9,649 bp but the bin map's chromosome 21 ends at 9,650.*another assembly"):
        tracks.track_per_bin(tracks.make_track("x", str(tmp_path / "t.bw")), "21", bin_map())


def test_bigwig_size_inside_a_full_last_bin_agrees(tmp_path):
    bins = bin_map(length=10_000)  # the last bin is full: the chromosome may end anywhere inside it
    write_bigwig(tmp_path / "t.bw", [(0, 10, 1.0)], size=9_650)
    assert tracks.track_per_bin(tracks.make_track("x", str(tmp_path / "t.bw")), "21", bins)[0] == 1.0
    write_bigwig(tmp_path / "u.bw", [(0, 10, 1.0)], size=10_001)
    with pytest.raises(InputError, match="another assembly"):
        tracks.track_per_bin(tracks.make_track("x", str(tmp_path / "u.bw")), "21", bins)


def test_bed_past_the_chromosome_end(tmp_path):
    path = tmp_path / "t.bed"
    write_text(path, ["chr21\t0\t100", "chr21\t9000\t9651", "chr22\t0\t50000000"])
    with pytest.raises(InputError, match=r"t.bed, line 2: .*ends at 9,651, past the bin map's chromosome 21 end"):
        tracks.track_per_bin(tracks.make_track("x", str(path)), "21", bin_map())


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("chr21\tten\t100", "start must be an integer, got 'ten'"),
        ("chr21\t200\t100", "bad interval 200-100"),
        ("chr21\t-5\t100", "bad interval -5-100"),
    ],
)
def test_malformed_bed_names_the_line(tmp_path, line, message):
    path = tmp_path / "t.bed"
    write_text(path, ["chr21\t0\t10", "", line], header=["# comment"])
    with pytest.raises(InputError, match=rf"t.bed, line 4: {message}"):
        tracks.track_per_bin(tracks.make_track("x", str(path)), "21", bin_map())


def test_malformed_bedgraph_value(tmp_path):
    path = tmp_path / "t.bedGraph"
    write_text(path, ["chr21\t0\t10\t1.5", "chr21\t10\t20\thigh"])
    with pytest.raises(InputError, match=r"line 2: value must be a number, got 'high'"):
        tracks.track_per_bin(tracks.make_track("x", str(path)), "21", bin_map())


def test_not_a_bigwig(tmp_path):
    path = tmp_path / "t.bw"
    path.write_text("chr21\t0\t10\t1\n")
    with pytest.raises(InputError, match="not a bigWig file"):
        tracks.track_per_bin(tracks.make_track("x", str(path)), "21", bin_map())


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        tracks.track_per_bin(tracks.make_track("x", str(tmp_path / "none.bed")), "21", bin_map())


# --- specifications -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("h3k9me3=data/H3K9me3.bigWig", ("h3k9me3", "data/H3K9me3.bigWig", "mean", "bigwig")),
        ("h3k9me3=data/H3K9me3.bw:max", ("h3k9me3", "data/H3K9me3.bw", "max", "bigwig")),
        ("lads=data/lads.bed.gz", ("lads", "data/lads.bed.gz", "coverage", "bed")),
        ("lads=https://example.org/lads.bed:count", ("lads", "https://example.org/lads.bed", "count", "bed")),
        ("atac=https://example.org/a.bedGraph.gz", ("atac", "https://example.org/a.bedGraph.gz", "mean", "bedgraph")),
        ("x_1=C:/data/x.bdg:max", ("x_1", "C:/data/x.bdg", "max", "bedgraph")),
    ],
)
def test_parse_spec(spec, expected):
    track = tracks.parse_spec(spec)
    assert (track.name, track.path, track.stat, track.format) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("data/x.bw", "expected NAME=PATH"),
        ("x=", "expected NAME=PATH"),
        ("1x=data/x.bw", "'1x' is not a valid column name"),
        ("_lads=data/x.bed", "'_lads' is not a valid column name: .* starting with a letter"),  # _: internal
        ("lads=data/lads.bed.gz:median", "unknown statistic 'median': expected one of count, coverage, max, mean"),
        ("my-track=data/x.bw", "not a valid column name"),
        ("x=data/x.bw:coverage", "statistic 'coverage' does not apply to a bigwig track"),
        ("x=data/x.bed:mean", "statistic 'mean' does not apply to a bed track"),
        ("x=data/x.txt", "cannot tell its format"),
        ("gc=data/x.bw", "'gc' is already a column"),
    ],
)
def test_parse_spec_errors(spec, message):
    with pytest.raises(InputError, match=message):
        tracks.parse_spec(spec, reserved=("gc", "bin"))


def test_from_config():
    track = tracks.from_config({"name": "lads", "path": "data/LADs.bed.gz"}, 1)
    assert (track.stat, track.format) == ("coverage", "bed")
    assert tracks.from_config({"name": "k9", "path": "a.bw", "stat": "max"}).stat == "max"
    with pytest.raises(InputError, match=r"config tracks\[2\]: missing 'path'"):
        tracks.from_config({"name": "x"}, 2)
    with pytest.raises(InputError, match=r"config tracks\[0\]: unknown key\(s\) colour"):
        tracks.from_config({"name": "x", "path": "a.bw", "colour": "red"})
    with pytest.raises(InputError, match="expected a mapping"):
        tracks.from_config("x=a.bw")
    with pytest.raises(InputError, match="'x' is used twice"):
        tracks.check_unique([tracks.parse_spec("x=a.bw"), tracks.parse_spec("x=b.bed")])


# --- the numpy overlaps against bioframe's (the reference they replace) ------------------------------------


#: Track values whose weighted sums round differently in another order (a NaN is uncovered).
VALUES = [0.1, -1.7, 1 / 3, 2.3e5 + 0.1, 7.25, np.nan]


@st.composite
def bins_and_intervals(draw):
    """Sorted bins (contiguous or with gaps, width >= 1) and intervals in any order: overlapping, nested,
    touching, zero-length, repeated, or none, with values (some NaN)."""
    widths = draw(st.lists(st.integers(1, 12), min_size=1, max_size=12))
    gaps = draw(st.lists(st.integers(0, 3), min_size=len(widths), max_size=len(widths)))
    starts = np.cumsum(np.array(gaps) + np.array(widths)) - np.array(widths)
    bins = (starts.astype(np.int64), (starts + np.array(widths)).astype(np.int64))
    span = int(bins[1][-1]) + 3
    rows = draw(st.lists(st.tuples(st.integers(0, span), st.integers(0, 10), st.sampled_from(VALUES)),
                         max_size=25))  # fmt: skip
    intervals = pl.DataFrame({"chrom": ["1"] * len(rows), "start": [r[0] for r in rows],
                              "end": [r[0] + r[1] for r in rows], "value": [r[2] for r in rows]},
                             schema={"chrom": pl.String, "start": pl.Int64, "end": pl.Int64, "value": pl.Float64})  # fmt: skip
    return bins, intervals


def _bioframe_reference(starts, ends, intervals):
    """mean, max, coverage and count per bin, by bioframe (the implementation chromapipe.tracks had)."""
    import warnings

    import bioframe

    bins = pd.DataFrame({"chrom": "1", "start": starts, "end": ends, "bin_index": np.arange(starts.size)})
    other = intervals.to_pandas()
    n = starts.size
    if other.empty:
        return {"mean": [None] * n, "max": [None] * n, "coverage": [0.0] * n, "count": [0] * n}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        coverage = bioframe.coverage(bins, other[["chrom", "start", "end"]])["coverage"].to_numpy(np.float64)
        pairs = bioframe.overlap(bins, other, how="inner", suffixes=("", "_track"))
    index = pairs["bin_index"].to_numpy(np.int64)
    count = np.bincount(index, minlength=n).tolist()  # bioframe.count_overlaps counts these pairs
    lo = np.maximum(pairs["start"].to_numpy(np.int64), pairs["start_track"].to_numpy(np.int64))
    length = np.minimum(pairs["end"].to_numpy(np.int64), pairs["end_track"].to_numpy(np.int64)) - lo
    value = pairs["value_track"].to_numpy(np.float64)
    keep = (length > 0) & np.isfinite(value)  # the pairs of the finite intervals, in the same order
    index, length, value = index[keep], length[keep].astype(np.float64), value[keep]
    covered = np.bincount(index, weights=length, minlength=n)
    weighted = np.bincount(index, weights=value * length, minlength=n)
    highest = np.full(n, -np.inf)
    np.maximum.at(highest, index, value)
    mean = np.divide(weighted, covered, out=np.zeros(n), where=covered > 0)
    stats = {name: [float(v) if c > 0 else None for v, c in zip(values, covered)]
             for name, values in (("mean", mean), ("max", highest))}  # fmt: skip
    return {**stats, "coverage": (coverage / (ends - starts)).tolist(), "count": count}


@settings(max_examples=50)
@given(bins_and_intervals())
def test_the_overlaps_are_bioframes(case):
    """Equal, not close: the means add each bin's overlaps in bioframe's order, so the outputs keep their bytes."""
    (starts, ends), intervals = case
    expected = _bioframe_reference(starts, ends, intervals)
    actual = {stat: tracks.signal_per_bin(intervals, starts, ends, stat) for stat in ("mean", "max")}
    actual.update({stat: tracks.intervals_per_bin(intervals, starts, ends, stat) for stat in ("coverage", "count")})
    assert actual == expected


def test_the_overlaps_of_nested_touching_and_empty_intervals():
    """A worked case: [0, 10) holds [2, 5) and the point 5; [10, 20) touches [0, 10); [7, 7) lies in bin 0."""
    starts, ends = np.array([0, 5, 10]), np.array([5, 10, 20])
    i, j = tracks.overlap_pairs(starts, ends, np.array([0, 2, 5, 10, 7, 20]), np.array([10, 5, 5, 20, 7, 20]))
    assert sorted(zip(i.tolist(), j.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 2), (1, 4), (2, 3)]
    merged = tracks.merge_intervals(np.array([10, 0, 2, 5, 30]), np.array([20, 10, 5, 5, 30]))
    assert [m.tolist() for m in merged] == [[0], [20]]
    assert tracks.covered_bases(*merged, starts, ends).tolist() == [5, 5, 10]


def test_the_means_add_in_bioframes_order():
    """Many intervals on few bins (seeded): a sum in another order than bioframe's rounds differently here."""
    rng = np.random.default_rng(25)
    starts, ends = np.array([0, 7, 15]), np.array([7, 15, 30])
    begin = rng.integers(0, 30, 60)
    intervals = pl.DataFrame({"chrom": "1", "start": begin, "end": begin + rng.integers(0, 12, 60),
                              "value": rng.choice(VALUES[:-1], 60)})  # fmt: skip
    expected = _bioframe_reference(starts, ends, intervals)
    assert tracks.signal_per_bin(intervals, starts, ends, "mean") == expected["mean"]
    # the same pairs added in reverse order (the test can fail): equal to within rounding, not bit for bit
    index, length, value = tracks._overlaps(starts, ends, intervals.filter(pl.col("value").is_finite()))
    keep = length > 0
    reverse = [
        np.bincount(index[keep][::-1], weights=w[::-1], minlength=3) for w in (value[keep] * length[keep], length[keep])
    ]
    assert (reverse[0] / reverse[1]).tolist() != expected["mean"] == pytest.approx((reverse[0] / reverse[1]).tolist())
