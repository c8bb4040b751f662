"""The Ensembl REST layers on their own: the rate limiter on a fake clock, the transport's one retry
layer against the test server (tests/ensembl_server.py), and the on-disk cache."""

import json
import logging

import pytest

from chromapipe.annotations.ensembl.cache import Cache, digest
from chromapipe.annotations.ensembl.transport import LimitedRetry, RateLimiter, RestError, Stats, Transport
from ensembl_server import EnsemblTestServer, Fault, Genome

# -- the rate limiter, on a fake clock ------------------------------------------------------------


class FakeClock:
    """A clock that moves only when the limiter sleeps or the test says so."""

    def __init__(self, start=1000.0):
        self.now = start
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.slept.append(seconds)
        self.now += seconds


def grants(limiter, clock, work):
    """The clock's reading when each ``wait()`` returns, with ``work[i]`` seconds spent before call i."""
    out = []
    for seconds in work:
        clock.now += seconds
        limiter.wait()
        out.append(clock.now)
    return out


def most_in_a_second(times):
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


@pytest.mark.parametrize("max_rps", [1, 4, 15])
def test_limiter_spaces_grants_whatever_the_work_between(max_rps):
    clock = FakeClock()
    limiter = RateLimiter(max_rps, Stats(), clock=clock, sleep=clock.sleep)
    # bursts, pauses longer than the interval and everything between
    work = [0.0] * 30 + [0.3, 0.001, 2.0, 0.0, 0.07, 0.0, 0.5] * 10
    times = grants(limiter, clock, work)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 1.01 / max_rps - 1e-9
    assert most_in_a_second(times) <= max_rps
    assert limiter.stats.requests == len(work)
    assert limiter.stats.waited == pytest.approx(sum(clock.slept))


def test_limiter_waits_only_when_it_must():
    clock = FakeClock()
    limiter = RateLimiter(2, Stats(), clock=clock, sleep=clock.sleep)
    grants(limiter, clock, [0.0, 1.0, 0.0])  # the 2nd comes after the interval; the 3rd is early
    assert clock.slept == [pytest.approx(0.505)]


def test_shared_limiter_spaces_grants_across_limiters(tmp_path):
    """Two limiters on one lock file (two processes' worth) keep one spacing between them."""
    clock = FakeClock()
    shared = str(tmp_path / "sub" / "host.rate")
    limiters = [RateLimiter(5, Stats(), shared=shared, clock=clock, sleep=clock.sleep) for _ in range(2)]
    times = []
    for step in range(40):
        clock.now += 0.05 * (step % 3)
        limiters[step % 2].wait()
        times.append(clock.now)
    assert min(b - a for a, b in zip(times, times[1:])) >= 1.01 / 5 - 1e-9
    assert most_in_a_second(times) <= 5
    assert (tmp_path / "sub" / "host.rate").exists()


def test_shared_limiter_does_not_wait_for_a_clock_set_back(tmp_path):
    shared = tmp_path / "host.rate"
    shared.write_text(repr(1e12))  # written by a clock far ahead of this one
    clock = FakeClock()
    RateLimiter(4, Stats(), shared=str(shared), clock=clock, sleep=clock.sleep).wait()
    assert clock.slept == [pytest.approx(1.01 / 4)]
    assert float(shared.read_text()) == pytest.approx(clock.now + 1.01 / 4)


def test_limiter_refuses_a_rate_that_is_not_positive():
    with pytest.raises(ValueError, match="must be positive"):
        RateLimiter(0, Stats())


def test_fractional_retry_after():
    retry = LimitedRetry(total=1)
    assert retry.parse_retry_after("0.25") == 0.25
    assert retry.parse_retry_after("3") == 3.0
    assert retry.parse_retry_after("-1.5") == 0.0


# -- the transport: one retry layer, one count per retry ------------------------------------------

GENOME = Genome({"21": "ACGT" * 250}, {"21": [("G1", 10, 400)]})


@pytest.fixture
def server():
    with EnsemblTestServer(GENOME, max_rps=None) as srv:
        yield srv


def transport_for(server, retries=6, timeout=30.0):
    stats = Stats()
    limiter = RateLimiter(15, stats)
    return Transport(server.url, limiter, stats, timeout=timeout, retries=retries, backoff=0.0), stats


def test_every_kind_of_failure_is_one_retry(server):
    server.faults += [
        Fault("/overlap", status=503, times=1),
        Fault("/overlap", status=429, retry_after=0.01, times=1),
        Fault("/overlap", hang=True, times=1),  # never answered: a read time-out
        Fault("/overlap", truncate=True, times=1),  # whole by its Content-Length, not JSON
        Fault("/overlap", cut=True, times=1),  # shorter than its Content-Length
        Fault("/overlap", status=500, times=1),
    ]
    transport, stats = transport_for(server, timeout=1.0)  # answers here take well under a millisecond
    answer = transport.request("GET", "/overlap/region/human/21:1-1000", "genes", params={"feature": "gene"})
    assert answer[0]["id"] == "G1"
    assert [entry[3] for entry in server.log] == [503, 429, None, 200, 200, 500, 200]
    assert stats.retried == 6 and stats.requests == 7


