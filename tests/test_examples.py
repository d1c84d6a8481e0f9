"""Every example runs as documented (the README and `make demo` rely on them)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import EXAMPLES, ROOT


def test_first_circuit_example() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "first_circuit.py")], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    first_line = done.stdout.splitlines()[0]
    assert "'000'" in first_line and "'111'" in first_line


@pytest.mark.slow
def test_make_demo_script() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "1011" in done.stdout and "aer.matrix_product_state" in done.stdout
