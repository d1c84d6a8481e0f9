"""Plugin discovery: stevedore finds the ``qhpc.plugins`` entry points, pluggy manages the hooks.

A plugin that fails to import, whose hook implementations do not match the contract (a misspelt
hook, a wrapper implementation), or whose distribution was built for another version of the
contract, is recorded with its error (``qhpc plugins`` shows it) and left out; the others load as
usual. ``QHPC_PLUGINS=a,b`` (or ``[plugins] enabled`` in the configuration) restricts loading to
the named plugins, the built-ins included only if named, so a batch job can pin exactly what it
uses; naming a plugin that is not installed is an error.

Every hook is called through pluggy's hook callers, one plugin at a time
(:meth:`PluginRegistry.call_each`), so pluggy's tracing and call monitoring see every call while a
plugin that raises is taken out without affecting the others.

Names are never settled silently: when two plugins provide a backend, compiler, format, translator
or scheduler under the same name, neither is used under it until the site or the user chooses one
(``[plugins.choose]`` in the configuration, or ``QHPC_PLUGINS`` without the other plugin).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy
from stevedore import ExtensionManager

from . import hookspecs
from .config import Settings
from .errors import PluginError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "qhpc.plugins"
ALLOW_LIST_ENV = "QHPC_PLUGINS"

#: The hooks that collect lists, and what they provide (for reports).
COLLECTING_HOOKS = {
    "qhpc_program_kinds": "program kinds",
    "qhpc_program_formats": "formats",
    "qhpc_translators": "translators",
    "qhpc_backends": "backends",
    "qhpc_late_backends": "backends",
    "qhpc_compilers": "compilers",
    "qhpc_noise_calibrators": "noise calibrators",
    "qhpc_schedulers": "schedulers",
}
#: The collecting hooks whose items are named, and the kind of name (``[plugins.choose]`` keys).
NAMED_KINDS = {
    "qhpc_program_kinds": "kind",
    "qhpc_backends": "backend",
    "qhpc_compilers": "compiler",
    "qhpc_program_formats": "format",
    "qhpc_translators": "translator",
    "qhpc_schedulers": "scheduler",
    "qhpc_noise_calibrators": "calibrator",
}


@dataclass
class Clash:
    """A name that more than one plugin provides. Unless ``chosen``, nothing is used under it."""

    kind: str
    name: str
    plugins: list[str]
    chosen: str | None = None
    note: str = ""

    def describe(self, infos: dict[str, PluginInfo]) -> str:
        def who(p: str) -> str:
            info = infos.get(p)
            dist = f" ({info.distribution} {info.version})" if info and info.distribution else ""
            return f"{p}{dist}"

        holders = " and ".join(who(p) for p in self.plugins)
        if self.chosen:
            return f"{self.kind} {self.name!r} is claimed by {holders}; {self.chosen} is used (configured choice)"
        return (f"{self.kind} {self.name!r} is claimed by {holders}; neither is used until you choose one: "
                f"[plugins.choose] {self.kind} = {{ \"{self.name}\" = \"PLUGIN\" }} in the configuration, "
                f"or leave one plugin out of {ALLOW_LIST_ENV}" + (f" ({self.note})" if self.note else ""))


@dataclass
class PluginInfo:
    """What is known about one entry point: where it comes from and whether it loaded."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    status: str = "loaded"  # loaded | failed | disabled
    error: str | None = None
    provides: dict[str, list[str]] = field(default_factory=dict)
    #: names this plugin provides that another plugin claims too (see :class:`Clash`)
    clashes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def allow_list_from_env() -> set[str] | None:
    raw = os.environ.get(ALLOW_LIST_ENV)
    if raw is None or not raw.strip():
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


