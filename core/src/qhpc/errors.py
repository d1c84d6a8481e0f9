"""Errors a qhpc user can act on. Each renders as one line: what was wrong, where, what to do.

The CLI prints such an error as ``error: <message>`` and exits non-zero, without a traceback.
Errors from the program model (:class:`qhpc_interop.InteropError`) are treated the same way.
"""

from __future__ import annotations

from qhpc_interop.errors import QhpcError

__all__ = [
    "BackendUnavailableError", "CompileError", "ConfigError", "JobCancelledError", "JobFailedError",
    "JobRejectedError", "JobTimeLimitError", "PluginError", "ProgramError", "QhpcError", "TranslationError", "UnknownNameError",
]


class PluginError(QhpcError):
    """A plugin could not be loaded, or misbehaved when called."""


class UnknownNameError(QhpcError, LookupError):
    """A backend, compiler, format or scheduler was asked for by a name nothing registered."""

    def __init__(self, kind: str, name: str, known: list[str], *, hint: str = "") -> None:
        self.kind = kind
        self.name = name
        self.known = known
        listed = ", ".join(sorted(known)) or "none installed"
        super().__init__(f"unknown {kind} {name!r}; " + (f"{hint}; " if hint else "") + f"available: {listed}")


class ProgramError(QhpcError):
    """The program handed to qhpc is not in any format an installed plugin reads."""


class TranslationError(QhpcError):
    """A program could not be translated between formats (names the operation and where it is)."""


class JobRejectedError(QhpcError):
    """The integrator refused a job before running it; the message says why (it fits no backend...)."""


class CompileError(QhpcError):
    """A circuit could not be compiled for the chosen target."""


class JobFailedError(QhpcError):
    """An accepted job failed while it ran; the message carries the backend's reason."""


class JobCancelledError(QhpcError):
    """The job was cancelled before it produced a result."""


class ConfigError(QhpcError):
    """A configuration file or mapping has an unknown key, a wrong type or a bad value."""


class BackendUnavailableError(QhpcError):
    """A backend cannot be used now: its capabilities could not be read (an error, or no answer in time)."""


class JobTimeLimitError(JobFailedError):
    """A job ran past its time limit and was ended (its backend was asked to stop)."""
