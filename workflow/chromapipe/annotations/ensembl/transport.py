"""HTTP for the Ensembl REST client: the rate limit and one retry layer.

Every attempt, first tries and retries alike, passes the :class:`RateLimiter`
first, so no more than ``max_rps`` request starts fall in any one-second window
(across processes, with a shared lock file).

Retries are urllib3's :class:`~urllib3.util.retry.Retry`, one object per
request and nothing else: 429 and 5xx answers, connection errors, time-outs and
bodies cut short of their ``Content-Length`` are retried by urllib3 itself; a
body that arrives whole but is not JSON is mapped onto the same object as a
read error (:class:`UnreadableBody`), so it spends the same budget and is
counted the same way, once per retry. ``Retry-After`` is honoured to the
millisecond (urllib3 reads only whole seconds or dates).

:meth:`Transport.request` returns decoded JSON or raises :class:`RestError`,
which carries the HTTP status (None when no answer came) and the server's
message: callers decide on fallbacks from ``status``, never from a response.
"""

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import urllib3
from requests.certs import where as ca_bundle
from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from ... import __version__
from ...errors import ChromapipeError, InputError

log = logging.getLogger("chromapipe")

RETRY_STATUSES = (429, 500, 502, 503, 504)


class RestError(ChromapipeError):
    """A request failed for good: after every retry, or with a status that is not retried.

    Parameters
    ----------
    message : str
        The whole message: what was asked, of which host, and what went wrong.
    status : int or None
        The last HTTP status; None if the server never answered.
    detail : str
        The server's own message (the start of its answer), or the last error.
    """

    def __init__(self, message, status=None, detail="", timed_out=False):
        super().__init__(message)
        self.status = status
        self.detail = detail
        #: The server never finished answering within the read time-out.
        self.timed_out = timed_out


class UnreadableBody(ProtocolError):
    """A complete answer that is not JSON: a read error to urllib3's ``Retry``."""


@dataclass
class Stats:
    """What the client did, for the job log."""

    requests: int = 0
    retried: int = 0
    cached: int = 0
    fetched: int = 0
    waited: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name, value=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + value)

    def summary(self):
        return (
            f"{self.requests} requests made ({self.retried} retried), {self.fetched} regions fetched, "
            f"{self.cached} regions from the cache, {self.waited:.2f} s waited for the rate limit"
        )


