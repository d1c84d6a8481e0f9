"""The contract a vendor writes against: validated capabilities, refused wrappers, traced calls,
typed events, documented hooks and a version a plugin can bound itself by."""

from __future__ import annotations

import inspect
import re
import time
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from qhpc import (
    Backend,
    BackendCapabilities,
    BackendKind,
    CapabilityError,
    Device,
    Integrator,
    Location,
    Paradigm,
    RunOutput,
    Settings,
    hookimpl,
    hookspecs,
)
from qhpc.errors import UnknownNameError
from qhpc.integrator import LATE_BACKENDS_MISS_SECONDS
from qhpc.plugins import ENTRY_POINT_GROUP, PluginRegistry
from qhpc.testing import write_plugin_distribution
from qhpc_interop import Circuit

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("field, value", [
    ("kind", "Emulator"), ("location", "onprem"), ("device", "gpu"), ("paradigm", "gates"),
])
def test_a_misspelt_enumeration_is_refused_when_declared(field: str, value: str) -> None:
    with pytest.raises(CapabilityError, match=rf"{field}='{value}' is not one of"):
        BackendCapabilities(num_qubits=2, **{field: value})


@pytest.mark.parametrize("kwargs, message", [
    ({"num_qubits": -1}, "num_qubits=-1"),
    ({"num_qubits": 2.0}, "num_qubits=2.0"),
    ({"num_qubits": 2, "max_shots": 0}, "max_shots=0"),
    ({"num_qubits": 2, "native_gates": frozenset({"h", "cnot"})}, "unknown gate.*cnot"),
    ({"num_qubits": 2, "native_gates": "h cx"}, "set of gate names"),
    ({"num_qubits": 2, "coupling_map": ((0, 2),)}, r"invalid pair \(0, 2\)"),
    ({"num_qubits": 2, "coupling_map": ((1, 1),)}, r"invalid pair \(1, 1\)"),
    ({"num_qubits": 2, "supports_reset": "yes"}, "supports_reset='yes'"),
])
def test_other_capability_fields_are_checked(kwargs: dict, message: str) -> None:
    with pytest.raises(CapabilityError, match=message):
        BackendCapabilities(**kwargs)


def test_strings_become_enumerations_and_still_compare_as_strings() -> None:
    caps = BackendCapabilities(num_qubits=3, kind="qpu", location="remote", device="QPU", paradigm="gate",
                               native_gates=["h", "cx"], coupling_map=[[0, 1]])
    assert caps.kind is BackendKind.QPU and caps.kind == "qpu"
    assert caps.location is Location.REMOTE and caps.device is Device.QPU and caps.paradigm is Paradigm.GATE
    assert caps.native_gates == frozenset({"h", "cx"}) and caps.coupling_map == ((0, 1),)
    assert caps.to_dict()["kind"] == "qpu"


def test_a_wrapper_implementation_is_refused_at_registration() -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def qhpc_backends(self):  # type: ignore[no-untyped-def]
            result = yield
            return result

    class OldWrapper:
        @hookimpl(hookwrapper=True)
        def qhpc_compilers(self):  # type: ignore[no-untyped-def]
            yield

    registry = PluginRegistry.discover()
    registry.add("wrapper", Wrapper())
    registry.add("oldwrapper", OldWrapper())
    assert registry.infos["wrapper"].status == "failed"
    assert "qhpc_backends is implemented as a wrapper" in (registry.infos["wrapper"].error or "")
    assert registry.infos["oldwrapper"].status == "failed"
    with Integrator(registry) as it:
        assert None not in it.backends.values() and "aer.statevector" in it.backends


def test_an_unmarked_hook_and_a_wrong_item_are_refused_not_passed_by() -> None:
    # pluggy silently skips a function without @hookimpl, misspelt or not: the plugin showed as
    # loaded and provided nothing; an item of the wrong type was listed as provided and dropped
    class Unmarked:
        def qhpc_backends(self):  # type: ignore[no-untyped-def]
            return []

    class UnmarkedMisspelt:
        def qhpc_backend(self):  # type: ignore[no-untyped-def]
            return []

    class NotABackend:
        @hookimpl
        def qhpc_backends(self):  # type: ignore[no-untyped-def]
            return ["acme.string"]

    registry = PluginRegistry.discover()
    registry.add("unmarked", Unmarked())
    registry.add("misspelt", UnmarkedMisspelt())
    registry.add("notbackend", NotABackend())
    assert registry.infos["unmarked"].status == "failed"
    assert registry.infos["unmarked"].error == "qhpc_backends is not marked @qhpc.hookimpl, so qhpc would never call it"
    assert registry.infos["misspelt"].status == "failed"
    assert "qhpc_backend is not a qhpc hook (did you mean qhpc_backends?)" in (registry.infos["misspelt"].error or "")
    with Integrator(registry) as it:
        assert "aer.statevector" in it.backends and "acme.string" not in it.backends
    info = registry.infos["notbackend"]
    assert info.status == "failed"
    assert info.error == "qhpc_backends returned 'acme.string', which is not an instance of Backend"
    assert "acme.string" not in str(info.provides)


