"""The run config: validated once, into one frozen :class:`RunConfig`.

:func:`load` checks a workflow config (``config/config.yaml`` plus
``--configfile``/``--config``) against ``workflow/schemas/config.schema.yaml``,
fills the schema's defaults (the one place defaults are written), checks the
conditional requirements (a source that needs a key, an assembly the source
cannot serve, local inputs that do not exist) and reports *every* problem in one
:class:`ConfigError`. The result resolves each chromosome's inputs and decides
once how beads pair with bins. ``workflow/rules/common.smk`` only loads it;
this module is unit-tested without Snakemake.
"""

import copy
import dataclasses
import difflib
import math
import os
import re
import warnings
from dataclasses import dataclass, field

from . import REPOSITORY, chroms
from .annotations import missing_inputs
from .errors import InputError


def repository_of(rule_file):
    """The repository holding a rule file (``workflow/rules/NAME.smk``): where relative inputs are also looked for.

    The example's inputs (``workflow/resources/example/...``) are relative to it, also when the
    workflow runs as a module from another folder. A rule file that is not on this machine (a
    module from ``github(...)``) has none: then the repository the installed package comes from.
    """
    folder = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(str(rule_file)))))
    return folder if os.path.isdir(os.path.join(folder, "workflow", "rules")) else REPOSITORY


#: The schema beside the workflow (``workflow/schemas``).
SCHEMA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas", "config.schema.yaml")
#: The schema of one row of the datasets sheet.
SHEET_SCHEMA = os.path.join(os.path.dirname(SCHEMA), "datasets.schema.yaml")
#: Chromosomes the workflow accepts: the autosomes, X and Y (GSDB has no MT structures).
ALLOWED = tuple(str(i) for i in range(1, 23)) + ("X", "Y")
#: Assemblies the Ensembl REST source can serve (it picks the host by assembly).
ENSEMBL_ASSEMBLIES = ("GRCh37", "GRCh38")
_URL = re.compile(r"^(https?|s3|gs)://", re.IGNORECASE)


class ConfigError(InputError):
    """One or more problems with the run config; the message lists them all."""

    def __init__(self, problems):
        self.problems = list(problems)
        text = self.problems[0] if len(self.problems) == 1 else "\n  - " + "\n  - ".join(self.problems)
        super().__init__(text)


def is_url(value):
    """True for ``http://``, ``https://``, ``s3://`` and ``gs://`` addresses."""
    return bool(_URL.match(str(value)))


def parse_chromosomes(value, key="chromosomes", autosomes=chroms.HUMAN):
    """The chromosomes of a run, canonical and in the order given.

    Parameters
    ----------
    value : list, str or int
        ``[19, "21", "chrX"]``, ``"19,21,X"``, ``21``.

    Raises
    ------
    InputError
        Empty, unknown (``0``, ``23`` - write ``X``), or repeated values.
    """
    items = (
        list(value) if isinstance(value, (list, tuple)) else [v for v in re.split(r"[,\s]+", str(value).strip()) if v]
    )
    if not items:
        raise InputError(f"config key '{key}': no chromosome given (expected e.g. [19, 21, X] or '19,21,X')")
    names = []
    for item in items:
        text = str(item).strip()
        bare = text[3:] if text.lower().startswith("chr") else text
        if bare.isdigit() and int(bare) > autosomes:
            raise InputError(
                f"config key '{key}': {text!r} is not accepted; name sex chromosomes X and Y "
                f"(the GSDB bin map's {autosomes + 1} and {autosomes + 2})"
            )
        species = "human chromosome" if autosomes == chroms.HUMAN else f"chromosome of this {autosomes}-autosome genome"
        try:
            name = chroms.canonical(text, autosomes)
        except InputError:
            raise InputError(
                f"config key '{key}': {text!r} is not a {species} (expected 1-{autosomes}, X or Y, "
                "optionally prefixed with 'chr')"
            ) from None
        if name == "MT":
            raise InputError(
                f"config key '{key}': {text!r} has no 3D structure in GSDB (expected 1-{autosomes}, X or Y)"
            )
        if name in names:
            raise InputError(f"config key '{key}': chromosome {name} is listed twice")
        names.append(name)
    return names


def fill(template, chrom, key, whole=False):
    """Fill ``{chr}`` in a path or URL template with a chromosome's canonical name.

    ``whole``: a template without ``{chr}`` is one file of every chromosome (a genome-wide structure).
    """
    if "{chr}" not in template and whole:
        return template
    if "{chr}" not in template:
        raise InputError(f"config key '{key}': {template!r} must contain {{chr}} (e.g. .../chr{{chr}}.pdb)")
    return template.replace("{chr}", chroms.canonical(chrom))


def find_local(path, roots):
    """Absolute path of a local input under the first of ``roots`` that has it, else None."""
    candidates = [path] if os.path.isabs(path) else [os.path.join(root, path) for root in roots]
    for candidate in candidates:
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return None


def check_within(path, key):
    """A relative path from the config must stay inside the working directory.

    ``../elsewhere`` is refused (a config shared with others must not write or
    read outside the run's folder by accident); an absolute path is the user's
    explicit choice and is accepted, as are URLs.
    """
    if not path or is_url(path) or os.path.isabs(path):
        return path
    normal = os.path.normpath(path)
    if normal == ".." or normal.startswith(".." + os.sep):
        raise InputError(
            f"config key '{key}': {path!r} leaves the working directory; give an absolute path if that is what you want"
        )
    return path


