"""Conversion speed: qhpc side by side with qBraid, Qiskit's OpenQASM readers and myqlm-interop,
and each route's ratio to its floor.

Routes: Qiskit -> Cirq, Cirq -> Qiskit, OpenQASM 2 -> Cirq, OpenQASM 3 -> Qiskit, Qiskit -> myQLM,
myQLM -> Qiskit, and Cirq <-> myQLM (where myqlm-interop's Cirq bridge works; its Qiskit bridge does
not import under Qiskit 2). Cases: the MQT Bench corpus (every benchmark of the conformance suite at
its largest size, generated here, composite gates written in standard gates by Qiskit), the
100-qubit quantum-volume circuit and a 160-qubit QFT, both in ``u``/``cx``-level gates. The source of
each route is made once, outside the timing: Qiskit circuits by Qiskit, OpenQASM text by Qiskit's own
writers, Cirq and myQLM circuits by qhpc.

**The floor** of a route is what any converter pays: walking the source circuit (each operation's
name, parameters and qubit indices: a Qiskit instruction's ``name`` and ``params``, a Cirq gate's
type and stored fields, a myQLM op's gate-dictionary entry and its syntax's name and parameters; for text, reading it with the fastest reader there is:
Qiskit's Rust OpenQASM 2 reader, for OpenQASM 3 too, on the same statements written as OpenQASM 2,
since ``qiskit.qasm3.loads_experimental`` refuses most of the corpus) plus building the target
circuit from operations that are already made (Cirq: ``cirq.Circuit(ops)``, which places them in
moments; Qiskit: ``_append`` of ready instructions; myQLM: ``qat.core.Circuit`` of ready ops and
gate dictionary). Making each target operation object is left out of the floor. The ready
operations are the ones the route has to produce: out of myQLM, which has no ``u`` or ``rzz`` and
holds three gates for each, they are the target made once from the myQLM form (135,004 operations
for the quantum-volume circuit, not the 55,000 of the Qiskit original).

Each time is the median of ``--repeats`` runs, interleaved, each run after a collection of what the
tools before left (so no tool pays for another's garbage; what the process held before timing, the
SDKs and the cases, is frozen out of the collector's passes for every tool alike); a run under
20 ms is the mean of as many calls as take about 20 ms. qBraid, ``qiskit.qasm3.loads`` and
myqlm-interop run once on a case where one run takes over half a second (seconds to minutes on
large circuits), and qBraid not at all above ``--qbraid-cap`` gates.
Corpus rows are sums over the corpus of per-circuit medians.

Run: ``python benchmarks/convert.py`` (a few minutes) or ``--quick`` (corpus only, one repeat).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

warnings.filterwarnings("ignore")

import qhpc  # noqa: E402
from qiskit import QuantumCircuit, qasm2, qasm3, transpile  # noqa: E402

#: Gates the corpus is written in (Qiskit's transpiler, no optimisation): what every tool reads.
BASIS = ["id", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "p", "u", "cx", "cy", "cz",
         "cp", "crz", "swap", "ccx", "rzz"]


# -- cases -------------------------------------------------------------------------------------------


def corpus() -> list[tuple[str, QuantumCircuit]]:
    """MQT Bench at the largest size the conformance suite uses, written in :data:`BASIS`."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.conformance._corpus import MQT_SIZES, mqt_benchmark

    out = []
    for name, sizes in sorted(MQT_SIZES.items()):
        qc = transpile(mqt_benchmark(name, sizes[-1]), basis_gates=BASIS, optimization_level=0)
        qc.name = f"{name}{sizes[-1]}"
        out.append((qc.name, qc))
    return out


def quantum_volume(n: int = 100, seed: int = 7) -> QuantumCircuit:
    from qiskit.circuit.library import quantum_volume as qv

    qc = transpile(qv(n, seed=seed), basis_gates=["u", "cx"], optimization_level=0)
    qc.name = f"qv{n}"
    return qc


def qft(n: int = 160) -> QuantumCircuit:
    from qiskit.synthesis import synth_qft_full

    qc = transpile(synth_qft_full(n), basis_gates=BASIS, optimization_level=0)
    qc.name = f"qft{n}"
    return qc


# -- floors: walking a source, building a target from ready operations -------------------------------


def walk_qiskit(qc: QuantumCircuit) -> None:
    index = {q: i for i, q in enumerate(qc.qubits)}
    for ci in qc.data:
        op = ci.operation
        (op.name, op.params, [index[q] for q in ci.qubits])


