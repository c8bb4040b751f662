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
import difflib
import os
import re
from dataclasses import dataclass

from . import chroms
from .errors import InputError

#: The schema beside the workflow (``workflow/schemas``).
SCHEMA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas", "config.schema.yaml")
#: Chromosomes the workflow accepts: the autosomes, X and Y (GSDB has no MT structures).
ALLOWED = tuple(str(i) for i in range(1, 23)) + ("X", "Y")
#: Assemblies the Ensembl REST source can serve (it picks the host by assembly).
ENSEMBL_ASSEMBLIES = ("GRCh37", "GRCh38")
#: What each annotation source needs from the ``annotations`` section.
SOURCE_NEEDS = {"files": ("fasta", "gtf"), "table": ("table",), "ensembl": ()}
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


def parse_chromosomes(value, key="chromosomes"):
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
        if bare.isdigit() and int(bare) > 22:
            raise InputError(
                f"config key '{key}': {text!r} is not accepted; name sex chromosomes X and Y "
                "(the GSDB bin map's 23 and 24)"
            )
        try:
            name = chroms.canonical(text)
        except InputError:
            raise InputError(
                f"config key '{key}': {text!r} is not a human chromosome (expected 1-22, X or Y, "
                "optionally prefixed with 'chr')"
            ) from None
        if name not in ALLOWED:
            raise InputError(f"config key '{key}': {text!r} has no 3D structure in GSDB (expected 1-22, X or Y)")
        if name in names:
            raise InputError(f"config key '{key}': chromosome {name} is listed twice")
        names.append(name)
    return names


def fill(template, chrom, key):
    """Fill ``{chr}`` in a path or URL template with a chromosome's canonical name."""
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
        return f"{where}: {error.instance!r} is not a {expected}"
    return f"{where}: {error.message}"


def read_schema(path=SCHEMA):
    import yaml

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def validate(config, schema):
    """Schema-check a copy of ``config`` and fill its defaults; ``(config, [problem, ...])``."""
    import jsonschema

    base = jsonschema.validators.validator_for(schema)

    def properties_with_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from base.VALIDATORS["properties"](validator, properties, instance, subschema)

    filled = copy.deepcopy(dict(config))
    validator = jsonschema.validators.extend(base, {"properties": properties_with_defaults})(schema)
    errors = sorted(validator.iter_errors(filled), key=lambda e: [str(p) for p in e.absolute_path])
    return filled, [describe_schema_error(e) for e in errors]


def default(*keys, schema=None):
    """The schema's default of a (nested) key: ``default("annotations", "max_rps")``."""
    node = schema or read_schema()
    for key in keys:
        node = node["properties"][key]
    return node.get("default")


@dataclass(frozen=True)
class Input:
    """One input: an absolute local path or a URL, optionally a ``member`` inside that archive."""

    location: str
    member: str | None = None

    @property
    def is_url(self):
        return is_url(self.location)


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

    def resolve(self, chrom):
        """The :class:`Input` of chromosome ``chrom`` (a missing local file keeps its first candidate path)."""
        if self.archive:
            return Input(_locate(self.archive, self.roots), fill(self.path, chrom, f"{self.key}.path"))
        if self.path:
            path = fill(self.path, chrom, f"{self.key}.path")
            found = path if is_url(path) else find_local(path, self.roots)
            if found or not self.url:
                return Input(found or _candidate(path, self.roots))
        return Input(fill(self.url, chrom, f"{self.key}.url"))

    def requirements(self):
        """The keys this section lacks: one line each."""
        if self.archive:
            return [] if self.path else [f"{self.key}.archive needs {self.key}.path: the member's path with {{chr}}"]
        if not self.path and not self.url:
            return [f"{self.key}: set {self.key}.path (local files) or {self.key}.url"]
        return []

    def missing(self, chromosomes):
        """The local files ``chromosomes`` need that do not exist: one line each."""
        if self.requirements():
            return []
        if self.archive:
            missing = not is_url(self.archive) and not find_local(self.archive, self.roots)
            return [f"{self.key}.archive: {self.archive} does not exist"] if missing else []
        lines = []
        for chrom in chromosomes:
            where = self.resolve(chrom)
            if not where.is_url and not os.path.exists(where.location):
                lines.append(f"{self.key}.path (chr{chrom}): {fill(self.path, chrom, self.key)} does not exist")
        return lines


def _candidate(path, roots):
    return path if os.path.isabs(path) else os.path.abspath(os.path.join(roots[0], path))


