"""The Ensembl REST backend, against a real HTTP server on 127.0.0.1 (tests/ensembl_server.py)."""

import json
import logging
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from chromapipe.annotations.ensembl import HOSTS, EnsemblClient, RestError, annotate_from_ensembl, windows
from chromapipe.annotations.files import annotate_from_files
from chromapipe.beadmap import chromosome_bins, read_bin_map
from chromapipe.errors import InputError
from conftest import MAPPING, run_cli
from ensembl_server import EnsemblTestServer, Fault, Genome, arrival_bound

EXAMPLE = Path(__file__).resolve().parents[1] / "workflow" / "resources" / "example"

pytestmark = pytest.mark.slow  # a REST server on 127.0.0.1 (and Snakemake, the command line)


@pytest.fixture(scope="module")
def example_bins():
    return read_bin_map(EXAMPLE / "bins.txt")


@pytest.fixture
def server(genome):
    with EnsemblTestServer(genome, max_rps=None) as srv:
        yield srv


def client_for(server, tmp_path, **kwargs):
    # the default time-out (30 s): an answer of 50 x 500 kb is 25 MB of JSON, slow on a loaded machine
    kwargs = {"max_rps": 15, "cache": tmp_path / "cache", "retries": 4, "backoff": 0.01} | kwargs
    return EnsemblClient("GRCh37", host=server.url, **kwargs)


