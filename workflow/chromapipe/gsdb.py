"""GSDB as a source: its catalogue, its addresses, its dataset archives and its bead rules.

GSDB (Genome Structure Database, BDM Lab) publishes 3D chromosome structures that
twelve algorithms built from public Hi-C data. Everything here follows
``shared/spec/gsdb.md``: a dataset is named by its GSDB ID (one Hi-C experiment,
e.g. ``AX9716PF``) and a filename (one processed Hi-C file of it, e.g.
``GSE105544_ENCFF010WBP``), at one or more resolutions.

The module is pure: it resolves a config section into addresses and archive member
names (:func:`resolve`), finds and extracts archive members in one pass
(:func:`chromapipe.archive.extract_members`), checks a structure's bead count against the rule its
algorithm is known to follow (:func:`check_bead_rule`), and implements the
``chromapipe gsdb`` subcommand (:func:`add_arguments`, :func:`run`).
"""

import csv
import io
import json
import os
import warnings
from dataclasses import dataclass, field

from . import chroms
from .errors import InputError
from .gsdb_options import (  # noqa: F401 (declared there for the command line's parser, which does not import this)
    ALGORITHMS,
    DATASETS_URL,
    MIRROR_URL,
    ORGANISM_ASSEMBLY,
    STRUCTURES_URL,
    add_arguments,
)

# --- identifiers -----------------------------------------------------------------

NORMALIZATIONS = ("VC", "KR", "Yaffe_Tanay")
#: Experiments whose normalisation is not VC (gsdb.md, "Identifiers").
NORMALIZATION_EXCEPTIONS = {
    "OO7429SF": "KR",
    "TE1402WS": "Yaffe_Tanay",
    "VH2561BL": "Yaffe_Tanay",
    "BB8015WF": "Yaffe_Tanay",
    "GG6098MH": "Yaffe_Tanay",
}
DEFAULT_NORMALIZATION = "VC"
ID_LENGTH = 8

# --- species and assemblies ------------------------------------------------------


@dataclass(frozen=True)
class Assembly:
    """A genome assembly under its Ensembl and UCSC names."""

    name: str  # Ensembl / GRC name, what the run records
    ucsc: str
    species: str  # Ensembl REST species
    autosomes: int


ASSEMBLIES = {
    a.name: a
    for a in (
        Assembly("GRCh37", "hg19", "homo_sapiens", 22),
        Assembly("GRCh38", "hg38", "homo_sapiens", 22),
        Assembly("NCBIM37", "mm9", "mus_musculus", 19),
        Assembly("GRCm38", "mm10", "mus_musculus", 19),
    )
}
_ASSEMBLY_ALIASES = {
    **{a.ucsc.lower(): a for a in ASSEMBLIES.values()},
    **{k.lower(): a for k, a in ASSEMBLIES.items()},
}


def assembly(name):
    """The :class:`Assembly` called ``name`` (``GRCh37`` or ``hg19``, case-insensitive).

    Raises
    ------
    InputError
        An assembly that is not one of the known four, listing them.
    """
    found = _ASSEMBLY_ALIASES.get(str(name).strip().lower())
    if found is None:
        known = ", ".join(f"{a.name} ({a.ucsc})" for a in ASSEMBLIES.values())
        raise InputError(f"gsdb: assembly {name!r} is not known: expected one of {known}")
    return found


# --- the catalogue ---------------------------------------------------------------

CATALOGUE_COLUMNS = (
    "gsdb_id",
    "filename",
    "resolutions",
    "title",
    "biosample_type",
    "organism",
    "lab",
    "project",
    "project_id",
    "geo",
)


@dataclass(frozen=True)
class Entry:
    """One filename of one GSDB experiment, as the catalogue lists it."""

    gsdb_id: str
    filename: str
    resolutions: tuple  # lower case, in catalogue order: ("500kb",), ("1mb", "100kb")
    title: str  # the experiment's title: the cell type
    biosample_type: str
    organism: str
    lab: str
    project: str
    project_id: str
    geo: str


def normalize_resolution(value):
    """``500KB``, ``500kb``, ``2.5MB`` -> ``500kb``, ``2.5mb`` (the folder spelling)."""
    return str(value).strip().lower().replace(" ", "")


