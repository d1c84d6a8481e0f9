"""Problems with known answers for the annealing tests, and their brute-force oracles.

Every optimum here is computed by enumerating assignments in plain Python from the problem's
definition (cut edges, partition differences), never by qhpc or by the samplers under test.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence


def regular_graph(degree: int, n: int, seed: int) -> list[tuple[int, int]]:
    """Edges of a random ``degree``-regular graph on ``n`` nodes (networkx's generator)."""
    import networkx as nx

    return sorted(tuple(sorted(e)) for e in nx.random_regular_graph(degree, n, seed=seed).edges)  # type: ignore[misc]


def brute_force_maxcut(n: int, edges: Sequence[tuple[int, int]]) -> tuple[int, list[tuple[int, ...]]]:
    """The largest cut and every side assignment (node -> 0/1) that reaches it."""
    best, argbest = -1, []
    for sides in itertools.product((0, 1), repeat=n):
        cut = sum(1 for u, v in edges if sides[u] != sides[v])
        if cut > best:
            best, argbest = cut, [sides]
        elif cut == best:
            argbest.append(sides)
    return best, argbest


def brute_force_partition(numbers: Sequence[int]) -> int:
    """The smallest squared difference between the sums of two sides."""
    total = sum(numbers)
    best = None
    for sides in itertools.product((0, 1), repeat=len(numbers)):
        left = sum(a for a, s in zip(numbers, sides) if s)
        diff = (total - 2 * left) ** 2
        best = diff if best is None or diff < best else best
    assert best is not None
    return best


def maxcut_dimod(n: int, edges: Sequence[tuple[int, int]]):  # type: ignore[no-untyped-def]
    """Max-cut as a dimod SPIN model: E = sum over edges of s_u s_v = |E| - 2 cut (minimum: the max cut)."""
    import dimod

    return dimod.BinaryQuadraticModel({v: 0.0 for v in range(n)}, {e: 1.0 for e in edges}, 0.0, "SPIN")


def partition_dimod(numbers: Sequence[int]):  # type: ignore[no-untyped-def]
    """Number partitioning as a dimod SPIN model: E = (sum_i a_i s_i)^2."""
    import dimod

    n = len(numbers)
    quadratic = {(i, j): 2.0 * numbers[i] * numbers[j] for i in range(n) for j in range(i + 1, n)}
    return dimod.BinaryQuadraticModel({i: 0.0 for i in range(n)}, quadratic, float(sum(a * a for a in numbers)),
                                      "SPIN")


def random_numbers(n: int, seed: int, high: int = 40) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(1, high) for _ in range(n)]
