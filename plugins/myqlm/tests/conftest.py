"""Oracles for the myQLM plugin's tests: myQLM's own PyLinalg simulator, never the plugin's output."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest


def pylinalg_unitary(circ: Any) -> np.ndarray:
    """The unitary of a myQLM circuit from PyLinalg's amplitudes, little-endian like the model's.

    One run of the circuit on n system qubits, each maximally entangled first (H, CNOT) with a
    reference qubit n + j: the amplitude of |i>_sys |j>_ref is U[i, j] / sqrt(2^n) (myQLM's
    state index is big-endian: qubit 0 is the most significant bit), then re-indexed to qubit 0
    least significant.
    """
    from qat.comm.datamodel.ttypes import Op
    from qat.core import Circuit
    from qat.qpus import PyLinalg

    n = circ.nbqbits
    prepare = []
    for j in range(n):
        prepare.append(Op(gate="H", qbits=[n + j], type=0))
        prepare.append(Op(gate="CNOT", qbits=[n + j, j], type=0))
    gate_dic = dict(circ.gateDic)
    for name in ("H", "CNOT"):  # the library gates, as every myQLM circuit has them
        assert name in gate_dic, f"{name} missing from the gate dictionary"
    doubled = Circuit(ops=prepare + list(circ.ops), gateDic=gate_dic, nbqbits=2 * n, nbcbits=circ.nbcbits,
                      _gate_set=circ._gate_set, _serialized_gate_set=circ._serialized_gate_set,
                      var_dic=circ.var_dic, has_matrices=False, qregs=circ.qregs, ancilla_map=circ.ancilla_map)
    result = PyLinalg().submit(doubled.to_job(nbshots=0, amp_threshold=0.0))
    amplitudes = np.zeros(4**n, dtype=complex)
    for sample in result:
        amplitudes[sample.state.int] = complex(sample.amplitude)
    big = amplitudes.reshape(2**n, 2**n) * math.sqrt(2**n)
    return reindex(big)


def reindex(matrix: np.ndarray) -> np.ndarray:
    """Big-endian <-> little-endian re-indexing of a matrix (written here, independently of the plugin)."""
    n = int(matrix.shape[0]).bit_length() - 1
    perm = [int(format(i, f"0{n}b")[::-1], 2) if n else 0 for i in range(2**n)]
    return matrix[np.ix_(perm, perm)]


def pylinalg_probabilities(circ: Any, qubits: Sequence[int] | None = None) -> dict[int, float]:
    """PyLinalg's exact probabilities (nbshots=0) of ``qubits``, keyed by its big-endian state."""
    from qat.qpus import PyLinalg

    job = circ.to_job(nbshots=0, qubits=list(qubits) if qubits is not None else None, amp_threshold=0.0)
    return {s.state.int: float(s.probability) for s in PyLinalg().submit(job)}


def bound(circ: Any, values: Mapping[str, float]) -> Any:
    """``circ`` with its variables bound, on a copy: myQLM 1.14's ``bind_variables`` leaves a
    ``dag``/``conj`` wrapper's matrix from an earlier binding in the circuit it was called on."""
    fresh = copy.deepcopy(circ)
    return fresh.bind_variables({k: v for k, v in values.items() if k in fresh.get_variables()})


@pytest.fixture(scope="session")
def myqlm_unitary() -> Callable[[Any], np.ndarray]:
    return pylinalg_unitary


@pytest.fixture(scope="session")
def myqlm_probabilities() -> Callable[..., dict[int, float]]:
    return pylinalg_probabilities


@pytest.fixture(scope="session")
def bind() -> Callable[[Any, Mapping[str, float]], Any]:
    return bound


@pytest.fixture(scope="session")
def big_little() -> Callable[[np.ndarray], np.ndarray]:
    return reindex
