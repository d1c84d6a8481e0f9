"""Plugin discovery: stevedore finds the ``qhpc.plugins`` entry points, pluggy manages the hooks.

A plugin that fails to import, or whose hook implementations do not match the contract, is
recorded with its error (``qhpc plugins`` shows it) and left out; the others load as usual.
``QHPC_PLUGINS=a,b`` restricts loading to the named plugins (the built-ins included only if named,
so a batch job can pin exactly what it uses); the others are listed as disabled.
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
from .errors import PluginError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "qhpc.plugins"
ALLOW_LIST_ENV = "QHPC_PLUGINS"

#: The hooks that collect lists, and what they provide (for reports).
COLLECTING_HOOKS = {
    "qhpc_program_formats": "formats",
    "qhpc_translators": "translators",
    "qhpc_backends": "backends",
    "qhpc_compilers": "compilers",
    "qhpc_noise_calibrators": "noise calibrators",
    "qhpc_schedulers": "schedulers",
}


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

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def allow_list_from_env() -> set[str] | None:
    raw = os.environ.get(ALLOW_LIST_ENV)
    if raw is None or not raw.strip():
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


class PluginRegistry:
    """The loaded plugins, their pluggy manager, and a per-plugin-safe way to call collecting hooks."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def discover(cls, allow: Iterable[str] | None = None) -> PluginRegistry:
        """Load every plugin of the entry point group (only those in ``allow``, or ``$QHPC_PLUGINS``)."""
        registry = cls()
        allowed = set(allow) if allow is not None else allow_list_from_env()
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
                    ep.name, ep.value, *_dist(ep), status="disabled", error=f"not in {ALLOW_LIST_ENV}"
                )
        if allowed is not None:
            for name in sorted(allowed - {ep.name for ep in _entry_points()}):
                registry.infos[name] = PluginInfo(
                    name, "?", None, None, status="failed", error=f"{ALLOW_LIST_ENV} names {name!r}, which is not installed"
                )
        return registry

    def add(self, name: str, module: ModuleType | object, entry_point: metadata.EntryPoint | None = None) -> None:
        """Register a plugin module (or object); a contract violation marks it failed instead."""
        dist, version = _dist(entry_point) if entry_point is not None else (None, None)
        info = PluginInfo(name, getattr(module, "__name__", repr(module)), dist, version)
        self.infos[name] = info
        try:
            self.pm.register(module, name=name)
            self.pm.check_pending()
        except Exception as exc:  # a misspelt hook, a bad signature
            if self.pm.is_registered(module):
                self.pm.unregister(module)
            info.status = "failed"
            info.error = f"{type(exc).__name__}: {exc}"
            log.warning("qhpc plugin %s rejected: %s", name, exc)

    # -- calling hooks --------------------------------------------------------------------
    def collect(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a collecting hook on each plugin separately; a plugin that raises is marked failed.

        Returns ``(plugin name, item)`` pairs in registration order.
        """
        out: list[tuple[str, Any]] = []
        caller = getattr(self.pm.hook, hook)
        for impl in list(caller.get_hookimpls()):  # registration (load) order
            name = impl.plugin_name
            try:
                items = impl.function(**{k: kwargs[k] for k in impl.argnames if k in kwargs})
            except Exception as exc:
                self._mark_failed(name, f"{hook} raised {type(exc).__name__}: {exc}")
                continue
            if items is None:
                continue
            try:
                listed = list(items)
            except TypeError:
                self._mark_failed(name, f"{hook} must return a list, got {type(items).__name__}")
                continue
            out.extend((name, item) for item in listed)
            info = self.infos.get(name)
            if info is not None and hook in COLLECTING_HOOKS:
                labels = [str(getattr(item, "name", item)) for item in listed]
                info.provides.setdefault(COLLECTING_HOOKS[hook], []).extend(
                    label for label in labels if label not in info.provides.get(COLLECTING_HOOKS[hook], [])
                )
        return out

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
        """Every known plugin with what it provides (calls each collecting hook once)."""
        for hook in COLLECTING_HOOKS:
            self.collect(hook)
        return sorted(self.infos.values(), key=lambda i: (i.status != "loaded", i.name))

    def require_loaded(self, name: str) -> None:
        info = self.infos.get(name)
        if info is None or info.status != "loaded":
            why = info.error if info else "not installed"
            raise PluginError(f"plugin {name!r} is not available: {why}")


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


def _dist(entry_point: metadata.EntryPoint) -> tuple[str | None, str | None]:
    """(distribution name, version) of the package declaring ``entry_point``.

    stevedore caches entry points without their distribution, so look it up by name and value.
    """
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        for ep in _entry_points():
            if ep.name == entry_point.name and ep.value == entry_point.value:
                dist = getattr(ep, "dist", None)
                break
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version
