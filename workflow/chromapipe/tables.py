"""The contract of every table the workflow reads or writes, declared once.

Each :class:`Table` names its columns in order, with dtype, unit and meaning.
Writers go through :func:`write` (the frame must have exactly the declared
columns and dtypes; the file is written all-or-nothing with JSON metadata in
its footer); readers go through :func:`read` (the columns are checked, and
tables from the Nextflow pipeline's CSV layouts are cast onto the contract).
The README's output tables are generated from here (``python -m
chromapipe.tables``) and a test checks they agree.

Coordinates are the reconstruction's arbitrary *model units*: 3DMax writes
unitless coordinates, and the PDB reader divides them by 10 exactly as mdtraj
does (its Angstrom-to-nm conversion), which keeps parity with the Nextflow
pipeline's numbers; a whole chromosome spans about 2 model units. They are not
nanometres of a real nucleus.
"""

import json
import os
from dataclasses import dataclass

from . import tracks as _tracks
from .errors import InputError

#: Key under which chromapipe stores its JSON metadata in a Parquet footer.
METADATA_KEY = "chromapipe"
MODEL_UNITS = "model units"
#: The names of the numeric Polars dtypes a column can have.
NUMERIC_KINDS = frozenset(f"{t}{b}" for t in ("Int", "UInt") for b in (8, 16, 32, 64)) | {"Float32", "Float64"}


@dataclass(frozen=True)
class Column:
    """One column of a table: name, dtype, unit and meaning."""

    name: str
    #: The Polars dtype's name (``Float32``): the declarations import no Polars (the Snakefile reads them).
    kind: str
    meaning: str
    unit: str = ""
    #: May be absent from an input table (filled with nulls when read).
    optional: bool = False
    #: Present only in some outputs (e.g. "ensembles"): a table without it keeps the other columns exactly.
    only: str = ""

    @property
    def dtype(self):
        """The Polars dtype (:attr:`kind`)."""
        import polars as pl

        return getattr(pl, self.kind)

    @property
    def numeric(self):
        """Whether the column holds numbers (its dtype's ``is_numeric()``), known without Polars."""
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Table:
    """A table's contract: its file name pattern, purpose and columns in order."""

    kind: str
    file: str
    description: str
    columns: tuple
    #: The table ends with one column per user track (:data:`TRACK_COLUMN`), named in its metadata.
    tracks: bool = False

    @property
    def names(self):
        """The columns every table of this kind has (conditional ones left out), in order."""
        return tuple(c.name for c in self.columns if not c.only)

    @property
    def schema(self):
        """``{name: dtype}`` of :attr:`names`."""
        return {c.name: c.dtype for c in self.columns if not c.only}

    def schema_of(self, names):
        """``{name: dtype}`` of a table with columns ``names`` (see :meth:`columns_of`)."""
        return {c.name: c.dtype for c in self.columns_of(names)}

    def columns_of(self, names):
        """The contract's columns that a table with columns ``names`` must have, in order.

        Conditional columns (:attr:`Column.only`) are expected where present, every other one always.
        """
        return tuple(c for c in self.columns if not c.only or c.name in names)

    def subset(self, *names):
        """The columns named, in this table's order (for other tables built from them)."""
        return tuple(c for c in self.columns if c.name in names)


MODEL = Column("model", "Int32", "model number of an ensemble, 1-based", only="ensembles")
HAPLOTYPE = Column("haplotype", "String", "the homolog (pat or mat) of a diploid structure", only="diploid files")
NUCLEUS = Column(
    "dist_nucleus_com",
    "Float64",
    "distance from the bead to the centre of mass of its model's whole structure (every chromosome and homolog "
    "of the file)",
    "structure units",
    only="genome-wide files",
)


