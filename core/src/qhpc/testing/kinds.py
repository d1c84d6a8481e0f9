"""The conformance check for backends of the other program kinds (analog, photonic, annealing...).

:func:`check_kind_backend` holds a backend that declares ``paradigm != "gate"`` to the contract of
program kinds (``qhpc.kinds``, ``interfaces.BackendCapabilities.paradigm``): the paradigm is a kind
an installed plugin provides, the kind's JSON form of each sample program round-trips exactly, the
integrator routes the program to the backend without the gate model, the readout passes the kind's
own verification, the counts follow the distribution the vendor states independently (analytic, or
from another simulator), a seed reproduces a run, and a program larger than the capabilities is
refused before it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import JobRejectedError
from ..interfaces import Backend
from .kit import proportion_ok


def check_kind_backend(backend: Backend, cases: Sequence[tuple[Any, Mapping[str, float]]], *,
                       too_big: Any = None, integrator: Any = None, shots: int = 2000, seed: int = 11) -> None:
    """``cases``: (program in any format the kind reads, its expected outcome probabilities keyed as
    the kind writes counts). ``too_big``: a program whose size exceeds the capabilities (refused)."""
    from ..integrator import Integrator

    own = integrator is None
    it = Integrator() if own else integrator
    failures: list[str] = []
    try:
        if backend.name not in it.backends:
            raise AssertionError(f"{backend.name} is not registered by an installed plugin")
        caps = it.capabilities(backend.name)
        kind = it.kinds.get(str(caps.paradigm))
        if kind is None:
            raise AssertionError(f"{backend.name} declares paradigm {str(caps.paradigm)!r}, which no installed kind provides")
        assert caps.kind == backend.kind, f"{backend.name}: class kind {backend.kind!r} but capabilities say {caps.kind!r}"
        for index, (program, expected) in enumerate(cases):
            label = f"case {index}"
            model, route = it.converter.to_model(program)
            if not kind.is_program(model):
                failures.append(f"{label}: read as {type(model).__name__}, not a {kind.name} program")
                continue
            if route.target != kind.hub:
                failures.append(f"{label}: routed to {route.target}, not the kind's hub {kind.hub}")
            again = kind.from_json(kind.to_json(model))
            if kind.fingerprint(again) != kind.fingerprint(model):
                failures.append(f"{label}: the {kind.name} JSON form does not round-trip")
            result = it.run(program, backend=backend.name, shots=shots, seed=seed)
            if result.metadata.get("kind") != kind.name or result.metadata.get("compile", {}).get("compiler"):
                failures.append(f"{label}: ran as {result.metadata.get('kind')!r} through "
                                f"{result.metadata.get('compile')!r}, not as a {kind.name} program")
            if sum(result.counts.values()) != shots:
                failures.append(f"{label}: counts sum to {sum(result.counts.values())}, not {shots}")
            unexpected = sorted(k for k in result.counts if expected.get(k, 0.0) <= 0.0)
            if unexpected:
                failures.append(f"{label}: outcomes of probability 0 observed: {unexpected[:5]}")
            for outcome, p in expected.items():
                if not proportion_ok(result.counts.get(outcome, 0), shots, p):
                    failures.append(f"{label}: {outcome} seen {result.counts.get(outcome, 0)} times in {shots}, "
                                    f"expected probability {p:.4f}")
            repeat = it.run(program, backend=backend.name, shots=shots, seed=seed)
            if repeat.counts != result.counts:
                failures.append(f"{label}: the same seed gave different counts")
        if too_big is not None:
            try:
                it.submit(too_big, backend=backend.name, shots=10, seed=seed)
                failures.append("a program larger than the capabilities was accepted")
            except JobRejectedError as exc:
                if "\n" in str(exc):
                    failures.append(f"the refusal of a too-large program is not one line: {exc!s}")
    finally:
        if own:
            it.close()
    if failures:
        raise AssertionError(f"{backend.name} fails the {caps.paradigm!s} contract:\n  " + "\n  ".join(failures))