def test_the_retry_budget_is_shared_by_statuses_and_unreadable_bodies(server):
    """Alternating 500s and unreadable answers spend one budget: retries + 1 requests in all."""
    for _ in range(5):
        server.faults += [Fault("/overlap", status=500, times=1), Fault("/overlap", truncate=True, times=1)]
    transport, stats = transport_for(server, retries=3)
    with pytest.raises(RestError, match="genes: no answer from .* after 3 retries") as caught:
        transport.request("GET", "/overlap/region/human/21:1-1000", "genes", params={"feature": "gene"})
    assert caught.value.status is None and "unreadable JSON" in caught.value.detail
    assert len(server.log) == 4 and stats.retried == 3 and stats.requests == 4


def test_a_status_that_stays_bad_raises_with_the_status(server):
    server.faults.append(Fault("/info", status=503, times=None))
    transport, stats = transport_for(server, retries=2)
    with pytest.raises(RestError, match=r"info: HTTP 503 from .* after 2 retries \(.*injected 503") as caught:
        transport.request("GET", "/info/data", "info")
    assert caught.value.status == 503
    assert len(server.log) == 3 and stats.retried == 2


def test_a_client_error_is_not_retried(server):
    transport, stats = transport_for(server)
    with pytest.raises(RestError, match="HTTP 400 .* after 0 retries .*no endpoint") as caught:
        transport.request("GET", "/nothing/here", "nothing")
    assert caught.value.status == 400 and len(server.log) == 1 and stats.retried == 0


def test_a_post_sends_json_and_gets_json(server):
    transport, stats = transport_for(server)
    answer = transport.request("POST", "/sequence/region/human", "seq", payload={"regions": ["21:1..8"]})
    assert [item["seq"] for item in answer] == ["ACGTACGT"]
    assert stats.requests == 1 and stats.retried == 0


def test_no_server_is_a_rest_error_naming_the_host(server):
    url = server.url
    server.__exit__(None, None, None)
    stats = Stats()
    transport = Transport(url, RateLimiter(15, stats), stats, timeout=1.0, retries=1, backoff=0.0)
    with pytest.raises(RestError, match=f"info: no answer from {url} after 1 retries") as caught:
        transport.request("GET", "/info/data", "info")
    assert caught.value.status is None and stats.requests == 2


# -- the cache ------------------------------------------------------------------------------------


def test_cache_round_trip_per_host_and_release(tmp_path):
    cache = Cache(tmp_path, "https://a.example", "87")
    assert cache.get("sequence", "21:1..10") is None
    cache.put("sequence", "21:1..10", [1, 2, 3, 4])
    assert cache.get("sequence", "21:1..10") == [1, 2, 3, 4]
    assert Cache(tmp_path, "https://a.example", "88").get("sequence", "21:1..10") is None
    assert Cache(tmp_path, "https://b.example", "87").get("sequence", "21:1..10") is None
    assert Cache(tmp_path, "https://a.example", "87").get("overlap", "21:1..10") is None
    (path,) = tmp_path.rglob("*.json")
    assert path.name == "21_1..10.json"
    assert json.loads(path.read_text()) == {"payload": [1, 2, 3, 4], "sha256": digest([1, 2, 3, 4])}


def test_cache_without_a_folder_holds_nothing(tmp_path):
    cache = Cache(None, "https://a.example", "87")
    cache.put("sequence", "21:1..10", [1, 2, 3, 4])
    assert cache.get("sequence", "21:1..10") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut off
        lambda text: text.replace("[1, 2, 3, 4]", "[1, 2, 3, 5]"),  # payload changed, checksum kept
        lambda text: json.dumps({"payload": [1, 2, 3, 4]}),  # no checksum
        lambda text: "[]",  # not an entry
    ],
)
def test_a_damaged_cache_entry_is_dropped(tmp_path, caplog, damage):
    cache = Cache(tmp_path, "https://a.example", "87")
    cache.put("sequence", "21:1..10", [1, 2, 3, 4])
    (path,) = tmp_path.rglob("*.json")
    path.write_text(damage(path.read_text()))
    with caplog.at_level(logging.WARNING, logger="chromapipe"):
        assert cache.get("sequence", "21:1..10") is None
    assert "corrupt cache entry" in caplog.text and not path.exists()
