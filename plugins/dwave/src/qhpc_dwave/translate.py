"""Translators between the annealing frameworks and qhpc's model (:mod:`qhpc_interop.bqm`).

Every translator keeps the problem's **minimum**: the model's energy of an assignment is the one
the source framework minimises for it (see the sign rules in :mod:`qhpc_interop.bqm`).

=========================  ===========================================  =====================================
format                     programs                                     rule
=========================  ===========================================  =====================================
``dimod``                  ``dimod.BinaryQuadraticModel``               same convention (both ways, exact)
``dimod.qubo``             ``{(u, v): bias}`` (diagonal: linear)        dimod's ``from_qubo``
``dimod.ising``            ``(h, J)`` or ``(h, J, offset)``             dimod's ``from_ising``
``myqlm.opt``              ``qat.opt.QUBO``, ``Ising``,                 ``H = -x^T Q x - E_Q``;
                           ``CombinatorialProblem``                     ``H = -s^T J s - h^T s - E_I``;
                                                                        the clauses' cost observable
``qiskit-optimization``    ``QuadraticProgram`` (binary, unconstrained)  a maximised objective is negated
=========================  ===========================================  =====================================

Labels: dimod's are kept (strings and integers; other labels are refused, naming one); myQLM's
variables are 0..n-1; Qiskit's are the variable names.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from qhpc.errors import TranslationError
from qhpc.interfaces import defined_in
from qhpc_interop.bqm import BinaryQuadraticModel, Vartype

# -- dimod ----------------------------------------------------------------------------------------


def from_dimod(bqm: Any) -> BinaryQuadraticModel:
    """The model of a ``dimod.BinaryQuadraticModel`` (labels, order, vartype and biases kept)."""
    labels = list(bqm.variables)
    for v in labels:
        if isinstance(v, bool) or not isinstance(v, (str, numbers.Integral)):
            raise TranslationError(f"dimod variable label {v!r} is not a string or an integer; relabel the model "
                                   "first (bqm.relabel_variables)")
    vectors = bqm.to_numpy_vectors(variable_order=labels)
    rows, cols, biases = vectors.quadratic
    return BinaryQuadraticModel.from_arrays(labels, vectors.linear_biases, rows, cols, biases, float(vectors.offset),
                                            bqm.vartype.name)


def to_dimod(model: BinaryQuadraticModel) -> Any:
    """The ``dimod.BinaryQuadraticModel`` of a model (same labels, order, vartype and biases)."""
    import dimod

    linear, qi, qj, qb = model.terms()
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        np.array(linear), (np.array(qi), np.array(qj), np.array(qb)), model.offset, dimod.Vartype[str(model.vartype)],
        variable_order=list(model.variables))


def is_qubo(program: object) -> bool:
    """A QUBO dictionary: a non-empty dict keyed by label pairs (its biases are checked when read,
    so a malformed one is an error naming the bias, not an unknown program)."""
    return isinstance(program, dict) and bool(program) and all(isinstance(k, tuple) and len(k) == 2 for k in program)


def is_ising(program: object) -> bool:
    """An Ising problem: ``(h, J)`` or ``(h, J, offset)``, ``h`` a dict or list, ``J`` a dict of pairs."""
    return (isinstance(program, tuple) and len(program) in (2, 3) and isinstance(program[0], (dict, list))
            and isinstance(program[1], dict) and all(isinstance(k, tuple) and len(k) == 2 for k in program[1])
            and (len(program) == 2 or isinstance(program[2], numbers.Real)))


def from_qubo(program: Mapping[Any, Any]) -> BinaryQuadraticModel:
    return BinaryQuadraticModel.from_qubo(program)


def from_ising(program: tuple[Any, ...]) -> BinaryQuadraticModel:
    return BinaryQuadraticModel.from_ising(program[0], program[1], program[2] if len(program) == 3 else 0.0)


# -- myQLM (qat.opt) ------------------------------------------------------------------------------


_MYQLM_PROBLEMS = ("QUBO", "Ising", "CombinatorialProblem")


def from_myqlm(problem: Any) -> BinaryQuadraticModel:
    """The model of a myQLM ``QUBO``, ``Ising`` or ``CombinatorialProblem`` (variables 0..n-1).

    myQLM minimises ``H = -x^T Q x - E_Q`` (QUBO) and ``H = -s^T J s - h^T s - E_I`` (Ising), the
    opposite sign of dimod's ``x^T Q x`` (its own ``to_bqm()`` returns the model whose minimum is
    myQLM's maximum); here the model's energy is ``H`` itself. A combinatorial problem's energy is
    its cost observable (the weighted clauses, negated for a maximisation), read term by term; it
    must be quadratic.
    """
    # the qat.opt class it is or derives from (qat.opt's MaxCut is an Ising; a user's subclass too)
    name = next((cls.__name__ for cls in type(problem).__mro__ if cls.__module__.startswith("qat.opt")
                 and cls.__name__ in _MYQLM_PROBLEMS), type(problem).__name__)
    if name == "QUBO":
        Q, offset = problem.get_q_and_offset()
        Q = np.asarray(Q, dtype=float)
        n = Q.shape[0]
        linear = [-float(Q[i, i]) for i in range(n)]
        quadratic = [(i, j, -float(Q[i, j] + Q[j, i])) for i in range(n) for j in range(i + 1, n)
                     if Q[i, j] + Q[j, i] != 0.0]
        return BinaryQuadraticModel(linear, quadratic, -float(offset), Vartype.BINARY, variables=range(n))
    if name == "Ising":
        J, h, offset = problem.get_j_h_and_offset()
        J, h = np.asarray(J, dtype=float), np.asarray(h, dtype=float)
        n = h.shape[0]
        quadratic = [(i, j, -float(J[i, j] + J[j, i])) for i in range(n) for j in range(i + 1, n)
                     if J[i, j] + J[j, i] != 0.0]
        constant = -float(offset) - float(np.trace(J))  # s_i s_i = 1
        return BinaryQuadraticModel([-float(v) for v in h], quadratic, constant, Vartype.SPIN, variables=range(n))
    if name == "CombinatorialProblem":
        return _from_observable(problem.get_observable("terms")).binary()
    raise TranslationError(f"myqlm-opt-import reads qat.opt QUBO, Ising and CombinatorialProblem, not {name}")


def _from_observable(obs: Any) -> BinaryQuadraticModel:
    """A diagonal observable of Z terms as a SPIN model over its qubits: ``Z_i = -s_i`` (bit 1 is
    ``s = +1``, as in qhpc's readout), so a ``Z`` coefficient is a field of the opposite sign and a
    ``ZZ`` coefficient a coupling of the same sign."""
    n = int(obs.nbqbits)
    linear = [0.0] * n
    quadratic: dict[tuple[int, int], float] = {}
    constant = float(np.real(obs.constant_coeff))
    for term in obs.terms:
        coeff = complex(term.coeff)
        if coeff.imag != 0.0:
            raise TranslationError(f"the cost observable has a complex coefficient {coeff} on {term.op} {term.qbits}")
        if set(term.op) - {"Z", "I"}:
            raise TranslationError(f"the cost observable has a non-diagonal term {term.op} on {list(term.qbits)}")
        qubits = [q for op, q in zip(term.op, term.qbits) if op == "Z"]
        odd = sorted(q for q in set(qubits) if qubits.count(q) % 2)  # Z_i Z_i = I
        if len(odd) == 0:
            constant += coeff.real
        elif len(odd) == 1:
            linear[odd[0]] -= coeff.real
        elif len(odd) == 2:
            key = (odd[0], odd[1])
            quadratic[key] = quadratic.get(key, 0.0) + coeff.real
        else:
            raise TranslationError(f"the problem is not quadratic: its cost has a term {term.op} on {odd} "
                                   "(reduce it to pairs of variables first)")
    return BinaryQuadraticModel(linear, quadratic, constant, Vartype.SPIN, variables=range(n))


def is_myqlm_problem(program: object) -> bool:
    return defined_in(program, "qat.opt", _MYQLM_PROBLEMS)


# -- Qiskit optimization ----------------------------------------------------------------------------


def from_quadratic_program(qp: Any) -> BinaryQuadraticModel:
    """The model of a binary, unconstrained Qiskit ``QuadraticProgram``: its objective, negated
    when the program maximises (the model minimises). Diagonal quadratic terms ``x*x`` are linear."""
    from qiskit_optimization.problems import QuadraticObjective, VarType

    for var in qp.variables:
        if var.vartype != VarType.BINARY:
            raise TranslationError(f"variable {var.name!r} of the quadratic program is {var.vartype.name.lower()}, not "
                                   "binary; convert it first (qiskit_optimization.converters.QuadraticProgramToQubo)")
    constraints = len(qp.linear_constraints) + len(qp.quadratic_constraints)
    if constraints:
        raise TranslationError(f"the quadratic program has {constraints} constraint(s); fold them into the objective "
                               "first (qiskit_optimization.converters.QuadraticProgramToQubo)")
    objective = qp.objective
    sign = -1.0 if objective.sense == QuadraticObjective.Sense.MAXIMIZE else 1.0
    names = [var.name for var in qp.variables]
    linear = {name: sign * float(b) for name, b in objective.linear.to_dict(use_name=True).items()}
    quadratic = []
    for (u, v), b in objective.quadratic.to_dict(use_name=True).items():
        if u == v:
            linear[u] = linear.get(u, 0.0) + sign * float(b)
        else:
            quadratic.append((u, v, sign * float(b)))
    return BinaryQuadraticModel(linear, quadratic, sign * float(objective.constant), Vartype.BINARY,
                                variables=names, name=qp.name or None)


def is_quadratic_program(program: object) -> bool:
    return defined_in(program, "qiskit_optimization", ("QuadraticProgram",))
