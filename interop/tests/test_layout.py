"""The layout rule of the OpenQASM package: each concern in its own module, none over 500 lines."""

from __future__ import annotations

from pathlib import Path

import qhpc_interop.qasm

LIMIT = 500


def test_no_module_of_the_qasm_package_is_over_500_lines() -> None:
    package = Path(qhpc_interop.qasm.__file__).parent
    sizes = {path.name: len(path.read_text().splitlines()) for path in package.glob("*.py")}
    assert len(sizes) >= 10  # lexer, reader base, two readers, two writers and their parts
    assert {name: n for name, n in sizes.items() if n > LIMIT} == {}
