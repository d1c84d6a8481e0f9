"""Translation between Cirq's ``cirq.Circuit`` and the qhpc program model, both ways.

Conventions (stable; the tests hold the code to them):

* **Qubits.** Model qubit ``i`` is the ``i``-th qubit of ``sorted(circuit.all_qubits())``, Cirq's
  own default order (``cirq.QubitOrder.DEFAULT``). ``LineQubit``, ``GridQubit`` and ``NamedQubit``
  are read; each one's identity is kept in ``metadata["qubits"]``, one plain-JSON entry per model
  qubit (``{"type": "LineQubit", "x": 3}``, ``{"type": "GridQubit", "row": 1, "col": 2}``,
  ``{"type": "NamedQubit", "name": "a"}``), and the export rebuilds exactly those qubits; qubits
  that are exactly ``LineQubit(0)`` to ``LineQubit(n - 1)`` need no entry and get none. A model
  circuit without that entry exports to ``cirq.LineQubit(i)``; qubits it never touches get one
  ``cirq.IdentityGate`` so that the width survives.
* **Matrices.** Cirq's matrices are big-endian in the order an operation lists its qubits, the
  model's little-endian (the first listed qubit is the least significant bit); ``MatrixGate`` and
  ``UnitaryGate`` are converted between the two.
* **Measurement keys.** Each key becomes a classical register named by the key, registers in order
  of first appearance in the circuit (``circuit.all_operations()`` order), one clbit per measured
  qubit in the order the measurement lists them (the key's first qubit is the register's bit 0; a
  counts bitstring therefore shows it rightmost, whereas Cirq's integer value of the key has it as
  the most significant bit). Keys of the form ``name[i]`` that each measure one qubit (what the
  export writes for bits measured one at a time; ``i`` as Python writes it, below 100,000) are
  read back as bit ``i`` of one register ``name`` (bits no key measures read 0), unless a key
  ``name`` exists as well; such registers are named in ``metadata["cirq_bit_keys"]`` and written
  back as the same keys.
  The export writes one ``cirq.measure(*qubits, key=register)`` where every measurement into a
  register measures the whole register at once, in register order; every other measurement gets
  the key ``register[index]`` (clbits in no register belong to a register ``c``; a register named
  like such a key makes the key take a ``_`` suffix). A clbit written twice reuses its key
  (Cirq's repeated keys; conditions read the latest value). Reading, a key measured again on as
  many qubits writes the same clbits again: the model, like Qiskit, keeps the latest value of
  each clbit, which is what Cirq's conditions read, and the reading says so with a
  ``ConversionLossWarning`` (Cirq's ``records`` keep every instance; a program that reads earlier
  instances there should give each measurement its own key). A condition on an earlier record
  (``index=0`` of a key measured twice) and a key measured again on another number of qubits are
  refused.
* **invert_mask** is read exactly as ``X`` on the inverted qubits, the measurement, and ``X`` on
  them again: the same record, the same state after it (a final state vector or density matrix
  sees it), and the key measured at once, so it is written back as one key.
  Confusion maps (noisy readout) are refused.
* **Conditions.** ``KeyCondition`` on a one-qubit key, ``BitMaskKeyCondition`` with ``==`` (or
  ``!=`` on one bit) and ``SympyCondition`` of the forms ``Eq(key, value)`` / ``Ne(key, 0)`` on a
  one-bit key are read into the model's :class:`~qhpc_interop.Condition`; several conditions on an
  operation are joined (all must hold). Any other condition ("key != 0" over several bits,
  ``m < 2``, ``Ne(m, n)``, a ``!=`` mask over several bits) is evaluated by Cirq on every pattern
  of the bits it reads, and the operation is written once per pattern that satisfies it, each
  copy under that pattern's condition (disjoint, so at most one acts), up to 64 patterns. The
  export writes ``KeyCondition`` for "this one-bit key is 1" and ``BitMaskKeyCondition(key,
  target_value=..., equal_target=True, bitmask=...)`` otherwise, one per key involved; bits no
  measurement has written yet read 0 and are folded into the condition (Cirq cannot read a bit no
  measurement wrote). A global phase under a classical condition is dropped: in each shot the
  condition's bits are known, so it multiplies the whole state and cannot be observed.
* **Gates.** Each Cirq gate maps to the exactly equal library gate (global phase included, kept in
  the circuit's global phase: ``cirq.X**t`` is ``rx(pi t)`` and a phase ``pi t/2``) or an exact
  sequence of library gates; symbolic exponents (sympy) become model parameters and the export
  writes them back as sympy. A gate with neither a library form nor symbols becomes a
  :class:`~qhpc_interop.UnitaryGate` (up to :data:`MAX_UNITARY_QUBITS` qubits).
  ``ControlledGate``/``ControlledOperation`` (any control values, 0-controls and sums of products
  included) are read exactly: one control on library gates, two on X and Z, otherwise a
  ``UnitaryGate`` (without symbols). ``CircuitOperation`` is flattened by Cirq's own
  ``mapped_circuit`` (qubit map, key map, parameter resolver, repetitions and repetition ids).
* **Export.** Every library gate becomes the Cirq gate equal to it (see :data:`SINGLE_OP_GATES`)
  or an exact short sequence (``dcx``, ``rzx``, ``cu``, ``cu3``, ``xx_minus_yy``); ``ecr`` and
  ``rccx``, which no Cirq gate equals, become ``MatrixGate``. The global phase becomes one
  ``cirq.GlobalPhaseGate``. Barriers are dropped (Cirq has none), conditioned measurements refused
  (a skipped measurement leaves no record in Cirq). Operations go to the earliest moment their
  qubits and keys allow (Cirq's EARLIEST), except that measurements stay in program order.

The translators live in :mod:`.from_cirq` (with one handler per Cirq gate type in
:mod:`.gates_in`) and :mod:`.to_cirq`, sharing :mod:`._shared`; this module is their public face.
"""

from __future__ import annotations

from ._shared import (
    BIT_KEYS,
    LARGEST_ARGUMENT,
    MAX_UNITARY_QUBITS,
    little_endian,
    param_from_sympy,
    param_to_sympy,
    qubit_from_json,
    qubit_to_json,
)
from .from_cirq import circuit_from_cirq
from .to_cirq import SINGLE_OP_GATES, _build, _export, _qubits_for, circuit_to_cirq

__all__ = ["BIT_KEYS", "LARGEST_ARGUMENT", "MAX_UNITARY_QUBITS", "SINGLE_OP_GATES", "_build", "_export",
           "_qubits_for", "circuit_from_cirq", "circuit_to_cirq", "little_endian", "param_from_sympy",
           "param_to_sympy", "qubit_from_json", "qubit_to_json"]
