"""The extension contract: every hook a qhpc plugin can implement, in one file.

A plugin is a module named by an entry point in the ``qhpc.plugins`` group::

    [project.entry-points."qhpc.plugins"]
    myvendor = "qhpc_myvendor.plugin"

and implements any of the hooks below with ``@qhpc.hookimpl``. Hooks that *collect* return a list
and every plugin's list is gathered; hooks that *decide* are ``firstresult``: the first non-``None``
answer wins; *notification* hooks return nothing. qhpc calls each plugin's implementation on its
own (through pluggy's hook callers, so pluggy's tracing sees every call), so that one plugin that
raises is taken out without harming the others; for the same reason wrapper implementations
(``wrapper=True``/``hookwrapper=True``) are refused at registration. A misspelt ``qhpc_`` function
is an error too (the plugin is reported as failed and not used). Plugins must import fast: import
SDKs inside functions or lazily in the objects they return, never at module top level.

Names are global: two plugins providing a backend (compiler, format, translator, scheduler) of the
same name are both left out under that name until the site chooses one (see :mod:`qhpc.plugins`).

**Versioning.** :data:`CONTRACT_VERSION` counts incompatible changes of this contract; it moves
with qhpc's minor version while qhpc is 0.x (contract 2 is qhpc 0.2). Declare the range you built
against, ``dependencies = ["qhpc>=0.2,<0.3"]``: a plugin whose requirement excludes the running qhpc
is reported as failed with that reason instead of misbehaving.

Built-in behaviour (the in-process scheduler, the OpenQASM and JSON formats, the ``decompose``
compiler, automatic backend selection) is registered by :mod:`qhpc.builtin` through this same
contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from qhpc_interop import Circuit

    from .interfaces import Backend, Compiler, NoiseCalibrator, ProgramFormat, Scheduler, Translator
    from .jobs import Job, JobEvent
    from .kinds import ProgramKind

PROJECT = "qhpc"
#: Incompatible revisions of this contract (2: typed job events, capability enumerations,
#: ``Backend.estimate_seconds``, ``ExecutionRequest.time_limit``, wrappers refused).
CONTRACT_VERSION = 2
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def qhpc_program_kinds() -> list[ProgramKind]:
    """Program kinds (paradigms): gate circuits, analog pulse programs, photonic circuits,
    annealing problems, each with its neutral model and the hub format of its conversion graph.

    :return: :class:`~qhpc.kinds.ProgramKind` instances, named by paradigm. The built-in plugin
        provides the four kinds of :mod:`qhpc.kinds`; a plugin adds a kind only for a new paradigm.
    Collected from every plugin.

    Example::

        @hookimpl
        def qhpc_program_kinds():
            return [IonShuttlingKind()]     # name = "shuttling", hub = "acme.shuttle"
    """


@hookspec
def qhpc_program_formats() -> list[ProgramFormat]:
    """Program formats this plugin knows (nodes of the conversion graph).

    :return: :class:`~qhpc.interfaces.ProgramFormat` instances, one per format name. A name claimed
        by two plugins is used by neither until the site chooses one.
    Collected from every plugin (not ``firstresult``).

    Example::

        class AcmeFormat(ProgramFormat):
            name = "acme"
            def detect(self, program):
                return defined_in(program, "acme")  # qhpc.interfaces.defined_in: subclasses too

        @hookimpl
        def qhpc_program_formats():
            return [AcmeFormat()]
    """


@hookspec
def qhpc_translators() -> list[Translator]:
    """Translators between program formats (edges of the conversion graph).

    :return: :class:`~qhpc.interfaces.Translator` instances. Each converts ``source`` to ``target``
        and declares what it ``preserves``; to join the graph, translate to or from ``qhpc.circuit``.
    Collected from every plugin.

    Example::

        class FromAcme(Translator):
            name, source, target = "acme-import", "acme", "qhpc.circuit"
            preserves = PROPERTIES
            def convert(self, program):
                return acme_to_model(program)

        @hookimpl
        def qhpc_translators():
            return [FromAcme()]
    """


@hookspec
def qhpc_backends() -> list[Backend]:
    """Execution targets: emulators and QPU front-ends (on-premise or remote).

    :return: :class:`~qhpc.interfaces.Backend` instances with unique names (``vendor.device``).
        Construct them cheaply; compute capabilities lazily if that needs an SDK import or the
        network (the integrator reads them with a time limit).
    Collected from every plugin.

    Example::

        @hookimpl
        def qhpc_backends():
            return [AcmeQPU()]          # a Backend subclass with kind = "qpu"
    """


@hookspec
def qhpc_late_backends(known: frozenset[str], timeout: float) -> list[Backend]:
    """Backends that have become available since :func:`qhpc_backends` answered: the devices of a
    peer site or a vendor's cloud that could not be listed when the process started.

    Optional; called again now and then (when a backend name is not found, and when the backends
    are listed, at most every :data:`qhpc.integrator.LATE_BACKENDS_SECONDS`).

    :param known: the names already offered; return only backends under other names.
    :param timeout: the seconds the caller is prepared to wait (a network probe should give up
        by then).
    :return: :class:`~qhpc.interfaces.Backend` instances, made as in :func:`qhpc_backends`.
    Collected from every plugin that implements it. A name that is already taken is ignored.

    Example::

        @hookimpl
        def qhpc_late_backends(known, timeout):
            return [AcmeQPU(n) for n in acme_devices(timeout) if n not in known]
    """


@hookspec
def qhpc_compilers() -> list[Compiler]:
    """Compilers that fit circuits to targets (native gates, coupling maps, optimisation).

    :return: :class:`~qhpc.interfaces.Compiler` instances with unique names.
    Collected from every plugin.

    Example::

        @hookimpl
        def qhpc_compilers():
            return [AcmeRouter()]       # a Compiler subclass named "acme-router"
    """


@hookspec
def qhpc_noise_calibrators() -> list[NoiseCalibrator]:
    """Noise calibrators that turn device calibration snapshots into emulator noise models.

    :return: :class:`~qhpc.interfaces.NoiseCalibrator` instances with unique names.
    Collected from every plugin.

    Example::

        @hookimpl
        def qhpc_noise_calibrators():
            return [AcmeCalibrator()]
    """


@hookspec
def qhpc_schedulers() -> list[type[Scheduler]]:
    """Scheduler types that place jobs on resources (in-process, Slurm, ...).

    :return: :class:`~qhpc.interfaces.Scheduler` subclasses (not instances: the integrator creates
        one with its configuration). Each has a unique class attribute ``name``.
    Collected from every plugin.

    Example::

        @hookimpl
        def qhpc_schedulers():
            return [AcmeBatchScheduler]  # the class, with name = "acme-batch"
    """


@hookspec(firstresult=True)
def qhpc_select_backend(circuit: Circuit, candidates: list[Backend], options: dict[str, Any]) -> Backend | None:
    """Choose the backend for a job submitted with ``backend="auto"``.

    :param circuit: the job's circuit in the program model (bound).
    :param candidates: the emulators the circuit fits (capabilities checked), in registration order.
    :param options: the job's options (``shots``, ``seed``, ``memory`` and backend options).
    :return: one of ``candidates``, or ``None`` to let the next implementation decide.
    ``firstresult``: the first non-``None`` answer is used; the built-in implementation runs last
    and picks the lowest :meth:`~qhpc.interfaces.Backend.estimate_seconds` among emulators.

    Example::

        @hookimpl(tryfirst=True)
        def qhpc_select_backend(circuit, candidates, options):
            gpus = [b for b in candidates if b.capabilities.device == "GPU"]
            return gpus[0] if gpus and circuit.num_qubits > 20 else None
    """


@hookspec
def qhpc_job_event(job: Job, event: JobEvent) -> None:
    """Notification of a job's lifecycle, from its submission on (the earlier stages are in ``job.events``).

    :param job: the job (its ``status``, ``timings`` and ``error`` are current).
    :param event: a :class:`~qhpc.jobs.JobEvent`: ``event.kind`` is a
        :class:`~qhpc.jobs.JobEventKind` (``submitted``, ``queued``, ``running``, ``stage``,
        ``done``, ``failed``, ``cancelled``), with its time, the stage and its duration, or the
        failure reason.
    Called on every plugin; an exception in one observer is logged and does not affect the job.

    Example::

        @hookimpl
        def qhpc_job_event(job, event):
            if event.kind == "failed":
                alert(f"job {job.id} failed: {event.detail}")
    """
