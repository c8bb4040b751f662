"""Reading tables and writing Parquet files atomically, with metadata.

Every output is written to a temporary name beside its final path and renamed
into place, so an interrupted job leaves either nothing or a complete file.
"""

import contextlib
import json
import os
import tempfile

import polars as pl
import pyarrow.parquet as pq

from .errors import InputError

#: Key under which chromapipe stores its JSON metadata in a Parquet footer.
METADATA_KEY = "chromapipe"


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and nothing is left at
    ``path`` that was not there before.
    """
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    os.close(fd)
    # mkstemp creates 0600; give the result the permissions any new file gets
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _parquet_table(frame, metadata):
    table = frame.to_arrow()
    if metadata is not None:
        existing = dict(table.schema.metadata or {})
        existing[METADATA_KEY.encode()] = json.dumps(metadata, sort_keys=True).encode()
        table = table.replace_schema_metadata(existing)
    return table


def write_parquet(frame, path, metadata=None):
    """Write ``frame`` to ``path`` atomically, with ``metadata`` (JSON) in the footer."""
    write_files({path: parquet_writer(frame, metadata)})


def write_files(writers):
    """Write several files, ``{path: writer}``: all of them, or none.

    Each ``writer(tmp)`` writes one file to a temporary path, renamed onto its
    ``path`` when it succeeds; if a later one fails, the files already renamed
    into place by this call are removed again.
    """
    done = []
    try:
        for path, writer in writers.items():
            with atomic_path(path) as tmp:
                writer(tmp)
            done.append(path)
    except BaseException:
        for path in done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        raise


def parquet_writer(frame, metadata=None):
    """A :func:`write_files` writer of ``frame`` as Parquet, ``metadata`` in the footer."""
    table = _parquet_table(frame, metadata)
    return lambda tmp: pq.write_table(table, tmp)


def write_outputs(outputs):
    """Write several ``{path: (frame, metadata)}`` Parquet outputs: all of them, or none."""
    write_files({path: parquet_writer(frame, metadata) for path, (frame, metadata) in outputs.items()})


def read_metadata(path):
    """The chromapipe metadata of a Parquet file (``{}`` when it has none or is a CSV)."""
    path = os.fspath(path)
    if not path.endswith(".parquet"):
        return {}
    try:
        raw = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read Parquet metadata: {exc}", path) from None
    value = raw.get(METADATA_KEY.encode())
    return json.loads(value) if value else {}


def read_table(path, what, required=()):
    """Read a CSV or Parquet table, told apart by extension.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        What the table is, for error messages ("physical features", ...).
    required : sequence of str
        Columns that must be present.

    Raises
    ------
    InputError
        Unknown extension, unreadable file, or a missing column.
    """
    path = os.fspath(path)
    lower = path.lower()
    try:
        if lower.endswith(".parquet"):
            frame = pl.read_parquet(path)
        elif lower.endswith((".csv", ".csv.gz")):
            frame = pl.read_csv(path, infer_schema_length=None)
        else:
            raise InputError(f"{what}: expected a .csv or .parquet file", path)
    except FileNotFoundError:
        raise InputError(f"{what}: no such file", path) from None
    except InputError:
        raise
    except (OSError, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{what}: cannot read the table ({first})", path) from None
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {', '.join(missing)} (has: {', '.join(frame.columns)})", path)
    return frame
