"""Archives (zip, tar, or a folder holding one extracted): the members a run needs, found and extracted once.

A member is found by its path with or without leading folders (``VC/chr21_list.txt`` matches
``GSE.../VC/chr21_list.txt``), with alternatives tried in turn; a tar is read in one streaming pass.
The dataset archive of a GSDB run (``fetch_dataset``) and a structure file inside an archive
(``structures.archive``) both come through here.
"""

import fnmatch
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

from .errors import InputError


def _as_alternatives(wanted):
    return (wanted,) if isinstance(wanted, str) else tuple(wanted)


def _matches(name, wanted):
    name = name.replace("\\", "/").lstrip("./")
    return name == wanted or name.endswith("/" + wanted)


def find_member(names, wanted):
    """The member of ``names`` that is ``wanted``, with or without leading folders.

    Parameters
    ----------
    names : iterable of str
        Member paths of an archive (or files under a folder, relative to it).
    wanted : str or sequence of str
        ``"VC/chr21_list.txt"``; several are tried in order.

    Returns
    -------
    str or None
        The member path; when several match one name, the one with the fewest
        leading folders. None when none matches.
    """
    names = list(names)
    for alternative in _as_alternatives(wanted):
        hits = [n for n in names if _matches(n, alternative)]
        if hits:
            return min(hits, key=lambda n: (n.count("/"), n))
    return None


def candidates(names, wanted, limit=30):
    """Members that look like ``wanted`` (same ``_suffix``): what a miss lists."""
    base = _as_alternatives(wanted)[0].rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    suffix = "_" + stem.rsplit("_", 1)[-1] + dot + ext if "_" in stem else "." + ext
    found = sorted(n for n in names if fnmatch.fnmatch(n.rsplit("/", 1)[-1], "*" + suffix))
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return (", ".join(found[:limit]) + more) if found else f"no *{suffix} at all"


def _target(dest_dir, wanted):
    return Path(dest_dir) / _as_alternatives(wanted)[0]


def _write(path, data_stream):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as handle:
        while chunk := data_stream.read(1 << 20):
            handle.write(chunk)
    os.replace(partial, path)


def extract_members(archive_path, wanted, dest_dir):
    """Extract the members a run needs, opening the archive once.

    Parameters
    ----------
    archive_path : path
        A ``.tar.gz`` (or any tar), a ``.zip``, or a folder holding the extracted archive.
    wanted : dict
        ``key -> name`` or ``key -> (name, alternative, ...)`` as :meth:`GsdbSource.members` gives.
    dest_dir : path
        Each member is written to ``dest_dir / <first name>`` (e.g. ``VC/chr21_list.txt``).

    Returns
    -------
    dict
        ``key -> Path`` of the extracted file.

    Raises
    ------
    InputError
        A member that is not in the archive, listing the archive's candidate
        members (e.g. every ``*_list.txt``); an archive that is not a tar, zip or folder.
    """
    archive_path = Path(archive_path)
    if archive_path.is_dir():
        names = sorted(p.relative_to(archive_path).as_posix() for p in archive_path.rglob("*") if p.is_file())
        chosen = _choose(names, wanted, archive_path)
        found = {}
        for key, member in chosen.items():
            with open(archive_path / member, "rb") as source:
                _write(_target(dest_dir, wanted[key]), source)
            found[key] = _target(dest_dir, wanted[key])
        return found
    if zipfile.is_zipfile(archive_path):
        with zipfile.ZipFile(archive_path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            chosen = _choose(names, wanted, archive_path)
            found = {}
            for key, member in chosen.items():
                with archive.open(member) as source:
                    _write(_target(dest_dir, wanted[key]), source)
                found[key] = _target(dest_dir, wanted[key])
            return found
    try:
        return _extract_tar(archive_path, wanted, dest_dir)
    except tarfile.ReadError as exc:
        raise InputError(f"not a tar (.tar.gz), zip or folder: {exc}", archive_path) from None
    except OSError as exc:
        raise InputError(f"cannot read the archive: {exc.strerror or exc}", archive_path) from None


def _choose(names, wanted, where):
    chosen, missing = {}, []
    for key, names_wanted in wanted.items():
        member = find_member(names, names_wanted)
        if member is None:
            missing.append(
                f"{' or '.join(_as_alternatives(names_wanted))} (candidates: {candidates(names, names_wanted)})"
            )
        else:
            chosen[key] = member
    if missing:
        raise InputError("the archive has no " + "; no ".join(missing), where)
    return chosen


def _extract_tar(archive_path, wanted, dest_dir):
    """One streaming pass: every member that may be wanted is kept, then the best one per key is chosen."""
    staging = Path(dest_dir) / ".staging"
    kept = {}  # member name -> staged path
    names = []
    with tarfile.open(archive_path, mode="r|*") as archive:
        for info in archive:
            if not info.isfile():
                continue
            names.append(info.name)
            if any(_matches(info.name, alt) for w in wanted.values() for alt in _as_alternatives(w)):
                staged = staging / f"{len(kept)}"
                _write(staged, archive.extractfile(info))
                kept[info.name] = staged
    try:
        chosen = _choose(names, wanted, archive_path)
        found = {}
        for key, member in chosen.items():
            target = _target(dest_dir, wanted[key])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(kept[member], target)
            found[key] = target
        return found
    finally:
        shutil.rmtree(staging, ignore_errors=True)
