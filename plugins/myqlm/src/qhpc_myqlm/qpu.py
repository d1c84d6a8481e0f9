"""A myQLM QPU that runs myQLM jobs on any qhpc backend: ``QhpcQPU(backend="auto")``.

``qpu.submit(circ.to_job(...))`` works as with myQLM's own QPUs; the circuit is translated to the
qhpc model (:mod:`qhpc_myqlm.translate`) and run through a :class:`qhpc.Integrator` (validated,
compiled for the backend, scheduled), and the readout comes back as a myQLM ``Result``:

* **sampling jobs** (``nbshots > 0``): the qubits of ``job.qubits`` (all by default) are measured
  at the end into fresh bits; each sample's ``state`` is big-endian over ``job.qubits`` (the
  first listed qubit is the most significant bit), as PyLinalg reports it. With
  ``job.aggregate_data`` (the default) one sample per distinct state (and outcomes of the
  intermediate measurements) with ``probability`` = frequency, ``err`` = sqrt(p (1 - p) / (nbshots - 1))
  and ``meta_data["nbshots"]``, as myQLM's ``aggregate_data`` writes them; otherwise one sample per
  shot, in shot order.
* **intermediate measurements**: as PyLinalg, every ``MEASURE`` and ``RESET`` operation of the
  circuit is reported in each sample's ``intermediate_measurements``, in circuit order: ``gate_pos``
  (its position among the operations myQLM runs: ``circ.ops``, with boxed routines inlined as
  ``iterate_simple`` inlines them), ``cbits`` (the values its qubits read; a reset reads the qubit
  before clearing it) and ``probability``, here the frequency over the shots of that outcome among
  the shots that read the same outcomes before it (PyLinalg's exact branch probability, estimated).
  To read them, qhpc's circuit keeps each outcome in a clbit of its own (conditions read the
  latest) and measures each reset qubit just before its reset (the same state after it).
* **nbshots == 0**: exact results, from a backend that can compute them (``myqlm.pylinalg``,
  ``myqlm.clinalg``, ``aer.statevector`` and ``cirq.simulator`` here: they offer ``probabilities(circuit)`` and
  ``statevector(circuit)``); a shot-based backend is refused with a ``QPUException`` saying so. Where the job reads every qubit and the circuit
  measures nothing, each sample has its ``amplitude`` (the global phase included) as PyLinalg
  gives it; otherwise probabilities only, as PyLinalg (which refuses ``nbshots=0`` on a circuit
  with measurements; qhpc accepts measurements that only read the final state).
  ``job.amp_threshold`` leaves out states whose amplitude's modulus is not above it.
* **observable jobs** (``ProcessingType.OBSERVABLE``, Pauli terms): the terms are grouped
  qubit-wise commuting (greedily, largest coefficient first); each group is measured in its
  rotated basis (``H`` for X, ``S^dag H`` for Y) with ``nbshots`` shots and ``value`` is the
  constant plus the sum of the terms' sample means, ``error`` the standard error of that
  estimate (the groups are independent; terms within a group share their shots, so their
  covariance is included). With ``nbshots == 0`` the value is exact (as above) and ``error`` is
  ``None``, as PyLinalg leaves it.

``get_specs()`` reports a QPU's qubit count and its coupling map as a myQLM ``Topology`` (directed);
an emulator, and ``"auto"``, have no fixed width (``nbqbits`` is ``None``, as PyLinalg's), so
myQLM's plugins do not pad jobs to a memory limit; the description says how many qubits fit. Options are those of :meth:`qhpc.Integrator.submit`:
``seed`` (a fixed seed makes every job reproducible, so identical jobs, in a batch too, give
identical samples; observable groups get seeds derived from it; on Aer, which seeds shot ``k`` of a
circuit it simulates shot by shot with ``seed + k``, neighbouring seeds give shifted copies of the
same draws), ``compiler``, ``options`` (backend options), ``optimize`` and ``time_limit``.
``nbshots=0`` jobs are computed exactly, compiled with ``compiler`` and ``optimize``; backend
``options`` and ``time_limit`` apply to sampled runs. Every failure is a ``QPUException``.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qat.comm.exceptions.ttypes import ErrorType, QPUException
from qat.comm.shared.ttypes import IntermediateMeasurement, ProcessingType
from qat.core import HardwareSpecs, Result, Topology, TopologyType
from qat.core.wrappers.result import Sample
from qat.qpus import QPUHandler
from qhpc.errors import QhpcError, UnknownNameError
from qhpc_interop import MEASURE, Circuit, Condition, Gate, Instruction, InteropError, UnitaryGate
from qhpc_interop.ir import Barrier, Measure, Reset

from .translate import circuit_from_myqlm

_OPTIONS = frozenset({"seed", "compiler", "options", "optimize", "time_limit"})
_MODULE = "qhpc_myqlm.qpu"


def _fail(message: str, code: int = ErrorType.INVALID_ARGS) -> QPUException:
    return QPUException(code=code, modulename=_MODULE, message=message)


def qubitwise_groups(terms: Sequence[tuple[str, Sequence[int], float]]) -> list[list[int]]:
    """Indices of ``terms`` (Pauli string, qubits, coefficient) in qubit-wise commuting groups.

    Greedy: terms in order of decreasing |coefficient|, each into the first group it commutes with
    qubit by qubit (on every shared qubit, the same Pauli); identity factors are ignored.
    """
    groups: list[tuple[dict[int, str], list[int]]] = []
    order = sorted(range(len(terms)), key=lambda k: -abs(terms[k][2]))
    for k in order:
        paulis = {q: p for p, q in zip(terms[k][0], terms[k][1]) if p != "I"}
        for basis, members in groups:
            if all(basis.get(q, p) == p for q, p in paulis.items()):
                basis.update(paulis)
                members.append(k)
                break
        else:
            groups.append((dict(paulis), [k]))
    return [members for _, members in groups]


class QhpcQPU(QPUHandler):
    """A myQLM QPU on a qhpc backend (see the module docstring)."""

    def __init__(self, backend: str = "auto", integrator: Any = None, **options: Any) -> None:
        super().__init__()
        unknown = set(options) - _OPTIONS
        if unknown:
            raise TypeError(f"QhpcQPU got unknown option(s) {', '.join(sorted(unknown))}; "
                            f"it takes {', '.join(sorted(_OPTIONS))}")
        if not isinstance(backend, str):
            raise TypeError(f"QhpcQPU backend must be a qhpc backend's name or 'auto', not {backend!r}")
        seed = options.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise TypeError(f"QhpcQPU seed must be a non-negative integer, not {seed!r}")
        self.backend = backend
        self.options = dict(options)
        self._integrator = integrator
        self._owns_integrator = integrator is None
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------
    @property
    def integrator(self) -> Any:
        with self._lock:
            if self._integrator is None:
                from qhpc import Integrator

                self._integrator = Integrator()
            return self._integrator

    def close(self) -> None:
        """Close the integrator this QPU created (one passed in stays open)."""
        with self._lock:
            if self._owns_integrator and self._integrator is not None:
                self._integrator.close()
                self._integrator = None

    def _run(self, circuit: Circuit, shots: int, seed: int | None, memory: bool) -> Any:
        kwargs = {k: v for k, v in self.options.items() if k != "seed"}
        try:
            return self.integrator.run(circuit, backend=self.backend, shots=shots, seed=seed, memory=memory, **kwargs)
        except (QhpcError, InteropError) as exc:
            raise _fail(f"qhpc could not run the job on {self.backend}: {exc}", ErrorType.NOT_SIMULATABLE) from None

    def _exact_backend(self, circuit: Circuit, need: str = "probabilities") -> Any:
        """The backend for an exact (``nbshots=0``) job, which offers ``need`` (``probabilities`` or
        ``statevector``), and ``circuit`` compiled for it."""
        integrator = self.integrator
        if self.backend != "auto":
            try:
                candidates = [integrator.backend(self.backend)]
            except UnknownNameError as exc:
                raise _fail(str(exc)) from None
        else:
            candidates = sorted((b for b in integrator.backends.values() if hasattr(b, need)),
                                key=lambda b: b.estimate_seconds(circuit, 1))
        reasons = []
        for backend in candidates:
            if not hasattr(backend, need):
                what = "amplitudes" if need == "statevector" else "probabilities"
                reasons.append(f"{backend.name} is shot-based (it cannot report exact {what})")
                continue
            why = integrator.fit_report(backend, circuit)
            if why:
                reasons.append(f"{backend.name}: {'; '.join(why)}")
                continue
            try:
                # the light passes elide final swaps, exact for what is measured but a relabelling
                # of the state vector: amplitudes are read from the circuit as written
                optimize = need != "statevector" and self.options.get("optimize", True)
                compiled, _ = integrator.compile(circuit, backend, compiler=self.options.get("compiler"),
                                                 optimize=optimize)
            except (QhpcError, InteropError) as exc:
                raise _fail(f"qhpc cannot compile the job for {backend.name}: {exc}", ErrorType.NOT_SIMULATABLE) from None
            return backend, compiled
        what = "amplitudes" if need == "statevector" else "probabilities"
        detail = "; ".join(reasons) or f"no installed backend computes exact {what}"
        raise _fail(f"nbshots=0 asks for exact {what}, which no backend here can give ({detail}); "
                    "ask for nbshots > 0, or use backend='myqlm.pylinalg'")

    def _probabilities(self, circuit: Circuit) -> dict[str, float]:
        backend, compiled = self._exact_backend(circuit)
        try:
            return dict(backend.probabilities(compiled))
        except (QhpcError, InteropError) as exc:
            raise _fail(f"{backend.name}: {exc}") from None

    def _seeds(self, count: int) -> list[int | None]:
        seed = self.options.get("seed")
        if seed is None:
            return [None] * count
        if count == 1:
            return [int(seed)]
        return [int(s & 0x7FFFFFFF) for s in np.random.SeedSequence(int(seed)).generate_state(count)]

    # -- myQLM interface -----------------------------------------------------------------
    def get_specs(self) -> Any:
        integrator = self.integrator

        def capabilities(backend: Any) -> Any:
            # the integrator's read has a time limit (a QPU behind a network); older cores lack it
            read = getattr(integrator, "capabilities", None)
            return read(backend) if callable(read) else backend.capabilities

        if self.backend == "auto":
            gate = []
            for b in integrator.backends.values():
                if getattr(b, "kind", "emulator") != "emulator":
                    continue  # auto never chooses a QPU: do not reach for its capabilities
                try:
                    caps = capabilities(b)
                except Exception:  # an unavailable emulator is not one auto can choose
                    continue
                if caps.paradigm == "gate" and caps.kind == "emulator" and not caps.noisy:
                    gate.append((b, caps))
            most = max((caps.num_qubits for _, caps in gate), default=0)
            description = (f"qhpc auto: the fastest fitting noiseless emulator of "
                           f"{', '.join(sorted(b.name for b, _ in gate))} (up to {most} qubits)")
            return HardwareSpecs(nbqbits=None, description=description)
        try:
            backend = integrator.backend(self.backend)
            caps = capabilities(backend)
        except (QhpcError, InteropError) as exc:
            raise _fail(str(exc)) from None
        description = f"qhpc backend {backend.name}: {backend.description}"
        if caps.kind == "emulator":
            # an emulator's qubit count is a memory limit, not a register: myQLM's plugins would pad
            # every job to it (Nnizer does), so, as PyLinalg, it has no fixed width
            return HardwareSpecs(nbqbits=None, description=f"{description} (up to {caps.num_qubits} qubits)")
        if caps.coupling_map is None:
            topology = Topology(type=TopologyType.ALL_TO_ALL, nbqbits=caps.num_qubits)
        else:
            topology = Topology(type=TopologyType.CUSTOM, is_directed=True, nbqbits=caps.num_qubits)
            for a, b in caps.coupling_map:
                topology.add_edge(a, b)
        return HardwareSpecs(nbqbits=caps.num_qubits, topology=topology, description=description)

    def submit_job(self, job: Any) -> Any:
        from qat.core.wrappers import Circuit as WrappedCircuit

        circ = job.circuit
        if circ is None:
            raise _fail("the job has no circuit (qhpc runs gate circuits, not schedules)")
        if not isinstance(circ, WrappedCircuit):
            circ = WrappedCircuit(circ)
        free = circ.get_variables() if circ.var_dic else []
        if free:
            raise _fail(f"the circuit has unbound variable(s) {', '.join(sorted(free))}; bind them first "
                        "(circ.bind_variables({...}) or circ(name=value))")
        if getattr(job, "psi_0", None) is not None:
            raise _fail("an initial state (job.psi_0) cannot be passed to a qhpc backend")
        try:
            model = circuit_from_myqlm(circ)
        except (QhpcError, InteropError) as exc:
            raise _fail(f"qhpc cannot read this circuit: {exc}", ErrorType.ILLEGAL_GATES) from None
        records = _measurement_ops(circ)
        if job.nbshots is None or job.nbshots < 0:
            raise _fail(f"invalid number of shots {job.nbshots}")
        if job.type == ProcessingType.OBSERVABLE:
            return self._observable(job, model)
        if job.type == ProcessingType.SAMPLE:
            return self._sample(job, model, records)
        raise _fail(f"unsupported job type {job.type}")

    # -- sampling ------------------------------------------------------------------------
    @staticmethod
    def _measured(model: Circuit, qubits: Sequence[int], rotations: Mapping[int, str] | None = None) -> Circuit:
        """``model`` with ``qubits`` measured at the end into fresh clbits (after basis rotations)."""
        circuit = model.copy()
        for q, pauli in (rotations or {}).items():
            if pauli == "X":
                circuit.h(q)
            elif pauli == "Y":
                circuit.sdg(q)
                circuit.h(q)
        base = circuit.num_clbits
        circuit.num_clbits += len(qubits)
        for k, q in enumerate(qubits):
            circuit.measure(int(q), base + k)
        return circuit

    @staticmethod
    def _state_of(key: str, base: int, count: int) -> int:
        """The big-endian state over the measured qubits of a readout key (highest clbit first)."""
        width = len(key)
        state = 0
        for k in range(count):
            state = (state << 1) | (key[width - 1 - (base + k)] == "1")
        return state

    def _sample(self, job: Any, model: Circuit, records: list[tuple[int, int]]) -> Any:
        qubits = list(job.qubits) if job.qubits is not None else list(range(model.num_qubits))
        bad = [q for q in qubits if not 0 <= q < model.num_qubits]
        if bad:
            raise _fail(f"job.qubits {bad} are not qubits of the {model.num_qubits}-qubit circuit")
        result = Result()
        result.meta_data = {"backend": self.backend}
        result.raw_data = []
        if job.nbshots == 0:
            return self._exact(job, model, qubits, result)
        recorded = _recorded(model, records)
        if recorded is None:  # pragma: no cover - the reader writes one model measurement per measured qubit
            raise _fail("qhpc could not match the circuit's measurements to its operations", ErrorType.ILLEGAL_GATES)
        program, kept = recorded
        measured = self._measured(program, qubits)
        base, m = program.num_clbits, len(qubits)
        n = job.nbshots
        if not measured.num_clbits:  # nothing read at all (qubits=[], no measurements): every shot is the empty outcome
            if job.aggregate_data:
                result.raw_data.append(Sample(state=0, probability=1.0, err=0.0 if n > 1 else None))
                result.meta_data["nbshots"] = str(n)
            else:
                result.raw_data.extend(Sample(state=0) for _ in range(n))
            return result
        (seed,) = self._seeds(1)
        run = self._run(measured, job.nbshots, seed, memory=not job.aggregate_data)
        result.meta_data["backend"] = run.backend
        if run.seed is not None:
            result.meta_data["seed"] = str(run.seed)
        # per readout key: the final state and the outcomes of the intermediate measurements
        read = {key: (self._state_of(key, base, m), _outcomes(key, kept)) for key in run.counts}
        conditional = _conditional_frequencies(run.counts, read)

        def intermediate(outcomes: tuple[tuple[int, ...], ...]) -> list[Any]:
            return [IntermediateMeasurement(cbits=list(values), gate_pos=pos, probability=conditional[outcomes[:k + 1]])
                    for k, ((pos, _), values) in enumerate(zip(kept, outcomes))]

        if not job.aggregate_data:
            for key in run.memory:
                state, outcomes = read[key]
                result.raw_data.append(Sample(state=state, intermediate_measurements=intermediate(outcomes)))
            return result
        counts: dict[tuple[int, tuple[tuple[int, ...], ...]], int] = {}
        for key, count in run.counts.items():
            counts[read[key]] = counts.get(read[key], 0) + count
        for (state, outcomes), count in sorted(counts.items(), key=lambda kv: -kv[1]):
            p = count / n
            err = math.sqrt(p * (1 - p) / (n - 1)) if n > 1 else None
            result.raw_data.append(Sample(state=state, probability=p, err=err,
                                          intermediate_measurements=intermediate(outcomes) if kept else None))
        result.meta_data["nbshots"] = str(n)
        return result

    def _exact(self, job: Any, model: Circuit, qubits: list[int], result: Any) -> Any:
        """An ``nbshots=0`` job: exact probabilities, and amplitudes where all qubits are read and
        nothing is measured (as PyLinalg gives them)."""
        m = len(qubits)
        threshold = job.amp_threshold or 0.0
        plain = all(isinstance(i.operation, (Gate, UnitaryGate, Barrier)) and i.condition is None
                    for i in model.instructions)
        if plain and sorted(qubits) == list(range(model.num_qubits)):
            backend, compiled = self._exact_backend(model, "statevector")
            try:
                vector = np.asarray(backend.statevector(compiled), dtype=complex)
            except (QhpcError, InteropError) as exc:
                raise _fail(f"{backend.name}: {exc}") from None
            # basis index k (bit q = qubit q) -> big-endian state over job.qubits
            k = np.arange(vector.size)
            order = np.zeros(vector.size, dtype=np.int64)
            for position, q in enumerate(qubits):
                order |= ((k >> q) & 1) << (m - 1 - position)
            for index in np.argsort(order, kind="stable"):
                amplitude = complex(vector[index])
                if abs(amplitude) > threshold:
                    result.raw_data.append(Sample(state=int(order[index]), probability=abs(amplitude) ** 2,
                                                  amplitude=amplitude))
            return result
        measured = self._measured(model, qubits)
        base = model.num_clbits
        probabilities: dict[int, float] = {}
        # nothing read at all (qubits=[] of a circuit without cbits): one outcome, the empty one, as PyLinalg says
        readout = self._probabilities(measured) if measured.num_clbits else {"": 1.0}
        for key, p in readout.items():
            state = self._state_of(key, base, m)
            probabilities[state] = probabilities.get(state, 0.0) + p
        for state in sorted(probabilities):
            if probabilities[state] > threshold**2:
                result.raw_data.append(Sample(state=state, probability=probabilities[state]))
        return result

    # -- observables ---------------------------------------------------------------------
    def _observable(self, job: Any, model: Circuit) -> Any:
        observable = job.observable
        if observable is None:
            raise _fail("an OBSERVABLE job without an observable")
        if getattr(observable, "_ising", None) is not None:
            raise _fail("the observable is given as an Ising model; qhpc measures Pauli terms")
        terms: list[tuple[str, list[int], float]] = []
        for term in observable.terms:
            op, qubits = str(term.op), [int(q) for q in term.qbits]
            if set(op) - set("XYZI") or len(op) != len(qubits):
                raise _fail(f"term {op}{qubits}: qhpc measures Pauli terms (X, Y, Z, I) only")
            if any(not 0 <= q < model.num_qubits for q in qubits):
                raise _fail(f"term {op}{qubits} acts outside the {model.num_qubits}-qubit circuit")
            coeff = _number(term.coeff, f"term {op}{qubits}")
            if abs(coeff.imag) > 1e-12:
                raise _fail(f"term {op}{qubits} has a complex coefficient {coeff}; the observable is not Hermitian")
            terms.append((op, qubits, coeff.real))
        constant = _number(observable.constant_coeff or 0.0, "the constant term")
        if abs(constant.imag) > 1e-12:
            raise _fail(f"the constant term is complex ({constant}); the observable is not Hermitian")
        value, variance = constant.real, 0.0
        groups = qubitwise_groups(terms)
        seeds = self._seeds(len(groups))
        pending = []
        for g, members in enumerate(groups):
            basis: dict[int, str] = {}
            for k in members:
                basis.update({q: p for p, q in zip(terms[k][0], terms[k][1]) if p != "I"})
            qubits = sorted(basis)
            circuit = self._measured(model, qubits, basis)
            # parity masks over the measured qubits' clbits, per term of the group
            position = {q: model.num_clbits + i for i, q in enumerate(qubits)}
            masks = [(terms[k][2], [position[q] for p, q in zip(terms[k][0], terms[k][1]) if p != "I"])
                     for k in members]
            if not qubits:  # identity terms only
                value += sum(c for c, _ in masks)
                continue
            if job.nbshots == 0:
                probabilities = self._probabilities(circuit)
                value += sum(p * _group_value(key, masks) for key, p in probabilities.items())
            else:
                kwargs = {k: v for k, v in self.options.items() if k != "seed"}
                try:
                    pending.append((self.integrator.submit(circuit, backend=self.backend, shots=job.nbshots,
                                                           seed=seeds[g], **kwargs), masks))
                except (QhpcError, InteropError) as exc:
                    raise _fail(f"qhpc could not run the job on {self.backend}: {exc}",
                                ErrorType.NOT_SIMULATABLE) from None
        backends = set()
        for submitted, masks in pending:
            try:
                run = submitted.result()
            except (QhpcError, InteropError) as exc:
                raise _fail(f"qhpc job failed on {self.backend}: {exc}", ErrorType.NOT_SIMULATABLE) from None
            backends.add(run.backend)
            n = sum(run.counts.values())
            values = {key: _group_value(key, masks) for key in run.counts}
            mean = sum(run.counts[k] * v for k, v in values.items()) / n
            value += mean
            if n > 1:
                sample_variance = sum(run.counts[k] * (v - mean) ** 2 for k, v in values.items()) / (n - 1)
                variance += sample_variance / n
        result = Result()
        result.raw_data = []  # as PyLinalg's: an observable job's result holds no samples
        result.value = value
        # (one shot tells nothing of the spread: no error, as a one-shot sample's probability has none)
        result.error = math.sqrt(variance) if job.nbshots and (job.nbshots > 1 or not pending) else None
        result.meta_data = {"backend": ",".join(sorted(backends)) or self.backend, "groups": str(len(groups)),
                            "nbshots": str(job.nbshots)}
        if job.nbshots and self.options.get("seed") is not None:
            result.meta_data["seed"] = str(self.options["seed"])  # each group's is derived from it
        return result


def _number(coeff: Any, what: str) -> complex:
    """An observable's coefficient as a number; one with unbound variables is refused by name."""
    try:
        return complex(coeff)
    except (TypeError, ValueError):
        names = sorted(map(str, coeff.get_variables())) if hasattr(coeff, "get_variables") else []
        raise _fail(f"{what} has the coefficient {coeff}" + (f" with unbound variable(s) {', '.join(names)}" if names
                    else ", not a number") + "; bind them first (job(name=value))") from None