def _locate(value, roots):
    return value if is_url(value) else (find_local(value, roots) or _candidate(value, roots))


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
    fasta: Input | None
    #: The FASTA's ``.fai``/``.gzi`` indexes that exist beside a local FASTA.
    fasta_index: tuple
    gtf: Input | None
    table: Files | None
    ensembl: Ensembl | None


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one run, validated; see ``config/README.md`` for the keys."""

    chromosomes: tuple
    outdir: str
    mapping: Input
    structures: Files
    #: How beads pair with bins: ``contacts``, ``mapping3dmax``, ``sequential`` or ``row-order`` (legacy).
    pairing: str
    bead_map: Files | None
    annotations: Annotations
    assembly: str
    legacy: bool
    surface_mode: str
    grid: str
    container: str | None

    def out(self, path):
        """``path`` inside the output folder."""
        return f"{self.outdir}/{path}"

    def structure(self, chrom):
        return self.structures.resolve(chrom)

    def bead_map_file(self, chrom):
        """The bead-map source of ``chrom`` (None when beads pair without one)."""
        return self.bead_map.resolve(chrom) if self.bead_map else None

    def annotation_table(self, chrom):
        return self.annotations.table.resolve(chrom)

    def final_outputs(self):
        """What ``rule all`` asks for: per chromosome two tables and three figures, plus the summary."""
        per_chrom = [f"chr{c}_{name}" for c in self.chromosomes for name in ("compiled.parquet", "surface.parquet")] + [
            f"figures/chr{c}_{name}.png" for c in self.chromosomes for name in ("tracks", "structure", "correlation")
        ]
        summary = [f"summary/summary.{ext}" for ext in ("tsv", "parquet", "png")]
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
    config, problems = validate(config, read_schema(schema))
    if problems:
        raise ConfigError(problems)
    roots = tuple(roots)
    try:
        chromosomes = tuple(parse_chromosomes(config["chromosomes"]))
    except InputError as exc:
        raise ConfigError([str(exc)]) from None
    annotations = config["annotations"]
    for key, value in [
        ("outdir", config["outdir"]),
        ("mapping", config["mapping"]),
        *((f"{s}.{k}", config[s].get(k)) for s in ("structures", "bead_map") for k in ("path", "archive")),
        *((f"annotations.{k}", annotations.get(k)) for k in ("fasta", "gtf", "table", "cache")),
    ]:
        try:
            check_within(value, key)
        except InputError as exc:
            problems.append(str(exc))

    def files(section):
        values = config[section]
        return Files(section, values.get("path"), values.get("url"), values.get("archive"), roots)

    def reference(key):
        value = annotations.get(key)
        return Input(_locate(value, roots)) if value else None

    source = annotations["source"]
    for key in SOURCE_NEEDS[source]:
        if not annotations.get(key):
            problems.append(f"annotations.source '{source}' needs annotations.{key}")
    if source == "ensembl" and config["assembly"] not in ENSEMBL_ASSEMBLIES:
        problems.append(f"assembly {config['assembly']!r}: the ensembl source needs {' or '.join(ENSEMBL_ASSEMBLIES)}")
    pairing = "row-order" if config["legacy"] else config["bead_map"]["source"]
    run = RunConfig(
        chromosomes=chromosomes,
        outdir=os.path.normpath(config["outdir"]),
        mapping=Input(_locate(config["mapping"], roots)),
        structures=files("structures"),
        pairing=pairing,
        bead_map=files("bead_map") if pairing in ("contacts", "mapping3dmax") else None,
        annotations=Annotations(
            source=source,
            fasta=reference("fasta") if source == "files" else None,
            fasta_index=_indexes(reference("fasta")) if source == "files" else (),
            gtf=reference("gtf") if source == "files" else None,
            table=Files("annotations.table", annotations.get("table"), None, None, roots)
            if source == "table" and annotations.get("table")
            else None,
            ensembl=Ensembl(
                host=annotations["host"] or None,
                max_rps=annotations["max_rps"],
                cache=annotations["cache"],
                batch_size=annotations["batch_size"],
                release=str(annotations["release"]) if annotations.get("release") else None,
            )
            if source == "ensembl"
            else None,
        ),
        assembly=config["assembly"],
        legacy=config["legacy"],
        surface_mode=config["surface"]["mode"],
        grid=config["surface"]["grid"],
        container=config.get("container"),
    )
    for files in (run.structures, run.bead_map, run.annotations.table):
        problems += files.requirements() if files is not None else []
    if check_files:
        problems += _missing_inputs(run)
    if problems:
        raise ConfigError(problems)
    return run


def _indexes(fasta):
    if fasta is None or fasta.is_url:
        return ()
    return tuple(Input(f"{fasta.location}.{s}") for s in ("fai", "gzi") if os.path.exists(f"{fasta.location}.{s}"))


def _missing_inputs(run):
    """Every local input of every chromosome that does not exist, one line each."""
    problems = []
    local = [("mapping", run.mapping)]
    local += [(f"annotations.{k}", getattr(run.annotations, k)) for k in ("fasta", "gtf")]
    for key, where in local:
        if where is not None and not where.is_url and not os.path.exists(where.location):
            problems.append(f"{key}: {where.location} does not exist")
    for files in (run.structures, run.bead_map, run.annotations.table):
        if files is not None:
            problems += files.missing(run.chromosomes)
    if problems:
        problems[-1] += (
            "\n(relative paths are looked up in the working directory, then in the repository; "
            "fix the paths in your config file or with --config)"
        )
    return problems
