"""The conformance checks (see :mod:`qhpc.testing`). Each raises ``AssertionError`` listing failures."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from qhpc_interop import STANDARD_GATES, Circuit, Condition, Gate, Measure, Parameter
from qhpc_interop.testing import (
    circuit_unitary,
    measurement_probabilities,
    process_fidelity,
    random_circuit,
    random_unitary,
)

from ..compile import DecomposeCompiler, needs_compilation
from ..errors import QhpcError
from ..interfaces import Backend, BackendCapabilities, CancelToken, Compiler, ExecutionRequest, RunOutput

#: Statistical checks accept a deviation of up to this many standard deviations (seeded runs make
#: them deterministic; 5 sigma keeps an honest implementation far from a false failure).
STATISTICAL_Z = 5.0


def proportion_ok(observed: int, shots: int, p: float, z: float = STATISTICAL_Z) -> bool:
    """Whether ``observed`` successes in ``shots`` trials are consistent with probability ``p``."""
    if p <= 0.0:
        return observed == 0
    if p >= 1.0:
        return observed == shots
    sigma = math.sqrt(shots * p * (1 - p))
    return abs(observed - shots * p) <= z * sigma


def measurement_pairs(circuit: Circuit) -> list[tuple[int, int]]:
    """(qubit, clbit) of every measurement, in program order."""
    return [(i.qubits[0], i.clbits[0]) for i in circuit.instructions if isinstance(i.operation, Measure)]


def gate_suite(seed: int = 1234, num_random: int = 50, *, parameterized: bool = True,
               unitaries: bool = True) -> list[Circuit]:
    """Every library gate alone (random arguments, shuffled qubits) and ``num_random`` random circuits."""
    rng = random.Random(seed)
    suite = []
    for name, spec in STANDARD_GATES.items():
        n = spec.num_qubits + 1
        c = Circuit.with_registers({"q": n}, name=f"gate_{name}")
        c.append(Gate(name, tuple(rng.uniform(-2 * math.pi, 2 * math.pi) for _ in spec.param_names)),
                 rng.sample(range(n), spec.num_qubits))
        suite.append(c)
    for k in range(num_random):
        suite.append(random_circuit(rng.randint(1, 5), rng.randint(1, 30), seed=seed + k,
                                    unitaries=unitaries and k % 3 == 0))
    if parameterized:
        for k in range(max(1, num_random // 10)):
            suite.append(random_circuit(3, 12, seed=seed + 1000 + k, parameterized=True))
    return suite


def _compare(u: np.ndarray, v: np.ndarray, exact_phase: bool, atol: float) -> str | None:
    if u.shape != v.shape:
        return f"shape {v.shape} != {u.shape}"
    if exact_phase:
        err = float(np.max(np.abs(u - v)))
        return None if err <= atol else f"unitary differs by {err:.3g} (global phase must be kept)"
    f = process_fidelity(u, v)
    return None if f >= 1 - atol else f"process fidelity {f:.12f} < 1 - {atol}"


def _bound(c: Circuit, values: dict[str, float]) -> Circuit:
    return c.bind({k: v for k, v in values.items() if k in {p.name for p in c.parameters}}) if c.parameters else c


def check_translator_pair(
    to_native: Callable[[Circuit], Any],
    from_native: Callable[[Any], Circuit],
    *,
    native_unitary: Callable[[Any], np.ndarray] | None = None,
    exact_phase: bool = True,
    parameters: bool = True,
    unitaries: bool = True,
    conditionals: bool = True,
    seed: int = 1234,
    num_random: int = 50,
    atol: float = 1e-9,
) -> None:
    """A translator pair (model -> native -> model) keeps what a translator must keep.

    ``native_unitary`` is the SDK's own unitary of a native program (for Qiskit,
    ``lambda qc: Operator(qc).data``): the independent oracle. ``exact_phase=False`` only for
    formats that cannot hold a global phase.
    """
    failures: list[str] = []
    values = {"a": 0.37, "b": -1.21, "c": 2.05}
    for circuit in gate_suite(seed, num_random, parameterized=parameters, unitaries=unitaries):
        try:
            native = to_native(circuit)
            back = from_native(native)
        except Exception as exc:
            failures.append(f"{circuit.name}: {type(exc).__name__}: {exc}")
            continue
        expected = circuit_unitary(_bound(circuit, values))
        if {p.name for p in back.parameters} != {p.name for p in circuit.parameters}:
            failures.append(f"{circuit.name}: parameters {sorted(p.name for p in back.parameters)} "
                            f"!= {sorted(p.name for p in circuit.parameters)}")
            continue
        why = _compare(expected, circuit_unitary(_bound(back, values)), exact_phase, atol)
        if why:
            failures.append(f"{circuit.name} round trip: {why}")
        if native_unitary is not None:
            bound_native = to_native(_bound(circuit, values)) if circuit.parameters else native
            why = _compare(expected, native_unitary(bound_native), exact_phase, atol)
            if why:
                failures.append(f"{circuit.name} in the native format: {why}")
    # measurement-to-bit mapping, with an asymmetric preparation
    c = Circuit.with_registers({"q": 3}, {"c": 3}, name="measure_map")
    c.x(0)
    c.measure([0, 1, 2], [2, 0, 1])
    back = from_native(to_native(c))
    if measurement_pairs(back) != measurement_pairs(c):
        failures.append(f"measurement mapping {measurement_pairs(back)} != {measurement_pairs(c)}")
    elif measurement_probabilities(back) != measurement_probabilities(c):
        failures.append("readout distribution changed")
    if parameters:
        theta = Parameter("theta")
        c = Circuit(2, name="bind_later").rx(theta, 0).cp(2 * theta + 0.5, 0, 1).ry(-theta, 1)
        back = from_native(to_native(c))
        for value in (0.0, 0.7, -2.9):
            why = _compare(circuit_unitary(c.bind({"theta": value})), circuit_unitary(back.bind({"theta": value})),
                           exact_phase, atol)
            if why:
                failures.append(f"parameter bound after translation (theta={value}): {why}")
    if conditionals:
        # a condition on a whole register, and one on a single bit that is a register of its own
        # (the shapes every format with conditionals can hold, OpenQASM 2 included); every bit a
        # condition reads is written by a measurement first (formats such as Cirq's have no other
        # classical bits than measurement records)
        c = Circuit.with_registers({"q": 3}, {"m": 2, "f": 1}, name="conditional")
        c.h(0).measure(0, 0).measure(1, 1).measure(2, 2)
        c.append("x", [1], condition=Condition((0, 1), 1, "m"))
        c.append("x", [0], condition=Condition((2,), 0))
        back = from_native(to_native(c))
        want = [(i.name, i.qubits, i.condition.clbits, i.condition.value) for i in c if i.condition]
        got = [(i.name, i.qubits, i.condition.clbits, i.condition.value) for i in back if i.condition]
        if got != want:
            failures.append(f"conditions {got} != {want}")
    if failures:
        raise AssertionError(f"{len(failures)} translator failure(s):\n  " + "\n  ".join(failures[:30]))


# -- backends --------------------------------------------------------------------------------


def _path(caps: BackendCapabilities, length: int) -> list[int]:
    """``length`` qubits joined by couplings (any qubits when all-to-all)."""
    if caps.coupling_map is None:
        return list(range(length))
    neighbours: dict[int, set[int]] = {}
    for a, b in caps.coupling_map:
        neighbours.setdefault(a, set()).add(b)
    for start in sorted(neighbours):
        path = [start]
        while len(path) < length:
            nxt = sorted(n for n in neighbours.get(path[-1], ()) if n not in path)
            if not nxt:
                break
            path.append(nxt[0])
        if len(path) == length:
            return path
    raise AssertionError(f"the coupling map has no directed path of {length} qubits")


def _fit(circuit: Circuit, caps: BackendCapabilities) -> Circuit:
    if needs_compilation(circuit, caps):
        return DecomposeCompiler().compile(circuit, dataclasses.replace(caps, coupling_map=None))
    return circuit


def _checked_run(backend: Backend, circuit: Circuit, shots: int, seed: int | None, memory: bool,
                 failures: list[str]) -> Any:
    """``backend.run``, its readout checked as the integrator checks every job's (whole counts,
    widths, shot totals, memory, bits nothing writes): a backend the kit passes is not refused at
    run time for its readout's form. What fails is added to ``failures`` (the kit's own checks of
    the readout follow); a readout that is no ``RunOutput`` at all ends the check."""
    from ..verify import verify_output

    output = backend.run(circuit, shots=shots, seed=seed, memory=memory, options={}, cancel=CancelToken())
    if not isinstance(output, RunOutput) or not isinstance(output.counts, Mapping):
        raise AssertionError(f"{backend.name} on {circuit.name or 'a circuit'}: returned {type(output).__name__}, "
                             "not a RunOutput with a counts mapping")
    try:
        verify_output(output, ExecutionRequest("kit", backend.name, circuit, shots, seed, memory), circuit.num_clbits)
    except QhpcError as exc:
        failure = f"{circuit.name or 'a circuit'}: the run-time readout check: {exc}"
        if failure not in failures:
            failures.append(failure)
    return output


def check_backend(backend: Backend, *, shots: int = 2000, seed: int = 11, full_width: bool = False) -> None:
    """A gate backend honours what its capabilities declare, checked against analytic readouts.

    Checks bit order, the measurement-to-clbit mapping (qubits measured into reversed and sparse
    clbits; a clbit no measurement writes reads 0), every declared native gate (between input
    states and readouts chosen so that the gate's readout distribution differs clearly from those
    of its wrong-phase variants: inverse, complex conjugate, reversed operands, an extra S on an
    operand, the gate dropped; against the exact readout distribution), GHZ statistics, shot
    totals, memory, reset, mid-circuit measurement, conditionals and seed reproducibility, as far as
    the capabilities declare them. With ``full_width`` it also runs a GHZ state on every declared
    qubit (only where that is cheap: MPS, small devices; a 10,000-qubit stabilizer GHZ takes
    minutes).

    A backend that declares ``noisy=True`` is checked against the readout distribution that the
    noise model it declares (:meth:`Backend.noise_model`) predicts instead: the same circuits
    (bit order, measurement mapping, GHZ, every native gate, reset, mid-circuit measurement,
    conditionals), each outcome's count within 5 standard deviations of the model's exact
    probability, plus memory consistent with the counts and seed reproducibility of an emulator.
    """
    caps = backend.capabilities
    failures: list[str] = []
    assert isinstance(caps, BackendCapabilities), f"{backend.name}: capabilities is not a BackendCapabilities"
    assert caps.kind == backend.kind, (f"{backend.name}: the class declares kind {str(backend.kind)!r} but the "
                                       f"capabilities say {str(caps.kind)!r} (set the class attribute kind)")
    assert caps.paradigm == "gate", f"{backend.name} is not a gate backend"
    assert caps.num_qubits >= 1, f"{backend.name} declares {caps.num_qubits} qubits"
    shots = min(shots, caps.max_shots)
    if caps.noisy:
        _check_noisy_backend(backend, caps, shots, seed)
        return

    def run(circuit: Circuit, *, memory: bool = False, seed_: int | None = seed) -> Any:
        fitted = _fit(circuit, caps)
        return _checked_run(backend, fitted, shots, seed_, memory, failures)

    width = min(caps.num_qubits, 4)
    qubits = _path(caps, width)
    # bit order: X on one qubit reads back as a 1 at that clbit, highest clbit first
    for k in range(width):
        c = Circuit(max(qubits) + 1, width, name=f"x_on_{k}")
        c.x(qubits[k])
        c.measure(qubits, list(range(width)))
        output = run(c)
        expected = "".join("1" if b == k else "0" for b in reversed(range(width)))
        if output.counts != {expected: shots}:
            failures.append(f"X on clbit {k}: counts {output.counts}, expected {{{expected!r}: {shots}}}")
    # measurement targets: qubits measured into other clbits than their own index, and unwritten clbits
    for c, expected in _measurement_map_circuits(qubits, max(qubits) + 1):
        output = run(c)
        if output.counts != {expected: shots}:
            failures.append(f"measurement map ({c.name}: {_pairs_text(c)}): counts {output.counts}, "
                            f"expected {{{expected!r}: {shots}}}")
    # GHZ along a coupled path: half all-zeros, half all-ones
    m = min(caps.num_qubits, 5)
    path = _path(caps, m)
    ghz = Circuit(max(path) + 1, m, name="ghz")
    ghz.h(path[0])
    for a, b in itertools.pairwise(path):
        ghz.cx(a, b)
    ghz.measure(path, list(range(m)))
    output = run(ghz, memory=caps.supports_memory)
    if sum(output.counts.values()) != shots:
        failures.append(f"GHZ: {sum(output.counts.values())} shots counted, {shots} asked")
    if set(output.counts) - {"0" * m, "1" * m}:
        failures.append(f"GHZ: impossible outcomes {sorted(set(output.counts) - {'0' * m, '1' * m})[:5]}")
    if not proportion_ok(output.counts.get("1" * m, 0), shots, 0.5):
        failures.append(f"GHZ: {output.counts.get('1' * m, 0)} of {shots} all-ones, expected about half")
    if caps.supports_memory:
        if output.memory is None or len(output.memory) != shots or Counter(output.memory) != Counter(output.counts):
            failures.append("memory missing, of the wrong length, or inconsistent with counts")
    if caps.kind == "emulator":
        again = run(ghz)
        if again.counts != run(ghz).counts:
            failures.append("the same seed gave different counts")
    if caps.supports_reset:
        c = Circuit(1, 1, name="reset").x(0).reset(0).measure(0, 0)
        output = run(c)
        if output.counts != {"0": shots}:
            failures.append(f"reset: counts {output.counts}, expected all 0")
    if caps.supports_mid_circuit_measurement:
        c = Circuit(1, 2, name="mid_measure").x(0).measure(0, 0).x(0).measure(0, 1)
        output = run(c)
        if output.counts != {"01": shots}:
            failures.append(f"mid-circuit measurement: counts {output.counts}, expected {{'01': {shots}}}")
    if caps.supports_conditionals and width >= 2:
        c = Circuit(max(qubits) + 1, 2, name="conditional")
        c.h(qubits[0]).measure(qubits[0], 0)
        c.append("x", [qubits[1]], condition=Condition((0,), 1))
        c.measure(qubits[1], 1)
        output = run(c)
        if set(output.counts) - {"00", "11"} or not proportion_ok(output.counts.get("11", 0), shots, 0.5):
            failures.append(f"conditional X: counts {output.counts}, expected about half '00' and half '11'")
    failures.extend(_check_native_gates(caps, run, shots, seed))
    if caps.supports_unitary:
        failures.extend(_check_unitaries(caps, run, shots, seed))
    if full_width:
        n = caps.num_qubits
        big = Circuit(n, n, name="full_width_ghz")
        big.h(0)
        for a in range(n - 1):
            big.cx(a, a + 1)
        big.measure(list(range(n)), list(range(n)))
        output = run(big)
        if set(output.counts) - {"0" * n, "1" * n}:
            failures.append(f"GHZ on all {n} declared qubits gave impossible outcomes")
    if failures:
        raise AssertionError(f"{backend.name}: {len(failures)} failure(s):\n  " + "\n  ".join(failures))


def _check_native_gates(caps: BackendCapabilities, run: Callable[..., Any], shots: int, seed: int) -> list[str]:
    """Each native gate, between phase-sensitive input states and readouts (:func:`_gate_probe`),
    read as the model predicts."""
    failures: list[str] = []
    for name, qubits in _native_gate_targets(caps):
        for c in _gate_probe(name, _clifford_only(caps), seed).circuits(qubits):
            why = _disagreement(c, run(c).counts, shots)
            if why:
                failures.append(f"native gate {name}: {why}")
    return failures


def _clifford_only(caps: BackendCapabilities) -> bool:
    """Whether the native gates cannot reach ``u`` (a Clifford set): prepare with Clifford gates only."""
    from ..compile import plan_for

    native = frozenset(STANDARD_GATES) if caps.native_gates is None else caps.native_gates
    return "u" not in plan_for(frozenset(native))


def _native_gate_targets(caps: BackendCapabilities) -> list[tuple[str, list[int]]]:
    """Every declared native library gate that fits the device, with coupled qubits to run it on."""
    native = frozenset(STANDARD_GATES) if caps.native_gates is None else caps.native_gates
    paths: dict[int, list[int]] = {}
    out = []
    for name in sorted(native & set(STANDARD_GATES)):
        k = STANDARD_GATES[name].num_qubits
        if k > caps.num_qubits:
            continue
        if k not in paths:
            paths[k] = _path(caps, k)
        out.append((name, paths[k]))
    return out


def _measurement_map_circuits(qubits: Sequence[int], num_qubits: int) -> list[tuple[Circuit, str]]:
    """Circuits whose measurements write other clbits than the qubits' own positions, each with the
    one outcome it gives without noise. A backend that writes each result into the clbit of the
    qubit's index (or measures in qubit order) reads them wrongly; so does one that leaves garbage
    in a clbit no measurement writes."""
    w = len(qubits)
    out = []
    if w >= 2:  # X on the first qubit, measured into the clbits in reverse
        c = Circuit(num_qubits, w, name="reversed_clbits")
        c.x(qubits[0])
        c.measure(list(qubits), list(reversed(range(w))))
        out.append((c, "1" + "0" * (w - 1)))
    # X on every qubit; the first into the highest clbit, the others into 1..w-1; clbits 0 and w unwritten
    c = Circuit(num_qubits, w + 2, name="sparse_clbits")
    for q in qubits:
        c.x(q)
    c.measure(list(qubits), [w + 1, *range(1, w)])
    out.append((c, "10" + "1" * (w - 1) + "0"))
    return out


def _pairs_text(c: Circuit) -> str:
    return ", ".join(f"q{q}->c{b}" for q, b in measurement_pairs(c)) + f" of {c.num_clbits} clbits"


#: one-qubit Clifford preparations (from |0>) and readouts (before measuring), by gate names
_CLIFFORD_PREPARATIONS = ((), ("h",), ("h", "s"), ("sx",), ("x", "h"), ("h", "sx"), ("sx", "h"))
_CLIFFORD_READOUTS = ((), ("h",), ("sdg", "h"), ("s", "h"), ("sx",), ("sxdg",))
#: a native gate gets another probe circuit (up to _MAX_PROBES) while some wrong variant of it
#: differs from it by less than this in every probe's readout distribution (no noise)
_PROBE_MARGIN = 0.3
_MAX_PROBES = 3

_Steps = tuple[tuple[tuple[str, tuple[float, ...]], ...], ...]  # per operand: (gate, params) in order


@dataclasses.dataclass(frozen=True)
class _GateProbe:
    """One native gate (name and parameters) between one-qubit preparations and readouts, one
    (before, after) setting per probe circuit, and ``margin``: the least, over the gate's wrong
    variants (:func:`_wrong_variants`), of the largest difference in one outcome's probability
    between the gate's readout and the variant's, in the probe circuit that separates them best
    (no noise)."""

    name: str
    params: tuple[float, ...]
    settings: tuple[tuple[_Steps, _Steps], ...]
    margin: float

    def circuits(self, qubits: Sequence[int]) -> list[Circuit]:
        """The probe circuits on ``qubits`` (operand ``k`` read into clbit ``k``)."""
        k = len(qubits)
        out = []
        for n, (before, after) in enumerate(self.settings):
            c = Circuit(max(qubits) + 1, k, name=f"native_{self.name}" + (f"_{n + 1}" if n else ""))
            for q, steps in zip(qubits, before):
                for gate, params in steps:
                    c.gate(gate, [q], list(params))
            c.gate(self.name, list(qubits), list(self.params))
            for q, steps in zip(qubits, after):
                for gate, params in steps:
                    c.gate(gate, [q], list(params))
            c.measure(list(qubits), list(range(k)))
            out.append(c)
        return out


def _one_qubit(steps: Sequence[tuple[str, Sequence[float]]]) -> np.ndarray:
    m = np.eye(2, dtype=complex)
    for gate, params in steps:
        m = Gate(gate, tuple(params)).matrix() @ m
    return m


def _kron(ops: Sequence[np.ndarray]) -> np.ndarray:
    """Little-endian: operand 0 is the least significant index bit."""
    out = np.eye(1, dtype=complex)
    for m in ops:
        out = np.kron(m, out)
    return out


def _wrong_variants(name: str, params: Sequence[float]) -> list[np.ndarray]:
    """Unitaries (over the operands, little-endian) a backend with a phase or wiring defect might run
    instead of the gate: dropped, inverse (s as sdg, rz(a) as rz(-a)), complex conjugate (sx as
    sxdg, t as tdg), operands reversed, an extra S on one operand (a controlled phase off by a frame
    change). Those equal to the gate up to global phase are left out."""
    k = STANDARD_GATES[name].num_qubits
    ops = list(range(k))
    gate = circuit_unitary(Circuit(k).gate(name, ops, list(params)))
    variants = [np.eye(2**k, dtype=complex), gate.conj().T, gate.conj()]
    if k >= 2:
        variants.append(circuit_unitary(Circuit(k).gate(name, ops[::-1], list(params))))
    for j in ops:
        variants.append(circuit_unitary(Circuit(k).gate(name, ops, list(params)).s(j)))
    return [v for v in variants if process_fidelity(gate, v) < 1 - 1e-9]


@functools.cache
def _gate_probe(name: str, clifford_only: bool, seed: int) -> _GateProbe:
    """Preparations and readouts for ``name`` (searched with a generator seeded by ``seed`` and the
    name) that make its readout distribution differ clearly from that of every wrong variant of it
    (:func:`_wrong_variants`): random ``u`` rotations improved by a short local search, or
    (``clifford_only``) combinations of one-qubit Clifford sequences; a second or third probe
    circuit where one cannot separate all variants by :data:`_PROBE_MARGIN`."""
    rng = random.Random(f"{seed}:{name}")
    spec = STANDARD_GATES[name]
    k = spec.num_qubits
    # angles away from 0 and +-pi, so that a sign error shows
    params = tuple(rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 2.6) for _ in spec.param_names)
    gate = circuit_unitary(Circuit(k).gate(name, list(range(k)), list(params)))
    variants = _wrong_variants(name, params)
    zero = np.zeros(2**k, dtype=complex)
    zero[0] = 1.0

    def separation(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> np.ndarray:
        """For each variant, the largest difference in one outcome's probability from the gate's."""
        psi = _kron(before) @ zero
        post = _kron(after)
        p = np.abs(post @ (gate @ psi)) ** 2
        return np.array([float(np.max(np.abs(p - np.abs(post @ (v @ psi)) ** 2))) for v in variants])

    settings: list[tuple[_Steps, _Steps]] = []
    reached = np.zeros(len(variants))  # per variant, its best separation over the probes so far
    while not settings or (reached.size and reached.min() < _PROBE_MARGIN and len(settings) < _MAX_PROBES):
        def gain(sep: np.ndarray, reached: np.ndarray = reached) -> float:
            return float(np.maximum(reached, sep).min()) if sep.size else 1.0

        if clifford_only:
            pre = [_one_qubit([(g, ()) for g in seq]) for seq in _CLIFFORD_PREPARATIONS]
            read = [_one_qubit([(g, ()) for g in seq]) for seq in _CLIFFORD_READOUTS]
            combos = list(itertools.product(itertools.product(range(len(pre)), repeat=k),
                                            itertools.product(range(len(read)), repeat=k)))
            rng.shuffle(combos)
            best_value, best_sep, best_combo = -1.0, reached, combos[0]
            for b, a in combos[:400]:
                sep = separation([pre[i] for i in b], [read[i] for i in a])
                if gain(sep) > best_value + 1e-12:
                    best_value, best_sep, best_combo = gain(sep), sep, (b, a)
            b, a = best_combo
            settings.append((tuple(tuple((g, ()) for g in _CLIFFORD_PREPARATIONS[i]) for i in b),
                             tuple(tuple((g, ()) for g in _CLIFFORD_READOUTS[i]) for i in a)))
        else:
            def sep_of(angles: np.ndarray) -> np.ndarray:
                return separation([Gate("u", tuple(float(x) for x in angles[0, j])).matrix() for j in range(k)],
                                  [Gate("u", tuple(float(x) for x in angles[1, j])).matrix() for j in range(k)])

            def draw() -> np.ndarray:
                return np.array([[[rng.uniform(0.3, 2.8), rng.uniform(-3, 3), rng.uniform(-3, 3)] for _ in range(k)]
                                 for _ in range(2)])

            candidates = [(a, sep_of(a)) for a in (draw() for _ in range(16))]
            angles, best_sep = max(candidates, key=lambda item: gain(item[1]))
            step = 0.5
            for _ in range(64):  # a short local search: keep a perturbation that separates better
                trial = angles + np.array([[[rng.gauss(0, step) for _ in range(3)] for _ in range(k)]
                                           for _ in range(2)])
                trial_sep = sep_of(trial)
                if gain(trial_sep) > gain(best_sep):
                    angles, best_sep = trial, trial_sep
                else:
                    step = max(0.05, step * 0.95)
            settings.append((tuple((("u", tuple(float(x) for x in angles[0, j])),) for j in range(k)),
                             tuple((("u", tuple(float(x) for x in angles[1, j])),) for j in range(k))))
        reached = np.maximum(reached, best_sep)
    return _GateProbe(name, params, tuple(settings), float(reached.min()) if reached.size else 1.0)


def _disagreement(circuit: Circuit, counts: dict[str, int], shots: int) -> str | None:
    """Where ``counts`` of ``shots`` runs of ``circuit`` disagree with its exact readout distribution
    beyond shot noise, how; else ``None``."""
    expected = measurement_probabilities(circuit)
    if all(proportion_ok(counts.get(k, 0), shots, expected.get(k, 0.0)) for k in set(expected) | set(counts)):
        return None
    return (f"counts {dict(sorted(counts.items()))} disagree with the exact distribution "
            f"{ {k: round(v, 4) for k, v in sorted(expected.items())} }")


def _check_unitaries(caps: BackendCapabilities, run: Callable[..., Any], shots: int, seed: int) -> list[str]:
    """Matrix gates on one, two and three qubits (Haar-random, so a transposed matrix or one read
    in the other bit order gives another distribution), between random input states and
    measurements, on the qubits in path order and reversed."""
    failures: list[str] = []
    rng = random.Random(seed + 1)
    for k in (1, 2, 3):
        if k > caps.num_qubits:
            break
        for order in ("in path order", "reversed"):
            qubits = _path(caps, k)
            c = Circuit(max(qubits) + 1, k, name=f"unitary_{k}q")
            for q in qubits:
                c.u(rng.uniform(0.3, 2.8), rng.uniform(-3, 3), rng.uniform(-3, 3), q)
            c.unitary(random_unitary(2**k, rng), qubits if order == "in path order" else qubits[::-1])
            c.measure(qubits, list(range(k)))
            why = _disagreement(c, run(c).counts, shots)
            if why:
                failures.append(f"a {k}-qubit unitary gate ({order}): {why}")
    return failures


# -- compilers -------------------------------------------------------------------------------


def check_compiler(compiler: Compiler, target: BackendCapabilities, circuits: Sequence[Circuit], *,
                   exact_phase: bool = True, atol: float = 1e-9, seed: int = 5) -> None:
    """``compiler`` fits each circuit to ``target`` and keeps its operation.

    Without a coupling map the unitary must be kept (exactly, or up to global phase); with one,
    qubits may be relabelled, so the readout distribution of the measured circuit must be kept.
    """
    failures: list[str] = []
    for circuit in circuits:
        try:
            compiled = compiler.compile(circuit, target, seed=seed)
        except Exception as exc:
            failures.append(f"{circuit.name}: {type(exc).__name__}: {exc}")
            continue
        left = needs_compilation(compiled, target)
        if left:
            failures.append(f"{circuit.name}: still unfit: {'; '.join(left)}")
            continue
        if target.coupling_map is None and circuit.num_clbits == 0:
            why = _compare(circuit_unitary(circuit), circuit_unitary(compiled), exact_phase, atol)
            if why:
                failures.append(f"{circuit.name}: {why}")
        else:
            want, got = measurement_probabilities(circuit), measurement_probabilities(compiled)
            keys = set(want) | set(got)
            err = max((abs(want.get(k, 0.0) - got.get(k, 0.0)) for k in keys), default=0.0)
            if err > 1e-9:
                failures.append(f"{circuit.name}: readout distribution differs by {err:.3g}")
    if failures:
        raise AssertionError(f"compiler {compiler.name}: {len(failures)} failure(s):\n  " + "\n  ".join(failures[:30]))


# -- noisy backends ----------------------------------------------------------------------------


def _check_noisy_backend(backend: Backend, caps: BackendCapabilities, shots: int, seed: int) -> None:
    """A noisy backend's readout agrees, outcome by outcome (within 5 standard deviations), with
    the exact distribution its declared noise model predicts (:meth:`Backend.noise_model`; the
    density-matrix oracle :func:`qhpc.noise.simulate.distribution` follows mid-circuit
    measurements, resets and conditions): bit order, the measurement-to-clbit mapping, GHZ, every
    declared native gate between phase-sensitive preparations and readouts, reset, mid-circuit
    measurement and conditionals as the capabilities declare them; the memory of every run (when
    supported) holds the counts' shots, and an emulator's seed reproduces its counts."""
    from ..noise.schedule import compact, expand
    from ..noise.simulate import distribution

    model = backend.noise_model()
    assert model is not None, (f"{backend.name} declares noisy=True but no noise model (Backend.noise_model): "
                               "the conformance kit checks a noisy backend against the model it declares")
    width = min(caps.num_qubits, 3)
    path = _path(caps, width)
    size = max(path) + 1
    circuits: list[tuple[str, Circuit]] = []  # (what a failure is reported as, circuit)
    for k in range(width):  # bit order under noise: X on one qubit
        c = Circuit(size, width, name=f"x_on_{k}")
        c.x(path[k])
        c.measure(path, list(range(width)))
        circuits.append((f"x_on_{k}", c))
    circuits.extend((f"measurement map ({c.name}: {_pairs_text(c)})", c) for c, _ in _measurement_map_circuits(path, size))
    ghz = Circuit(size, width, name="ghz")
    ghz.h(path[0])
    for a, b in itertools.pairwise(path):
        ghz.cx(a, b)
    ghz.measure(path, list(range(width)))
    circuits.append(("ghz", ghz))
    clifford_only = _clifford_only(caps)
    for name, qubits in _native_gate_targets(caps):
        circuits.extend((f"native gate {name} ({c.name})", c) for c in _gate_probe(name, clifford_only, seed).circuits(qubits))
    q0 = path[0]
    if caps.supports_reset:  # an ignored reset reads mostly 1, an honoured one mostly 0
        c = Circuit(q0 + 1, 1, name="reset")
        c.x(q0).reset(q0).measure(q0, 0)
        circuits.append(("reset", c))
    if caps.supports_mid_circuit_measurement:  # measurements taken in place: mostly '01'
        c = Circuit(q0 + 1, 2, name="mid_measure")
        c.x(q0).measure(q0, 0).x(q0).measure(q0, 1)
        circuits.append(("mid-circuit measurement", c))
    if caps.supports_conditionals and width >= 2:  # mostly '00' and '11'; an ignored condition gives '1x'
        c = Circuit(size, 2, name="conditional")
        c.h(path[0]).measure(path[0], 0)
        c.append("x", [path[1]], condition=Condition((0,), 1))
        c.measure(path[1], 1)
        circuits.append(("conditional X", c))
    if caps.supports_conditionals and width >= 3:
        # clbits 0 and 1 read 1 and 1 (the value 3), so X under "value 1" stays off: mostly '011'; a
        # backend that ignores the condition or reads its first bit only gives mostly '111'
        c = Circuit(size, 3, name="conditional_on_a_register")
        c.x(path[0]).x(path[1]).measure(path[0], 0).measure(path[1], 1)
        c.append("x", [path[2]], condition=Condition((0, 1), 1))
        c.measure(path[2], 2)
        circuits.append(("conditional X on a two-bit value", c))
    failures: list[str] = []
    for label, circuit in circuits:
        fitted = _fit(circuit, caps)
        output = _checked_run(backend, fitted, shots, seed, caps.supports_memory, failures)
        if sum(output.counts.values()) != shots:
            failures.append(f"{label}: {sum(output.counts.values())} shots counted, {shots} asked")
            continue
        if caps.supports_memory and (output.memory is None or len(output.memory) != shots
                                     or Counter(output.memory) != Counter(output.counts)):
            failures.append(f"{label}: memory missing, of the wrong length, or inconsistent with counts")
        small, _ = compact(expand(fitted, model))
        expected = distribution(small)
        bad = [k for k in set(expected) | set(output.counts)
               if not proportion_ok(output.counts.get(k, 0), shots, expected.get(k, 0.0))]
        if bad:
            failures.append(f"{label}: counts {dict(sorted(output.counts.items()))} disagree with the declared "
                            f"model's { {k: round(v, 4) for k, v in sorted(expected.items())} } at {sorted(bad)[:4]}")
    if caps.kind == "emulator":
        first = backend.run(_fit(ghz, caps), shots=shots, seed=seed, memory=False, options={}, cancel=CancelToken())
        again = backend.run(_fit(ghz, caps), shots=shots, seed=seed, memory=False, options={}, cancel=CancelToken())
        if first.counts != again.counts:
            failures.append("the same seed gave different counts")
    if failures:
        raise AssertionError(f"{backend.name}: {len(failures)} failure(s) against its declared noise model:\n  "
                             + "\n  ".join(failures))
