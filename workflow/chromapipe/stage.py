"""Staging inputs into the run: validate, then copy atomically.

``fetch_pdb`` and the other fetch rules receive a file from a local folder or
from a storage plugin (HTTP, S3) and stage it into the run's output folder.
Staging parses the file first, so an HTML error page saved as ``chr21.pdb`` or
a truncated download fails here, with its own message, not three steps later.
"""

import os
import shutil
import tarfile
import zipfile

from .beadmap import read_3dmax_mapping, read_bin_map, read_contact_positions
from .errors import InputError
from .io import atomic_path
from .structure import read_pdb

VALIDATORS = {
    "pdb": read_pdb,
    "contacts": read_contact_positions,
    "mapping3dmax": read_3dmax_mapping,
    "bins": read_bin_map,
}


def _find(names, member, archive):
    """The archive entry that is ``member`` (or ends with ``/member``)."""
    match = [n for n in names if n == member or n.endswith("/" + member)]
    if not match:
        raise InputError(f"archive has no member {member!r} (e.g. {', '.join(names[:5])})", archive)
    return match[0]


def extract_member(archive, member, dest):
    """Extract one file of a zip or tar archive to ``dest``."""
    archive = os.fspath(archive)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as handle:
                with handle.open(_find(handle.namelist(), member, archive)) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                return
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as handle:
                src = handle.extractfile(_find(handle.getnames(), member, archive))
                if src is None:
                    raise InputError(f"archive member {member!r} is not a regular file", archive)
                with src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
                return
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise InputError(f"cannot read archive: {exc}", archive) from None
    raise InputError("not a zip or tar archive", archive)


def stage(source, dest, kind, member=None):
    """Validate ``source`` as a ``kind`` file and copy it to ``dest`` atomically.

    Parameters
    ----------
    source : str
        A file, or a zip/tar archive when ``member`` is given.
    dest : str
    kind : {"pdb", "contacts", "mapping3dmax", "bins"}
    member : str, optional
        Path of the file inside the archive ``source``.
    """
    if kind not in VALIDATORS:
        raise InputError(f"unknown kind {kind!r}: expected one of {', '.join(VALIDATORS)}")
    with atomic_path(dest) as tmp:
        if member:
            extract_member(source, member, tmp)
        else:
            try:
                shutil.copyfile(source, tmp)
            except OSError as exc:
                raise InputError(f"cannot read: {exc.strerror}", source) from None
        try:
            VALIDATORS[kind](tmp)
        except InputError as exc:
            # name the source, not the temporary copy
            raise InputError(str(exc).replace(tmp, f"{source}" + (f"!{member}" if member else ""))) from None
