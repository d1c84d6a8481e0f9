// Phase estimation by hand: encode the integer 11 as phases on a uniform superposition of
// 4 qubits, then undo it with an inverse quantum Fourier transform. Every shot reads 1011.
OPENQASM 3.0;
include "stdgates.inc";

// the quantum Fourier transform on 4 qubits (qubit 0 least significant), swaps included
gate qft4 a, b, c, d {
  h d; cp(pi/2) c, d; cp(pi/4) b, d; cp(pi/8) a, d;
  h c; cp(pi/2) b, c; cp(pi/4) a, c;
  h b; cp(pi/2) a, b;
  h a;
  swap a, d; swap b, c;
}

const int value = 11;
qubit[4] q;
bit[4] c;

h q;
// qubit k picks up the phase 2*pi*value*2^k/16
p(2 * pi * value / 16) q[0];
p(2 * pi * value / 8) q[1];
p(2 * pi * value / 4) q[2];
p(2 * pi * value / 2) q[3];
inv @ qft4 q[0], q[1], q[2], q[3];
c = measure q;
