"""Compare the per-chromosome Parquet files of two result folders (Nextflow's and ours).

For every ``chr{N}_compiled.parquet`` in the reference folder: row counts,
columns, dtypes and the largest absolute difference per common column, and the
same for ``chr{N}_surface.parquet``. Each side's layout is read from its table:
``default`` (ours, corrected: a ``bead`` column, one row per bin) or ``legacy``
(the Nextflow row-order table). Two tables of the same layout are compared row
by row (default: bin by bin, on ``start`` and ``haplotype``). A legacy reference
against a default table: physical columns bead by bead (the reference's row k is
bead k), annotation columns bin by bin, and the beads whose bin changed because
of the corrected pairing are listed; a default reference against a legacy table
is the same comparison with the roles read the other way.

A difference that is not a number (a value empty on one side only, or columns of
different lengths) is infinite in the report and ``null`` in its JSON form
(:func:`to_json`), which is always valid JSON.
"""

import glob
import os
import re

import numpy as np
import polars as pl

from . import tables
from .errors import InputError

#: The annotation columns both compiled layouts share (compared bin by bin).
ANNOTATION_COLUMNS = tuple(
    c for c in tables.LEGACY.names if c in tables.ANNOTATIONS.names and c not in tables.BINS.names
)


def _max_diff(a, b):
    a = a.cast(pl.Float64).to_numpy()
    b = b.cast(pl.Float64).to_numpy()
    if a.shape != b.shape:
        return float("inf")
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        return float("inf")  # empty on one side only
    if na.all():
        return 0.0
    return float(np.max(np.abs(a[~na] - b[~nb])))


def _columns(ref, ours, columns):
    return {c: _max_diff(ref[c], ours[c]) for c in columns if c in ref.columns and c in ours.columns}


def compare_tables(ref, ours):
    """Row counts, columns, dtypes and max |difference| of two tables compared row by row."""
    common = [c for c in ref.columns if c in ours.columns]
    same_height = ref.height == ours.height
    return {
        "rows": [ref.height, ours.height],
        "columns_only_reference": [c for c in ref.columns if c not in ours.columns],
        "columns_only_ours": [c for c in ours.columns if c not in ref.columns],
        "dtypes_differ": {
            c: [str(ref.schema[c]), str(ours.schema[c])] for c in common if ref.schema[c] != ours.schema[c]
        },
        "max_abs_diff": _columns(ref, ours, [c for c in common if ref.schema[c].is_numeric()]) if same_height else {},
    }


def layout(compiled):
    """``"default"`` for our compiled table (it has a ``bead`` column), ``"legacy"`` for the row-order one."""
    return "default" if "bead" in compiled.columns else "legacy"


def compare_bins(ref, ours):
    """Two default-layout tables compared bin by bin (joined on ``start``, and ``haplotype`` if any)."""
    keys = [k for k in ("haplotype", "start") if k in ref.columns and k in ours.columns]
    report = compare_tables(ref, ours)
    joined = ref.join(ours, on=keys, how="inner", suffix="_ours", nulls_equal=True)
    if joined.height != max(ref.height, ours.height):
        report["bins_only_one_side"] = max(ref.height, ours.height) - joined.height
    common = [c for c in ref.columns if c in ours.columns and c not in keys and ref.schema[c].is_numeric()]
    report["max_abs_diff"] = {c: _max_diff(joined[c], joined[c + "_ours"]) for c in common}
    text = [c for c in ref.columns if c in ours.columns and c not in keys and not ref.schema[c].is_numeric()]
    report["values_differ"] = {c: n for c in text if (n := int((~joined[c].eq_missing(joined[c + "_ours"])).sum())) > 0}
    return report


