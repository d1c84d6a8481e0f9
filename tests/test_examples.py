"""Every example runs as documented (the README and `make demo` rely on them)."""

from __future__ import annotations

import re
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
    error = re.search(r"h2_2q: energy .* error ([0-9.]+) mHa", done.stdout)
    assert error is not None and float(error.group(1)) < 1.6  # chemical accuracy against the shipped exact energy
    assert "dwave.sa" in done.stdout and "qaoa" in done.stdout.lower()


def test_vqe_h2_example_reaches_chemical_accuracy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plot = tmp_path / "h2.png"
    done = subprocess.run([sys.executable, str(EXAMPLES / "vqe_h2.py"), "--plot", str(plot)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "within chemical accuracy" in done.stdout and plot.stat().st_size > 1000
