"""Logging of the server's processes: one line per record, with time, process and logger.

Nothing logged names a token or holds a program: requests are logged by job id and user name.
"""

from __future__ import annotations

import logging
import sys


def configure_logging(process: str, *, access_log: bool = False) -> None:
    """Log lines with time and process to stderr: qhpc's and uvicorn's at INFO, libraries' warnings;
    with ``access_log``, one line a request (its path without the query string, which could hold
    what a client should not have put there, a token)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                        format=f"%(asctime)s {process} %(levelname)s %(name)s: %(message)s")
    for name in ("qhpc", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.INFO)
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO if access_log else logging.WARNING)
    if not any(isinstance(f, _NoQuery) for f in access.filters):
        access.addFilter(_NoQuery())


class _NoQuery(logging.Filter):
    """Drops the query string from uvicorn's access lines (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True