def describe_schema_error(error):
    """One clear sentence for a jsonschema ``ValidationError`` of the workflow config.

    Names the key (dotted path), the bad value and what is expected; for a
    misspelled key, suggests the closest known key.
    """
    if error.validator in ("oneOf", "anyOf") and error.context:
        import jsonschema

        # the alternative the value came closest to (e.g. the mapping form of compartments)
        deeper = [e for e in error.context if e.validator != "type"]  # alternatives of the value's own type
        return describe_schema_error(jsonschema.exceptions.best_match(deeper or error.context))
    path = ".".join(str(p) for p in error.absolute_path)
    where = f"config key '{path}'" if path else "the config"
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        instance = error.instance if isinstance(error.instance, dict) else {}
        hints = []
        for key in (k for k in instance if k not in known):
            close = difflib.get_close_matches(key, known, n=1)
            hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        return f"{where} has unknown key(s) {', '.join(hints)}; known keys: {', '.join(known)}"
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        expected = (
            error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        )
        article = "an" if expected[0] in "aeiou" else "a"
        return f"{where}: {error.instance!r} is not {article} {expected}"
    return f"{where}: {error.message}"


def read_schema(path=SCHEMA):
    """The schema at ``path``, parsed (its compiled copy when the file is unchanged: :func:`chromapipe.schema.read`)."""
    from . import schema

    return schema.read(path)


_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def _alternatives(schema):
    """``schema`` and the alternatives of its ``oneOf``/``anyOf``."""
    return [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]


def _types(schema):
    found = set()
    for alternative in _alternatives(schema):
        kind = alternative.get("type", [])
        found.update([kind] if isinstance(kind, str) else kind)
    return found


def coerce_strings(value, schema):
    """``value`` with the strings the schema does not take as strings turned into its booleans and numbers.

    ``snakemake --config legacy=true`` or ``--config 'features={rg_window: 3}'`` hands the workflow
    strings ('true', '3'): read them as the schema's boolean, integer or number (a boolean is also
    read where a string would be taken, as for ``compartments=false``).
    """
    if isinstance(value, str):
        types = _types(schema)
        text = value.strip()
        if "boolean" in types and text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
        if "string" in types:
            return value
        if "integer" in types and re.fullmatch(r"[-+]?\d+", text):
            return int(text)
        if "number" in types:
            try:
                return float(text)
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        properties = {}
        for alternative in _alternatives(schema):
            properties.update(alternative.get("properties", {}))
        return {k: coerce_strings(v, properties[k]) if k in properties else v for k, v in value.items()}
    if isinstance(value, list):
        items = next((a["items"] for a in _alternatives(schema) if isinstance(a.get("items"), dict)), None)
        return [coerce_strings(v, items) for v in value] if items else value
    return value


def validate(config, schema):
    """Schema-check a copy of ``config`` and fill its defaults; ``(config, [problem, ...])``.

    Strings where the schema wants a boolean or a number (``--config legacy=true``) are read as one first.
    """
    import jsonschema

    base = jsonschema.validators.validator_for(schema)

    def properties_with_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from base.VALIDATORS["properties"](validator, properties, instance, subschema)

    filled = coerce_strings(copy.deepcopy(dict(config)), schema)
    validator = jsonschema.validators.extend(base, {"properties": properties_with_defaults})(schema)
    errors = sorted(validator.iter_errors(filled), key=lambda e: [str(p) for p in e.absolute_path])
    return filled, [describe_schema_error(e) for e in errors] + non_finite(filled, schema)


def non_finite(value, schema, path=()):
    """``config key 'a.b': inf is not a finite number`` for every number the schema takes that YAML's ``.inf`` or
    ``.nan`` made infinite or NaN (JSON schema's bounds let them through)."""
    if isinstance(value, float) and "number" in _types(schema) and not math.isfinite(value):
        return [f"config key '{'.'.join(path)}': {value!r} is not a finite number"]
    if not isinstance(value, dict):
        return []
    properties = {}
    for alternative in _alternatives(schema):
        properties.update(alternative.get("properties", {}))
    return [p for k, v in value.items() if k in properties for p in non_finite(v, properties[k], (*path, k))]


def check_section(name, values, schema=None):
    """``values`` of the config section ``name`` checked by the schema alone (its defaults filled), as
    :func:`load` checks them: how the command line takes the workflow's settings without re-stating their bounds.

    Raises
    ------
    ConfigError
        One line per problem, naming the key (``features.rg_window``).
    """
    document = schema or read_schema()
    section = {"type": "object", "properties": {name: document["properties"][name]}}
    filled, problems = validate({name: dict(values)}, section)
    if problems:
        raise ConfigError(problems)
    return filled[name]


def _bad_keys(config, schema):
    """The top-level keys of ``config`` the schema refuses (a required key that is missing included)."""
    import jsonschema

    bad = set()
    for error in jsonschema.validators.validator_for(schema)(schema).iter_errors(coerce_strings(config, schema)):
        if error.absolute_path:
            bad.add(str(error.absolute_path[0]))
        elif error.validator == "required":
            bad.update(k for k in error.validator_value if k not in config)
    return bad - (set(config) - set(schema.get("properties", {})))  # an unknown key is read by nothing


def _about(problem, keys):
    """True when ``problem`` is about one of the config keys ``keys`` (its message starts with the key)."""
    return any(re.match(rf"(config key ')?{re.escape(k)}([.:' \[]|$)", problem) for k in keys)


def default(*keys, schema=None):
    """The schema's default of a (nested) key: ``default("annotations", "max_rps")`` (:func:`chromapipe.schema.default`)."""
    from . import schema as schemas

    return schemas.default(*keys, schema=schema)


def option(*keys, schema=None):
    """A command-line option's ``default``, ``choices`` and ``help`` from the schema (:func:`chromapipe.schema.option`)."""
    from . import schema as schemas

    return schemas.option(*keys, schema=schema)


@dataclass(frozen=True)
class Input:
    """One input: an absolute local path or a URL, optionally a ``member`` inside that archive.

    ``mirrors`` are further addresses of the same file, tried in turn when
    ``location`` fails (the step downloads it); ``produced`` marks a path that
    another rule of the run writes (e.g. a member extracted from the dataset archive).
    """

    location: str
    member: str | None = None
    mirrors: tuple = ()
    produced: bool = False

    @property
    def is_url(self):
        return is_url(self.location)

    @property
    def urls(self):
        """Addresses the step downloads from in turn (empty unless there are mirrors)."""
        return (self.location, *self.mirrors) if self.mirrors else ()


