"""The qhpc access server: a versioned REST API over a durable job store (``qhpc serve``).

Importing this package imports nothing heavy: the FastAPI application lives in
:mod:`qhpc.server.app`, the job executor in :mod:`qhpc.server.executor`; :mod:`qhpc.server.protocol`
(the wire forms shared with the client) and :mod:`qhpc.server.settings` use the standard library
only, so login nodes import ``qhpc`` fast.
"""
