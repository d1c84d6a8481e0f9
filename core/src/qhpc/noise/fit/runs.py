"""Measured runs: programs as they ran on the device, their shots and counts, read from JSON and
checked against the device's snapshot (one-line refusals naming the run and the field)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qhpc_interop import Barrier, Circuit, Gate, Measure, UnitaryGate

from ..calibration import CalibrationSnapshot
from ..channels import NoiseModelError


@dataclass(frozen=True)
class MeasuredRun:
    """A program as it ran on the device (physical qubits, native gates), its shots and counts
    (bitstrings over all clbits, highest clbit first). ``name`` labels it in reports and errors."""

    program: Circuit
    shots: int
    counts: dict[str, int]
    name: str = ""


def load_runs(source: str | Path | Mapping[str, Any], snapshot: CalibrationSnapshot) -> list[MeasuredRun]:
    """Read measured runs: ``{"target": NAME, "runs": [{"program": QASM, "shots": N, "counts":
    {bitstring: n}}]}`` from a mapping, a JSON file path, or JSON text (a string starting with
    ``{``). Each program is OpenQASM 2 or 3 as it ran. Bad data is refused with one line naming the
    run and field: a target that is not the snapshot's device, a program that does not fit it (a
    gate not native, a two-qubit gate off the coupling map, a qubit beyond the device), counts
    that do not sum to the shots, bitstrings of the wrong width or not of 0/1, counts that are not
    non-negative integers, malformed JSON (with line:column)."""
    where = "runs"
    if isinstance(source, Mapping):
        data: Any = source
    else:
        text: str
        if isinstance(source, str) and source.lstrip().startswith("{"):
            text = source
        else:
            where = str(source)
            try:
                text = Path(source).read_text(encoding="utf-8")
            except FileNotFoundError:
                raise NoiseModelError(f"{where}: no such file of measured runs") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise NoiseModelError(f"{where}: cannot read the measured runs: {exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NoiseModelError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, Mapping):
        raise NoiseModelError(f"{where}: measured runs must be a JSON object with 'target' and 'runs'")
    unknown = sorted(set(data) - {"target", "runs"})
    if unknown:
        raise NoiseModelError(f"{where}: unknown field {unknown[0]!r} (known: runs, target)")
    target = data.get("target")
    if target != snapshot.name:
        raise NoiseModelError(f"{where}: target {target!r} is not the snapshot's device {snapshot.name!r}")
    raw = data.get("runs")
    if not isinstance(raw, list) or not raw:
        raise NoiseModelError(f"{where}: 'runs' must be a non-empty list")
    from qhpc_interop.qasm import loads_any

    runs = []
    for k, entry in enumerate(raw):
        label = f"runs[{k}]"
        if not isinstance(entry, Mapping):
            raise NoiseModelError(f"{where}: {label} must be an object with program, shots and counts")
        extra = sorted(set(entry) - {"program", "shots", "counts", "name"})
        if extra:
            raise NoiseModelError(f"{where}: {label}: unknown field {extra[0]!r}")
        program_text = entry.get("program")
        if not isinstance(program_text, str):
            raise NoiseModelError(f"{where}: {label}.program must be OpenQASM 2 or 3 text")
        try:
            program = loads_any(program_text, source=f"{label}.program")
        except Exception as exc:  # the readers' errors name line and column; keep one line
            raise NoiseModelError(f"{where}: {label}.program: {str(exc).splitlines()[0]}") from None
        name = entry.get("name", label)
        run = MeasuredRun(program, entry.get("shots"), entry.get("counts"), str(name))  # type: ignore[arg-type]
        _check_run(run, snapshot, f"{where}: {label}")
        runs.append(run)
    return runs


def dump_runs(runs: Sequence[MeasuredRun], target: str) -> dict[str, Any]:
    """The JSON form :func:`load_runs` reads (programs written as OpenQASM 2)."""
    from qhpc_interop import qasm2

    return {"target": target, "runs": [{"name": r.name, "program": qasm2.dumps(r.program), "shots": r.shots,
                                        "counts": dict(r.counts)} for r in runs]}


def _check_run(run: MeasuredRun, snapshot: CalibrationSnapshot, where: str) -> None:
    """Refuse a run whose data or program does not fit ``snapshot``'s device (see :func:`load_runs`)."""
    shots, counts, program = run.shots, run.counts, run.program
    if isinstance(shots, bool) or not isinstance(shots, int) or shots <= 0:
        raise NoiseModelError(f"{where}.shots must be a positive integer, not {shots!r}")
    if not isinstance(counts, Mapping) or not counts:
        raise NoiseModelError(f"{where}.counts must be a non-empty object of bitstring: count")
    width = program.num_clbits
    for key, value in counts.items():
        if not isinstance(key, str) or len(key) != width:
            raise NoiseModelError(f"{where}.counts: bitstring {key!r} has {len(key) if isinstance(key, str) else '?'} "
                                  f"bits; the program has {width} clbits")
        if set(key) - {"0", "1"}:
            raise NoiseModelError(f"{where}.counts: bitstring {key!r} is not made of 0 and 1")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise NoiseModelError(f"{where}.counts[{key!r}] must be a non-negative integer, not {value!r}")
    total = sum(counts.values())
    if total != shots:
        raise NoiseModelError(f"{where}.counts sum to {total}, not to its {shots} shots")
    if program.is_parameterized:
        raise NoiseModelError(f"{where}.program has unbound parameters; give the program as it ran")
    if program.num_qubits > snapshot.num_qubits:
        raise NoiseModelError(f"{where}.program declares {program.num_qubits} qubits; {snapshot.name} has "
                              f"{snapshot.num_qubits}")
    native = set(snapshot.native_gates)
    coupling = set(snapshot.coupling_map)
    for k, inst in enumerate(program.instructions):
        op = inst.operation
        if isinstance(op, Barrier | Measure):
            continue
        if any(q >= snapshot.num_qubits for q in inst.qubits):
            raise NoiseModelError(f"{where}.program instruction {k} ({inst}) uses a qubit beyond {snapshot.name}'s "
                                  f"{snapshot.num_qubits}")
        if not isinstance(op, Gate) or op.name not in native:
            raise NoiseModelError(f"{where}.program instruction {k} ({inst}): {op.name} is not a native gate of "
                                  f"{snapshot.name} ({', '.join(sorted(native))}); give the program as it ran")
        if len(inst.qubits) == 2 and coupling and tuple(inst.qubits) not in coupling:
            raise NoiseModelError(f"{where}.program instruction {k} ({inst}): qubits {list(inst.qubits)} are not "
                                  f"coupled on {snapshot.name}")
    for inst in program.instructions:
        if isinstance(inst.operation, Measure) and any(q >= snapshot.num_qubits for q in inst.qubits):
            raise NoiseModelError(f"{where}.program measures qubit {inst.qubits[0]}, beyond {snapshot.name}'s "
                                  f"{snapshot.num_qubits}")


def _check_terminal(program: Circuit, where: str) -> None:
    """Refuse a program the fit cannot separate into a state and a readout (see the module docstring)."""
    measured: set[int] = set()
    for k, inst in enumerate(program.instructions):
        op = inst.operation
        if inst.condition is not None:
            raise NoiseModelError(f"{where}: instruction {k} ({inst}) is conditioned; the fit takes programs whose "
                                  "measurements are terminal")
        if isinstance(op, Barrier):
            continue
        if isinstance(op, Measure):
            if measured.intersection(inst.qubits):
                raise NoiseModelError(f"{where}: instruction {k} ({inst}) measures a qubit again; the fit takes "
                                      "programs whose measurements are terminal")
            measured.update(inst.qubits)
            continue
        if not isinstance(op, Gate | UnitaryGate):
            raise NoiseModelError(f"{where}: instruction {k} ({inst}) is a {op.name}; the fit takes programs of gates "
                                  "and terminal measurements")
        if measured.intersection(inst.qubits):
            raise NoiseModelError(f"{where}: instruction {k} ({inst}) acts on a measured qubit; the fit takes "
                                  "programs whose measurements are terminal")
    if not measured:
        raise NoiseModelError(f"{where}: the program measures nothing")
