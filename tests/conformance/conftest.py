"""The conformance suite's report: how many conversions each oracle judged in this run."""

from __future__ import annotations

from typing import Any

from ._check import CIRCUITS, TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY and not CIRCUITS:
        return
    terminalreporter.section("qhpc conformance")
    for what, n in sorted(CIRCUITS.items()):
        terminalreporter.write_line(f"{n:6d}  {what}")
    for oracle, n in sorted(TALLY.items()):
        terminalreporter.write_line(f"{n:6d}  conversions judged by {oracle}" if not oracle.startswith("not judged")
                                    else f"{n:6d}  {oracle}")
