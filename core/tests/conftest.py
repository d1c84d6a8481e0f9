from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from qhpc.testing import write_plugin_distribution

BROKEN = 'raise ImportError("libvendor.so: cannot open shared object file")\n'
MISSPELT = '''
from qhpc import hookimpl

@hookimpl
def qhpc_backendz():
    return []
'''
RAISING = '''
from qhpc import hookimpl
from qhpc.compile import DecomposeCompiler


class VendorCompiler(DecomposeCompiler):
    name = "vendor-compiler"


@hookimpl
def qhpc_compilers():
    return [VendorCompiler()]


@hookimpl
def qhpc_backends():
    raise RuntimeError("vendor cloud unreachable")
'''


@pytest.fixture
def bad_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Three faulty plugins installed as a real distribution: one fails to import, one misspells
    a hook, one raises from its hook."""
    directory = write_plugin_distribution(
        tmp_path / "site", "qhpc-faulty", "0.3.1",
        {"faulty_broken": BROKEN, "faulty_misspelt": MISSPELT, "faulty_raising": RAISING},
        {"broken": "faulty_broken", "misspelt": "faulty_misspelt", "raising": "faulty_raising"},
    )
    monkeypatch.syspath_prepend(str(directory))
    yield directory