#: Nuclear landmarks and trans features (chromapipe.landmarks, chromapipe.trans): computed at staging from every
#: chain of the file (the whole model's centre, radius, hull and other chains), carried by the structure table.
RADIAL = Column(
    "radial_position",
    "Float64",
    "distance from the bead to the nucleus centre (the mean of every bead of its model: dist_nucleus_com) over the "
    "nucleus radius R, the 99th percentile of that distance over every bead of the model; empty where R is 0",
    only="genome-wide files",
)
PERIPHERY = Column(
    "dist_periphery",
    "Float64",
    "distance from the bead to the nucleus surface, the convex hull of every bead of its model (Qhull), positive "
    "inside: the distance to the nearest facet plane; empty (with a warning) when the model has no hull",
    "structure units",
    only="genome-wide files",
)
TRANS = Column(
    "neighbours_trans",
    "Int32",
    "beads of other chromosomes and of the other homolog, same model, within R of bead i, R the radius of "
    "neighbours (features.neighbour_radius x the median bond of bead i's own chain); 0 for a chain of fewer than "
    "two beads",
    only="genome-wide and diploid files",
)
HOMOLOG = Column(
    "dist_homolog",
    "Float64",
    "distance from the bead to the bead of the same bin (chromosome and start) on the other homolog of the same "
    "model; empty where that homolog has no bead on the bin",
    "structure units",
    only="diploid files",
)
#: The whole-file columns of the structure table (empty for a file of one chain, or where they do not apply).
_CONTEXT = (RADIAL, PERIPHERY, TRANS, HOMOLOG)
#: The physical table's columns from the structure's whole file, after dist_nucleus_com.
_NUCLEUS_FEATURES = (
    RADIAL,
    PERIPHERY,
    TRANS,
    Column(
        "trans_fraction",
        "Float64",
        "neighbours_trans / (neighbours + neighbours_trans); empty where both are 0",
        only="genome-wide and diploid files",
    ),
    HOMOLOG,
)


def _coordinate_columns(what, dtype):
    return tuple(Column(axis, dtype, f"{axis} coordinate of the {what}", MODEL_UNITS) for axis in "xyz")


#: Local structure features (chromapipe.neighbourhood), after the distances in the physical table.
_NEIGHBOURHOOD = (
    Column(
        "rg_local",
        "Float64",
        "radius of gyration (root mean squared distance to their centroid) of beads i-w..i+w clipped to the chain, "
        "w = features.rg_window; a chain of w + 1 beads or fewer gives every bead the chain's own",
        MODEL_UNITS,
        optional=True,  # the Nextflow pipeline's physical tables have none
    ),
    Column(
        "neighbours",
        "Int32",
        "beads j with |i - j| >= 2 within R of bead i, R = features.neighbour_radius x the median "
        "bond length; 0 for a chain of fewer than two beads",
        optional=True,
    ),
    Column(
        "radial_position_territory",
        "Float64",
        "radial_position within the chromosome's own territory: distance to the centre of its beads (dist_com) over "
        "the 99th percentile of that distance over the chain (one homolog, one model); empty where that is 0",
        optional=True,
    ),
    Column(
        "dist_periphery_territory",
        "Float64",
        "distance from the bead to the convex hull of its chain's beads (one homolog, one model), positive inside; "
        "empty (with a warning) for fewer than 4 beads or beads in one plane",
        MODEL_UNITS,
        optional=True,
    ),
)

_DISTANCES = (
    Column(
        "dist_surface",
        "Float64",
        "distance from the bead to the nearest point of the voxel surface (the original's 'chromosome surface "
        "accessible area')",
        MODEL_UNITS,
    ),
    Column("dist_com", "Float64", "distance from the bead to the centre of mass of all beads", MODEL_UNITS),
    Column(
        "dist_rolling_mean",
        "Float64",
        "distance from the bead to the nearest point of the backbone smoothed over windows of 50 beads; "
        "empty for chains of 50 beads or fewer",
        MODEL_UNITS,
    ),
)

BINS = Table(
    "bins",
    "reference/bins.parquet",
    "The genome-wide bin map, parsed and validated once by `fetch_mapping`.",
    (
        Column("bin", "Int64", "bin index of the map (genome-wide)"),
        Column("chr", "String", "chromosome: 1-22, X, Y, MT"),
        Column("start", "Int64", "first base of the bin (1-based)", "bp"),
        Column("end", "Int64", "last base of the bin (inclusive)", "bp"),
    ),
)

