"""Piezas compartidas por las pruebas: el libro (capítulos, configuración), las activaciones
escritas a mano en NumPy y un contador de compilaciones de JAX.

Las pruebas importan de aquí (``from helpers import ...``); ningún archivo de pruebas importa
de otro.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import jax.monitoring
import nbformat
import numpy as np
import yaml
from scipy.special import expit, ndtr

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def import_from(folder: str, name: str):
    """Importa ``<folder>/<name>.py`` de la raíz del repositorio (``scripts/``, ``_ext/``):
    las pruebas comprueban lo mismo que esos scripts y extensiones hacen."""
    sys.path.insert(0, str(ROOT / folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


sync_colab = import_from("scripts", "sync_colab")


# ---------------------------------------------------------------------------------------
# El libro
# ---------------------------------------------------------------------------------------
#: los cuadernos de ``chapters/`` en el orden de ``_toc.yml`` (sin la extensión)
CHAPTERS = [str(p.relative_to(ROOT).with_suffix("")) for p in sync_colab.chapter_paths()]


def _chapter_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for name in CHAPTERS:
        groups.setdefault(name.split("/")[-1][:2], []).append(name)
    return groups


#: los cuadernos de cada capítulo, por su número (``"04"``: la presentación y sus páginas)
CHAPTER_GROUPS = _chapter_groups()


def load_notebook(name: str) -> nbformat.NotebookNode:
    """El cuaderno ``name`` (p. ej. ``"chapters/01_problema"``), como lo guarda el repositorio."""
    return nbformat.read(ROOT / f"{name}.ipynb", as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


# ---------------------------------------------------------------------------------------
# Activaciones y derivadas escritas a mano en NumPy: referencia independiente de jax.nn
# ---------------------------------------------------------------------------------------
SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _np_phi_dphi():
    s = expit
    pdf = lambda x: np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)  # noqa: E731
    return {
        "sigmoid": (s, lambda x: s(x) * (1 - s(x))),
        "tanh": (np.tanh, lambda x: 4 * np.exp(-2 * np.abs(x)) / (1 + np.exp(-2 * np.abs(x))) ** 2),
        "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
        "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1.0, 0.01)),
        "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
                lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
        "gelu": (lambda x: x * ndtr(x), lambda x: ndtr(x) + x * pdf(x)),
        "selu": (lambda x: SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
                 lambda x: SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))),
        "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
        "silu": (lambda x: x * s(x), lambda x: s(x) * (1 + x * (1 - s(x)))),
        "identity": (lambda x: x, lambda x: np.ones_like(x)),
    }


NP_ACTIVATIONS = _np_phi_dphi()
ALL_ACTIVATIONS = tuple(NP_ACTIVATIONS)


# ---------------------------------------------------------------------------------------
# Compilaciones, contadas con la API pública de JAX (jax.monitoring)
# ---------------------------------------------------------------------------------------
_BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"


@contextlib.contextmanager
def count_compilations() -> Iterator[collections.Counter]:
    """Cuenta las compilaciones de XLA dentro del bloque, por nombre de función.

    Ejemplo::

        with count_compilations() as compiled:
            f(x)
        compiled["jit(f)"]   # veces que se compiló f (0 si ya estaba en la caché)
    """
    counts: collections.Counter = collections.Counter()

    def listener(event: str, _duration: float, **kwargs) -> None:
        if event == _BACKEND_COMPILE:
            counts[kwargs.get("fun_name", "?")] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield counts
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
