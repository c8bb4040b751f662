"""The workflow's schemas (``workflow/schemas/*.yaml``), compiled so that reading one parses no YAML.

``python -m chromapipe.schema`` writes :mod:`chromapipe._schemas`: each schema's parsed document,
keyed by its file's size and CRC-32. :func:`read` checksums the file (microseconds) and returns a
copy of that document when the file is the one compiled, and parses the YAML otherwise, so a schema edited
and not compiled again is still read as it is written, only slower (tests/test_schema.py fails until
it is compiled again). The command line's options take their defaults,
choices and help from the config schema through :func:`option` and :func:`default`, read once per
process.
"""

import copy
import functools
import os
import zlib

#: The folder of the schemas, beside the workflow's rules (``workflow/schemas``).
FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")
#: The run config's schema, and the datasets sheet's (one row).
CONFIG = os.path.join(FOLDER, "config.schema.yaml")
SHEET = os.path.join(FOLDER, "datasets.schema.yaml")
#: The schemas compiled, and the module they are compiled into.
COMPILED = (CONFIG, SHEET)
MODULE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_schemas.py")


def digest(data):
    """The key of a schema file's bytes in :data:`chromapipe._schemas.SCHEMAS`: their size and CRC-32.

    A checksum, not a cryptographic hash: it tells an edited schema from the compiled one (zlib is
    loaded at start already; hashlib would cost the command line's start a few milliseconds more).
    """
    return f"{len(data)}:{zlib.crc32(data):08x}"


def parse(data):
    """A schema file's bytes, parsed as YAML."""
    import yaml

    return yaml.safe_load(data.decode("utf-8"))


def read(path=CONFIG):
    """The schema at ``path``, parsed (a fresh copy the caller may change).

    The compiled document when the file's size and CRC-32 are those of one :mod:`chromapipe._schemas`
    holds, the YAML parsed otherwise.
    """
    with open(path, "rb") as handle:
        data = handle.read()
    from ._schemas import SCHEMAS

    compiled = SCHEMAS.get(digest(data))
    return copy.deepcopy(compiled) if compiled is not None else parse(data)


@functools.cache
def _declarations(path):
    """:func:`read` once per process, for :func:`default` and :func:`option` (which do not change it)."""
    return read(path)


def declaration(*keys, schema=None):
    """The schema's declaration of a (nested) config key: ``declaration("surface", "grid")``."""
    node = schema or _declarations(CONFIG)
    for key in keys:
        node = node["properties"][key]
    return node


def default(*keys, schema=None):
    """The schema's default of a (nested) key: ``default("annotations", "max_rps")``."""
    return declaration(*keys, schema=schema).get("default")


def option(*keys, schema=None):
    """A command-line option's ``default``, ``choices`` (an enum) and ``help`` from the schema's declaration of
    a (nested) key: ``parser.add_argument("--grid", **option("surface", "grid"))``."""
    node = declaration(*keys, schema=schema)
    text = " ".join(node.get("description", "").split()).replace("%", "%%")  # argparse formats help with %
    declared = {"default": node.get("default"), "help": text}
    declared["help"] += " (default: %(default)s)"
    return {**declared, "choices": node["enum"]} if "enum" in node else declared


def module_text(paths=COMPILED):
    """The source of :mod:`chromapipe._schemas` compiled from the schema files ``paths``."""
    import pprint

    lines = [
        '"""The workflow\'s schemas, parsed: written by ``python -m chromapipe.schema`` (do not edit; see',
        'chromapipe.schema). Each document is keyed by the size and CRC-32 of its file."""',
        "",
        "# fmt: off",
        "SCHEMAS = {",
    ]
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        document = pprint.pformat(parse(data), width=110, sort_dicts=False)
        lines += [
            f"    # {os.path.relpath(path, os.path.dirname(os.path.dirname(FOLDER)))}",
            f'    "{digest(data)}": {document},',
        ]
    lines += ["}", "# fmt: on", ""]
    return "\n".join(lines)


def main():
    """Compile the schemas into :data:`MODULE`."""
    text = module_text()
    with open(MODULE, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {os.path.relpath(MODULE)}")


if __name__ == "__main__":
    main()
