"""A small Ensembl REST server for the tests, on a real socket on 127.0.0.1.

Speaks the endpoints chromapipe uses, from a synthetic genome:

* ``GET /info/data`` -> ``{"releases": [N]}``
* ``POST /sequence/region/human`` with ``{"regions": ["21:1..500000", ...]}``
* ``GET /sequence/region/human/21:1..500000``
* ``GET /overlap/region/human/21:1-5000000?feature=gene``

It enforces a rate limit (HTTP 429 with a fractional ``Retry-After``), records
every request with its arrival time, and injects faults on demand: error
statuses (429 with a given ``Retry-After`` too) for the first N matching
requests (or for ever), slow answers, no answer at all (a certain time-out),
JSON cut in half (whole by its ``Content-Length``), a body cut short of its
``Content-Length``, and a refused POST size.
"""

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    """Answer requests whose path contains ``match`` with a fault, ``times`` times (None: always)."""

    match: str
    status: int | None = 500  # None: answer normally (after ``delay``)
    times: int | None = 1
    delay: float = 0.0  # sleep before answering (a slow answer)
    hang: bool = False  # never answer (until the server stops): the client's time-out, whatever the scheduler does
    truncate: bool = False  # a 200 whose JSON body is cut in half, with a Content-Length that says so
    cut: bool = False  # a 200 whose body stops at half its Content-Length, and the connection closes
    retry_after: float | None = None  # with status 429: the Retry-After header
    until: str | None = None  # hold the answer until a request whose path contains this has arrived (60 s at most)
    method: str | None = None
    after: int = 0  # let this many matching requests through first
    drop: bool = False  # a 200 POST /sequence answer without its last region (the server drops failing regions)


class Genome:
    """Sequences and genes by chromosome; sequences may be computed lazily."""

    def __init__(self, sequences, genes, assembly="GRCh37"):
        self.sequences = sequences  # name -> str, or name -> (length, function(start, end) -> str)
        self.genes = genes  # name -> [(id, start, end), ...]
        self.assembly = assembly

    def length(self, name):
        value = self.sequences[name]
        return value[0] if isinstance(value, tuple) else len(value)

    def sequence(self, name, start, end):
        value = self.sequences[name]
        end = min(end, self.length(name))
        if isinstance(value, tuple):
            return value[1](start, end)
        return value[start - 1 : end]


