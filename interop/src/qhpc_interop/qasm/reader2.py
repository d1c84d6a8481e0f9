"""The OpenQASM 2 reader (the rules it follows are in :mod:`qhpc_interop.qasm2`).

Plain gate calls are read by :meth:`Reader.fast_statements` (see :mod:`.fast`), one regular
expression per statement; everything else, errors included, by the token reader.
"""

from __future__ import annotations

import functools
import re

from ..errors import ParameterError
from ..gates import PI, Definition
from ..ir import Circuit, Register
from . import fast
from .conditions import equals
from .gatedefs import BodyBuilder, GateDef, defined_gate, library_gate, multi_controlled_phase, placeholder
from .lexer import BOM, Token
from .parser import QASM2_DIALECT, Value
from .reader_base import Operand, ReaderBase, check_register_size, read_program
from .stdlib import QASM2_KEYWORDS, QELIB1_GATES, QELIB1_LIBRARY, QELIB1_PAPER_GATES

#: The opaque gates Qiskit's OpenQASM 2 writer declares for its delays.
_QISKIT_DELAY = re.compile(r"delay(?:_[0-9]+)?")
_STATEMENT_WORDS = frozenset({"OPENQASM", "include", "qreg", "creg", "gate", "opaque", "barrier", "if"})


def loads(text: str, *, source: str = "<qasm>") -> Circuit:
    """Read an OpenQASM 2 program. ``source`` names it in error messages."""
    return read_program(Reader(text[1:] if text.startswith(BOM) else text, source), source)


def _controlled_on_last(lam: float, num_qubits: int) -> Definition:
    """h on the last qubit, a multi-controlled phase ``lam`` over all, h again: the multi-controlled
    ``H p(lam) H`` (``lam = pi``: X; ``lam = pi/2``: sqrt(X), since H S H = SX exactly)."""
    last = num_qubits - 1
    steps, phase = multi_controlled_phase(lam, num_qubits)
    return [("h", (), (last,)), *steps, ("h", (), (last,))], phase


def _rc3x() -> Definition:
    """qelib1's ``rc3x``: X on the last qubit controlled by the other three, up to relative phases
    (Maslov's construction, 3 CNOTs fewer than ``c3x``), with qelib1's own gates in qelib1's order."""
    a, b, c, d = 0, 1, 2, 3
    h: tuple[str, tuple[float, ...], tuple[int, ...]] = ("u2", (0.0, PI), (d,))

    def t(sign: float) -> tuple[str, tuple[float, ...], tuple[int, ...]]:
        return ("u1", (sign * PI / 4,), (d,))

    def cx(q: int) -> tuple[str, tuple[float, ...], tuple[int, ...]]:
        return ("cx", (), (q, d))

    return [h, t(1), cx(c), t(-1), h, cx(a), t(1), cx(b), t(-1), cx(a), t(1), cx(b), t(-1), h, t(1), cx(c), t(-1),
            h], 0.0


@functools.cache
def _qelib1_gates() -> dict[str, GateDef]:
    gates = {name: library_gate(name) for name in QELIB1_LIBRARY}
    # the qelib1 gates the library lacks, built here (exact, checked against Qiskit in the tests)
    gates["u0"] = GateDef("u0", 1, 1, body=([], 0.0))  # an idle: no operation
    gates["c3x"] = GateDef("c3x", 0, 4, body=_controlled_on_last(PI, 4))
    gates["c3sqrtx"] = GateDef("c3sqrtx", 0, 4, body=_controlled_on_last(PI / 2, 4))
    gates["c4x"] = GateDef("c4x", 0, 5, body=_controlled_on_last(PI, 5))
    gates["rc3x"] = GateDef("rc3x", 0, 4, body=_rc3x())
    return gates


