"""Workflow settings: parsing and checking the values of ``config/config.yaml``.

Pure functions, used by ``workflow/rules/common.smk`` and unit-tested without
Snakemake. Each raises :class:`~chromapipe.errors.InputError` with the config
key, the bad value and what is expected.
"""

import os
import re

from . import chroms
from .errors import InputError

#: Chromosomes the workflow accepts: the autosomes, X and Y (GSDB has no MT structures).
ALLOWED = tuple(str(i) for i in range(1, 23)) + ("X", "Y")
_URL = re.compile(r"^(https?|s3|gs)://", re.IGNORECASE)


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
    if isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [v for v in re.split(r"[,\s]+", str(value).strip()) if v]
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


def is_url(value):
    """True for ``http://``, ``https://``, ``s3://`` and ``gs://`` addresses."""
    return bool(_URL.match(str(value)))


def fill(template, chrom, key):
    """Fill ``{chr}`` in a path or URL template with a chromosome name.

    A template without ``{chr}`` that is not a URL is taken as a folder and
    ``chr{chr}<suffix>`` is not appended: it must name the file itself.
    """
    if "{chr}" not in template:
        raise InputError(f"config key '{key}': {template!r} must contain {{chr}} (e.g. .../chr{{chr}}.pdb)")
    try:
        return template.replace("{chr}", chroms.canonical(chrom))
    except InputError as exc:
        raise InputError(f"config key '{key}': {exc}") from None


def resolve_local(path, roots, key):
    """Absolute path of a local input, looked up relative to each of ``roots`` in turn.

    Relative paths are tried against the working directory first and then the
    repository (so the bundled example is found from any working directory).

    Raises
    ------
    InputError
        The file exists under none of the roots.
    """
    if os.path.isabs(path):
        candidates = [path]
    else:
        candidates = [os.path.join(root, path) for root in roots]
    for candidate in candidates:
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    raise InputError(
        f"config key '{key}': {path!r} does not exist (looked in: {', '.join(os.path.abspath(c) for c in candidates)})"
    )


def describe_schema_error(error, config):
    """One clear sentence for a jsonschema ``ValidationError`` of the workflow config.

    Names the key (dotted path), the bad value and what is expected; for a
    misspelled key, suggests the closest known key.
    """
    import difflib

    path = ".".join(str(p) for p in error.absolute_path)
    where = f"config key '{path}'" if path else "the config"
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        instance = error.instance if isinstance(error.instance, dict) else {}
        unknown = [k for k in instance if k not in known]
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1)
            hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        return f"{where} has unknown key(s) {', '.join(hints)}; known keys: {', '.join(known)}"
    if error.validator == "enum":
        return f"{where}: {error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "type":
        expected = (
            error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        )
        return f"{where}: {error.instance!r} is not a {expected}"
    return f"{where}: {error.message}"


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