@dataclass(frozen=True)
class Files:
    """Where a per-chromosome input comes from (a config section's ``path``, ``url``, ``archive``).

    ``path`` (a local template with ``{chr}``) is used when its file exists,
    else ``url``; with ``archive`` set, the archive is the input and ``path``
    names the member inside it.
    """

    key: str
    path: str | None
    url: str | None
    archive: str | None
    roots: tuple
    #: Fallback URL templates tried after ``url`` (GSDB's older host).
    mirrors: tuple = ()
    #: ``path`` is written by the run itself (not looked up under the roots).
    produced: bool = False
    #: ``path`` may name one file of every chromosome (no ``{chr}``): a genome-wide structure.
    whole: bool = False

    def resolve(self, chrom):
        """The :class:`Input` of chromosome ``chrom`` (a missing local file keeps its first candidate path)."""
        if self.produced:
            return Input(fill(self.path, chrom, self.key), produced=True)
        if self.archive:
            return Input(_locate(self.archive, self.roots), fill(self.path, chrom, f"{self.key}.path", self.whole))
        if self.path:
            path = fill(self.path, chrom, f"{self.key}.path", self.whole)
            found = path if is_url(path) else find_local(path, self.roots)
            if found or not self.url:
                return Input(found or _candidate(path, self.roots))
        mirrors = tuple(fill(m, chrom, f"{self.key}.url") for m in self.mirrors)
        return Input(fill(self.url, chrom, f"{self.key}.url"), mirrors=mirrors)

    def requirements(self):
        """The keys this section lacks: one line each."""
        if self.archive:
            return [] if self.path else [f"{self.key}.archive needs {self.key}.path: the member's path with {{chr}}"]
        if not self.path and not self.url:
            return [f"{self.key}: set {self.key}.path (local files) or {self.key}.url"]
        return []

    def missing(self, chromosomes):
        """The local files ``chromosomes`` need that do not exist: one line each."""
        if self.requirements() or self.produced:
            return []
        if self.archive:
            missing = not is_url(self.archive) and not find_local(self.archive, self.roots)
            return [f"{self.key}.archive: {self.archive} does not exist"] if missing else []
        lines = []
        for chrom in chromosomes:
            where = self.resolve(chrom)
            if not where.is_url and not os.path.exists(where.location):
                line = f"{self.key}.path (chr{chrom}): {fill(self.path, chrom, self.key, self.whole)} does not exist"
                lines += [] if self.whole and "{chr}" not in self.path and lines else [line]
        return lines


def _candidate(path, roots):
    return path if os.path.isabs(path) else os.path.abspath(os.path.join(roots[0], path))


def _locate(value, roots):
    return value if is_url(value) else (find_local(value, roots) or _candidate(value, roots))


@dataclass(frozen=True)
class Structures(Files):
    """The config's ``structures`` section: where the files are (:class:`Files`), their ``format`` (None: from
    the extension) and the ``haplotype`` of a diploid file to use (None: both)."""

    format: str | None = None
    haplotype: str | None = None


@dataclass(frozen=True)
class BeadMap:
    """The config's ``bead_map`` section: its ``source`` (how beads pair with bins, a
    :data:`chromapipe.beadmap.BEAD_MAP_SOURCES` name) and where its per-chromosome files are (None when the
    run reads none: ``sequential``, ``positions``, or the ``legacy`` layout, which pairs by row number)."""

    source: str
    files: Files | None = None


@dataclass(frozen=True)
class Report:
    """The config's ``report`` section: the compiled column the 3D structure figures colour beads by, the
    resamples of the correlations' bootstrap, and whether each chromosome's figures are drawn."""

    colour_by: str = "dist_surface"
    bootstrap_resamples: int = 1000
    chromosome_figures: bool = True


@dataclass(frozen=True)
class TrackInput:
    """A user track (:class:`chromapipe.tracks.Track`) and where its file comes from (a path or URL)."""

    track: object
    source: Input


@dataclass(frozen=True)
class Ensembl:
    """Settings of the Ensembl REST source."""

    host: str | None
    max_rps: float
    cache: str
    batch_size: int
    release: str | None


@dataclass(frozen=True)
class Annotations:
    """Where the per-bin annotations come from: ``source`` and what it needs."""

    source: str
    #: The FASTA every job reads: the config's when it is a local indexed bgzip file, else the
    #: copy ``prepare_fasta`` writes once into the reference folder (``fasta_source`` is then its input).
    fasta: Input | None
    #: The FASTA's ``.fai``/``.gzi``.
    fasta_index: tuple
    #: The GTF/GFF3 as configured; ``genes`` is the per-gene table ``prepare_genes`` makes of it once.
    gtf: Input | None
    table: Files | None
    ensembl: Ensembl | None
    genes: Input | None = None
    fasta_source: Input | None = None


@dataclass(frozen=True)
class Surface:
    """The config's ``surface`` section, as the schema fills it: how the voxel surface is built
    (:func:`chromapipe.physical.compute_surface`'s ``mode`` and ``grid``)."""

    mode: str
    grid: str


