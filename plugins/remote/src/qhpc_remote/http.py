"""Talking to a peer site's qhpc server: time limits, retries with backoff, and a circuit breaker.

Every request has the peer's time limit (``[peers.NAME] timeout``). A network error, a time-out,
a 5xx or a 429 is retried ``retries`` times, after ``backoff``, ``2 x backoff``... seconds (a 429's
``Retry-After`` is honoured when shorter than the time limit). Network errors and 5xx count as
failures of the peer; ``failure_threshold`` of them in a row *open* the breaker: for
``reset_seconds`` every request fails at once, without touching the network (a peer that is down
costs its users nothing but a clear error). Then one request is let through (*half-open*): if it
succeeds the breaker closes, else it opens again. A 4xx is the peer's answer, not a failure: it
is raised at once with the peer's message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from qhpc import __version__
from qhpc.client import tls_verify
from qhpc.resources import ResourceError
from qhpc.server.settings import PeerSettings


class PeerUnavailableError(ResourceError):
    """The peer cannot be reached now (down, failing, or its breaker is open)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


class CircuitBreaker:
    """Closed -> open after ``threshold`` failures in a row -> half-open after ``reset_seconds``."""

    def __init__(self, threshold: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self.opened_at is None:
                return "closed"
            return "half-open" if self.clock() - self.opened_at >= self.reset_seconds else "open"

    def admit(self) -> float | None:
        """``None`` if a request may go now, else the seconds until the breaker lets one through."""
        with self._lock:
            if self.opened_at is None:
                return None
            waited = self.clock() - self.opened_at
            if waited < self.reset_seconds:
                return self.reset_seconds - waited
            if self._trial:  # one trial at a time while half-open
                return 0.5
            self._trial = True
            return None

    def success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self._trial or self.failures >= self.threshold:
                self.opened_at = self.clock()
            self._trial = False


class PeerClient:
    """HTTP to one peer with its token, time limit, retries and breaker."""

    def __init__(self, peer: PeerSettings, token: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.peer = peer
        self.name = peer.name
        self.sleep = sleep
        self.breaker = CircuitBreaker(peer.failure_threshold, peer.reset_seconds)
        self._http = httpx.Client(base_url=peer.url, timeout=peer.timeout, verify=tls_verify(peer.ca_file or True),
                                  headers={"Authorization": f"Bearer {token}", "User-Agent": f"qhpc-remote/{__version__}"})

    def request(self, method: str, path: str, *, json: Any = None, params: Any = None, timeout: float | None = None,
                ok: Sequence[int] = (200, 201), retries: int | None = None) -> httpx.Response:
        retries = self.peer.retries if retries is None else retries
        last = "no attempt made"
        for attempt in range(retries + 1):
            if attempt:
                self.sleep(self.peer.backoff * 2 ** (attempt - 1))
            wait = self.breaker.admit()
            if wait is not None:
                raise PeerUnavailableError(f"peer {self.name} is unavailable (circuit breaker open after "
                                           f"{self.breaker.failures} failures; next try in {wait:.1f} s): {last}")
            try:
                response = self._http.request(method, path, json=json, params=params,
                                              timeout=self.peer.timeout if timeout is None else timeout)
            except httpx.TransportError as exc:
                self.breaker.failure()
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if response.status_code >= 500:
                self.breaker.failure()
                last = f"HTTP {response.status_code}: {_message(response)}"
                continue
            self.breaker.success()
            if response.status_code == 429 and attempt < retries:
                last = f"HTTP 429: {_message(response)}"
                retry_after = response.headers.get("retry-after", "")
                if retry_after.isdigit() and float(retry_after) <= self.peer.timeout:
                    self.sleep(float(retry_after))
                continue
            if response.status_code in ok:
                return response
            raise ResourceError(f"peer {self.name} refused {method} {path}: HTTP {response.status_code}: "
                                f"{_message(response)}")
        raise PeerUnavailableError(f"peer {self.name} ({self.peer.url}) did not answer after {retries + 1} "
                                   f"attempt(s): {last}")

    def close(self) -> None:
        self._http.close()


def _message(response: httpx.Response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    return str(doc.get("error", doc)) if isinstance(doc, dict) else str(doc)[:300]