STRUCTURE = Table(
    "structure",
    "structures/chr{N}.parquet",
    "The beads of one chromosome's structure (one homolog) in chain order, every model, parsed and validated "
    "once by `fetch_pdb` from any supported format (`chromapipe.formats`).",
    (Column("bead", "Int32", "bead number (PDB residue number), 1..n in chain order within each model"),)
    + _coordinate_columns("bead (float32; PDB formats: the value / 10; others: the format's units)", "Float32")
    + (
        Column("model", "Int32", "model number, 1-based (1 for single-model formats)"),
        Column("start", "Int64", "first base of the bead's bin (1-based), where the file has positions", "bp"),
        Column("haplotype", "String", "pat or mat for a homolog of a diploid structure, else empty"),
        Column(NUCLEUS.name, NUCLEUS.kind, NUCLEUS.meaning + "; empty for single-chromosome files", NUCLEUS.unit),
    )
    + tuple(
        Column(c.name, c.kind, f"{c.meaning}; empty where it does not apply (only in {c.only})", c.unit, optional=True)
        for c in _CONTEXT
    ),
)

POSITIONS = Table(
    "positions",
    "beadmap/chr{N}_positions.parquet",
    "Where each bead sits: the bead-map source (contact list or 3DMax coordinate mapping), parsed once by "
    "`fetch_bead_map`.",
    (
        Column("bead", "Int32", "bead number, 1..n"),
        Column("position", "Int64", "genomic position of the bead as the source gives it (a bin start)", "bp"),
    ),
)

PHYSICAL = Table(
    "physical",
    "physical/chr{N}_physical.parquet",
    "Per-bead physical features, one row per bead (and model, for ensembles) in chain order, not rounded.",
    (HAPLOTYPE, MODEL)
    + _coordinate_columns("bead", "Float64")
    + _DISTANCES
    + _NEIGHBOURHOOD
    + (NUCLEUS,)
    + _NUCLEUS_FEATURES,
)

SURFACE = Table(
    "surface",
    "chr{N}_surface.parquet",
    "The surface points (voxel corners), lexicographic voxel order (one surface per model for ensembles), "
    "unchanged from `compute_physical`.",
    (HAPLOTYPE, MODEL) + _coordinate_columns("surface point", "Float64"),
)

#: A/B compartments from the contact list (chromapipe.compartments), with ``compartments`` on.
_COMPARTMENTS = (
    Column(
        "compartment_e1",
        "Float32",
        "E1, the leading cis eigenvector of the balanced observed/expected contact matrix (ICE + eigs_cis, as cooler + cooltools), "
        "signed to correlate positively with GC content; empty where undefined (a bin the balancing masks)",
        only="runs with compartments",
    ),
    Column(
        "compartment",
        "String",
        "A where compartment_e1 > 0, B where < 0; empty where compartment_e1 is",
        only="runs with compartments",
    ),
)

#: The placeholder of the columns of user tracks (``tracks:`` in the config; the statistics of
#: :data:`chromapipe.tracks.STATISTICS`, each with its dtype).
TRACK_COLUMN = Column(
    "<track name>",
    "Float64",
    "one column per track of the config's `tracks` list, named by it, in the list's order; by its statistic: "
    + _tracks.describe_statistics(),
    only="runs with tracks",
)
#: The dtypes' names a track column can have.
TRACK_KINDS = tuple(dict.fromkeys(stat.dtype for stat in _tracks.STATISTICS.values()))

ANNOTATIONS = Table(
    "annotations",
    "annotations/chr{N}_annotations.parquet",
    "Per-bin annotations, one row per bin of the chromosome in the bin map, in order.",
    (
        *BINS.subset("start", "end"),
        Column("gc_content", "Float64", "(G + C) / (A + C + G + T) of the bin; empty where it has no A, C, G or T"),
        Column("n_fraction", "Float64", "N / bin length", optional=True),
        Column("gene_density", "Int32", "genes (every biotype) overlapping the bin"),
    )
    + _COMPARTMENTS,
    tracks=True,
)


GENES = Table(
    "genes",
    "references/{assembly}/{name}.genes.parquet",
    "The genes of the annotation's GTF/GFF3, parsed once by `prepare_genes` (feature `gene`, every biotype).",
    (
        Column("seqname", "String", "chromosome as the GTF names it (21 or chr21)"),
        Column("start", "Int64", "first base of the gene (1-based)", "bp"),
        Column("end", "Int64", "last base of the gene (inclusive)", "bp"),
        Column("gene_id", "String", "gene_id (GTF) or ID (GFF3)"),
        Column("gene_biotype", "String", "gene_biotype, gene_type or biotype, where the file has one"),
    ),
)


def _float32(column):
    return Column(
        column.name, "Float32", column.meaning + ", rounded to 4 decimals", column.unit, column.optional, column.only
    )


