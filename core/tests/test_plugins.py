"""Plugin discovery: real entry points, failures isolated and reported, the allow-list."""

from __future__ import annotations

from pathlib import Path

import pytest
from qhpc import Integrator
from qhpc.plugins import PluginRegistry


def test_installed_plugins_load_with_their_distribution() -> None:
    infos = {i.name: i for i in PluginRegistry.discover().describe()}
    assert infos["builtin"].status == "loaded" and infos["builtin"].distribution == "qhpc"
    assert infos["qiskit"].status == "loaded" and infos["qiskit"].distribution == "qhpc-qiskit"
    assert infos["qiskit"].version
    assert "aer.statevector" in infos["qiskit"].provides["backends"]
    assert "inprocess" in infos["builtin"].provides["schedulers"]


def test_a_broken_plugin_is_reported_and_the_others_still_work(bad_plugins: Path) -> None:
    registry = PluginRegistry.discover()
    infos = {i.name: i for i in registry.describe()}
    broken = infos["broken"]
    assert broken.status == "failed"
    assert "ImportError" in broken.error and "libvendor.so" in broken.error
    assert broken.distribution == "qhpc-faulty" and broken.version == "0.3.1"
    misspelt = infos["misspelt"]
    assert misspelt.status == "failed" and "qhpc_backendz" in misspelt.error
    raising = infos["raising"]
    assert raising.status == "failed" and "vendor cloud unreachable" in raising.error
    # the healthy plugins are unaffected: a real job still runs
    with Integrator(registry) as integrator:
        assert "aer.statevector" in integrator.backends
        assert "vendor-compiler" not in integrator.compilers  # a failed plugin is left out entirely
        result = integrator.run("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nU(pi,0,pi) q[0];\nmeasure q[0] -> c[0];",
                                shots=10, seed=1)
    assert result.counts == {"1": 10}


def test_allow_list_restricts_loading(bad_plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHPC_PLUGINS", "builtin, qiskit")
    infos = {i.name: i for i in PluginRegistry.discover().describe()}
    assert infos["builtin"].status == "loaded" and infos["qiskit"].status == "loaded"
    assert infos["broken"].status == "disabled"  # never imported, so it cannot fail


def test_a_misspelt_allow_list_name_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from qhpc import PluginError

    monkeypatch.setenv("QHPC_PLUGINS", "builtin,qiskt")
    with pytest.raises(PluginError, match=r"QHPC_PLUGINS names 'qiskt', which is not installed \(installed plugins: "
                                          r".*qiskit"):
        PluginRegistry.discover()


def test_allow_list_without_qiskit_has_no_aer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QHPC_PLUGINS", "builtin")
    with Integrator() as integrator:
        assert not integrator.backends
        assert "qiskit" not in integrator.formats


def test_every_hook_is_documented_and_typed() -> None:
    """The contract file documents each hook the same way (datasette style)."""
    import inspect

    from qhpc import hookspecs

    hooks = [f for n, f in vars(hookspecs).items() if n.startswith("qhpc_") and callable(f)]
    assert len(hooks) >= 8
    for hook in hooks:
        doc = inspect.getdoc(hook) or ""
        assert (doc and ":return:" in doc) or "Notification" in doc, hook.__name__
        assert "Collected" in doc or "firstresult" in doc or "Called on every plugin" in doc, hook.__name__
        assert inspect.signature(hook).return_annotation is not inspect.Signature.empty, hook.__name__


def test_every_collecting_hook_has_an_implementation_or_is_reserved() -> None:
    registry = PluginRegistry.discover()
    implemented = {h for h in ("qhpc_program_formats", "qhpc_translators", "qhpc_backends", "qhpc_compilers",
                               "qhpc_schedulers", "qhpc_select_backend")
                   if getattr(registry.pm.hook, h).get_hookimpls()}
    assert implemented == {"qhpc_program_formats", "qhpc_translators", "qhpc_backends", "qhpc_compilers",
                           "qhpc_schedulers", "qhpc_select_backend"}


def test_a_selection_hook_that_raises_is_a_plugin_error() -> None:
    from qhpc import PluginError, hookimpl

    class BadSelector:
        @hookimpl(tryfirst=True)
        def qhpc_select_backend(self, circuit, candidates, options):  # type: ignore[no-untyped-def]
            raise RuntimeError("selector crashed")

    registry = PluginRegistry.discover()
    registry.add("bad-selector", BadSelector())
    with Integrator(registry) as integrator, pytest.raises(PluginError, match="selector crashed"):
        integrator.submit("OPENQASM 2.0;\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];")


def test_without_the_builtin_plugin_auto_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from qhpc import PluginError

    monkeypatch.setenv("QHPC_PLUGINS", "qiskit")
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    with Integrator() as integrator, pytest.raises(PluginError, match="builtin plugin left out of QHPC_PLUGINS"):
        integrator.submit(qc)