@dataclass(frozen=True)
class Features:
    """The config's ``features`` section, as the schema fills it: ``rg_local``'s half-window and
    ``neighbours``' radius (x the median bond), :mod:`chromapipe.neighbourhood`."""

    rg_window: int
    neighbour_radius: float


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one run, validated; see ``config/README.md`` for the keys."""

    chromosomes: tuple
    outdir: str
    mapping: Input
    structures: Structures
    bead_map: BeadMap
    annotations: Annotations
    assembly: str
    #: The ``surface``, ``features`` and ``report`` sections (their keys are the schema's).
    surface: Surface
    features: Features
    report: Report
    #: ``legacy: true``: the compile step writes the Nextflow pipeline's table (:func:`chromapipe.steps.compile`).
    legacy: bool
    container: str | None
    #: Autosomes of the species (22 human, 19 mouse): what bin-map numbers past them mean.
    autosomes: int = chroms.HUMAN
    #: The GSDB dataset (:class:`chromapipe.gsdb.GsdbSource`) when the config has a gsdb section.
    gsdb: object = None
    #: The dataset archive (a URL, a local archive or its extracted folder) when members come from it.
    dataset: Input | None = None
    #: Warnings of the loading (e.g. a dataset the shipped catalogue lacks), for the log.
    notes: tuple = field(default=())
    #: The dataset's name and species (a datasets sheet's row), else None.
    name: str | None = None
    species: str | None = None
    #: The user's tracks (:class:`TrackInput`), in the config's order.
    tracks: tuple = ()
    #: The contact lists compartments are computed from (None: compartments off).
    compartments: Files | None = None
    #: How the per-chromosome steps are batched into jobs: ``chromosome`` (one job per chromosome and step) or
    #: ``dataset`` (one job per step and dataset, every chromosome in turn).
    batch: str = "chromosome"

    @property
    def track_specs(self):
        """``[{name, stat, format}]`` of the tracks, in order: what the annotation step needs besides the files."""
        return [{"name": t.track.name, "stat": t.track.stat, "format": t.track.format} for t in self.tracks]

    def contact_list(self, chrom):
        """The contact list compartments of ``chrom`` are computed from (None when compartments are off)."""
        return self.compartments.resolve(chrom) if self.compartments else None

    def agreement_contacts(self, chrom):
        """The contact list the structure of ``chrom`` is held against (:mod:`chromapipe.agreement`): the
        compartments', else the bead map's where it is one (contacts, list); None in the legacy layout or
        without one (the summary's agreement columns are then empty)."""
        if self.legacy:
            return None
        if self.compartments:
            return self.contact_list(chrom)
        listed = self.bead_map.files is not None and self.bead_map.source in ("contacts", "list")
        return self.bead_map.files.resolve(chrom) if listed else None

    @property
    def algorithm(self):
        """The reconstruction algorithm (GSDB runs), named in bead-count errors."""
        return self.gsdb.algorithm if self.gsdb else None

    def dataset_members(self):
        """``{key: (output path, names to look for in the archive)}`` of what ``fetch_dataset`` extracts."""
        if self.dataset is None:
            return {}
        wanted = self.gsdb.members(self.chromosomes)
        return {key: (self.out(f"dataset/{names[0]}"), names) for key, names in wanted.items()}

    def dataset_metadata(self):
        """What the outputs record about the dataset (GSDB identifiers, cell type, organism; a sheet's name)."""
        named = {"name": self.name, "species": self.species, "format": self.structures.format} if self.name else {}
        if self.gsdb is None:
            return named or None
        g = self.gsdb
        return {
            **named,
            "gsdb_id": g.gsdb_id, "filename": g.filename, "normalization": g.normalization,
            "algorithm": g.algorithm, "resolution": g.resolution, "cell_type": g.cell_type,
            "organism": g.organism, "species": g.species,
        }  # fmt: skip

    def out(self, path):
        """``path`` inside the output folder."""
        return f"{self.outdir}/{path}"

    def structure(self, chrom):
        return self.structures.resolve(chrom)

    def bead_map_file(self, chrom):
        """The bead-map source of ``chrom`` (None when beads pair without one)."""
        return self.bead_map.files.resolve(chrom) if self.bead_map.files else None

    def annotation_table(self, chrom):
        return self.annotations.table.resolve(chrom)

    def final_outputs(self):
        """What ``rule all`` asks for: per chromosome two tables, three figures (unless ``report.chromosome_figures``
        is false) and the annotated structure (an mmCIF and its folder of attribute files), plus the summary."""
        per_chrom = [f"chr{c}_{name}" for c in self.chromosomes for name in ("compiled.parquet", "surface.parquet")]
        if self.report.chromosome_figures:
            figures = ("tracks", "structure", "correlation")
            per_chrom += [f"figures/chr{c}_{name}.png" for c in self.chromosomes for name in figures]
        per_chrom += [
            f"structures_annotated/chr{c}{end}" for c in self.chromosomes for end in (".cif", "_attributes.zip")
        ]
        summary = [f"summary/{name}.{ext}" for name in ("summary", "correlations") for ext in ("tsv", "parquet", "png")]
        summary += ["summary/model_rmsd.parquet", "summary/model_rmsd.png", "summary/contact_distance.png"]
        return [self.out(p) for p in per_chrom + summary]


def load(config, roots, check_files=True, schema=SCHEMA):
    """Validate a workflow config and return its :class:`RunConfig`.

    Parameters
    ----------
    config : dict
        The config as Snakemake holds it (not modified).
    roots : sequence of str
        Where relative input paths are looked up, in order (the working
        directory, then the repository, so the bundled example is found).
    check_files : bool
        Check that every local input exists (the submitting process does; jobs
        on other machines, whose inputs are staged, do not).
    schema : str
        The JSON schema (YAML) of the config.

    Raises
    ------
    ConfigError
        Listing every problem: schema violations, conditional requirements,
        paths leaving the working directory, missing local inputs.
    """
    config = dict(config)
    name, species = config.pop("_name", None), config.pop("_species", None)
    document = read_schema(schema)
    config, problems = validate(config, document)
    if not problems:
        return _build(config, tuple(roots), check_files, name, species, [])
    # Some keys are wrong: look for the other keys' problems too (one message lists them all), with the
    # wrong keys at their defaults (or left out), and keep only the problems not about a wrong key.
    bad = _bad_keys(dict(config), document)
    rest = {k: v for k, v in config.items() if k not in bad}
    rest.update({k: copy.deepcopy(document["properties"][k]["default"]) for k in bad
                 if "default" in document["properties"].get(k, {})})  # fmt: skip
    rest, _ = validate(rest, document)
    if _bad_keys(dict(rest), document) <= bad:  # (a required key left out is still missing)
        try:
            _build(rest, tuple(roots), check_files, name, species, [])
        except ConfigError as exc:
            problems += [p for p in exc.problems if not _about(p, bad) and p not in problems]
    raise ConfigError(problems)


def _build(config, roots, check_files, name, species, problems):
    """:func:`load`'s checks and its :class:`RunConfig` of a config the schema accepts (defaults filled).

    A problem caused by another is not listed: a ``gsdb`` section that does not resolve is reported
    alone, not with the inputs it would have given (bin map, assembly, structures, contact lists).
    """
    source_gsdb, notes, assembly = _dataset(config, problems)
    gsdb_failed = bool(config.get("gsdb")) and source_gsdb is None
    autosomes = _autosomes(assembly)
    chromosomes = ()
    if "chromosomes" in config:  # (else the schema's problem is listed)
        try:
            chromosomes = tuple(parse_chromosomes(config["chromosomes"], autosomes=autosomes))
        except InputError as exc:
            raise ConfigError([*problems, str(exc)]) from None
    outdir = os.path.normpath(config["outdir"])
    _check_paths(config, problems)
    structures, bead_map, mapping, dataset = _inputs(config, roots, outdir, source_gsdb, gsdb_failed, problems)
    annotations = _annotations(config["annotations"], assembly, roots, gsdb_failed, problems)
    _check_bead_map(config, bead_map.source, structures, problems)
    user_tracks = _tracks(config["tracks"], roots, problems)
    contact_lists = _compartments(config["compartments"], bead_map.source, bead_map.files, roots, problems)
    colour_by = _colour_by(config, user_tracks, contact_lists, notes, problems)
    legacy = config["legacy"]
    run = RunConfig(
        chromosomes=chromosomes,
        outdir=outdir,
        mapping=mapping,
        structures=structures,
        # the legacy layout pairs beads with bins by row number: it reads no bead-map file
        bead_map=bead_map if bead_map.source in FILE_SOURCES and not legacy else BeadMap(bead_map.source),
        annotations=annotations,
        assembly=assembly,
        surface=Surface(**config["surface"]),
        features=Features(**config["features"]),
        report=Report(colour_by, config["report"]["bootstrap_resamples"], config["report"]["chromosome_figures"]),
        legacy=legacy,
        container=config.get("container"),
        autosomes=autosomes,
        gsdb=source_gsdb,
        dataset=dataset,
        notes=tuple(notes),
        name=name,
        species=species,
        tracks=user_tracks,
        compartments=contact_lists,
        batch=config["batch"],
    )
    # with a gsdb section that does not resolve, the structures and contact lists it gives are unknown
    derived = (run.structures, bead_map.files) if gsdb_failed else ()
    for files in (run.structures, run.bead_map.files, run.annotations.table):
        problems += files.requirements() if files is not None and files not in derived else []
    if check_files:
        problems += _missing_inputs(run, skip=derived)
    if problems:
        raise ConfigError(problems)
    return run


#: The bead-map sources that read a per-chromosome file (``bead_map.path``/``url``/``archive``).
FILE_SOURCES = ("contacts", "list", "mapping3dmax")


def _dataset(config, problems):
    """The GSDB dataset of the ``gsdb`` section (None without one, or when it does not resolve), the notes of
    its resolving and the run's assembly (the config's, else the dataset's)."""
    user_assembly = _user_assembly(config, problems)
    section = config.get("gsdb")
    if section and user_assembly and not section.get("assembly") and _assembly_name(user_assembly, None):
        section = {**section, "assembly": user_assembly}  # the user's assembly, for a dataset the catalogue lacks
    source_gsdb, notes = _gsdb(section, problems)
    assembly = config.get("assembly") or (source_gsdb.assembly if source_gsdb else user_assembly)
    if not assembly and not (section and source_gsdb is None):
        problems.append("assembly: set the assembly of the bin map's coordinates (e.g. GRCh37), or give a gsdb section")
    return source_gsdb, notes, assembly


def _check_paths(config, problems):
    """A problem for every relative input or output path that leaves the working directory."""
    annotations = config["annotations"]
    for key, value in [
        ("outdir", config["outdir"]),
        ("mapping", config.get("mapping")),
        ("gsdb.archive", (config.get("gsdb") or {}).get("archive")),
        *((f"{s}.{k}", config[s].get(k)) for s in ("structures", "bead_map") for k in ("path", "archive")),
        *((f"annotations.{k}", annotations.get(k)) for k in ("fasta", "gtf", "table", "cache", "references")),
    ]:
        try:
            check_within(value, key)
        except InputError as exc:
            problems.append(str(exc))


def _inputs(config, roots, outdir, source_gsdb, gsdb_failed, problems):
    """The structures, the bead map (its source and files), the bin map and the dataset archive: the config's,
    else what the GSDB dataset gives (its hosts, the contact lists and bin map extracted from its archive)."""

    def files(section, kind=Files, **extra):
        values = config[section]
        return kind(section, values.get("path"), values.get("url"), values.get("archive"), roots, **extra)

    structures = files("structures", Structures, whole=True, format=config["structures"].get("format"),
                       haplotype=config["structures"].get("haplotype"))  # fmt: skip
    bead_map = BeadMap(config["bead_map"]["source"], files("bead_map"))
    mapping = Input(_locate(config["mapping"], roots)) if config.get("mapping") else None
    archive = None
    if source_gsdb is not None:
        archive = Input(_locate(config["gsdb"].get("archive") or source_gsdb.archive_url, roots))
        structures = _gsdb_structures(structures, source_gsdb)
        if not any(config["bead_map"].get(k) for k in ("path", "url", "archive")):
            bead_map = BeadMap(*_gsdb_bead_map(source_gsdb, outdir, roots))
        if mapping is None:
            mapping = Input(f"{outdir}/dataset/{source_gsdb.folder}/{source_gsdb.mapping_member}", produced=True)
    if mapping is None:
        if not gsdb_failed:
            problems.append("mapping: set the genome-wide bin map (a path or URL), or give a gsdb section")
        mapping = Input("")
    # the archive is an input only when members come from it
    from_archive = mapping.produced or (bead_map.files is not None and bead_map.files.produced)
    return structures, bead_map, mapping, archive if from_archive else None


def _check_bead_map(config, source, structures, problems):
    """The ``positions`` source reads the structure file's own positions: no bead-map file, no GSDB PDB."""
    if source != "positions":
        return
    if any(config["bead_map"].get(k) for k in ("path", "url", "archive")):
        problems.append("bead_map.source 'positions' reads each bead's bin from the structure file: remove bead_map's "
                        "path, url and archive")  # fmt: skip
    if structures.format == "pdb":
        problems.append("bead_map.source 'positions': a GSDB/3DMax PDB (structures.format pdb) has no positions; "
                        "pair its beads with contacts, list or mapping3dmax")  # fmt: skip


def _colour_by(config, user_tracks, contact_lists, notes, problems):
    """``report.colour_by``, checked against the compiled table's columns (the legacy table's, with ``legacy``)."""
    colour_by = config["report"]["colour_by"]
    if contact_lists is not None or _compartments_wanted(config["compartments"]) is False:
        # (else the compartments' problem is already listed)
        _check_colour_by(colour_by, user_tracks, contact_lists is not None, problems)
    return _legacy_colour_by(colour_by, notes) if config["legacy"] else colour_by


def _annotations(section, assembly, roots, gsdb_failed, problems):
    """The :class:`Annotations` of the config's ``annotations`` section (its source's needs checked)."""
    source = section["source"]
    for key in missing_inputs(source, section):
        problems.append(f"annotations.source '{source}' needs annotations.{key}")
    if source == "ensembl" and assembly not in ENSEMBL_ASSEMBLIES and (assembly or not gsdb_failed):
        problems.append(f"assembly {assembly!r}: the ensembl source needs {' or '.join(ENSEMBL_ASSEMBLIES)}")

    def reference(key):
        value = section.get(key)
        return Input(_locate(value, roots)) if value else None

    references = {"fasta": None, "fasta_index": (), "gtf": None}
    if source == "files" and section.get("fasta") and section.get("gtf"):
        references = _references(reference("fasta"), reference("gtf"), f"{section['references']}/{assembly}")
    table = None
    if source == "table" and section.get("table"):
        table = Files("annotations.table", section["table"], None, None, roots)
    ensembl = None
    if source == "ensembl":
        release = str(section["release"]) if section.get("release") else None
        ensembl = Ensembl(section["host"] or None, section["max_rps"], section["cache"], section["batch_size"], release)
    return Annotations(source=source, **references, table=table, ensembl=ensembl)


@dataclass(frozen=True)
class Runs:
    """The datasets of a run: one :class:`RunConfig` each (``sheet`` False: the config itself, one dataset)."""

    runs: dict
    sheet: bool
    outdir: str

    def __getitem__(self, name):
        return self.runs[name]

    @property
    def first(self):
        return next(iter(self.runs.values()))

    def comparison_outputs(self):
        """What the datasets comparison writes (a sheet only)."""
        if not self.sheet:
            return []
        return (
            [f"{self.outdir}/comparison/datasets.{ext}" for ext in ("tsv", "parquet", "png")]
            + [f"{self.outdir}/comparison/correlations.{ext}" for ext in ("tsv", "png")]
            + [f"{self.outdir}/comparison/rmsd.{ext}" for ext in ("tsv", "parquet", "png")]
        )

    def final_outputs(self):
        return [p for run in self.runs.values() for p in run.final_outputs()] + self.comparison_outputs()


def bin_map_inputs(run):
    """What a dataset's staged bin map (``reference/bins.parquet``) is made of: the bin map and the species'
    autosomes (its X/Y/MT numbers)."""
    return run.mapping, run.autosomes


def annotation_inputs(run):
    """What a dataset's annotation tables are made of: its bin map, assembly, annotation source, tracks and
    each chromosome's compartment contact list (a dataset's own contact lists make its annotations its own)."""
    contacts = tuple(run.contact_list(chrom) for chrom in run.chromosomes)
    return bin_map_inputs(run), run.assembly, run.annotations, run.tracks, contacts


def sharing(runs, inputs):
    """``dataset -> dataset`` whose outputs of ``inputs`` (:func:`bin_map_inputs`, :func:`annotation_inputs`) it
    reads: the first dataset of the sheet with the same inputs (itself when it is the first)."""
    firsts, owner = [], {}
    for name, run in runs.runs.items():
        key = inputs(run)
        owner[name] = next((first for first, seen in firsts if seen == key), name)
        if owner[name] == name:
            firsts.append((name, key))
    return owner


def load_runs(config, roots, check_files=True, schema=SCHEMA, sheet_schema=SHEET_SCHEMA):
    """Every dataset of a run: the config's ``datasets`` sheet's rows, or the config as one dataset.

    Each row is the config with the row's structures, bead map, bin map, assembly and GSDB source
    in place of the config's, and ``{outdir}/{dataset}`` as its output folder.

    Raises
    ------
    ConfigError
        Listing every problem of the config and of every row (``datasets.tsv row N (name): ...``).
    """
    if not config.get("datasets"):
        run = load(config, roots, check_files, schema)
        return Runs({"": run}, False, run.outdir)
    rows, problems = read_sheet(config["datasets"], tuple(roots), read_schema(sheet_schema))
    runs = {}
    for number, row in rows:
        where = f"{config['datasets']} line {number} ({row.get('dataset', '?')})"
        try:
            runs[row["dataset"]] = load(_row_config(config, row), roots, check_files, schema)
        except ConfigError as exc:
            problems += [f"{where}: {p}" for p in exc.problems]
    if not problems and not runs:
        problems.append(f"datasets: {config['datasets']} lists no dataset")
    if problems:
        raise ConfigError(problems)
    return Runs(runs, True, os.path.normpath(config.get("outdir") or default("outdir", schema=read_schema(schema))))


def read_sheet(path, roots, schema):
    """The rows of a datasets sheet (TSV with a header; ``#`` lines skipped): ``[(line, row)]`` and problems."""
    import csv

    found = find_local(path, roots)
    if found is None:
        return [], [f"datasets: {path} does not exist"]
    with open(found, encoding="utf-8", newline="") as handle:
        lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.startswith("#")]
    reader = csv.DictReader((line for _, line in lines), delimiter="\t")
    rows, problems, names = [], [], set()
    known = schema["properties"]
    header = [c.strip() for c in reader.fieldnames or []]
    for column in (c for c in header if c not in known):  # a misspelt column, even with every cell empty
        close = difflib.get_close_matches(column, list(known), n=1)
        problems.append(
            f"{path} line {lines[0][0]}: unknown column {column!r}"
            + (f" (did you mean {close[0]!r}?)" if close else "")
            + f"; known columns: {', '.join(known)}"
        )
    for (number, _), raw in zip(lines[1:], reader):
        if None in raw:
            problems.append(f"{path} line {number}: more cells than the header's {len(reader.fieldnames)} columns")
            continue
        row = {k.strip(): v.strip() for k, v in raw.items() if v is not None and v.strip()}
        row, errors = validate(row, schema)
        problems += [f"{path} line {number}: {e.replace('the config', 'the row')}" for e in errors]
        if row.get("dataset") == "comparison":
            problems.append(
                f"{path} line {number}: the name 'comparison' is reserved (the datasets comparison's folder)"
            )
        if row.get("dataset") in names:
            problems.append(f"{path} line {number}: dataset {row['dataset']!r} is listed twice")
        names.add(row.get("dataset"))
        if not errors:
            rows.append((number, row))
    return rows, problems


