"""The Perceval emulators against physics: permanents, Hong-Ou-Mandel interference, source noise.

**Hong-Ou-Mandel and Perceval's indistinguishability.** Two single photons enter a balanced beam
splitter ``U``, one per port. If they are identical, the amplitude of one photon per output port is
``perm(U) = u00 u11 + u01 u10 = t^2 - r^2 = 0``: no coincidences. If they are orthogonal (fully
distinguishable) they do not interfere and each is transmitted or reflected on its own:
``P(coincidence) = t^4 + r^4 = 1/2``. Perceval's source (Pont et al., PRX 12, 031033) puts each
photon, independently, in a common wave packet with probability ``sqrt(M)`` and in a packet of its
own otherwise, ``M`` being its ``indistinguishability``; both photons share the packet with
probability ``sqrt(M)^2 = M``. Hence

    P(coincidence) = (1 - M) / 2,    visibility V = 1 - P(coincidence) / P_distinguishable = M,

independently of the brightness (both photons must be there to be counted: post-select two).
"""

from __future__ import annotations

import math

import numpy as np
import perceval as pcvl
import pytest
from qhpc import Integrator
from qhpc.errors import JobFailedError, JobRejectedError, QhpcError
from qhpc.interfaces import CancelToken
from qhpc.noise import NoiseModel
from qhpc_interop import Circuit
from qhpc_interop.photonic import PhotonicProgram
from qhpc_perceval.backends import MAX_MODES, PercevalBackend, fock_states, fock_states_at, num_states

from ._optics import amplitude, fock_space, key, within_binomial

METHODS = ["slos", "naive"]


@pytest.fixture(scope="module")
def integrator() -> Integrator:
    with Integrator() as it:
        yield it


def _random_unitary(k: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(k, k)) + 1j * rng.normal(size=(k, k))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))  # type: ignore[no-any-return]


def _noise(**photonic: float) -> NoiseModel:
    return NoiseModel(photonic=dict(photonic))


def hom(*, select_pairs: bool = False) -> PhotonicProgram:
    program = PhotonicProgram(2, [1, 1], name="hom").bs(0)
    return program.postselect([0, 1], "==", 2) if select_pairs else program


# -- exact distributions against permanents ----------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_output_probabilities_are_the_permanents(method: str) -> None:
    rng = np.random.default_rng(7)
    u = _random_unitary(5, rng)
    program = PhotonicProgram(5, [1, 1, 0, 1, 0]).add_unitary(0, u).ps(2, 0.4).bs(3, 1.2, convention="H")
    total = program.unitary()
    expected = {key(s): abs(amplitude(total, program.input_state, s)) ** 2 for s in fock_space(5, 3)}
    got = PercevalBackend(method).distribution(program)
    assert got.success_probability == pytest.approx(1.0, abs=1e-12)
    assert got.as_dict() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_heralds_and_post_selection_condition_the_distribution(method: str) -> None:
    rng = np.random.default_rng(11)
    program = PhotonicProgram(5, [1, 0, 1, 0, 1]).add_unitary(0, _random_unitary(5, rng))
    program.herald(4, 1).postselect([0, 1], "==", 1)
    total = program.unitary()
    joint = {s: abs(amplitude(total, program.input_state, s)) ** 2 for s in fock_space(5, 3)}
    accepted = {key(s): p for s, p in joint.items() if s[4] == 1 and s[0] + s[1] == 1}
    success = sum(accepted.values())
    got = PercevalBackend(method).distribution(program)
    assert got.success_probability == pytest.approx(success, abs=1e-12)
    assert got.as_dict() == pytest.approx({k: p / success for k, p in accepted.items()}, abs=1e-12)