class RateLimiter:
    """At most ``max_rps`` request starts in any one-second window.

    Request starts are spaced at least ``1.01 / max_rps`` seconds apart (a 1 %
    margin), which bounds every window. With ``shared`` (a file path), the
    spacing holds across every process using that file (jobs of several
    chromosomes sharing one cache): the next allowed start is kept in the file
    under an exclusive lock, on the wall clock (the one clock processes share).

    Parameters
    ----------
    max_rps : float
        Request starts per second, at most.
    stats : Stats
        Counts every start (``requests``) and the time waited (``waited``).
    shared : str, optional
        The lock file shared by cooperating processes.
    clock, sleep : callable, optional
        Time source and pause (for tests); default ``time.monotonic`` (or
        ``time.time`` with ``shared``) and ``time.sleep``.

    Notes
    -----
    The next allowed start is never more than one interval ahead of a clock
    that runs forward, so a stored value further ahead (a clock set back, a
    file from before a reboot) is taken as one interval ahead, not waited for.
    """

    def __init__(self, max_rps, stats, shared=None, clock=None, sleep=time.sleep):
        if not max_rps > 0:
            raise InputError(f"--max-rps must be positive, got {max_rps}")
        self.interval = 1.01 / max_rps
        self.next_start = 0.0
        self.lock = threading.Lock()
        self.stats = stats
        self.shared = shared
        self.clock = clock or (time.time if shared else time.monotonic)
        self.sleep = sleep
        if shared:
            os.makedirs(os.path.dirname(shared), exist_ok=True)

    def wait(self):
        """Return when the next request may start (and count it)."""
        with self.lock:
            if self.shared:
                self._wait_shared()
            else:
                self.next_start = self._pause(self.next_start)
        self.stats.add("requests")

    def _pause(self, next_start):
        """Sleep until ``next_start``; the start after this one."""
        now = self.clock()
        delay = min(next_start - now, self.interval)
        if delay > 0:
            self.sleep(delay)
            self.stats.add("waited", delay)
            now += delay
        return now + self.interval

    def _wait_shared(self):
        import fcntl

        fd = os.open(self.shared, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            try:
                next_start = float(raw)
            except ValueError:
                next_start = 0.0
            next_start = self._pause(next_start)
            os.ftruncate(fd, 0)
            os.pwrite(fd, repr(next_start).encode(), 0)
        finally:
            os.close(fd)  # releases the lock


class LimitedRetry(Retry):
    """urllib3's Retry, plus fractional ``Retry-After``, a count and the rate limiter before every retry."""

    limiter = None
    stats = None

    def new(self, **kw):
        retry = super().new(**kw)
        retry.limiter, retry.stats = self.limiter, self.stats
        return retry

    def parse_retry_after(self, retry_after):
        try:
            seconds = float(retry_after)
        except ValueError:
            return super().parse_retry_after(retry_after)
        return min(max(seconds, 0.0), self.retry_after_max)

    def sleep(self, response=None):
        # called once before each retry is sent, by urllib3 and by Transport.request alike
        if self.stats is not None:
            self.stats.add("retried")
        super().sleep(response)
        if self.limiter is not None:
            self.limiter.wait()


class Transport:
    """JSON over HTTP(S) from one host: rate-limited, retried, TLS always verified.

    Parameters
    ----------
    host : str
        Base URL, without a trailing slash.
    limiter : RateLimiter
    stats : Stats
    timeout : float
        Seconds to wait for a connection and for each read.
    retries : int
        Retries of one request, at most, whatever went wrong.
    backoff : float
        Waits of ``backoff x 2^(n-1)`` seconds between retries (capped at 30 s),
        unless the server says how long with ``Retry-After``.
    """

    def __init__(self, host, limiter, stats, timeout=30.0, retries=6, backoff=0.5):
        self.host = host
        self.limiter = limiter
        self.retries = retries
        self.read_timeout = timeout
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.retry = LimitedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=0,  # REST answers are never redirects: one would be reported, not followed
            allowed_methods=None,  # POST /sequence is a read: retry it too
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            backoff_max=30,
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer comes back, so its status can be reported
            raise_on_redirect=False,
        )
        self.retry.limiter, self.retry.stats = limiter, stats
        # TLS verification is never turned off; the CA bundle is the one requests uses (certifi's)
        self.pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=ca_bundle())
        self.headers = {"Accept": "application/json", "User-Agent": f"chromapipe/{__version__} (+REST annotations)"}

    def request(self, method, path, what, params=None, payload=None, read_timeout=None, read_retries=None):
        """The decoded JSON answer of ``method path``, or :class:`RestError` naming ``what``.

        ``params`` go into the query string, ``payload`` is sent as a JSON body.
        ``read_timeout`` (seconds) replaces the default for this request (an answer's
        size decides how long it may take); ``read_retries`` caps the retries of
        read errors (time-outs, cut answers) below the overall budget.
        """
        url = self.host + path + ("?" + urlencode(params) if params else "")
        headers = dict(self.headers)
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        retry = self.retry if read_retries is None else self.retry.new(read=read_retries)
        timeout = self.timeout if read_timeout is None else urllib3.Timeout(connect=self.timeout.connect_timeout,
                                                                             read=read_timeout)  # fmt: skip
        self.limiter.wait()  # the first attempt; each retry waits in LimitedRetry.sleep
        while True:
            try:
                response = self.pool.request(
                    method, url, body=body, headers=headers, retries=retry, redirect=False, timeout=timeout
                )
                if response.status != 200:
                    raise self._status_error(what, response)
                try:
                    return json.loads(response.data)
                except ValueError as exc:
                    retry = response.retries.increment(method, url, error=UnreadableBody(f"unreadable JSON ({exc})"))
                    log.warning("%s: unreadable JSON (%s), retrying", what, exc)
                retry.sleep()
            except MaxRetryError as exc:
                reason = str(exc.reason)[:200]
                timed_out = isinstance(exc.reason, ReadTimeoutError)
                retries = read_retries if timed_out and read_retries is not None else self.retries
                raise RestError(
                    f"{what}: no answer from {self.host} after {retries} retries (last error: {reason})",
                    detail=reason,
                    timed_out=timed_out,
                ) from None

    def _status_error(self, what, response):
        detail = response.data.decode("utf-8", "replace").strip().replace("\n", " ")[:200]
        retried = len(response.retries.history) if response.retries else 0
        return RestError(
            f"{what}: HTTP {response.status} from {self.host} after {retried} retries ({detail or 'no message'})",
            status=response.status,
            detail=detail,
        )
