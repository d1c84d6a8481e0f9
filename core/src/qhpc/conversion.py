"""Conversion between program formats: detection, routing through the conversion graph, and the
guarantee that no conversion silently drops something the program uses.

Every conversion reads its input into the program model (``qhpc.circuit``, the hub of the graph),
which checks it, finds what the program uses (:func:`qhpc_interop.features.features_used`), and
writes it out along the cheapest route that keeps all of that. When no route keeps a feature:

* a feature that changes what the program computes (global phase, parameters, measurements,
  mid-circuit measurement, conditionals, resets) is a :class:`~qhpc.errors.TranslationError`
  naming the feature, where the program uses it, and what to do: accept the loss of a global
  phase (``allow_loss={"global_phase"}``, ``qhpc convert --allow-loss global_phase``), bind free
  parameters first; the other features cannot be left out (``allow_loss`` refuses them);
* an annotation (barriers, register names, qubit identities) is dropped.

Whatever is dropped (an annotation, or a feature the caller allowed to lose) is announced with a
:class:`ConversionLossWarning` naming it and where the program used it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qhpc_interop import Circuit, InteropError
from qhpc_interop.bulk import gc_paused
from qhpc_interop.errors import ConversionLossWarning, warn_loss
from qhpc_interop.features import features_used
from qhpc_interop.graph import ANNOTATIONS, DROPPABLE, PROPERTIES, ConversionGraph, Edge, Route
from qhpc_interop.ir import Measure

from .errors import ProgramError, QhpcError, TranslationError
from .interfaces import MODEL_FORMAT, ProgramFormat, Translator

__all__ = ["ConversionLossWarning", "Converter"]

#: What a program whose expressions or definitions nest past Python's recursion limit is told.
_TOO_DEEP = ("the program nests too deeply to convert (an expression or a definition nested past about "
             "300 levels: Python's recursion limit); write it flatter, e.g. a long sum as several parameters")


class Converter:
    """The formats and translators the plugins provide, as a routed conversion graph."""

    def __init__(self, formats: Mapping[str, ProgramFormat], translators: Iterable[Translator], *,
                 hubs: Mapping[str, str] | None = None) -> None:
        self.formats = dict(formats)
        #: program kind -> its hub format (``gate`` -> ``qhpc.circuit``)
        self.hubs = dict(hubs or {"gate": MODEL_FORMAT})
        self.translators = list(translators)
        self.graph = ConversionGraph()
        self._by_edge: dict[tuple[str, str, str], Translator] = {}
        for t in self.translators:
            self.graph.add(Edge(t.source, t.target, t.name, frozenset(t.preserves), t.cost))
            self._by_edge[(t.source, t.target, t.name)] = t

    def detect_format(self, program: object) -> str:
        """The name of the format an in-memory program is in."""
        if isinstance(program, Circuit):
            return MODEL_FORMAT
        for name, fmt in self.formats.items():
            try:
                if fmt.detect(program):
                    return name
            except Exception:  # a format's detect must never take the pipeline down
                continue
        kinds = ", ".join(sorted(self.formats)) or "none"
        kind = type(program)
        module = kind.__module__ if kind.__module__ not in (None, "builtins") else ""
        shown = f"{module}.{kind.__qualname__}".lstrip(".")
        if isinstance(program, str | bytes):  # text no format claims: what each expects to see
            raise ProgramError(
                f"qhpc does not recognise this {shown} as a program ({len(program)} characters, starting "
                f"{program[:40]!r}): OpenQASM text starts with its 'OPENQASM 2.0;' or 'OPENQASM 3.0;' header, "
                f"a qhpc.json document is a JSON object; installed formats: {kinds}"
            )
        raise ProgramError(
            f"qhpc does not know how to read a {shown}; installed formats: {kinds} (is the plugin for its "
            f"framework installed? a circuit is read, not one of its gates)"
        )

    def route(self, source: str, target: str, *, require: Iterable[str] = ()) -> Route:
        try:
            return self.graph.route(source, target, require=require)
        except InteropError as exc:
            raise TranslationError(str(exc)) from None

    def follow(self, program: object, route: Route, dropped: set[str] | None = None,
               details: dict[str, str] | None = None) -> Any:
        """Apply the translators of ``route`` to ``program`` in turn (adding to ``dropped`` what
        each step loses of the program it converts, and to ``details`` what it says of a partial loss)."""
        current: Any = program
        for edge in route.edges:
            translator = self._by_edge[(edge.source, edge.target, edge.name)]
            out_of_memory = False
            try:
                if dropped is not None:
                    lost = frozenset(translator.drops(current))
                    dropped.update(lost)
                    if details is not None and lost:
                        details.update(translator.loss_details(current, lost))
                with gc_paused():
                    current = translator.convert(current)
            except (QhpcError, InteropError):
                raise
            except RecursionError:
                raise TranslationError(f"translator {translator.name} ({edge.source} -> {edge.target}): "
                                       f"{_TOO_DEEP}") from None
            except MemoryError:
                out_of_memory = True  # (said below, once the error and the frames it holds are let go)
            except Exception as exc:
                fmt = self.formats.get(edge.source)
                if current is program and fmt is not None and not _claims(fmt, program):
                    # named as source= says, but not a program of that format (a file's bytes for a
                    # QuantumCircuit): said as such, not as the translator's crash
                    raise TranslationError(
                        f"the program is a {type(program).__module__}.{type(program).__qualname__}, which is not "
                        f"a {edge.source} program ({fmt.description or edge.source}): reading it as one failed with "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                raise TranslationError(
                    f"translator {translator.name} ({edge.source} -> {edge.target}) failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            if out_of_memory:
                raise TranslationError(f"translator {translator.name} ({edge.source} -> {edge.target}) ran out of "
                                       "memory: the program is too large to convert in this process")
        return current

    def to_model(self, program: object, *, source: str | None = None) -> tuple[Any, Route]:
        """The program in the model of its kind (the hub of its format's kind), and the route taken."""
        source = source or self.detect_format(program)
        kind = getattr(self.formats.get(source), "kind", "gate")
        hub = self.hubs.get(kind)
        if hub is None:
            raise TranslationError(f"format {source} holds {kind} programs, and no installed plugin provides that kind")
        route = self.route(source, hub)
        model = self.follow(program, route)
        return (model.copy() if model is program and hasattr(model, "copy") else model), route

    def to_circuit(self, program: object, *, source: str | None = None) -> tuple[Circuit, Route]:
        """The program in the model, and the route it took (``source`` names its format if known)."""
        source = source or self.detect_format(program)
        route = self.route(source, MODEL_FORMAT)
        circuit = self.follow(program, route)
        if not isinstance(circuit, Circuit):
            raise TranslationError(f"route {route} did not produce a qhpc circuit")
        if circuit is program:
            # the caller's own object: later edits to it must not reach queued jobs or caches
            circuit = circuit.copy()
        return circuit, route

    def for_running(self, circuit: Circuit, source: str) -> Circuit:
        """``circuit`` (read from format ``source``) as that format's SDK runs it: where the format
        samples every qubit of a circuit that measures nothing (:attr:`ProgramFormat.samples_all_qubits`),
        a copy that measures qubit ``k`` into clbit ``k`` at the end (adding clbits up to one per
        qubit); otherwise ``circuit`` itself."""
        fmt = self.formats.get(source)
        if (not getattr(fmt, "samples_all_qubits", False) or not circuit.num_qubits
                or any(isinstance(inst.operation, Measure) for inst in circuit.instructions)):
            return circuit
        out = circuit.copy()
        out.num_clbits = max(out.num_clbits, out.num_qubits)
        every = list(range(out.num_qubits))
        return out.measure(every, every)

    def convert(self, program: object, to: str, *, source: str | None = None,
                allow_loss: Iterable[str] = ()) -> tuple[Any, Route]:
        """``program`` in format ``to``, and the whole route it took (see the module docstring)."""
        # The cyclic collector waits for the whole conversion, not just each step: the program
        # model in the middle is freed (by reference counting) before the collector comes back, so
        # its next pass walks only what the conversion returns, not the model too (a 55,000-gate
        # circuit's model is several hundred thousand objects, and a pass over them cost as much
        # as writing the target).
        with gc_paused():
            try:
                return self._convert(program, to, source=source, allow_loss=allow_loss)
            except RecursionError:  # outside a translator: the scan of what the program uses
                raise TranslationError(_TOO_DEEP) from None

    def _convert(self, program: object, to: str, *, source: str | None,
                 allow_loss: Iterable[str]) -> tuple[Any, Route]:
        if not isinstance(to, str):
            raise TranslationError(f"the target format is a format name (a string, see `qhpc formats`), "
                                   f"not {type(to).__name__} {to!r}")
        if source is not None and not isinstance(source, str):
            raise TranslationError(f"source is a format name (a string, see `qhpc formats`), not "
                                   f"{type(source).__name__} {source!r}")
        allowed = _feature_names(allow_loss)
        if source is not None:
            self._check_source(program, source)
        source = source or self.detect_format(program)
        kind = getattr(self.formats.get(source), "kind", "gate")
        if to in self.formats and (to_kind := getattr(self.formats[to], "kind", "gate")) != kind:
            raise TranslationError(
                f"{source} holds {kind} programs and {to} holds {to_kind} programs: conversion stays within a "
                f"kind; {_a(kind)} program reaches {_a(to_kind)} backend only through a compiler when it runs")
        if kind != "gate":  # the other kinds have no optional features to lose: one route through their hub
            model, inbound = self.to_model(program, source=source)
            if to == inbound.target:
                return model, inbound
            outbound = self.route(inbound.target, to)
            return self.follow(model, outbound), Route(inbound.source, to, inbound.edges + outbound.edges)
        circuit, inbound = self.to_circuit(program, source=source)
        if to == MODEL_FORMAT:
            return circuit, inbound
        # The scan for what the program uses asks first only about what the cheapest route to the
        # target could lose (nothing, into Qiskit or the wire format); only where the program uses
        # one of those does the whole scan choose the route.
        try:
            outbound = self.graph.route(MODEL_FORMAT, to)
        except InteropError as exc:
            raise TranslationError(str(exc)) from None
        used = features_used(circuit, only=PROPERTIES - outbound.preserves)
        if set(used) - allowed:
            # a wide matrix gate's phase (its decomposition's) matters only on a route that loses
            # phases: asked of the whole scan only where the cheapest route does, else once the
            # route is chosen and only if it does
            wide = "global_phase" not in outbound.preserves
            used = features_used(circuit, wide_matrices=wide)
            while True:
                keep = set(used) - allowed
                try:
                    outbound = self.graph.route(MODEL_FORMAT, to, require=keep)
                except InteropError:
                    outbound = self._best_effort(to, used, keep)
                if wide or "global_phase" in outbound.preserves or "global_phase" in used:
                    break
                wide = True
                phase = features_used(circuit, only=("global_phase",))
                if not phase:
                    break
                used.update(phase)
        losses: set[str] = set()
        details: dict[str, str] = {}
        result = self.follow(circuit, outbound, losses, details)
        dropped = sorted(set(used) & losses)
        if dropped:
            warn_loss(f"converting to {to} drops {'; '.join(f'{f} ({details.get(f) or used[f]})' for f in dropped)}"
                      + (" as allowed" if set(dropped) <= allowed else ""))
        return result, Route(inbound.source, to, inbound.edges + outbound.edges)

    def _check_source(self, program: object, source: str) -> None:
        """A program that another format claims, named as ``source``: said plainly, not as the
        translator's failure. (Text no format claims, such as OpenQASM 3 without a header, is
        read as ``source`` says.)"""
        fmt = self.formats.get(source)
        if fmt is None:
            return
        try:
            if fmt.detect(program):
                return
            actual = self.detect_format(program)
        except Exception:
            return
        if actual != source:
            raise TranslationError(f"source={source!r}, but the program is a {type(program).__module__}."
                                   f"{type(program).__qualname__}, which is the {actual} format")

    def _best_effort(self, to: str, used: Mapping[str, str], keep: set[str]) -> Route:
        """A route that drops only annotations (with a warning), or the error naming what it would drop."""
        semantic = keep - ANNOTATIONS
        try:
            route = self.graph.route(MODEL_FORMAT, to, require=semantic)
        except InteropError:
            route = None
        if route is None:
            try:
                closest = self.graph.route(MODEL_FORMAT, to)
            except InteropError as exc:
                raise TranslationError(str(exc)) from None
            lost = sorted(semantic - closest.preserves) or sorted(semantic)
            details = "; ".join(f"{feature} ({used[feature]})" for feature in lost)
            fixed = [f for f in lost if f not in DROPPABLE]
            if fixed:
                how = "; ".join(_KEEP_HINTS.get(f, f"no route to {to} can leave out {f}") for f in fixed)
                raise TranslationError(f"{to} cannot hold what this program uses: {details}. No translator route "
                                       f"keeps {'it' if len(lost) == 1 else 'them'}: {how}")
            raise TranslationError(
                f"{to} cannot hold what this program uses: {details}. No translator route keeps "
                f"{'it' if len(lost) == 1 else 'them'}; to convert anyway, accept the loss with "
                f"allow_loss={{{', '.join(repr(f) for f in lost)}}} (qhpc convert --allow-loss {','.join(lost)})"
            )
        return route


def _claims(fmt: Any, program: object) -> bool:
    try:
        return bool(fmt.detect(program))
    except Exception:  # a format's detect must never take the pipeline down
        return False


#: What to do about a feature a target cannot hold and a conversion cannot leave out
_KEEP_HINTS = {
    "parameters": "bind the free parameters to numbers first (Qiskit's assign_parameters, Cirq's "
                  "resolve_parameters, myQLM's bind_variables), or convert to a format that holds them",
}


def _feature_names(allow_loss: object) -> frozenset[str]:
    """The features ``allow_loss`` names: a collection of names or one string (``"a,b"`` too)."""
    if allow_loss is None:
        return frozenset()
    if isinstance(allow_loss, str):
        names: list[object] = [f.strip() for f in allow_loss.split(",") if f.strip()]
    elif isinstance(allow_loss, Mapping):
        raise TranslationError(f"allow_loss names features (a collection of strings, or one string), not a "
                               f"mapping {allow_loss!r}")
    else:
        try:
            names = list(allow_loss)  # type: ignore[call-overload]
        except TypeError:
            raise TranslationError(f"allow_loss names features (a collection of strings, or one string), not "
                                   f"{type(allow_loss).__name__} {allow_loss!r}") from None
    odd = [n for n in names if not isinstance(n, str)]
    if odd:
        raise TranslationError(f"allow_loss names features by strings, not {odd[0]!r}")
    allowed = frozenset(str(n) for n in names)
    unknown = allowed - PROPERTIES
    if unknown:
        raise TranslationError(f"unknown feature(s) {', '.join(sorted(unknown))} in allow_loss; "
                               f"the features are {', '.join(sorted(PROPERTIES))}")
    fixed = allowed - DROPPABLE
    if fixed:
        raise TranslationError(
            f"allow_loss cannot name {', '.join(sorted(fixed))}: a conversion can leave out only "
            f"{', '.join(sorted(DROPPABLE))}; the others change what the program computes"
            + ("" if "parameters" not in fixed else f" ({_KEEP_HINTS['parameters']})"))
    return allowed


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
