"""The extension contract: every hook a qhpc plugin can implement, in one file.

A plugin is a module named by an entry point in the ``qhpc.plugins`` group::

    [project.entry-points."qhpc.plugins"]
    myvendor = "qhpc_myvendor.plugin"

and implements any of the hooks below with ``@qhpc.hookimpl``. Hooks that *collect* return a list
and every plugin's list is gathered; hooks that *decide* are ``firstresult``: the first non-``None``
answer wins; *notification* hooks return nothing. A misspelt ``qhpc_`` function in a plugin is an
error (the plugin is reported as failed and not used). Plugins must import fast: import SDKs inside
functions or lazily in the objects they return, never at module top level.

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
    from .jobs import Job

PROJECT = "qhpc"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def qhpc_program_formats() -> list[ProgramFormat]:
    """Program formats this plugin knows (nodes of the conversion graph).

    :return: :class:`~qhpc.interfaces.ProgramFormat` instances, one per format name. A format is
        named once across all plugins; the first registration wins and a clash is reported.
    Collected from every plugin (not ``firstresult``).
    """


@hookspec
def qhpc_translators() -> list[Translator]:
    """Translators between program formats (edges of the conversion graph).

    :return: :class:`~qhpc.interfaces.Translator` instances. Each converts ``source`` to ``target``
        and declares what it ``preserves``; to join the graph, translate to or from ``qhpc.circuit``.
    Collected from every plugin.
    """


@hookspec
def qhpc_backends() -> list[Backend]:
    """Execution targets: emulators and QPU front-ends (on-premise or remote).

    :return: :class:`~qhpc.interfaces.Backend` instances with unique names (``vendor.device``).
        Construct them cheaply; compute capabilities lazily if that needs an SDK import.
    Collected from every plugin.
    """


@hookspec
def qhpc_compilers() -> list[Compiler]:
    """Compilers that fit circuits to targets (native gates, coupling maps, optimisation).

    :return: :class:`~qhpc.interfaces.Compiler` instances with unique names.
    Collected from every plugin.
    """


@hookspec
def qhpc_noise_calibrators() -> list[NoiseCalibrator]:
    """Noise calibrators that turn device calibration snapshots into emulator noise models.

    :return: :class:`~qhpc.interfaces.NoiseCalibrator` instances with unique names.
    Collected from every plugin.
    """


@hookspec
def qhpc_schedulers() -> list[type[Scheduler]]:
    """Scheduler types that place jobs on resources (in-process, Slurm, ...).

    :return: :class:`~qhpc.interfaces.Scheduler` subclasses (not instances: the integrator creates
        one with its configuration). Each has a unique class attribute ``name``.
    Collected from every plugin.
    """


@hookspec(firstresult=True)
def qhpc_select_backend(circuit: Circuit, candidates: list[Backend], options: dict[str, Any]) -> Backend | None:
    """Choose the backend for a job submitted with ``backend="auto"``.

    :param circuit: the job's circuit in the program model (bound).
    :param candidates: the backends the circuit fits (capabilities checked), in registration order.
    :param options: the job's options (``shots``, ``seed``, ``memory`` and backend options).
    :return: one of ``candidates``, or ``None`` to let the next implementation decide.
    ``firstresult``: the first non-``None`` answer is used; the built-in implementation runs last
    and picks the lowest :meth:`~qhpc.interfaces.Backend.estimate_cost` among emulators.
    """


@hookspec
def qhpc_job_event(job: Job, event: str) -> None:
    """Notification of a job's lifecycle: ``event`` is ``submitted``, ``running``, ``done``,
    ``failed`` or ``cancelled``.

    :param job: the job (its ``status``, ``timings`` and ``error`` are current).
    :param event: what just happened.
    Called on every plugin; an exception in one observer is logged and does not affect the job.
    """
