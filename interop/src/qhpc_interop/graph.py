"""Routing between program formats: formats are nodes, translators are edges.

Each edge says what it preserves (a subset of :data:`PROPERTIES`); a route preserves what every
edge on it preserves. :meth:`ConversionGraph.route` finds the cheapest route that keeps what the
caller requires; among routes, an edge that loses something costs more than an exact one, so an
exact route is preferred whenever one exists. The graph is pure data: the core feeds it the
translators that plugins supply.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import NoRouteError

#: What a translation can preserve, and what a format can hold (see :mod:`qhpc_interop.features`
#: for what each means and how a program is checked for it). ``unitary`` means up to global phase;
#: ``global_phase`` on top of it makes the unitary exact.
PROPERTIES = frozenset({
    "unitary", "global_phase", "parameters", "measurements", "mid_circuit_measurement", "conditionals",
    "resets", "barriers", "registers", "qubit_identity", "layout",
})
#: The properties that describe a program without changing what it computes (which bits are called
#: what, where the compiler may not move gates). A conversion may drop one of these only when no
#: route keeps it, and says so; it never drops one of the others unless the caller allows it.
ANNOTATIONS = frozenset({"barriers", "registers", "qubit_identity", "layout"})
#: The properties a conversion can leave out at the caller's word (``allow_loss``): the annotations
#: and the global phase. The others cannot be left out and still give a program (a free parameter
#: needs a value, a condition or a measurement cannot be written as nothing).
DROPPABLE = ANNOTATIONS | {"global_phase"}

#: Extra cost of an edge per property of :data:`PROPERTIES` it does not preserve.
LOSS_PENALTY = 10.0


@dataclass(frozen=True)
class Edge:
    """One translator as seen by the router."""

    source: str
    target: str
    name: str
    preserves: frozenset[str] = field(default=PROPERTIES)
    cost: float = 1.0

    @property
    def weight(self) -> float:
        return self.cost + LOSS_PENALTY * len(PROPERTIES - self.preserves)


@dataclass(frozen=True)
class Route:
    """A chain of edges from ``source`` to ``target`` (empty when they are the same format)."""

    source: str
    target: str
    edges: tuple[Edge, ...]

    @property
    def preserves(self) -> frozenset[str]:
        kept = PROPERTIES
        for e in self.edges:
            kept = kept & e.preserves
        return kept

    @property
    def lost(self) -> frozenset[str]:
        return PROPERTIES - self.preserves

    def __str__(self) -> str:
        if not self.edges:
            return self.source
        return " -> ".join([self.source, *(e.target for e in self.edges)])


class ConversionGraph:
    """A directed multigraph of formats and translators, with cheapest-route search."""

    def __init__(self, edges: Iterable[Edge] = ()) -> None:
        self._out: dict[str, list[Edge]] = {}
        self._formats: set[str] = set()
        # routes found, by (source, target, required): a conversion asks for the same few routes
        # every time, and the graph only changes through :meth:`add`, which clears this
        self._routes: dict[tuple[str, str, frozenset[str]], Route | str] = {}  # a route, or why there is none
        for e in edges:
            self.add(e)

    def add(self, edge: Edge) -> None:
        unknown = edge.preserves - PROPERTIES
        if unknown:
            raise ValueError(f"translator {edge.name!r} declares unknown properties {sorted(unknown)}")
        self._out.setdefault(edge.source, []).append(edge)
        self._formats.update((edge.source, edge.target))
        self._routes.clear()

    @property
    def formats(self) -> frozenset[str]:
        return frozenset(self._formats)

    def edges(self) -> list[Edge]:
        return [e for out in self._out.values() for e in out]

    def reachable(self, source: str) -> set[str]:
        """Every format some route leads to from ``source``."""
        seen = {source}
        todo = [source]
        while todo:
            for e in self._out.get(todo.pop(), []):
                if e.target not in seen:
                    seen.add(e.target)
                    todo.append(e.target)
        return seen - {source}

    def route(self, source: str, target: str, *, require: Iterable[str] = ()) -> Route:
        """The cheapest route from ``source`` to ``target`` whose every edge keeps ``require``.

        Raises :class:`NoRouteError` saying which formats are known and reachable.
        """
        required = frozenset(require)
        key = (source, target, required)
        found = self._routes.get(key)
        if found is None:
            try:
                found = self._search(source, target, required)
            except NoRouteError as exc:
                # the message is kept, not the error: its traceback holds the frames of the
                # conversion that asked, and with them the user's program, for good (an audit);
                # and names no edge knows are not kept at all (each misspelt name was an entry)
                found = str(exc)
            if source in self._formats and target in self._formats:
                self._routes[key] = found
        if isinstance(found, str):
            raise NoRouteError(found)
        return found

    def _search(self, source: str, target: str, required: frozenset[str]) -> Route:
        unknown = required - PROPERTIES
        if unknown:
            raise ValueError(f"unknown properties {sorted(unknown)}; known: {sorted(PROPERTIES)}")
        if source == target:
            return Route(source, target, ())
        for fmt in (source, target):
            if fmt not in self._formats:
                raise NoRouteError(
                    f"unknown program format {fmt!r}; known formats: {', '.join(sorted(self._formats)) or 'none'}"
                )
        # an exact route wins whenever one exists, however long or costly; only without one do the
        # loss penalties rank the lossy routes
        path = self._cheapest(source, target, PROPERTIES)
        if path is None:
            path = self._cheapest(source, target, required)
        if path is None:
            reach = sorted(self.reachable(source))
            why = f" keeping {', '.join(sorted(required))}" if required else ""
            raise NoRouteError(
                f"no translator route from {source!r} to {target!r}{why}; "
                f"from {source!r} qhpc can reach: {', '.join(reach) or 'nothing'}"
            )
        return Route(source, target, path)

    def _cheapest(self, source: str, target: str, required: frozenset[str]) -> tuple[Edge, ...] | None:
        """The lowest-weight path over edges that keep ``required`` (Dijkstra), or ``None``."""
        best: dict[str, float] = {source: 0.0}
        back: dict[str, Edge] = {}
        queue: list[tuple[float, str]] = [(0.0, source)]
        while queue:
            dist, node = heapq.heappop(queue)
            if node == target:
                break
            if dist > best.get(node, float("inf")):
                continue
            for e in self._out.get(node, []):
                if not required <= e.preserves:
                    continue
                nd = dist + e.weight
                if nd < best.get(e.target, float("inf")):
                    best[e.target] = nd
                    back[e.target] = e
                    heapq.heappush(queue, (nd, e.target))
        if target not in back:
            return None
        path: list[Edge] = []
        node = target
        while node != source:
            e = back[node]
            path.append(e)
            node = e.source
        return tuple(reversed(path))
