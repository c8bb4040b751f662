"""The Ensembl REST endpoints chromapipe uses, on the right host, checked and cached.

* the host follows the assembly (GRCh37 -> Ensembl's GRCh37 REST host), and the
  assembly named in every answer is checked against the one asked for;
* ``GET /info/data`` finds the server's release once per host and cache (the
  release keys the cache and goes into the metadata), unless it is given;
* ``POST /sequence/region/human`` with up to ``batch_size`` regions per request
  (10 by default: 5 MB answers, which the server builds before its first byte),
  a read time-out sized to the answer (the base time-out plus one second per
  ``ANSWER_RATE`` bases), a POST that times out retried once, then split in two
  (one GET per region if the server refuses the batch size), every region of the
  batch checked to have come back, whole;
* ``GET /overlap/region/human/{chr}:{start}-{end}?feature=gene``.

Transport (rate limit, retries) is :mod:`.transport`; the on-disk store is
:mod:`.cache`.
"""

import logging
import os
import time

from ... import chroms
from ...errors import InputError
from ..table import base_counts
from .cache import Cache, host_key
from .transport import RateLimiter, RestError, Stats, Transport

log = logging.getLogger("chromapipe")

#: REST host per assembly: GSDB's coordinates are hg19 = GRCh37.
HOSTS = {"GRCh37": "https://grch37.rest.ensembl.org", "GRCh38": "https://rest.ensembl.org"}
#: Ensembl's published limit, requests per second.
MAX_RPS = 15
#: Regions per POST /sequence by default: 10 x 500 kb is a 5 MB answer (50, the server's limit, is 25 MB).
BATCH_SIZE = 10
#: Bases per second a sequence answer is assumed to arrive at, at least: it sizes the read time-out.
ANSWER_RATE = 500_000
#: The gene set each GRCh37 answer comes from, whatever /info/data says: the GRCh37 host is frozen there.
GENE_SETS = {"GRCh37": "Ensembl 75 / GENCODE 19"}