def _group_value(key: str, masks: list[tuple[float, list[int]]]) -> float:
    """The sum over a group's terms of coefficient times the parity of its clbits in readout ``key``."""
    width = len(key)
    total = 0.0
    for coeff, clbits in masks:
        ones = sum(key[width - 1 - c] == "1" for c in clbits)
        total += -coeff if ones & 1 else coeff
    return total


# -- intermediate measurements ---------------------------------------------------------------------


def _measurement_ops(circ: Any) -> list[tuple[int, int]]:
    """(position, qubit count) of each MEASURE and RESET operation of a myQLM circuit, in the order
    the reader reads them (boxed routines inlined, as it inlines them)."""
    from qat.comm.datamodel.ttypes import OpType

    ops: Any = circ.ops or ()
    if any(d.circuit_implementation is not None for d in (circ.gateDic or {}).values()):
        ops = circ
    return [(pos, len(op.qbits)) for pos, op in enumerate(ops) if op.type in (OpType.MEASURE, OpType.RESET)]


def _recorded(model: Circuit, records: list[tuple[int, int]]) -> tuple[Circuit, list[tuple[int, list[int]]]] | None:
    """``model`` with each measurement and reset also kept in a clbit of its own, and where they are.

    A measurement writes a fresh clbit instead of its own (conditions read the latest one written
    in its place); a reset is read first, by a measurement into a fresh clbit (which leaves the
    state the reset makes, and needs no condition, so backends without conditions still run it). Returns the circuit and, per myQLM operation (its position), the
    clbits of its qubits' outcomes; ``None`` where the model's measurements and resets are not one
    per measured qubit, in the operations' order.
    """
    queue = [pos for pos, count in records for _ in range(count)]
    kept: dict[int, list[int]] = {}
    latest: dict[int, int] = {}
    out: list[Instruction] = []
    fresh = model.num_clbits
    k = 0
    for inst in model.instructions:
        op, cond = inst.operation, inst.condition
        if cond is not None and any(c in latest for c in cond.clbits):
            cond = Condition(tuple(latest.get(c, c) for c in cond.clbits), cond.value)
        if isinstance(op, (Measure, Reset)):
            if k == len(queue) or cond is not None or len(inst.qubits) != 1:
                return None
            pos, q = queue[k], inst.qubits[0]
            k += 1
            kept.setdefault(pos, []).append(fresh)
            out.append(Instruction(MEASURE, (q,), (fresh,)))
            if isinstance(op, Measure):
                latest[inst.clbits[0]] = fresh
            else:
                out.append(inst)  # the reset itself, after reading what it clears
            fresh += 1
            continue
        out.append(inst if cond is inst.condition else Instruction(op, inst.qubits, inst.clbits, cond))
    if k != len(queue):
        return None
    program = model.copy()
    program.num_clbits = fresh
    program.instructions = out
    return program, sorted(kept.items())


def _outcomes(key: str, kept: list[tuple[int, list[int]]]) -> tuple[tuple[int, ...], ...]:
    """The values each recorded operation read, in a readout key (clbit c is ``key[-1 - c]``)."""
    width = len(key)
    return tuple(tuple(int(key[width - 1 - c]) for c in clbits) for _, clbits in kept)


def _conditional_frequencies(counts: Mapping[str, int],
                             read: Mapping[str, tuple[int, tuple[tuple[int, ...], ...]]]) -> dict[tuple[Any, ...], float]:
    """For each run of outcomes of the recorded operations, the frequency of its last given the
    ones before it, over the shots: the estimate of what PyLinalg reports as the probability of an
    intermediate measurement."""
    prefixes: dict[tuple[Any, ...], int] = {}
    for key, count in counts.items():
        outcomes = read[key][1]
        for k in range(len(outcomes) + 1):
            prefix = outcomes[:k]
            prefixes[prefix] = prefixes.get(prefix, 0) + count
    return {prefix: count / prefixes[prefix[:-1]] for prefix, count in prefixes.items() if prefix}
