"""The gate-circuit kind: programs in the model of :mod:`qhpc_interop` (``qhpc.circuit``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qhpc_interop import Circuit

from ..interfaces import MODEL_FORMAT, ExecutionRequest, RunOutput
from . import ProgramKind


class GateKind(ProgramKind):
    name = "gate"
    hub = MODEL_FORMAT
    unit = "qubit"
    plugins = ("qhpc-qiskit", "qhpc-cirq", "qhpc-myqlm")

    def is_program(self, program: object) -> bool:
        return isinstance(program, Circuit)

    def size(self, program: Any) -> int:
        return int(program.num_qubits)

    def bind(self, program: Any, parameters: Mapping[str, float]) -> Any:
        return program.bind(dict(parameters)) if program.is_parameterized else program

    def free_parameters(self, program: Any) -> set[str]:
        return {p.name for p in program.parameters}

    def fingerprint(self, program: Any) -> str:
        return str(program.fingerprint())

    def verify(self, output: RunOutput, program: Any, shots: int, backend: str) -> None:
        from ..verify import verify_output

        request = ExecutionRequest("", backend, program, shots, None, output.memory is not None)
        verify_output(output, request, program.num_clbits)

    def to_json(self, program: Any) -> Any:
        import json

        from qhpc_interop import wire

        return json.loads(wire.dumps(program))

    def from_json(self, data: Any) -> Any:
        import json

        from qhpc_interop import wire

        return wire.loads(json.dumps(data))

    def describe(self, program: Any) -> str:
        return f"a {program.num_qubits}-qubit circuit"
