"""Fixtures of the annealing plugin's tests (the oracles are in ``_oracles.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def integrator():  # type: ignore[no-untyped-def]
    from qhpc import Integrator

    with Integrator() as integ:
        yield integ
