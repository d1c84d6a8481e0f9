from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from qhpc import Integrator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def integrator() -> Iterator[Integrator]:
    with Integrator() as it:
        yield it


def qhpc_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would (a fresh process)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("QHPC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "qhpc", *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=300)
