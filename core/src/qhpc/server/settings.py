"""Settings of the access server, its quotas and sessions, remote peers and the client.

The sections below join the site configuration (:mod:`qhpc.config`) and are checked the same way:
an unknown key, a wrong type or an out-of-range value is a :class:`~qhpc.errors.ConfigError`
naming the file and the key. Importing this module imports nothing beyond the standard library::

    [server]
    database = "sqlite:////var/lib/qhpc/jobs.db"   # or postgresql://user@host/qhpc
    host = "127.0.0.1"
    port = 8750
    tls_cert = "/etc/qhpc/tls/cert.pem"          # TLS when both are given
    tls_key = "/etc/qhpc/tls/key.pem"
    max_body_bytes = 4194304                     # larger requests are refused (413)
    max_batch = 100                              # jobs in one batch submission
    max_attempts = 3                             # runs of a job interrupted by a crash
    auth_failures = 5                            # failed authentications before slowing an address
    auth_cache_seconds = 2.0                     # how long a checked token is trusted (revocation delay)
    metrics_public = false                       # /metrics without an admin token
    access_log = false
    result_wait_max = 30.0                       # longest wait of GET /v1/jobs/ID/result?wait=
    warm_up = true                               # read every backend's capabilities at start
    executor_nice = 19                           # the executor's niceness: submissions answered first
    executor_idle = true                         # and Linux's SCHED_IDLE policy for it (but its store thread)
    drain_seconds = 10.0                         # SIGTERM: how long running jobs may take to finish

    [quotas]                                     # per user; users.NAME overrides any of them
    max_queued = 1000                            # queued and running jobs at once
    max_qubits = 64
    max_shots = 1000000
    qpu_seconds_per_day = 3600.0
    [quotas.users.alice]
    qpu_seconds_per_day = 7200.0

    [sessions]
    idle_timeout = 300.0                         # seconds without jobs before a session ends
    max_lifetime = 28800.0

    [peers.siteB]                                # another qhpc server whose backends run here as siteB.NAME
    url = "https://qhpc.site-b.example:8750"
    token_file = "/etc/qhpc/peers/siteB.token"
    ca_file = "/etc/qhpc/peers/siteB-ca.pem"     # optional: the peer's CA for TLS
    timeout = 10.0                               # seconds per request
    retries = 3                                  # retries of a failed request, with backoff
    backoff = 0.5                                # first retry delay (doubles each time)
    failure_threshold = 5                        # failures in a row that open the circuit breaker
    reset_seconds = 30.0                         # how long the breaker stays open
    backends = ["ibm_perth"]                     # optional: only these (listed even if the peer is down)

    [client]                                     # a user's defaults for qhpc.connect and qhpc run --server
    url = "https://qhpc.example:8750"
    token_file = "~/.config/qhpc/token"          # must be readable by its owner only
    ca_file = "/etc/qhpc/ca.pem"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ConfigError

#: Sections this module reads, and their keys.
SECTIONS: dict[str, set[str]] = {
    "server": {"database", "host", "port", "tls_cert", "tls_key", "max_body_bytes", "max_batch", "max_attempts",
               "auth_failures", "auth_cache_seconds", "metrics_public", "access_log", "result_wait_max",
               "warm_up", "executor_nice", "executor_idle", "drain_seconds"},
    "quotas": {"max_queued", "max_qubits", "max_shots", "qpu_seconds_per_day", "users"},
    "sessions": {"idle_timeout", "max_lifetime"},
    "peers": set(),  # any peer name, each a table of PEER_KEYS
    "client": {"url", "token_file", "ca_file"},
}
PEER_KEYS = {"url", "token_file", "ca_file", "timeout", "retries", "backoff", "failure_threshold", "reset_seconds",
             "backends"}
QUOTA_KEYS = ("max_queued", "max_qubits", "max_shots", "qpu_seconds_per_day")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ServerSettings:
    database: str | None = None  # None: sqlite in the state directory (see qhpc.store.default_url)
    host: str = "127.0.0.1"
    port: int = 8750
    tls_cert: str | None = None
    tls_key: str | None = None
    max_body_bytes: int = 4 * 1024 * 1024
    max_batch: int = 100
    max_attempts: int = 3
    auth_failures: int = 5
    auth_cache_seconds: float = 2.0
    metrics_public: bool = False
    access_log: bool = False
    result_wait_max: float = 30.0
    warm_up: bool = True
    executor_nice: int = 19
    executor_idle: bool = True
    #: on SIGTERM, how long the executor lets running jobs finish before it exits (a QPU job
    #: still running then is failed when the server restarts: it may have used the device)
    drain_seconds: float = 10.0


@dataclass(frozen=True)
class Quota:
    """Limits for one user (``None``: no limit)."""

    max_queued: int | None = 1000
    max_qubits: int | None = None
    max_shots: int | None = None
    qpu_seconds_per_day: float | None = None


@dataclass(frozen=True)
class QuotaSettings:
    default: Quota = field(default_factory=Quota)
    users: Mapping[str, Quota] = field(default_factory=dict)

    def for_user(self, name: str) -> Quota:
        return self.users.get(name, self.default)


@dataclass(frozen=True)
class SessionSettings:
    idle_timeout: float = 300.0
    max_lifetime: float = 8 * 3600.0


@dataclass(frozen=True)
class PeerSettings:
    name: str
    url: str
    token_file: str | None = None
    ca_file: str | None = None
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    failure_threshold: int = 5
    reset_seconds: float = 30.0
    backends: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ClientSettings:
    url: str | None = None
    token_file: str | None = None
    ca_file: str | None = None


@dataclass(frozen=True)
class ServiceSettings:
    """Everything this module parses (attached to :class:`qhpc.config.Settings`)."""

    server: ServerSettings = field(default_factory=ServerSettings)
    quotas: QuotaSettings = field(default_factory=QuotaSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    peers: Mapping[str, PeerSettings] = field(default_factory=dict)
    client: ClientSettings = field(default_factory=ClientSettings)


# -- checking values ----------------------------------------------------------------------------


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key} {message}")

    def table(self, key: str, value: Any, known: set[str] | None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a table, not {type(value).__name__}")
        if known is not None:
            unknown = sorted(set(value) - known)
            if unknown:
                raise ConfigError(f"{self.source}: {key}.{unknown[0]}: unknown setting "
                                  f"(known in [{key}]: {', '.join(sorted(known))})")
        return value

    def text(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, not {value!r}")
        return value

    def url(self, key: str, value: Any) -> str:
        text = self.text(key, value)
        if not re.match(r"^https?://[^\s/]+", text):
            raise self.fail(key, f"must be an http:// or https:// URL, not {value!r}")
        return text.rstrip("/")

    def whole(self, key: str, value: Any, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise self.fail(key, f"must be a whole number {bound}, not {value!r}")
        return value

    def seconds(self, key: str, value: Any, *, allow_zero: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value == float("inf"):
            raise self.fail(key, f"must be a number of seconds, not {value!r}")
        if value < 0 or (value == 0 and not allow_zero):
            raise self.fail(key, f"must be {'at least 0' if allow_zero else 'positive'}, not {value!r}")
        return float(value)

    def flag(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value


def _apply(base: Any, data: Mapping[str, Any], converters: Mapping[str, Callable[[str, Any], Any]],
           prefix: str) -> Any:
    changes = {key: converters[key](f"{prefix}.{key}", value) for key, value in data.items() if key in converters}
    return replace(base, **changes) if changes else base


def _quota(check: _Checker, base: Quota, data: Mapping[str, Any], prefix: str) -> Quota:
    converters: dict[str, Callable[[str, Any], Any]] = {
        "max_queued": lambda k, v: check.whole(k, v, 1),
        "max_qubits": lambda k, v: check.whole(k, v, 1),
        "max_shots": lambda k, v: check.whole(k, v, 1),
        "qpu_seconds_per_day": lambda k, v: check.seconds(k, v, allow_zero=True),
    }
    return _apply(base, data, converters, prefix)  # type: ignore[no-any-return]


def parse_sections(data: Mapping[str, Any], source: str, base: ServiceSettings) -> ServiceSettings:
    """``base`` with the sections of ``data`` this module reads laid over it, key by key."""
    check = _Checker(source)
    out = base
    if "server" in data:
        section = check.table("server", data["server"], SECTIONS["server"])
        converters: dict[str, Callable[[str, Any], Any]] = {
            "database": check.text, "host": check.text, "tls_cert": check.text, "tls_key": check.text,
            "port": lambda k, v: check.whole(k, v, 0, 65535),
            "max_body_bytes": lambda k, v: check.whole(k, v, 1024),
            "max_batch": lambda k, v: check.whole(k, v, 1, 10_000),
            "max_attempts": lambda k, v: check.whole(k, v, 1, 100),
            "auth_failures": lambda k, v: check.whole(k, v, 1),
            "auth_cache_seconds": lambda k, v: check.seconds(k, v, allow_zero=True),
            "metrics_public": check.flag, "access_log": check.flag, "warm_up": check.flag, "executor_idle": check.flag,
            "result_wait_max": lambda k, v: check.seconds(k, v),
            "drain_seconds": lambda k, v: check.seconds(k, v, allow_zero=True),
            "executor_nice": lambda k, v: check.whole(k, v, 0, 19),
        }
        server = _apply(out.server, section, converters, "server")
        if (server.tls_cert is None) != (server.tls_key is None):
            raise ConfigError(f"{source}: server.tls_cert and server.tls_key must be given together")
        out = replace(out, server=server)
    if "quotas" in data:
        section = check.table("quotas", data["quotas"], SECTIONS["quotas"])
        default = _quota(check, out.quotas.default, section, "quotas")
        users = dict(out.quotas.users)
        for name, values in check.table("quotas.users", section.get("users", {}), None).items():
            if not _NAME.match(str(name)):
                raise check.fail(f"quotas.users.{name}", "is not a valid user name")
            table = check.table(f"quotas.users.{name}", values, set(QUOTA_KEYS))
            users[name] = _quota(check, users.get(name, default), table, f"quotas.users.{name}")
        out = replace(out, quotas=QuotaSettings(default=default, users=users))
    if "sessions" in data:
        section = check.table("sessions", data["sessions"], SECTIONS["sessions"])
        out = replace(out, sessions=_apply(out.sessions, section, {
            "idle_timeout": check.seconds, "max_lifetime": check.seconds}, "sessions"))
    if "peers" in data:
        peers = dict(out.peers)
        for name, values in check.table("peers", data["peers"], None).items():
            if not _NAME.match(str(name)) or "." in str(name):
                raise check.fail(f"peers.{name}", "is not a valid peer name (letters, digits, - and _)")
            table = check.table(f"peers.{name}", values, PEER_KEYS)
            previous = peers.get(name)
            if previous is None:
                if "url" not in table:
                    raise check.fail(f"peers.{name}.url", "is required")
                previous = PeerSettings(name=name, url=check.url(f"peers.{name}.url", table["url"]))
            peers[name] = _apply(previous, table, {
                "url": check.url, "token_file": check.text, "ca_file": check.text,
                "timeout": check.seconds, "backoff": lambda k, v: check.seconds(k, v, allow_zero=True),
                "retries": lambda k, v: check.whole(k, v, 0, 20),
                "failure_threshold": lambda k, v: check.whole(k, v, 1),
                "reset_seconds": check.seconds,
                "backends": lambda k, v: _names(check, k, v),
            }, f"peers.{name}")
        out = replace(out, peers=peers)
    if "client" in data:
        section = check.table("client", data["client"], SECTIONS["client"])
        out = replace(out, client=_apply(out.client, section, {
            "url": check.url, "token_file": check.text, "ca_file": check.text}, "client"))
    return out


def _names(check: _Checker, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise check.fail(key, "must be a list of backend names")
    return tuple(value)