def walk_cirq(circuit: Any) -> None:
    # a Cirq operation's name is its gate's type and its parameters are the gate's own fields
    # (exponents, global shift, angles), read here as they are stored
    index = {q: i for i, q in enumerate(sorted(circuit.all_qubits()))}
    for op in circuit.all_operations():
        gate = op.gate
        (type(gate), list(vars(gate).values()), [index[q] for q in op.qubits])


def walk_myqlm(circ: Any) -> None:
    # a myQLM operation names an entry of the circuit's gate dictionary; the gate's name and
    # parameters are in that entry's syntax
    gates = circ.gateDic
    for op in circ.ops:
        d = gates.get(op.gate)
        syntax = d.syntax if d is not None else None
        what = (syntax.name, [(p.double_p, p.int_p) for p in syntax.parameters or ()]) if syntax is not None else d
        _ = (what, op.qbits, op.type)


def build_cirq_from(made: Any) -> Callable[[], Any]:
    import cirq

    ops = list(made.all_operations())
    return lambda: cirq.Circuit(ops)


def build_qiskit_from(made: QuantumCircuit) -> Callable[[], Any]:
    data = list(made.data)

    def build() -> QuantumCircuit:
        qc = made.copy_empty_like()
        for ci in data:
            qc._append(ci)
        return qc

    return build


def build_myqlm_from(made: Any) -> Callable[[], Any]:
    from qat.core import Circuit

    def build() -> Any:
        return Circuit(ops=list(made.ops), gateDic=dict(made.gateDic), nbqbits=made.nbqbits, nbcbits=made.nbcbits,
                       _gate_set=made._gate_set, _serialized_gate_set=made._serialized_gate_set,
                       var_dic=made.var_dic, has_matrices=False, qregs=made.qregs)

    return build


# -- peers -----------------------------------------------------------------------------------------


def _qbraid() -> Any:
    import qbraid

    return qbraid


def _quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()

    return run


def _myqlm_interop() -> Any:
    try:
        from qat.interop import cirq as bridge
    except Exception:  # not installed
        return None
    return bridge


# -- timing ------------------------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    gates: int
    times: dict[str, float] = field(default_factory=dict)  # tool -> seconds (median)
    failed: dict[str, str] = field(default_factory=dict)  # tool -> why


#: The slow peers (qBraid, qiskit.qasm3.loads, myqlm-interop) run once where one run takes longer than
#: this many seconds, and as often as qhpc below it: a small circuit's ratio is a ratio of medians.
ONCE_ABOVE = 0.5


#: A run shorter than this is repeated until a sample lasts about this long, and the sample's mean
#: is the run's time: one call of a few hundred microseconds is mostly timer and scheduler noise.
SAMPLE_SECONDS = 0.02


def _sample(fn: Callable[[], Any]) -> float:
    """Seconds per call of ``fn``: one call, or the mean over a sample of about :data:`SAMPLE_SECONDS`.
    The cyclic collector first clears what earlier tools left, so each tool pays for the
    collections its own objects cause, not another tool's (cheap: :func:`main` freezes what the
    process holds before timing). The clock stops when the tool returns what it made, before
    that is freed: a user keeps the converted circuit, and freeing a large one (725,000 objects for
    QV-100 in myQLM) is not part of converting it."""
    gc.collect()
    start = time.perf_counter()
    made = fn()
    elapsed = time.perf_counter() - start
    del made
    if elapsed >= SAMPLE_SECONDS:
        return elapsed
    calls = min(1000, max(2, round(SAMPLE_SECONDS / max(elapsed, 1e-6))))
    gc.collect()
    kept: list[Any] = []
    keep = kept.append
    start = time.perf_counter()
    for _ in range(calls):
        keep(fn())
    elapsed = time.perf_counter() - start
    del kept
    return elapsed / calls


def median_times(tools: dict[str, Callable[[], Any]], repeats: int, once: set[str]) -> tuple[dict[str, float],
                                                                                               dict[str, str]]:
    samples: dict[str, list[float]] = {k: [] for k in tools}
    failed: dict[str, str] = {}
    for r in range(repeats):
        for name, fn in tools.items():
            if name in failed or (r and name in once and samples[name] and samples[name][0] > ONCE_ABOVE):
                continue
            try:
                samples[name].append(_sample(fn))
            except Exception as exc:
                failed[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80] if str(exc) else ''}"
    return {k: statistics.median(v) for k, v in samples.items() if v}, failed


