"""Gate circuits as dual-rail linear optics: the compiler ``perceval.dual-rail`` (gate -> photonic).

**Encoding.** Qubit ``q`` is one photon in the pair of modes ``(2q, 2q + 1)``: ``|0>`` is the photon
in mode ``2q``, ``|1>`` in mode ``2q + 1``. The input is ``|1,0>`` per qubit (every qubit ``|0>``).
A one-qubit gate ``U`` is then exactly ``U`` on its pair of modes; it is written as
``PS(gamma)``, ``BS.H(theta)``, ``PS(alpha)`` on the pair (``U = e^{i phi} diag(e^{i alpha}, 1)
H(theta) diag(e^{i gamma}, 1)``; the qubit's global phase is dropped), so phase-shifter noise acts
on it as on hardware. Consecutive one-qubit gates on a qubit are multiplied into one.
``swap`` is free: it relabels which pair holds which qubit. ``cx`` is ``H cz H`` on the target.
Other gates are first rewritten into these by qhpc's ``decompose`` compiler.

**CZ, two published schemes.** Both add two ancilla modes at the end of the mode list:

* **post-selected** (Ralph, Langford, Bell, Milburn & White, PRA 65, 062324 (2002); also Hofmann &
  Takeuchi, PRA 66, 024308): the two ``|1>`` rails meet on a beam splitter of reflectivity 1/3
  (``BS.Ry`` with ``cos^2(theta/2) = 1/3``, whose two-photon amplitude ``1/3 - 2/3 = -1/3`` gives the
  sign), each ``|0>`` rail crosses a 1/3 splitter with a vacuum ancilla (heralded empty). On the
  outcomes with one photon per qubit the gate is ``CZ / 3``: **success probability 1/9**.
* **heralded** (Knill, PRA 66, 052306 (2002), quant-ph/0110144): the two ``|1>`` rails and two
  ancilla modes holding one photon each go through two layers of beam splitters (``BS.H`` with
  ``cos^2(theta/2) = 1/3`` and ``(3 + sqrt 6)/6``, two pi phase shifts); detecting one photon in each
  ancilla heralds ``CZ`` with amplitude ``sqrt(2/27)``, whatever follows: **success probability 2/27**.

A post-selected CZ is only right if the post-selection at the end of the circuit still tells its
failures apart: here, if one of its two qubits (the *witness*) takes part in no later two-qubit
gate. The witness's photon number then stays what the gate left, so "one photon in the witness's
pair and none in the ancillas" at the end implies one photon in each of the gate's pairs right
after it - exactly the outcome on which the gate is ``CZ / 3``. Every CZ that has a witness is
post-selected, the others heralded (a Bell pair: one post-selected CZ, 1/9; a GHZ chain: all
post-selected; ``cz a,b; cz a,b``: the first heralded, 2/27 x 1/9).

**Post-selection and decoding.** The compiled program accepts the outcomes that satisfy the
heralds and have one photon in every qubit's pair (the coincidences of dual-rail experiments);
its metadata (``dual_rail``) records each qubit's pair, the measurements and the scheme's success
probability ``(1/9)^p (2/27)^h``. :meth:`DualRailCompiler.decode` turns photon counts into the
circuit's bitstrings (highest clbit first; the photon in a qubit's second mode reads ``1``;
clbits never measured read ``0``), drops outcomes that are not dual-rail states (none, when the
backend honours the program's post-selection), and puts in the metadata the backend's
``success_probability`` (the probability that an event is accepted: the scheme's value for a
noiseless emulator), the ``scheme_success_probability``, the raw ``photonic_counts`` and
``non_logical_events``.

**Refused** with a :class:`~qhpc.errors.CompileError`: classically conditioned gates, resets,
measurements followed by gates on the same qubit, unbound parameters, and unitary gates on two or
more qubits (decompose them into standard gates first).
"""

from __future__ import annotations

import cmath
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
from qhpc.compile import DecomposeCompiler
from qhpc.errors import CompileError
from qhpc.interfaces import BackendCapabilities, Compiler, RunOutput
from qhpc_interop import STANDARD_GATES, Barrier, Circuit, Gate, Measure, Reset, UnitaryGate
from qhpc_interop.photonic import (
    BeamSplitter,
    Component,
    Permutation,
    PhaseShifter,
    PhotonicError,
    PhotonicProgram,
    parse_fock_key,
)

