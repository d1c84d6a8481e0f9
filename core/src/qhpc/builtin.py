"""qhpc's built-in plugin, registered through the ``qhpc.plugins`` entry point like any other.

It provides the framework-neutral pieces: the program model and its text forms (OpenQASM 2,
OpenQASM 3, the JSON wire format) with their translators, the ``decompose`` compiler, the
in-process scheduler, and the default backend selection for ``backend="auto"``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qhpc_interop import Circuit, wire
from qhpc_interop.graph import PROPERTIES

from .compile import DecomposeCompiler
from .hookspecs import hookimpl
from .interfaces import MODEL_FORMAT, Backend, Compiler, NoiseCalibrator, ProgramFormat, Scheduler, Translator
from .scheduler import InProcessScheduler


class ModelFormat(ProgramFormat):
    name = MODEL_FORMAT
    description = "qhpc's in-memory program model (qhpc_interop.Circuit)"
    holds = PROPERTIES

    def detect(self, program: object) -> bool:
        return isinstance(program, Circuit)


def _qasm_version(text: str, source: str | None = None) -> int | None:
    """The OpenQASM version of ``text``; for a file (``source``) a bad header is the reader's error."""
    from qhpc_interop import InteropError, qasm

    try:
        return qasm.detect_version(text, source=source) if source else qasm.detect_version(text)
    except InteropError:
        if source:
            raise  # e.g. "OPENQASM 4.0;": say so at its line and column, not "unknown file type"
        return None


class SourceText(str):
    """Program text that remembers the file it came from, so errors can name it."""

    source: str

    def __new__(cls, text: str, source: str) -> SourceText:
        obj = super().__new__(cls, text)
        obj.source = source
        return obj


def _lazy(module: str, function: str, *, reader: bool = False, **kwargs: Any) -> Any:
    """A call into ``qhpc_interop.<module>.<function>`` that imports the module on first use.

    A ``reader`` is told the program's file name (``source=``) when the text came from a file.
    """

    def call(program: Any) -> Any:
        import importlib

        fn = getattr(importlib.import_module(f"qhpc_interop.{module}"), function)
        if reader and isinstance(program, SourceText):
            return fn(program, source=program.source, **kwargs)
        return fn(program, **kwargs)

    return call


class _TextFormat(ProgramFormat):
    """A format whose programs are text (a ``str``), read from files."""

    def load_file(self, path: Path) -> str:
        return SourceText(path.read_text(encoding="utf-8-sig"), str(path))

    def dumps(self, program: Any) -> str:
        return str(program)


class Qasm2Format(_TextFormat):
    name = "qasm2"
    description = "OpenQASM 2.0 text"
    holds = PROPERTIES - {"global_phase", "parameters", "qubit_identity", "layout"}
    extensions = (".qasm", ".qasm2")

    def detect(self, program: object) -> bool:
        return isinstance(program, str) and _qasm_version(program) == 2

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.extensions and _qasm_version(head.decode("utf-8", "replace"), str(path)) == 2


class Qasm3Format(_TextFormat):
    name = "qasm3"
    description = "OpenQASM 3 text"
    holds = PROPERTIES - {"qubit_identity", "layout"}
    extensions = (".qasm", ".qasm3")

    def detect(self, program: object) -> bool:
        return isinstance(program, str) and "OPENQASM" in program[:4096] and _qasm_version(program) == 3

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.extensions and _qasm_version(head.decode("utf-8", "replace"), str(path)) == 3


def json_format_field(head: bytes) -> str | None:
    """The top-level ``"format"`` of a JSON document from its first bytes (``None``: it names none).

    Several formats share ``.json`` (the circuit wire format, ``qhpc.bqm``...): each claims a file
    by this field. A whole document is parsed; a longer one is searched for its first field."""
    import json
    import re

    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError, RecursionError):
        found = re.search(rb'"format"\s*:\s*"([^"\\]{1,200})"', head)
        return found.group(1).decode("utf-8", "replace") if found else None
    field = doc.get("format") if isinstance(doc, dict) else None
    return field if isinstance(field, str) else None


_WIRE_FORMAT_FIELD = re.compile(r'"format"\s*:\s*"' + re.escape(wire.FORMAT) + '"')


