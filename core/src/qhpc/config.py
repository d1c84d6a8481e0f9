"""Site and user configuration: one validated mapping, read from TOML files or given in Python.

Where settings come from, later ones overriding earlier ones key by key:

1. ``/etc/qhpc/site.toml`` - the centre's settings (``$QHPC_SITE_CONFIG`` names another file);
2. ``$XDG_CONFIG_HOME/qhpc/config.toml`` (``~/.config/qhpc/config.toml``) - the user's;
3. ``$QHPC_CONFIG`` - when set, the only file read (``QHPC_CONFIG=/dev/null`` reads none);
4. ``Settings.from_mapping({...})`` or ``Integrator(settings=...)`` in Python.

Every key is checked: an unknown key, a wrong type or an out-of-range value is a one-line
:class:`~qhpc.errors.ConfigError` naming the file and the key. The whole schema::

    [plugins]
    enabled = ["builtin", "qiskit"]     # load only these (QHPC_PLUGINS, when set, wins)

    [plugins.choose]                    # settle a name two plugins claim: kind -> {name: plugin}
    backend = { "aer.statevector" = "qiskit" }

    [backends]
    capabilities_timeout = 10.0         # seconds a backend may take to describe itself

    [jobs]
    time_limit = 3600.0                 # default per-job run-time limit in seconds (0: none)
    warn_seconds = 60.0                 # warn before a run whose estimate exceeds this

    [scheduler]
    name = "inprocess"                  # which scheduler places jobs
    max_workers = 2                     # in-process: jobs running at once

    [scheduler.slurm]                   # a scheduler's own settings, checked by that scheduler
    partition = "quantum"

The access server's sections (``[server]``, ``[quotas]``, ``[sessions]``, ``[peers.NAME]``,
``[client]``) are described in :mod:`qhpc.server.settings` and checked the same way.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .server.settings import SECTIONS as _SERVICE_SECTIONS
from .server.settings import ServiceSettings, parse_sections

SITE_CONFIG = Path("/etc/qhpc/site.toml")
#: The kinds of names plugins provide, and which may be contested (``[plugins.choose]`` keys).
NAME_KINDS = ("backend", "compiler", "format", "translator", "scheduler", "calibrator", "kind")


@dataclass(frozen=True)
class Settings:
    """The validated settings (see the module docstring for the TOML form)."""

    plugins_enabled: tuple[str, ...] | None = None
    #: kind -> {contested name -> the plugin chosen to provide it}
    choose: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    capabilities_timeout: float = 10.0
    time_limit: float | None = None
    warn_seconds: float = 60.0
    scheduler: str = "inprocess"
    max_workers: int | None = None
    #: scheduler name -> its own settings (``[scheduler.slurm]``: partition, account...), validated
    #: by the scheduler (:meth:`qhpc.interfaces.Scheduler.from_settings`)
    scheduler_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The access server, quotas, sessions, peers and client (:mod:`qhpc.server.settings`).
    service: ServiceSettings = field(default_factory=ServiceSettings)
    #: Where the settings came from (file names), for messages.
    sources: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "settings") -> Settings:
        """Settings from a mapping shaped like the TOML file; unknown keys and bad values raise."""
        return _parse(data, source, cls())

    def merged(self, data: Mapping[str, Any], source: str) -> Settings:
        """These settings with the keys of ``data`` (same shape) laid over them."""
        return _parse(data, source, self)

    def chosen(self, kind: str, name: str) -> str | None:
        return self.choose.get(kind, {}).get(name)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """The settings from the configuration files (or only ``path``); see the module docstring."""
    if path is not None:
        files = [Path(path)]
        required = True
    elif os.environ.get("QHPC_CONFIG"):
        files = [Path(os.environ["QHPC_CONFIG"])]
        required = True
    else:
        site = Path(os.environ.get("QHPC_SITE_CONFIG") or SITE_CONFIG)
        user_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        files = [site, user_home / "qhpc" / "config.toml"]
        required = False
    settings = Settings()
    for file in files:
        data = _read_toml(file, required)
        if data is not None:
            settings = settings.merged(data, str(file))
    return settings


def _read_toml(path: Path, required: bool) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{path}: configuration file not found") from None
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


_SCHEMA: dict[str, set[str]] = {
    "plugins": {"enabled", "choose"},
    "backends": {"capabilities_timeout"},
    "jobs": {"time_limit", "warn_seconds"},
    "scheduler": {"name", "max_workers"},
}


def _parse(data: Mapping[str, Any], source: str, base: Settings) -> Settings:
    def where(key: str) -> str:
        return f"{source}: {key}"

    def table(name: str) -> Mapping[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where(name)} must be a table, not {type(value).__name__}")
        # [scheduler.NAME] sub-tables hold a scheduler's own settings (checked by the scheduler)
        unknown = sorted(k for k in set(value) - _SCHEMA[name]
                         if not (name == "scheduler" and isinstance(value[k], Mapping)))
        if unknown:
            raise ConfigError(f"{where(name + '.' + unknown[0])}: unknown setting "
                              f"(known in [{name}]: {', '.join(sorted(_SCHEMA[name]))})")
        return value

    def number(key: str, value: Any, *, allow_zero: bool) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ConfigError(f"{where(key)} must be a number of seconds, not {value!r}")
        if value < 0 or (value == 0 and not allow_zero):
            raise ConfigError(f"{where(key)} must be {'at least 0' if allow_zero else 'positive'}, not {value!r}")
        return float(value)

    known_sections = set(_SCHEMA) | set(_SERVICE_SECTIONS)
    unknown = sorted(set(data) - known_sections)
    if unknown:
        raise ConfigError(f"{where(unknown[0])}: unknown section (known: {', '.join(sorted(known_sections))})")
    fields: dict[str, Any] = {}
    plugins = table("plugins")
    if "enabled" in plugins:
        enabled = plugins["enabled"]
        if not isinstance(enabled, list) or not all(isinstance(n, str) and n for n in enabled):
            raise ConfigError(f"{where('plugins.enabled')} must be a list of plugin names")
        fields["plugins_enabled"] = tuple(enabled)
    if "choose" in plugins:
        choose = plugins["choose"]
        if not isinstance(choose, Mapping):
            raise ConfigError(f"{where('plugins.choose')} must be a table of kind = {{name = plugin}}")
        merged = {kind: dict(names) for kind, names in base.choose.items()}
        for kind, names in choose.items():
            if kind not in NAME_KINDS:
                raise ConfigError(f"{where('plugins.choose.' + kind)}: unknown kind (known: {', '.join(NAME_KINDS)})")
            if not isinstance(names, Mapping) or not all(
                    isinstance(k, str) and isinstance(v, str) and v for k, v in names.items()):
                raise ConfigError(f"{where('plugins.choose.' + kind)} must map names to plugin names")
            merged.setdefault(kind, {}).update(names)
        fields["choose"] = merged
    backends = table("backends")
    if "capabilities_timeout" in backends:
        fields["capabilities_timeout"] = number("backends.capabilities_timeout", backends["capabilities_timeout"],
                                                allow_zero=False)
    jobs = table("jobs")
    if "time_limit" in jobs:
        limit = number("jobs.time_limit", jobs["time_limit"], allow_zero=True)
        fields["time_limit"] = limit or None
    if "warn_seconds" in jobs:
        fields["warn_seconds"] = number("jobs.warn_seconds", jobs["warn_seconds"], allow_zero=True)
    scheduler = table("scheduler")
    if "name" in scheduler:
        if not isinstance(scheduler["name"], str) or not scheduler["name"]:
            raise ConfigError(f"{where('scheduler.name')} must be a scheduler name")
        fields["scheduler"] = scheduler["name"]
    if "max_workers" in scheduler:
        workers = scheduler["max_workers"]
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"{where('scheduler.max_workers')} must be a whole number of at least 1, not {workers!r}")
        fields["max_workers"] = workers
    options = {k: dict(v) for k, v in scheduler.items() if isinstance(v, Mapping)}
    if options:
        merged_options = {k: dict(v) for k, v in base.scheduler_options.items()}
        for name, values in options.items():
            merged_options.setdefault(name, {}).update(values)
        fields["scheduler_options"] = merged_options
    from dataclasses import replace

    fields["service"] = parse_sections(data, source, base.service)
    return replace(base, **fields, sources=(*base.sources, source))
