"""Logging of the server's processes: one line per record, with time, process and logger.

Nothing logged names a token or holds a program: requests are logged by job id and user name.
"""

from __future__ import annotations

import logging
import sys


def configure_logging(process: str) -> None:
    """Log lines with time and process to stderr: qhpc's and uvicorn's at INFO, libraries' warnings."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                        format=f"%(asctime)s {process} %(levelname)s %(name)s: %(message)s")
    for name in ("qhpc", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.INFO)
