"""The qhpc plugin for remote peers (entry point ``remote`` in the ``qhpc.plugins`` group).

For each ``[peers.NAME]`` of the configuration it lists the peer server's backends (one request,
within the peer's time limit) and offers each as ``NAME.BACKEND``, with the peer's ``kind`` and
``location = "remote"``. Backends the peer itself reaches remotely are not offered again (no
loops between sites). A peer that does not answer at start is reported in the log; its
``backends = [...]``, when configured, are offered anyway (as QPUs: ``auto`` leaves them alone),
and are refused as unavailable until it answers (their capabilities unknown, a job cannot be
compiled for them, so a ``fallback`` option applies only once they have been read). A peer with
no ``backends`` configured that is down at start offers nothing at first; it is asked again
(:func:`qhpc_late_backends`) when backends are listed and when a name is not found, and its
backends are offered from its first answer on.

Importing this module imports neither httpx nor the client: they load when the hook runs.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from qhpc import hookimpl
from qhpc.interfaces import Backend

log = logging.getLogger("qhpc.remote")


def _site_name() -> str:
    return os.environ.get("QHPC_SITE") or os.uname().nodename


def peer_backends(peer: Any, *, timeout: float | None = None, late: bool = False) -> list[Backend]:
    """The backends of one configured peer (empty, with a logged reason, if it cannot be used);
    ``timeout``: at most this many seconds for the listing (default: the peer's own time limit);
    ``late``: asked again after start, for a peer that did not answer then (its failures are not
    logged again, and its configured ``backends`` are not offered unread: they were at start)."""
    from qhpc.client import read_token
    from qhpc.errors import QhpcError
    from qhpc.resources import ResourceError

    from .backend import PeerBackend
    from .http import PeerClient
    from .peer import PeerResource

    try:
        token = read_token(peer.token_file) if peer.token_file else os.environ.get(
            f"QHPC_PEER_TOKEN_{peer.name.upper().replace('-', '_')}", "")
        if not token:
            raise QhpcError(f"peers.{peer.name}: no token_file configured")
    except QhpcError as exc:
        (log.debug if late else log.warning)("peer %s is left out: %s", peer.name, exc)
        return []
    client = PeerClient(peer, token)
    try:
        wait = peer.timeout if timeout is None else max(0.1, min(peer.timeout, timeout))
        listed = client.request("GET", "/v1/backends", retries=0, timeout=wait).json()["backends"]
    except (ResourceError, KeyError, ValueError) as exc:
        if late:
            log.debug("peer %s (%s) still lists no backends: %s", peer.name, peer.url, exc)
            client.close()
            return []
        if not peer.backends:
            log.warning("peer %s (%s) lists no backends now: %s", peer.name, peer.url, exc)
            return []
        log.warning("peer %s (%s) does not answer (%s); offering its configured backends %s", peer.name, peer.url,
                    exc, ", ".join(peer.backends))
        listed = [{"name": name, "kind": "qpu"} for name in peer.backends]
    out: list[Backend] = []
    for doc in listed:
        name = doc.get("name")
        caps = doc.get("capabilities") or {}
        if not isinstance(name, str) or caps.get("location") == "remote":
            continue
        if peer.backends is not None and name not in peer.backends:
            continue
        kind = "qpu" if doc.get("kind") == "qpu" else "emulator"
        resource = PeerResource(client, name, kind, doc if caps else None, site=_site_name())
        out.append(PeerBackend.of(f"{peer.name}.{name}", resource,
                                  description=f"{doc.get('description') or name} at peer {peer.name}"))
    if late and out:
        log.info("peer %s (%s) answers now; offering %s", peer.name, peer.url, ", ".join(b.name for b in out))
    return out


@hookimpl
def qhpc_backends() -> list[Backend]:
    from qhpc.config import load_settings

    out: list[Backend] = []
    for peer in load_settings().service.peers.values():
        out.extend(peer_backends(peer))
    return out


@hookimpl
def qhpc_late_backends(known: frozenset[str], timeout: float) -> list[Backend]:
    """The backends of peers that offer none yet (down when this process started), if they answer now."""
    from qhpc.config import load_settings

    out: list[Backend] = []
    for peer in load_settings().service.peers.values():
        prefix = f"{peer.name}."
        if any(name.startswith(prefix) for name in known):
            continue  # listed at start, or offered from its configured names
        out.extend(b for b in peer_backends(peer, timeout=timeout, late=True) if b.name not in known)
    return out
