"""Authentication: bearer tokens checked against the store, with a short cache, and repeated
failures from one address slowed down.

After ``auth_failures`` failed attempts in a row, an address is locked for 1 s, then 2 s, 4 s...
(at most 5 minutes) after each further failure; while locked, every authenticated request from it
is answered 429 with ``Retry-After``, a valid token included (otherwise guessing would go on at full
speed). A success resets the count; so does a quarter of an hour without failures.

A checked token is trusted for ``auth_cache_seconds`` (so a revocation takes effect within that
time), keyed by the token's hash: the server keeps no token in memory or in logs.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from ..store.users import Principal, Users, token_hash
from .errors import ApiError

#: Longest lock of an address, and how long failures are remembered.
MAX_LOCK_SECONDS = 300.0
FORGET_SECONDS = 900.0
MAX_TRACKED = 100_000


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class AuthGuard:
    def __init__(self, users: Users, *, free_failures: int = 5, cache_seconds: float = 2.0) -> None:
        self.users = users
        self.free_failures = free_failures
        self.cache_seconds = cache_seconds
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()
        self.failures_total = 0

    def locked_for(self, address: str, now: float | None = None) -> float:
        """Seconds the address must still wait (0: not locked)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._failures.get(address)
            return max(0.0, entry.locked_until - now) if entry is not None else 0.0

    def authenticate(self, token: str | None, address: str) -> Principal:
        """The principal of ``token``, or an :class:`ApiError` (401 unknown, 429 address locked)."""
        now = time.monotonic()
        wait = self.locked_for(address, now)
        if wait > 0:
            raise ApiError(429, f"too many failed authentications from {address}; retry in {math.ceil(wait)} s",
                           {"Retry-After": str(math.ceil(wait))})
        if not token:
            self._failed(address, now)
            raise ApiError(401, "authentication required: send 'Authorization: Bearer TOKEN' (qhpc admin token "
                                "create NAME makes one)", {"WWW-Authenticate": "Bearer"})
        key = token_hash(token)
        principal = self._cached(key, now)
        if principal is None:
            principal = self.users.authenticate(token)
            if principal is None:
                self._failed(address, now)
                raise ApiError(401, "invalid, expired or revoked token", {"WWW-Authenticate": "Bearer"})
            with self._lock:
                self._cache[key] = (principal, now)
                if len(self._cache) > MAX_TRACKED:
                    self._cache.popitem(last=False)
        with self._lock:
            self._failures.pop(address, None)
        return principal

    def _cached(self, key: str, now: float) -> Principal | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            principal, checked = hit
            if now - checked > self.cache_seconds or (
                    principal.expires_at is not None and principal.expires_at <= time.time()):
                del self._cache[key]
                return None
            return principal

    def _failed(self, address: str, now: float) -> None:
        with self._lock:
            self.failures_total += 1
            entry = self._failures.get(address)
            if entry is None or now - entry.last > FORGET_SECONDS:
                entry = _Failures()
            entry.count += 1
            entry.last = now
            if entry.count >= self.free_failures:
                entry.locked_until = now + min(2.0 ** (entry.count - self.free_failures), MAX_LOCK_SECONDS)
            self._failures[address] = entry
            self._failures.move_to_end(address)
            if len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)