def test_fock_state_order_is_perceval_s() -> None:
    for modes, photons in [(1, 4), (4, 0), (3, 3), (6, 3)]:
        theirs = [tuple(s) for s in pcvl.allstate_iterator(pcvl.BasicState([photons] + [0] * (modes - 1)))]
        table = fock_states(modes, photons)
        assert [tuple(int(v) for v in row) for row in table] == theirs
        assert len(theirs) == num_states(modes, photons)
        picks = np.array([0, len(theirs) - 1, len(theirs) // 2])
        np.testing.assert_array_equal(fock_states_at(picks, modes, photons), table[picks])


# -- Hong-Ou-Mandel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_hom_identical_photons_never_coincide(method: str) -> None:
    got = PercevalBackend(method).distribution(hom()).as_dict()
    assert got.get("|1,1>", 0.0) < 1e-15
    assert got["|2,0>"] == pytest.approx(0.5, abs=1e-15) and got["|0,2>"] == pytest.approx(0.5, abs=1e-15)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("m", [0.0, 0.25, 0.5, 0.81, 1.0])
def test_hom_coincidences_follow_indistinguishability(method: str, m: float) -> None:
    """P(coincidence) = (1 - M)/2: 1/2 for distinguishable photons, 0 for identical ones (V = M)."""
    got = PercevalBackend(method).distribution(hom(select_pairs=True), _noise(indistinguishability=m))
    p_coincidence = got.as_dict().get("|1,1>", 0.0)
    assert p_coincidence == pytest.approx((1 - m) / 2, abs=1e-9)
    visibility = 1 - p_coincidence / 0.5
    assert visibility == pytest.approx(m, abs=1e-9)


def test_hom_visibility_does_not_depend_on_brightness_which_sets_the_pair_rate() -> None:
    """Each photon is emitted with probability b: a pair with b^2; the pairs still show V = M."""
    got = PercevalBackend("slos").distribution(hom(select_pairs=True), _noise(brightness=0.6, indistinguishability=0.7))
    assert got.success_probability == pytest.approx(0.36, abs=1e-9)
    assert got.as_dict()["|1,1>"] == pytest.approx(0.15, abs=1e-9)


def test_hom_dip_through_the_integrator(integrator: Integrator) -> None:
    shots = 4000
    for m in (0.0, 0.5, 1.0):
        result = integrator.run(hom(), backend="perceval.slos", shots=shots, seed=5,
                                noise=_noise(indistinguishability=m))
        coincidences = result.counts.get("|1,1>", 0)
        assert within_binomial(coincidences, shots, (1 - m) / 2), (m, result.counts)
        assert set(result.counts) <= {"|1,1>", "|2,0>", "|0,2>"}
    perfect = integrator.run(hom(), backend="perceval.naive", shots=shots, seed=5)
    assert "|1,1>" not in perfect.counts and within_binomial(perfect.counts["|2,0>"], shots, 0.5)


# -- source and circuit noise --------------------------------------------------------------------------


def test_transmittance_and_brightness_lose_photons() -> None:
    program = PhotonicProgram(2, [1, 0]).bs(0)
    got = PercevalBackend("slos").distribution(program, _noise(transmittance=0.7, brightness=0.8)).as_dict()
    assert got["|0,0>"] == pytest.approx(1 - 0.7 * 0.8, abs=1e-9)
    assert got["|1,0>"] == pytest.approx(0.28, abs=1e-9) and got["|0,1>"] == pytest.approx(0.28, abs=1e-9)


def test_phase_imprecision_rounds_each_phase_to_its_grid() -> None:
    """A Mach-Zehnder with PS(0.3): sin^2(0.3/2) exits the top; on a 0.25 rad grid the phase is 0.25."""
    mzi = PhotonicProgram(2, [1, 0]).bs(0).ps(0, 0.3).bs(0)
    exact = PercevalBackend("slos").distribution(mzi).as_dict()
    assert exact["|1,0>"] == pytest.approx(math.sin(0.15) ** 2, abs=1e-12)
    rounded = PercevalBackend("slos").distribution(mzi, _noise(phase_imprecision=0.25)).as_dict()
    assert rounded["|1,0>"] == pytest.approx(math.sin(0.125) ** 2, abs=1e-12)


def test_phase_errors_are_drawn_with_the_run_seed() -> None:
    mzi = PhotonicProgram(2, [1, 0]).bs(0).ps(0, 1.0).bs(0)
    backend = PercevalBackend("slos")
    draws = [backend.distribution(mzi, _noise(phase_error=0.2), seed=s).as_dict()["|1,0>"] for s in (1, 1, 2)]
    assert draws[0] == draws[1] != draws[2]
    for p in draws:  # the phase moved by at most 0.2
        assert math.sin(0.4) ** 2 - 1e-12 <= p <= math.sin(0.6) ** 2 + 1e-12


def test_multi_photon_emission_adds_photons_the_kind_accepts(integrator: Integrator) -> None:
    program = PhotonicProgram(2, [1, 0]).bs(0)
    result = integrator.run(program, backend="perceval.slos", shots=3000, seed=2, noise=_noise(g2=0.2))
    photons = {k: sum(map(int, k[1:-1].split(","))) for k in result.counts}
    assert max(photons.values()) == 2 and min(photons.values()) >= 1


def test_noise_that_concerns_qubits_is_refused_not_ignored(integrator: Integrator) -> None:
    model = NoiseModel.from_dict({"format": "qhpc.noise", "version": 1, "readout": {"0": {"p01": 0.1, "p10": 0.1}},
                                  "photonic": {"brightness": 0.9}})
    # refused at submit (Backend.noise_reasons); the job was accepted and failed when it ran
    with pytest.raises(JobRejectedError, match=r"perceval.slos cannot run .*applies only the photonic section of a "
                                               r"noise model .* also has readout"):
        integrator.submit(hom(), backend="perceval.slos", shots=10, seed=1, noise=model)
    with pytest.raises(JobRejectedError, match=r"phase_error=4.0 exceeds pi"):
        integrator.submit(hom(), backend="perceval.slos", shots=10, seed=1, noise=_noise(phase_error=4.0))


def test_a_noiseless_model_gives_the_noiseless_distribution() -> None:
    rng = np.random.default_rng(4)
    program = PhotonicProgram(4, [1, 1, 1, 0]).add_unitary(0, _random_unitary(4, rng)).postselect([0, 1], ">=", 1)
    backend = PercevalBackend("slos")
    plain, noisy = backend.distribution(program), backend.distribution(program, _noise(brightness=1.0))
    assert noisy.as_dict() == pytest.approx(plain.as_dict(), abs=1e-12)
    assert noisy.success_probability == pytest.approx(plain.success_probability, abs=1e-12)


def test_the_noisy_source_is_kept_to_the_run_s_precision(integrator: Integrator) -> None:
    """Without post-selection every event is accepted (success probability 1); the source terms
    left out below the precision are all that is missing, and the option sets how many."""
    rng = np.random.default_rng(1)
    program = PhotonicProgram(4, [1, 1, 1, 0]).add_unitary(0, _random_unitary(4, rng))
    noise = _noise(g2=0.02, brightness=0.8, indistinguishability=0.9)
    backend = PercevalBackend("slos")
    fine, default, coarse = (backend.distribution(program, noise, seed=1, precision=p) for p in (1e-12, 1e-6, 1e-2))
    assert fine.success_probability == pytest.approx(1.0, abs=1e-9)
    assert 1 - coarse.success_probability > 1 - default.success_probability > 1 - fine.success_probability

    def distance(a: dict[str, float], b: dict[str, float]) -> float:
        return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))

    assert distance(default.as_dict(), fine.as_dict()) < 1e-4 < 1e-3 < distance(coarse.as_dict(), fine.as_dict())
    run = integrator.run(program, backend="perceval.slos", shots=100, seed=1, noise=noise, options={"precision": 1e-2})
    assert run.metadata["success_probability"] == pytest.approx(coarse.success_probability, rel=1e-12)
    for bad in ({"precision": 0}, {"precision": "high"}, {"precison": 1e-3}):
        job = integrator.submit(program, backend="perceval.slos", shots=10, seed=1, noise=noise, options=bad)
        with pytest.raises(QhpcError, match=r"precision") as caught:
            job.result(60)
        assert "\n" not in str(caught.value)


