"""A compiler on Qiskit's preset transpiler: native-gate translation, layout, routing, optimisation.

It fits a circuit to a target's native gates and coupling map (``qhpc`` capabilities are turned
into Qiskit's ``basis_gates`` and ``CouplingMap``) and translates the result back to the model.
Where the target has a coupling map, the result acts on the target's physical qubits; the
classical bits, and so the counts, are unchanged. ``options``: ``optimization_level`` (0-3, default 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qhpc.errors import CompileError
from qhpc.interfaces import BackendCapabilities, Compiler
from qhpc_interop import STANDARD_GATES, Circuit
from qhpc_interop.gates import CLIFFORD_GATES

from .translate import circuit_from_qiskit, circuit_to_qiskit

#: One-qubit native gates that make a gate set universal together with Cliffords.
NON_CLIFFORD_1Q = frozenset({"rz", "rx", "ry", "p", "u", "u1", "u2", "u3", "r", "t", "tdg"})


class QiskitTranspilerCompiler(Compiler):
    name = "qiskit"
    description = "Qiskit's preset transpiler: basis translation, layout and routing on a coupling map, optimisation"

    def can_compile(self, circuit: Circuit, target: BackendCapabilities) -> str | None:
        if target.coupling_map is not None and circuit.num_qubits > target.num_qubits:
            return f"the circuit has {circuit.num_qubits} qubits, the coupling map {target.num_qubits}"
        if target.native_gates is not None:
            if not target.native_gates & NON_CLIFFORD_1Q:
                beyond = sorted(circuit.gate_names() - CLIFFORD_GATES - {"measure", "reset", "barrier"})
                if beyond:
                    return f"the target's native gates are Clifford only and {', '.join(beyond)} are not Clifford"
            two_qubit = [g for g in target.native_gates if g in STANDARD_GATES and STANDARD_GATES[g].num_qubits >= 2]
            if not two_qubit and any(
                len(i.qubits) >= 2 and i.name not in ("barrier", "measure") for i in circuit.instructions
            ):
                return "the target has no two-qubit native gate"
        return None

    def compile(self, circuit: Circuit, target: BackendCapabilities, *, seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Circuit:
        from qiskit import transpile
        from qiskit.transpiler import CouplingMap

        opts = dict(options or {})
        level = int(opts.pop("optimization_level", 1))
        if opts:
            raise CompileError(f"the qiskit compiler does not take option(s) {', '.join(sorted(opts))}")
        basis = None
        if target.native_gates is not None:
            # barriers pass through; arbitrary unitaries are always synthesised into the basis
            # (Qiskit refuses non-standard names such as "unitary" in basis_gates)
            basis = [*sorted(target.native_gates), "measure", "reset"]
            if circuit.has_conditionals():
                basis.append("if_else")
        coupling = CouplingMap([list(e) for e in target.coupling_map]) if target.coupling_map is not None else None
        qc = circuit_to_qiskit(circuit)
        try:
            out = transpile(qc, basis_gates=basis, coupling_map=coupling, optimization_level=level,
                            seed_transpiler=seed)
        except Exception as exc:
            raise CompileError(f"Qiskit's transpiler could not fit the circuit: {exc}") from None
        compiled = circuit_from_qiskit(out)
        compiled.name = circuit.name
        if out.layout is not None:
            layout = out.layout.final_index_layout()
            compiled.metadata["qiskit_final_layout"] = list(layout)
        return compiled