#: The angle of a beam splitter of reflectivity 1/3 (``cos^2(theta/2) = 1/3``).
THETA_THIRD = 2 * math.acos(math.sqrt(1 / 3))
#: Knill's second angle (``cos^2(theta/2) = (3 + sqrt 6) / 6``).
THETA_KNILL = 2 * math.acos(math.sqrt((3 + math.sqrt(6)) / 6))
POSTSELECTED_CZ_SUCCESS = 1 / 9
HERALDED_CZ_SUCCESS = 2 / 27
ONE_QUBIT_GATES = frozenset(name for name, spec in STANDARD_GATES.items() if spec.num_qubits == 1)
#: What the circuit is decomposed into before it is written in linear optics.
NATIVE = ONE_QUBIT_GATES | {"cx", "cz", "swap"}
_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_EPS = 1e-12


def _phase(angle: float) -> float:
    """``angle`` wrapped into (-pi, pi]."""
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped


def one_qubit_components(matrix: np.ndarray, mode: int) -> list[Component]:
    """Components on modes ``(mode, mode + 1)`` equal to the 2x2 unitary ``matrix`` up to a global phase."""
    u = np.asarray(matrix, dtype=complex)
    c, s = abs(u[0, 0]), abs(u[1, 0])
    if s < _EPS:  # diagonal: one phase shifter (relative phase of |0> against |1>)
        delta = _phase(cmath.phase(u[0, 0]) - cmath.phase(u[1, 1]))
        return [PhaseShifter(mode, delta)] if abs(delta) > _EPS else []
    theta = 2 * math.atan2(s, c)
    phi = cmath.phase(-u[1, 1]) if c > _EPS else 0.0
    gamma = _phase(cmath.phase(u[1, 0]) - phi)
    alpha = _phase(cmath.phase(u[0, 1]) - phi)
    out: list[Component] = []
    if abs(gamma) > _EPS:
        out.append(PhaseShifter(mode, gamma))
    out.append(BeamSplitter(mode, theta, convention="H"))
    if abs(alpha) > _EPS:
        out.append(PhaseShifter(mode, alpha))
    return out


def postselected_cz() -> list[Component]:
    """Ralph et al.'s CZ on block modes ``[a0, v1, a1, b1, b0, v2]`` (v: vacuum ancillas)."""
    return [BeamSplitter(0, THETA_THIRD, convention="Ry"), BeamSplitter(2, THETA_THIRD, convention="Ry"),
            BeamSplitter(4, THETA_THIRD, convention="Ry")]


def heralded_cz() -> list[Component]:
    """Knill's CZ on block modes ``[a1, h1, b1, h2]`` (h: ancillas with one photon each); its
    outputs are ``[a1, b1, h1, h2]``."""
    return [PhaseShifter(0, math.pi), PhaseShifter(3, math.pi),
            BeamSplitter(0, THETA_THIRD, convention="H"), BeamSplitter(2, THETA_THIRD, convention="H"),
            Permutation(1, (1, 0)),
            BeamSplitter(0, -THETA_THIRD, convention="H"), BeamSplitter(2, THETA_KNILL, convention="H")]


def _block(program: PhotonicProgram, gather: list[int], scatter: list[int], components: list[Component]) -> None:
    """Append ``components`` (written on modes 0..k-1) acting on the modes ``gather`` (block mode i
    is ``gather[i]``), their outputs going to the modes ``scatter``; permutations bring the modes
    together and back, the other modes in between step aside and return."""
    lo, hi = min(gather), max(gather)
    others = [m for m in range(lo, hi + 1) if m not in set(gather)]
    k = len(gather)
    into = [0] * (hi - lo + 1)
    for i, m in enumerate(gather):
        into[m - lo] = i
    for j, m in enumerate(others):
        into[m - lo] = k + j
    if into != sorted(into):
        program.add(Permutation(lo, tuple(into)))
    for component in components:
        program.add(component.shifted(lo))
    back = [0] * (hi - lo + 1)
    for i, m in enumerate(scatter):
        back[i] = m - lo
    for j, m in enumerate(others):
        back[k + j] = m - lo
    if back != sorted(back):
        program.add(Permutation(lo, tuple(back)))