class EnsemblClient:
    """A careful Ensembl REST client for sequences and gene overlaps.

    Parameters
    ----------
    assembly : {"GRCh37", "GRCh38"}
    host : str, optional
        Base URL; defaults to Ensembl's host for the assembly.
    max_rps : float
        Request starts per second, at most (Ensembl allows 15).
    cache : str or None
        Cache folder; None disables the cache.
    timeout : float
        Seconds to wait for a connection and for each read.
    retries : int
        Retries of one request, at most (429, 5xx, connection errors, time-outs,
        unreadable answers, all counted together).
    backoff : float
        Back-off factor: waits of backoff x 2^(n-1) seconds between retries
        (capped at 30 s), unless the server says how long with ``Retry-After``.
    release : str or int, optional
        The server's Ensembl release, if known: saves the one ``GET /info/data``
        request per host and cache (it keys the cache and goes into the metadata).
    answer_rate : float
        Bases per second a sequence answer arrives at, at least (:data:`ANSWER_RATE`).
    """

    def __init__(
        self, assembly="GRCh37", host=None, max_rps=MAX_RPS, cache=None, timeout=30.0, retries=6, backoff=0.5,
        release=None, answer_rate=ANSWER_RATE,
    ):  # fmt: skip
        if assembly not in HOSTS:
            raise InputError(f"assembly {assembly!r} is not one of {', '.join(HOSTS)}")
        if max_rps > MAX_RPS:
            raise InputError(f"--max-rps {max_rps} is over Ensembl's limit of {MAX_RPS} requests per second")
        self.assembly = assembly
        self.host = (host or HOSTS[assembly]).rstrip("/")
        self.stats = Stats()
        shared = None if cache is None else os.path.join(os.fspath(cache), host_key(self.host) + ".rate")
        self.limiter = RateLimiter(max_rps, self.stats, shared)
        self.transport = Transport(self.host, self.limiter, self.stats, timeout, retries, backoff)
        self.answer_rate = answer_rate
        self.release = str(release) if release else None  # known: no /info/data request
        self.reported_assembly = None
        self._cache_root = cache
        self.cache = Cache(None, self.host, "none")  # the release keys it: set by discover()

    def discover(self):
        """Release of the server (``GET /info/data``, cached per host), unless given."""
        if self.release:
            self.cache = Cache(self._cache_root, self.host, self.release)
            return self.release
        info_cache = Cache(self._cache_root, self.host, "info")
        info = info_cache.get("info", "data")
        if info is None:
            try:
                answer = self.transport.request("GET", "/info/data", "GET /info/data")
            except RestError as exc:
                if exc.status not in (400, 404):
                    raise
                answer = {"releases": []}  # a mirror without the endpoint
            info = {"releases": answer.get("releases", []), "when": time.time()}
            info_cache.put("info", "data", info)
        releases = info.get("releases") or []
        self.release = str(max(releases)) if releases else "unknown"
        self.cache = Cache(self._cache_root, self.host, self.release)
        return self.release

    def _check_assembly(self, item_id, region):
        # ids look like "chromosome:GRCh37:21:1:500000:1"
        parts = str(item_id).split(":")
        if len(parts) > 1:
            reported = parts[1]
            self.reported_assembly = reported
            if not reported.startswith(self.assembly):
                raise RestError(
                    f"{region}: {self.host} answered with assembly {reported}, but {self.assembly} was asked "
                    "for: the bin map's coordinates would be read on the wrong assembly (use the host of "
                    f"the right assembly, e.g. {HOSTS[self.assembly]})"
                )

    @property
    def gene_set(self):
        """The gene set the overlap answers count: Ensembl 75 / GENCODE 19 on GRCh37, else the release."""
        return GENE_SETS.get(self.assembly) or f"Ensembl {self.release or 'unknown'}"

    def sequence_counts(self, chrom, bins, batch_size=BATCH_SIZE):
        """Base counts of every bin (cached), fetched in POST batches of ``batch_size`` regions."""
        regions = [f"{chroms.canonical(chrom)}:{s}..{e}" for s, e in bins]
        lengths = {r: e - s + 1 for r, (s, e) in zip(regions, bins)}
        counts = {}
        missing = []
        for region in regions:
            hit = self.cache.get("sequence", region)
            if hit is not None:
                counts[region] = hit
                self.stats.add("cached")
            else:
                missing.append(region)
        use_get = False
        batches = [missing[i : i + batch_size] for i in range(0, len(missing), batch_size)]
        for number, batch in enumerate(batches, start=1):
            if not use_get:
                try:
                    self._post_sequences(batch, lengths, counts)
                except RestError as exc:
                    if exc.status not in (400, 413) or len(batch) == 1:
                        raise
                    log.warning(
                        "the server refused %d regions in one POST (HTTP %d): fetching one region per GET",
                        len(batch), exc.status,
                    )  # fmt: skip
                    use_get = True
            if use_get:
                for region in batch:
                    what = f"GET /sequence/region/human/{region}"
                    answer = self.transport.request("GET", f"/sequence/region/human/{region}", what)
                    self._store_sequences([answer], [region], lengths, counts)
            log.info("sequences: batch %d/%d done; %s", number, len(batches), self.stats.summary())
        return [counts[r] for r in regions]

    def _post_sequences(self, batch, lengths, counts):
        """One POST of ``batch``; a time-out is retried once, then the batch is split in two and each half posted."""
        bases = sum(lengths[r] for r in batch)
        what = f"POST /sequence/region/human ({batch[0]} .. {batch[-1]})"
        try:
            answer = self.transport.request(
                "POST", "/sequence/region/human", what, payload={"regions": batch},
                read_timeout=self.transport.read_timeout + bases / self.answer_rate, read_retries=1,
            )  # fmt: skip
        except RestError as exc:
            if not exc.timed_out or len(batch) == 1:
                raise
            half = len(batch) // 2
            log.warning("%s timed out twice: posting it as %d and %d regions", what, half, len(batch) - half)
            self._post_sequences(batch[:half], lengths, counts)
            self._post_sequences(batch[half:], lengths, counts)
            return
        self._store_sequences(answer, batch, lengths, counts)

    def _store_sequences(self, answer, batch, lengths, counts):
        if not isinstance(answer, list):
            raise RestError(f"{batch[0]}: expected a list of sequences, got {type(answer).__name__}")
        by_query = {item.get("query"): item for item in answer if isinstance(item, dict)}
        for position, region in enumerate(batch):
            item = by_query.get(region)
            if item is None and len(answer) == len(batch):
                item = answer[position]
            if item is None or "seq" not in item:
                raise RestError(f"{region}: missing from the server's answer")
            self._check_assembly(item.get("id", ""), region)
            seq = item["seq"]
            if len(seq) != lengths[region]:
                raise RestError(
                    f"{region}: the server returned {len(seq):,} bases for a {lengths[region]:,} bp region "
                    "(past the chromosome's end? the bin map may be on another assembly)"
                )
            counts[region] = base_counts(seq)
            self.cache.put("sequence", region, counts[region])
            self.stats.add("fetched")

    def genes(self, chrom, start, end):
        """Genes overlapping ``start..end`` (1-based, inclusive): ``[(id, start, end), ...]`` (cached)."""
        region = f"{chroms.canonical(chrom)}:{start}-{end}"
        hit = self.cache.get("overlap", region)
        if hit is not None:
            self.stats.add("cached")
            return hit
        what = f"GET /overlap/region/human/{region}?feature=gene"
        answer = self.transport.request("GET", f"/overlap/region/human/{region}", what, params={"feature": "gene"})
        if not isinstance(answer, list):
            raise RestError(f"{what}: expected a list of genes, got {type(answer).__name__}")
        genes = []
        for item in answer:
            try:
                genes.append([str(item["id"]), int(item["start"]), int(item["end"])])
            except (KeyError, TypeError, ValueError):
                raise RestError(f"{what}: a gene record without id, start and end: {str(item)[:120]}") from None
            if item.get("assembly_name"):
                self.reported_assembly = item["assembly_name"]
        self.cache.put("overlap", region, genes)
        self.stats.add("fetched")
        return genes