def _compiled_feature(column):
    """A physical column as the compiled table holds it: Float32 rounded (neighbours: the ensemble's mean)."""
    if column.name in ("neighbours", "neighbours_trans"):
        meaning = column.meaning + " (for an ensemble, the mean over its models)"
        return Column(column.name, "Float32", meaning, optional=column.optional, only=column.only)
    return _float32(column)


#: Physical features an ensemble's compiled table gives the standard deviation of.
SD_FEATURES = (
    "dist_surface", "dist_com", "dist_rolling_mean", "rg_local", "neighbours", "radial_position_territory",
    "dist_periphery_territory", "dist_nucleus_com", "radial_position", "dist_periphery", "neighbours_trans",
    "trans_fraction", "dist_homolog",
)  # fmt: skip
#: The per-bead structure features: what the summary correlates with the annotations.
STRUCTURE_FEATURES = SD_FEATURES


COMPILED = Table(
    "compiled",
    "chr{N}_compiled.parquet",
    "One row per bin of the chromosome, each bead on its own bin; bins without a bead keep empty physical columns. "
    "For an ensemble the physical columns are the means over its models.",
    (
        Column("chr", "String", "chromosome: 1-22, X, Y"),
        HAPLOTYPE,
        *BINS.subset("start", "end"),
        Column("bead", "Int32", "the bead on this bin (PDB residue number); empty when the bin has none"),
    )
    + tuple(_compiled_feature(c) for c in PHYSICAL.columns if c.name not in ("model", "haplotype"))
    + tuple(_float32(c) for c in ANNOTATIONS.subset("gc_content", "n_fraction"))
    + ANNOTATIONS.subset("gene_density")
    + tuple(_float32(c) if c.kind == "Float32" else c for c in _COMPARTMENTS)
    + (Column("n_models", "Int32", "models of the ensemble the means are over", only="ensembles"),)
    + tuple(
        Column(
            f"{c.name}_sd",
            "Float32",
            f"standard deviation of {c.name} over the models (ddof 1), rounded to 4 decimals",
            c.unit,
            only="ensembles" + (f" of {c.only}" if c.only else ""),
        )  # fmt: skip
        for c in PHYSICAL.columns
        if c.name in SD_FEATURES
    ),
    tracks=True,
)

#: The Nextflow pipeline's compiled table, reproduced by ``legacy: true``.
LEGACY = Table(
    "legacy",
    "chr{N}_compiled.parquet",
    "`legacy: true` only: the Nextflow pipeline's table, bead rows pasted beside bin rows by row number (wrong "
    "wherever beads and bins differ in number), Float64 rounded to 4 decimals.",
    PHYSICAL.subset("x", "y", "z", "dist_surface", "dist_com", "dist_rolling_mean")
    + BINS.subset("start", "end")
    + ANNOTATIONS.subset("gc_content")
    + (
        Column("gene_density", "Float64", "genes overlapping the bin"),
        Column("chr", "Int32", "chromosome number (X = 23)"),
    ),
)

#: The nuclear-landmark and trans features (chromapipe.landmarks, chromapipe.trans) whose median over beads the
#: summary gives, in the physical table's order.
SUMMARY_MEDIANS = (
    "radial_position", "dist_periphery", "radial_position_territory", "dist_periphery_territory", "neighbours_trans",
    "trans_fraction", "dist_homolog",
)  # fmt: skip


def _summary_medians():
    """The summary's ``median_{feature}`` column of each of :data:`SUMMARY_MEDIANS`, unit from the physical table."""
    columns = {c.name: c for c in PHYSICAL.columns}
    out = []
    for name in SUMMARY_MEDIANS:
        source = columns[name]
        where = f"only {source.only} have it" if source.only else "the legacy layout has none"
        out.append(Column(f"median_{name}", "Float64", f"median {name} over beads with a value; empty where the "
                          f"compiled table has no {name} column ({where}) or no value", source.unit))  # fmt: skip
    return tuple(out)