def _row_config(config, row):
    """The config of one dataset of the sheet."""
    merged = {k: copy.deepcopy(v) for k, v in config.items() if k not in ("datasets", "gsdb", "structures", "bead_map")}
    merged["outdir"] = f"{config.get('outdir') or 'results'}/{row['dataset']}"
    merged["structures"] = {k: row[f] for k, f in (("path", "structures"), ("format", "format"),
                                                    ("haplotype", "haplotype")) if f in row}  # fmt: skip
    merged["bead_map"] = {k: row[f] for k, f in (("source", "bead_map"), ("path", "bead_map_path")) if f in row}
    keys = ("id", "filename", "algorithm", "resolution", "archive", "normalization", "structures", "mirror", "datasets")
    gsdb = {k: row[f"gsdb_{k}"] for k in keys if f"gsdb_{k}" in row}
    if gsdb:
        if "assembly" in row:  # a dataset the shipped catalogue lacks: the row's assembly cell
            gsdb["assembly"] = row["assembly"]
        merged["gsdb"] = gsdb
        merged.pop("mapping", None)
        merged.pop("assembly", None)
    for key in ("mapping", "assembly"):
        if key in row:
            merged[key] = row[key]
    return {**merged, "_name": row["dataset"], "_species": row.get("species")}


def _tracks(entries, roots, problems):
    """The config's ``tracks`` as :class:`TrackInput` (problems appended: bad names, formats, statistics)."""
    from . import tables
    from .tracks import check_unique, from_config

    reserved = {c.name for kind in ("compiled", "annotations") for c in tables.TABLES[kind].columns}
    found = []
    for index, entry in enumerate(entries):
        try:
            check_within(entry.get("path"), f"tracks[{index}].path")
            track = from_config(entry, index, reserved)
        except InputError as exc:
            problems.append(str(exc))
            continue
        found.append(TrackInput(track, Input(_locate(track.path, roots))))
    try:
        check_unique([t.track for t in found])
    except InputError as exc:
        problems.append(str(exc))
    return tuple(found)


