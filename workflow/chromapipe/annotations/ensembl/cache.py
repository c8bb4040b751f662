"""Ensembl answers on disk, one checksummed JSON file per region.

The unit is a region, not a request: one POST answers 50 regions and each is
cached on its own, so a later run with other batches still finds them. Only
what is used is kept (a sequence's four base counts, not 500 kb of it). Files
are written atomically and read back against their SHA-256, so concurrent jobs
can share a cache and a damaged entry is fetched again, never trusted.
"""

import hashlib
import json
import logging
import os

from ...io import atomic_path

log = logging.getLogger("chromapipe")


def default_cache_dir():
    """``$XDG_CACHE_HOME/chromapipe/ensembl`` (``~/.cache/...`` without it)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "chromapipe", "ensembl")


def host_key(host):
    """A short, file-name-safe key of a host URL (its cache folder and rate-limit file)."""
    return hashlib.sha1(host.encode()).hexdigest()[:12]


def digest(payload):
    """SHA-256 of a JSON payload in canonical form (sorted keys)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class Cache:
    """Answers on disk: one JSON file per (host, release, kind, region), checksummed.

    Parameters
    ----------
    root : str, os.PathLike or None
        The cache folder; None: a cache that holds nothing.
    host : str
    release : str
        Ensembl release (or ``"info"`` for the server's own description).

    A corrupt or truncated entry is detected by its checksum, logged, removed
    and reported as missing.
    """

    def __init__(self, root, host, release):
        self.root = None if root is None else os.path.join(os.fspath(root), host_key(host), str(release))

    def _path(self, kind, key):
        return os.path.join(self.root, kind, key.replace(":", "_") + ".json")

    def get(self, kind, key):
        """The payload stored for ``kind``/``key``, or None."""
        if self.root is None:
            return None
        path = self._path(kind, key)
        try:
            with open(path, encoding="utf-8") as handle:
                entry = json.load(handle)
            payload = entry["payload"]
            if entry["sha256"] != digest(payload):
                raise ValueError("checksum mismatch")
            return payload
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            log.warning("corrupt cache entry %s (%s): fetching it again", path, exc)
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return None

    def put(self, kind, key, payload):
        """Store ``payload`` (JSON-serialisable) for ``kind``/``key``, atomically."""
        if self.root is None:
            return
        path = self._path(kind, key)
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump({"payload": payload, "sha256": digest(payload)}, handle)
