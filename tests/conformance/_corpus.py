"""Programs for the conformance suite, generated at test time (seeded) in each framework's own terms.

Nothing here is written by qhpc: Qiskit circuits come from Qiskit's gate library, its random
circuit generator, its OpenQASM writers and MQT Bench; Cirq and myQLM circuits from their own gate
constructors. (The model's random circuits reach the suite as qhpc JSON, whose oracle reads the
JSON independently.)
"""

from __future__ import annotations

import cmath
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

#: Qiskit's standard gates that are instructions, not gates (or need no sweep).
_QISKIT_SKIP = {"measure", "reset", "delay"}


def _random_unitary(dim: int, rng: random.Random) -> np.ndarray:
    gen = np.random.default_rng(rng.getrandbits(32))
    z = gen.normal(size=(dim, dim)) + 1j * gen.normal(size=(dim, dim))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


# -- Qiskit ------------------------------------------------------------------------------------------


def qiskit_gate_sweep(seed: str = "qiskit sweep") -> list[tuple[str, Any]]:
    """One circuit per Qiskit standard gate (random parameters, random placement on one more qubit
    than the gate needs, random global phase)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import get_standard_gate_name_mapping

    rng = random.Random(seed)
    out = []
    for name, gate in sorted(get_standard_gate_name_mapping().items()):
        if name in _QISKIT_SKIP:
            continue
        params = [rng.uniform(-2 * math.pi, 2 * math.pi) for _ in gate.params]
        g = type(gate)(*params) if params else gate
        n = g.num_qubits + 1
        qc = QuantumCircuit(n, global_phase=rng.uniform(-math.pi, math.pi))
        qc.append(g, rng.sample(range(n), g.num_qubits))
        out.append((f"qiskit {name}", qc))
    return out


def qiskit_text_sources(circuits: list[tuple[str, Any]], fmt: str) -> list[tuple[str, str]]:
    """The circuits as OpenQASM written by Qiskit's own writers (``fmt``: qasm2 or qasm3), those
    that Qiskit can both write and read back (its OpenQASM 3 writer emits ``global_phase(x) ;``,
    which its reader rejects; its OpenQASM 2 writer refuses a zero-qubit gate)."""
    from qiskit import qasm2, qasm3

    from ._oracles import qiskit_from_text

    out = []
    for label, qc in circuits:
        try:
            if fmt == "qasm2":
                qc = qc.copy()
                qc.global_phase = 0.0  # OpenQASM 2 has none
                text = qasm2.dumps(qc)
            else:
                text = qasm3.dumps(qc)
            qiskit_from_text(text, fmt)
        except Exception:
            continue
        out.append((f"{label} (qiskit.{fmt}.dumps)", text))
    return out


def qiskit_random(count: int, seed: int, *, max_qubits: int = 5) -> Iterator[tuple[str, Any]]:
    """``qiskit.circuit.random.random_circuit``: 1-``max_qubits`` qubits, depth 1-6, up to 3 operands."""
    from qiskit.circuit.random import random_circuit

    rng = random.Random(seed)
    for k in range(count):
        n, depth, s = rng.randint(1, max_qubits), rng.randint(1, 6), rng.getrandbits(31)
        qc = random_circuit(n, depth, max_operands=min(3, n), seed=s)
        qc.global_phase = rng.uniform(-math.pi, math.pi)
        yield f"qiskit random_circuit({n}, {depth}, seed={s}) #{k}", qc


def model_random_json(count: int, seed: int, *, max_qubits: int = 5) -> Iterator[tuple[str, str]]:
    """``qhpc_interop.testing.random_circuit`` (every library gate, one- and two-qubit unitaries)
    written as qhpc JSON."""
    from qhpc_interop import wire
    from qhpc_interop.testing import random_circuit

    rng = random.Random(seed)
    for k in range(count):
        n, gates, s = rng.randint(1, max_qubits), rng.randint(1, 16), rng.getrandbits(31)
        c = random_circuit(n, gates, seed=s, unitaries=rng.random() < 0.3)
        yield f"model random_circuit({n}, {gates}, seed={s}) #{k}", wire.dumps(c)


# -- Cirq --------------------------------------------------------------------------------------------


def cirq_gate_sweep(seed: str = "cirq sweep") -> list[tuple[str, Any]]:
    """Cirq's common gates, power gates with random exponents and global shifts, controlled gates
    with control values, matrix gates and a few composite operations, one per circuit."""
    import cirq

    rng = random.Random(seed)

    def e() -> float:
        return rng.uniform(-2.0, 2.0)

    def s() -> float:
        return rng.uniform(-1.0, 1.0)

    def a() -> float:
        return rng.uniform(-2 * math.pi, 2 * math.pi)

    gates: dict[str, Callable[[], Any]] = {
        "X": lambda: cirq.X, "Y": lambda: cirq.Y, "Z": lambda: cirq.Z, "H": lambda: cirq.H, "S": lambda: cirq.S,
        "T": lambda: cirq.T, "X**0.5": lambda: cirq.X**0.5, "X**-0.5": lambda: cirq.X**-0.5,
        "Z**-0.25": lambda: cirq.Z**-0.25, "Z**-0.5": lambda: cirq.Z**-0.5,
        "XPowGate": lambda: cirq.XPowGate(exponent=e(), global_shift=s()),
        "YPowGate": lambda: cirq.YPowGate(exponent=e(), global_shift=s()),
        "ZPowGate": lambda: cirq.ZPowGate(exponent=e(), global_shift=s()),
        "ZPowGate(0.5, shift)": lambda: cirq.ZPowGate(exponent=0.5, global_shift=s()),
        "HPowGate": lambda: cirq.HPowGate(exponent=e(), global_shift=s()),
        "rx": lambda: cirq.rx(a()), "ry": lambda: cirq.ry(a()), "rz": lambda: cirq.rz(a()),
        "PhasedXPowGate": lambda: cirq.PhasedXPowGate(phase_exponent=e(), exponent=e(), global_shift=s()),
        "PhasedXZGate": lambda: cirq.PhasedXZGate(x_exponent=e(), z_exponent=e(), axis_phase_exponent=e()),
        "CNOT": lambda: cirq.CNOT, "CZ": lambda: cirq.CZ, "CX**0.5": lambda: cirq.CX**0.5,
        "CXPowGate": lambda: cirq.CXPowGate(exponent=e(), global_shift=s()),
        "CYPowGate": lambda: cirq.CYPowGate(exponent=e(), global_shift=s()),
        "CZPowGate": lambda: cirq.CZPowGate(exponent=e(), global_shift=s()),
        "cphase": lambda: cirq.cphase(a()),
        "SWAP": lambda: cirq.SWAP, "SwapPowGate": lambda: cirq.SwapPowGate(exponent=e(), global_shift=s()),
        "ISWAP": lambda: cirq.ISWAP, "ISwapPowGate": lambda: cirq.ISwapPowGate(exponent=e(), global_shift=s()),
        "SQRT_ISWAP": lambda: cirq.SQRT_ISWAP, "SQRT_ISWAP_INV": lambda: cirq.SQRT_ISWAP_INV,
        "riswap": lambda: cirq.riswap(a()), "givens": lambda: cirq.givens(a()),
        "PhasedISwapPowGate": lambda: cirq.PhasedISwapPowGate(phase_exponent=e(), exponent=e()),
        "XXPowGate": lambda: cirq.XXPowGate(exponent=e(), global_shift=s()),
        "YYPowGate": lambda: cirq.YYPowGate(exponent=e(), global_shift=s()),
        "ZZPowGate": lambda: cirq.ZZPowGate(exponent=e(), global_shift=s()),
        "ms": lambda: cirq.ms(a()),
        "FSimGate": lambda: cirq.FSimGate(theta=a(), phi=a()),
        "PhasedFSimGate": lambda: cirq.PhasedFSimGate(theta=a(), zeta=a(), chi=a(), gamma=a(), phi=a()),
        "CCX": lambda: cirq.CCX, "CCZ": lambda: cirq.CCZ, "CSWAP": lambda: cirq.CSWAP,
        "CCXPowGate": lambda: cirq.CCXPowGate(exponent=e(), global_shift=s()),
        "CCZPowGate": lambda: cirq.CCZPowGate(exponent=e(), global_shift=s()),
        "CCYPowGate": lambda: cirq.CCYPowGate(exponent=e(), global_shift=s()),
        "IdentityGate(2)": lambda: cirq.IdentityGate(2),
        "MatrixGate 1q": lambda: cirq.MatrixGate(_random_unitary(2, rng)),
        "MatrixGate 2q": lambda: cirq.MatrixGate(_random_unitary(4, rng)),
        "ControlledGate(H)": lambda: cirq.ControlledGate(cirq.H),
        "ControlledGate(X**e, 0-control)": lambda: cirq.ControlledGate(cirq.X**e(), control_values=[0]),
        "ControlledGate(rx, 2 controls)": lambda: cirq.ControlledGate(cirq.rx(a()), num_controls=2),
        "ControlledGate(Y, controls 0,1)": lambda: cirq.ControlledGate(cirq.Y, num_controls=2,
                                                                        control_values=[0, 1]),
        "ControlledGate(PhasedXZ)": lambda: cirq.ControlledGate(
            cirq.PhasedXZGate(x_exponent=e(), z_exponent=e(), axis_phase_exponent=e())),
        "ControlledGate(ISWAP**e)": lambda: cirq.ControlledGate(cirq.ISWAP**e()),
        "ControlledGate(sum of products)": lambda: cirq.ControlledGate(
            cirq.Z**e(), num_controls=2, control_values=cirq.SumOfProducts(((0, 1), (1, 0)))),
        "ControlledGate(MatrixGate)": lambda: cirq.ControlledGate(cirq.MatrixGate(_random_unitary(2, rng))),
        "GlobalPhaseGate": lambda: cirq.GlobalPhaseGate(cmath.exp(1j * a())),
        "qft(3)": lambda: cirq.QuantumFourierTransformGate(3),
        "PhaseGradientGate": lambda: cirq.PhaseGradientGate(num_qubits=2, exponent=e()),
        "ParallelGate": lambda: cirq.ParallelGate(cirq.X**e(), 2),
        "DiagonalGate": lambda: cirq.DiagonalGate([a() for _ in range(4)]),
        "QubitPermutationGate": lambda: cirq.QubitPermutationGate([2, 0, 1]),
        "SingleQubitCliffordGate": lambda: cirq.SingleQubitCliffordGate.X_sqrt,
    }
    out = []
    for name, make in gates.items():
        gate = make()
        k = cirq.num_qubits(gate)
        n = max(k, 1) + 1
        qubits = cirq.LineQubit.range(n)
        placed = rng.sample(qubits, k)
        ops = [gate.on(*placed)] if k else [gate.on()]
        ops += [cirq.I(q) for q in qubits if q not in placed]
        out.append((f"cirq {name}", cirq.Circuit(ops)))
    # operations that are not plain gate operations
    q = cirq.LineQubit.range(3)
    out.append(("cirq PauliString", cirq.Circuit([cirq.X(q[0]) * cirq.Y(q[2]), cirq.I(q[1])])))
    phasor = cirq.PauliStringPhasor(cirq.X(q[1]) * cirq.Z(q[0]), exponent_neg=e(), exponent_pos=e())
    out.append(("cirq PauliStringPhasor", cirq.Circuit([phasor, cirq.I(q[2])])))
    sub = cirq.FrozenCircuit(cirq.H(q[0]), cirq.CZ(q[0], q[1]) ** e(), cirq.rx(a()).on(q[1]))
    out.append(("cirq CircuitOperation x2", cirq.Circuit([cirq.CircuitOperation(sub, repetitions=2).with_qubits(
        q[2], q[0]), cirq.I(q[1])])))
    out.append(("cirq tagged", cirq.Circuit([cirq.CZPowGate(exponent=e()).on(q[0], q[2]).with_tags("t"),
                                             cirq.I(q[1])])))
    out.append(("cirq GridQubits", cirq.Circuit([cirq.H(cirq.GridQubit(1, 2)),
                                                 cirq.CNOT(cirq.GridQubit(1, 2), cirq.GridQubit(0, 5)),
                                                 cirq.T(cirq.GridQubit(0, 5))])))
    return out


# -- myQLM -------------------------------------------------------------------------------------------

MYQLM_BASES = ("H", "X", "Y", "Z", "S", "T", "I", "PH", "RX", "RY", "RZ", "CNOT", "CSIGN", "SWAP", "ISWAP",
               "SQRTSWAP", "CCNOT")
MYQLM_VARIANTS: dict[str, Callable[[Any], Any]] = {
    "plain": lambda g: g,
    "dag": lambda g: g.dag(),
    "ctrl": lambda g: g.ctrl(),
    "ctrl.ctrl": lambda g: g.ctrl().ctrl(),
    "dag.ctrl": lambda g: g.dag().ctrl(),
    "ctrl.dag": lambda g: g.ctrl().dag(),
    "conj": lambda g: g.conj(),
    "trans": lambda g: g.trans(),
    "conj.ctrl.dag": lambda g: g.conj().ctrl().dag(),
}


def myqlm_gate_sweep(seed: str = "myqlm sweep") -> list[tuple[str, Any]]:
    """myQLM's AQASM gates under ``dag``/``ctrl``/``conj``/``trans`` (and combinations), custom and
    abstract matrix gates; each on random qubits of one more than it needs, as ``qat.core.Circuit``."""
    import qat.lang.AQASM as aq

    rng = random.Random(seed)
    out = []

    def base(name: str) -> Any:
        g = getattr(aq, name)
        return g(rng.uniform(-2 * math.pi, 2 * math.pi)) if name in ("PH", "RX", "RY", "RZ") else g

    def place(label: str, gate: Any) -> None:
        arity = gate.arity
        n = arity + 1
        prog = aq.Program()
        reg = prog.qalloc(n)
        prog.apply(gate, [reg[i] for i in rng.sample(range(n), arity)])
        out.append((label, prog.to_circ()))

    for name in MYQLM_BASES:
        for variant, modify in MYQLM_VARIANTS.items():
            place(f"myqlm {name}.{variant}", modify(base(name)))
    place("myqlm CustomGate 1q", aq.CustomGate(_random_unitary(2, rng)))
    place("myqlm CustomGate 2q", aq.CustomGate(_random_unitary(4, rng)))
    place("myqlm CustomGate 2q.ctrl", aq.CustomGate(_random_unitary(4, rng)).ctrl())
    matrix = _random_unitary(2, rng)
    abstract = aq.AbstractGate("MYGATE", [float], arity=1,
                               matrix_generator=lambda t: np.array(matrix) * cmath.exp(1j * t))
    place("myqlm AbstractGate with a matrix", abstract(rng.uniform(-3, 3)))
    place("myqlm AbstractGate.ctrl.dag", abstract(rng.uniform(-3, 3)).ctrl().dag())
    return out


# -- MQT Bench ---------------------------------------------------------------------------------------

#: MQT Bench 2.x benchmark names (``mqt.bench.benchmarks.get_available_benchmark_names()``) and the
#: sizes each is generated at (``graphstate`` and ``qwalk`` need 3 qubits or more; ``grover`` and
#: ``qwalk`` grow to 15,000 and 5,000 gates at 12 qubits, and ``ae``'s controlled unitaries are
#: matrices over all but one qubit, so these three stop earlier).
MQT_SIZES: dict[str, tuple[int, ...]] = {
    "ghz": (2, 5, 12), "qft": (2, 5, 12), "qftentangled": (3, 5, 12), "dj": (2, 5, 12),
    "bv": (3, 5, 12), "grover": (2, 4, 7), "qpeexact": (2, 5, 12), "qpeinexact": (3, 5, 12),
    "wstate": (2, 5, 12), "graphstate": (3, 5, 12), "ae": (2, 5, 8), "qnn": (2, 5, 12),
    "vqe_real_amp": (2, 5, 12), "vqe_su2": (3, 5, 12), "vqe_two_local": (2, 5, 12),
    "randomcircuit": (3, 5, 12), "qwalk": (3, 5, 7), "qaoa": (3, 5, 12),
}
#: Native gate sets of MQT Bench's targets, taken in turn by the native-gates corpus.
MQT_GATESETS = ("ibm_falcon", "ionq_forte", "iqm", "rigetti", "quantinuum", "ibm_heron", "clifford+t+rotations")


def mqt_benchmark(name: str, size: int, *, gateset: str | None = None, independent: bool = False) -> Any:
    """An MQT Bench circuit at the algorithm level (``gateset=None``), the target-independent level
    (``independent``: the algorithm in Qiskit's standard gates, no composite gates left) or the
    native-gates level for ``gateset``, without its final measurements (for unitary and state-vector
    oracles)."""
    from mqt.bench import BenchmarkLevel, get_benchmark
    from mqt.bench.targets import get_target_for_gateset

    if independent:
        qc = get_benchmark(name, BenchmarkLevel.INDEP, size)
    elif gateset is None:
        qc = get_benchmark(name, BenchmarkLevel.ALG, size)
    else:
        qc = get_benchmark(name, BenchmarkLevel.NATIVEGATES, size, target=get_target_for_gateset(gateset, size),
                           opt_level=1)
    qc.remove_final_measurements(inplace=True)
    return qc


def with_product_input(qc: Any, seed: str) -> Any:
    """``qc`` after a random one-qubit rotation on every qubit (a random product input state)."""
    from qiskit import QuantumCircuit

    rng = random.Random(seed)
    out = QuantumCircuit(*qc.qregs, *qc.cregs, name=qc.name, global_phase=qc.global_phase)
    for q in out.qubits:
        out.u(rng.uniform(0, math.pi), rng.uniform(-math.pi, math.pi), rng.uniform(-math.pi, math.pi), q)
    return out.compose(qc)


# -- mirror circuits ---------------------------------------------------------------------------------

_CLIFFORD_1Q = ("h", "s", "sdg", "x", "y", "z", "sx", "sxdg")
_CLIFFORD_2Q = ("cx", "cz", "cy", "swap", "iswap", "ecr", "dcx")
_ANY_1Q = ("u", "rx", "ry", "rz", "p", "t", "tdg", "h", "sx", "r", "u2")
_ANY_2Q = ("cx", "cz", "rzz", "cp", "crx", "cry", "rxx", "ryy", "swap", "iswap", "cu", "xx_plus_yy", "ecr")


def mirror_circuit(n: int, layers: int, seed: str, *, clifford: bool, block: int = 10) -> tuple[Any, list[int]]:
    """A random circuit, its inverse (Qiskit's ``inverse()``), X on a random third of the qubits (an
    asymmetric basis state) and every qubit measured into its own clbit of register ``c``; and the
    clbits the readout must show (1 where X was applied).

    Clifford circuits pair qubits anywhere (stabilizer simulators run them at any width); others
    pair qubits within blocks of ``block`` neighbours, which Aer's MPS method and Cirq's simulator
    (its separate states for unentangled qubits) run at 100 qubits.
    """
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
    from qiskit.circuit.library import get_standard_gate_name_mapping

    library = get_standard_gate_name_mapping()
    rng = random.Random(seed)
    body = QuantumCircuit(n)
    ones, twos = (_CLIFFORD_1Q, _CLIFFORD_2Q) if clifford else (_ANY_1Q, _ANY_2Q)
    for _ in range(layers):
        if clifford:
            order = rng.sample(range(n), n)
        else:
            order = []
            for start in range(0, n, block):
                order += rng.sample(range(start, min(n, start + block)), min(n, start + block) - start)
        k = 0
        while k < n:
            if k + 1 < n and rng.random() < 0.5 and (clifford or order[k] // block == order[k + 1] // block):
                names, qubits = twos, [order[k], order[k + 1]]
                k += 2
            else:
                names, qubits = ones, [order[k]]
                k += 1
            gate = library[rng.choice(names)]
            params = [rng.uniform(-math.pi, math.pi) for _ in gate.params]
            body.append(type(gate)(*params) if params else gate, qubits)
    qc = QuantumCircuit(QuantumRegister(n, "q"), ClassicalRegister(n, "c"), name=f"mirror{n}")
    qc.compose(body, inplace=True)
    qc.compose(body.inverse(), inplace=True)
    flipped = sorted(rng.sample(range(n), max(1, n // 3)))
    qc.x(flipped)
    qc.measure(range(n), range(n))
    return qc, [1 if q in flipped else 0 for q in range(n)]
