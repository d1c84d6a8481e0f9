"""Conversions under test and their outcomes: right (by an independent oracle), refused by name,
or wrong. A wrong result, and any refusal that is really a crash (a translator's exception wrapped
by the converter), is a failure; refusals are counted and must match the reasons a test allows.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from qhpc import Integrator, QhpcError
from qhpc.conversion import ConversionLossWarning

from ._oracles import FIDELITY, OracleUnavailable, fidelity, same_readout

_INTEGRATOR: Integrator | None = None

#: Checks done in this session, by oracle (reported at the end of the run by conftest.py).
TALLY: Counter[str] = Counter()
CIRCUITS: Counter[str] = Counter()


def integrator() -> Integrator:
    global _INTEGRATOR
    if _INTEGRATOR is None:
        _INTEGRATOR = Integrator()
    return _INTEGRATOR


def convert(program: Any, source: str, target: str) -> tuple[Any, bool]:
    """``program`` converted by qhpc, and whether the comparison includes the global phase.

    Into OpenQASM 2 (which has none) the phase is allowed to go; annotations go with a warning,
    ignored here. The phase counts where the route declares it keeps it, except from OpenQASM 2:
    the language defines gates only up to a global phase (its ``U`` is ``Rz Ry Rz``), so a program
    read from it has no phase to keep (qhpc reads a defined gate equal to a library gate up to a
    phase as that gate, Qiskit's reader keeps the body).
    """
    allow = ("global_phase",) if target == "qasm2" else ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConversionLossWarning)
        out, route = integrator().convert(program, target, source=source, allow_loss=allow)
    return out, "global_phase" in route.preserves and source != "qasm2"


@dataclass
class Checker:
    """Collects the outcomes of one test's conversions (every wrong one, not just the first)."""

    oracle: str
    allowed_refusals: Iterable[str] = ()
    wrong: list[str] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    checked: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)

    def attempt(self, label: str, program: Any, source: str, target: str) -> tuple[Any, bool] | None:
        """The converted program and whether its phase is kept; ``None`` if refused by name."""
        try:
            return convert(program, source, target)
        except QhpcError as exc:
            message = str(exc)
            crash = exc.__cause__ is not None and not isinstance(exc.__cause__, QhpcError)
            if crash or not any(re.search(p, message) for p in self.allowed_refusals):
                self.wrong.append(f"{label}: {source} -> {target} raised {type(exc).__name__}: {message}")
            else:
                self.refused[f"{source} -> {target}: {type(exc).__name__}"] += 1
            return None
        except Exception as exc:  # not a named error: a bug of its own
            self.wrong.append(f"{label}: {source} -> {target} raised {type(exc).__name__}: {exc}")
            return None

    def compare(self, label: str, source: str, target: str, expected: Any, actual: Any,
                exact_phase: bool) -> bool:
        self.checked += 1
        self.routes[f"{source} -> {target}"] += 1
        TALLY[self.oracle] += 1
        if self.oracle == "readout":  # readouts: equal or wrong
            if not same_readout(expected, actual):
                self.wrong.append(f"{label}: {source} -> {target}: readout {actual[:12]} where {source} reads "
                                  f"{expected[:12]}")
                return False
            return True
        f = fidelity(expected, actual, exact_phase=exact_phase)
        if f < FIDELITY:
            self.wrong.append(f"{label}: {source} -> {target}: fidelity {f:.12f} "
                              f"({'global phase included' if exact_phase else 'up to global phase'})")
            return False
        return True

    def route(self, label: str, program: Any, source: str, target: str, expected: Any,
              measure: Callable[[Any, str], Any]) -> Any:
        """Convert, judge the result with ``measure`` (an oracle) against ``expected``; the result,
        or ``None`` if it was refused (by an allowed reason) or wrong. A result the oracle cannot
        judge (:class:`OracleUnavailable`) is counted as such and returned unjudged."""
        done = self.attempt(label, program, source, target)
        if done is None:
            return None
        out, exact = done
        try:
            actual = measure(out, target)
        except OracleUnavailable as exc:  # counted, never passed; the result may still be converted on
            self.skipped[str(exc)] += 1
            TALLY[f"not judged: {exc}"] += 1
            return out
        except Exception as exc:  # the target's own framework cannot run what qhpc wrote
            self.wrong.append(f"{label}: {source} -> {target}: the result does not run in {target}: "
                              f"{type(exc).__name__}: {exc}")
            return None
        return out if self.compare(label, source, target, expected, actual, exact) else None

    def verdict(self) -> None:
        shown = "\n".join(self.wrong[:40])
        more = f"\n... and {len(self.wrong) - 40} more" if len(self.wrong) > 40 else ""
        assert not self.wrong, f"{len(self.wrong)} wrong of {self.checked} checked:\n{shown}{more}"
        assert self.checked > 0, "nothing was checked"