class EnsemblTestServer:
    def __init__(self, genome, max_rps=15, release=87, max_post=50):
        self.genome = genome
        self.max_rps = max_rps
        self.release = release
        self.max_post = max_post
        self.faults = []
        self.log = []  # (time, method, path, status)
        self.retry_after = []  # (time, seconds) of every 429 sent
        self.lock = threading.Lock()
        self._recent = deque()
        self.stopping = threading.Event()
        self.arrived = threading.Condition()
        self.paths = []  # every path in order of arrival
        handler = type("Handler", (_Handler,), {"state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()  # releases the hanging answers
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- what the tests look at -------------------------------------------------------

    def requests(self, prefix=""):
        return [entry for entry in self.log if entry[2].startswith(prefix)]

    def max_per_second(self):
        """Most request arrivals in any one-second window (server clock; see :func:`arrival_bound`)."""
        times = sorted(entry[0] for entry in self.log)
        best, j = 0, 0
        for i, t in enumerate(times):
            while times[j] <= t - 1.0:
                j += 1
            best = max(best, i - j + 1)
        return best

    # -- behaviour --------------------------------------------------------------------

    def admit(self, now):
        """None if the request is within the rate limit, else the seconds to wait."""
        with self.lock:
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if self.max_rps is not None and len(self._recent) >= self.max_rps:
                return self._recent[0] + 1.0 - now
            self._recent.append(now)
            return None

    def hold_until(self, match):
        """Wait until a request whose path contains ``match`` has arrived (60 s at most)."""
        with self.arrived:
            self.arrived.wait_for(lambda: any(match in path for path in self.paths), timeout=60)

    def fault_for(self, method, path):
        with self.lock:
            for fault in self.faults:
                if fault.match in path and (fault.method is None or fault.method == method):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    if fault.times is None:
                        return fault
                    if fault.times > 0:
                        fault.times -= 1
                        return fault
        return None


def arrival_bound(max_rps, clients=1):
    """The most arrivals the server can log in a one-second window from clients limited to ``max_rps``.

    Whatever the scheduler does, for ``clients`` processes that each send one
    request at a time (the next only after the answer to the last) and share
    one :class:`~chromapipe.annotations.ensembl.transport.RateLimiter` (one
    process, or one lock file), the answer is ``max_rps + clients``
    (integer ``max_rps`` below 101), not ``max_rps``.

    Derivation. The limiter grants start times ``s`` at least ``d = 1.01 /
    max_rps`` apart, across all clients. A request granted at ``s`` is sent
    after ``s`` and arrives (is timestamped by the server) at ``a >= s``, after
    any delay at all. A client's next grant comes after the answer to its last
    request, hence after that request's arrival: ``a_prev < s_next``. Take a
    window ``(t - 1, t]`` holding ``n`` arrivals, ``n_c`` of them from client
    ``c``. For each arrival of ``c`` in the window but its first, the grant of
    that request lies between the previous arrival (``> t - 1``) and its own
    (``<= t``): ``n - C`` grants (``C <= clients`` the clients seen) fall in a
    half-open interval of length 1. ``k`` grants spaced ``d`` apart span
    ``(k - 1) d``, so ``(n - C - 1) d < 1``, ``n < max_rps / 1.01 + C + 1``,
    and for integer ``max_rps < 101``: ``n <= max_rps + C``. The bound is
    reached when one arrival is delayed to just before the next grant while
    the next ones arrive at once: so asserting ``<= max_rps`` on server
    timestamps fails by chance. Assumed: the server's clock and the limiter's
    run at the same rate (both are the monotonic clock in one process; across
    processes the limiter uses the wall clock: no clock step during a test),
    and no request times out (a timed-out request may arrive after its retry
    was granted).
    """
    return max_rps + clients


_REGION = re.compile(r"^([0-9XYMT]+):(\d+)(?:\.\.|-)(\d+)(?::-?1)?$")


class _Handler(BaseHTTPRequestHandler):
    state = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, payload, headers=None, truncate=False, cut=False):
        body = json.dumps(payload).encode()
        length = len(body)
        if truncate or cut:
            body = body[: len(body) // 2]
        if truncate:
            length = len(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if cut:
            self.close_connection = True

    def _handle(self, method):
        state = self.state
        now = time.monotonic()
        split = urlsplit(self.path)
        path = split.path
        body = b""
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
        with state.arrived:
            state.paths.append(path)
            state.arrived.notify_all()
        wait = state.admit(now)
        if wait is not None:
            state.log.append((now, method, path, 429))
            state.retry_after.append((now, round(wait, 3)))
            return self._send(429, {"error": "rate limited"}, {"Retry-After": f"{wait:.3f}"})
        fault = state.fault_for(method, path)
        if fault is not None:
            if fault.hang:
                state.log.append((now, method, path, None))
                state.stopping.wait()
                self.close_connection = True
                return None
            if fault.until:
                state.hold_until(fault.until)
            if fault.delay:
                time.sleep(fault.delay)
            if not (fault.truncate or fault.cut or fault.drop) and fault.status is not None:
                state.log.append((now, method, path, fault.status))
                headers = {}
                if fault.retry_after is not None:
                    state.retry_after.append((now, fault.retry_after))
                    headers["Retry-After"] = f"{fault.retry_after:.3f}"
                return self._send(fault.status, {"error": f"injected {fault.status}"}, headers)
        try:
            status, payload = self._route(method, path, parse_qs(split.query), body)
        except LookupError as exc:
            status, payload = 400, {"error": str(exc)}
        if fault is not None and fault.drop and isinstance(payload, list):
            payload = payload[:-1]
        state.log.append((now, method, path, status))
        self._send(status, payload, truncate=bool(fault and fault.truncate), cut=bool(fault and fault.cut))

    def _route(self, method, path, query, body):
        state = self.state
        genome = state.genome
        if path == "/info/data":
            return 200, {"releases": [state.release]}
        if method == "POST" and path == "/sequence/region/human":
            regions = json.loads(body or b"{}").get("regions", [])
            if state.max_post is not None and len(regions) > state.max_post:
                return 400, {"error": f"POST message has {len(regions)} regions, the limit is {state.max_post}"}
            return 200, [self._sequence(region) for region in regions]
        if method == "GET" and path.startswith("/sequence/region/human/"):
            return 200, self._sequence(path.rsplit("/", 1)[1])
        if method == "GET" and path.startswith("/overlap/region/human/"):
            name, start, end = self._parse(path.rsplit("/", 1)[1])
            if query.get("feature") != ["gene"]:
                raise LookupError("feature=gene expected")
            if end - start + 1 > 5_000_000:
                raise LookupError("region too large: 5 Mb at most")
            genes = [
                {"id": gid, "start": s, "end": e, "feature_type": "gene", "assembly_name": genome.assembly,
                 "seq_region_name": name, "strand": 1}
                for gid, s, e in genome.genes.get(name, []) if s <= end and e >= start
            ]  # fmt: skip
            return 200, genes
        raise LookupError(f"no endpoint {method} {path}")

    def _parse(self, region):
        match = _REGION.match(region)
        if not match:
            raise LookupError(f"bad region {region!r}")
        name, start, end = match.group(1), int(match.group(2)), int(match.group(3))
        if name not in self.state.genome.sequences:
            raise LookupError(f"unknown chromosome {name}")
        return name, start, end

    def _sequence(self, region):
        name, start, end = self._parse(region)
        genome = self.state.genome
        return {
            "id": f"chromosome:{genome.assembly}:{name}:{start}:{min(end, genome.length(name))}:1",
            "molecule": "dna",
            "query": region,
            "seq": genome.sequence(name, start, end),
        }

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")


def example_genome(example_dir, assembly="GRCh37"):
    """The embedded example genome (FASTA + GTF) as Ensembl would serve it ("19", "21", "X")."""
    import gzip

    # the whole (bgzip) file read through gzip and split on its headers: the sequences pyfaidx reads (each
    # record's name its header's first word), in a tenth of the time (pyfaidx seeks through the BGZF blocks)
    with gzip.open(example_dir / "genome.fa.gz", "rt") as handle:
        records = handle.read().split(">")[1:]
    sequences = {}
    for record in records:
        header, _, body = record.partition("\n")
        sequences[header.split()[0].removeprefix("chr")] = body.replace("\n", "")
    genes = {}
    with gzip.open(example_dir / "genes.gtf.gz", "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if fields[2] == "gene":
                gid = fields[8].split('"')[1]
                genes.setdefault(fields[0], []).append((gid, int(fields[3]), int(fields[4])))
    return Genome(sequences, genes, assembly)
