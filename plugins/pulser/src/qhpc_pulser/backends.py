"""Emulator backends on ``pulser_simulation.QutipBackendV2``, one per Pulser device.

Each backend validates a program against its device (:mod:`qhpc_pulser.devices`), builds the
``pulser.Sequence`` on that device (cached by the program's fingerprint), and runs it with
``QutipConfig(observables=[BitStrings(num_shots=shots, one_state=...)])``: counts come from
Pulser's own sampling of the final state. Under a noise model with shot-to-shot noise the run
averages ``n_trajectories`` noise realisations into one mixed state (``StateResult``, averaged by
Pulser) and draws ``shots`` from it with Pulser's ``QutipState.sample`` (false positives and
negatives included), so the counts always sum to ``shots``.

**Seeds.** Pulser draws every random number (bitstring sampling, noise realisations, readout
flips) from numpy's global generator. A run holds a process-wide lock, seeds that generator with
the job's seed, and restores its state afterwards; dissipative noise is solved with the master
equation (QuTiP's Monte-Carlo solver has seeds of its own), so a seeded run is reproducible.
Without a seed one is drawn and reported as ``metadata["seed"]``. Runs of these backends in one
process take turns (the lock); QuTiP is single-threaded, so little is lost.

**Readout.** Pulser writes atom 0 leftmost; the counts here put atom 0 rightmost (see
:mod:`qhpc.kinds.analog`). ``memory`` lists the shots in an order drawn with the seed (Pulser
samples counts, not a sequence; shots are independent, so any order is a faithful record).

**Run time** (:meth:`PulserBackend.estimate_seconds`): ``0.25 s + T x (1.2e-4 s + 4e-8 s x D x
(n + 1))`` for a sequence of ``T`` ns on ``n`` atoms with ``D = levels^n`` amplitudes (``D^2``
under dissipative noise, times the trajectories under shot-to-shot noise), fitted to runs of
1-14 atoms, 0.5-4 µs on the 2-core development VM (``benchmarks/analog.py --estimates`` prints
estimate against measurement).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from qhpc.errors import JobCancelledError, JobFailedError, QhpcError, TranslationError
from qhpc.interfaces import Backend, BackendCapabilities, CancelToken, RunOutput
from qhpc.noise import NoiseModel, NoiseModelError
from qhpc_interop import Circuit
from qhpc_interop.analog import ONE_STATE, AnalogProgram

from . import devices
from .noise import DEFAULT_TRAJECTORIES, is_dissipative, is_stochastic, pulser_noise_parameters

#: Pulser's random numbers come from numpy's global generator: one seeded run at a time.
_RNG_LOCK = threading.Lock()
OPTIONS = frozenset({"n_trajectories"})
CACHE_SIZE = 32


@contextlib.contextmanager
def seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed numpy's global generator with ``seed`` (0 <= seed < 2**64) for the block, then restore it."""
    with _RNG_LOCK:
        saved = np.random.get_state()
        np.random.seed([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF])
        try:
            yield
        finally:
            np.random.set_state(saved)


def levels(program: AnalogProgram) -> int:
    """States per atom in the emulation: 3 when both the ground-rydberg and digital bases are used."""
    return 3 if {"ground-rydberg", "digital"} <= program.bases else 2