def compare_chromosome(ref_compiled, our_compiled):
    """Compare one chromosome's compiled tables, each in the layout it has; see the module docstring."""
    layouts = (layout(ref_compiled), layout(our_compiled))
    # "layout" is ours (as it always was), "layouts" both sides'
    if layouts == ("legacy", "legacy"):
        return {"layout": "legacy", "layouts": list(layouts), **compare_tables(ref_compiled, our_compiled)}
    if layouts == ("default", "default"):
        return {"layout": "default", "layouts": list(layouts), **compare_bins(ref_compiled, our_compiled)}
    if layouts == ("default", "legacy"):  # the row-order table is ours: read the comparison the other way
        report = _against_row_order(our_compiled, ref_compiled)
        report.update(layout="legacy", layouts=list(layouts))
        for key in ("rows", "beads"):
            report[key] = report[key][::-1]
        report["dtypes_differ"] = {c: v[::-1] for c, v in report["dtypes_differ"].items()}
        report["columns_only_reference"] = report.pop("columns_only_ours")
        if report.get("pairing"):
            report["pairing"]["examples"] = [
                {"bead": m["bead"], "reference_start": m["our_start"], "our_start": m["reference_start"]}
                for m in report["pairing"]["examples"]
            ]
        return report
    return _against_row_order(ref_compiled, our_compiled)


def _against_row_order(ref_compiled, our_compiled):
    """A legacy (row-order) reference against a default-layout table."""
    report = {"layout": "default", "layouts": ["legacy", "default"]}
    ours_beads = our_compiled.filter(pl.col("bead").is_not_null()).sort("bead")
    n_beads = ours_beads.height
    ref_beads = ref_compiled.head(n_beads)
    # the reference has a bead on row k exactly where its physical columns are filled
    ref_bead_rows = ref_compiled.filter(pl.col("x").is_not_null()).height
    report["rows"] = [ref_compiled.height, our_compiled.height]
    report["beads"] = [ref_bead_rows, n_beads]
    report["bins"] = our_compiled.height
    report["dtypes_differ"] = {
        c: [str(ref_compiled.schema[c]), str(our_compiled.schema[c])]
        for c in ref_compiled.columns
        if c in our_compiled.columns and ref_compiled.schema[c] != our_compiled.schema[c]
    }
    report["columns_only_ours"] = [c for c in our_compiled.columns if c not in ref_compiled.columns]
    if ref_bead_rows != n_beads:
        report["max_abs_diff"] = {}
        report["error"] = f"the row-order table has {ref_bead_rows} beads, the default-layout one {n_beads}"
        return report
    diffs = _columns(ref_beads, ours_beads, tables.PHYSICAL.names)
    # annotations belong to bins: join on the bin start
    joined = ref_compiled.select("start", *[c for c in ANNOTATION_COLUMNS if c in ref_compiled.columns]).join(
        our_compiled.select(
            "start", *[pl.col(c).alias(c + "_ours") for c in ANNOTATION_COLUMNS if c in our_compiled.columns]
        ),
        on="start",
        how="inner",
    )
    for column in ANNOTATION_COLUMNS:
        if column in ref_compiled.columns and column + "_ours" in joined.columns:
            diffs[column] = _max_diff(joined[column], joined[column + "_ours"])
    report["max_abs_diff"] = diffs
    ref_starts = ref_beads["start"].to_list()
    our_starts = ours_beads["start"].to_list()
    moved = [
        {"bead": k + 1, "reference_start": a, "our_start": b}
        for k, (a, b) in enumerate(zip(ref_starts, our_starts))
        if a != b
    ]
    report["pairing"] = {"beads": n_beads, "bins": our_compiled.height, "moved": len(moved), "examples": moved[:5]}
    return report


