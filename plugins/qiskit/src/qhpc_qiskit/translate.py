"""Translation between Qiskit's ``QuantumCircuit`` and the qhpc program model, both ways: reading in
:mod:`qhpc_qiskit.from_qiskit`, writing in :mod:`qhpc_qiskit.to_qiskit`, parameters in
:mod:`qhpc_qiskit.params`.

Conventions (stable; the tests hold the code to them):

* **Bits and registers.** Model qubit ``i`` is ``qc.qubits[i]`` and clbit ``j`` is ``qc.clbits[j]``
  (Qiskit's little-endian order: a counts bitstring shows clbit 0 rightmost); registers keep their
  names and bits, and are written back as the same registers; bits in no register (a myQLM
  circuit's, say) are written into one more register, ``q`` or ``c`` (``q_1``, ``c_1`` where the
  name is taken), since Qiskit's primitives return the data of registers only. A transpiled circuit's layout
  (Qiskit's ``TranspileLayout``) is kept in the circuit's metadata and written back.
* **Gates.** Every Qiskit standard gate the model's library has is read and written by name
  (``cx``, ``rz``, ``cu``, ...). Any other gate or instruction with a definition (library circuits
  such as ``QFTGate``, custom gates, ``mcx``, open-controlled gates) is expanded through its
  definition; an operation with none (``PermutationGate``, ``Clifford``, an ``AnnotatedOperation``)
  through Qiskit's ``HighLevelSynthesis``; a ``PauliEvolutionGate`` through its synthesis, with a
  :class:`~qhpc_interop.errors.ConversionLossWarning` where that approximates the exponential; a
  gate with only a matrix becomes a :class:`~qhpc_interop.UnitaryGate`. What one instruction expands
  to is bounded by the OpenQASM readers' limit (``MAX_GATE_EXPANSION``).
* **Parameters.** ``Parameter``, ``ParameterVectorElement`` (by name, ``theta[0]``) and
  ``ParameterExpression`` are read into model expressions; written back, one Qiskit parameter per
  name, and a name ``base[i]`` as element ``i`` of a ``ParameterVector`` ``base``.
* **Global phase**, ``GlobalPhaseGate``, ``measure``, ``reset``, ``barrier``: kept.
* **Control flow** is read as the OpenQASM 3 reader reads it: ``if_test`` (with ``else``, nested)
  on a bit, a register or an ``expr`` condition over measured bits (casts with Qiskit's meaning),
  ``switch``, ``for_loop`` unrolled (with unconditional ``break_loop``/``continue_loop``), ``box``
  as its contents, standalone variables assigned from measured bits; each instruction of a block
  becomes a conditioned instruction, one copy per exclusive alternative of its condition (up to
  64). Refused by name: ``while_loop``, input variables, and blocks whose meaning the model cannot
  keep (a block that goes on after writing a bit its condition reads, a ``store`` under a
  condition). A ``delay`` is read as a barrier on its qubits (the model has no timing), announced
  with a ``ConversionLossWarning``.

Every refusal is a :class:`~qhpc.errors.TranslationError` naming the operation and where it is.
"""

from __future__ import annotations

from qhpc_interop.qasm.gatedefs import MAX_GATE_EXPANSION

from .from_qiskit import MAX_SYNTHESIZED_POWER, circuit_from_qiskit
from .params import ParameterTable, param_from_qiskit, param_to_qiskit
from .to_qiskit import circuit_to_qiskit

__all__ = ["MAX_GATE_EXPANSION", "MAX_SYNTHESIZED_POWER", "ParameterTable", "circuit_from_qiskit",
           "circuit_to_qiskit", "param_from_qiskit", "param_to_qiskit"]