def test_late_backends_are_added_once_new_and_a_failing_late_hook_takes_only_its_plugin_out() -> None:
    class Late(Backend):
        def __init__(self, name: str) -> None:
            self.name = name

        @property
        def capabilities(self) -> BackendCapabilities:
            return BackendCapabilities(num_qubits=3)

        def run(self, circuit, *, shots, seed, memory, options, cancel):  # type: ignore[no-untyped-def]
            return RunOutput(counts={"0" * circuit.num_clbits: shots})

    class Cloud:
        """Lists nothing at start; its device comes online later."""

        def __init__(self) -> None:
            self.online = False
            self.asked: list[tuple[frozenset[str], float]] = []

        @hookimpl
        def qhpc_backends(self):  # type: ignore[no-untyped-def]
            return []

        @hookimpl
        def qhpc_late_backends(self, known, timeout):  # type: ignore[no-untyped-def]
            self.asked.append((known, timeout))
            return [Late("cloud.qpu"), Late("aer.statevector")] if self.online else []  # a taken name: ignored

    class Broken:
        @hookimpl
        def qhpc_late_backends(self, known, timeout):  # type: ignore[no-untyped-def]
            raise ConnectionError("the vendor's cloud is down")

    cloud = Cloud()
    registry = PluginRegistry.discover(allow=["builtin", "qiskit"])
    registry.add("cloud", cloud)
    registry.add("broken", Broken())
    with Integrator(registry) as it:
        aer = it.backend("aer.statevector")
        with pytest.raises(UnknownNameError, match=r"cloud\.qpu"):
            it.backend("cloud.qpu")
        assert registry.infos["broken"].status == "failed"
        assert "qhpc_late_backends raised ConnectionError: the vendor's cloud is down" in (
            registry.infos["broken"].error or "")
        known, timeout = cloud.asked[-1]
        assert "aer.statevector" in known and timeout == it.settings.capabilities_timeout
        cloud.online = True
        assert "cloud.qpu" not in it.refresh_backends()  # a listing asked a moment ago does not ask again
        time.sleep(LATE_BACKENDS_MISS_SECONDS + 0.05)
        qpu = it.backend("cloud.qpu")
        assert qpu.name == "cloud.qpu" and it.backends["cloud.qpu"] is qpu
        assert it.backend("aer.statevector") is aer  # the late duplicate did not replace it
        ran = it.run(Circuit(1, 1).x(0).measure(0, 0), backend="cloud.qpu", shots=5)
        assert ran.counts == {"0": 5}  # (this backend's own answer: the point is that it ran)


def test_pluggy_tracing_sees_every_hook_call_of_every_plugin() -> None:
    calls: list[tuple[str, list[str]]] = []

    def before(hook_name, hook_impls, kwargs):  # type: ignore[no-untyped-def]
        calls.append((hook_name, [impl.plugin_name for impl in hook_impls]))

    def after(outcome, hook_name, hook_impls, kwargs):  # type: ignore[no-untyped-def]
        pass

    registry = PluginRegistry.discover()
    undo = registry.pm.add_hookcall_monitoring(before, after)
    try:
        with Integrator(registry) as it:
            it.backends  # noqa: B018
    finally:
        undo()
    backend_calls = [plugins for name, plugins in calls if name == "qhpc_backends"]
    implementers = {impl.plugin_name for impl in registry.pm.hook.qhpc_backends.get_hookimpls()}
    assert implementers and all(len(p) == 1 for p in backend_calls)  # one plugin per call: isolation
    assert {p[0] for p in backend_calls} == implementers
    assert {"qhpc_program_formats", "qhpc_translators", "qhpc_compilers"} <= {name for name, _ in calls}