@pytest.mark.parametrize("chrom", ["19", "21", "X"])
def test_same_numbers_as_the_local_backend(server, tmp_path, example_bins, chrom):
    bins = chromosome_bins(example_bins, chrom)
    rest = annotate_from_ensembl(bins, chrom, client_for(server, tmp_path))
    local = annotate_from_files(bins, chrom, EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert rest.equals(local)


def lazy_chromosome(length):
    unit = "ACGTTGCAGGCCNNAT" * 64

    def sequence(start, end):
        offset = (start - 1) % len(unit)
        reps = (end - start + 1 + offset) // len(unit) + 1
        return (unit * reps)[offset : offset + end - start + 1]

    return length, sequence


@pytest.mark.slow
def test_request_counts_for_chr1(tmp_path):
    """chr1 of the real bin map (499 bins): 50 POST (10 regions each) + 50 overlap requests, 1 /info/data per cache.

    The server refuses (429) a 17th arrival in any second: a client limited to 15 request starts per
    second can bring 16 arrivals into a second on the server's clock, never more, whatever the
    scheduler does (:func:`ensembl_server.arrival_bound`), so no request is refused and the counts are exact.
    """
    bins = chromosome_bins(read_bin_map(MAPPING), "1")
    assert bins.height == 499
    genes = [(f"G{i}", s, s + 40_000) for i, s in enumerate(range(1, 249_000_000, 150_000))]
    genome = Genome({"1": lazy_chromosome(249_250_621)}, {"1": genes})
    with EnsemblTestServer(genome, max_rps=arrival_bound(15)) as srv:
        client = client_for(srv, tmp_path)
        started = time.monotonic()
        table = annotate_from_ensembl(bins, "1", client)
        elapsed = time.monotonic() - started
        assert len(srv.requests("/sequence/region/human")) == 50
        assert len(srv.requests("/overlap/region/human")) == 50
        assert len(srv.requests("/info/data")) == 1
        assert len(srv.log) == 101 and client.stats.requests == 101
        assert srv.max_per_second() <= arrival_bound(15)
        assert not [entry for entry in srv.log if entry[3] != 200]
        print(f"\nchr1, 499 bins: {len(srv.log)} requests (old: 998), {elapsed:.1f} s at 15/s")
        # a second chromosome run on the same cache asks nothing again
        annotate_from_ensembl(bins, "1", client_for(srv, tmp_path))
        assert len(srv.log) == 101
        # with the release given, a cold cache takes exactly 50 + 50; in batches of 50 (the server's limit), 10 + 50
        before = len(srv.log)
        annotate_from_ensembl(bins, "1", client_for(srv, tmp_path, cache=tmp_path / "cold", release=87))
        assert len(srv.log) - before == 100 and not srv.requests("/info/data")[1:]
        before = len(srv.log)
        annotate_from_ensembl(bins, "1", client_for(srv, tmp_path, cache=tmp_path / "c50", release=87), batch_size=50)
        assert len(srv.log) - before == 60
    assert table.height == 499 and table["gene_density"].sum() > 0


@pytest.mark.slow
def test_client_never_exceeds_its_limit(server, tmp_path, example_bins):
    """Request arrivals per second on the server's own clock, against a bound no scheduler can break.

    The client grants request starts at least 1.01/4 s apart and sends one request at a time, so the
    server can log at most 4 + 1 arrivals in any one-second window (derivation:
    :func:`ensembl_server.arrival_bound`); that a grant never comes sooner is tested on a fake clock in
    ``test_ensembl_transport.py``.
    """
    bins = chromosome_bins(example_bins, "X")
    client = client_for(server, tmp_path, max_rps=4, cache=None)
    annotate_from_ensembl(bins, "X", client, batch_size=5)
    assert len(server.log) > 20 and client.stats.requests == len(server.log)
    assert server.max_per_second() <= arrival_bound(4)


def test_429_retry_after_is_honoured_exactly(server, tmp_path, example_bins):
    """After each 429 the next request arrives no sooner than its fractional Retry-After said.

    Causal, not timed: the client reads the 429 after the server logged it, then waits at least
    Retry-After before its next request can arrive.
    """
    server.faults += [
        Fault("/sequence/region/human", status=429, retry_after=0.25, times=2, method="POST"),
        Fault("/overlap/region/human/21:", status=429, retry_after=0.125, times=1),
    ]
    bins = chromosome_bins(example_bins, "21")
    client = client_for(server, tmp_path, backoff=0.0)
    table = annotate_from_ensembl(bins, "21", client, batch_size=10)
    assert [wait for _, wait in server.retry_after] == [0.125, 0.25, 0.25]
    times = [entry[0] for entry in server.log]
    for when, wait in server.retry_after:
        later = [t for t in times if t > when]
        assert later and later[0] - when >= wait, (when, wait, later[:1])
    assert client.stats.retried == 3 and client.stats.requests == len(server.log)
    local = annotate_from_files(bins, "21", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert table.equals(local)


def test_5xx_timeouts_and_truncated_json_are_retried(server, tmp_path, example_bins):
    server.faults += [
        Fault("/sequence/region/human", status=503, times=2, method="POST"),
        Fault("/overlap/region/human/19:", status=500, times=1),
        Fault("/info/data", hang=True, times=1),  # never answered: the client's time-out
        Fault("/overlap/region/human/19:1-", truncate=True, times=1),
        Fault("/overlap/region/human/19:5", cut=True, times=1),
        Fault("/overlap/region/human/19:2", status=502, times=1),
    ]
    bins = chromosome_bins(example_bins, "19")
    # a short time-out for the hanging request; answers of 5 regions (2.5 MB) come far sooner
    client = client_for(server, tmp_path, timeout=2.0)
    table = annotate_from_ensembl(bins, "19", client, batch_size=5)
    assert not [fault for fault in server.faults if fault.times], "a fault never fired: the test proves less"
    assert client.stats.retried == 7  # one per fault, counted once
    assert client.stats.requests == len(server.log) == len(server.requests("/")) and len(server.log) > 7
    local = annotate_from_files(bins, "19", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert table.equals(local)


@pytest.mark.slow
def test_refused_post_size_falls_back_to_get(genome, tmp_path, example_bins, caplog):
    bins = chromosome_bins(example_bins, "21")
    with EnsemblTestServer(genome, max_rps=None, max_post=10) as srv:
        with caplog.at_level(logging.WARNING, logger="chromapipe"):
            table = annotate_from_ensembl(bins, "21", client_for(srv, tmp_path), batch_size=50)
        assert "refused 50 regions in one POST (HTTP 400)" in caplog.text
        assert len(srv.requests("/sequence/region/human/")) == 60  # one GET per bin
    local = annotate_from_files(bins, "21", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert table.equals(local)


@pytest.mark.slow
def test_permanent_failure_names_the_region_and_leaves_no_output(server, tmp_path):
    server.faults.append(Fault("/overlap/region/human/21:5000001-", status=500, times=None))
    out = tmp_path / "out"
    result = run_cli(
        "annotations", "--chr", "21", "--mapping", EXAMPLE / "bins.txt", "--outdir", out, "--source", "ensembl",
        "--host", server.url, "--cache", tmp_path / "cache", "--retries", "2", "--backoff", "0.01",
    )  # fmt: skip
    assert result.returncode == 2
    assert "21:5000001-10000000" in result.stderr and "HTTP 500" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())
    assert len(server.requests("/overlap/region/human/21:5000001-")) == 3  # first try + 2 retries


def test_interrupted_run_fetches_only_what_is_missing(server, tmp_path, example_bins):
    bins = chromosome_bins(example_bins, "21")  # 60 bins: 6 POSTs of 10
    server.faults.append(Fault("/sequence/region/human", status=503, times=None, after=3, method="POST"))
    with pytest.raises(RestError, match="HTTP 503"):
        annotate_from_ensembl(bins, "21", client_for(server, tmp_path, retries=1), batch_size=10)
    server.faults.clear()
    before = len(server.log)
    table = annotate_from_ensembl(bins, "21", client_for(server, tmp_path), batch_size=10)
    again = server.log[before:]
    assert [entry[1:3] for entry in again] == [("POST", "/sequence/region/human")] * 3
    local = annotate_from_files(bins, "21", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert table.equals(local)


def test_corrupt_cache_entry_is_detected_and_refetched(server, tmp_path, example_bins, caplog):
    bins = chromosome_bins(example_bins, "X")
    annotate_from_ensembl(bins, "X", client_for(server, tmp_path))
    entries = sorted((tmp_path / "cache").rglob("sequence/X_1..500000.json"))
    assert len(entries) == 1
    entries[0].write_text(entries[0].read_text()[:40])  # cut off
    before = len(server.log)
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        table = annotate_from_ensembl(bins, "X", client_for(server, tmp_path))
    assert "corrupt cache entry" in caplog.text
    assert len(server.log) - before == 1  # one POST for the one region
    assert server.log[-1][1:3] == ("POST", "/sequence/region/human")
    local = annotate_from_files(bins, "X", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert table.equals(local)


def test_wrong_assembly_is_refused(genome, tmp_path, example_bins):
    grch38 = Genome(genome.sequences, genome.genes, assembly="GRCh38")
    with EnsemblTestServer(grch38, max_rps=None) as srv:
        with pytest.raises(RestError, match="answered with assembly GRCh38, but GRCh37 was asked for"):
            annotate_from_ensembl(chromosome_bins(example_bins, "21"), "21", client_for(srv, tmp_path))


def test_hosts_limits_and_tls():
    # each assembly is served by its own host, over TLS; the client picks it from the assembly
    hosts = {assembly: EnsemblClient(assembly).host for assembly in HOSTS}
    assert set(hosts) == {"GRCh37", "GRCh38"} and len(set(hosts.values())) == 2
    assert all(host.startswith("https://") for host in hosts.values())
    assert "grch37" in hosts["GRCh37"] and "grch37" not in hosts["GRCh38"]
    pool = EnsemblClient("GRCh37").transport.pool
    assert pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED" and pool.connection_pool_kw["ca_certs"]
    with pytest.raises(InputError, match="over Ensembl's limit"):
        EnsemblClient("GRCh37", max_rps=20)
    with pytest.raises(InputError, match="not one of"):
        EnsemblClient("hg19")


def test_windows_span_at_most_the_size():
    bins = [(i * 500_000 + 1, (i + 1) * 500_000) for i in range(25)]
    spans = windows(bins, 5_000_000)
    assert spans == [(1, 5_000_000), (5_000_001, 10_000_000), (10_000_001, 12_500_000)]


@pytest.mark.slow
def test_cli_contract_and_metadata(server, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        "annotations", "--chr", "chr21", "--mapping", EXAMPLE / "bins.txt", "--outdir", out, "--source", "ensembl",
        "--host", server.url, "--assembly", "GRCh37", "--max-rps", "15", "--cache", tmp_path / "cache",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    path = out / "chr21_annotations.parquet"
    table = pl.read_parquet(path)
    assert table.columns == ["start", "end", "gc_content", "n_fraction", "gene_density"]
    meta = json.loads(pq.read_schema(path).metadata[b"chromapipe"])
    assert meta["assembly"] == "GRCh37" and meta["ensembl_release"] == "87" and meta["host"] == server.url
    assert "requests made" in result.stderr and "regions from the cache" in result.stderr
    assert "waited for the rate limit" in result.stderr


@pytest.mark.slow
def test_concurrent_processes_share_the_rate_limit_and_the_cache(server, tmp_path):
    import subprocess
    import sys

    def start(chrom):
        command = [
            sys.executable, "-m", "chromapipe.cli", "annotations", "--chr", chrom, "--mapping", EXAMPLE / "bins.txt",
            "--outdir", tmp_path / "out", "--source", "ensembl", "--host", server.url, "--max-rps", "5",
            "--cache", tmp_path / "cache", "--batch-size", "5",
        ]  # fmt: skip
        return subprocess.Popen([str(c) for c in command], stderr=subprocess.PIPE, text=True)

    jobs = [start("19"), start("X")]
    errors = [job.communicate(timeout=120)[1] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], errors
    assert len(server.log) > 40
    assert server.max_per_second() <= arrival_bound(5, clients=2)  # both processes together
    for chrom in ("19", "X"):
        bins = chromosome_bins(read_bin_map(EXAMPLE / "bins.txt"), chrom)
        local = annotate_from_files(bins, chrom, EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
        assert pl.read_parquet(tmp_path / "out" / f"chr{chrom}_annotations.parquet").equals(local)


@pytest.mark.slow
def test_workflow_fetch_annotations_from_the_rest_server(server, tmp_path):
    from test_workflow import example_config, snakemake

    configfile = example_config(
        tmp_path,
        chromosomes=["21"],
        assembly="GRCh37",
        annotations={"source": "ensembl", "host": server.url, "cache": str(tmp_path / "cache"), "max_rps": 15},
    )
    # the compiled table, not the figures and summary (no REST request of theirs)
    result = snakemake(tmp_path, "results/chr21_compiled.parquet", configfile=configfile)
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.requests("/sequence/region/human") and server.requests("/overlap/region/human")
    compiled = pl.read_parquet(tmp_path / "results" / "chr21_compiled.parquet")
    bins = chromosome_bins(read_bin_map(EXAMPLE / "bins.txt"), "21")
    local = annotate_from_files(bins, "21", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert compiled["gene_density"].to_list() == local["gene_density"].to_list()
    assert compiled["gc_content"].equals(local["gc_content"].round(4).cast(pl.Float32))
    log = (tmp_path / "results" / "logs" / "fetch_annotations" / "chr21.log").read_text()
    assert "requests made" in log and "waited for the rate limit" in log
    meta = json.loads(pq.read_schema(tmp_path / "results" / "chr21_compiled.parquet").metadata[b"chromapipe"])
    assert meta["assembly"] == "GRCh37" and meta["annotations"]["ensembl_release"] == "87"


def test_a_region_dropped_from_a_post_answer_is_detected(server, tmp_path, example_bins):
    server.faults.append(Fault("/sequence/region/human", method="POST", drop=True, times=1, status=None))
    bins = chromosome_bins(example_bins, "21")
    with pytest.raises(RestError, match=r"21:\d+\.\.\d+: missing from the server's answer"):
        annotate_from_ensembl(bins, "21", client_for(server, tmp_path, release=87))
    assert not [fault for fault in server.faults if fault.times]


def test_a_post_that_times_out_is_retried_once_then_split(server, tmp_path, example_bins):
    """The first POST hangs twice (the original and its one retry): the batch is then posted as two halves."""
    server.faults.append(Fault("/sequence/region/human", method="POST", hang=True, times=2))
    bins = chromosome_bins(example_bins, "21").head(10)
    client = client_for(server, tmp_path, release=87, timeout=1.0, answer_rate=1e12)  # read time-out ~1 s
    table = annotate_from_ensembl(bins, "21", client, batch_size=10)
    posts = [entry for entry in server.log if entry[1] == "POST"]
    assert [status for *_, status in posts] == [None, None, 200, 200]
    assert client.stats.retried == 1
    local = annotate_from_files(bins, "21", EXAMPLE / "genome.fa.gz", EXAMPLE / "genes.gtf.gz")
    assert table.equals(local)
    assert client.gene_set == "Ensembl 75 / GENCODE 19"


def test_the_read_time_out_is_sized_to_the_answer(server, tmp_path):
    client = client_for(server, tmp_path, release=87, timeout=10.0)
    sent = []
    client.transport.request = lambda *a, **k: (
        sent.append(k["read_timeout"])
        or [{"query": r, "id": "chromosome:GRCh37:21:1:1:1", "seq": "A" * n} for r, n in [("21:1..500000", 500_000)]]
    )
    client._post_sequences(["21:1..500000"], {"21:1..500000": 500_000}, {})
    assert sent == [10.0 + 500_000 / client.answer_rate]
