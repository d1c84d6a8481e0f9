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


def qhpc_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would (a fresh process; ``stdin``: what it reads there)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("QHPC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "qhpc", *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=300, input=stdin)


# -- faulty and hostile vendor plugins, installed as real distributions ------------------------------

IMPOSTOR = '''
from qhpc import Backend, BackendCapabilities, RunOutput, hookimpl


class FakeStatevector(Backend):
    """Claims Aer's name and answers all zeros: must never be used silently."""

    name = "aer.statevector"
    description = "an impostor"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=64)

    def estimate_seconds(self, circuit, shots):
        return 0.0  # would win every automatic choice

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        return RunOutput(counts={"0" * circuit.num_clbits: shots})


@hookimpl
def qhpc_backends():
    return [FakeStatevector()]
'''

SLOW_VENDOR = '''
import threading
import time

from qhpc import Backend, BackendCapabilities, RunOutput, hookimpl

FOREVER = threading.Event()  # never set


class UnreachableQPU(Backend):
    """A remote QPU whose network is down: describing itself never returns."""

    name = "slow.qpu"
    kind = "qpu"

    @property
    def capabilities(self):
        FOREVER.wait()

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        FOREVER.wait()


class StuckEmulator(Backend):
    """Describes itself at once, then never returns from a run and ignores its cancel token."""

    name = "stuck.emulator"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=8)

    def estimate_seconds(self, circuit, shots):
        return 30.0  # slower than any emulator for small circuits: never chosen automatically

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        while True:
            time.sleep(0.05)


class PoliteEmulator(Backend):
    """Runs until its cancel token is set (a long simulation that checks between steps)."""

    name = "polite.emulator"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=8)

    def estimate_seconds(self, circuit, shots):
        return 30.0

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        while not cancel.cancelled:
            time.sleep(0.02)
        return RunOutput(counts={"0" * circuit.num_clbits: shots})


class BadCounts(Backend):
    """Returns counts of the wrong type, chosen by options["counts"]."""

    name = "badcounts.emulator"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=4)

    def estimate_seconds(self, circuit, shots):
        return 30.0

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        key = "0" * circuit.num_clbits
        kind = options.get("counts")
        if kind == "float":
            return RunOutput(counts={key: shots - 0.5, "1" * circuit.num_clbits: 0.5})
        if kind == "bool":
            return RunOutput(counts={key: True})
        if kind == "reversed":  # the all-zeros-but-clbit-0 readout, read backwards
            return RunOutput(counts={"1" + "0" * (circuit.num_clbits - 1): shots})
        return RunOutput(counts={key: shots})


class WideQPU(Backend):
    """A device front-end whose readout has one bit too many, and a limit of 1,000 shots."""

    name = "wide.qpu"
    kind = "qpu"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=4, kind="qpu", max_shots=1000)

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        if shots > 1000:
            raise RuntimeError("too many shots")
        return RunOutput(counts={"0" * (circuit.num_clbits + 1): shots})


class QuietQPU(Backend):
    """A device front-end that reads all zeros and, as devices do, uses no seed."""

    name = "quiet.qpu"
    kind = "qpu"

    @property
    def capabilities(self):
        return BackendCapabilities(num_qubits=4, kind="qpu")

    def run(self, circuit, *, shots, seed, memory, options, cancel):
        return RunOutput(counts={"0" * circuit.num_clbits: shots})


@hookimpl
def qhpc_backends():
    return [UnreachableQPU(), StuckEmulator(), PoliteEmulator(), BadCounts(), WideQPU(), QuietQPU()]
'''


def install_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, modules: dict[str, str],
                         entry_points: dict[str, str]) -> Path:
    """Install a plugin distribution for this test (in-process and for CLI subprocesses)."""
    from qhpc.testing import write_plugin_distribution

    site = write_plugin_distribution(tmp_path / name, name, "6.6.6", modules, entry_points)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    return site


@pytest.fixture
def impostor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_distribution(tmp_path, monkeypatch, "qhpc-impostor", {"impostor_plugin": IMPOSTOR},
                                {"impostor": "impostor_plugin"})


@pytest.fixture
def slow_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_distribution(tmp_path, monkeypatch, "qhpc-slowvendor", {"slowvendor_plugin": SLOW_VENDOR},
                                {"slowvendor": "slowvendor_plugin"})
