"""A least-recently-used cache bounded by entries and by the instructions its circuits hold.

Compiled and translated circuits are cached by fingerprint, so a program submitted again (a VQE
loop's, a parameter scan's) is not compiled or translated again. Bounded by entries alone, a
long-lived worker that ran many distinct large circuits kept hundreds of them (an audit: 16-19 MB
per 50,000-gate circuit, about 2 GB at a cap of 128); the instruction bound keeps what a cache
holds proportional to what is worth reusing. Not thread-safe by itself: callers hold their lock.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: The instructions a cache holds at most, all entries together (about ten 50,000-gate circuits).
MAX_CACHED_INSTRUCTIONS = 500_000


class LRU(Generic[K, V]):
    """At most ``entries`` values and ``weight`` in all (a circuit's weight: its instructions);
    a value heavier than ``weight`` alone is not kept."""

    def __init__(self, entries: int, weight: int = MAX_CACHED_INSTRUCTIONS) -> None:
        self.entries, self.weight = entries, weight
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._held = 0

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        self._items.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V, weight: int) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._held -= old[1]
        if weight > self.weight:
            return
        self._items[key] = (value, weight)
        self._held += weight
        while len(self._items) > self.entries or self._held > self.weight:
            _, (_, dropped) = self._items.popitem(last=False)
            self._held -= dropped

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self._held = 0