def route_tools(route: str, forms: dict[str, Any], gates: int, cap: int, slow_cap: int,
                ) -> tuple[dict[str, Callable[[], Any]], Callable[[], Any]]:
    """The tools timed on ``route`` for one case, and its floor."""
    source, target = (s.strip() for s in route.split("->"))
    src = forms[source]
    made = forms.get(f"{target} from {source}", forms[target])
    tools: dict[str, Callable[[], Any]] = {
        "qhpc": lambda: qhpc.convert(src, target, source=source),
    }
    qbraid_target = {"cirq": "cirq", "qiskit": "qiskit", "myqlm": "qat"}[target]
    if gates <= cap and source != "myqlm":  # qBraid has no route out of myQLM
        tools["qbraid"] = _quiet(lambda: _qbraid().transpile(src, qbraid_target))
    bridge = _myqlm_interop() if gates <= slow_cap else None
    if bridge is not None and route == "cirq -> myqlm":
        tools["myqlm-interop"] = _quiet(lambda: bridge.cirq_to_qlm(src))
    if bridge is not None and route == "myqlm -> cirq":
        tools["myqlm-interop"] = _quiet(lambda: bridge.qlm_to_cirq(src))
    if source == "qasm2":
        tools["qiskit.qasm2.loads"] = lambda: qasm2.loads(src, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    if source == "qasm3" and gates <= slow_cap:
        tools["qiskit.qasm3.loads"] = _quiet(lambda: qasm3.loads(src))
    walk: Callable[[], Any] = {
        "qiskit": lambda: walk_qiskit(src),
        "cirq": lambda: walk_cirq(src),
        "myqlm": lambda: walk_myqlm(src),
        "qasm2": lambda: qasm2.loads(src, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS),
        "qasm3": lambda: qasm2.loads(forms["qasm2"], custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS),
    }[source]
    build = {"cirq": build_cirq_from, "qiskit": build_qiskit_from, "myqlm": build_myqlm_from}[target](made)

    def floor() -> Any:
        walk()
        return build()

    return tools, floor


ROUTES = ["qiskit -> cirq", "cirq -> qiskit", "qasm2 -> cirq", "qasm3 -> qiskit", "qiskit -> myqlm",
          "myqlm -> qiskit", "cirq -> myqlm", "myqlm -> cirq"]


def forms_of(qc: QuantumCircuit) -> dict[str, Any]:
    """The case in every source format (made once, untimed)."""
    forms = {"qiskit": qc, "cirq": qhpc.convert(qc, "cirq"), "myqlm": qhpc.convert(qc, "myqlm"),
             "qasm2": qasm2.dumps(qc), "qasm3": qasm3.dumps(qc)}
    # myQLM has no u or rzz gate: the myQLM form holds three gates for each, and so does any exact
    # conversion out of it. The floor of a route out of myQLM builds that many target operations.
    for target in ("qiskit", "cirq"):
        forms[f"{target} from myqlm"] = qhpc.convert(forms["myqlm"], target)
    return forms


def reading(text2: str, text3: str, repeats: int) -> dict[str, float]:
    """Reading alone (into the model; Qiskit's Rust reader into a QuantumCircuit)."""
    from qhpc_interop import qasm2 as q2
    from qhpc_interop import qasm3 as q3

    times, _ = median_times({
        "qhpc qasm2": lambda: q2.loads(text2), "qiskit qasm2 (Rust)":
        lambda: qasm2.loads(text2, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS),
        "qhpc qasm3": lambda: q3.loads(text3),
    }, repeats, set())
    return times


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:10.1f}"