@dataclass(frozen=True)
class Catalogue:
    """GSDB's datasets, looked up by ID and filename."""

    entries: tuple
    source: str = "catalogue"

    def by_filename(self, filename):
        """The entry of ``filename`` (exact, then case-insensitive), or None."""
        for entry in self.entries:
            if entry.filename == filename:
                return entry
        lowered = filename.lower()
        matches = [e for e in self.entries if e.filename.lower() == lowered]
        return matches[0] if len(matches) == 1 else None

    def by_id(self, gsdb_id):
        """All entries of one experiment (exact ID, else case-insensitive), in catalogue order."""
        exact = [e for e in self.entries if e.gsdb_id == gsdb_id]
        return tuple(exact or (e for e in self.entries if e.gsdb_id.lower() == gsdb_id.lower()))

    def search(self, text=None, organism=None, resolution=None):
        """Entries whose title/cell type, biosample type or filename contain ``text``.

        ``organism`` matches a substring of the organism (``mus`` finds the mouse and the
        mixed entries); ``resolution`` one of the entry's resolutions. All case-insensitive.
        """
        found = []
        for entry in self.entries:
            haystack = " ".join((entry.title, entry.biosample_type, entry.filename, entry.gsdb_id)).lower()
            if text and text.lower() not in haystack:
                continue
            if organism and organism.lower() not in entry.organism.lower():
                continue
            if resolution and normalize_resolution(resolution) not in entry.resolutions:
                continue
            found.append(entry)
        return tuple(found)


def parse_catalogue(text, source="catalogue"):
    """Parse the catalogue TSV (header ``gsdb_id filename resolutions title ...``).

    Raises
    ------
    InputError
        A missing column, a row with another number of fields, or an empty ID,
        filename or resolution list; each names the line.
    """
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    if not rows:
        raise InputError("the GSDB catalogue is empty", source)
    header = rows[0]
    missing = [c for c in CATALOGUE_COLUMNS if c not in header]
    if missing:
        raise InputError(f"the GSDB catalogue lacks column(s) {', '.join(missing)} (header: {header})", source, 1)
    index = {c: header.index(c) for c in CATALOGUE_COLUMNS}
    entries = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} tab-separated fields, found {len(row)}", source, lineno)
        values = {c: row[i].strip() for c, i in index.items()}
        resolutions = tuple(normalize_resolution(r) for r in values["resolutions"].split(",") if r.strip())
        if not values["gsdb_id"] or not values["filename"] or not resolutions:
            raise InputError("gsdb_id, filename and resolutions must not be empty", source, lineno)
        entries.append(Entry(**{**values, "resolutions": resolutions}))
    return Catalogue(tuple(entries), source)


def load_catalogue(path=None):
    """The catalogue shipped with the package (``chromapipe/data/gsdb_catalog.tsv``), or ``path``."""
    from pathlib import Path

    if path is None:
        import importlib.resources

        resource = importlib.resources.files("chromapipe") / "data" / "gsdb_catalog.tsv"
        return parse_catalogue(resource.read_text(encoding="utf-8"), "chromapipe/data/gsdb_catalog.tsv")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the GSDB catalogue: {exc.strerror}", path) from None
    return parse_catalogue(text, os.fspath(path))


# --- resolving a config section ----------------------------------------------------


class CatalogueWarning(UserWarning):
    """A GSDB dataset the shipped catalogue does not know (it runs on the given assembly)."""