class PulserBackend(Backend):
    """The QuTiP emulation of one Pulser device. Thread-safe; built sequences are cached."""

    preferred_compilers = ("pulser.gates-to-pulses",)

    def __init__(self, entry: devices.DeviceFacts) -> None:
        self.entry = entry
        self.name = entry.backend
        self.description = entry.description
        self._capabilities: BackendCapabilities | None = None
        self._lock = threading.Lock()
        self._sequences: OrderedDict[str, Any] = OrderedDict()

    @property
    def capabilities(self) -> BackendCapabilities:
        if self._capabilities is None:
            self._capabilities = devices.capabilities(self.entry)
        return self._capabilities

    @property
    def device(self) -> Any:
        """The Pulser device this backend emulates (imports Pulser)."""
        return devices.device_of(self.entry)

    # -- validation -----------------------------------------------------------------------------
    def noise_reasons(self, program: Any, noise: Any) -> list[str]:
        if not isinstance(program, AnalogProgram):
            return []
        try:
            pulser_noise_parameters(noise, program)
        except NoiseModelError as exc:
            return [str(exc)]
        return []

    def cannot_run(self, circuit: Any) -> list[str]:
        if not isinstance(circuit, AnalogProgram):
            return []  # gate circuits come through the gates-to-pulses compiler
        program = circuit
        device = self.device
        limit = devices.emulation_atom_limit(levels(program))
        errors = devices.validation_errors(program, device, limit=limit)
        if errors or program.free_variables:
            return errors
        try:
            sequence = self.sequence(program)
        except TranslationError as exc:
            return [str(exc)]
        limit_ns = device.max_sequence_duration
        duration = sequence.get_duration(include_fall_time=True)
        if limit_ns is not None and duration > limit_ns:
            errors.append(f"the sequence lasts {duration} ns, beyond {device.name}'s maximum of {limit_ns} ns")
        return errors

    def sequence(self, program: AnalogProgram) -> Any:
        """The built ``pulser.Sequence`` of a bound program on this backend's device (cached)."""
        from .translate import program_to_sequence

        key = program.fingerprint()
        with self._lock:
            hit = self._sequences.get(key)
            if hit is not None:
                self._sequences.move_to_end(key)
                return hit
        built = program_to_sequence(program, self.device)
        with self._lock:
            self._sequences[key] = built
            if len(self._sequences) > CACHE_SIZE:
                self._sequences.popitem(last=False)
        return built

    # -- cost -----------------------------------------------------------------------------------
    def estimate_seconds(self, circuit: Any, shots: int) -> float:
        if isinstance(circuit, Circuit):  # before compilation to pulses: a rough duration per gate
            n = circuit.num_qubits
            ops = circuit.count_ops()
            two = sum(v for k, v in ops.items() if k not in ("measure", "barrier") and k in _TWO_QUBIT)
            one = sum(v for k, v in ops.items() if k not in ("measure", "barrier")) - two
            duration_ns = 300.0 * one + 900.0 * two
            return _seconds(duration_ns, n, 3 if two else 2, 1e-6 * shots)
        program: AnalogProgram = circuit
        key = program.fingerprint()
        with self._lock:
            built = self._sequences.get(key)
        duration = built.get_duration() if built is not None else approximate_duration(program)
        return _seconds(float(duration), program.num_atoms, levels(program), 1e-6 * shots)

    # -- running --------------------------------------------------------------------------------
    def run(self, circuit: Any, *, shots: int, seed: int | None, memory: bool, options: Mapping[str, Any],
            cancel: CancelToken, noise: NoiseModel | None = None) -> RunOutput:
        if not isinstance(circuit, AnalogProgram):
            raise JobFailedError(f"{self.name} runs analog programs; gate circuits reach it through the "
                                 "pulser.gates-to-pulses compiler")
        program = circuit
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise JobFailedError(f"{self.name} has no option {unknown[0]!r} (its options: {', '.join(sorted(OPTIONS))})")
        try:
            params = pulser_noise_parameters(noise, program) if noise is not None else {}
        except NoiseModelError as exc:
            raise JobFailedError(f"the noise model cannot be applied on {self.name}: {exc}") from None
        stochastic = is_stochastic(params)
        trajectories = options.get("n_trajectories")
        if trajectories is not None:
            if isinstance(trajectories, bool) or not isinstance(trajectories, int) or trajectories < 1:
                raise JobFailedError(f"n_trajectories must be a positive whole number, not {trajectories!r}")
            if not stochastic:
                raise JobFailedError("n_trajectories applies to runs with shot-to-shot noise (state_prep_error, "
                                     "amp_sigma, detuning_sigma, temperature), and this run has none")
        ntraj = (trajectories or DEFAULT_TRAJECTORIES) if stochastic else 1
        if program.free_variables:
            raise JobFailedError(f"the program has unbound variable(s) {', '.join(sorted(program.free_variables))}")
        sequence = self.sequence(program)
        if cancel.cancelled:
            raise JobCancelledError("cancelled before the emulation started")
        drawn = seed is None
        seed = secrets.randbits(63) if seed is None else seed
        basis = program.measurement_basis
        counts = self._emulate(sequence, params, shots=shots, seed=seed, one_state=ONE_STATE[basis],
                               trajectories=ntraj, stochastic=stochastic)
        if cancel.cancelled:
            raise JobCancelledError("cancelled during the emulation")
        # Pulser writes atom 0 leftmost; qhpc's counts put it rightmost
        ours = {key[::-1]: int(value) for key, value in counts.items() if value}
        shot_list = None
        if memory:
            shot_list = [key for key, value in sorted(ours.items()) for _ in range(value)]
            np.random.default_rng([seed, 1]).shuffle(shot_list)
        metadata: dict[str, Any] = {"device": self.entry.device, "basis": basis, "one_state": ONE_STATE[basis]}
        if params:
            metadata.update({"pulser_noise": params, "n_trajectories": ntraj,
                             "solver": "MasterEquation" if is_dissipative(params) else "default"})
        if drawn:
            metadata["seed"] = seed
        return RunOutput(counts=ours, memory=shot_list, metadata=metadata)

    def _emulate(self, sequence: Any, params: dict[str, float], *, shots: int, seed: int, one_state: Any,
                 trajectories: int, stochastic: bool) -> dict[str, int]:
        import pulser
        from pulser.backend import BitStrings, StateResult
        from pulser_simulation import QutipBackendV2, QutipConfig

        try:
            noise_model = pulser.NoiseModel(**params)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise JobFailedError(f"Pulser refuses the noise parameters {params}: {exc}") from None
        bitstrings = BitStrings(num_shots=shots, one_state=one_state)
        state = StateResult(evaluation_times=[1.0])
        config = QutipConfig(observables=[state] if stochastic else [bitstrings], noise_model=noise_model,
                             n_trajectories=trajectories, solver="MasterEquation" if is_dissipative(params) else "default")
        try:
            with seeded_global_rng(seed), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                results = QutipBackendV2(sequence, config=config).run()
                if not stochastic:
                    return dict(results.final_bitstrings)
                mixed = results.get_result(state, 1.0)
                return dict(mixed.sample(num_shots=shots, one_state=one_state,
                                         p_false_pos=noise_model.p_false_pos, p_false_neg=noise_model.p_false_neg))
        except (NotImplementedError, ValueError) as exc:
            raise JobFailedError(f"Pulser cannot emulate this sequence with this noise: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._sequences.clear()


_TWO_QUBIT = frozenset({"cx", "cz", "cy", "ch", "cp", "crx", "cry", "crz", "cu", "cu1", "cu3", "swap", "iswap", "rxx",
                        "ryy", "rzz", "rzx", "ecr", "dcx", "cs", "csdg", "csx", "xx_plus_yy", "xx_minus_yy"})


def _seconds(duration_ns: float, atoms: int, levels: int, sampling: float) -> float:
    amplitudes = float(levels) ** atoms
    return 0.25 + duration_ns * (1.2e-4 + 4e-8 * amplitudes * (atoms + 1)) + sampling


def approximate_duration(program: AnalogProgram) -> float:
    """The program's length in ns before Pulser schedules it: the busiest channel's pulses and delays."""
    from qhpc_interop.analog import Pulse, evaluate

    env = program.environment()
    busy: dict[str, float] = {}
    for op in program.operations:
        length: float | None
        try:
            if isinstance(op, Pulse):
                channel = op.channel
                length = op.amplitude.duration(env)
                if length is None:  # *_max waveforms: about area / (0.42 x max), as for a Blackman window
                    peak = max(abs(b) for b in op.amplitude.bounds(env)) or 1.0
                    length = 1e3 * abs(float(evaluate(op.amplitude.params.get("area", 0.0), env))) / (0.42 * peak)
            elif op.op == "delay":
                channel = str(op.params.get("channel"))
                length = float(evaluate(op.params["time"], env))
            else:
                continue
        except (QhpcError, TypeError, ValueError, KeyError):
            continue
        busy[channel] = busy.get(channel, 0.0) + float(length)
    return max(busy.values(), default=0.0)


def pulser_backends() -> list[Backend]:
    return [PulserBackend(entry) for entry in devices.DEVICES]
