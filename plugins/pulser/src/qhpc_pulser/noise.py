"""A qhpc :class:`~qhpc.noise.NoiseModel` as Pulser's noise parameters, all of it or a refusal.

==============================================  ===============================================================
qhpc model                                      Pulser ``NoiseModel``
==============================================  ===============================================================
``analog.state_prep_error``                     ``state_prep_error`` (an atom missing from its trap: untouched
                                                by the lasers, it reads ``0``)
``analog.p_false_pos`` / ``p_false_neg``        ``p_false_pos`` (0 read as 1) / ``p_false_neg`` (1 read as 0)
``readout`` (``p01``, ``p10`` per atom)         the same two, when every atom of the program has the same
                                                values (Pulser has one pair for all atoms)
``analog.dephasing_rate`` (1/µs)                ``dephasing_rate`` (Rydberg coherence) when the program
                                                addresses the ground-rydberg basis, ``hyperfine_dephasing_rate``
                                                when it addresses the digital basis (both when both)
``analog.relaxation_rate`` (1/µs)               ``relaxation_rate`` (Rydberg -> ground decay)
``relaxation`` (T1, T2 per atom, seconds)       ``relaxation_rate = 1/T1``, ``dephasing_rate = 1/T2 - 1/(2 T1)``
                                                (Pulser's collapse operators sqrt(Γ)|g><r| and sqrt(2γ)|r><r|
                                                give T1 = 1/Γ and 1/T2 = Γ/2 + γ), for programs in the
                                                ground-rydberg basis only, the same T1/T2 on every atom
``analog.depolarizing_rate`` (1/µs)             ``depolarizing_rate``
``analog.amp_sigma``                            ``amp_sigma`` (relative shot-to-shot laser amplitude spread)
``analog.detuning_sigma`` (rad/µs)              ``detuning_sigma`` (shot-to-shot detuning offset)
``analog.temperature`` (µK)                     ``temperature`` (Doppler detuning of moving atoms)
==============================================  ===============================================================

Refused, with the reason (never silently dropped): gate noise, gate durations, ZZ crosstalk and
correlated readout (gate-circuit notions; an analog program has no gates and its own timing),
``preparation`` (qhpc's is an atom starting in ``1``; Pulser's preparation error is an atom
missing, so give ``analog.state_prep_error``), ``photonic`` parameters, readout or relaxation
that differs between atoms, a T1 with an excited-state population, relaxation for a program that
never addresses the Rydberg state, and two values of one parameter that disagree (``readout`` and
``analog.p_false_pos``). Entries for atom indices the program does not have concern another
program and are not used.

Runs with shot-to-shot noise (``state_prep_error``, ``amp_sigma``, ``detuning_sigma``,
``temperature``) average ``n_trajectories`` noise realisations (option ``n_trajectories``, default
:data:`DEFAULT_TRAJECTORIES`); collapse operators (dephasing, relaxation, depolarizing) are solved
with the master equation, so a seeded run is reproducible.
"""

from __future__ import annotations

import math
from typing import Any

from qhpc.noise import NoiseModel, NoiseModelError
from qhpc_interop.analog import AnalogProgram

#: Noise realisations averaged when the model has shot-to-shot noise (Pulser's default for device noise).
DEFAULT_TRAJECTORIES = 40
#: Pulser parameters that draw a new value for each noise realisation.
STOCHASTIC = ("state_prep_error", "amp_sigma", "detuning_sigma", "temperature")
#: Pulser parameters that add collapse operators (solved with the master equation).
DISSIPATIVE = ("dephasing_rate", "hyperfine_dephasing_rate", "relaxation_rate", "depolarizing_rate")


def _uniform(values: dict[int, Any], n: int, what: str) -> Any:
    """The one value every atom ``0..n-1`` has in ``values`` (``None``: no atom has one)."""
    mine = {q: v for q, v in values.items() if 0 <= q < n}
    if not mine:
        return None
    distinct = {repr(v) for v in mine.values()}
    if len(mine) != n or len(distinct) > 1:
        missing = sorted(set(range(n)) - set(mine))
        detail = (f"atom {missing[0]} has none" if missing else
                  "; ".join(f"atom {q}: {v}" for q, v in sorted(mine.items())[:3]))
        raise NoiseModelError(f"Pulser applies one {what} to every atom, but the model's differ ({detail})")
    return next(iter(mine.values()))


