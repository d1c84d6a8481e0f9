"""The ``qhpc`` command line.

    qhpc plugins                      installed plugins, what each provides, load errors, name clashes
    qhpc backends                     backends and their capabilities (or why one is unavailable)
    qhpc formats                      program formats and the translators between them
    qhpc run FILE[:NAME] | -          run a program (.qasm, .json, .qpy, a Python file, or stdin)
    qhpc convert FILE[:NAME] --to F   translate a program to another format

Every user error prints one line (``error: ...``) on stderr and exits with status 1 (2 for a
command-line usage error), without a traceback; ``QHPC_DEBUG=1`` shows tracebacks.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .errors import QhpcError

EXIT_USER_ERROR = 1
EXIT_INTERNAL_ERROR = 70
MAX_SEED = 2**63 - 1

USAGE = """usage: qhpc COMMAND [ARGS]...

  qhpc run FILE                 run a program (OpenQASM, qhpc JSON, QPY, FILE.py[:NAME], or - for stdin)
  qhpc backends [NAME]          where programs can run
  qhpc convert FILE --to FMT    translate a program (qhpc formats lists the formats)
  qhpc plugins                  installed plugins and their problems

qhpc --help shows every command and option; qhpc COMMAND --help one command."""

class _Console(Console):
    """A console that treats a closed pipe (``qhpc run ... | head``) as a normal end of output."""

    def on_broken_pipe(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0)


# no markup or emoji interpretation of what the user typed (file names like ghz[v2].qasm, :x)
out = _Console(highlight=False, soft_wrap=True, emoji=False)
err = _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def _integrator() -> Any:
    from .integrator import Integrator

    return Integrator()


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="qhpc", prog_name="qhpc")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """qhpc: run quantum programs from any framework on emulators and QPUs."""
    if ctx.invoked_subcommand is None:
        print(USAGE)


# -- plugins, backends, formats ---------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """List installed plugins, what they provide, and load errors."""
    from .config import load_settings
    from .plugins import PluginRegistry

    infos = PluginRegistry.discover(settings=load_settings()).describe()
    if as_json:
        print(json.dumps([i.to_dict() for i in infos], indent=2))
        return
    table = Table(title="qhpc plugins")
    for col in ("plugin", "distribution", "version", "status", "provides"):
        table.add_column(col)
    for info in infos:
        provides = "\n".join(f"{kind}: {', '.join(items)}" for kind, items in info.provides.items())
        status = Text(info.status, style={"loaded": "green", "failed": "bold red"}.get(info.status, "yellow"))
        if info.error:
            status.append(f"\n{info.error}", style="red")
        for clash in info.clashes:
            status.append(f"\nname clash: {clash}", style="bold yellow")
        table.add_row(info.name, info.distribution or "-", info.version or "-", status, provides or "-")
    out.print(table)
    clashes = sorted({c for info in infos for c in info.clashes})
    for clash in clashes:
        err.print(f"warning: {clash}", markup=False, style="yellow")


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def backends(name: str | None, as_json: bool) -> None:
    """List backends and their capabilities (NAME: one backend in full)."""
    integrator = _integrator()
    selected = {name: integrator.backend(name)} if name else integrator.refresh_backends()
    answers = integrator.availability(selected.values())
    rows = []
    for backend_name, backend in selected.items():
        answer = answers[backend_name]
        caps, error = ({}, f"unavailable: {answer}") if isinstance(answer, str) else (answer.to_dict(), None)
        rows.append({"name": backend_name, "description": backend.description, "capabilities": caps, "error": error})
    contested = {} if name else integrator.contested("backend")
    for backend_name, plugins in sorted(contested.items()):
        infos = integrator.registry.infos
        holders = [f"{p} ({infos[p].distribution} {infos[p].version})" if p in infos and infos[p].distribution else p
                   for p in plugins]
        rows.append({"name": backend_name, "description": "", "capabilities": {},
                     "error": f"contested: claimed by {' and '.join(holders)}; not used until one is chosen "
                              f"([plugins.choose] backend = {{ \"{backend_name}\" = \"PLUGIN\" }} or QHPC_PLUGINS)",
                     "contested_by": plugins})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if name:
        row = rows[0]
        if row["error"]:
            raise QhpcError(f"backend {name} is {row['error']}")
        table = Table(title=f"{name}: {row['description']}", show_header=False)
        table.add_column("capability", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in row["capabilities"].items():
            shown = "all standard gates" if key == "native_gates" and value is None else value
            if isinstance(shown, list):
                shown = " ".join(map(str, shown))
            table.add_row(key, str(shown))
        out.print(table)
        return
    table = Table(title="qhpc backends (qhpc backends NAME for one in full)")
    # names whole (a name is what the user types next); the limit note takes what width is left
    table.add_column("backend", no_wrap=True)
    table.add_column("kind", max_width=9)
    table.add_column("qubits", overflow="fold")
    table.add_column("gates", max_width=10)
    table.add_column("limit", overflow="fold")
    for row in rows:
        caps = row["capabilities"]
        if row["error"]:
            table.add_row(row["name"], "-", "-", "-", Text(row["error"], style="red"))
            continue
        gates = caps["native_gates"]
        coupling = "" if caps["coupling_map"] is None else f", {len(caps['coupling_map'])} couplings"
        table.add_row(
            row["name"],
            f"{caps['kind']} {caps['device']}",
            str(caps["num_qubits"]),
            ("all" if gates is None else str(len(gates))) + coupling,
            caps["limit_note"] or "-",
        )
    out.print(table)


def _word_list(words: Sequence[str], width: int = 26) -> str:
    """``words`` comma-separated in lines of about ``width`` characters, no word broken."""
    import textwrap

    return textwrap.fill(", ".join(words), width=width, break_long_words=False, break_on_hyphens=False) or "-"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def formats(as_json: bool) -> None:
    """List program formats and the translators between them."""
    integrator = _integrator()
    fmts = [{"name": n, "description": f.description, "extensions": list(f.extensions),
             "file_form": f.has_file_form, "holds": sorted(f.holds)} for n, f in integrator.formats.items()]
    from qhpc_interop.graph import PROPERTIES

    edges = [{"name": e.name, "source": e.source, "target": e.target, "lost": sorted(PROPERTIES - e.preserves)}
             for e in integrator.graph.edges()]
    if as_json:
        print(json.dumps({"formats": fmts, "translators": edges}, indent=2))
        return
    # feature names stay whole (mid_circuit_measurement is one word): their lists are wrapped here,
    # at word boundaries, and the descriptions take what width is left
    table = Table(title="program formats (and what a program in each can hold beyond gates)")
    table.add_column("format", no_wrap=True)
    table.add_column("description", overflow="fold")
    table.add_column("files", overflow="fold")
    table.add_column("holds", no_wrap=True)
    for f in fmts:
        held = [h for h in f["holds"] if h not in ("unitary", "measurements")]
        table.add_row(f["name"], f["description"], "\n".join(f["extensions"]) or "-", _word_list(held))
    out.print(table)
    # the formats whole (what --to takes); the translators' own names are in --json
    table = Table(title="translators (qhpc formats --json names them)")
    for col in ("from", "to"):
        table.add_column(col, no_wrap=True)
    table.add_column("loses", no_wrap=True)
    for e in edges:
        table.add_row(e["source"], e["target"], _word_list(e["lost"]) if e["lost"] else "nothing")
    out.print(table)


# -- run ------------------------------------------------------------------------------------


def _parse_parameters(values: Sequence[str]) -> dict[str, float]:
    params: dict[str, float] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        try:
            params[name] = float(raw)
        except ValueError:
            raise click.BadParameter(f"{raw!r} is not a number", param_hint="--param") from None
    return params


@cli.command()
@click.argument("program", metavar="FILE[:NAME]")
@click.option("--server", default=None, metavar="URL", expose_value=False,
              callback=lambda ctx, _param, value: ctx.meta.__setitem__("qhpc.server", value),
              help="Run on this qhpc server instead of here (token: $QHPC_TOKEN or [client] token_file).")
@click.option("-b", "--backend", default="auto", show_default=True,
              help="Backend name (see `qhpc backends`), or auto: the cheapest emulator that fits.")
@click.option("-s", "--shots", default=1024, show_default=True, type=click.IntRange(min=1), help="Number of shots.")
@click.option("--seed", type=click.IntRange(min=0, max=MAX_SEED), default=None,
              help="Seed for a reproducible run (0 to 2**63 - 1).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="End the run as FAILED if it takes longer (default: [jobs] time_limit in the configuration).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a circuit parameter.")
@click.option("--compiler", default=None, help="Force a compiler (see `qhpc plugins`).")
@click.option("--memory", is_flag=True, help="Also return each shot's bitstring.")
@click.option("--noise", "noise", default=None, metavar="MODEL.json",
              help="Run under this noise model (from qhpc calibrate) on a backend that can apply it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (counts, backend, shots, timings).")
@click.option("--top", default=16, show_default=True, type=click.IntRange(min=1),
              help="How many outcomes to show in the table.")
@click.option("--qaoa-depth", "qaoa_depth", type=click.IntRange(min=1), default=None, metavar="P",
              help="Solve an annealing problem with QAOA of depth P on the (gate) backend: optimise, then sample.")
def run(program: str, backend: str, shots: int, seed: int | None, time_limit: float | None, params: Sequence[str],
        compiler: str | None, memory: bool, noise: str | None, as_json: bool, top: int,
        qaoa_depth: int | None) -> None:
    """Run a program and print its counts and where the time went.

    FILE is an OpenQASM 2 or 3 file, a qhpc JSON circuit, a QPY file, or a Python file that builds
    a circuit in any installed framework (FILE.py:NAME picks the object, or a function returning one);
    - reads OpenQASM or qhpc JSON from standard input. A run estimated to take longer than
    [jobs] warn_seconds (60 s by default) is announced with a warning before it starts.

    Counts are keyed by bitstrings with the highest classical bit first (clbit 0 is the rightmost
    character), as Qiskit writes them.
    """
    from .programs import load_program

    parameters = _parse_parameters(params)
    context = click.get_current_context()
    if context.meta.get("qhpc.server") is not None:
        from .server.commands import run_remote

        run_remote(context.meta["qhpc.server"], program, backend=backend, shots=shots, seed=seed, parameters=parameters,
                   memory=memory, time_limit=time_limit, as_json=as_json, top=top, given=context.params)
        return
    if qaoa_depth is not None:
        given = [name for name, value in (("--param", params), ("--compiler", compiler), ("--memory", memory),
                                          ("--noise", noise), ("--time-limit", time_limit)) if value]
        if given:
            raise click.UsageError(f"--qaoa-depth chooses its own angles and jobs; it does not take {', '.join(given)}")
        _run_qaoa(program, backend, shots, seed, qaoa_depth, as_json, top)
        return
    integrator = _integrator()
    show_progress = err.is_terminal and not as_json
    status = err.status("reading the program", spinner="dots") if show_progress else None
    # Ctrl-C ends the process at once with the default action of SIGINT: emulators such as Aer hold
    # the GIL for a whole simulation, so a Python handler would only run when it ends. The job runs
    # in this process and ends with it; nothing is left half-done. A job on a QPU front-end (one
    # here waits on a device or a peer site, holding no GIL) is cancelled first, so the device's or
    # the peer's job stops too, then the process ends.
    restore = _default_sigint()
    try:
        if status is not None:
            status.start()
        start = time.perf_counter()
        obj, fmt = load_program(integrator, program)
        load_seconds = time.perf_counter() - start
        if status is not None:
            status.update("converting, validating and compiling")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            job = integrator.submit(obj, backend=backend, shots=shots, seed=seed, memory=memory,
                                    parameters=parameters or None, compiler=compiler, source_format=fmt,
                                    time_limit=time_limit, noise=noise)
        for warning in _for_users(caught):
            if status is not None:
                status.stop()
            err.print(f"warning: {_one_line(warning.message)}", markup=False, style="yellow")
            if status is not None:
                status.start()
        polite = _waits_on_a_device(integrator, job)
        if polite:
            restore()  # Python's handler: Ctrl-C raises KeyboardInterrupt here
        try:
            while not job.wait(0.1):
                if status is not None:
                    status.update(escape(f"job {job.id}: {str(job.status).lower()} on {job.backend}"
                                         + (f" ({job.stage})" if job.stage else "")))
        except KeyboardInterrupt:
            if polite:
                _default_sigint()  # a second Ctrl-C ends at once
                if status is not None:
                    status.update(escape(f"cancelling job {job.id} on {job.backend}"))
                job.cancel()
                waiting = getattr(integrator.scheduler, "wait_returned", None)
                if callable(waiting) and not waiting(job.id, CANCEL_WAIT_SECONDS):
                    err.print(f"warning: {job.backend} did not confirm the cancellation within "
                              f"{CANCEL_WAIT_SECONDS:g} s", markup=False, style="yellow")
            raise
        result = job.result()
    finally:
        restore()
        if status is not None:
            status.stop()
        integrator.close(wait=False)
    if as_json:
        doc = result.to_dict()
        doc["program"] = program
        doc["estimated_seconds"] = result.metadata.get("estimated_seconds")
        doc["timings_ms"] = {"load": round(load_seconds * 1000, 3), **doc["timings_ms"]}
        print(json.dumps(doc, indent=2))
        return
    _print_result(program, result, load_seconds, top)


#: How long Ctrl-C waits for a QPU front-end to stop its device's (or peer's) job.
CANCEL_WAIT_SECONDS = 15.0


def _waits_on_a_device(integrator: Any, job: Any) -> bool:
    """Whether ``job`` runs on a QPU front-end or at a peer site: it waits there without holding
    the GIL, and the device's or the peer's job must be stopped."""
    try:
        backend = integrator.backend(job.backend)
        return str(backend.kind) != "emulator" or str(integrator.capabilities(backend).location) == "remote"
    except Exception:  # an unknown backend: the default, at-once Ctrl-C
        return False


def _default_sigint() -> Any:
    """Give SIGINT its default action (terminate) until the returned function restores the handler."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    return lambda: signal.signal(signal.SIGINT, previous)