class PluginRegistry:
    """The loaded plugins, their pluggy manager, and per-plugin-safe calls of every hook."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings()
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.clashes: dict[tuple[str, str], Clash] = {}
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def discover(cls, allow: Iterable[str] | None = None, settings: Settings | None = None) -> PluginRegistry:
        """Load every plugin of the entry point group (only those in ``allow``, ``$QHPC_PLUGINS``
        or the configured ``[plugins] enabled``, in that order of precedence).

        Raises :class:`PluginError` naming a plugin the allow-list names but nobody installed.
        """
        registry = cls(settings)
        source = "the allow-list"
        allowed = set(allow) if allow is not None else None
        if allowed is None:
            allowed = allow_list_from_env()
            source = ALLOW_LIST_ENV
        if allowed is None and registry.settings.plugins_enabled is not None:
            allowed = set(registry.settings.plugins_enabled)
            source = "[plugins] enabled in " + (", ".join(registry.settings.sources) or "the settings")
        installed = {ep.name for ep in _entry_points()}
        if allowed is not None and allowed - installed:
            missing = sorted(allowed - installed)
            raise PluginError(
                f"{source} names {', '.join(repr(m) for m in missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not installed (installed plugins: {', '.join(sorted(installed))})"
            )
        failures: dict[str, BaseException] = {}

        def on_failure(_manager: Any, entry_point: metadata.EntryPoint, error: BaseException) -> None:
            failures[entry_point.name] = error

        # stevedore caches entry points per namespace for the life of the process; discovery must
        # see plugins installed since (a long-running server, tests that install one)
        ExtensionManager.ENTRY_POINT_CACHE.pop(ENTRY_POINT_GROUP, None)
        manager = ExtensionManager(
            namespace=ENTRY_POINT_GROUP,
            invoke_on_load=False,
            on_load_failure_callback=on_failure,
        ) if allowed is None else _FilteredManager(allowed, on_failure)
        seen: set[str] = set()
        for ext in manager:
            seen.add(ext.name)
            registry.add(ext.name, ext.plugin, ext.entry_point)
        for ep in _entry_points():
            if ep.name in seen:
                continue
            if ep.name in failures:
                err = failures[ep.name]
                registry.infos[ep.name] = PluginInfo(
                    ep.name, ep.value, *_dist(ep), status="failed", error=f"{type(err).__name__}: {err}"
                )
                log.warning("qhpc plugin %s failed to load: %s", ep.name, err)
            elif allowed is not None and ep.name not in allowed:
                registry.infos[ep.name] = PluginInfo(
                    ep.name, ep.value, *_dist(ep), status="disabled", error=f"not in {source}"
                )
        return registry

    def add(self, name: str, module: ModuleType | object, entry_point: metadata.EntryPoint | None = None) -> None:
        """Register a plugin module (or object); a contract violation marks it failed instead."""
        dist, version = _dist(entry_point) if entry_point is not None else (None, None)
        info = PluginInfo(name, getattr(module, "__name__", repr(module)), dist, version)
        self.infos[name] = info
        problem = _contract_mismatch(entry_point) if entry_point is not None else None
        if problem:
            info.status, info.error = "failed", problem
            log.warning("qhpc plugin %s rejected: %s", name, problem)
            return
        try:
            _refuse_unmarked(module)
            self.pm.register(module, name=name)
            self.pm.check_pending()
            _refuse_wrappers(self.pm, module)
        except Exception as exc:  # a misspelt hook, a bad signature, a wrapper
            if self.pm.is_registered(module):
                self.pm.unregister(module)
            info.status = "failed"
            info.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PluginError) else str(exc)
            log.warning("qhpc plugin %s rejected: %s", name, exc)

    # -- calling hooks --------------------------------------------------------------------
    def call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook`` on each plugin that implements it, one at a time, through pluggy's hook
        callers (so tracing sees each call). A plugin that raises is marked failed and taken out;
        returns ``(plugin name, its answer)`` in registration order (``None`` answers left out)."""
        caller = getattr(self.pm.hook, hook)
        impls = list(caller.get_hookimpls())
        out: list[tuple[str, Any]] = []
        for impl in impls:
            others = [other.plugin for other in impls if other.plugin is not impl.plugin]
            single = self.pm.subset_hook_caller(hook, others) if others else caller
            try:
                answers = single(**kwargs)
            except Exception as exc:
                self._mark_failed(impl.plugin_name, f"{hook} raised {type(exc).__name__}: {exc}")
                continue
            answer = answers[0] if isinstance(answers, list) and answers else (
                answers if not isinstance(answers, list) else None)
            if answer is not None:
                out.append((impl.plugin_name, answer))
        return out

    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a collecting hook on each plugin separately; a plugin that raises, or returns
        something that is not a list, is marked failed. Returns ``(plugin name, item)`` pairs."""
        out: list[tuple[str, Any]] = []
        for name, items in self.call_each(hook, **kwargs):
            if isinstance(items, str | bytes) or not isinstance(items, Iterable):
                self._mark_failed(name, f"{hook} must return a list, got {type(items).__name__}")
                continue
            listed = list(items)
            wrong = _not_of_kind(hook, listed)
            if wrong is not None:
                self._mark_failed(name, wrong)
                continue
            out.extend((name, item) for item in listed)
            info = self.infos.get(name)
            if info is not None and hook in COLLECTING_HOOKS:
                provided = info.provides.setdefault(COLLECTING_HOOKS[hook], [])
                provided.extend(label for label in (str(getattr(item, "name", item)) for item in listed)
                                if label not in provided)
        return out

    def provided(self, hooks: Iterable[str]) -> dict[str, dict[str, Any]]:
        """What the healthy plugins provide through the named collecting ``hooks``, by name.

        Every hook is collected before anything is kept, so a plugin that fails in any of them is
        left out of all (a half-working plugin is worse than none). A name claimed by several
        plugins is kept only if the configuration chooses one of them (see :class:`Clash`).
        """
        collected = {hook: self.collect(hook) for hook in hooks}
        out: dict[str, dict[str, Any]] = {}
        for hook, pairs in collected.items():
            kind = NAMED_KINDS[hook]
            claims: dict[str, list[tuple[str, Any]]] = {}
            for plugin, item in pairs:
                if not self.is_loaded(plugin):
                    continue
                name = getattr(item, "name", None)
                if not isinstance(name, str) or not name:
                    log.warning("plugin %s returned a %s without a name: %r", plugin, kind, item)
                    continue
                claims.setdefault(name, []).append((plugin, item))
            resolved: dict[str, Any] = {}
            for name, holders in claims.items():
                plugins = list(dict.fromkeys(p for p, _ in holders))
                if len(plugins) == 1:
                    if len(holders) > 1:
                        log.warning("plugin %s provides %s %r twice; the first is used", plugins[0], kind, name)
                    resolved[name] = holders[0][1]
                    continue
                chosen = self.settings.chosen(kind, name)
                clash = Clash(kind, name, plugins)
                if chosen in plugins:
                    clash.chosen = chosen
                    resolved[name] = next(item for p, item in holders if p == chosen)
                elif chosen is not None:
                    clash.note = f"the configured choice {chosen!r} does not provide it"
                self._record_clash(clash)
            out[hook] = resolved
        return out

    def _record_clash(self, clash: Clash) -> None:
        with self._lock:
            self.clashes[(clash.kind, clash.name)] = clash
            for plugin in clash.plugins:
                info = self.infos.get(plugin)
                if info is not None:
                    text = clash.describe(self.infos)
                    if text not in info.clashes:
                        info.clashes.append(text)
        if clash.chosen is None:
            log.warning("%s", clash.describe(self.infos))

    def _mark_failed(self, name: str, error: str) -> None:
        """Record the failure and take the plugin out: none of its hooks is called again."""
        with self._lock:
            info = self.infos.get(name)
            if info is not None:
                info.status = "failed"
                info.error = error
            plugin = self.pm.get_plugin(name)
            if plugin is not None:
                self.pm.unregister(plugin)
        log.warning("qhpc plugin %s: %s", name, error)

    def is_loaded(self, name: str) -> bool:
        info = self.infos.get(name)
        return info is not None and info.status == "loaded"

    def describe(self) -> list[PluginInfo]:
        """Every known plugin with what it provides and the names it contests (calls each
        collecting hook once)."""
        self.provided(NAMED_KINDS)
        return sorted(self.infos.values(), key=lambda i: (i.status != "loaded", i.name))

    def require_loaded(self, name: str) -> None:
        info = self.infos.get(name)
        if info is None or info.status != "loaded":
            why = info.error if info else "not installed"
            raise PluginError(f"plugin {name!r} is not available: {why}")


def _refuse_unmarked(plugin: object) -> None:
    """A ``qhpc_`` function without ``@hookimpl`` is never called: pluggy passes it by silently.
    Refuse it, naming the hook it was probably meant to be."""
    import difflib
    import inspect

    hooks = [n for n in dir(hookspecs) if n.startswith("qhpc_") and callable(getattr(hookspecs, n))]
    for attr in dir(plugin):
        if not attr.startswith("qhpc_"):
            continue
        value = getattr(plugin, attr, None)
        if not (inspect.isfunction(value) or inspect.ismethod(value)) or hasattr(value, "qhpc_impl"):
            continue
        if attr in hooks:
            raise PluginError(f"{attr} is not marked @qhpc.hookimpl, so qhpc would never call it")
        near = difflib.get_close_matches(attr, hooks, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise PluginError(f"{attr} is not a qhpc hook{hint}, and not marked @qhpc.hookimpl: qhpc would never call it")


def _not_of_kind(hook: str, items: list[Any]) -> str | None:
    """Why a collecting hook's answer holds something of the wrong type (a backend that is not a
    :class:`~qhpc.interfaces.Backend`...), or ``None``."""
    from .interfaces import Backend, Compiler, NoiseCalibrator, ProgramFormat, Scheduler, Translator
    from .kinds import ProgramKind

    expected: type = {"qhpc_program_kinds": ProgramKind, "qhpc_program_formats": ProgramFormat,
                      "qhpc_translators": Translator, "qhpc_backends": Backend, "qhpc_late_backends": Backend,
                      "qhpc_compilers": Compiler,
                      "qhpc_noise_calibrators": NoiseCalibrator, "qhpc_schedulers": Scheduler}.get(hook, object)
    for item in items:
        ok = (isinstance(item, type) and issubclass(item, expected)) if hook == "qhpc_schedulers" \
            else isinstance(item, expected)
        if not ok:
            what = "a subclass" if hook == "qhpc_schedulers" else "an instance"
            return f"{hook} returned {item!r}, which is not {what} of {expected.__name__}"
    return None


def _refuse_wrappers(pm: pluggy.PluginManager, plugin: object) -> None:
    """qhpc calls each plugin's implementation on its own, so a wrapper (which wraps the other
    plugins' calls) has nothing to wrap: refuse it rather than register something that misbehaves."""
    for caller in pm.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                raise PluginError(
                    f"{caller.name} is implemented as a wrapper; qhpc hooks take plain implementations "
                    "(to observe hook calls, use pluggy's tracing: PluginRegistry.pm.add_hookcall_monitoring)"
                )


