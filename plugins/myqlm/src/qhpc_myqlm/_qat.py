"""What the myQLM translators share: loading myQLM once, myQLM's op types, bulk mode, bit order
and myQLM's (thrift) matrices."""

from __future__ import annotations

import contextlib
import math
import threading
from typing import Any

import numpy as np
from qhpc_interop.bulk import gc_paused

PI = math.pi

#: Most qubits a controlled custom (matrix) gate may span before its matrix is refused as too big.
MAX_CONTROLLED_UNITARY_QUBITS = 10

# myQLM op types (qat.comm.datamodel.ttypes.OpType), read once from myQLM in _optype()
_OPTYPE: dict[str, int] = {}


def _optype() -> dict[str, int]:
    if not _OPTYPE:
        load_qat()
        from qat.comm.datamodel.ttypes import OpType

        _OPTYPE.update({k: v for k, v in vars(OpType).items() if k.isupper() and isinstance(v, int)})
    return _OPTYPE


_QAT_LOCK = threading.Lock()
_QAT_LOADED = False


def load_qat() -> None:
    """Import the myQLM modules this plugin uses: once, and one thread at a time.

    A first import of ``qat.qpus`` is not safe while another thread imports ``qat`` modules
    (seen with myQLM 1.14: ``from qat.qpus import CLinalg`` raised ImportError when a second
    thread imported ``qat.pylinalg`` at the same moment), and qhpc reads capabilities in threads.
    """
    global _QAT_LOADED
    if _QAT_LOADED:
        return
    with _QAT_LOCK:
        if not _QAT_LOADED:
            import qat.comm.datamodel.ttypes
            import qat.core
            import qat.core.variables
            import qat.lang.AQASM
            import qat.pylinalg.simulator
            import qat.qpus  # noqa: F401

            _QAT_LOADED = True


#: From this many operations a translation pauses Python's cyclic garbage collector: it builds
#: hundreds of thousands of small objects, and the collector's passes over them doubled the time.
BULK_SIZE = 5000


def _bulk(size: int) -> contextlib.AbstractContextManager[None]:
    return gc_paused() if size >= BULK_SIZE else contextlib.nullcontext()


# -- bit order -----------------------------------------------------------------------------------


def _bit_reversal(num_qubits: int) -> np.ndarray:
    index = np.arange(2**num_qubits)
    out = np.zeros_like(index)
    for k in range(num_qubits):
        out |= ((index >> k) & 1) << (num_qubits - 1 - k)
    return out


def big_to_little(matrix: np.ndarray) -> np.ndarray:
    """A myQLM (big-endian) matrix over qubits ``(q0, q1, ...)`` as the model's little-endian one.

    The same re-indexing turns a little-endian matrix into a big-endian one.
    """
    m = np.asarray(matrix, dtype=complex)
    n = int(m.shape[0]).bit_length() - 1
    if n <= 1:
        return m
    perm = _bit_reversal(n)
    return m[np.ix_(perm, perm)]


little_to_big = big_to_little


def _matrix_from_thrift(matrix: Any) -> np.ndarray:
    data = np.array([complex(z.re, z.im) for z in matrix.data], dtype=complex)
    return data.reshape(matrix.nRows, matrix.nCols)


def _matrix_to_thrift(matrix: np.ndarray) -> Any:
    from qat.comm.datamodel.ttypes import ComplexNumber, Matrix

    m = np.asarray(matrix, dtype=complex)
    return Matrix(nRows=int(m.shape[0]), nCols=int(m.shape[1]),
                  data=[ComplexNumber(re=float(z.real), im=float(z.imag)) for z in m.flat])
