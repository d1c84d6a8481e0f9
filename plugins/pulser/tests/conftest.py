"""Shared fixtures: one integrator per module, and Pulser's own emulator run directly (the oracle of
the plumbing tests)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import qhpc

pulser = pytest.importorskip("pulser")


@pytest.fixture(autouse=True)
def _no_configuration_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHPC_CONFIG", os.devnull)


@pytest.fixture(scope="module")
def integrator() -> Iterator[qhpc.Integrator]:
    with qhpc.Integrator() as integ:
        yield integ


def pulser_direct_counts(seq: Any, shots: int, seed: int, noise: Any = None) -> dict[str, int]:
    """Pulser's own QutipBackendV2 on ``seq``, with numpy's global generator seeded as qhpc seeds it."""
    import numpy as np
    from pulser.backend import BitStrings
    from pulser_simulation import QutipBackendV2, QutipConfig

    kwargs = {} if noise is None else {"noise_model": noise}
    config = QutipConfig(observables=[BitStrings(num_shots=shots)], **kwargs)
    state = np.random.get_state()
    np.random.seed([seed & 0xFFFFFFFF, seed >> 32])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return dict(QutipBackendV2(seq, config=config).run().final_bitstrings)
    finally:
        np.random.set_state(state)


@pytest.fixture
def direct() -> Callable[..., dict[str, int]]:
    return pulser_direct_counts
