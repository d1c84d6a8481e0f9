"""The variational quantum eigensolver on the hybrid runtime: the optimiser on the CPU (scipy),
the energies and their gradients on a backend, through one :class:`~qhpc.hybrid.Session`.

The default ansatz is hardware-efficient with real amplitudes (molecular Hamiltonians are real):
the Hartree-Fock bitstring prepared with X gates, then ``reps`` layers of RY rotations on every
qubit and a chain of CX, then a last RY layer (Qiskit's ``RealAmplitudes``, linear). The default
starting point is a small, seeded perturbation of zero (a diagonal-entangler ansatz started at
exactly the Hartree-Fock state sits where the gradient vanishes, by Brillouin's theorem; tried
and rejected: it stalls there). Gradients come from the parameter-shift rule, all shifted circuits in one
backend call; exact energies on statevector emulators, shot estimates elsewhere.

::

    from qhpc.algorithms import molecules, vqe
    h2 = molecules.load("h2_4q")
    result = vqe.run(h2.hamiltonian, initial_bitstring=h2.hf_bitstring, backend="aer.statevector")
    print(result.energy - h2.exact)          # within chemical accuracy (1.6 mHa)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qhpc_interop import Circuit, Parameter

from ..errors import QhpcError
from ..hybrid import PauliSum, Session


def hardware_efficient_ansatz(num_qubits: int, reps: int, initial_bitstring: str | None = None) -> Circuit:
    """RY layers and CX chains (Qiskit's ``RealAmplitudes`` with linear entanglement) after an
    optional basis-state preparation (qubit 0 rightmost)."""
    c = Circuit(num_qubits, 0, name=f"hea_{num_qubits}x{reps}")
    if initial_bitstring is not None:
        if len(initial_bitstring) != num_qubits or set(initial_bitstring) - {"0", "1"}:
            raise QhpcError(f"initial bitstring {initial_bitstring!r} is not {num_qubits} bits of 0/1")
        for q, bit in enumerate(reversed(initial_bitstring)):
            if bit == "1":
                c.x(q)
    k = 0
    for layer in range(reps + 1):
        for q in range(num_qubits):
            c.ry(Parameter(f"theta[{k:03d}]"), q)
            k += 1
        if layer < reps:
            for q in range(num_qubits - 1):
                c.cx(q, q + 1)
    return c


@dataclass
class VQEResult:
    """The outcome of a VQE run."""

    energy: float
    parameters: dict[str, float]
    iterations: int
    evaluations: int
    backend_calls: int
    seconds: float
    history: list[float] = field(default_factory=list)
    #: seconds spent in the backend's calls (the quantum part), and in the session's evaluations
    #: altogether (backend calls plus binding, batching and estimation: the middleware)
    backend_seconds: float = 0.0
    session_seconds: float = 0.0
    #: seconds before the optimisation: reading and compiling the ansatz once
    setup_seconds: float = 0.0
    optimizer_message: str = ""

    @property
    def middleware_share(self) -> float:
        """The share of the iterations' time qhpc spends around the backend calls (binding,
        batching, estimation); the one-time setup (:attr:`setup_seconds`), the optimiser's own
        arithmetic and the backend are not counted as middleware."""
        iterations = self.seconds - self.setup_seconds
        overhead = max(0.0, self.session_seconds - self.backend_seconds)
        return overhead / iterations if iterations > 0 else 0.0


#: The scipy.optimize.minimize methods a VQE can use (no Hessian needed, no constraints required).
OPTIMIZERS = ("L-BFGS-B", "BFGS", "CG", "SLSQP", "TNC", "COBYLA", "COBYQA", "NELDER-MEAD", "POWELL")


def run(hamiltonian: object, *, ansatz: Circuit | object | None = None, reps: int = 2,
        initial_bitstring: str | None = None, backend: str = "aer.statevector", shots: int | None = None,
        seed: int | None = 0, optimizer: str = "L-BFGS-B", initial_point: Sequence[float] | None = None,
        maxiter: int = 500, tol: float = 1e-10, integrator: Any = None, noise: Any = None,
        mitigate_readout: bool = False, restarts: int = 1,
        callback: Callable[[int, float], None] | None = None) -> VQEResult:
    """Minimise ``<psi(theta)|H|psi(theta)>`` (see the module docstring). ``callback(iteration,
    energy)`` is called after each optimiser iteration (live progress). ``restarts`` runs the
    optimiser from that many seeded starting points (``seed``, ``seed + 1``...) on the same
    session and keeps the lowest energy: hardware-efficient ansätze have local minima."""
    from scipy.optimize import minimize

    if optimizer.upper() not in OPTIMIZERS:
        raise QhpcError(f"unknown optimizer {optimizer!r}; scipy.optimize.minimize methods: {', '.join(OPTIMIZERS)}")
    observable = PauliSum.from_any(hamiltonian)
    if ansatz is None:
        ansatz = hardware_efficient_ansatz(observable.num_qubits, reps, initial_bitstring)
    start = time.perf_counter()
    session = Session(ansatz, [observable], backend=backend, integrator=integrator, shots=shots, seed=seed,
                      noise=noise, mitigate_readout=mitigate_readout)
    names = session.parameters
    if initial_point is None:
        x0 = np.random.default_rng(seed).normal(0.0, 0.1, len(names))
    else:
        x0 = np.asarray(initial_point, dtype=float)
    if len(x0) != len(names):
        raise QhpcError(f"the initial point has {len(x0)} values for {len(names)} parameters")
    history: list[float] = []
    cache: dict[bytes, float] = {}

    spent = [0.0]

    def energy(x: np.ndarray) -> float:
        key = x.tobytes()
        if key not in cache:
            start_call = time.perf_counter()
            cache[key] = session.expectation(x)[0].value
            spent[0] += time.perf_counter() - start_call
        return cache[key]

    def gradient(x: np.ndarray) -> np.ndarray:
        start_call = time.perf_counter()
        value = session.gradient(x)
        spent[0] += time.perf_counter() - start_call
        return value

    def record(xk: np.ndarray) -> None:
        history.append(energy(xk))
        if callback is not None:
            callback(len(history), history[-1])

    gradient_based = optimizer.upper() in {"L-BFGS-B", "BFGS", "CG", "SLSQP", "TNC"}
    outcome = None
    for attempt in range(max(1, restarts)):
        if attempt:
            x0 = np.random.default_rng(None if seed is None else seed + attempt).normal(0.0, 0.1, len(names))
        trial = minimize(energy, x0, jac=gradient if gradient_based else None, method=optimizer, tol=tol,
                         callback=record, options={"maxiter": maxiter})
        if outcome is None or trial.fun < outcome.fun:
            outcome = trial
    assert outcome is not None
    best = float(outcome.fun)
    seconds = time.perf_counter() - start
    return VQEResult(
        energy=best, parameters=dict(zip(names, map(float, outcome.x))), iterations=int(outcome.get("nit", 0)),
        evaluations=session.stats.evaluations, backend_calls=session.stats.backend_calls, seconds=seconds,
        history=history, backend_seconds=sum(c["seconds"] for c in session.stats.calls),
        session_seconds=spent[0], setup_seconds=session.setup_seconds,
        optimizer_message=str(outcome.message),
    )