def _print_result(program: str, result: Any, load_seconds: float, top: int) -> None:
    counts = sorted(result.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out.print(f"[bold]{escape(program)}[/bold] on [bold cyan]{escape(result.backend)}[/bold cyan]: {result.shots:,} shots"
              + (f", seed {result.seed}" if result.seed is not None else "") + f"  (job {result.job_id})")
    registers = escape(", ".join(f"{name}[{len(bits)}]" for name, bits in result.registers.items()))
    table = Table(title=f"counts (highest clbit first{'; registers ' + registers if registers else ''})")
    table.add_column("bitstring", style="bold")
    table.add_column("count", justify="right")
    table.add_column("probability", justify="right")
    table.add_column("", min_width=20)
    most = counts[0][1] if counts else 1
    for key, value in counts[:top]:
        table.add_row(escape(key), f"{value:,}", f"{value / result.shots:.4f}", "█" * max(1, round(20 * value / most)))
    if len(counts) > top:
        rest = sum(v for _, v in counts[top:])
        table.add_row(f"... {len(counts) - top} more", f"{rest:,}", f"{rest / result.shots:.4f}", "")
    if result.metadata.get("kind") == "annealing":  # the sample set instead: energies, lowest first
        table = _sample_table(result.metadata["samples"], result.metadata["variables"], result.shots, top)
    out.print(table)
    timings = {"load": load_seconds, **result.timings}
    total = sum(timings.values()) or 1.0
    ttable = Table(title=f"where the time went ({total * 1000:.1f} ms)")
    ttable.add_column("stage")
    ttable.add_column("ms", justify="right")
    ttable.add_column("share", min_width=20)
    for stage, seconds in timings.items():
        ttable.add_row(stage, f"{seconds * 1000:.2f}", "█" * round(20 * seconds / total))
    out.print(ttable)
    compiled = result.metadata.get("compile", {})
    if compiled.get("compiler"):
        out.print(f"compiled by {compiled['compiler']}: depth {compiled.get('depth')}, gates {compiled.get('ops')}")


# -- annealing problems: sample tables and QAOA ---------------------------------------------------


def _sample_table(samples: Sequence[dict[str, Any]], variables: Sequence[Any], shots: int, top: int) -> Table:
    """An annealing sample set (lowest energy first) as a table."""
    shown = ", ".join(map(str, variables[:8])) + (", ..." if len(variables) > 8 else "")
    table = Table(title=f"samples, lowest energy first (bitstrings over {escape(shown)}; variable 0 rightmost)")
    table.add_column("bitstring", style="bold")
    table.add_column("energy", justify="right")
    table.add_column("count", justify="right")
    table.add_column("probability", justify="right")
    for row in samples[:top]:
        table.add_row(escape(row["bitstring"]), f"{row['energy']:.6g}", f"{row['occurrences']:,}",
                      f"{row['occurrences'] / shots:.4f}")
    if len(samples) > top:
        rest = sum(row["occurrences"] for row in samples[top:])
        table.add_row(f"... {len(samples) - top} more", "", f"{rest:,}", f"{rest / shots:.4f}")
    return table


def _run_qaoa(program: str, backend: str, shots: int, seed: int | None, depth: int, as_json: bool, top: int) -> None:
    """``qhpc run PROBLEM --qaoa-depth P``: optimise QAOA on the backend and print the best sample."""
    from .algorithms import qaoa
    from .programs import load_program

    integrator = _integrator()
    status = err.status("reading the problem", spinner="dots") if err.is_terminal and not as_json else None
    restore = _default_sigint()
    try:
        if status is not None:
            status.start()
        obj, fmt = load_program(integrator, program)
        kind = integrator.kind_of(fmt or integrator.detect_format(obj))
        if kind.name != "annealing":
            raise QhpcError(f"{program}: --qaoa-depth solves annealing problems (binary quadratic models); "
                            f"this is {kind.describe(obj) if kind.is_program(obj) else f'a {kind.name} program'}")
        if status is not None:
            status.update(f"optimising QAOA of depth {depth} on {backend}")
        found = qaoa.run(integrator.converter.to_model(obj, source=fmt)[0], backend=backend, depth=depth,
                         shots=shots, seed=seed, integrator=integrator)
    finally:
        restore()
        if status is not None:
            status.stop()
        integrator.close(wait=False)
    if as_json:
        print(json.dumps({
            "program": program, "backend": found.backend, "depth": depth, "shots": shots, "seed": seed,
            "best": {"bitstring": found.best_bitstring, "sample": {str(k): v for k, v in found.best_sample.items()},
                     "energy": found.best_energy},
            "gammas": found.gammas, "betas": found.betas, "expectation": found.expectation,
            "expectation_mode": found.mode, "evaluations": found.evaluations, "seconds": round(found.seconds, 3),
            "samples": [{**row, "sample": {str(k): v for k, v in row["sample"].items()}} for row in found.samples[:top]],
        }, indent=2))
        return
    out.print(f"[bold]{escape(program)}[/bold]: QAOA of depth {depth} on [bold cyan]{escape(found.backend)}[/bold cyan], "
              f"{shots:,} shots" + (f", seed {seed}" if seed is not None else ""))
    out.print(f"best sample: [bold]{escape(', '.join(f'{k}={v}' for k, v in found.best_sample.items()))}[/bold]  "
              f"(bitstring {found.best_bitstring})")
    out.print(f"energy: [bold]{found.best_energy:.6g}[/bold]  (lowest is best; mean energy at the optimum "
              f"{found.expectation:.6g}, {found.mode})")
    out.print(f"angles: gamma = {', '.join(f'{g:.4f}' for g in found.gammas)}; "
              f"beta = {', '.join(f'{b:.4f}' for b in found.betas)}  ({found.evaluations} evaluations, "
              f"{found.seconds:.2f} s)")
    out.print(_sample_table(found.samples, list(found.best_sample), shots, top))


# -- convert --------------------------------------------------------------------------------


@cli.command()
@click.argument("program", metavar="FILE[:NAME]")
@click.option("-t", "--to", "target", required=True, help="Target format (see `qhpc formats`).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write here instead of stdout.")
@click.option("--allow-loss", "allow_loss", multiple=True, metavar="FEATURE[,FEATURE]",
              help="Convert even if the target cannot hold these features of the program (e.g. global_phase); "
                   "repeat it or separate them with commas.")
def convert(program: str, target: str, output: str | None, allow_loss: tuple[str, ...]) -> None:
    """Translate a program to another format (e.g. OpenQASM 2 -> OpenQASM 3, Qiskit -> qasm3)."""
    from .errors import UnknownNameError
    from .programs import load_program, split_spec

    integrator = _integrator()
    if target not in integrator.formats:
        raise UnknownNameError("format", target, list(integrator.formats))
    fmt = integrator.formats[target]
    if not fmt.has_file_form:
        writable = [n for n, f in integrator.formats.items() if f.has_file_form]
        raise QhpcError(f"format {target!r} has no file form; convert to one of: {', '.join(writable)}")
    if output == "-":  # as on the input side: standard output
        output = None
    if output is not None:
        if not output.strip():
            raise QhpcError("-o needs a file name (or - for standard output)")
        _check_output_suffix(integrator, Path(output), target)
        source_path = split_spec(program)[0] if program != "-" else None
        if source_path is not None and source_path.exists() and Path(output).exists() \
                and os.path.samefile(source_path, output):
            raise QhpcError(f"{output}: is the file being converted; write the result to another file")
    shown = output
    if output is not None:
        output = str(Path(output).absolute())  # (a program file that changes directory cannot move it)
    obj, source = load_program(integrator, program)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted, _route = integrator.convert(obj, target, source=source,
                                               allow_loss=[f.strip() for given in allow_loss for f in given.split(",") if f.strip()])
    data = fmt.dumps(converted)
    if output is None:
        if isinstance(data, bytes):
            raise QhpcError(f"format {target!r} is binary; write it to a file with -o FILE")
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
    else:
        mode = "wb" if isinstance(data, bytes) else "w"
        try:
            with open(output, mode) as fh:
                fh.write(data)
        except OSError as exc:
            raise QhpcError(f"{shown}: cannot write: {exc.strerror}") from None
    for warning in _for_users(caught):
        err.print(f"note: {_one_line(warning.message)}", markup=False, style="yellow")


def _check_output_suffix(integrator: Any, path: Path, target: str) -> None:
    """Refuse to write ``target`` into a file whose suffix is another format's (OpenQASM text in a
    ``.qpy`` is a file neither qhpc nor the SDK reads back); an unknown suffix is the user's choice."""
    suffix = path.suffix.lower()
    if not suffix:
        return
    owners = sorted(n for n, f in integrator.formats.items() if any(ext.lower().endswith(suffix) for ext in f.extensions))
    ours = integrator.formats[target].extensions
    if owners and target not in owners:
        hint = f" (name it {' or '.join(ours)})" if ours else ""
        raise QhpcError(f"{path}: the extension {path.suffix} is for {' or '.join(owners)} files, not {target}{hint}")


# -- vqe ------------------------------------------------------------------------------------


@cli.command()
@click.argument("problem", metavar="MOLECULE|HAMILTONIAN.json")
@click.option("-b", "--backend", default="aer.statevector", show_default=True, help="Backend for the energies.")
@click.option("--reps", type=click.IntRange(min=0), default=None, help="Ansatz layers (default: the molecule's).")
@click.option("--shots", type=click.IntRange(min=1), default=None, help="Estimate from shots (default: exact).")
@click.option("--seed", type=click.IntRange(min=0, max=MAX_SEED), default=0, show_default=True)
@click.option("--restarts", type=click.IntRange(min=1), default=None, help="Seeded starts (default: the molecule's).")
@click.option("--optimizer", default="L-BFGS-B", show_default=True, help="A scipy.optimize.minimize method.")
@click.option("--noise", default=None, metavar="MODEL.json", help="Run under a noise model (needs --shots).")
@click.option("--mitigate", is_flag=True, help="Mitigate readout errors with the noise model's confusion.")
@click.option("--plot", default=None, metavar="FILE.png", help="Save the convergence plot here.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--scheduler", default=None, metavar="NAME",
              help="Run the whole loop as one job of this scheduler (slurm: one allocation, the optimiser "
                   "and every backend call inside it).")
def vqe(problem: str, backend: str, reps: int | None, shots: int | None, seed: int, restarts: int | None,
        optimizer: str, noise: str | None, mitigate: bool, plot: str | None, as_json: bool,
        scheduler: str | None) -> None:
    """Find a ground-state energy with VQE: a shipped molecule (h2_2q, h2_4q, lih_4q, beh2_6q) or a
    Hamiltonian file ({"terms": [{"label": "XZ", "coeff": 0.5}, ...]}), the energy per iteration live."""
    from .algorithms import molecules
    from .algorithms import vqe as vqe_algorithm
    from .hybrid import PauliSum

    exact: float | None = None
    bitstring = None
    if problem.endswith(".json"):
        try:
            data = json.loads(open(problem, encoding="utf-8").read())
            hamiltonian = PauliSum.from_list((t["label"], t["coeff"]) for t in data["terms"])
        except OSError as exc:
            raise QhpcError(f"{problem}: cannot read: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise QhpcError(f"{problem}: not a Hamiltonian file ({type(exc).__name__}: {exc})") from None
        layers = 2 if reps is None else reps
        starts = restarts or 1
    else:
        molecule = molecules.load(problem)
        hamiltonian, bitstring, exact = molecule.hamiltonian, molecule.hf_bitstring, molecule.exact
        layers = molecule.reps if reps is None else reps
        starts = restarts or molecule.restarts

    if scheduler is not None:
        doc = _vqe_in_allocation(scheduler, hamiltonian.num_qubits, problem=problem, backend=backend, reps=reps,
                                 shots=shots, seed=seed, restarts=restarts, optimizer=optimizer, noise=noise,
                                 mitigate=mitigate, plot=plot)
        _print_vqe(doc, problem, exact, as_json)
        return

    def progress(iteration: int, energy: float) -> None:
        gap = f"  ({(energy - exact) * 1000:+.3f} mHa from exact)" if exact is not None else ""
        err.print(f"iteration {iteration}: energy {energy:.8f} Ha{gap}", markup=False)

    result = vqe_algorithm.run(hamiltonian, reps=layers, initial_bitstring=bitstring, backend=backend, shots=shots,
                               seed=seed, optimizer=optimizer, noise=noise, mitigate_readout=mitigate,
                               restarts=starts, integrator=_integrator(), callback=progress)
    if plot:
        _plot_convergence(result.history, exact, plot)
    doc = {"problem": problem, "energy": result.energy, "exact": exact, "iterations": result.iterations,
           "evaluations": result.evaluations, "backend_calls": result.backend_calls, "seconds": result.seconds,
           "middleware_share": result.middleware_share, "backend_seconds": result.backend_seconds,
           "parameters": result.parameters, "history": result.history, "slurm_job": os.environ.get("SLURM_JOB_ID")}
    _print_vqe(doc, problem, exact, as_json)


def _print_vqe(doc: dict[str, Any], problem: str, exact: float | None, as_json: bool) -> None:
    if as_json:
        print(json.dumps(doc, indent=2))
        return
    energy = float(doc["energy"])
    where = f" in Slurm job {doc['slurm_job']}" if doc.get("slurm_job") else ""
    out.print(f"[bold]{escape(problem)}[/bold]: energy {energy:.8f} Ha"
              + (f", exact {exact:.8f} Ha, error {(energy - exact) * 1000:.4f} mHa" if exact is not None else "")
              + f"; {doc['iterations']} iterations, {doc['evaluations']} evaluations in {doc['backend_calls']} "
                f"backend calls, {doc['seconds']:.2f} s{escape(where)}")


def _vqe_in_allocation(scheduler: str, num_qubits: int, *, problem: str, backend: str, reps: int | None,
                       shots: int | None, seed: int, restarts: int | None, optimizer: str, noise: str | None,
                       mitigate: bool, plot: str | None) -> dict[str, Any]:
    """Run this same ``qhpc vqe`` as one job of ``scheduler`` (its ``run_allocation``), the progress
    lines forwarded as they come; the job's JSON result."""
    from .integrator import Integrator

    def absolute(path: str) -> str:  # the job runs in the scheduler's work directory
        return os.path.abspath(path)

    argv = ["vqe", absolute(problem) if problem.endswith(".json") else problem, "--backend", backend,
            "--seed", str(seed), "--optimizer", optimizer, "--json"]
    for flag, value in (("--reps", reps), ("--shots", shots), ("--restarts", restarts)):
        if value is not None:
            argv += [flag, str(value)]
    for flag, path in (("--noise", noise), ("--plot", plot)):
        if path is not None:
            argv += [flag, absolute(path)]
    if mitigate:
        argv.append("--mitigate")
    with Integrator(scheduler=scheduler) as integrator:
        run_allocation = getattr(integrator.scheduler, "run_allocation", None)
        if run_allocation is None:
            raise QhpcError(f"the {scheduler} scheduler cannot run a hybrid loop as one job (it has no "
                            "run_allocation); leave --scheduler out to run it here")
        done = run_allocation(argv, backend=backend, size=num_qubits, label="vqe",
                              on_progress=lambda line: err.print(line, markup=False))
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        raise QhpcError(f"{scheduler} job {done.slurm_job} printed no VQE result (is qhpc on the compute nodes the "
                        "same version?)") from None
    if not isinstance(doc, dict) or "energy" not in doc:
        raise QhpcError(f"{scheduler} job {done.slurm_job} printed no VQE result")
    return dict(doc)


def _plot_convergence(history: Sequence[float], exact: float | None, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(history) + 1), history, marker="o", label="VQE energy")
    if exact is not None:
        ax.axhline(exact, color="k", linestyle="--", label="exact")
        ax.axhspan(exact, exact + 1.6e-3, color="g", alpha=0.2, label="chemical accuracy")
    ax.set_xlabel("iteration")
    ax.set_ylabel("energy (Ha)")
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise QhpcError(f"{path}: cannot write the plot: {exc.strerror}") from None
    finally:
        plt.close(fig)


# -- worker ---------------------------------------------------------------------------------


@cli.command()
@click.argument("request", metavar="REQUEST.json")
def worker(request: str) -> None:
    """Run one serialised job (what a scheduler places on a compute node) and write its output
    beside the request (REQUEST.result.json). Exit status 0 when DONE, 1 when it failed."""
    from pathlib import Path

    from .worker import run_request_file

    path = Path(request)
    if not path.exists():
        raise QhpcError(f"{path}: no such request file")
    ok, out = run_request_file(path)
    if not ok:
        error = json.loads(out.read_text()).get("error", "the job failed")
        raise QhpcError(error)
    err.print(f"done: {out}", markup=False)


# -- calibrate ------------------------------------------------------------------------------


@cli.command()
@click.option("--target", required=True, help="The device target whose snapshot to start from (see qhpc backends).")
@click.option("--data", default=None, metavar="RUNS.json",
              help='Runs measured on the device: {"target": NAME, "runs": [{"program", "shots", "counts"}]}.')
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Write the model here.")
@click.option("--calibrator", default=None, help="Calibrator name (default: fit with --data, else from-calibration).")
def calibrate(target: str, data: str | None, out_path: str, calibrator: str | None) -> None:
    """Build a noise model for a device target: from its calibration snapshot, or fitted to runs
    measured on the device (--data). Use it with qhpc run FILE --backend TARGET --noise MODEL.json."""
    integrator = _integrator()
    backend = integrator.backend(target)
    snapshot = getattr(backend, "snapshot", None)
    if snapshot is None:
        raise QhpcError(f"{target} has no calibration snapshot to calibrate from (device targets have one: "
                        "see qhpc backends)")
    calibrators = integrator.noise_calibrators
    name = calibrator or ("fit" if data else "from-calibration")
    if name not in calibrators:
        from .errors import UnknownNameError

        raise UnknownNameError("calibrator", name, list(calibrators))
    chosen = calibrators[name]
    runs: list[Any] = []
    if data:
        from .noise.fit import load_runs

        runs = load_runs(data, snapshot)
    elif chosen.needs_runs:
        raise QhpcError(f"calibrator {name} fits measured runs: give them with --data RUNS.json")
    model = chosen.calibrate(snapshot, runs=runs)
    text = model.to_json()
    try:
        with open(out_path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as exc:
        raise QhpcError(f"{out_path}: cannot write: {exc.strerror}") from None
    report = model.metadata.get("report")
    if isinstance(report, dict) and "runs" in report:
        from .noise.fit import format_report

        err.print(format_report(report), markup=False, highlight=False)
    err.print(f"{name} model of {target} ({snapshot.timestamp}) written to {out_path}", markup=False)


# -- the access server: serve, admin, jobs, job (click only; the server loads when one runs) --------

from .server import commands as _server_commands  # noqa: E402

for _command in (_server_commands.serve, _server_commands.admin, _server_commands.jobs, _server_commands.job):
    cli.add_command(_command)


# -- entry point ------------------------------------------------------------------------------


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (also used by ``python -m qhpc``)."""
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    debug = os.environ.get("QHPC_DEBUG", "") not in ("", "0")
    from qhpc_interop import InteropError

    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="qhpc", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        err.print("aborted")
        return 130
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "qhpc"
        err.print(f"error: {_one_line(exc.format_message())} (see {command} --help)", markup=False, style="red")
        return exc.exit_code
    except click.ClickException as exc:
        err.print(f"error: {_one_line(exc.format_message())}", markup=False, style="red")
        return exc.exit_code
    except (QhpcError, InteropError) as exc:
        if debug:
            raise
        err.print(f"error: {_one_line(exc)}", markup=False, style="red")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # writing the output failed: a full device, a closed terminal...
        if debug:
            raise
        _silence_stdout()
        where = f"{exc.filename}: " if exc.filename else "writing the output: "
        err.print(f"error: {where}{exc.strerror or exc}", markup=False, style="red")
        return EXIT_USER_ERROR
    except Exception as exc:
        if debug:
            raise
        err.print(f"internal error: {type(exc).__name__}: {_one_line(exc)} (set QHPC_DEBUG=1 for a traceback)",
                  markup=False, style="red")
        return EXIT_INTERNAL_ERROR
    try:
        sys.stdout.flush()  # a full device is reported now, not as a traceback at exit
    except BrokenPipeError:
        return 0
    except OSError as exc:
        _silence_stdout()
        err.print(f"error: writing the output: {exc.strerror or exc}", markup=False, style="red")
        return EXIT_USER_ERROR
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


#: Warnings Python hides by default: SDK internals (an import hook's fallback, deprecations inside
#: a framework), not news for the user of a run.
_HIDDEN_WARNINGS = (ImportWarning, DeprecationWarning, PendingDeprecationWarning)


def _for_users(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if not issubclass(w.category, _HIDDEN_WARNINGS)]