# -- seeds, memory, limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_a_seed_reproduces_the_run_and_memory_matches_counts(method: str) -> None:
    rng = np.random.default_rng(9)
    program = PhotonicProgram(4, [1, 0, 1, 0]).add_unitary(0, _random_unitary(4, rng))
    backend = PercevalBackend(method)
    runs = [backend.run(program, shots=500, seed=s, memory=True, options={}, cancel=CancelToken()) for s in (3, 3, 4)]
    assert runs[0].counts == runs[1].counts and runs[0].memory == runs[1].memory
    assert runs[0].memory != runs[2].memory
    for run in runs:
        assert run.memory is not None and len(run.memory) == 500
        assert {k: run.memory.count(k) for k in set(run.memory)} == run.counts


def test_without_a_seed_the_drawn_seed_is_reported_and_reproduces(integrator: Integrator) -> None:
    first = integrator.run(hom(), backend="perceval.slos", shots=200)
    again = integrator.run(hom(), backend="perceval.slos", shots=200, seed=first.seed)
    assert first.seed is not None and first.counts == again.counts


def test_the_mode_limit_is_exqalibur_s(integrator: Integrator) -> None:
    assert pcvl.BasicState([0] * MAX_MODES).m == MAX_MODES
    with pytest.raises(RuntimeError, match="capped"):
        pcvl.BasicState([0] * (MAX_MODES + 1))
    with pytest.raises(JobRejectedError, match=r"the program needs 257 modes but perceval.slos holds at most 256"):
        integrator.submit(PhotonicProgram(257, [1] + [0] * 256), backend="perceval.slos")


