"""The cache compiled and translated circuits are kept in: bounded by entries and instructions."""

from __future__ import annotations

from qhpc.lru import LRU


def test_least_recently_used_entries_go_first_and_the_instructions_held_stay_bounded() -> None:
    cache: LRU[str, str] = LRU(entries=3, weight=100)
    for key, weight in (("a", 10), ("b", 10), ("c", 10)):
        cache.put(key, key.upper(), weight)
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("d", "D", 10)
    assert cache.get("b") is None and [cache.get(k) for k in "acd"] == ["A", "C", "D"]
    # an audit: bounded by entries only, a worker kept about 2 GB of distinct large circuits
    cache.put("big", "BIG", 80)
    assert cache.get("big") == "BIG" and len(cache) <= 3
    assert sum(w for _, w in cache._items.values()) <= 100 and cache.get("a") is None
    cache.put("huge", "HUGE", 101)  # heavier than the whole bound: not kept, and nothing dropped for it
    assert cache.get("huge") is None and cache.get("big") == "BIG"
    cache.put("big", "BIG2", 5)  # replaced: its old weight is given back
    assert cache.get("big") == "BIG2" and cache._held == sum(w for _, w in cache._items.values())


def test_the_integrators_compile_cache_keeps_no_more_instructions_than_its_bound() -> None:
    from qhpc import Integrator
    from qhpc_interop import Circuit

    with Integrator() as it:
        it._compile_cache.weight = 2_000  # (the bound is 500,000: the same mechanism, smaller circuits)
        backend = it.backend("aer.statevector")
        for k in range(6):
            c = Circuit(2)
            for _ in range(300):
                c.gate("ch", [0, 1])  # Aer has no ch: compiled (and cached) each time
            c.rz(0.1 * (k + 1), 0)
            it.compile(c, backend)
        held = it._compile_cache._held
        assert 0 < held <= 2_000 and len(it._compile_cache) < 6