def _contract_mismatch(entry_point: metadata.EntryPoint) -> str | None:
    """Why a plugin's distribution cannot work with this qhpc (its ``qhpc`` requirement excludes
    the running version), or ``None``."""
    dist = _distribution(entry_point)
    if dist is None:
        return None
    name = dist.metadata["Name"]
    if name is None or name.lower() == "qhpc":
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    from . import __version__

    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower() != "qhpc" or (req.marker is not None and "extra" in str(req.marker)):
            continue
        if req.specifier and not req.specifier.contains(__version__, prereleases=True):
            return (f"{name} {dist.version} requires qhpc{req.specifier}, but this is qhpc {__version__} "
                    f"(plugin contract {hookspecs.CONTRACT_VERSION}); install a {name} built for it")
    return None


class _FilteredManager:
    """Load only the allowed entry points (stevedore's NamedExtensionManager, with our failure callback)."""

    def __init__(self, allowed: set[str], on_failure: Any) -> None:
        from stevedore import NamedExtensionManager

        self._manager = NamedExtensionManager(
            namespace=ENTRY_POINT_GROUP,
            names=sorted(allowed),
            invoke_on_load=False,
            on_load_failure_callback=on_failure,
            name_order=True,
        )

    def __iter__(self) -> Any:
        return iter(self._manager)


def _entry_points() -> list[metadata.EntryPoint]:
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _distribution(entry_point: metadata.EntryPoint) -> metadata.Distribution | None:
    """The distribution declaring ``entry_point``.

    stevedore caches entry points without their distribution, so look it up by name and value.
    """
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        for ep in _entry_points():
            if ep.name == entry_point.name and ep.value == entry_point.value:
                dist = getattr(ep, "dist", None)
                break
    return dist


def _dist(entry_point: metadata.EntryPoint) -> tuple[str | None, str | None]:
    """(distribution name, version) of the package declaring ``entry_point``."""
    dist = _distribution(entry_point)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version