def test_too_many_photons_are_refused_before_running(integrator: Integrator) -> None:
    program = PhotonicProgram(60, [1] * 30 + [0] * 30)
    with pytest.raises(JobRejectedError, match=r"30 photons in 60 modes have [\d,]+ output states"):
        integrator.submit(program, backend="perceval.slos")


def test_a_program_nothing_passes_fails_saying_so(integrator: Integrator) -> None:
    program = PhotonicProgram(2, [1, 0]).bs(0).postselect([0, 1], "==", 2)
    with pytest.raises(JobFailedError, match=r"no outcome .* passes its heralds and post-selection \(\[0,1\]==2\)"):
        integrator.run(program, backend="perceval.slos", shots=10, seed=1, timeout=60)


@pytest.mark.slow
def test_auto_runs_photonic_programs_here_but_never_gate_circuits(integrator: Integrator) -> None:
    assert integrator.run(hom(), shots=10, seed=1).backend in {"perceval.slos", "perceval.naive"}
    bell = Circuit(2, 2).h(0).cx(0, 1).measure([0, 1], [0, 1])
    assert PercevalBackend("slos").estimate_seconds(bell, 100) == math.inf
    assert not integrator.run(bell, shots=10, seed=1).backend.startswith("perceval")


def test_the_estimate_follows_the_state_count() -> None:
    backend = PercevalBackend("slos")
    small = backend.estimate_seconds(PhotonicProgram(4, [1, 1, 0, 0]).bs(0), 1000)
    large = backend.estimate_seconds(PhotonicProgram(16, [1] * 8 + [0] * 8).bs(0), 1000)
    assert 0 < small < 0.05 and 0.1 < large < 10  # 10 vs 490,314 output states (measured: ~1 ms and ~1 s)


def test_keys_are_written_as_the_model_writes_them() -> None:
    from qhpc_interop.photonic import fock_key, parse_fock_key
    from qhpc_perceval.backends import fock_keys

    rng = np.random.default_rng(3)
    for table in (rng.integers(0, 10, size=(50, 7)), rng.integers(0, 40, size=(20, 3)), np.zeros((4, 1), dtype=np.uint8)):
        keys = fock_keys(table)
        assert keys == [fock_key(row) for row in table]
        assert [parse_fock_key(k) for k in keys] == [tuple(int(v) for v in row) for row in table]
    assert fock_keys(np.zeros((0, 3), dtype=np.int64)) == []
