"""The photonic kind: linear-optical programs (``qhpc.photonic``, :mod:`qhpc_interop.photonic`).

A program has modes, an input Fock state, linear-optical components, heralds and post-selection
conditions; its size is its number of **modes**. Backends come from ``qhpc-perceval``.

**Counts are keyed by Fock states over all modes**, written ``"|1,0,1,0>"`` (photons per mode,
mode 0 first: Perceval's notation; heralded modes included, reading their heralded count). Only
**accepted** outcomes are counted: a shot is an event that passes the program's heralds and
post-selection, so the counts sum to the shots (Perceval's *samples*). How often an event passes
is the backend's ``success_probability`` (``result.metadata["success_probability"]``; Perceval's
``global_perf``): a photonic QPU front-end discards the other events, an emulator samples from the
exact distribution conditioned on acceptance. A program without heralds or conditions accepts
every event, photon losses included (add a condition such as ``[0,1,2,3]>=2`` to count
coincidences only).

:meth:`PhotonicKind.verify` checks each outcome independently of the backend: a Fock state of the
program's width that passes its heralds and conditions, and a photon number the physics allows -
exactly the input's photon number (linear optics conserves photons) unless the backend reports
the noise it applied in ``metadata["photonic_noise"]`` (Perceval's parameters): then at most the
input's (losses, brightness), or twice it when ``g2 > 0`` (multi-photon emission).
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from qhpc_interop.photonic import FORMAT, PhotonicError, PhotonicProgram, fock_key, parse_fock_key

from ..errors import JobFailedError
from ..interfaces import ProgramFormat, RunOutput
from . import ProgramKind

_DIGITS = frozenset("0123456789,")
#: File name suffix of the ``qhpc.photonic`` JSON form (not ``.json``, which is the circuit wire format's).
EXTENSION = ".qphot"


def photon_bound(program: PhotonicProgram, metadata: Mapping[str, Any]) -> tuple[int, int]:
    """The fewest and most photons an outcome of ``program`` may hold, given the noise the backend
    reports (``metadata["photonic_noise"]``; none: linear optics conserves the photon number)."""
    photons = program.num_photons
    noise = metadata.get("photonic_noise") if isinstance(metadata, Mapping) else None
    if not noise:
        return photons, photons
    g2 = noise.get("g2", 0.0) if isinstance(noise, Mapping) else 0.0
    return 0, photons * (2 if isinstance(g2, (int, float)) and g2 > 0 else 1)


def _occupations(keys: list[Any], modes: int) -> np.ndarray | None:
    """The ``(len(keys), modes)`` table of photon counts the keys write, read all at once (a run
    of 10,000 distinct outcomes in a few milliseconds, a hundred times faster than key by key), or
    ``None`` when a key is not plainly a Fock state of ``modes`` modes (then the caller reads them
    one by one to say which and why)."""
    if set(map(type, keys)) != {str}:
        return None
    width = 2 * modes + 1
    if set(map(len, keys)) == {width}:  # one digit per mode: the keys are a table of characters
        try:
            text = np.frombuffer("".join(keys).encode("ascii"), dtype=np.uint8).reshape(len(keys), width)
        except UnicodeEncodeError:
            return None
        digits = text[:, 1:-1:2]
        if ((text[:, 0] != ord("|")).any() or (text[:, -1] != ord(">")).any() or (text[:, 2:-1:2] != ord(",")).any()
                or (digits < ord("0")).any() or (digits > ord("9")).any()):
            return None
        return digits.astype(np.int64) - ord("0")
    if not all(k[:1] == "|" and k[-1:] == ">" and k.count(",") == modes - 1 for k in keys):
        return None
    body = ",".join(k[1:-1] for k in keys)
    # digits and single commas only (then every entry is a whole number, and numpy reads them all)
    if not body or body[0] == "," or body[-1] == "," or ",," in body or not set(body) <= _DIGITS:
        return None
    fields = body.split(",")
    if len(fields) != len(keys) * modes or max(map(len, fields)) > 9:  # 9 digits: no sum can overflow
        return None
    return np.fromstring(body, sep=",", dtype=np.int64).reshape(len(keys), modes)


def _all_pass(keys: list[Any], program: PhotonicProgram, low: int, high: int) -> bool:
    """Whether every key is a Fock state of the program's width with ``low..high`` photons that the
    program accepts (``False``: :meth:`PhotonicKind._explain` finds the first bad key)."""
    if not keys:
        return True
    table = _occupations(keys, program.modes)
    if table is None:
        return False
    photons = table.sum(axis=1)
    return bool(((photons >= low) & (photons <= high)).all() and program.accept_mask(table).all())


class PhotonicKind(ProgramKind):
    name = "photonic"
    hub = FORMAT
    unit = "mode"
    plugins = ("qhpc-perceval",)

    def is_program(self, program: object) -> bool:
        return isinstance(program, PhotonicProgram)

    def size(self, program: Any) -> int:
        return int(program.modes)

    def fingerprint(self, program: Any) -> str:
        return str(program.fingerprint())

    def verify(self, output: RunOutput, program: Any, shots: int, backend: str) -> None:
        counts = output.counts
        if not isinstance(output, RunOutput) or not isinstance(counts, Mapping):
            raise JobFailedError(f"{backend} returned {type(counts).__name__} counts, not a mapping")
        low, high = photon_bound(program, output.metadata)
        if not _all_pass(list(counts), program, low, high):
            self._explain(counts, program, low, high, backend)
        values = list(counts.values())
        if values and (set(map(type, values)) != {int} or min(values) <= 0):  # numpy integers, zeros, or an error
            for key, value in counts.items():
                if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                    raise JobFailedError(f"{backend} returned the count {value!r} for {key}, not a whole number")
            output.counts = {key: int(value) for key, value in counts.items() if value}
        elif not isinstance(counts, dict):
            output.counts = dict(counts)
        total = sum(output.counts.values())
        if total != shots:
            raise JobFailedError(f"{backend} returned {total} accepted events for {shots} shots")
        if output.memory is not None:
            if len(output.memory) != shots:
                raise JobFailedError(f"{backend} returned {len(output.memory)} events in memory for {shots} shots")
            if Counter(output.memory) != Counter(output.counts):
                raise JobFailedError(f"{backend}'s memory does not match its counts")

    def _explain(self, counts: Mapping[str, Any], program: Any, low: int, high: int, backend: str) -> None:
        """Raise for the first outcome that :func:`_all_pass` refused, saying why."""
        modes = program.modes
        for key, value in counts.items():
            try:
                occupation = parse_fock_key(key, modes)
            except PhotonicError as exc:
                raise JobFailedError(f"{backend} returned the outcome {key!r}: {exc}") from None
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise JobFailedError(f"{backend} returned the count {value!r} for {key}, not a whole number")
            photons = sum(occupation)
            if not low <= photons <= high:
                allowed = f"exactly {low}" if low == high else f"at most {high}"
                raise JobFailedError(f"{backend} returned {key} with {photons} photons; the input "
                                     f"{fock_key(program.input_state)} allows {allowed}")
            if not program.accepts(occupation):
                raise JobFailedError(f"{backend} returned {key}, which the program's heralds and post-selection "
                                     f"({program.postselect_text()}) reject")
        raise JobFailedError(f"{backend} returned outcomes qhpc cannot read")  # pragma: no cover - found above

    def result_metadata(self, output: RunOutput, program: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"modes": program.modes, "photons": program.num_photons,
                               "input_state": fock_key(program.input_state), "accept": program.postselect_text()}
        probability = output.metadata.get("success_probability")
        if isinstance(probability, (int, float)):
            out["success_probability"] = float(probability)
        return out

    def describe(self, program: Any) -> str:
        photons = program.num_photons
        return f"a {program.modes}-mode photonic program with {photons} photon{'' if photons == 1 else 's'}"


class PhotonicFormat(ProgramFormat):
    """The photonic kind's hub: :class:`qhpc_interop.photonic.PhotonicProgram`; files: its JSON form."""

    name = FORMAT
    kind = "photonic"
    description = f"qhpc's linear-optical program (qhpc_interop.photonic; files: {EXTENSION}, JSON)"
    extensions = (EXTENSION,)

    def detect(self, program: object) -> bool:
        return isinstance(program, PhotonicProgram)

    def load_file(self, path: Path) -> Any:
        from qhpc_interop import photonic

        return photonic.loads(path.read_text(encoding="utf-8"), source=str(path))

    def loads(self, text: str) -> Any:
        from qhpc_interop import photonic

        return photonic.loads(text, source="program")

    def dumps(self, program: Any) -> str:
        from qhpc_interop import photonic

        return photonic.dumps(program, indent=1)
