"""The conversion-graph router: cheapest routes, exact over lossy, required properties, errors."""

from __future__ import annotations

import pytest
from qhpc_interop.errors import NoRouteError
from qhpc_interop.graph import PROPERTIES, ConversionGraph, Edge, Route

ALL = PROPERTIES


def lossy(source: str, target: str, *lost: str, cost: float = 1.0, name: str | None = None) -> Edge:
    return Edge(source, target, name or f"{source}->{target}", ALL - frozenset(lost), cost)


def exact(source: str, target: str, *, cost: float = 1.0, name: str | None = None) -> Edge:
    return Edge(source, target, name or f"{source}->{target}", ALL, cost)


def hops(route: Route) -> list[str]:
    return [e.name for e in route.edges]


def test_route_follows_the_only_path() -> None:
    graph = ConversionGraph([exact("a", "b"), exact("b", "c")])
    route = graph.route("a", "c")
    assert hops(route) == ["a->b", "b->c"]
    assert (route.source, route.target) == ("a", "c")
    assert str(route) == "a -> b -> c"


def test_route_picks_the_cheapest_of_several_exact_routes() -> None:
    graph = ConversionGraph([
        exact("a", "c", cost=5.0, name="direct"),
        exact("a", "b", cost=1.0), exact("b", "c", cost=1.5),
        exact("a", "d", cost=0.5), exact("d", "c", cost=3.0),
    ])
    assert hops(graph.route("a", "c")) == ["a->b", "b->c"]


def test_route_picks_the_cheaper_of_parallel_edges() -> None:
    graph = ConversionGraph([exact("a", "b", cost=2.0, name="slow"), exact("a", "b", cost=1.0, name="fast")])
    assert hops(graph.route("a", "b")) == ["fast"]


def test_exact_route_is_preferred_over_a_lossy_one_with_fewer_hops() -> None:
    graph = ConversionGraph([
        lossy("a", "d", "barriers", name="lossy direct"),
        exact("a", "b"), exact("b", "c"), exact("c", "d"),
    ])
    route = graph.route("a", "d")
    assert hops(route) == ["a->b", "b->c", "c->d"]
    assert route.lost == frozenset()


def test_exact_route_is_preferred_even_when_it_is_long() -> None:
    chain = [exact(f"n{k}", f"n{k + 1}") for k in range(15)]
    graph = ConversionGraph([lossy("n0", "n15", "barriers", name="shortcut"), *chain])
    route = graph.route("n0", "n15")
    assert len(route.edges) == 15
    assert route.preserves == ALL


def test_exact_route_is_preferred_even_when_its_edges_cost_more() -> None:
    graph = ConversionGraph([lossy("a", "b", "barriers", name="cheap lossy"), exact("a", "b", cost=50.0, name="slow exact")])
    assert hops(graph.route("a", "b")) == ["slow exact"]


def test_among_lossy_routes_the_one_losing_less_is_preferred() -> None:
    graph = ConversionGraph([
        lossy("a", "b", "barriers", "registers", name="loses two"),
        lossy("a", "c", "barriers", name="loses one"), exact("c", "b"),
    ])
    route = graph.route("a", "b")
    assert hops(route) == ["loses one", "c->b"]
    assert route.lost == frozenset({"barriers"})


def test_require_skips_edges_that_lose_a_required_property() -> None:
    graph = ConversionGraph([
        lossy("a", "b", "conditionals", name="cheap"),
        lossy("a", "c", "barriers", cost=3.0), lossy("c", "b", "barriers", cost=3.0),
    ])
    assert hops(graph.route("a", "b")) == ["cheap"]
    route = graph.route("a", "b", require=["conditionals"])
    assert hops(route) == ["a->c", "c->b"]
    assert "conditionals" in route.preserves


def test_require_that_nothing_keeps_raises_naming_reachable_formats() -> None:
    graph = ConversionGraph([lossy("a", "b", "conditionals"), exact("a", "c"), exact("x", "y")])
    with pytest.raises(NoRouteError) as info:
        graph.route("a", "b", require={"conditionals", "unitary"})
    message = str(info.value)
    assert "'a' to 'b' keeping conditionals, unitary" in message
    assert "qhpc can reach: b, c" in message
    assert "x" not in message.split("reach:")[1]