SUMMARY = Table(
    "summary",
    "summary/summary.parquet",
    "One row per chromosome (also written as summary.tsv).",
    (
        Column("chr", "String", "chromosome"),
        Column("bins", "Int64", "bins of the chromosome in the bin map"),
        Column("beads", "Int64", "beads of the structure (both homologs of a diploid one)"),
        Column("bins_without_bead", "Int64", "bins no bead sits on (of either homolog)"),
        Column("surface_points", "Int64", "points of the voxel surface"),
        Column("median_dist_surface", "Float64", "median dist_surface over beads", MODEL_UNITS),
        Column("median_dist_com", "Float64", "median dist_com over beads", MODEL_UNITS),
        Column("median_dist_rolling_mean", "Float64", "median dist_rolling_mean over beads", MODEL_UNITS),
    )
    + _summary_medians()
    + (
        Column("median_gc_content", "Float64", "median GC content over bins"),
        Column("median_gene_density", "Float64", "median genes per bin"),
        Column("rho_surface_gc", "Float64", "Spearman's rho of dist_surface and GC content over bins with a bead"),
        Column("rho_surface_genes", "Float64", "Spearman's rho of dist_surface and gene density"),
        Column(
            "contact_pairs",
            "Int64",
            "pairs of distinct bins of the contact list (count > 0, repeats summed) both with a bead, at a distance "
            "> 0 (the fewest of any model or homolog); empty without a contact list (chromapipe.agreement)",
        ),
        Column(
            "contact_distance_rho",
            "Float64",
            "Spearman's rho of the beads' 3D distance and the contact count over those pairs (negative: frequent "
            "contacts lie close); the median over models and homologs; empty without a contact list",
        ),
        Column(
            "contact_distance_pearson",
            "Float64",
            "Pearson's r of the contact count and 1 / distance over those pairs (positive: frequent contacts lie "
            "close); the median over models and homologs; empty without a contact list",
        ),
    ),
)

CONTACTS = Table(
    "contacts",
    "contacts/chr{N}_contacts.parquet",
    "The contact list the structure is held against (chromapipe.agreement), staged once by `fetch_contacts` on "
    "the chromosome's bins: each pair of distinct bins once, repeats summed, counts > 0.",
    (
        Column("start1", "Int64", "first base of the pair's first bin (start1 < start2)", "bp"),
        Column("start2", "Int64", "first base of the pair's second bin", "bp"),
        Column("count", "Float64", "the contact count, summed over the list's rows of the pair"),
    ),
)

#: The RMSD columns of the superpositions (chromapipe.superpose).
_RMSD_COLUMNS = (
    Column(
        "rmsd",
        "Float64",
        "root mean squared distance between the beads after the optimal rigid superposition (Kabsch, rotation "
        "and translation, no reflection); empty between structures of different units or with fewer than 3 beads",
        "structure units",
    ),
    Column(
        "rmsd_scaled",
        "Float64",
        "the same after scaling each structure to radius of gyration 1 (0 to 2; shape alone); empty with fewer "
        "than 3 beads",
    ),
)

MODEL_RMSD = Table(
    "model_rmsd",
    "summary/model_rmsd.parquet",
    "Every pair of models of an ensemble, per chromosome and homolog, on all their beads (chromapipe.superpose); "
    "no rows for single-model structures (the example's).",
    (
        Column("chr", "String", "chromosome"),
        Column("haplotype", "String", "the homolog (pat or mat) of a diploid structure, else empty"),
        Column("model_a", "Int32", "a model of the ensemble, 1-based"),
        Column("model_b", "Int32", "a later model (model_a < model_b)"),
        Column("beads", "Int64", "beads of each model"),
    )
    + _RMSD_COLUMNS,
)

RMSD = Table(
    "rmsd",
    "comparison/rmsd.parquet",
    "With a datasets sheet only: every pair of datasets (a diploid one once per homolog, 'name (pat)') per "
    "chromosome, superposed on the bins both have a bead on (an ensemble by its model 1; chromapipe.superpose).",
    (
        Column("chr", "String", "chromosome"),
        Column("dataset_a", "String", "a dataset of the sheet (or one homolog of a diploid one: 'name (pat)')"),
        Column("dataset_b", "String", "a later dataset of the sheet, or homolog"),
        Column("bins", "Int64", "bins with a bead in both"),
    )
    + _RMSD_COLUMNS,
)

