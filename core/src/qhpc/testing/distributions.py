"""Write a real (unpacked) plugin distribution to a directory, for tests of plugin discovery.

``importlib.metadata`` finds a ``*.dist-info`` directory on ``sys.path`` exactly as it finds an
installed wheel, so adding the directory to ``sys.path`` (or ``PYTHONPATH`` for a subprocess)
makes its entry points visible to qhpc, as ``pip install`` would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path


def write_plugin_distribution(directory: Path, name: str, version: str, modules: Mapping[str, str],
                              entry_points: Mapping[str, str], requires: Sequence[str] = ("qhpc>=0.2,<0.3",)) -> Path:
    """Create distribution ``name`` in ``directory`` with Python ``modules`` (module name -> source),
    ``qhpc.plugins`` ``entry_points`` (plugin name -> module) and ``requires`` (its dependencies,
    as ``Requires-Dist`` lines). Returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (directory / f"{module}.py").write_text(source)
    info = directory / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    requirements = "".join(f"Requires-Dist: {r}\n" for r in requires)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requirements}")
    lines = ["[qhpc.plugins]"] + [f"{plugin} = {module}" for plugin, module in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    (info / "RECORD").write_text("")
    return directory
