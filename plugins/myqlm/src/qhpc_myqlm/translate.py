"""Translation between myQLM's ``qat.core.Circuit`` and the qhpc program model, both ways.

Written against myQLM's own data model (``circ.ops``, ``circ.gateDic``, ``GateDefinition`` with
``syntax``, ``nbctrls``, ``subgate``, ``is_dag``/``is_conj``/``is_trans`` and ``matrix``), checked
gate by gate against myQLM's own matrices and its PyLinalg simulator.

**Bit order.** A myQLM matrix or state index is big-endian (the first qubit listed is the most
significant bit); the model's is little-endian. Gates list the same qubits in the same order in
both (controls first), so only matrices are re-indexed (:func:`big_to_little`). myQLM cbit ``k`` is
model clbit ``k`` (except bits written by classical logic, see below).

**myQLM -> model** (:func:`circuit_from_myqlm`; a ``qat.lang.AQASM.Program`` goes through
``prog.to_circ()`` first). Every gate comes out exact, global phase included:

* ``I X Y Z H S T RX RY RZ PH CNOT CSIGN SWAP ISWAP CCNOT`` map to ``id x y z h s t rx ry rz p cx cz
  swap iswap ccx``; ``SQRTSWAP`` to ``rxx ryy rzz`` at pi/4 and a phase pi/8;
* ``ctrl()`` with any number of controls: a library gate where one exists (``C-H`` is ``ch``,
  ``C-C-X`` is ``ccx``, ``C-RY`` is ``cry``...), otherwise an exact decomposition (Barenco et al.'s
  square-root recursion on rotations, no ancillas); ``dag()``, ``conj()`` and ``trans()`` to the
  inverse, conjugate and transpose, nested in any order;
* gates known only by a matrix (``AbstractGate`` with a matrix generator, ``CustomGate``,
  definitions without syntax) become :class:`~qhpc_interop.UnitaryGate`; ``LOCK``/``RELEASE``
  markers are dropped; gates with a circuit implementation are inlined (myQLM's own iterator);
* abstract variables (``prog.new_var(float, "theta")``) and arithmetic on them become model
  parameters and expressions (``+ - * / ** UMINUS sin cos exp sqrt ln abs``; ``real`` and
  ``conjugate`` of a real are the identity, ``imag`` is 0, ``max(a, b)`` is ``(a+b+|a-b|)/2``, and
  the ``atan2`` shapes this module writes for ``atan``/``asin``/``acos`` read back as those);
* ``MEASURE`` (pairwise qubit -> cbit), ``RESET`` of qubits;
* ``CLASSICCTRL`` as a :class:`~qhpc_interop.Condition` that all its cbits are 1; a cbit computed by
  a ``CLASSIC`` op (``prog.logic``: ``AND``, ``OR``, ``XOR``, ``NOT`` over cbits), and read only by
  ``CLASSICCTRL`` while the bits it was computed from are unchanged, becomes the condition it
  stands for: one copy of the operation per pattern of the bits read that makes the formula true
  (``c0 & ~c1`` is "bits (0, 1) read 1"; ``c0 | c1`` is three copies, on ``01``, ``10`` and
  ``11``: the patterns are disjoint, so at most one acts), up to
  :data:`~qhpc_myqlm.from_myqlm.MAX_PATTERNS` of them; the computed cbit stays a clbit nothing
  writes, so every measured cbit keeps its index;
* the cbits above every one a measurement writes or a condition reads are left out (myQLM
  allocates a cbit per qubit whether or not anything uses it; a computed cbit there is dropped):
  a circuit that measures nothing has no clbits.

Refused with a :class:`~qhpc.errors.TranslationError` naming the operation and its position:
``BREAK``, ``REMAP``, formulas over computed bits or true on more than ``MAX_PATTERNS``
patterns, ``RESET`` of cbits, gates with neither a matrix nor a library meaning (a custom
gate whose parameter is still symbolic), and myQLM functions with no model equivalent.

**model -> myQLM** (:func:`circuit_to_myqlm`), built as a ``qat.core.Circuit`` directly: op list,
gate dictionary (each distinct gate defined once) and matrices as
``Program.to_circ(submatrices_only=True)`` attaches them, which PyLinalg and CLinalg run. (Going
through ``Program.apply`` and ``to_circ`` was measured quadratic in the number of distinct gates:
4.5 s for 4,000 gates, 34 s for 8,000.) myQLM's native gate where it is exactly the model gate
(``sdg`` is ``S.dag()``, ``cy`` is ``Y.ctrl()``, ``ccz`` is ``Z.ctrl().ctrl()``, ``cswap`` is
``SWAP.ctrl()``...), exact products of natives otherwise (``u(t, f, l)`` is ``PH(l) RY(t) PH(f)``,
``sx`` is ``H S H``, ``cu`` is ``PH(gamma)`` on the control and controlled ``PH RY PH``, the rest
through the library's exact definitions); unitaries as ``CustomGate`` matrices; parameters as
myQLM variables and arithmetic expressions (``tan`` as ``sin/cos``, ``atan(x)`` as
``atan2(x, 1)``, ``asin``/``acos`` through ``atan2`` and ``sqrt(1 - x**2)``); conditions as
``CLASSICCTRL`` on the bit (a single bit that must read 1), otherwise through one extra cbit
computed by a ``CLASSIC`` op (the ``prog.logic`` idiom), which the import above removes again.

**Global phase.** A myQLM circuit has no global phase field. The export writes a nonzero phase
``a`` exactly as ``PH(a) X PH(a) X`` on the first qubit the circuit acts on (``PH(a) X PH(a) X = e^{ia} I``, for a symbolic
``a`` too), so the unitary is kept exactly and a conversion never has to drop it; a circuit without
a phase gets no extra gate. ``absorb_global_phase=False`` drops it instead (the backends do: a
phase changes no readout). The import reads those gates back as ``p x p x``: the same unitary.
Barriers are dropped (myQLM has none); register names are lost (myQLM circuits do not name them).

**Modules.** This module is the public face; the work is in :mod:`~qhpc_myqlm.from_myqlm` (the
reader), :mod:`~qhpc_myqlm.to_myqlm` (the writer), :mod:`~qhpc_myqlm.modifiers` (exact recipes for
``ctrl``/``conj``/``trans`` and ``SQRTSWAP``), :mod:`~qhpc_myqlm.expressions` (parameters) and
:mod:`~qhpc_myqlm._qat` (loading myQLM, bit order, matrices).
"""

from ._qat import BULK_SIZE, MAX_CONTROLLED_UNITARY_QUBITS, big_to_little, little_to_big, load_qat
from .expressions import expr_from_myqlm, expr_to_myqlm
from .from_myqlm import circuit_from_myqlm, display_name
from .to_myqlm import circuit_to_myqlm

__all__ = [
    "BULK_SIZE",
    "MAX_CONTROLLED_UNITARY_QUBITS",
    "big_to_little",
    "circuit_from_myqlm",
    "circuit_to_myqlm",
    "display_name",
    "expr_from_myqlm",
    "expr_to_myqlm",
    "little_to_big",
    "load_qat",
]