@dataclass(frozen=True)
class GsdbSource:
    """Everything a run needs to know about one GSDB dataset.

    Built by :func:`resolve`; the methods give per-chromosome addresses and the
    names of the dataset archive's members.
    """

    gsdb_id: str
    filename: str
    normalization: str
    algorithm: str
    resolution: str | None  # lower case, e.g. "500kb"; None when unknown (not in the catalogue)
    folder: str  # "VC" or "VC_500kb": the normalisation folder on the hosts and in the archive
    structures: str  # base URL, ends with "/"
    mirror: str | None  # fallback base URL for structures, ends with "/"
    datasets: str  # base URL of the dataset archives, ends with "/"
    cell_type: str  # the experiment's title ("Hi-C from brain microvascular endothelial cell")
    biosample_type: str
    organism: str
    species: str
    assembly: str
    ucsc: str
    in_catalogue: bool
    warnings: tuple = field(default=())

    def _structure_path(self, chrom, ext):
        return f"{self.gsdb_id}/{self.filename}/{self.folder}/{self.algorithm}/{chrom_file_name(chrom)}.{ext}"

    def structure_urls(self, chrom):
        """``(primary, mirror)`` addresses of a chromosome's structure; mirror may be None."""
        path = self._structure_path(chrom, "pdb")
        return self.structures + path, (self.mirror + path if self.mirror else None)

    def log_urls(self, chrom):
        """``(primary, mirror)`` addresses of the ``chr{N}.log`` beside the structure."""
        path = self._structure_path(chrom, "log")
        return self.structures + path, (self.mirror + path if self.mirror else None)

    @property
    def archive_url(self):
        """The dataset archive: ``{datasets}{id}/{filename}.tar.gz``."""
        return f"{self.datasets}{self.gsdb_id}/{self.filename}.tar.gz"

    @property
    def archive_name(self):
        return f"{self.filename}.tar.gz"

    def contact_member(self, chrom):
        """Archive member of a chromosome's contact list: ``{folder}/chr{N}_list.txt``."""
        return f"{self.folder}/{chrom_file_name(chrom)}_list.txt"

    @property
    def mapping_member(self):
        """The bin map ``{filename}_mapping.txt`` (the normaliser also copies it into the folder)."""
        return f"{self.filename}_mapping.txt"

    def members(self, chromosomes):
        """What :func:`chromapipe.archive.extract_members` needs for these chromosomes.

        Returns
        -------
        dict
            ``{"mapping": (...), "chr21": ("VC/chr21_list.txt",), ...}``: each value the
            names to look for, in order of preference.
        """
        wanted = {"mapping": (f"{self.folder}/{self.mapping_member}", self.mapping_member)}
        for chrom in chromosomes:
            wanted[chrom_file_name(chrom)] = (self.contact_member(chrom),)
        return wanted

    def config(self, chromosomes=None):
        """The run-config block for this dataset: ``gsdb:``, ``assembly:``, ``chromosomes:``."""
        section = {
            "id": self.gsdb_id,
            "filename": self.filename,
            "normalization": self.normalization,
            "algorithm": self.algorithm,
        }
        if self.resolution is not None:
            section["resolution"] = self.resolution
        section["structures"] = self.structures
        if self.mirror is not None:
            section["mirror"] = self.mirror
        section["datasets"] = self.datasets
        if chromosomes is None:
            chromosomes = list(range(1, ASSEMBLIES[self.assembly].autosomes + 1))
        return {"gsdb": section, "assembly": self.assembly, "chromosomes": list(chromosomes)}


#: The chromosome placeholder of the run config's path templates.
TEMPLATE = "{chr}"


def chrom_file_name(chrom):
    """``21``, ``"chr21"``, ``23`` -> ``"chr21"`` / ``"chrX"``: GSDB's per-chromosome file stem."""
    if chrom == TEMPLATE:  # a path template for every chromosome: chr{chr}
        return f"chr{TEMPLATE}"
    name = chroms.canonical(chrom)
    return "chrM" if name == "MT" else f"chr{name}"


def _base_url(section, key, default):
    value = section.get(key, default)
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        raise InputError(f"gsdb.{key} is empty: expected a base URL (e.g. {default})")
    return value if value.endswith("/") else value + "/"


def _pick(value, choices, key):
    """``value`` spelled as in ``choices`` (case-insensitive), or an InputError listing them."""
    text = str(value).strip()
    if text in choices:
        return text
    for choice in choices:
        if choice.lower() == text.lower():
            return choice
    raise InputError(f"gsdb.{key} {value!r} is not one of {', '.join(choices)}")


def _check_id(gsdb_id, catalogue):
    """The ID as given; 8 letters and digits unless the catalogue lists it (it has ``QF5375B``, 7)."""
    text = str(gsdb_id).strip()
    if catalogue.by_id(text):
        return text
    if len(text) != ID_LENGTH or not text.isalnum():
        raise InputError(
            f"gsdb.id {gsdb_id!r} is not a GSDB ID: expected {ID_LENGTH} letters and digits (e.g. AX9716PF)"
        )
    return text


