"""Sessions: a parameterised circuit compiled once on a backend, evaluated for many parameter sets.

A :class:`Session` is the low-level scheduler of a hybrid loop: it reads and compiles the ansatz
once; each evaluation only binds parameters (no translation, no compilation) and sends every
parameter set of a call to the backend in one batch (Aer binds them itself). Expectation values
are exact on emulators that can compute them (Aer's statevector and density matrix), and
estimated from shots elsewhere, grouping the observable's terms into qubit-wise commuting sets,
with standard errors. Gradients by the parameter-shift rule go to the backend as one batch too.
Under a noise model, readout errors can be mitigated by inverting the model's confusion matrices.

::

    with Session(ansatz, [hamiltonian], backend="aer.statevector") as s:
        energy = s.expectation({"t0": 0.1, "t1": 0.2})[0].value
        grad = s.gradient({"t0": 0.1, "t1": 0.2})
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc_interop import Circuit, Gate, Instruction, Measure, Parameter
from qhpc_interop.params import Expr

from ..errors import JobFailedError, JobRejectedError, QhpcError
from ..interfaces import CancelToken, ExecutionRequest, batch_seed
from ..verify import verify_output
from .observables import PauliSum, estimate_group, group_basis

#: Gates whose parameter enters as exp(-i theta/2 G) with G^2 = I (up to a global phase), for which
#: the two-term parameter-shift rule d<O>/d theta = (<O>(theta + pi/2) - <O>(theta - pi/2)) / 2 is exact.
SHIFTABLE = {"rx": 0, "ry": 0, "rz": 0, "p": 0, "u1": 0, "rxx": 0, "ryy": 0, "rzz": 0, "rzx": 0}


@dataclass(frozen=True)
class Estimate:
    """An expectation value and its standard error (0 for exact values)."""

    value: float
    stderr: float = 0.0


@dataclass
class SessionStats:
    """What the session did: evaluations, backend calls, and seconds per call (for benchmarks)."""

    evaluations: int = 0
    backend_calls: int = 0
    calls: list[dict[str, float]] = field(default_factory=list)


class Session:
    """See the module docstring. ``shots=None`` asks for exact expectation values (refused where the
    backend cannot give them); otherwise each term group is measured with ``shots`` shots."""

    def __init__(self, program: object, observables: Sequence[object], *, backend: str = "aer.statevector",
                 integrator: Any = None, shots: int | None = None, seed: int | None = None,
                 noise: Any = None, mitigate_readout: bool = False) -> None:
        from .. import get_integrator
        from ..noise import as_noise_model

        self.integrator = integrator if integrator is not None else get_integrator()
        start = time.perf_counter()
        circuit, _ = self.integrator.to_circuit(program)
        ansatz = circuit.copy(instructions=[i for i in circuit.instructions if not isinstance(i.operation, Measure)])
        ansatz.num_clbits, ansatz.cregs = 0, []
        self.num_qubits = ansatz.num_qubits
        self.parameters = [p.name for p in ansatz.parameters]
        self.observables = [PauliSum.from_any(o, self.num_qubits).padded(self.num_qubits) for o in observables]
        self.backend = self.integrator.backend(backend)
        from ..worker import check_qpu_allocation

        check_qpu_allocation(self.backend)  # inside a job whose QPUs QRMI allocated: only those
        self.shots, self.seed = shots, seed
        caps = self.integrator.capabilities(self.backend)
        if shots is not None:
            if isinstance(shots, bool) or not isinstance(shots, numbers.Integral) or shots < 1:
                raise JobRejectedError(f"shots must be a positive integer or None (exact), not {shots!r}")
            shots = self.shots = int(shots)  # (numpy's integers too)
            if shots > caps.max_shots:  # (the backend received them: a vendor's bare error came back)
                raise JobRejectedError(f"{shots} shots exceed {self.backend.name}'s limit of {caps.max_shots}")
        self.noise = as_noise_model(noise) if noise is not None else None
        self.mitigate_readout = mitigate_readout
        # the readout model to invert: the given noise model's, or the noisy backend's own (a device target)
        self._readout_model = self.noise if self.noise is not None else (
            self.backend.noise_model() if mitigate_readout else None)
        if mitigate_readout and (self._readout_model is None or not self._readout_model.readout):
            raise QhpcError("readout mitigation needs a noise model with readout errors (noise=..., or a noisy "
                            "backend that declares one)")
        if shots is None and self.noise is not None:
            raise QhpcError("a noisy session estimates from shots: give shots=")
        self.stats = SessionStats()
        # the ansatz with one internal parameter per parameterised gate, so each gate's angle can be
        # bound (and shifted) on its own; its expression of the user's parameters is kept
        self._angles: list[Any] = []
        self._ansatz = self._split_parameters(ansatz)
        self._angle_names = [f"_g{k}" for k in range(len(self._angles))]
        self._exact = shots is None
        if self._exact:
            self._compiled_ansatz = self._compiled(self._ansatz)  # compiled once: evaluations only bind
            probe = self.backend.expectation_values(self._compiled_ansatz, [self._bind_angles(
                {p: 0.0 for p in self.parameters})], self.observables)
            if probe is None:
                raise QhpcError(f"{self.backend.name} cannot compute exact expectation values; give shots=")
        else:
            self._groups = [(observable_index, group) for observable_index, obs in enumerate(self.observables)
                            for group in obs.groups()]
            self._measured = [self._measurement_circuit(group) for _, group in self._groups]
        self.setup_seconds = time.perf_counter() - start

    # -- building -----------------------------------------------------------------------------------
    def _split_parameters(self, ansatz: Circuit) -> Circuit:
        out = ansatz.copy(instructions=[])
        for inst in ansatz.instructions:
            op = inst.operation
            if isinstance(op, Gate) and op.is_parameterized:
                params: list[Any] = []
                for k, value in enumerate(op.params):
                    if isinstance(value, Expr):
                        symbol = Parameter(f"_g{len(self._angles)}")
                        self._angles.append((value, op.name, k))
                        params.append(symbol)
                    else:
                        params.append(value)
                out.instructions.append(Instruction(Gate(op.name, tuple(params)), inst.qubits, inst.clbits,
                                                    inst.condition))
            else:
                out.instructions.append(inst)
        if isinstance(ansatz.global_phase, Expr):
            out.global_phase = 0.0  # a global phase changes no expectation value
        return out

    def _compiled(self, circuit: Circuit) -> Circuit:
        compiled, _ = self.integrator.compile(circuit, self.backend, optimize=False)
        return compiled  # type: ignore[no-any-return]

    def _measurement_circuit(self, group: Sequence[tuple[str, float]]) -> tuple[Circuit, list[int]]:
        basis = group_basis(group)
        qubits = sorted(basis)
        c = self._ansatz.copy()
        c.num_clbits = len(qubits)
        for q in qubits:
            if basis[q] == "X":
                c.h(q)
            elif basis[q] == "Y":
                c.sdg(q).h(q)
        for k, q in enumerate(qubits):
            c.measure(q, k)
        return self._compiled(c), qubits

    # -- binding ------------------------------------------------------------------------------------
    def _values(self, values: Mapping[str, float] | Sequence[float] | np.ndarray) -> dict[str, float]:
        if isinstance(values, Mapping):
            missing = set(self.parameters) - set(values)
            unknown = set(values) - set(self.parameters)
            if missing or unknown:
                raise QhpcError(f"parameters must be exactly {', '.join(self.parameters)}"
                                + (f" (missing {', '.join(sorted(missing))})" if missing else "")
                                + (f" (unknown {', '.join(sorted(unknown))})" if unknown else ""))
            return {k: float(v) for k, v in values.items()}
        array = list(values)
        if len(array) != len(self.parameters):
            raise QhpcError(f"{len(array)} values for {len(self.parameters)} parameters ({', '.join(self.parameters)})")
        return dict(zip(self.parameters, map(float, array)))

    def _bind_angles(self, values: Mapping[str, float], shift: tuple[int, float] | None = None) -> dict[str, float]:
        bound = {name: (values[expr.name] if type(expr) is Parameter else float(expr.evaluate(values)))
                 for name, (expr, _, _) in zip(self._angle_names, self._angles)}
        if shift is not None:
            bound[f"_g{shift[0]}"] += shift[1]
        return bound

    # -- evaluation ---------------------------------------------------------------------------------
    def _evaluate(self, angle_sets: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Expectation values and standard errors (parameter sets x observables)."""
        start = time.perf_counter()
        self.stats.evaluations += len(angle_sets)
        if self._exact:
            start = time.perf_counter()
            values = np.asarray(self.backend.expectation_values(self._compiled_ansatz, angle_sets,
                                                                self.observables))
            self.stats.backend_calls += 1
            self.stats.calls.append({"sets": len(angle_sets), "seconds": time.perf_counter() - start})
            return values, np.zeros_like(values)
        values = np.tile([obs.constant() for obs in self.observables], (len(angle_sets), 1)).astype(float)
        variances = np.zeros_like(values)
        assert self.shots is not None
        for (obs_index, group), (circuit, qubits) in zip(self._groups, self._measured):
            outputs = self._run(circuit, angle_sets)
            for k, output in enumerate(outputs):
                counts = output.counts
                if self.mitigate_readout:
                    counts = self._mitigated(counts, _measured_qubits(circuit))
                mean, var = estimate_group(group, qubits, counts)
                values[k, obs_index] += mean
                variances[k, obs_index] += var
        self.stats.calls.append({"sets": len(angle_sets), "seconds": time.perf_counter() - start})
        return values, np.sqrt(variances)

    def _run(self, circuit: Circuit, angle_sets: list[dict[str, float]]) -> list[Any]:
        """The backend's readouts of ``circuit`` at each angle set, checked as a job's are (shots,
        widths, whole counts, bits nothing writes): a broken readout would be an estimate, not an error."""
        self.stats.backend_calls += 1
        assert self.shots is not None
        name = self.backend.name
        try:
            if self.noise is not None:
                run: Any = self.backend.run
                outputs = [run(circuit.bind(dict(values)),  # type: ignore[arg-type]
                               shots=self.shots, seed=batch_seed(self.seed, k),
                               memory=False, options={}, cancel=CancelToken(), noise=self.noise)
                           for k, values in enumerate(angle_sets)]
            else:
                outputs = list(self.backend.run_batch(circuit, angle_sets, shots=self.shots, seed=self.seed,
                                                      memory=False, options={}, cancel=CancelToken()))
        except QhpcError:
            raise
        except Exception as exc:
            raise JobFailedError(f"{name} failed in a session run: {type(exc).__name__}: {exc}") from exc
        if len(outputs) != len(angle_sets):
            raise JobFailedError(f"{name} returned {len(outputs)} readouts for {len(angle_sets)} parameter sets")
        request = ExecutionRequest("session", name, circuit, self.shots, self.seed, False)
        for output in outputs:
            try:
                verify_output(output, request, circuit.num_clbits)
            except QhpcError as exc:
                raise JobFailedError(str(exc)) from None
        return outputs

    def _mitigated(self, counts: Mapping[str, int], qubits: Sequence[int]) -> dict[str, float]:
        """Counts with the model's readout confusion inverted (tensored, exact linear inversion);
        ``qubits[k]`` is the (physical) qubit clbit ``k`` reads."""
        model = self._readout_model
        assert model is not None
        width = len(qubits)
        shots = sum(counts.values())
        probs = np.zeros(2**width)
        for key, n in counts.items():
            probs[int(key, 2)] = n / shots
        tensor = probs.reshape([2] * width)
        for k, q in enumerate(qubits):
            matrix = model.readout_matrix(q)
            if matrix is None:
                continue
            axis = width - 1 - k
            tensor = np.moveaxis(np.tensordot(np.linalg.inv(matrix), tensor, axes=([1], [axis])), 0, axis)
        flat = tensor.reshape(-1)
        return {format(i, f"0{width}b"): float(p * shots) for i, p in enumerate(flat) if abs(p) > 1e-15}

    def expectation(self, values: Mapping[str, float] | Sequence[float] | np.ndarray) -> list[Estimate]:
        """One :class:`Estimate` per observable at ``values``."""
        means, errors = self._evaluate([self._bind_angles(self._values(values))])
        return [Estimate(float(m), float(e)) for m, e in zip(means[0], errors[0])]

    def batch(self, value_sets: Sequence[Mapping[str, float] | Sequence[float] | np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Expectation values and standard errors for many parameter sets in one backend call."""
        return self._evaluate([self._bind_angles(self._values(v)) for v in value_sets])

    def gradient(self, values: Mapping[str, float] | Sequence[float] | np.ndarray, observable: int = 0) -> np.ndarray:
        """The gradient of observable ``observable`` by the parameter-shift rule, all shifted
        circuits in one batch (order of :attr:`parameters`)."""
        point = self._values(values)
        for _, gate, index in self._angles:
            if gate not in SHIFTABLE or index != SHIFTABLE[gate]:
                raise QhpcError(f"the parameter-shift rule needs rotation gates (rx, ry, rz, p, rxx, ryy, rzz, rzx); "
                                f"the ansatz has a parameterised {gate}")
        sets = []
        for k in range(len(self._angles)):
            sets.append(self._bind_angles(point, (k, math.pi / 2)))
            sets.append(self._bind_angles(point, (k, -math.pi / 2)))
        if not sets:
            return np.zeros(len(self.parameters))
        means, _ = self._evaluate(sets)
        d_angle = (means[0::2, observable] - means[1::2, observable]) / 2
        grad = np.zeros(len(self.parameters))
        step = 1e-6
        for k, (expr, _, _) in enumerate(self._angles):
            for i, name in enumerate(self.parameters):
                if Parameter(name) not in expr.parameters:
                    continue
                up = dict(point, **{name: point[name] + step})
                down = dict(point, **{name: point[name] - step})
                grad[i] += d_angle[k] * (float(expr.evaluate(up)) - float(expr.evaluate(down))) / (2 * step)
        return grad

    def close(self) -> None:
        """Nothing to release in-process (the compiled programs live in the integrator's cache)."""

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _measured_qubits(circuit: Circuit) -> list[int]:
    """The qubit each clbit of a compiled measurement circuit reads (its last measurement)."""
    reads = list(range(circuit.num_clbits))
    for inst in circuit.instructions:
        if isinstance(inst.operation, Measure):
            for q, c in zip(inst.qubits, inst.clbits):
                reads[c] = q
    return reads
