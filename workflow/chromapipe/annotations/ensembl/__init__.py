"""Annotations from the Ensembl REST API: right assembly, batched, rate-limited, retried, cached.

What the original did wrong (``shared/spec/known-defects.md``, defects 2-4):
two GET requests per bin against the GRCh38 host for hg19 coordinates, a fixed
0.1 s pause, and every failure turned into a silent empty value. Here, in three
layers:

* :mod:`.transport`: never more than ``max_rps`` request starts in any second,
  retries included, across processes sharing a cache; one retry layer
  (urllib3's ``Retry``) for 429 (``Retry-After`` honoured exactly, fractional
  seconds too), 5xx, connection errors, time-outs and truncated or unreadable
  answers, with exponential back-off, a bounded number of times; TLS
  verification always on; a request gives decoded JSON or a :class:`RestError`
  carrying the status;
* :mod:`.cache`: answers on disk per host, release and region, checksummed, so
  a rerun or a second chromosome asks only for what it lacks;
* :mod:`.client`: the endpoints: the host follows the assembly and every answer's
  assembly is checked; GC content from ``POST /sequence/region/human`` in batches,
  gene density from ``GET /overlap/region/human/...?feature=gene`` over windows of
  up to 5 Mb.

This module counts genes per bin locally, with the same definition as the local
backend (:func:`chromapipe.annotations.table.genes_per_bin`).

Why urllib3's ``Retry`` and a small store of our own, not requests-cache: the
retry, back-off and ``Retry-After`` logic is urllib3's (well kept, widely used);
what we add is a fractional ``Retry-After`` parser and a hook that counts every
retry and sends it through the rate limiter. The cache is ours because its unit
is a region, not a request (see :mod:`.cache`).
"""

import logging
import time

from ... import chroms
from ..table import annotation_frame, gc_from_counts, genes_per_bin
from .cache import default_cache_dir
from .client import BATCH_SIZE, HOSTS, EnsemblClient
from .transport import RestError

__all__ = [
    "HOSTS",
    "EnsemblClient",
    "RestError",
    "annotate_from_ensembl",
    "annotate_with_client",
    "default_cache_dir",
    "windows",
]

log = logging.getLogger("chromapipe")


def windows(bins, size):
    """Group consecutive bins into windows spanning at most ``size`` bp.

    Returns ``[(start, end), ...]`` covering every bin; a bin longer than
    ``size`` gets a window of its own.
    """
    out = []
    current = None
    for start, end in bins:
        if current is not None and end - current[0] + 1 <= size:
            current[1] = end
        else:
            if current is not None:
                out.append(tuple(current))
            current = [start, end]
    if current is not None:
        out.append(tuple(current))
    return out


def annotate_from_ensembl(bins, chrom, client, batch_size=BATCH_SIZE, window=5_000_000):
    """Annotation table of one chromosome from Ensembl REST.

    Same columns and definitions as :func:`chromapipe.annotations.files.annotate_from_files`.
    """
    started = time.monotonic()
    pairs = list(zip(bins["start"].to_list(), bins["end"].to_list()))
    client.discover()
    gene_map = {}
    spans = windows(pairs, window)
    for number, (start, end) in enumerate(spans, start=1):
        for gene_id, g_start, g_end in client.genes(chrom, start, end):
            gene_map[gene_id] = (g_start, g_end)
        if number % 10 == 0 or number == len(spans):
            log.info("genes: window %d/%d done; %s", number, len(spans), client.stats.summary())
    counts = client.sequence_counts(chrom, pairs, batch_size=batch_size)
    gc, n_fraction = zip(*(gc_from_counts(c) for c in counts)) if counts else ((), ())
    starts = [g[0] for g in gene_map.values()]
    ends = [g[1] for g in gene_map.values()]
    density = genes_per_bin(starts, ends, bins["start"].to_numpy(), bins["end"].to_numpy())
    log.info("chr%s: %s; %.1f s", chroms.canonical(chrom), client.stats.summary(), time.monotonic() - started)
    return annotation_frame(bins, list(gc), list(n_fraction), density)


def annotate_with_client(bins, chrom, assembly, ensembl, options):
    """:func:`annotate_from_ensembl` through a client made of the run's ``ensembl`` settings, and its metadata.

    ``ensembl``: a :class:`chromapipe.settings.Ensembl` (host, rate, cache, batch size, release);
    ``options``: more keyword arguments of :class:`EnsemblClient` (timeout, retries, backoff) and ``window``.
    """
    from ...errors import InputError

    if ensembl is None:
        raise InputError("the ensembl source needs its settings (host, max_rps, cache, batch_size)")
    window = options.pop("window", None)
    client = EnsemblClient(
        assembly=assembly, host=ensembl.host, max_rps=ensembl.max_rps, cache=ensembl.cache or None,
        release=ensembl.release, **options,
    )  # fmt: skip
    log.info("chr%s: %d bins from %s (assembly %s, at most %g requests/s, cache %s)",
             chrom, bins.height, client.host, assembly, ensembl.max_rps, ensembl.cache or "off")  # fmt: skip
    extra = {"window": window} if window else {}
    frame = annotate_from_ensembl(bins, chrom, client, batch_size=ensembl.batch_size, **extra)
    stats = client.stats
    return frame, {
        "host": client.host,
        "assembly": client.reported_assembly or assembly,
        "assembly_requested": assembly,
        "ensembl_release": client.release,
        "gene_set": client.gene_set,
        "requests": stats.requests,
        "retried": stats.retried,
        "cached_regions": stats.cached,
    }