def show(route: str, rows: list[Row], corpus_size: int) -> None:
    tools = [t for t in dict.fromkeys(k for row in rows for k in (*row.times, *row.failed)) if t not in
             ("qhpc", "floor")]
    print(f"\n{route}")
    header = f"  {'case':10s} {'gates':>7s} {'qhpc':>10s} {'floor':>10s} {'qhpc/floor':>10s}"
    for t in tools:
        header += f" | {t:>12s} {'x qhpc':>7s}"
    print(header)
    corpus_rows = rows[:corpus_size]
    summary = Row("corpus", sum(r.gates for r in corpus_rows))
    shown = [summary, *rows[corpus_size:]] if corpus_rows else rows[corpus_size:]
    for key in ("qhpc", "floor"):
        summary.times[key] = sum(r.times[key] for r in corpus_rows)
    for row in shown:
        q, f = row.times.get("qhpc"), row.times.get("floor")
        line = f"  {row.case:10s} {row.gates:7d} {_ms(q)} {_ms(f)} {q / f if q and f else 0:10.2f}"
        for t in tools:
            both = [r for r in (corpus_rows if row is summary else [row]) if t in r.times and "qhpc" in r.times]
            if not both:
                line += f" | {row.failed.get(t, 'failed' if row is summary else 'skipped')[:20]:>20s}"
                continue
            v, mine = sum(r.times[t] for r in both), sum(r.times["qhpc"] for r in both)
            line += f" | {_ms(v):>12s} {v / mine:7.1f}"
            if row is summary and len(both) < len(corpus_rows):
                line += f" ({len(both)} of {len(corpus_rows)} circuits)"
        print(line)
    if "qbraid" in tools:
        speedups = sorted((r.times["qbraid"] / r.times["qhpc"], r.case) for r in corpus_rows if "qbraid" in r.times)
        if speedups:
            low = ", ".join(f"{case} {x:.1f}x" for x, case in speedups[:3])
            print(f"  qBraid / qhpc per corpus circuit: min {speedups[0][0]:.1f}x ({low}), median "
                  f"{statistics.median(x for x, _ in speedups):.1f}x")
    for row in rows:
        for t, why in row.failed.items():
            print(f"  ! {row.case} {t}: {why}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="runs per tool and case (default 3, --quick 1)")
    parser.add_argument("--qbraid-cap", type=int, default=10000,
                        help="no qBraid above this many gates (its Qiskit -> Cirq of the 12,960-gate QFT-160 "
                             "had not finished after 3.5 minutes)")
    parser.add_argument("--slow-cap", type=int, default=15000,
                        help="no qiskit.qasm3.loads or myqlm-interop above this many gates (minutes on QV-100)")
    parser.add_argument("--quick", action="store_true", help="the corpus only, one repeat unless --repeats is given")
    parser.add_argument("--big-only", action="store_true", help="QV-100 and QFT-160 only, no corpus")
    parser.add_argument("--routes", nargs="+", default=ROUTES, choices=ROUTES, metavar="ROUTE",
                        help="routes to time, e.g. 'qiskit -> cirq' (default: all)")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)

    start = time.perf_counter()
    cases = [] if args.big_only else corpus()
    big = [] if args.quick else [("qv100", quantum_volume()), ("qft160", qft())]
    print(f"corpus: {len(cases)} MQT Bench circuits, {sum(qc.size() for _, qc in cases)} gates; "
          + ", ".join(f"{n}: {qc.size()} gates" for n, qc in big))
    warm = qft(4)
    qhpc.convert(warm, "cirq")  # warm: plugins, SDK imports
    qhpc.convert(warm, "myqlm")
    _quiet(lambda: _qbraid().transpile(warm, "cirq"))()

    prepared = [(name, qc, forms_of(qc)) for name, qc in cases + big]
    # What the process holds now (the SDKs, the cases) lives to the end: the collector leaves it out
    # of its passes, which then walk only what the tools make (each tool, not a full collection of
    # ~240,000 objects whenever one happens to trigger it)
    gc.collect()
    gc.freeze()
    print(f"\nmedians of {repeats} run(s), ms; 'corpus' is the sum over its {len(cases)} circuits; "
          f"qBraid, qiskit.qasm3.loads and myqlm-interop run once where a run takes over {ONCE_ABOVE} s; qBraid skipped above {args.qbraid_cap} gates, "
          f"the other two above {args.slow_cap}", flush=True)
    results: dict[str, list[Row]] = {}
    for route in args.routes:
        rows = results[route] = []
        for name, _, forms in prepared:
            gates = forms["qiskit"].size()
            tools, floor = route_tools(route, forms, gates, args.qbraid_cap, args.slow_cap)
            tools["floor"] = floor
            times, failed = median_times(tools, repeats, {"qbraid", "qiskit.qasm3.loads", "myqlm-interop"})
            rows.append(Row(name, gates, times, failed))
        show(route, rows, len(cases))

    print("\nreading OpenQASM alone (qhpc: into the model; Qiskit: into a QuantumCircuit), ms", flush=True)
    for name, _, forms in prepared[len(cases):]:
        t = reading(forms["qasm2"], forms["qasm3"], repeats)
        print(f"  {name}: " + ", ".join(f"{k} {_ms(v).strip()}" for k, v in t.items()))
        print(f"    qhpc qasm2 / Qiskit's Rust reader: {t['qhpc qasm2'] / t['qiskit qasm2 (Rust)']:.2f}x")
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
