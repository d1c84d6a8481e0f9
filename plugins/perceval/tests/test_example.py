"""examples/photonic_hom.py runs as documented, and what it prints agrees with the physics:
no coincidences for identical photons, a rate (1 - M) / 2 for indistinguishability M."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._optics import within_binomial

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "QHPC_PLUGINS": "builtin,perceval", "QHPC_CONFIG": os.devnull}


@pytest.mark.slow
def test_the_hom_example_prints_the_dip_and_plots_it(tmp_path: Path) -> None:
    plot = tmp_path / "hom.png"
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "photonic_hom.py"), "--shots", "2000", "--points",
                           "3", "--plot", str(plot)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env=ENV)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [float(r[0]) for r in rows] == [0.0, 0.5, 1.0]
    assert int(rows[0][1]) == 0  # identical photons never coincide
    for d, coincidences in ((float(r[0]), int(r[1])) for r in rows):
        assert within_binomial(coincidences, 2000, d / 2)
    assert plot.stat().st_size > 1000
