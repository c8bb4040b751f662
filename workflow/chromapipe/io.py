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


def write_folder(path, texts, then=None):
    """Write the folder ``path`` of text files ``{name: text}`` all-or-nothing, then ``then`` (``{path: writer}``,
    :func:`write_files`) before the folder is renamed into place (replacing an older one)."""
    import shutil

    path = os.fspath(path)
    parent = os.path.dirname(path) or "."
    os.makedirs(parent, exist_ok=True)
    built = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", dir=parent)
    try:
        for name, text in texts.items():
            with open(os.path.join(built, name), "w", encoding="utf-8") as handle:
                handle.write(text)
        write_files(then or {})
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.replace(built, path)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
