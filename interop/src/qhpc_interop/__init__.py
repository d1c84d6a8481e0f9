"""qhpc_interop: the framework-agnostic program model of qhpc (numpy only, no quantum SDK).

* :class:`Circuit` and its parts (:mod:`qhpc_interop.ir`), the gate library (:mod:`.gates`),
  symbolic parameters (:mod:`.params`);
* formats: OpenQASM 2 (:mod:`.qasm2`), OpenQASM 3 (:mod:`.qasm3`), the JSON wire format (:mod:`.wire`);
* the conversion-graph router (:mod:`.graph`) and equivalence oracles for tests (:mod:`.testing`).
"""

from .errors import (
    CircuitError,
    InteropError,
    NotExpressibleError,
    ParameterError,
    QasmError,
    QasmSyntaxError,
    QasmUnsupportedError,
    QhpcError,
    WireFormatError,
)
from .gates import STANDARD_GATES, GateSpec, gate_spec
from .ir import (
    BARRIER,
    MEASURE,
    RESET,
    Barrier,
    Circuit,
    Condition,
    Gate,
    Instruction,
    Measure,
    Operation,
    Register,
    Reset,
    UnitaryGate,
)
from .params import Expr, Parameter, ParamValue

__version__ = "0.1.0"

__all__ = [
    "BARRIER",
    "MEASURE",
    "RESET",
    "STANDARD_GATES",
    "Barrier",
    "Circuit",
    "CircuitError",
    "Condition",
    "Expr",
    "Gate",
    "GateSpec",
    "Instruction",
    "InteropError",
    "Measure",
    "NotExpressibleError",
    "Operation",
    "ParamValue",
    "Parameter",
    "ParameterError",
    "QasmError",
    "QasmSyntaxError",
    "QasmUnsupportedError",
    "QhpcError",
    "Register",
    "Reset",
    "UnitaryGate",
    "WireFormatError",
    "gate_spec",
]
