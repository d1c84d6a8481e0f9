"""examples/analog_rydberg.py runs as documented, and what it prints agrees with the physics."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_analog_example_scans_rabi_and_prepares_the_antiferromagnet(tmp_path: Path) -> None:
    plot = tmp_path / "rydberg.png"
    env = {**os.environ, "QHPC_PLUGINS": "builtin,pulser", "QHPC_CONFIG": os.devnull}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "analog_rydberg.py"), "--points", "5", "--shots",
                           "1000", "--atoms", "4", "--plot", str(plot)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    worst = float(re.search(r"largest difference ([0-9.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    assert worst < 0.07  # 4.5 sigma of 1000 shots at p = 1/2 is 0.071
    share = float(re.search(r"in ([0-9.]+)% of the shots", done.stdout).group(1))  # type: ignore[union-attr]
    assert share > 80
    assert plot.stat().st_size > 10_000
