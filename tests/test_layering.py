"""La forma del paquete: capas, visibilidad e importación sin efectos.

La regla (la misma que en la tabla de módulos del README):

- ningún nombre que empiece por «_» se importa desde otro módulo; lo que varios módulos
  comparten sin ser API pública vive en módulos privados (``_core``, ``_precision``,
  ``_validation``, ``_plotting``), cuyos nombres no llevan «_»;
- un módulo público solo importa de otro módulo público lo que este declara en ``__all__``;
- los módulos de cálculo (todos menos los de presentación) no importan matplotlib,
  ipywidgets ni PIL;
- los de dibujo (``plots``, ``animation``, ``_plotting``) no importan JAX ni ningún módulo
  que calcule; ``widgets`` solo conecta: no importa JAX ni el núcleo de gradientes;
- ``vgcourse/__init__.py`` reexporta exactamente el ``__all__`` de los módulos de cálculo y
  no importa los de presentación.

El comprobador lee el código con ``ast`` (no importa nada), así que también se prueba contra
un paquete de juguete con una infracción de cada tipo: tiene que encontrarlas todas.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "vgcourse"
DISPLAY = {"plots", "animation", "widgets", "charts", "_plotting"}
DRAWING = {"plots", "animation", "charts", "_plotting"}
GRAPHICS = {"matplotlib", "ipywidgets", "PIL", "bokeh"}
#: lo que un módulo de dibujo no puede importar: el cálculo
COMPUTING = {"jax", "_core", "gradients", "sweeps", "explorer", "training", "networks", "theory"}


def _module_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return [e.value for e in node.value.elts]
    return None


def _imports(tree: ast.Module):
    """``(módulo raíz, submódulo de vgcourse o None, nombres importados)`` de cada importación."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                yield parts[0], (parts[1] if parts[0] == "vgcourse" and len(parts) > 1 else None), []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            names = [a.name for a in node.names]
            if parts == ["vgcourse"]:
                for name in names:  # «from vgcourse import plots»
                    yield "vgcourse", name, []
            else:
                yield parts[0], (parts[1] if parts[0] == "vgcourse" else None), names


def layering_violations(package: Path) -> list[str]:
    """Todas las infracciones de la regla de visibilidad y de capas en ``package``."""
    trees = {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in package.glob("*.py")}
    exported = {name: _module_all(tree) for name, tree in trees.items()}
    problems = []
    for module, tree in trees.items():
        if module == "__init__":
            continue
        public = not module.startswith("_")
        if public and exported[module] is None:
            problems.append(f"{module}: módulo público sin __all__")
        for root, sub, names in _imports(tree):
            if module not in DISPLAY and root in GRAPHICS:
                problems.append(f"{module}: un módulo de cálculo importa {root}")
            if module in DRAWING and (root == "jax" or sub in COMPUTING):
                problems.append(f"{module}: un módulo de dibujo importa {sub or root}")
            if module == "widgets" and (root == "jax" or sub in {"_core", "gradients"}):
                problems.append(f"widgets: calcula por su cuenta (importa {sub or root})")
            if root != "vgcourse" or sub is None:
                continue
            for name in names:
                if name.startswith("_"):
                    problems.append(f"{module}: importa el nombre privado {sub}.{name}")
                elif not sub.startswith("_") and name not in (exported.get(sub) or []):
                    problems.append(f"{module}: importa {sub}.{name}, que no está en su __all__")
    # el paquete reexporta exactamente el __all__ de los módulos de cálculo
    init = trees["__init__"]
    compute = {m for m in trees if not m.startswith("_") and m not in DISPLAY}
    imported = {}
    for root, sub, names in _imports(init):
        if root == "vgcourse" and sub is not None:
            if sub in DISPLAY:
                problems.append(f"__init__: importa el módulo de presentación {sub}")
            imported.setdefault(sub, set()).update(names)
    for module in sorted(compute):
        if imported.get(module, set()) != set(exported[module] or []):
            problems.append(f"__init__: no reexporta exactamente el __all__ de {module}")
    union = {n for m in compute for n in exported[m] or []}
    if set(_module_all(init) or []) != union:
        problems.append("__init__: su __all__ no es la unión de los __all__ de cálculo")
    return problems


def test_the_package_follows_the_rule():
    assert layering_violations(PACKAGE) == []


def test_the_checker_finds_each_kind_of_violation(tmp_path):
    """Un paquete de juguete con una infracción de cada tipo: el comprobador las ve todas."""
    pkg = tmp_path / "vgcourse"
    pkg.mkdir()
    files = {
        "_core.py": "import jax\ndef kernel(): ...\n",
        "gradients.py": (
            "from vgcourse._core import kernel\nimport matplotlib.pyplot as plt\n"
            "__all__ = ['layer_gradients']\ndef layer_gradients(): ...\ndef _helper(): ...\n"
            "def hidden(): ...\n"
        ),
        "theory.py": (
            "from vgcourse.gradients import _helper\nfrom vgcourse.gradients import hidden\n"
            "__all__ = ['chi1']\ndef chi1(): ...\n"
        ),
        "plots.py": "from vgcourse.gradients import layer_gradients\n__all__ = []\n",
        "widgets.py": "import jax\n__all__ = []\n",
        "training.py": "def train(): ...\n",
        "__init__.py": (
            "from vgcourse.gradients import layer_gradients\nfrom vgcourse import plots\n"
            "__all__ = ['layer_gradients']\n"
        ),
    }
    for name, text in files.items():
        (pkg / name).write_text(text, encoding="utf-8")
    found = layering_violations(pkg)
    expected = [
        "gradients: un módulo de cálculo importa matplotlib",
        "theory: importa el nombre privado gradients._helper",
        "theory: importa gradients.hidden, que no está en su __all__",
        "plots: un módulo de dibujo importa gradients",
        "widgets: calcula por su cuenta (importa jax)",
        "training: módulo público sin __all__",
        "__init__: importa el módulo de presentación plots",
        "__init__: no reexporta exactamente el __all__ de theory",
        "__init__: su __all__ no es la unión de los __all__ de cálculo",
    ]
    for message in expected:
        assert message in found, (message, found)
    assert len(found) == len(expected), found


def test_import_has_no_side_effects_and_loads_no_graphics():
    code = (
        "import sys, jax, vgcourse;"
        "assert not jax.config.jax_enable_x64, 'x64 activado al importar';"
        "assert 'matplotlib' not in sys.modules, 'el paquete importa matplotlib';"
        "assert 'ipywidgets' not in sys.modules;"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("module", sorted(p.stem for p in PACKAGE.glob("[!_]*.py")))
def test_every_name_in_all_exists(module):
    import importlib

    mod = importlib.import_module(f"vgcourse.{module}")
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, missing
