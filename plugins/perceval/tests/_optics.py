"""Independent oracles for the tests: boson sampling amplitudes from permanents, binomial bounds."""

from __future__ import annotations

import itertools
import math

import numpy as np


def permanent(matrix: np.ndarray) -> complex:
    """Ryser's formula (exact for the small matrices of the tests)."""
    n = matrix.shape[0]
    if n == 0:
        return 1.0
    total = 0j
    for subset in itertools.product((0, 1), repeat=n):
        if not any(subset):
            continue
        cols = [j for j in range(n) if subset[j]]
        total += (-1) ** len(cols) * np.prod(matrix[:, cols].sum(axis=1))
    return complex((-1) ** n * total)


def amplitude(unitary: np.ndarray, inp: tuple[int, ...], out: tuple[int, ...]) -> complex:
    """``<out| U |in>`` for Fock states: ``perm(U[rows, cols]) / sqrt(prod n! m!)`` with ``U[out, in]``."""
    if sum(inp) != sum(out):
        return 0j
    cols = [m for m, k in enumerate(inp) for _ in range(k)]
    rows = [m for m, k in enumerate(out) for _ in range(k)]
    norm = math.prod(math.factorial(k) for k in inp) * math.prod(math.factorial(k) for k in out)
    return permanent(unitary[np.ix_(rows, cols)]) / math.sqrt(norm)


def fock_space(modes: int, photons: int) -> list[tuple[int, ...]]:
    """Every Fock state of ``photons`` photons in ``modes`` modes (any order)."""
    return [s for s in itertools.product(range(photons + 1), repeat=modes) if sum(s) == photons]


def key(state: tuple[int, ...]) -> str:
    return "|" + ",".join(map(str, state)) + ">"


def within_binomial(count: int, shots: int, p: float, sigmas: float = 5.0) -> bool:
    """Whether ``count`` of ``shots`` is within ``sigmas`` standard deviations of ``p`` (plus 1 count)."""
    return abs(count - shots * p) <= sigmas * math.sqrt(shots * p * (1 - p)) + 1
