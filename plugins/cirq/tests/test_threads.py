"""Reading Cirq circuits from several threads at once, each thread's first read included."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import sys, threading
sys.setswitchinterval(1e-6)
import cirq
import numpy as np
from qhpc_interop import STANDARD_GATES
from qhpc_interop.gates import controlled
from qhpc_cirq.translate import circuit_from_cirq

def big_endian(m):
    k = round(np.log2(m.shape[0]))
    order = [int(format(i, f"0{k}b")[::-1], 2) for i in range(2**k)]
    return m[np.ix_(order, order)]

q = cirq.LineQubit.range(3)
# rccx and ecr as Cirq matrix gates (how qhpc writes them): the reader knows them by their matrices
made = cirq.Circuit(cirq.MatrixGate(big_endian(STANDARD_GATES["rccx"].matrix())).on(*q),
                    cirq.MatrixGate(big_endian(STANDARD_GATES["ecr"].matrix())).on(q[0], q[1]))
barrier = threading.Barrier(8)
names = [None] * 8

def work(k):
    barrier.wait()
    names[k] = [i.name for i in circuit_from_cirq(made).instructions]

threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(names)
assert all(n == ["rccx", "ecr"] for n in names), names
"""


def test_first_reads_from_eight_threads_at_once_read_the_same() -> None:
    # an audit: the table of matrices read as library gates was filled in place on first use, and
    # threads reading at that moment saw it half made (rccx read as an opaque 3-qubit matrix in 9 of
    # 10 fresh processes); each run is a fresh process, so the first use is the concurrent one
    for _ in range(3):
        run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