def test_unreachable_target_raises_saying_nothing_is_reachable() -> None:
    graph = ConversionGraph([exact("a", "b")])
    with pytest.raises(NoRouteError, match="from 'b' to 'a'; from 'b' qhpc can reach: nothing"):
        graph.route("b", "a")


def test_same_format_route_is_empty() -> None:
    graph = ConversionGraph([exact("a", "b")])
    route = graph.route("a", "a")
    assert route.edges == ()
    assert route.preserves == ALL and route.lost == frozenset()
    assert str(route) == "a"


@pytest.mark.parametrize(("source", "target"), [("nope", "b"), ("a", "nope")])
def test_unknown_format_error_lists_known_formats(source: str, target: str) -> None:
    graph = ConversionGraph([exact("a", "b"), exact("b", "c")])
    with pytest.raises(NoRouteError, match="unknown program format 'nope'; known formats: a, b, c"):
        graph.route(source, target)


def test_unknown_format_in_an_empty_graph_says_none_are_known() -> None:
    with pytest.raises(NoRouteError, match="known formats: none"):
        ConversionGraph().route("a", "b")


def test_unknown_required_property_raises_value_error() -> None:
    graph = ConversionGraph([exact("a", "b")])
    with pytest.raises(ValueError, match=r"unknown properties \['speed'\]"):
        graph.route("a", "b", require=["unitary", "speed"])


def test_edge_with_unknown_property_is_refused() -> None:
    with pytest.raises(ValueError, match=r"translator 'odd' declares unknown properties \['colour'\]"):
        ConversionGraph([Edge("a", "b", "odd", frozenset({"unitary", "colour"}))])


def test_route_preserves_and_lost_are_the_intersection_along_the_route() -> None:
    graph = ConversionGraph([
        lossy("a", "b", "barriers"),
        lossy("b", "c", "registers", "barriers"),
        lossy("c", "d", "global_phase"),
    ])
    route = graph.route("a", "d")
    assert route.lost == frozenset({"barriers", "registers", "global_phase"})
    assert route.preserves == ALL - route.lost
    assert route.preserves == frozenset({"unitary", "parameters", "measurements", "conditionals",
                                         "mid_circuit_measurement", "resets", "qubit_identity", "layout"})


def test_reachable_follows_direction_and_excludes_the_source() -> None:
    graph = ConversionGraph([exact("a", "b"), exact("b", "c"), exact("c", "a"), exact("d", "a"), exact("c", "e")])
    assert graph.reachable("a") == {"b", "c", "e"}
    assert graph.reachable("e") == set()
    assert graph.reachable("d") == {"a", "b", "c", "e"}
    assert graph.reachable("unknown") == set()


def test_formats_and_edges_list_what_was_added() -> None:
    edges = [exact("a", "b"), lossy("b", "c", "barriers")]
    graph = ConversionGraph(edges)
    assert graph.formats == frozenset({"a", "b", "c"})
    assert graph.edges() == edges


def test_routes_found_before_an_edge_is_added_are_found_again_after_it() -> None:
    # routes are remembered; adding a translator must change the answers it changes
    graph = ConversionGraph([exact("a", "b", cost=5.0, name="slow"), lossy("a", "c", "global_phase")])
    assert hops(graph.route("a", "b")) == ["slow"]
    with pytest.raises(NoRouteError):
        graph.route("a", "c", require={"global_phase"})
    graph.add(exact("a", "b", cost=1.0, name="fast"))
    graph.add(exact("b", "c"))
    assert hops(graph.route("a", "b")) == ["fast"]
    assert hops(graph.route("a", "c", require={"global_phase"})) == ["fast", "b->c"]
    with pytest.raises(NoRouteError):  # a refusal is remembered too, and raised afresh each time
        graph.route("c", "a")
    with pytest.raises(NoRouteError):
        graph.route("c", "a")
