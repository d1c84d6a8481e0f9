"""The built-in ``decompose`` compiler: rewrite gates a target lacks into gates it has.

It uses the gate library's exact definitions plus a few alternative rules for common native sets
(IBM-style ``rz sx x cx``, trapped-ion-style ``rx ry rz``, ``cz``-based), picks for each gate the
rule that reaches the target's native set with the fewest gates, and expands. It is exact,
global phase included (except inside conditioned instructions, where a phase is unobservable and
dropped). It does no routing: on a target with a coupling map it takes only circuits whose
two-qubit gates, once expanded, all lie on the map in its direction (a circuit already laid out
on the device); others need a routing compiler (``qiskit``).

Being pure Python over the model, it costs microseconds per gate, against the ~100 ms a full
transpiler takes for a first compilation; emulators whose native set misses a few library gates
(Aer has no ``ch``, ``iswap``, ``dcx``...) use it by default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from qhpc_interop import STANDARD_GATES, Circuit, Gate, Instruction, UnitaryGate
from qhpc_interop.gates import Definition, DefinitionStep, zyz_angles
from qhpc_interop.params import ParamValue
from qhpc_interop.synthesis import SYNTHESIS_GATES, unitaries_as_gates

from .errors import CompileError
from .interfaces import BackendCapabilities, Compiler

PI = math.pi
ALWAYS_NATIVE = frozenset({"measure", "reset", "barrier"})


def _alt_u_rz_sx(t: ParamValue, ph: ParamValue, lam: ParamValue) -> Definition:
    steps: list[DefinitionStep] = [
        ("rz", (lam,), (0,)), ("sx", (), (0,)), ("rz", (t + PI,), (0,)), ("sx", (), (0,)), ("rz", (ph + PI,), (0,)),
    ]
    return steps, (ph + lam + PI) / 2


def _alt_u_zyz(t: ParamValue, ph: ParamValue, lam: ParamValue) -> Definition:
    return [("rz", (lam,), (0,)), ("ry", (t,), (0,)), ("rz", (ph,), (0,))], (ph + lam) / 2


def _alt_p_rz(lam: ParamValue) -> Definition:
    return [("rz", (lam,), (0,))], lam / 2


def _alt_cx_cz() -> Definition:
    return [("h", (), (1,)), ("cz", (), (0, 1)), ("h", (), (1,))], 0.0


def _alt_cx_ecr() -> Definition:
    # IBM's ECR devices (Sherbrooke, Brisbane...): cx from one echoed cross-resonance gate
    return [("rz", (-PI / 2,), (0,)), ("rz", (-PI,), (1,)), ("sx", (), (1,)), ("rz", (-PI,), (1,)),
            ("ecr", (), (0, 1)), ("x", (), (0,))], PI / 2


def _alt_ry_rx_rz(t: ParamValue) -> Definition:
    # ry(t) = rz(pi/2) rx(t) rz(-pi/2)  (applied right to left: rz(-pi/2) first)
    return [("rz", (-PI / 2,), (0,)), ("rx", (t,), (0,)), ("rz", (PI / 2,), (0,))], 0.0


def _alt_h_rz_sx() -> Definition:
    # h = e^{i pi/2}... written exactly: rz(pi/2) sx rz(pi/2) with phase pi/4
    return [("rz", (PI / 2,), (0,)), ("sx", (), (0,)), ("rz", (PI / 2,), (0,))], PI / 4


#: Rules beyond each gate's own library definition.
ALTERNATIVE_RULES: dict[str, list[Any]] = {
    "u": [_alt_u_rz_sx, _alt_u_zyz],
    "p": [_alt_p_rz],
    "cx": [_alt_cx_cz, _alt_cx_ecr],
    "ry": [_alt_ry_rx_rz],
    "h": [_alt_h_rz_sx],
}


def _rules(name: str) -> list[Any]:
    spec = STANDARD_GATES[name]
    rules = [spec.definition_fn] if spec.definition_fn is not None else []
    return rules + ALTERNATIVE_RULES.get(name, [])


def _probe_params(name: str) -> tuple[float, ...]:
    return tuple(0.1 * (k + 1) for k in range(STANDARD_GATES[name].num_params))


@lru_cache(maxsize=64)
def plan_for(native: frozenset[str]) -> dict[str, tuple[int, int]]:
    """For each library gate, (rule index, expanded gate count) of the cheapest route to ``native``.

    Gates that cannot reach ``native`` are absent. Costs are found by relaxing until nothing
    improves (rules form cycles, e.g. ``rz -> p -> u -> rz``).
    """
    cost: dict[str, int] = {g: 1 for g in STANDARD_GATES if g in native}
    plan: dict[str, tuple[int, int]] = {g: (-1, 1) for g in cost}
    steps_of: dict[tuple[str, int], list[str]] = {}
    for name in STANDARD_GATES:
        for k, rule in enumerate(_rules(name)):
            steps_of[(name, k)] = [s[0] for s in rule(*_probe_params(name))[0]]
    changed = True
    while changed:
        changed = False
        for (name, k), names in steps_of.items():
            if name in native:
                continue
            if all(n in cost for n in names):
                total = sum(cost[n] for n in names)
                if total < cost.get(name, math.inf):
                    cost[name] = total
                    plan[name] = (k, total)
                    changed = True
    return plan


def native_set(target: BackendCapabilities) -> frozenset[str]:
    return frozenset(STANDARD_GATES) if target.native_gates is None else frozenset(target.native_gates)


def needs_compilation(circuit: Circuit, target: BackendCapabilities) -> list[str]:
    """Why ``circuit`` cannot run on ``target`` as it is (empty: it can)."""
    reasons = []
    native = native_set(target)
    missing = sorted(n for n in circuit.gate_names() - ALWAYS_NATIVE - {"unitary"} if n not in native)
    if missing:
        reasons.append(f"gate(s) {', '.join(missing)} not native")
    if "unitary" in circuit.gate_names() and not target.supports_unitary:
        reasons.append("arbitrary unitaries not native")
    if target.coupling_map is not None:
        allowed = set(target.coupling_map)
        for inst in circuit.instructions:
            if len(inst.qubits) == 2 and inst.name != "barrier" and tuple(inst.qubits) not in allowed:
                reasons.append(f"{inst.name} on qubits {list(inst.qubits)} is not on the coupling map")
                break
            if len(inst.qubits) > 2 and inst.name != "barrier":
                reasons.append(f"{inst.name} acts on {len(inst.qubits)} qubits; the coupling map has pairs only")
                break
    return reasons


class DecomposeCompiler(Compiler):
    """Expand non-native gates by exact definitions (see module docstring)."""

    name = "decompose"
    description = "exact rewrite into the target's native gates by gate definitions; no routing"

    def can_compile(self, circuit: Circuit, target: BackendCapabilities) -> str | None:
        native = native_set(target)
        plan = plan_for(native)
        unreachable = sorted(n for n in circuit.gate_names() - ALWAYS_NATIVE - {"unitary"} if n not in plan)
        if unreachable:
            return (f"gate(s) {', '.join(unreachable)} cannot be written in the native gates "
                    f"{', '.join(sorted(native))}")
        if "unitary" in circuit.gate_names() and not target.supports_unitary:
            if any(i.name == "unitary" and len(i.qubits) > 1 for i in circuit.instructions):
                missing = sorted(n for n in SYNTHESIS_GATES if n not in plan)
                if missing:
                    return (f"multi-qubit unitaries are synthesised in {', '.join(sorted(SYNTHESIS_GATES))}; "
                            f"the native gates {', '.join(sorted(native))} cannot express {', '.join(missing)}")
            if "u" not in plan:
                return "one-qubit unitaries need u, which the native gates cannot express"
        if target.coupling_map is not None:
            if not target.supports_unitary:
                circuit = unitaries_as_gates(circuit)
            return self._off_the_map(circuit, target, plan, native)
        return None

    def _off_the_map(self, circuit: Circuit, target: BackendCapabilities, plan: dict[str, tuple[int, int]],
                     native: frozenset[str]) -> str | None:
        """Why ``circuit``, expanded, would act on a pair the coupling map lacks (decompose does not
        route), or ``None``: each distinct gate on each pair is expanded once and its two-qubit
        steps checked, direction included."""
        allowed = set(target.coupling_map or ())
        seen: set[tuple[str, tuple[ParamValue, ...], tuple[int, ...]]] = set()
        for inst in circuit.instructions:
            qubits = inst.qubits
            if len(qubits) < 2 or inst.name == "barrier":
                continue
            if len(qubits) > 2 and not (isinstance(inst.operation, Gate) and inst.name not in native):
                return (f"decompose does not route qubits: {inst.name} acts on {len(qubits)} qubits, and the "
                        f"coupling map has pairs only")
            op = inst.operation
            key = (inst.name, op.params if isinstance(op, Gate) else (), tuple(qubits))
            if key in seen:
                continue
            seen.add(key)
            steps: list[Instruction] = [inst]
            if isinstance(op, Gate) and op.name not in native:
                steps = []
                self._expand(op, qubits, Instruction(op, tuple(qubits)), plan, native, steps, 0.0)
            for step in steps:
                if len(step.qubits) >= 2 and tuple(step.qubits) not in allowed:
                    via = f" (from {inst.name} on {list(qubits)})" if step is not inst else ""
                    return (f"decompose does not route qubits: {step.name} on qubits {list(step.qubits)}{via} "
                            f"is not on the coupling map")
        return None

    def compile(self, circuit: Circuit, target: BackendCapabilities, *, seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Circuit:
        why = self.can_compile(circuit, target)
        if why is not None:
            raise CompileError(why)
        native = native_set(target)
        plan = plan_for(native)
        if not target.supports_unitary:
            circuit = unitaries_as_gates(circuit)
        out = circuit.copy(instructions=[])
        phase: ParamValue = circuit.global_phase
        for inst in circuit.instructions:
            op = inst.operation
            if isinstance(op, UnitaryGate) and not target.supports_unitary:
                theta, phi, lam, ph = zyz_angles(op.matrix())
                inst = Instruction(Gate("u", (theta, phi, lam)), inst.qubits, (), inst.condition)
                if inst.condition is None:
                    phase = phase + ph
                op = inst.operation
            if isinstance(op, Gate) and op.name not in native:
                phase = self._expand(op, inst.qubits, inst, plan, native, out.instructions, phase)
            else:
                out.instructions.append(inst)
        out.global_phase = phase
        return out

    def _expand(self, gate: Gate, qubits: Sequence[int], inst: Instruction, plan: dict[str, tuple[int, int]],
                native: frozenset[str], sink: list[Instruction], phase: ParamValue) -> ParamValue:
        if gate.name in native:
            sink.append(Instruction(gate, tuple(qubits), (), inst.condition))
            return phase
        rule_index, _ = plan[gate.name]
        steps, step_phase = _rules(gate.name)[rule_index](*gate.params)
        if inst.condition is None:
            phase = phase + step_phase
        for name, params, local in steps:
            phase = self._expand(Gate(name, params), [qubits[k] for k in local], inst, plan, native, sink, phase)
        return phase
