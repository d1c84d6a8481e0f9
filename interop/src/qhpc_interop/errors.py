"""Errors raised by the program model and its formats.

Every error a user can act on is a subclass of :class:`InteropError` and renders as one line that
says what was wrong, where, and (where there is one) what to do about it.

:class:`QhpcError` is the one root of every user-facing error in qhpc: it lives here, in the
package every other qhpc package depends on, and ``qhpc.errors.QhpcError`` is the same class, so
``except qhpc.QhpcError`` catches errors from the program model and its formats too.
"""

from __future__ import annotations

import sys
import warnings


class QhpcError(Exception):
    """Base class of every user-facing error in qhpc (``qhpc.QhpcError`` is this class).

    Every one pickles as itself, message and attributes kept, whatever its constructor takes: a
    worker process (``multiprocessing``, ``concurrent.futures``) sends its errors back pickled, and
    Python's default rebuilds an error by calling its class with the message alone, which fails
    for constructors with more arguments (and breaks the pool).
    """

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuilt_error, (type(self), self.args, self.__dict__)


def _rebuilt_error(cls: type[QhpcError], args: tuple[object, ...], state: dict[str, object]) -> QhpcError:
    """The error :meth:`QhpcError.__reduce__` pickled, made without calling its constructor."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ConversionLossWarning(UserWarning):
    """A conversion dropped something that does not change what an ideal program computes and that
    the target (or the program model) cannot hold: barriers, register names, qubit identities,
    delays and box durations; or wrote a name the target cannot hold under another.
    ``qhpc.conversion.ConversionLossWarning`` is this class."""


def warn_loss(message: str) -> None:
    """Warn with a :class:`ConversionLossWarning`, attributed to the first caller outside qhpc's
    packages (the line of the user's code that converted, not a reader deep inside qhpc)."""
    warn_from_caller(ConversionLossWarning(message))


#: Where the warnings qhpc shows once per place are recorded: per file, as Python's
#: ``__warningregistry__`` records them per module, but bounded. A loss warning names the
#: program's registers and qubits, so each conversion's text is new, and the caller's own
#: registry kept every one for good (an audit: 5,000 conversions, 5,000 entries).
_SHOWN: dict[str, dict[str | tuple[str, type[Warning], int], int]] = {}
_SHOWN_KEPT = 1024


def warn_from_caller(warning: Warning) -> None:
    """Warn, attributed to the first caller outside qhpc's packages, shown as Python's filters say
    (once per place and text by default), with a bounded record of what was shown."""
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("qhpc"):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        warnings.warn(warning, stacklevel=2)
        return
    filename = frame.f_code.co_filename
    registry = _SHOWN.get(filename)
    if registry is None:
        if len(_SHOWN) >= _SHOWN_KEPT:
            _SHOWN.clear()
        registry = _SHOWN[filename] = {}
    elif len(registry) >= _SHOWN_KEPT:
        registry.clear()
    warnings.warn_explicit(warning, type(warning), filename, frame.f_lineno,
                           module=str(frame.f_globals.get("__name__", "")), registry=registry,
                           module_globals=frame.f_globals)


class InteropError(QhpcError):
    """Base class of every error raised by :mod:`qhpc_interop`."""


class CircuitError(InteropError, ValueError):
    """A circuit was built or used inconsistently (bad qubit index, wrong parameter count...)."""


class ParameterError(InteropError, ValueError):
    """A symbolic parameter could not be bound or evaluated (a free parameter, a bad value)."""


class WireFormatError(InteropError, ValueError):
    """A JSON document is not a valid qhpc wire-format circuit (or is of an unknown version)."""


class NotExpressibleError(InteropError):
    """A circuit holds something the target format cannot express.

    Raised instead of writing something silently different. ``feature`` names what could not be
    written and ``format`` the format that cannot hold it.
    """

    def __init__(self, format: str, feature: str, hint: str = "") -> None:
        self.format = format
        self.feature = feature
        self.hint = hint
        message = f"{format} cannot express {feature}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class QasmError(InteropError, ValueError):
    """An OpenQASM program could not be read. ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int, source: str = "<qasm>") -> None:
        self.reason = message
        self.line = line
        self.column = column
        self.source = source
        super().__init__(f"{source}:{line}:{column}: {message}")


class QasmSyntaxError(QasmError):
    """The OpenQASM text is malformed (an unexpected token, an unknown name, a wrong arity...)."""


class QasmUnsupportedError(QasmError):
    """The OpenQASM text is valid but uses a feature the qhpc program model cannot hold."""


class NoRouteError(InteropError):
    """No chain of translators leads from one program format to another (with what was required)."""