def _compartments_wanted(value):
    """``compartments`` as false, true or a template (the mapping form ``{enabled, contacts}`` says the same)."""
    if isinstance(value, dict):
        return (value.get("contacts") or True) if value.get("enabled", True) else False
    return value


def _compartments(value, pairing, bead_map, roots, problems):
    """The contact lists of the compartments (``compartments: true`` or a template), or None when off."""
    value = _compartments_wanted(value)
    if value is False:
        return None
    if value is True:
        if pairing in ("contacts", "list") and bead_map is not None:
            return bead_map
        problems.append(
            f"compartments: true reads the bead map's contact list, but beads pair by {pairing!r}: give "
            "compartments a path or URL template with {chr} of the 'pos1 pos2 count' lists, or set it to false"
        )
        return None
    try:
        check_within(value, "compartments")
        fill(value, "1", "compartments")
    except InputError as exc:
        problems.append(str(exc))
        return None
    return Files("compartments", value, None, None, roots)


def _check_colour_by(column, user_tracks, compartments, problems):
    """``report.colour_by`` must name a numeric column of the compiled table, or compartment."""
    from . import tables

    compiled = [c.name for c in tables.COMPILED.columns if c.numeric and c.name not in ("bead",)]
    allowed = [c for c in compiled if compartments or not c.startswith("compartment")]
    allowed += (["compartment"] if compartments else []) + [t.track.name for t in user_tracks]
    if column not in allowed:
        hint = " (turn compartments on for compartment and compartment_e1)" if column.startswith("compartment") else ""
        problems.append(f"report.colour_by: {column!r} is not a column the figures can colour by{hint}; "
                        f"expected one of {', '.join(allowed)}")  # fmt: skip