def test_a_plugin_built_for_another_contract_is_reported_and_left_out(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = "from qhpc import hookimpl\n\n@hookimpl\ndef qhpc_compilers():\n    return []\n"
    site = write_plugin_distribution(tmp_path / "old", "qhpc-oldvendor", "1.0", {"oldvendor_plugin": source},
                                     {"oldvendor": "oldvendor_plugin"}, requires=["qhpc<0.2", "numpy"])
    monkeypatch.syspath_prepend(str(site))
    info = {i.name: i for i in PluginRegistry.discover().describe()}["oldvendor"]
    assert info.status == "failed"
    assert info.error == ("qhpc-oldvendor 1.0 requires qhpc<0.2, but this is qhpc 0.2.0 (plugin contract 2); "
                          "install a qhpc-oldvendor built for it")


def test_every_installed_plugin_bounds_its_qhpc_dependency_below_the_next_contract() -> None:
    import qhpc

    current = Version(qhpc.__version__)
    next_incompatible = Version(f"{current.major}.{current.minor + 1}")
    dists = {ep.dist.metadata["Name"]: ep.dist for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
             if ep.dist is not None}
    checked = 0
    for name, dist in dists.items():
        if name == "qhpc":
            continue
        reqs = [Requirement(r) for r in dist.requires or [] if Requirement(r).name == "qhpc"]
        assert reqs, f"{name} does not declare its qhpc dependency"
        spec = reqs[0].specifier
        assert spec.contains(current), f"{name}: {spec} excludes this qhpc {current}"
        assert not spec.contains(next_incompatible), f"{name}: {spec} admits the incompatible qhpc {next_incompatible}"
        checked += 1
    assert checked >= 1
    assert hookspecs.CONTRACT_VERSION == current.minor


HOOKS = [f for n, f in vars(hookspecs).items() if n.startswith("qhpc_") and callable(f)]


@pytest.mark.parametrize("hook", HOOKS, ids=lambda f: f.__name__)
def test_every_hook_has_an_example_and_the_vendor_guide_shows_its_signature(hook) -> None:  # type: ignore[no-untyped-def]
    doc = inspect.getdoc(hook) or ""
    assert "Example::" in doc and "@hookimpl" in doc.split("Example::", 1)[1], hook.__name__
    signature = hook.__name__ + str(inspect.signature(hook)).replace("'", "")
    guide = (ROOT / "docs" / "plugins.md").read_text()
    assert f"### `{signature}`" in guide, f"docs/plugins.md lacks the heading `{signature}`"


def test_the_vendor_guide_documents_no_hook_that_does_not_exist() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    documented = set(re.findall(r"^### `(qhpc_\w+)\(", guide, flags=re.M))
    assert documented == {f.__name__ for f in HOOKS}


def test_settings_reject_unknown_keys_and_bad_values() -> None:
    from qhpc import ConfigError

    with pytest.raises(ConfigError, match=r"site: nosuch: unknown section"):
        Settings.from_mapping({"nosuch": {}}, "site")
    with pytest.raises(ConfigError, match=r"jobs.time_limit must be at least 0"):
        Settings.from_mapping({"jobs": {"time_limit": -1}})
    with pytest.raises(ConfigError, match=r"plugins.choose.backends: unknown kind"):
        Settings.from_mapping({"plugins": {"choose": {"backends": {}}}})
    with pytest.raises(ConfigError, match=r"scheduler.max_workers must be a whole number"):
        Settings.from_mapping({"scheduler": {"max_workers": True}})
    merged = Settings.from_mapping({"jobs": {"time_limit": 5}}).merged({"jobs": {"warn_seconds": 1}}, "user")
    assert merged.time_limit == 5.0 and merged.warn_seconds == 1.0


def test_runs_of_a_batch_get_independent_seeds() -> None:
    # run k of a batch was seeded seed + k: where a simulator seeds shot i with seed + i (Aer, shot
    # by shot), neighbouring runs shared all but one of their noise draws
    from qhpc.interfaces import batch_seed

    assert batch_seed(None, 3) is None and batch_seed(7, 0) == 7
    seeds = [batch_seed(7, k) for k in range(1, 200)]
    assert len(set(seeds)) == 199 and all(isinstance(s, int) and 0 <= s < 2**63 for s in seeds)
    import itertools

    assert all(abs(a - b) > 10**6 for a, b in itertools.pairwise(seeds))