COMPARISON = Table(
    "comparison",
    "comparison/datasets.parquet",
    "With a datasets sheet only: per feature, Spearman's rho between every pair of datasets over the bins both "
    "have a bead on (every chromosome); a diploid dataset enters once per homolog, as 'name (pat)' and "
    "'name (mat)', never matched with another dataset's bins by position alone; also written as datasets.tsv.",
    (
        Column("feature", "String", "the per-bin feature: " + ", ".join(SD_FEATURES)),
        Column("dataset_a", "String", "a dataset of the sheet (or one homolog of a diploid one: 'name (pat)')"),
        Column("dataset_b", "String", "another (or the same) dataset of the sheet, or homolog"),
        Column("bins", "Int64", "bins with a bead in both datasets"),
        Column("rho", "Float64", "Spearman's rho of the feature over those bins; empty when undefined"),
    ),
)

CORRELATIONS = Table(
    "correlations",
    "summary/correlations.parquet",
    "Every structure feature against every annotation, compartment E1 and track: Spearman's rho over the bins "
    "with a bead and both values, per chromosome (each homolog of a diploid dataset apart) and genome-wide "
    "(chromosome `genome`, the chromosomes' bins end to end), with a 95% moving-block bootstrap interval (blocks "
    "of 10 consecutive bins within one chromosome, 1,000 resamples, seed 0; `chromapipe.stats`). Also written as correlations.tsv; with a datasets sheet, every dataset's side by side "
    "in comparison/correlations.tsv.",
    (
        Column("dataset", "String", "the dataset (its sheet name; empty without a sheet)"),
        Column("chromosome", "String", "chromosome (`21 (pat)` for a homolog), or `genome` for all of them together"),
        Column("feature", "String", "the structure feature: " + ", ".join(SD_FEATURES)),
        Column("annotation", "String", "gc_content, gene_density, compartment_e1 or a track's name"),
        Column("rho", "Float64", "Spearman's rho (average ranks for ties); empty when undefined (a constant column)"),
        Column("ci_low", "Float64", "2.5th percentile of the bootstrap rhos; empty with fewer than 20 bins"),
        Column("ci_high", "Float64", "97.5th percentile of the bootstrap rhos; empty with fewer than 20 bins"),
        Column("n_bins", "Int64", "bins with a bead where both values are present"),
        Column("significant", "Boolean", "the interval excludes 0"),
    ),
)

TABLES = {
    t.kind: t
    for t in (
        BINS, STRUCTURE, POSITIONS, GENES, PHYSICAL, SURFACE, ANNOTATIONS, COMPILED, LEGACY, SUMMARY, COMPARISON,
        CORRELATIONS, MODEL_RMSD, RMSD, CONTACTS,
    )
}  # fmt: skip


def table(kind):
    """The contract of ``kind`` (a :data:`TABLES` key)."""
    try:
        return TABLES[kind]
    except KeyError:
        raise InputError(f"unknown table kind {kind!r}: expected one of {', '.join(TABLES)}") from None


def track_names(metadata):
    """The track columns a table's metadata names (``{"tracks": [{"name": ...}, ...]}``), in order."""
    return tuple(t["name"] for t in (metadata or {}).get("tracks") or ())


def check(kind, frame, path=None, tracks=()):
    """Return ``frame`` if it has exactly the contract's columns, order and dtypes; else raise InputError.

    ``tracks``: the names of the track columns that end a table of a kind with tracks (Float64 or Int64 each).
    """
    contract = table(kind)
    if tracks and not contract.tracks:
        raise InputError(f"the {kind} table has no track columns (got {', '.join(tracks)})", path)
    actual = dict(frame.schema)
    expected = {c.name: c.dtype for c in contract.columns_of([c for c in actual if c not in tracks])}
    expected.update({name: actual.get(name) for name in tracks})
    wrong_track = [name for name in tracks if str(actual.get(name)) not in TRACK_KINDS]
    if list(actual) != list(expected) or any(actual[c] != t for c, t in expected.items()) or wrong_track:
        raise InputError(
            f"the {kind} table does not have the declared schema: expected "
            f"{', '.join(f'{c}:{t}' for c, t in expected.items() if c not in tracks)}"
            + "".join(f", {name}:Float64 or Int64" for name in tracks)
            + f"; got {', '.join(f'{c}:{t}' for c, t in actual.items())}",
            path,
        )
    return frame


