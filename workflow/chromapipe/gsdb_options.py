"""GSDB's algorithms, hosts and default assemblies, and the ``chromapipe gsdb`` subcommand's arguments.

Declared here, without :mod:`chromapipe.gsdb`'s imports, for the command line's parser (which
imports no module it does not need to build: tests/test_startup.py); :mod:`chromapipe.gsdb`
re-exports each of them.
"""

# --- identifiers -----------------------------------------------------------------

ALGORITHMS = (
    "LorDG",
    "3DMax",
    "MOGEN",
    "Pastis",
    "Chromosome3D",
    "HSA",
    "miniMDS",
    "ShRec3D",
    "GEM",
    "ChromSDE",
    "SIMBA3D",
    "InfMod3DGen",
)

# --- hosts -----------------------------------------------------------------------

#: Structure host since March 2023 (gsdb.md, "Addresses").
STRUCTURES_URL = "https://hekademeia-uploads.s3.us-west-2.amazonaws.com/mu/eecs/cheng/gsdb/"
#: The older host, tried when the structure host fails.
MIRROR_URL = "https://calla.rnet.missouri.edu/genome3d/GSDB/Database/"
#: Dataset archives (normalised input data) are still on the older host only.
DATASETS_URL = "http://calla.rnet.missouri.edu/genome3d/GSDB/Dataset/"


# --- species and assemblies ------------------------------------------------------

#: Default assembly per catalogue organism.
#: - Human: gsdb.md says GSDB's human bin maps are hg19 (GRCh37 coordinates; chr1 ends at
#:   249,250,621 in the shipped dataset's bin map).
#: - Mouse: the only two mouse experiments (TE1402WS mESC, VH2561BL mCortex) are Dixon et al.
#:   2012, GEO GSE35156, whose processed data are on mm9 (NCBIM37). An inference from the GEO
#:   series, not read from a GSDB file: set ``assembly`` to override it.
#: - "Homo sapiens; Mus musculus": both such experiments are human cell lines (EA2504YQ K562,
#:   GSE18199; OO7429SF GM12878, GSE63525) whose GEO series also hold mouse samples, so they
#:   resolve to human.
ORGANISM_ASSEMBLY = {
    "Homo sapiens": "GRCh37",
    "Mus musculus": "NCBIM37",
    "Homo sapiens; Mus musculus": "GRCh37",
}


# --- the `chromapipe gsdb` subcommand --------------------------------------------


def add_arguments(parser):
    """Arguments of ``chromapipe gsdb`` (list datasets, or print one's config block)."""
    parser.add_argument(
        "dataset",
        nargs="?",
        help="ID/FILENAME (e.g. AX9716PF/GSE105544_ENCFF010WBP) to print its config block; "
        "without it, list the catalogue",
    )
    parser.add_argument("--search", metavar="TEXT", help="cell type, title or filename contains TEXT")
    parser.add_argument("--organism", metavar="TEXT", help="organism contains TEXT (e.g. 'mus', 'sapiens')")
    parser.add_argument("--resolution", metavar="RES", help="e.g. 500kb, 1mb, 2.5mb")
    parser.add_argument("--algorithm", default="3DMax", help=f"one of {', '.join(ALGORITHMS)} (default 3DMax)")
    parser.add_argument("--normalization", help="VC, KR or Yaffe_Tanay (default: GSDB's for the experiment)")
    parser.add_argument("--assembly", help="for a dataset the catalogue lacks (GRCh37, hg19, NCBIM37, mm10 ...)")
    parser.add_argument("--structures", default=STRUCTURES_URL, help="structure host base URL")
    parser.add_argument("--datasets", default=DATASETS_URL, help="dataset archive base URL")
    parser.add_argument("--catalogue", help="a catalogue TSV instead of the shipped one")
    return parser