def _check(circuit: Circuit) -> None:
    if circuit.is_parameterized:
        raise CompileError(f"perceval.dual-rail compiles bound circuits; bind "
                           f"{', '.join(sorted(p.name for p in circuit.parameters))}")
    for k, inst in enumerate(circuit.instructions):
        if inst.condition is not None:
            raise CompileError(f"instruction {k} ({inst}): linear optics here has no feed-forward for classically "
                               "conditioned gates")
        if isinstance(inst.operation, Reset):
            raise CompileError(f"instruction {k} ({inst}): a photonic qubit cannot be reset")
        if isinstance(inst.operation, UnitaryGate) and len(inst.qubits) > 1:
            raise CompileError(f"instruction {k}: a unitary gate on {len(inst.qubits)} qubits cannot be written in "
                               "linear optics here; decompose it into standard gates first")
    if circuit.has_mid_circuit_measurement():
        raise CompileError("a qubit is measured before a later gate on it; photon detection ends a dual-rail qubit, "
                           "so only final measurements can be compiled")


def _native(circuit: Circuit) -> Circuit:
    """The circuit in one-qubit gates, ``cx``, ``cz`` and ``swap``."""
    names = circuit.gate_names() - {"measure", "barrier", "unitary"}
    if names <= NATIVE:
        return circuit
    target = BackendCapabilities(num_qubits=max(1, circuit.num_qubits), native_gates=NATIVE, supports_unitary=True)
    decompose = DecomposeCompiler()
    why = decompose.can_compile(circuit, target)
    if why is not None:
        raise CompileError(f"perceval.dual-rail cannot write this circuit in one-qubit gates and cz: {why}")
    return decompose.compile(circuit, target)


def compile_dual_rail(circuit: Circuit) -> PhotonicProgram:
    """The dual-rail program of ``circuit`` (see the module docstring)."""
    _check(circuit)
    native = _native(circuit)
    n = native.num_qubits
    # the operations in pair terms: swaps relabel which pair holds which qubit
    pair_of = list(range(n))
    ops: list[tuple[str, Any, Any]] = []
    measured: dict[int, int] = {}  # clbit -> pair holding its qubit when measured (the last write wins)
    for inst in native.instructions:
        op = inst.operation
        if isinstance(op, Barrier) or inst.name == "id":
            continue
        if isinstance(op, Measure):
            measured[inst.clbits[0]] = pair_of[inst.qubits[0]]
        elif inst.name == "swap":
            a, b = inst.qubits
            pair_of[a], pair_of[b] = pair_of[b], pair_of[a]
        elif inst.name in ("cx", "cz"):
            a, b = (pair_of[q] for q in inst.qubits)
            if inst.name == "cx":
                ops.append(("u", b, _H))
            ops.append(("cz", a, b))
            if inst.name == "cx":
                ops.append(("u", b, _H))
        elif len(inst.qubits) == 1 and isinstance(op, (Gate, UnitaryGate)):
            ops.append(("u", pair_of[inst.qubits[0]], op.matrix()))
        else:  # pragma: no cover - _native leaves nothing else
            raise CompileError(f"perceval.dual-rail cannot write {inst}")
    # a post-selected CZ needs a witness: one of its pairs in no later two-qubit gate
    later: set[int] = set()
    schemes: dict[int, str] = {}
    for index in range(len(ops) - 1, -1, -1):
        kind, a, b = ops[index]
        if kind == "cz":
            schemes[index] = "postselected" if a not in later or b not in later else "heralded"
            later.update((a, b))
    modes = 2 * n + 2 * len(schemes)
    program = PhotonicProgram(max(modes, 1), name=circuit.name)
    state = [0] * program.modes
    for q in range(n):
        state[2 * q] = 1
    pending = {p: np.eye(2, dtype=complex) for p in range(n)}

    def flush(p: int) -> None:
        for component in one_qubit_components(pending[p], 2 * p):
            program.add(component)
        pending[p] = np.eye(2, dtype=complex)

    ancilla = 2 * n
    for index, (kind, a, b) in enumerate(ops):
        if kind == "u":
            pending[a] = b @ pending[a]
            continue
        flush(a)
        flush(b)
        h1, h2 = ancilla, ancilla + 1
        ancilla += 2
        if schemes[index] == "postselected":
            block = [2 * a, h1, 2 * a + 1, 2 * b + 1, 2 * b, h2]
            _block(program, block, block, postselected_cz())
            program.herald(h1, 0).herald(h2, 0)
        else:
            state[h1] = state[h2] = 1
            _block(program, [2 * a + 1, h1, 2 * b + 1, h2], [2 * a + 1, 2 * b + 1, h1, h2], heralded_cz())
            program.herald(h1, 1).herald(h2, 1)
    for p in range(n):
        flush(p)
        program.postselect((2 * p, 2 * p + 1), "==", 1)
    program.with_input(state)
    postselected = sum(1 for s in schemes.values() if s == "postselected")
    heralded = len(schemes) - postselected
    program.metadata["dual_rail"] = {
        "qubits": [[2 * p, 2 * p + 1] for p in pair_of],
        "measurements": [[pair, clbit] for clbit, pair in sorted(measured.items())],
        "num_clbits": circuit.num_clbits,
        "cz": {"postselected": postselected, "heralded": heralded},
        "success_probability": POSTSELECTED_CZ_SUCCESS ** postselected * HERALDED_CZ_SUCCESS ** heralded,
    }
    return program