def _legacy_colour_by(column, notes):
    """The column the figures colour by when the compiled table is the legacy one (``legacy: true``).

    The legacy table has only the original's columns (no compartments, tracks or local features):
    a ``report.colour_by`` it lacks falls back to ``dist_surface``, with a note for the log.
    """
    from . import tables

    if column in tables.LEGACY.names:
        return column
    notes.append(f"report.colour_by {column!r} is not a column of the legacy table (legacy: true): "
                 "the 3D figures colour beads by dist_surface")  # fmt: skip
    return "dist_surface"


def _gsdb(section, problems):
    """The resolved GSDB dataset of a ``gsdb`` section (None without one) and the warnings it gave."""
    if not section:
        return None, []
    from . import gsdb

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", gsdb.CatalogueWarning)
        try:
            source = gsdb.resolve(section)
        except InputError as exc:
            problems.append(str(exc))
            source = None
    return source, [str(w.message) for w in caught if issubclass(w.category, gsdb.CatalogueWarning)]


def _user_assembly(config, problems):
    """The assembly the user gave: top-level ``assembly`` or ``gsdb.assembly`` (a problem when they disagree)."""
    top, inner = config.get("assembly") or None, (config.get("gsdb") or {}).get("assembly") or None
    if top and inner and _assembly_name(top) != _assembly_name(inner):
        problems.append(f"assembly {top!r} and gsdb.assembly {inner!r} disagree: give the dataset's assembly once")
    return top or inner


