"""qhpc-remote: the backends of a peer site's qhpc server as this site's remote backends.

:class:`~qhpc_remote.peer.PeerResource` implements :class:`qhpc.resources.QuantumResource` (the
QRMI-shaped resource interface) over the peer's REST API; :class:`~qhpc_remote.backend.PeerBackend`
is the bridge to a qhpc backend, with the fallback a user may ask for.
"""

__version__ = "0.1.0"