def _agree(params: dict[str, float], key: str, value: float, source: str) -> None:
    if key in params and not math.isclose(params[key], value, rel_tol=1e-12, abs_tol=1e-15):
        raise NoiseModelError(f"the model gives {key} twice: {params[key]!r} in 'analog' and {value!r} from {source}")
    params[key] = value


def pulser_noise_parameters(model: NoiseModel, program: AnalogProgram) -> dict[str, float]:
    """The keyword arguments of ``pulser.NoiseModel`` for ``model`` on ``program``; raises
    :class:`NoiseModelError` naming any part Pulser cannot apply (see the module docstring)."""
    refused = []
    if model.gate_noise:
        refused.append("gate noise (an analog program has no gates)")
    if model.durations:
        refused.append("gate durations (an analog program has its own timing)")
    if model.zz:
        refused.append("ZZ crosstalk (Rydberg interactions are part of the program's physics)")
    n = program.num_atoms
    if any(all(0 <= q < n for q in c.qubits) for c in model.correlated_readout):
        refused.append("correlated readout (Pulser's readout errors are independent per atom)")
    if any(0 <= q < n and p for q, p in model.preparation.items()):
        refused.append("preparation errors as atoms starting in 1 (Pulser's preparation error is an atom missing "
                       "from its trap: give analog.state_prep_error instead)")
    if any(model.photonic.values()):
        refused.append("photonic noise parameters")
    if refused:
        raise NoiseModelError(f"Pulser cannot apply {'; '.join(refused)}")

    bases = program.bases or {program.measurement_basis}
    params: dict[str, float] = {}
    for key, value in model.analog.items():
        if not value:
            continue
        if key == "dephasing_rate":
            if "ground-rydberg" in bases or "XY" in bases:
                params["dephasing_rate"] = float(value)
            if "digital" in bases:
                params["hyperfine_dephasing_rate"] = float(value)
        else:
            params[key] = float(value)

    readout = _uniform({q: (r.p01, r.p10) for q, r in model.readout.items()}, n, "readout error")
    if readout is not None:
        p01, p10 = readout
        if p01:
            _agree(params, "p_false_pos", float(p01), "readout p01")
        if p10:
            _agree(params, "p_false_neg", float(p10), "readout p10")

    relax = _uniform({q: (r.t1, r.t2, r.excited_population) for q, r in model.relaxation.items()}, n, "T1/T2")
    if relax is not None:
        t1, t2, excited = relax
        if excited:
            raise NoiseModelError("Pulser's relaxation decays to the ground state only: a T1 with an excited-state "
                                  f"population ({excited}) cannot be applied")
        if bases != {"ground-rydberg"}:
            raise NoiseModelError(f"T1/T2 map onto Pulser's Rydberg relaxation and dephasing, but this program "
                                  f"addresses the {', '.join(sorted(bases))} basis")
        gamma = 1e-6 / t1  # 1/µs
        dephasing = 1e-6 / t2 - gamma / 2
        _agree(params, "relaxation_rate", gamma, "relaxation T1")
        if dephasing > 1e-15:
            _agree(params, "dephasing_rate", dephasing, "relaxation T2")

    if params.get("relaxation_rate") and "ground-rydberg" not in bases:
        raise NoiseModelError("relaxation_rate is the Rydberg state's decay, and this program never addresses the "
                              "ground-rydberg basis")
    if params.get("depolarizing_rate") and len(bases) > 1:
        raise NoiseModelError("Pulser's depolarizing noise needs a single basis; this program addresses "
                              f"{', '.join(sorted(bases))}")
    return params


def is_stochastic(params: dict[str, float]) -> bool:
    """Whether the noise draws new values for each realisation (then trajectories are averaged)."""
    return any(params.get(key) for key in STOCHASTIC)


def is_dissipative(params: dict[str, float]) -> bool:
    return any(params.get(key) for key in DISSIPATIVE)
