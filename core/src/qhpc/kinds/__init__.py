"""Program kinds: one per paradigm of the reference architecture (digital, analog, photonic,
annealing), each with its neutral model, the hub format of its conversion graph, and what the
integrator needs to know about its programs.

=============  ================  ==========================================  =========
kind           hub format        model                                       unit
=============  ================  ==========================================  =========
``gate``       ``qhpc.circuit``  :class:`qhpc_interop.Circuit`               qubit
``analog``     ``qhpc.analog``   ``qhpc_interop.analog.AnalogProgram``       atom
``photonic``   ``qhpc.photonic`` ``qhpc_interop.photonic.PhotonicProgram``   mode
``annealing``  ``qhpc.bqm``      ``qhpc_interop.bqm.BinaryQuadraticModel``   variable
=============  ================  ==========================================  =========

A program is read into the hub of its format's kind and never forced through another kind's
model. It reaches a backend of another paradigm only through a compiler that declares the two
kinds (gates to pulses, gates to photonics, QUBO to QAOA), which also turns the backend's
readout back into the program's terms (:meth:`qhpc.interfaces.Compiler.decode`). Kinds are
provided through the ``qhpc_program_kinds`` hook (the built-in plugin provides the four above);
when no installed backend runs a kind, the error names the plugin that would (:attr:`ProgramKind.plugins`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from ..errors import QhpcError
from ..interfaces import BackendCapabilities, RunOutput


class ProgramKind(ABC):
    """What the integrator knows about the programs of one paradigm."""

    #: the paradigm name (a :class:`qhpc.interfaces.Paradigm` value): ``gate``, ``analog``...
    name: str
    #: the model's format name, the hub of this kind's conversion graph
    hub: str
    #: what the size of a program counts (``qubit``, ``atom``, ``mode``, ``variable``)
    unit: str = "qubit"
    #: distributions that provide backends of this kind, named in errors when none is installed
    plugins: tuple[str, ...] = ()

    @abstractmethod
    def is_program(self, program: object) -> bool:
        """Whether ``program`` is this kind's model object."""

    @abstractmethod
    def size(self, program: Any) -> int:
        """How many units (qubits, atoms, modes, variables) the program needs."""

    def fit_reasons(self, program: Any, caps: BackendCapabilities, *, shots: int, memory: bool) -> list[str]:
        """Why a backend with ``caps`` (of this kind's paradigm) cannot run ``program`` (empty: it can).
        The size and shot limits are checked by the integrator."""
        return []

    def bind(self, program: Any, parameters: Mapping[str, float]) -> Any:
        """The program with its declared variables set (the default: it has none)."""
        if parameters:
            raise QhpcError(f"{self.name} programs take no parameters, got {', '.join(sorted(parameters))}")
        return program

    def free_parameters(self, program: Any) -> set[str]:
        """Names of variables that must be given a value before the program runs."""
        return set()

    @abstractmethod
    def fingerprint(self, program: Any) -> str:
        """A content hash of everything that affects execution (a compile-cache key)."""

    @abstractmethod
    def verify(self, output: RunOutput, program: Any, shots: int, backend: str) -> None:
        """Raise :class:`QhpcError` if a backend's readout is inconsistent with ``program``."""

    def result_metadata(self, output: RunOutput, program: Any) -> dict[str, Any]:
        """Extra, kind-specific result metadata (annealing: samples with energies, lowest first)."""
        return {}

    def to_json(self, program: Any) -> Any:
        """The program's JSON form, for requests that travel to other processes (``qhpc worker``).

        The default suits models of :mod:`qhpc_interop` with ``to_dict``/``from_dict``: it records
        the model's class (only classes of ``qhpc_interop`` are accepted back) and its dictionary.
        """
        cls = type(program)
        if not cls.__module__.startswith("qhpc_interop") or not hasattr(program, "to_dict"):
            raise QhpcError(f"{self.name} programs of type {cls.__name__} have no JSON form to travel with")
        return {"class": f"{cls.__module__}:{cls.__qualname__}", "data": program.to_dict()}

    def from_json(self, data: Any) -> Any:
        """A program from :meth:`to_json`'s form."""
        import importlib

        if not isinstance(data, dict) or set(data) != {"class", "data"} or not isinstance(data["class"], str):
            raise QhpcError(f"a {self.name} program's JSON form must be {{'class': ..., 'data': ...}}")
        module, _, name = data["class"].partition(":")
        if not module.startswith("qhpc_interop.") and module != "qhpc_interop":
            raise QhpcError(f"a {self.name} program's class must come from qhpc_interop, not {module!r}")
        cls = getattr(importlib.import_module(module), name, None)
        if cls is None or not hasattr(cls, "from_dict"):
            raise QhpcError(f"{data['class']} is not a qhpc program model")
        program = cls.from_dict(data["data"])
        if not self.is_program(program):
            raise QhpcError(f"{data['class']} is not a {self.name} program")
        return program

    def describe(self, program: Any) -> str:
        """A few words for messages: ``a 4-atom analog program``."""
        return f"a {self.size(program)}-{self.unit} {self.name} program"