def resolve(section, catalogue=None):
    """Resolve a ``gsdb:`` config section into a :class:`GsdbSource`.

    Parameters
    ----------
    section : dict
        ``id``, ``filename``, ``algorithm`` (required); ``normalization``,
        ``resolution``, ``structures``, ``datasets``, ``mirror`` (``null`` for none),
        ``assembly`` (optional).
    catalogue : Catalogue, optional
        Defaults to the shipped catalogue.

    Returns
    -------
    GsdbSource

    Raises
    ------
    InputError
        A missing key, a malformed ID, an unknown algorithm or normalisation, a
        filename that belongs to another ID (naming it), a resolution the filename
        does not have (listing those it has), a filename with several resolutions
        but none chosen, or a dataset the catalogue lacks without ``assembly``.

    Warns
    -----
    CatalogueWarning
        A dataset the catalogue lacks, resolved on the given assembly; or an
        identifier matched case-insensitively (with its right spelling).
    """
    if catalogue is None:
        catalogue = load_catalogue()
    if not isinstance(section, dict):
        raise InputError(f"the gsdb section must be a mapping, got {type(section).__name__}")
    for key in ("id", "filename", "algorithm"):
        if section.get(key) in (None, ""):
            raise InputError(
                f"gsdb.{key} is required (e.g. gsdb: {{id: AX9716PF, filename: "
                f"GSE105544_ENCFF010WBP, algorithm: 3DMax}})"
            )
    notes = []
    gsdb_id = _check_id(section["id"], catalogue)
    filename = str(section["filename"]).strip()
    algorithm = _pick(section["algorithm"], ALGORITHMS, "algorithm")
    if algorithm != str(section["algorithm"]).strip():
        notes.append(f"gsdb.algorithm {section['algorithm']!r} read as {algorithm!r}")

    entry = catalogue.by_filename(filename)
    id_entries = catalogue.by_id(gsdb_id)
    if id_entries and id_entries[0].gsdb_id != gsdb_id:
        notes.append(f"gsdb.id {gsdb_id!r} read as {id_entries[0].gsdb_id!r}")
        gsdb_id = id_entries[0].gsdb_id
    if entry is not None:
        if entry.filename != filename:
            notes.append(f"gsdb.filename {filename!r} read as {entry.filename!r}")
            filename = entry.filename
        if entry.gsdb_id != gsdb_id:
            raise InputError(
                f"gsdb: filename {filename} belongs to GSDB ID {entry.gsdb_id}, not {gsdb_id} "
                f"(set gsdb.id: {entry.gsdb_id})"
            )

    given_assembly = section.get("assembly")
    if entry is None:
        if not id_entries:
            lack = f"GSDB ID {gsdb_id} (and filename {filename})"
        else:
            listed = ", ".join(e.filename for e in id_entries)
            lack = f"filename {filename} of GSDB ID {gsdb_id} (it lists: {listed})"
        if given_assembly in (None, ""):
            raise InputError(
                f"gsdb: the shipped catalogue lacks {lack}: set gsdb.assembly (e.g. GRCh37) to use it anyway, "
                "or check the identifiers with `chromapipe gsdb --search TEXT`"
            )
        notes.append(f"the shipped catalogue lacks {lack}: using assembly {given_assembly} as given")

    # normalisation: the spec's rule, unless the section says otherwise
    default_norm = NORMALIZATION_EXCEPTIONS.get(gsdb_id, DEFAULT_NORMALIZATION)
    norm_value = section.get("normalization")
    normalization = default_norm if norm_value in (None, "") else _pick(norm_value, NORMALIZATIONS, "normalization")

    # resolution and folder
    wanted_res = section.get("resolution")
    wanted_res = None if wanted_res in (None, "") else normalize_resolution(wanted_res)
    if entry is None:
        resolution, folder = wanted_res, normalization  # an unknown filename has one resolution
    else:
        available = entry.resolutions
        if wanted_res is not None and wanted_res not in available:
            raise InputError(
                f"gsdb: resolution {section.get('resolution')!r} is not available for {filename} "
                f"(GSDB ID {gsdb_id}): it has {', '.join(available)}"
            )
        if len(available) == 1:
            resolution, folder = available[0], normalization
        elif wanted_res is None:
            raise InputError(
                f"gsdb: {filename} (GSDB ID {gsdb_id}) has several resolutions: set gsdb.resolution "
                f"to one of {', '.join(available)}"
            )
        else:
            resolution, folder = wanted_res, f"{normalization}_{wanted_res}"

    if given_assembly not in (None, ""):
        chosen = assembly(given_assembly)
    elif entry.organism in ORGANISM_ASSEMBLY:
        chosen = assembly(ORGANISM_ASSEMBLY[entry.organism])
    else:
        raise InputError(f"gsdb: organism {entry.organism!r} of {filename} has no default assembly: set gsdb.assembly")

    for note in notes:
        warnings.warn(note, CatalogueWarning, stacklevel=2)
    return GsdbSource(
        gsdb_id=gsdb_id,
        filename=filename,
        normalization=normalization,
        algorithm=algorithm,
        resolution=resolution,
        folder=folder,
        structures=_base_url(section, "structures", STRUCTURES_URL),
        mirror=_base_url(section, "mirror", MIRROR_URL),
        datasets=_base_url(section, "datasets", DATASETS_URL),
        cell_type=entry.title if entry else "",
        biosample_type=entry.biosample_type if entry else "",
        organism=entry.organism if entry else "",
        species=chosen.species,
        assembly=chosen.name,
        ucsc=chosen.ucsc,
        in_catalogue=entry is not None,
        warnings=tuple(notes),
    )


