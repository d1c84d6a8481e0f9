"""The names both sides of each OpenQASM version agree on: standard include files and keywords."""

from __future__ import annotations

# -- OpenQASM 2 ------------------------------------------------------------------------------------

#: qelib1 gates that are library gates of the same name.
QELIB1_LIBRARY = (
    "u3", "u2", "u1", "cx", "id", "u", "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz",
    "sx", "sxdg", "cz", "cy", "swap", "ch", "ccx", "cswap", "crx", "cry", "crz", "cu1", "cp", "cu3", "csx",
    "cu", "rxx", "rzz", "rccx",
)

QELIB1_GATES: tuple[str, ...] = (*QELIB1_LIBRARY, "u0", "rc3x", "c3x", "c3sqrtx", "c4x")

#: The gates of qelib1.inc as the OpenQASM 2 paper defines it; every reader knows these. The other
#: names above are Qiskit's extensions: the writer declares them with ``gate`` definitions so that
#: any reader (Qiskit's strict or legacy mode, other tools) reads the output, and the reader accepts
#: a program's own definition of such a name.
QELIB1_PAPER_GATES = frozenset({
    "u3", "u2", "u1", "cx", "id", "u0", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cz", "cy",
    "ch", "ccx", "crz", "cu1", "cu3",
})


#: Words an OpenQASM 2 program cannot declare.
QASM2_KEYWORDS = frozenset({
    "OPENQASM", "include", "qreg", "creg", "gate", "opaque", "barrier", "reset", "measure", "if", "U", "CX",
    "pi", "sin", "cos", "tan", "exp", "ln", "sqrt", "asin", "acos", "atan",
})

# -- OpenQASM 3 ------------------------------------------------------------------------------------

#: The gates ``include "stdgates.inc";`` defines -> the library gate each one is.
STDGATES: dict[str, str] = {
    **{name: name for name in (
        "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cy", "cz", "cp", "crx",
        "cry", "crz", "ch", "swap", "ccx", "cswap", "cu", "id", "u1", "u2", "u3",
    )},
    "CX": "cx",
    "phase": "p",
    "cphase": "cp",
}

#: Words an OpenQASM 3 program cannot declare (keywords, builtins, constants, functions).
QASM3_KEYWORDS = frozenset({
    "OPENQASM", "include", "defcalgrammar", "def", "cal", "defcal", "gate", "extern", "box", "let", "break",
    "continue", "if", "else", "end", "return", "for", "while", "in", "switch", "case", "default", "nop", "pragma",
    "input", "output", "const", "readonly", "mutable", "qreg", "qubit", "creg", "bool", "bit", "int", "uint",
    "float", "angle", "complex", "array", "void", "duration", "stretch", "gphase", "inv", "pow", "ctrl",
    "negctrl", "dim", "durationof", "delay", "reset", "measure", "barrier", "true", "false", "im", "U",
    "pi", "π", "tau", "τ", "euler", "ℇ", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "exp", "log",
    "sqrt", "ceiling", "floor", "mod", "popcount", "rotl", "rotr", "sizeof", "real", "imag",
})
