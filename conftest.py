"""Settings every test starts from: no site or user configuration file is read (QHPC_CONFIG points
at an empty file), so a developer's own configuration cannot change what the tests see."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_configuration_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHPC_CONFIG", os.devnull)