# --- downloads -------------------------------------------------------------------


def download_first(urls, dest, session=None, timeout=(10, 120)):
    """Download the first of ``urls`` that answers 200 to ``dest`` (written atomically).

    Returns the URL used. A 404 or a connection/TLS error moves on to the next
    address (TLS verification is never turned off).

    Raises
    ------
    InputError
        When every address fails, naming each with its failure.
    """
    from pathlib import Path

    import requests

    session = session or requests.Session()
    dest = Path(dest)
    failures = []
    for url in [u for u in urls if u]:
        try:
            with session.get(url, stream=True, timeout=timeout) as answer:
                if answer.status_code != 200:
                    failures.append(f"{url}: HTTP {answer.status_code}")
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                partial = dest.with_name(dest.name + ".part")
                with open(partial, "wb") as handle:
                    for chunk in answer.iter_content(1 << 20):
                        handle.write(chunk)
                os.replace(partial, dest)
                return url
        except requests.RequestException as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
    raise InputError(f"cannot download {dest.name}: " + "; ".join(failures))


# --- bead rules ------------------------------------------------------------------

#: How each algorithm numbers its beads, as established from its own code.
#:
#: ``offdiagonal_positions``: bead k = the k-th smallest position taking part in a row of the
#: contact list ``chr{N}_list.txt`` with ``pos_i != pos_j`` and a value > 0 (NaN rows dropped).
#: ``list_positions``: bead k = the k-th smallest position taking part in any row with a
#: value > 0, the diagonal included: the rows of the ``chr{N}_matrix.txt`` GSDB's normaliser
#: writes beside the list (it keeps a row when its row sum exceeds 1e-6, so a position whose
#: values are all below ~1e-6 would differ: the bead count check catches that).
#: ``None``: not established; such a structure is accepted only when it has one bead per bin
#: (``sequential``), otherwise it needs a bead map file.
BEAD_RULES = {
    # Proven (gsdb.md): StructureGenerator3DMax/utility.Helper.readContactList in
    # BDM-Lab/GSDB@a06aaf7ca783d36601d8dc253a69eee63b1c0472:GSDB_Scripts/Algorithms/3DMax.jar.
    "3DMax": "offdiagonal_positions",
    # LorDG.jar reads the same chr{N}_list.txt (Build_Scripts/LorDG_Build/Scripts/
    # Build_Structure_script_LorDG_AX9716PF.sh: chr*_list.txt) and its utility.Helper.readContactList
    # disassembles (javap -c) to the same instructions as 3DMax's (only ldc/ldc_w widths and jump
    # offsets differ): pos_i != pos_j, !NaN, value > 0, both positions into a set, sorted.
    # BDM-Lab/GSDB@a06aaf7:GSDB_Scripts/Algorithms/LorDG.jar
    "LorDG": "offdiagonal_positions",
    # Reads chr{N}_matrix.txt (Build_Scripts/Chromosome3D_Build/Scripts/
    # Build_Structure_script_AX9716PF.sh), one residue per matrix row (chromosome3D.pl: the
    # sequence length L is the matrix size); GSDB's own example runs confirm it: output/chr18_1mb
    # 76 rows -> 76 ATOMs, output/chr21_1mb 37 -> 37. The matrix rows are the positions of the
    # list with a non-zero row (Normalization/Normalizer_v1.jar nomalization.Normalize.writeMatrix).
    # BDM-Lab/GSDB@a06aaf7:GSDB_Scripts/Algorithms/Chromosome3D/chromosome3D.pl
    "Chromosome3D": "list_positions",
    # Reads chr{N}_matrix.txt (Build_Scripts/ShRec3D_Build/Scripts/Build_Structure_script_QF5375B.sh);
    # ShRec3D.m: n = size(Data, 1), XYZ has n rows, written by output_structure/mat2pdb.
    # BDM-Lab/GSDB@a06aaf7:GSDB_Scripts/Algorithms/ShRec3D/ShRec3D.m
    "ShRec3D": "list_positions",
    # MOGEN.jar reads the list through its own ContactMT reader (genomeReconstruction.
    # GenomeGenerator.readContactData, not 3DMax's) and the build script then rewrites the PDB with
    # pdbAnalyze.jar against chr{N}_matrix.txt, which is not in the repository: not established.
    "MOGEN": None,
    # HSA reads chr{N}_HSA.txt (matrix rows, same filter as _matrix.txt) through cstruct1.R, then
    # HSA2PDB.jar; whether cstruct1.R drops rows was not established.
    "HSA": None,
    # GEM reads chr{N}_HSA.txt (GEM_Build/.../Build_Structure_script_AX9716PF.sh) in MATLAB; the
    # GEM code is a git submodule not present in the repository: not established.
    "GEM": None,
    # Pastis and ChromSDE read chr{N}.n_contact files whose writer is not in the repository.
    "Pastis": None,
    "ChromSDE": None,
    # miniMDS reads chr{N}_miniMDS.bed (a submodule, absent); it may drop low-coverage bins.
    "miniMDS": None,
    # SIMBA3D reads chr{N}.npy (writer absent, submodule absent), then XYZ2PDB.jar.
    "SIMBA3D": None,
    # InfMod3DGen reads both the matrix and the list (ChrMod_main.m/PreProcess.m); not traced.
    "InfMod3DGen": None,
}
BEAD_RULE_NAMES = ("offdiagonal_positions", "list_positions", "sequential")


