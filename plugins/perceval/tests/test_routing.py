"""How the integrator routes photonic programs and gate circuits (issue 10, point 1, photonic part).

A photonic program runs only on a photonic backend and is never forced through the gate model; a
gate circuit reaches a photonic backend only through a compiler that declares the two kinds
(``perceval.dual-rail``); when no installed backend runs photonic programs, the error names the
plugin that would. The registries here are real: the installed built-in plugin, and the real
Perceval backends registered without the plugin's compiler.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qhpc import Integrator, hookimpl
from qhpc.errors import JobRejectedError, QhpcError
from qhpc.interfaces import Backend
from qhpc.plugins import PluginRegistry
from qhpc_interop import Circuit
from qhpc_interop.photonic import PhotonicProgram
from qhpc_perceval.backends import PercevalBackend

from ._optics import within_binomial

BELL = Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])


def hom() -> PhotonicProgram:
    return PhotonicProgram(2, [1, 1], name="hom").bs(0)


class BackendsOnly:
    """The Perceval emulators without the plugin's dual-rail compiler."""

    @hookimpl
    def qhpc_backends(self) -> list[Backend]:
        return [PercevalBackend("slos")]


@pytest.fixture(scope="module")
def without_compiler() -> Iterator[Integrator]:
    registry = PluginRegistry.discover(allow={"builtin"})
    registry.add("perceval-backends-only", BackendsOnly())
    with Integrator(registry) as integrator:
        yield integrator


def test_without_a_photonic_backend_the_error_names_qhpc_perceval() -> None:
    with Integrator(PluginRegistry.discover(allow={"builtin"})) as integrator:
        with pytest.raises(JobRejectedError, match=r"no installed emulator runs photonic programs; install "
                                                   r"qhpc-perceval") as caught:
            integrator.run(hom(), shots=10, seed=1)
    assert isinstance(caught.value, QhpcError) and "\n" not in str(caught.value)
    with Integrator(PluginRegistry.discover(allow={"builtin"})) as integrator:
        with pytest.raises(QhpcError, match=r"unknown backend 'perceval.slos'; perceval.\* backends come from "
                                            r"qhpc-perceval; install it"):
            integrator.run(hom(), backend="perceval.slos", shots=10, seed=1)


def test_a_gate_circuit_does_not_reach_a_photonic_backend_without_a_compiler(without_compiler: Integrator) -> None:
    result = without_compiler.run(hom(), shots=2000, seed=1)  # the backend itself works here
    assert result.backend == "perceval.slos" and "|1,1>" not in result.counts
    assert within_binomial(result.counts["|2,0>"], 2000, 0.5)
    with pytest.raises(JobRejectedError, match=r"perceval.slos cannot run this circuit: the backend runs photonic "
                                               r"programs, not gate programs, and no installed compiler translates "
                                               r"gate programs to photonic ones"):
        without_compiler.run(BELL, backend="perceval.slos", shots=10)


def test_with_the_compiler_the_route_names_it_and_auto_keeps_gates_on_gate_backends() -> None:
    with Integrator() as integrator:
        result = integrator.run(BELL, backend="perceval.slos", shots=200, seed=2)
        assert result.metadata["compile"] == {"compiler": "perceval.dual-rail", "from": "gate", "to": "photonic"}
        assert set(result.counts) <= {"00", "11"}
        assert integrator.compiler("perceval.dual-rail").target_kind == "photonic"
        assert integrator.kinds["photonic"].plugins == ("qhpc-perceval",)
        assert not integrator.run(BELL, shots=10, seed=1).backend.startswith("perceval.")


def test_a_photonic_program_is_never_forced_through_the_gate_model() -> None:
    with Integrator() as integrator:
        with pytest.raises(JobRejectedError, match=r"aer.statevector cannot run a 2-mode photonic program with 2 "
                                                   r"photons: the backend runs gate programs, not photonic programs"):
            integrator.run(hom(), backend="aer.statevector", shots=10)


def test_a_gate_circuit_compiled_to_photons_is_checked_before_it_runs() -> None:
    """A backend of another paradigm was checked for a compiler only: a job it cannot run was
    accepted and failed at run time, or ran past the backend's shot limit, and ``auto`` took it
    where no gate emulator fitted (a 64-qubit circuit failed on perceval.slos with 1e52 states)."""
    from qhpc.noise import Depolarizing, GateNoise, NoiseModel
    from qhpc_perceval.backends import MAX_SHOTS

    wide = Circuit(64, 64)
    for q in range(64):
        wide.h(q).t(q)
    for q in range(63):
        wide.cx(q, q + 1)
    wide.measure(list(range(64)), list(range(64)))
    gate_noise = NoiseModel(gate_noise=[GateNoise("h", None, (Depolarizing(0.01, 1),))])
    with Integrator() as integrator:
        with pytest.raises(JobRejectedError, match=r"perceval.slos cannot run this circuit: as perceval.dual-rail "
                                                   r"compiles it: 64 photons in \d+ modes have .* output states"):
            integrator.submit(wide, backend="perceval.slos", shots=10)
        with pytest.raises(JobRejectedError, match=rf"{MAX_SHOTS + 1} shots exceed perceval.slos's limit"):
            integrator.submit(BELL, backend="perceval.slos", shots=MAX_SHOTS + 1)
        with pytest.raises(JobRejectedError, match=r"applies only the photonic section of a noise model.*gate_noise"):
            integrator.submit(BELL, backend="perceval.slos", shots=10, noise=gate_noise)
        with pytest.raises(JobRejectedError, match=r"no gate emulator can run this circuit \(64 qubits\).*name one"):
            integrator.submit(wide, shots=10)
        assert integrator.feasible_backends(BELL)[0] and not any(
            b.name.startswith(("perceval.", "pulser.")) for b in integrator.feasible_backends(BELL)[0])