class WireFormat(_TextFormat):
    name = "qhpc.json"
    description = "qhpc's versioned JSON wire format"
    holds = PROPERTIES
    extensions = (".json",)
    fallback_reader = True

    def detect(self, program: object) -> bool:
        # JSON text whose "format" is the wire format's, wherever in the object it stands
        if not (isinstance(program, str) and program.lstrip().startswith("{")):
            return False
        if wire.FORMAT in program[:200]:
            return True
        # the field may stand anywhere in the object: found by searching, confirmed at the top level
        return _WIRE_FORMAT_FIELD.search(program) is not None and json_format_field(program.encode()) == wire.FORMAT

    def sniff(self, path: Path, head: bytes) -> bool:
        # a .json file naming another format is that format's; one naming none is read (and refused) here
        return path.suffix.lower() in self.extensions and json_format_field(head) in (None, wire.FORMAT)


class BQMFormat(ProgramFormat):
    """Binary quadratic models (the annealing kind's hub); files: ``qhpc.bqm`` JSON documents."""

    name = "qhpc.bqm"
    kind = "annealing"
    description = "qhpc's binary quadratic model (qhpc_interop.bqm; files: JSON with \"format\": \"qhpc.bqm\")"
    extensions = (".json",)

    def detect(self, program: object) -> bool:
        from qhpc_interop.bqm import BinaryQuadraticModel

        return isinstance(program, BinaryQuadraticModel)

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in self.extensions and json_format_field(head) == self.name

    def load_file(self, path: Path) -> Any:
        from qhpc_interop import bqm

        return bqm.loads(path.read_text(encoding="utf-8-sig"), source=str(path))

    def loads(self, text: str) -> Any:
        from qhpc_interop import bqm

        return bqm.loads(text, source="program")

    def dumps(self, program: Any) -> str:
        from qhpc_interop import bqm

        return bqm.dumps(program, indent=1)


class AnalogFormat(ProgramFormat):
    """Neutral-atom pulse programs (the analog kind's hub); files: ``*.analog.json``, or ``.json``
    naming ``"format": "qhpc.analog"``."""

    name = "qhpc.analog"
    kind = "analog"
    description = "qhpc's analog pulse program (qhpc_interop.analog; files: .analog.json)"
    extensions = (".analog.json",)

    def detect(self, program: object) -> bool:
        from qhpc_interop.analog import AnalogProgram

        return isinstance(program, AnalogProgram)

    def sniff(self, path: Path, head: bytes) -> bool:
        from qhpc_interop.analog import names_this_format

        return path.suffix.lower() == ".json" and names_this_format(head)

    def load_file(self, path: Path) -> Any:
        from qhpc_interop import analog

        return analog.loads(path.read_text(encoding="utf-8-sig"), source=str(path))

    def loads(self, text: str) -> Any:
        from qhpc_interop import analog

        return analog.loads(text, source="program")

    def dumps(self, program: Any) -> str:
        from qhpc_interop import analog

        return analog.dumps(program, indent=1)


class _Translator(Translator):
    def __init__(self, name: str, source: str, target: str, preserves: frozenset[str], fn: Any) -> None:
        self.name = name
        self.source = source
        self.target = target
        self.preserves = preserves
        self._fn = fn

    def convert(self, program: Any) -> Any:
        return self._fn(program)


class _QasmExport(_Translator):
    """The model as OpenQASM text; a register or parameter written under another name (not an
    identifier there, or taken by a keyword or gate) is announced with a ConversionLossWarning, so
    results keyed by register and bindings by name are not silently renamed."""

    def __init__(self, name: str, target: str, preserves: frozenset[str], module: str) -> None:
        super().__init__(name, MODEL_FORMAT, target, preserves, None)
        self._module = module

    def convert(self, program: Any) -> Any:
        import importlib

        from qhpc_interop.errors import warn_loss

        changes: list[str] = []
        text = importlib.import_module(f"qhpc_interop.{self._module}").dumps(program, changes=changes)
        if changes:
            warn_loss(f"converting to {self.target} writes {'; '.join(changes)}: results and bindings use the "
                      "names written")
        return text


#: OpenQASM holds no global phase in version 2, no free parameters in version 2, and no framework
#: qubit identities (Cirq's GridQubit) or transpile layout records in either.
_QASM2_KEEPS = PROPERTIES - {"global_phase", "parameters", "qubit_identity", "layout"}
_QASM3_KEEPS = PROPERTIES - {"qubit_identity", "layout"}


