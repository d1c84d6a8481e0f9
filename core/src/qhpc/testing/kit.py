"""The conformance checks (see :mod:`qhpc.testing`). Each raises ``AssertionError`` listing failures."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
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
from ..interfaces import Backend, BackendCapabilities, CancelToken, Compiler

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


def check_backend(backend: Backend, *, shots: int = 2000, seed: int = 11, full_width: bool = False) -> None:
    """A gate backend honours what its capabilities declare, checked against analytic readouts.

    Checks bit order, every declared native gate (on a random input state, against the exact
    readout distribution), GHZ statistics, shot totals, memory, reset, mid-circuit measurement,
    conditionals and seed reproducibility, as far as the capabilities declare them. With
    ``full_width`` it also runs a GHZ state on every declared qubit (only where that is cheap: MPS,
    small devices; a 10,000-qubit stabilizer GHZ takes minutes).
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
        return backend.run(fitted, shots=shots, seed=seed_, memory=memory, options={}, cancel=CancelToken())

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
    """Each native gate, between random input states and measurements, read as the model predicts."""
    from ..compile import plan_for

    failures: list[str] = []
    rng = random.Random(seed)
    native = frozenset(STANDARD_GATES) if caps.native_gates is None else caps.native_gates
    reachable = plan_for(frozenset(native))
    universal = "u" in reachable  # otherwise (a Clifford set) prepare with Clifford gates only
    for name in sorted(native & set(STANDARD_GATES)):
        spec = STANDARD_GATES[name]
        if spec.num_qubits > caps.num_qubits:
            continue
        qubits = _path(caps, spec.num_qubits)
        c = Circuit(max(qubits) + 1, spec.num_qubits, name=f"native_{name}")
        for q in qubits:
            if universal:
                c.u(rng.uniform(0.3, 2.8), rng.uniform(-3, 3), rng.uniform(-3, 3), q)
            else:
                for prep in rng.choice([["h"], ["h", "s"], ["sx"], ["x", "h"]]):
                    c.gate(prep, [q])
        c.gate(name, qubits, [rng.uniform(-3, 3) for _ in spec.param_names])
        for q in qubits:  # leave the computational basis so phases a gate adds become visible
            c.gate("h" if not universal else "u", [q], [] if not universal else [1.1, 0.4, -0.7])
        c.measure(qubits, list(range(spec.num_qubits)))
        why = _disagreement(c, run(c).counts, shots)
        if why:
            failures.append(f"native gate {name}: {why}")
    return failures


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
    the exact distribution its declared noise model predicts (:meth:`Backend.noise_model`)."""
    from ..noise.schedule import compact, expand
    from ..noise.simulate import distribution

    model = backend.noise_model()
    assert model is not None, (f"{backend.name} declares noisy=True but no noise model (Backend.noise_model): "
                               "the conformance kit checks a noisy backend against the model it declares")
    rng = random.Random(seed)
    width = min(caps.num_qubits, 3)
    path = _path(caps, width)
    circuits: list[Circuit] = []
    for k in range(width):  # bit order under noise: X on one qubit
        c = Circuit(max(path) + 1, width, name=f"x_on_{k}")
        c.x(path[k])
        c.measure(path, list(range(width)))
        circuits.append(c)
    ghz = Circuit(max(path) + 1, width, name="ghz")
    ghz.h(path[0])
    for a, b in itertools.pairwise(path):
        ghz.cx(a, b)
    ghz.measure(path, list(range(width)))
    circuits.append(ghz)
    native = sorted((caps.native_gates or frozenset(STANDARD_GATES)) & set(STANDARD_GATES))
    for name in rng.sample(native, min(4, len(native))):
        spec = STANDARD_GATES[name]
        if spec.num_qubits > width:
            continue
        qubits = path[:spec.num_qubits]
        c = Circuit(max(path) + 1, spec.num_qubits, name=f"native_{name}")
        for q in qubits:
            c.h(q)
        c.gate(name, qubits, [rng.uniform(-3, 3) for _ in spec.param_names])
        for q in qubits:
            c.h(q)
        c.measure(qubits, list(range(spec.num_qubits)))
        circuits.append(c)
    failures = []
    for circuit in circuits:
        fitted = _fit(circuit, caps)
        output = backend.run(fitted, shots=shots, seed=seed, memory=False, options={}, cancel=CancelToken())
        if sum(output.counts.values()) != shots:
            failures.append(f"{circuit.name}: {sum(output.counts.values())} shots counted, {shots} asked")
            continue
        small, _ = compact(expand(fitted, model))
        expected = distribution(small)
        bad = [k for k in set(expected) | set(output.counts)
               if not proportion_ok(output.counts.get(k, 0), shots, expected.get(k, 0.0))]
        if bad:
            failures.append(f"{circuit.name}: counts {dict(sorted(output.counts.items()))} disagree with the declared "
                            f"model's { {k: round(v, 4) for k, v in sorted(expected.items())} } at {sorted(bad)[:4]}")
    if failures:
        raise AssertionError(f"{backend.name}: {len(failures)} failure(s) against its declared noise model:\n  "
                             + "\n  ".join(failures))
