"""The hybrid runtime: observables as Pauli sums, sessions that keep a compiled ansatz hot and
evaluate many parameter sets per backend call, parameter-shift gradients (see :mod:`.session`)."""

from __future__ import annotations

from .observables import ObservableError, PauliSum
from .session import Estimate, Session, SessionStats

__all__ = ["Estimate", "ObservableError", "PauliSum", "Session", "SessionStats"]