@hookimpl
def qhpc_program_kinds() -> list[Any]:
    from .kinds.analog import AnalogKind
    from .kinds.annealing import AnnealingKind
    from .kinds.gate import GateKind
    from .kinds.photonic import PhotonicKind

    return [GateKind(), AnnealingKind(), AnalogKind(), PhotonicKind()]


@hookimpl
def qhpc_program_formats() -> list[ProgramFormat]:
    from .kinds.photonic import PhotonicFormat

    return [ModelFormat(), Qasm2Format(), Qasm3Format(), WireFormat(), BQMFormat(), AnalogFormat(), PhotonicFormat()]


@hookimpl
def qhpc_translators() -> list[Translator]:
    return [
        _Translator("qasm2-import", "qasm2", MODEL_FORMAT, PROPERTIES, _lazy("qasm2", "loads", reader=True)),
        _QasmExport("qasm2-export", "qasm2", _QASM2_KEEPS, "qasm2"),
        _Translator("qasm3-import", "qasm3", MODEL_FORMAT, PROPERTIES, _lazy("qasm3", "loads", reader=True)),
        _QasmExport("qasm3-export", "qasm3", _QASM3_KEEPS, "qasm3"),
        _Translator("json-import", "qhpc.json", MODEL_FORMAT, PROPERTIES, _lazy("wire", "loads", reader=True)),
        _Translator("json-export", MODEL_FORMAT, "qhpc.json", PROPERTIES, lambda c: wire.dumps(c, indent=1)),
    ]


class FromCalibration(NoiseCalibrator):
    """The standard model of a snapshot (:func:`qhpc.noise.from_calibration`)."""

    name = "from-calibration"
    description = ("depolarizing + thermal relaxation per native gate (matching each reported gate error), readout "
                   "confusion, idle relaxation")

    def calibrate(self, snapshot: Any, *, runs: Any = (), base: Any = None,
                  options: Mapping[str, Any] | None = None) -> Any:
        from .noise import from_calibration

        return from_calibration(snapshot, **dict(options or {}))


class Fit(NoiseCalibrator):
    """A model adjusted to runs measured on the device (:func:`qhpc.noise.fit.fit`); ``options``
    are that function's keywords (``holdout``, ``seed``, ``strengths``, ``over_rotation``, ``zz``,
    ``crosstalk``, ``max_iterations``, ``refit``). The report (fidelity deviation per run before and after)
    is in the model's ``metadata["report"]``."""

    name = "fit"
    description = ("the from-calibration model adjusted to measured runs: gate and relaxation scales, readout, "
                   "readout crosstalk, over-rotations, ZZ (scipy, regularised, held-out runs)")
    needs_runs = True

    def calibrate(self, snapshot: Any, *, runs: Any = (), base: Any = None,
                  options: Mapping[str, Any] | None = None) -> Any:
        from .noise.channels import NoiseModelError
        from .noise.fit import FIT_OPTIONS, fit

        unknown = sorted(set(options or {}) - FIT_OPTIONS)
        if unknown:
            raise NoiseModelError(f"the fit calibrator takes no option {unknown[0]!r} (it takes "
                                  f"{', '.join(sorted(FIT_OPTIONS))})")
        model, _ = fit(snapshot, list(runs), base=base, **dict(options or {}))
        return model


@hookimpl
def qhpc_compilers() -> list[Compiler]:
    from .algorithms.qaoa import QAOACompiler

    return [DecomposeCompiler(), QAOACompiler()]


@hookimpl
def qhpc_noise_calibrators() -> list[NoiseCalibrator]:
    return [FromCalibration(), Fit()]


@hookimpl
def qhpc_schedulers() -> list[type[Scheduler]]:
    return [InProcessScheduler]


@hookimpl(trylast=True)
def qhpc_select_backend(circuit: Circuit, candidates: list[Backend], options: dict[str, Any]) -> Backend | None:
    """The default choice: the emulator with the shortest estimated run time (first registered on a tie)."""
    if not candidates:
        return None
    shots = int(options.get("shots", 1))

    def seconds(backend: Backend) -> float:
        try:
            return float(backend.estimate_seconds(circuit, shots))
        except Exception:  # a backend that cannot estimate comes last
            return float("inf")

    return min(candidates, key=seconds)