def logical_bitstring(occupation: tuple[int, ...], info: Mapping[str, Any]) -> str | None:
    """The circuit's bitstring for one photonic outcome (highest clbit first), or ``None`` if the
    outcome is not a dual-rail state (a qubit's pair without exactly one photon)."""
    for m0, m1 in info["qubits"]:
        if occupation[m0] + occupation[m1] != 1:
            return None
    bits = ["0"] * int(info["num_clbits"])
    for pair, clbit in info["measurements"]:
        bits[clbit] = "1" if occupation[2 * pair + 1] == 1 else "0"
    return "".join(reversed(bits))


class DualRailCompiler(Compiler):
    """Gate circuits to dual-rail linear optics (see the module docstring)."""

    name = "perceval.dual-rail"
    description = ("gate circuits as dual-rail linear optics: one-qubit gates exact, CZ post-selected (Ralph et al., "
                   "1/9) where a witness qubit allows, else heralded (Knill, 2/27)")
    source_kind = "gate"
    target_kind = "photonic"

    def __init__(self) -> None:
        self._cache: OrderedDict[str, PhotonicProgram] = OrderedDict()
        self._lock = threading.Lock()

    def _compiled(self, circuit: Circuit) -> PhotonicProgram:
        key = circuit.fingerprint()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit.copy()
        program = compile_dual_rail(circuit)
        with self._lock:
            self._cache[key] = program
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        return program.copy()

    def can_compile(self, circuit: Circuit, target: BackendCapabilities) -> str | None:
        if not isinstance(circuit, Circuit):
            return f"it compiles gate circuits, not {type(circuit).__name__}"
        if 2 * circuit.num_qubits > target.num_qubits:  # refused before compiling: two modes a qubit at least
            return (f"the circuit needs {2 * circuit.num_qubits} modes or more (two for each of its "
                    f"{circuit.num_qubits} qubits, before ancillas) but the target holds {target.num_qubits}")
        try:
            program = self._compiled(circuit)
        except CompileError as exc:
            return str(exc)
        if program.modes > target.num_qubits:
            return (f"the circuit needs {program.modes} modes ({2 * circuit.num_qubits} for {circuit.num_qubits} "
                    f"qubits, the rest ancillas) but the target holds {target.num_qubits}")
        return None

    def compile(self, circuit: Circuit, target: BackendCapabilities, *, seed: int | None = None,
                options: Mapping[str, Any] | None = None) -> Any:
        """The :class:`~qhpc_interop.photonic.PhotonicProgram` of ``circuit`` (a compiler between kinds)."""
        if options:
            raise CompileError(f"perceval.dual-rail takes no options (got {', '.join(sorted(options))})")
        why = self.can_compile(circuit, target)
        if why is not None:
            raise CompileError(why)
        return self._compiled(circuit)

    def decode(self, output: RunOutput, source: Any, compiled: Any) -> RunOutput:
        info = compiled.metadata.get("dual_rail") if isinstance(compiled, PhotonicProgram) else None
        if not isinstance(info, dict):
            raise CompileError("perceval.dual-rail can only decode the programs it compiled")
        modes = compiled.modes
        cache: dict[str, str | None] = {}

        def logical(key: str) -> str | None:
            if key not in cache:
                try:
                    cache[key] = logical_bitstring(parse_fock_key(key, modes), info)
                except PhotonicError:
                    cache[key] = None
            return cache[key]

        counts: dict[str, int] = {}
        dropped = 0
        for key, value in output.counts.items():
            bits = logical(key)
            if bits is None:
                dropped += int(value)
            else:
                counts[bits] = counts.get(bits, 0) + int(value)
        memory = None
        if output.memory is not None:
            memory = [b for b in (logical(k) for k in output.memory) if b is not None]
        metadata = {**output.metadata, "photonic_counts": dict(output.counts), "non_logical_events": dropped,
                    "scheme_success_probability": info["success_probability"], "dual_rail": info}
        return RunOutput(counts=counts, memory=memory, metadata=metadata)