def conform(kind, frame, path=None, tracks=()):
    """Select and cast the contract's columns (then the ``tracks`` columns) from a table with at least those.

    Missing optional columns are filled with nulls; a missing required column
    is an error naming it (and the columns the table has).
    """
    import polars as pl

    contract = table(kind)
    columns = contract.columns_of([c for c in frame.columns if c not in tracks])
    require(frame, [c.name for c in columns if not c.optional] + list(tracks), f"{kind} table", path)
    try:
        return frame.select(
            [
                pl.col(c.name).cast(c.dtype) if c.name in frame.columns else pl.lit(None, dtype=c.dtype).alias(c.name)
                for c in columns
            ]
            + list(tracks)
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{kind} table: a column does not hold {kind} values ({_first_line(exc)})", path) from None


def require(frame, columns, what, path=None):
    """Raise unless ``frame`` has every one of ``columns``; the message names the missing ones."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)} (has: {', '.join(frame.columns)})", path)
    return frame


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_frame(path, what):
    """Read a CSV or Parquet file, told apart by extension; errors name the file and ``what`` it is."""
    import polars as pl

    path = os.fspath(path)
    lower = path.lower()
    try:
        if lower.endswith(".parquet"):
            return pl.read_parquet(path)
        if lower.endswith((".csv", ".csv.gz")):
            return pl.read_csv(path, infer_schema_length=None)
        raise InputError(f"{what}: expected a .csv or .parquet file", path)
    except FileNotFoundError:
        raise InputError(f"{what}: no such file", path) from None
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{what}: cannot read the table ({_first_line(exc)})", path) from None


def read(kind, path):
    """Read a ``kind`` table (Parquet, or the Nextflow pipeline's CSV layout) onto its contract.

    Raises
    ------
    InputError
        Unreadable file, a missing column, or values of the wrong type.
    """
    tracks = track_names(read_metadata(path)) if table(kind).tracks else ()
    return conform(kind, read_frame(path, f"{kind} table"), os.fspath(path), tracks)


def parquet_writer(kind, frame, metadata=None):
    """A :func:`chromapipe.io.write_files` writer of a checked ``kind`` table with JSON metadata."""
    arrow = check(kind, frame, tracks=track_names(metadata) if table(kind).tracks else ()).to_arrow()
    if metadata is not None:
        existing = dict(arrow.schema.metadata or {})
        existing[METADATA_KEY.encode()] = json.dumps(metadata, sort_keys=True).encode()
        arrow = arrow.replace_schema_metadata(existing)
    return lambda tmp: _write_arrow(arrow, tmp)


def _write_arrow(arrow, path):
    """Write an Arrow table as Parquet with pyarrow's writer (the outputs' bytes are its; imported here, where a
    step writes: a job that only reads tables loads polars alone)."""
    import pyarrow.parquet as pq

    pq.write_table(arrow, path)


def write(outputs):
    """Write ``{path: (kind, frame, metadata)}`` tables: all of them, or none."""
    from .io import write_files

    write_files({path: parquet_writer(kind, frame, meta) for path, (kind, frame, meta) in outputs.items()})


def read_metadata(path):
    """The chromapipe metadata of a Parquet file (``{}`` when it has none or is a CSV)."""
    import polars as pl

    path = os.fspath(path)
    if not path.endswith(".parquet"):
        return {}
    try:
        raw = pl.read_parquet_metadata(path)  # the footer's key-value pairs, read by polars (no pyarrow import)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"cannot read Parquet metadata: {_first_line(exc)}", path) from None
    value = raw.get(METADATA_KEY)
    return json.loads(value) if value else {}


def markdown(kind):
    """The contract of ``kind`` as a Markdown table (the README's output tables)."""
    contract = table(kind)
    lines = ["| column | type | unit | meaning |", "|---|---|---|---|"]
    for c in contract.columns + ((TRACK_COLUMN,) if contract.tracks else ()):
        only = f" (only in {c.only})" if c.only else ""
        dtype = "Float64 or Int64" if c is TRACK_COLUMN else c.kind
        lines.append(f"| `{c.name}` | {dtype} | {c.unit} | {c.meaning}{only} |")
    return "\n".join(lines)


def readme_section():
    """Every output table's contract, as the README's *Output tables* section body."""
    parts = []
    for kind in ("compiled", "surface", "physical", "annotations", "legacy", "summary", "model_rmsd", "correlations",
                 "comparison", "rmsd", "structure", "positions", "contacts", "bins"):  # fmt: skip
        contract = TABLES[kind]
        parts.append(f"#### `{contract.file}` ({kind})\n\n{contract.description}\n\n{markdown(kind)}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(readme_section())
