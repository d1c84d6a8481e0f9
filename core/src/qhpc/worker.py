"""The compute-node entry point: run one serialised job where a scheduler placed it.

``qhpc worker REQUEST.json`` (or ``python -m qhpc.worker REQUEST.json``) reads an execution request
(:mod:`qhpc.transport`), runs it on the named backend of this node's installed plugins, verifies
the readout, and writes the output beside the request (``REQUEST.result.json``, written to a
temporary file and renamed, so a reader never sees half a result). A scheduler that keeps jobs in
a store passes the job id instead, with ``--store URL`` (the access server's job store).

SIGTERM (what Slurm sends at a time limit, on ``scancel``, or on preemption) and SIGINT set the
job's cancel token: a backend that checks it stops, and the output records the reason. The exit
status is 0 when the job is DONE, 1 when it failed (the output file says why), 2 for a usage error.

Inside a Slurm job whose QPUs were allocated by QRMI's SPANK plugin (``--qpu=NAMES``), the plugin
sets ``QRMI_JOB_QPU_RESOURCES`` (the QPU resource names, comma separated; ``SLURM_JOB_QPU_RESOURCES``
is its older alias) and ``QRMI_JOB_QPU_TYPES``: the worker then runs a QPU backend only if its
resource (the backend's ``qpu_resource`` attribute, else its name) is one of them, and refuses the
request otherwise; emulators run as usual. The output's metadata records ``backend_seconds``, the
time the backend ran (the QPU time of a QPU job), unless the backend reported it itself.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import QhpcError
from .interfaces import CancelToken, ExecutionRequest, RunOutput


def result_path(request_path: Path) -> Path:
    """Where the output of the request at ``request_path`` is written."""
    name = request_path.name[:-5] if request_path.name.endswith(".json") else request_path.name
    return request_path.with_name(f"{name}.result.json")


def execute(request: ExecutionRequest, integrator: Any, cancel: CancelToken) -> RunOutput:
    """Run ``request`` on its backend and verify the readout (as the in-process pipeline does)."""
    backend = integrator.backend(request.backend)
    check_qpu_allocation(backend)
    caps = integrator.capabilities(backend)
    started = time.perf_counter()
    if request.noise is not None:
        if not caps.supports_noise:
            raise QhpcError(f"{backend.name} cannot apply a noise model")
        run: Any = backend.run
        output = run(request.circuit, shots=request.shots, seed=request.seed, memory=request.memory,
                     options=request.options, cancel=cancel, noise=request.noise)
    else:
        output = backend.run(request.circuit, shots=request.shots, seed=request.seed, memory=request.memory,
                             options=request.options, cancel=cancel)
    if cancel.cancelled:
        raise QhpcError("the job was stopped (cancelled, preempted or past its time limit)")
    if isinstance(getattr(output, "metadata", None), dict):
        output.metadata.setdefault("backend_seconds", time.perf_counter() - started)
    kind = integrator.kinds.get(str(caps.paradigm))
    if kind is None:
        raise QhpcError(f"no installed program kind for {caps.paradigm} backends")
    kind.verify(output, request.circuit, request.shots, request.backend)
    return output  # type: ignore[no-any-return]


def allocated_qpus() -> list[tuple[str, str]] | None:
    """The QPUs a Slurm job was allocated by QRMI's SPANK plugin, as (resource, type) pairs, or
    ``None`` outside such a job (``QRMI_JOB_QPU_RESOURCES`` / ``SLURM_JOB_QPU_RESOURCES`` unset)."""
    names = os.environ.get("QRMI_JOB_QPU_RESOURCES", os.environ.get("SLURM_JOB_QPU_RESOURCES"))
    if names is None:
        return None
    types = os.environ.get("QRMI_JOB_QPU_TYPES", os.environ.get("SLURM_JOB_QPU_TYPES", "")).split(",")
    resources = [name.strip() for name in names.split(",") if name.strip()]
    return [(name, types[i].strip() if i < len(types) else "") for i, name in enumerate(resources)]


def check_qpu_allocation(backend: Any) -> None:
    """Refuse to run a QPU backend whose resource the job's QRMI allocation does not name."""
    allocated = allocated_qpus()
    if allocated is None or str(getattr(backend, "kind", "emulator")) != "qpu":
        return
    resource = str(getattr(backend, "qpu_resource", None) or backend.name)
    if resource in {name for name, _ in allocated}:
        return
    held = ", ".join(f"{name} ({kind})" if kind else name for name, kind in allocated) or "none"
    raise QhpcError(f"this job may use only the QPUs its Slurm allocation names (QRMI_JOB_QPU_RESOURCES: {held}), "
                    f"not {backend.name} (QPU resource {resource!r}); submit it with --qpu={resource}")


def run_request_file(path: Path, integrator: Any = None) -> tuple[bool, Path]:
    """Run the request in ``path`` and write its output beside it; (succeeded, output path)."""
    from . import transport
    from .integrator import Integrator

    own = integrator is None
    integrator = integrator or Integrator()
    out = result_path(path)
    cancel = CancelToken()
    previous = {sig: signal.signal(sig, lambda *_: cancel.cancel()) for sig in (signal.SIGTERM, signal.SIGINT)}
    start = time.perf_counter()
    job_id = path.stem
    try:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise QhpcError(f"{path}: cannot read the request: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise QhpcError(f"{path}: not a JSON request ({exc})") from None
        job_id = str(data.get("job_id", job_id)) if isinstance(data, dict) else job_id
        request = transport.request_from_dict(data, integrator.kinds, str(path))
        output = execute(request, integrator, cancel)
        doc = transport.output_to_dict(request.job_id, output, seconds=time.perf_counter() - start)
        ok = True
    except Exception as exc:
        message = str(exc) if isinstance(exc, QhpcError) else f"{type(exc).__name__}: {exc}"
        doc = transport.output_to_dict(job_id, None, error=message, seconds=time.perf_counter() - start)
        ok = False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if own:
            integrator.close(wait=False)
    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    tmp.write_text(transport.dumps(doc), encoding="utf-8")
    os.replace(tmp, out)
    return ok, out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: qhpc worker REQUEST.json   (writes REQUEST.result.json beside it)", file=sys.stderr)
        return 2
    path = Path(args[0])
    if not path.exists():
        print(f"error: {path}: no such request file", file=sys.stderr)
        return 2
    ok, out = run_request_file(path)
    if not ok:
        error = json.loads(out.read_text()).get("error", "")
        print(f"error: {error}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