class Reader(ReaderBase):
    """The OpenQASM 2 reader (one per program)."""

    dialect = QASM2_DIALECT
    #: read plain gate calls with :meth:`fast_statements` (tests turn it off to compare both paths)
    fast = True

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source, 2)
        self.gates: dict[str, GateDef] = {"U": library_gate("u", "U"), "CX": library_gate("cx", "CX")}
        self.qregs: dict[str, Register] = {}
        self.cregs: dict[str, Register] = {}
        self.declared: dict[str, Token] = {}
        self.included = False
        # inside a gate body: parameter and qubit names -> their indices
        self.params: dict[str, int] | None = None
        self.body_qubits: dict[str, int] = {}
        #: operand text -> its qubit tuples, as the fast path read them (registers never change)
        self.fast_targets: dict[str, list[tuple[int, ...]] | None] = {}

    def read(self) -> Circuit:
        if self.fast and (m := fast.HEADER2.match(self.text)) is not None:
            self.fast_header(m.end())
        else:
            self.header()
        while True:
            if self.fast and not self._buffer and self.previous is not None:
                self.fast_statements()
            if self.peek().kind == "eof":
                return self.circuit
            self.statement()
            self.check_size()

    # -- the fast path --------------------------------------------------------------------------
    def fast_statements(self) -> None:
        """Read a run of plain gate calls (``name(numbers) reg[i], reg[j];``) straight from the text.

        Most of a large program is such calls; matching each with one regular expression instead
        of a token at a time makes reading linear with a small constant. Anything else (another
        statement, an expression with names, an error of any kind) stops the run, and the token
        reader takes it from the same place, so the result and every error message are those of
        the token reader.
        """
        assert self.previous is not None
        text, pos, line = self.text, self.previous.end, self.previous.line
        start = seen = pos
        seen_line = line
        match = fast.CALL2.match
        gates, qregs = self.gates, self.qregs
        known = self.fast_targets
        while True:
            m = match(text, pos)
            if m is None or m.group(1) in fast.DECLARATION_WORDS2:
                m = fast.DECL2.match(text, pos)
                if m is None:
                    break
                # lines counted on from the last declaration, not the run's start: linear in a long run
                seen_line += text.count("\n", seen, m.start())
                seen = m.start()
                if not self.fast_declaration(m, seen_line):
                    break
                pos = m.end()
                continue
            name, arg_text, operand_text = m.group(1, 2, 3)
            if name is None:  # measure qubits -> bits;
                qubits = fast.operands2(m.group(4), qregs)
                clbits = fast.operands2(m.group(5), self.cregs)
                if qubits is None or clbits is None or not fast.emit_measurements(self, qubits[0], clbits[0]):
                    break
                pos = m.end()
                continue
            gate = gates.get(name)
            if gate is None or gate.unsupported or gate.opaque:
                break
            args = fast.numbers(arg_text, 2) if arg_text is not None else ()
            if args is None or len(args) != gate.num_params:
                break
            targets = known.get(operand_text)
            if targets is None or len(targets[0]) != gate.num_qubits:
                targets = known[operand_text] = fast.targets(operand_text, qregs, gate.num_qubits, 2)
            if targets is None:
                break
            if not fast.emit_call(self, gate, args, targets):
                break  # (past the size cap: the token reader reads the call and says so, where it is)
            pos = m.end()
        if pos != start:
            self.resume_at(pos, line + text.count("\n", start, pos))

    def fast_declaration(self, m: re.Match[str], line: int) -> bool:
        """Take the register declaration or include :data:`fast.DECL2` matched (its match starting
        on ``line``) if the token reader would take it without error; ``False`` leaves it to that reader."""
        kind, name = m.group(1, 2)
        if kind is None:  # include "qelib1.inc";
            if not self.included:
                if any(gate_name in self.gates for gate_name in QELIB1_GATES):
                    return False
                self.gates.update(_qelib1_gates())
                self.included = True
            return True
        gates = self.gates
        if (name in QASM2_KEYWORDS or name in self.declared
                or (name in gates and (name in QELIB1_PAPER_GATES or name not in QELIB1_GATES))):
            return False
        size, quantum, circuit = int(m.group(3)), kind == "qreg", self.circuit
        if check_register_size(size, circuit.num_qubits if quantum else circuit.num_clbits,
                               "qubits" if quantum else "classical bits"):
            return False
        at = m.start(2)
        line += self.text.count("\n", m.start(), at)
        col = at - self.text.rfind("\n", 0, at)
        self.declared[name] = Token("id", name, line, col, col + len(name), at + len(name))
        if quantum:
            self.qregs[name] = circuit.add_qreg(name, size)
        else:
            self.cregs[name] = circuit.add_creg(name, size)
        return True

    def header(self) -> None:
        tok = self.peek()
        if not self.at("OPENQASM"):
            self.error(f"missing header: an OpenQASM 2 program starts with 'OPENQASM 2.0;', found {tok.describe()}",
                       tok)
        self.next()
        version = self.next()
        if version.kind not in ("int", "real"):
            self.error(f"expected a version number after OPENQASM, found {version.describe()}", version)
        if float(version.text) != 2.0:
            self.error(f"unsupported OpenQASM version {version.text}: this reader reads OpenQASM 2.0 "
                       "(read OpenQASM 3 with qasm3.loads or qasm.loads_any)", version)
        self.expect_semicolon("after the OPENQASM header")

    # -- statements -------------------------------------------------------------------------------
    def statement(self) -> None:
        tok = self.peek()
        if tok.kind != "id":
            self.error(f"expected a statement, found {tok.describe()}", tok)
        handler = {
            "include": self.include,
            "qreg": self.register,
            "creg": self.register,
            "gate": self.gate_definition,
            "opaque": self.opaque,
            "barrier": self.barrier,
            "if": self.if_statement,
        }.get(tok.text)
        if handler is not None:
            handler()
        elif tok.text == "OPENQASM":
            self.error("the OPENQASM header may only appear once, at the start", tok)
        else:
            self.quantum_operation()

    def quantum_operation(self) -> None:
        self.statement_token = self.peek()
        if self.at("measure"):
            tok = self.next()
            qubits = self.operand(quantum=True)
            self.expect("->", "between the measured qubits and the classical bits")
            clbits = self.operand(quantum=False)
            self.end_statement("the measure statement")
            self.emit_measure(qubits, clbits, tok)
        elif self.at("reset"):
            self.next()
            qubits = self.operand(quantum=True)
            self.end_statement("the reset statement")
            self.emit_reset(qubits)
        else:
            self.gate_call()

    def include(self) -> None:
        self.next()
        name = self.next()
        if name.kind != "string":
            self.error(f"expected a file name in double quotes after include, found {name.describe()}", name)
        self.end_statement("the include statement")
        if name.text != "qelib1.inc":
            self.error(f'cannot include "{name.text}": the only include file available is "qelib1.inc"', name)
        if self.included:
            return
        for gate_name in QELIB1_GATES:
            if gate_name in self.gates:
                prev = self.declared.get(gate_name)
                where = f" (declared on line {prev.line})" if prev else ""
                self.error(f'"qelib1.inc" defines gate \'{gate_name}\', which is already declared{where}', name)
        self.gates.update(_qelib1_gates())
        self.included = True

    def declare(self, tok: Token) -> None:
        """Claim a new global name (registers and gates share one namespace)."""
        name = tok.text
        if name in QASM2_KEYWORDS:
            self.error(f"'{name}' is a reserved word and cannot be declared", tok)
        prev = self.declared.get(name)
        if prev is not None:
            self.error(f"'{name}' is already declared (line {prev.line})", tok)
        if name in self.gates and (name in QELIB1_PAPER_GATES or name not in QELIB1_GATES):
            self.error(f"'{name}' is already declared (a gate of qelib1.inc)", tok)
        self.declared[name] = tok

    def register(self) -> None:
        kind = self.next()
        name = self.expect_id("a register name")
        self.declare(name)
        self.expect("[", f"after the register name '{name.text}'")
        size_tok = self.next()
        if size_tok.kind != "int":
            self.error(f"expected the register size (an integer), found {size_tok.describe()}", size_tok)
        size = int(size_tok.text)
        if size <= 0:
            self.error(f"register '{name.text}' needs at least one bit, not {size}", size_tok)
        quantum = kind.text == "qreg"
        too_big = check_register_size(size, self.circuit.num_qubits if quantum else self.circuit.num_clbits,
                                      "qubits" if quantum else "classical bits")
        if too_big:
            self.unsupported(too_big, size_tok)
        self.expect("]", "after the register size")
        self.end_statement(f"the {kind.text} declaration")
        if kind.text == "qreg":
            self.qregs[name.text] = self.circuit.add_qreg(name.text, size)
        else:
            self.cregs[name.text] = self.circuit.add_creg(name.text, size)

    def gate_signature(self) -> tuple[Token, list[Token], list[Token]]:
        self.next()
        name = self.expect_id("a gate name")
        self.declare(name)
        params: list[Token] = []
        if self.accept("("):
            if not self.at(")"):
                params = self.id_list("a parameter name")
            self.expect(")", "to close the parameter list")
        qubits = self.id_list("a qubit argument name")
        for tok in (*params, *qubits):
            if tok.text in QASM2_DIALECT.constants or tok.text in QASM2_DIALECT.functions:
                what = "parameter" if tok in params else "qubit argument"
                self.error(f"'{tok.text}' is a reserved word of expressions and cannot name a gate {what}", tok)
        return name, params, qubits

    def gate_definition(self) -> None:
        name, params, qubits = self.gate_signature()
        self.expect("{", f"to open the body of gate '{name.text}'")
        self.params = {p.text: i for i, p in enumerate(params)}
        self.body_qubits = {q.text: i for i, q in enumerate(qubits)}
        body = BodyBuilder()
        try:
            while not self.at("}"):
                if self.peek().kind == "eof":
                    self.error(f"expected '}}' to close the body of gate '{name.text}', found end of file",
                               self.peek())
                self.body_statement(body)
            self.next()
        finally:
            self.params, self.body_qubits = None, {}
        self.gates[name.text] = defined_gate(name.text, len(params), len(qubits), body.definition(), name,
                                             up_to_phase=True)

    def body_statement(self, body: BodyBuilder) -> None:
        tok = self.peek()
        if self.at("barrier"):
            self.next()
            self.body_operands()
            self.end_statement("the barrier statement")
            return
        if tok.kind != "id":
            self.error(f"expected a gate call in the gate body, found {tok.describe()}", tok)
        if tok.text in _STATEMENT_WORDS or tok.text in ("measure", "reset"):
            self.error(f"'{tok.text}' is not allowed inside a gate definition", tok)
        name = self.next()
        gate = self.lookup_gate(name)
        args = self.arguments()
        operands = self.body_operands()
        self.end_statement(f"the call of '{name.text}'")
        self.check_call(gate, len(args), len(operands), name)
        local = [self.body_qubits[q.text] for q in operands]
        if len(set(local)) != len(local):
            self.error(f"the same qubit is used twice in the call of '{name.text}'", name)
        body.add(gate.instantiate([self.to_param(v, t) for v, t in args]), local)

    def body_operands(self) -> list[Token]:
        operands = [self.expect_id("a qubit argument")]
        while self.accept(","):
            operands.append(self.expect_id("a qubit argument"))
        for tok in operands:
            if tok.text not in self.body_qubits:
                if self.at("["):
                    self.error("qubits cannot be indexed inside a gate definition", self.peek())
                self.error(f"'{tok.text}' is not a qubit argument of this gate", tok)
        if self.at("["):
            self.error("qubits cannot be indexed inside a gate definition", self.peek())
        return operands

    def opaque(self) -> None:
        name, params, qubits = self.gate_signature()
        self.end_statement("the opaque declaration")
        self.gates[name.text] = GateDef(name.text, len(params), len(qubits), opaque=True, token=name)

    def barrier(self) -> None:
        self.next()
        operands = self.operand_list(quantum=True)
        self.end_statement("the barrier statement")
        self.emit_barrier(operands)

    def if_statement(self) -> None:
        self.next()
        self.expect("(", "after if")
        reg_tok = self.expect_id("a classical register")
        reg = self.cregs.get(reg_tok.text)
        if reg is None:
            kind = "a quantum register" if reg_tok.text in self.qregs else "not a declared register"
            self.error(f"if needs a classical register; '{reg_tok.text}' is {kind}", reg_tok)
        self.expect("==", "in the condition (OpenQASM 2 conditions are 'register == integer')")
        value_tok = self.next()
        if value_tok.kind != "int":
            self.error(f"expected an integer to compare with, found {value_tok.describe()}", value_tok)
        value = int(value_tok.text)
        self.expect(")", "to close the condition")
        # a value the register cannot hold is never equal to it: what the if guards never runs (Qiskit, Aer)
        tok = self.peek()
        if tok.kind != "id" or tok.text in _STATEMENT_WORDS:
            self.error(f"expected a quantum operation after if (...), found {tok.describe()}", tok)
        with self.guard(frozenset(reg.bits)), self.conditional(equals(reg.bits, value, reg.name)):
            self.quantum_operation()

    # -- gate calls ---------------------------------------------------------------------------
    def lookup_gate(self, tok: Token) -> GateDef:
        gate = self.gates.get(tok.text)
        if gate is not None:
            return gate
        if tok.text in QELIB1_GATES and not self.included:
            self.error(f"unknown gate '{tok.text}'; did you forget include \"qelib1.inc\"?", tok)
        if tok.text in self.qregs or tok.text in self.cregs:
            self.error(f"'{tok.text}' is a register, not a gate", tok)
        self.error(f"unknown gate '{tok.text}'", tok)

    def gate_call(self) -> None:
        name = self.expect_id("a statement")
        gate = self.lookup_gate(name)
        args = self.arguments()
        operands = self.operand_list(quantum=True)
        self.end_statement(f"the call of '{name.text}'")
        if gate.opaque and _QISKIT_DELAY.fullmatch(gate.name) and gate.num_params == 1 and gate.num_qubits == 1:
            # Qiskit's writer declares its Delay so (``opaque delay(param0) q0;``, and one more
            # ``delay_<number>`` per other delay object; its reader reads ``delay`` back as a Delay):
            # read as OpenQASM 3's delay is, a barrier, announced
            if len(args) != 1 or len(operands) != 1:
                self.error(f"'{gate.name}' takes 1 parameter and 1 qubit operand, got {len(args)} and "
                           f"{len(operands)}", name)
            self.timing.append(("a delay", name))
            self.emit_barrier(operands)
            return
        self.check_call(gate, len(args), len(operands), name)
        definition = gate.instantiate([self.to_param(v, t) for v, t in args])
        try:
            for qubits in self.broadcast(operands, name):
                self.emit_definition(definition, qubits)
        except ParameterError as exc:  # a value the model refuses: said where
            self.unsupported(str(exc), name)

    def resolve_name(self, tok: Token) -> Value:
        if self.params is not None and tok.text in self.params:
            return placeholder(self.params[tok.text])
        if self.params is not None:
            self.error(f"unknown name '{tok.text}' in an expression (only the gate's parameters and pi can be used)",
                       tok)
        self.error(f"unknown name '{tok.text}' in an expression (OpenQASM 2 has no variables; only pi, and a gate's "
                   "parameters inside its definition, can be used)", tok)

    # -- operands -----------------------------------------------------------------------------
    def operand_list(self, quantum: bool) -> list[Operand]:
        operands = [self.operand(quantum)]
        while self.accept(","):
            operands.append(self.operand(quantum))
        return operands

    def operand(self, quantum: bool) -> Operand:
        tok = self.expect_id("a qubit operand" if quantum else "a classical bit operand")
        table, other = (self.qregs, self.cregs) if quantum else (self.cregs, self.qregs)
        reg = table.get(tok.text)
        if reg is None:
            if tok.text in other:
                kind = "classical" if quantum else "quantum"
                wanted = "qubit" if quantum else "bit"
                self.error(f"'{tok.text}' is a {kind} register; expected a {wanted} operand", tok)
            self.error(f"undeclared register '{tok.text}'", tok)
        if not self.accept("["):
            return Operand(reg.bits, False, tok)
        index_tok = self.next()
        if index_tok.kind != "int":
            self.error(f"expected an integer index, found {index_tok.describe()}", index_tok)
        index = int(index_tok.text)
        if index >= reg.size:
            self.error(f"index {index} out of range for register '{reg.name}' of size {reg.size}", index_tok)
        self.expect("]", "after the index")
        return Operand((reg.bits[index],), True, Token("id", f"{tok.text}[{index}]", tok.line, tok.col))