def compare_folders(reference, ours, tolerance=1e-6):
    """Compare two result folders; returns ``(report, ok)``.

    ``ok`` is False when a chromosome is missing on our side, row counts differ
    (legacy layout), or any compared column differs by more than ``tolerance``.
    """
    files = sorted(glob.glob(os.path.join(reference, "chr*_compiled.parquet")))
    if not files:
        raise InputError("no chr*_compiled.parquet files", reference)
    report, ok = {"reference": reference, "ours": ours, "tolerance": tolerance, "chromosomes": {}}, True
    for path in files:
        chrom = re.match(r"chr(.+)_compiled\.parquet$", os.path.basename(path)).group(1)
        mine = os.path.join(ours, os.path.basename(path))
        if not os.path.exists(mine):
            report["chromosomes"][chrom] = {"error": f"missing {mine}"}
            ok = False
            continue
        entry = compare_chromosome(pl.read_parquet(path), pl.read_parquet(mine))
        ref_surface = os.path.join(reference, f"chr{chrom}_surface.parquet")
        our_surface = os.path.join(ours, f"chr{chrom}_surface.parquet")
        if os.path.exists(ref_surface) and os.path.exists(our_surface):
            entry["surface"] = compare_tables(pl.read_parquet(ref_surface), pl.read_parquet(our_surface))
            if entry["surface"]["rows"][0] != entry["surface"]["rows"][1]:
                ok = False
            ok &= all(v <= tolerance for v in entry["surface"]["max_abs_diff"].values())
        same = entry.get("layouts", [None])[0] == entry.get("layouts", [None, 0])[-1]
        if "error" in entry or (same and entry["rows"][0] != entry["rows"][1]):
            ok = False
        ok &= not entry.get("values_differ") and not entry.get("bins_only_one_side")
        bad = {c: v for c, v in entry.get("max_abs_diff", {}).items() if v > tolerance}
        entry["over_tolerance"] = bad
        ok &= not bad
        report["chromosomes"][chrom] = entry
    report["ok"] = ok
    return report, ok


def _finite(value):
    """``value`` with every infinite or NaN float replaced by None (JSON has no Infinity)."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(report):
    """The report of :func:`compare_folders` as JSON text (a difference that is not a number is ``null``)."""
    import json

    return json.dumps(_finite(report), indent=2, allow_nan=False, default=float)


def format_report(report):
    """The human-readable table of :func:`compare_folders`."""
    lines = [
        f"reference: {report['reference']}",
        f"ours:      {report['ours']}",
        f"tolerance: {report['tolerance']:g}",
        "",
    ]
    for chrom, entry in report["chromosomes"].items():
        if "layout" not in entry:
            lines.append(f"chr{chrom}: {entry['error']}")
            continue
        ref, mine = entry["layouts"]
        shown = f"{ref} layout" if ref == mine else f"{ref} reference, {mine} ours"
        lines.append(f"chr{chrom} ({shown}): rows {entry['rows'][0]} vs {entry['rows'][1]}")
        if "beads" in entry:
            lines.append(f"  beads {entry['beads'][0]} vs {entry['beads'][1]}, bins {entry['bins']}")
        if entry.get("error"):
            lines.append(f"  error: {entry['error']}")
        lines.append(f"  {'column':<20} {'max |diff|':>12}")
        for column, value in entry.get("max_abs_diff", {}).items():
            flag = "  over tolerance" if column in entry.get("over_tolerance", {}) else ""
            lines.append(f"  {column:<20} {value:>12.3g}{flag}")
        for column, count in entry.get("values_differ", {}).items():
            lines.append(f"  {column:<20} {count:>12} rows differ  over tolerance")
        if entry.get("bins_only_one_side"):
            lines.append(f"  bins on one side only: {entry['bins_only_one_side']}")
        for column, (a, b) in entry.get("dtypes_differ", {}).items():
            lines.append(f"  dtype of {column}: {a} vs {b}")
        if entry.get("columns_only_ours"):
            lines.append(f"  columns only in ours: {', '.join(entry['columns_only_ours'])}")
        if entry.get("pairing"):
            p = entry["pairing"]
            which = "the reference's" if ref == "legacy" else "our"
            lines.append(
                f"  pairing: {p['beads']} beads on {p['bins']} bins; {p['moved']} beads on another bin than "
                f"{which} row-order pairing"
            )
            for m in p["examples"]:
                lines.append(f"    bead {m['bead']}: reference bin start {m['reference_start']}, ours {m['our_start']}")
        if entry.get("surface"):
            s = entry["surface"]
            worst = max(s["max_abs_diff"].values(), default=0.0)
            lines.append(f"  surface: rows {s['rows'][0]} vs {s['rows'][1]}, max |diff| {worst:.3g}")
    lines.append("")
    lines.append("OK: within tolerance" if report["ok"] else "DIFFERENT: see above")
    return "\n".join(lines)