def rule_positions(rows, rule):
    """Bead positions of a contact list under ``rule``.

    Parameters
    ----------
    rows : array_like
        ``(n, 3)`` rows ``pos_i, pos_j, value`` of ``chr{N}_list.txt``.
    rule : {"offdiagonal_positions", "list_positions"}

    Returns
    -------
    numpy.ndarray
        Sorted distinct int64 positions: bead k is element k-1.
    """
    import numpy as np

    table = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    keep = np.isfinite(table[:, 2]) & (table[:, 2] > 0)
    if rule == "offdiagonal_positions":
        keep &= table[:, 0] != table[:, 1]
    elif rule != "list_positions":
        raise InputError(f"bead rule {rule!r} is not one of offdiagonal_positions, list_positions")
    return np.unique(table[keep, :2].astype(np.int64))


def check_bead_rule(algorithm, n_beads, contact_positions, n_bins):
    """The rule that pairs a structure's beads with bins, after checking the counts.

    Parameters
    ----------
    algorithm : str
        One of :data:`ALGORITHMS`.
    n_beads : int
        Beads in the structure.
    contact_positions : array_like or dict
        The contact list's rows ``(n, 3)`` (``pos_i, pos_j, value``), or a dict
        ``rule -> positions`` already computed with :func:`rule_positions`.
    n_bins : int
        Bins of the chromosome in the bin map.

    Returns
    -------
    str
        ``"offdiagonal_positions"`` or ``"list_positions"`` (the algorithm's rule, whose
        position count equals ``n_beads``) or ``"sequential"`` (one bead per bin).

    Raises
    ------
    InputError
        The algorithm has no established rule and the structure does not have one bead
        per bin, or its rule gives another count; the message names the algorithm, the
        counts and what to provide (a bead map file).
    """
    algorithm = _pick(algorithm, ALGORITHMS, "algorithm")
    rule = BEAD_RULES[algorithm]
    counts = []
    if rule is not None:
        if isinstance(contact_positions, dict):
            positions = contact_positions[rule]
        else:
            positions = rule_positions(contact_positions, rule)
        if len(positions) == n_beads:
            return rule
        counts.append(f"its rule '{rule}' gives {len(positions)} positions from the contact list")
    if n_beads == n_bins:
        return "sequential"
    counts.append(f"the chromosome has {n_bins} bins")
    reason = (
        f"no bead<->bin rule is established for {algorithm}"
        if rule is None
        else f"the bead count matches no established rule for {algorithm}"
    )
    raise InputError(
        f"{reason}: the structure has {n_beads} beads, {', '.join(counts)}. Provide a bead map file "
        "(bead_map source mapping3dmax with a position<TAB>index file, or contacts with the structure's "
        "own input contact list) that pairs each bead with its bin"
    )