def _assembly_name(name, unknown=True):
    """A known assembly's name (``hg19`` -> ``GRCh37``); any other name as it is (``unknown=True``) or ``unknown``."""
    from . import gsdb

    try:
        return gsdb.assembly(name).name
    except InputError:
        return str(name) if unknown is True else unknown


def _autosomes(assembly):
    """The autosome count of a known assembly; human numbering for any other name (local files)."""
    from . import gsdb

    try:
        return gsdb.assembly(assembly).autosomes if assembly else chroms.HUMAN
    except InputError:
        return chroms.HUMAN


def _gsdb_structures(structures, source):
    """Structures from GSDB's hosts (primary, then the mirror), unless a local copy exists."""
    primary, mirror = source.structure_urls("{chr}")
    return dataclasses.replace(structures, url=primary, archive=None, mirrors=(mirror,) if mirror else (), whole=False)


def _gsdb_bead_map(source, outdir, roots):
    """The bead-map source of a GSDB algorithm (gsdb.BEAD_RULES) and its contact lists, extracted from the archive."""
    from .gsdb import BEAD_RULES

    rule = BEAD_RULES[source.algorithm]
    if rule is None:
        return "sequential", None
    bead_source = {"offdiagonal_positions": "contacts", "list_positions": "list"}[rule]
    return bead_source, Files("bead_map", f"{outdir}/dataset/{source.contact_member('{chr}')}", None, None, roots,
                          produced=True)  # fmt: skip


def _stem(location, suffixes):
    name = os.path.basename(location.split("?")[0])
    name = name[:-3] if name.endswith(".gz") else name
    for suffix in suffixes:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _indexed_bgzip(fasta):
    """A local FASTA every job can read as it is: bgzip-compressed (or plain) with its index beside it."""
    if fasta.is_url or not os.path.exists(f"{fasta.location}.fai"):
        return False
    if not fasta.location.endswith(".gz"):
        return True
    return os.path.exists(f"{fasta.location}.gzi")


def _references(fasta, gtf, folder):
    """The files source's inputs: the FASTA as it is when indexed, else prepared once into ``folder``."""
    genes = Input(f"{folder}/{_stem(gtf.location, ('.gtf', '.gff3', '.gff'))}.genes.parquet", produced=True)
    if _indexed_bgzip(fasta):
        indexes = tuple(
            Input(f"{fasta.location}.{s}") for s in ("fai", "gzi") if os.path.exists(f"{fasta.location}.{s}")
        )
        return {"fasta": fasta, "fasta_index": indexes, "gtf": gtf, "genes": genes}
    prepared = f"{folder}/{_stem(fasta.location, ('.fa', '.fasta', '.fna'))}.fa.gz"
    return {
        "fasta": Input(prepared, produced=True),
        "fasta_index": tuple(Input(f"{prepared}.{s}", produced=True) for s in ("fai", "gzi")),
        "gtf": gtf,
        "genes": genes,
        "fasta_source": fasta,
    }


def _missing_inputs(run, skip=()):
    """Every local input of every chromosome that does not exist, one line each (not the sections ``skip``)."""
    problems = []
    local = [("mapping", run.mapping)] if run.mapping.location else []  # (an unset bin map is listed already)
    local += [(f"annotations.{k}", getattr(run.annotations, k)) for k in ("fasta", "gtf")]
    local += [("annotations.fasta", run.annotations.fasta_source)]
    for key, where in local:
        if where is not None and not where.is_url and not where.produced and not os.path.exists(where.location):
            problems.append(f"{key}: {where.location} does not exist")
    sections = (run.structures, run.bead_map.files, run.annotations.table, run.compartments)
    # (compartments may read the bead map's)
    for files in dict.fromkeys(s for s in sections if s is not None and s not in skip):
        problems += files.missing(run.chromosomes)
    for index, item in enumerate(run.tracks):
        if not item.source.is_url and not os.path.exists(item.source.location):
            problems.append(f"tracks[{index}] ({item.track.name}): {item.track.path} does not exist")
    if problems:
        problems[-1] += (
            "\n(relative paths are looked up in the working directory, then in the repository; "
            "fix the paths in your config file or with --config)"
        )
    return problems
