"""Writing files atomically: all of a step's outputs, or none.

Every output is written to a temporary name beside its final path and renamed
into place, so an interrupted job leaves either nothing or a complete file.
Tables go through :mod:`chromapipe.tables`, which checks them against their
contract first.
"""

import contextlib
import os
import tempfile


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


def zip_writer(texts):
    """A writer (:func:`write_files`) of a zip of the text files ``{name: text}``: the same bytes on every run
    (sorted names, a fixed date, deflated)."""
    import zipfile

    def write(tmp):
        with zipfile.ZipFile(tmp, "w") as archive:
            for name in sorted(texts):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, texts[name])

    return write