# --- the `chromapipe gsdb` subcommand --------------------------------------------


def format_listing(entries):
    """The dataset table ``chromapipe gsdb`` prints."""
    header = ("gsdb_id", "filename", "resolutions", "organism", "biosample", "title")
    lines = ["\t".join(header)]
    for e in entries:
        lines.append("\t".join((e.gsdb_id, e.filename, ",".join(e.resolutions), e.organism, e.biosample_type, e.title)))
    return "\n".join(lines)


def _yaml_scalar(value):
    """A YAML scalar that ``yaml.safe_load`` reads back as the same value (strings JSON-quoted)."""
    return json.dumps(value) if isinstance(value, str) else str(value)


def format_config(source):
    """The YAML config block of a :class:`GsdbSource`, with comments naming the dataset.

    Written by hand (strings double-quoted, which YAML reads as JSON strings) so the
    package needs no YAML library; ``yaml.safe_load`` gives back :meth:`GsdbSource.config`.
    """
    block = source.config()
    lines = [f"# GSDB {source.gsdb_id} / {source.filename}"]
    if source.cell_type:
        lines.append(f"# {source.cell_type} ({source.biosample_type}, {source.organism})")
    lines.append(
        f"# resolution {source.resolution or 'not in the catalogue'}, normalisation {source.normalization}, "
        f"assembly {source.assembly} ({source.ucsc})"
    )
    lines.append("gsdb:")
    lines += [f"  {key}: {_yaml_scalar(value)}" for key, value in block["gsdb"].items()]
    lines.append(f"assembly: {_yaml_scalar(block['assembly'])}")
    lines.append("chromosomes: [" + ", ".join(_yaml_scalar(c) for c in block["chromosomes"]) + "]")
    return "\n".join(lines) + "\n"


def run(args, out=None):
    """Run ``chromapipe gsdb``: print the listing or one dataset's config block.

    Returns 0; raises :class:`InputError` for bad identifiers and empty searches.
    """
    import sys

    out = out or sys.stdout
    catalogue = load_catalogue(args.catalogue)
    if not args.dataset:
        entries = catalogue.search(args.search, args.organism, args.resolution)
        if not entries:
            tried = ", ".join(
                f"{k} {v!r}"
                for k, v in (
                    ("--search", args.search),
                    ("--organism", args.organism),
                    ("--resolution", args.resolution),
                )
                if v
            )
            raise InputError(f"no GSDB dataset matches {tried} in {catalogue.source}")
        print(format_listing(entries), file=out)
        return 0
    gsdb_id, slash, filename = args.dataset.partition("/")
    if not slash:
        matches = catalogue.by_id(gsdb_id)
        if not matches:
            entry = catalogue.by_filename(gsdb_id)
            if entry is None:
                raise InputError(f"{args.dataset!r} is neither a GSDB ID nor a filename of {catalogue.source}")
            matches = (entry,)
        if args.resolution:
            matches = tuple(e for e in matches if normalize_resolution(args.resolution) in e.resolutions)
        if len(matches) != 1:
            listing = format_listing(matches) if matches else "(none at that resolution)"
            raise InputError(f"{args.dataset!r} names {len(matches)} datasets: give ID/FILENAME, one of\n{listing}")
        gsdb_id, filename = matches[0].gsdb_id, matches[0].filename
    section = {
        "id": gsdb_id,
        "filename": filename,
        "algorithm": args.algorithm,
        "structures": args.structures,
        "datasets": args.datasets,
    }
    for key in ("normalization", "resolution", "assembly"):
        if getattr(args, key):
            section[key] = getattr(args, key)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CatalogueWarning)
        source = resolve(section, catalogue)
    for warning in caught:
        print(f"# warning: {warning.message}", file=out)
    print(format_config(source), end="", file=out)
    return 0
