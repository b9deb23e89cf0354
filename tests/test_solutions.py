"""Ejercicios de los capítulos: cada uno tiene su solución oculta, y la solución aprueba.

Convención de los cuadernos (la misma en todos los capítulos):

- la celda del ejercicio deja la respuesta al lector::

      respuesta = None  # tu predicción
      vg.check("nombre", respuesta)

- justo después, la celda de la solución, con las etiquetas ``hide-cell`` (el libro la
  muestra plegada, con el botón «Mostrar la solución») y ``solution``; calcula
  ``solucion`` con el motor y termina con ``vg.check("nombre", solucion)``.

Aquí se ejecuta cada solución (con la celda de importaciones de su capítulo) y se exige
que :func:`vgcourse.check` la dé por buena y, además, que calcule **la misma** cantidad que la
referencia del paquete (``EXERCISES[nombre].reference()``, hasta el redondeo): la solución que
lee el estudiante y el juez no pueden medir redes distintas. nbval, además, compara la salida
«✔ Correcto» guardada en el cuaderno.
"""

from __future__ import annotations

import re

import nbformat
import pytest

import vgcourse as vg
from vgcourse.exercises import EXERCISES
from helpers import CHAPTER_GROUPS, CHAPTERS, ROOT, code_cells

EXERCISE_RE = re.compile(r'^respuesta = None\b.*\nvg\.check\("(\w+)", respuesta\)$', re.S)
SOLUTION_RE = re.compile(r'\nvg\.check\("(\w+)", solucion\)$')


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / f"{name}.ipynb", as_version=4)


def exercises(nb) -> list[tuple[str, nbformat.NotebookNode, nbformat.NotebookNode | None]]:
    """``(nombre, celda del ejercicio, celda siguiente)`` para cada ejercicio del cuaderno."""
    cells = code_cells(nb)
    found = []
    for i, cell in enumerate(cells):
        m = EXERCISE_RE.match(cell.source)
        if m:
            found.append((m[1], cell, cells[i + 1] if i + 1 < len(cells) else None))
    return found


def solutions() -> list[tuple[str, int, str]]:
    return [
        (name, i, cell.source)
        for name in CHAPTERS
        for i, cell in enumerate(code_cells(load(name)))
        if "solution" in cell.metadata.get("tags", [])
    ]


@pytest.mark.parametrize("chapter", sorted(CHAPTER_GROUPS))
def test_every_chapter_has_exercises_with_hidden_solutions(chapter):
    found = [f for name in CHAPTER_GROUPS[chapter] for f in exercises(load(name))]
    assert len(found) >= 2, "cada capítulo tiene al menos dos ejercicios comprobados"
    for exercise, cell, solution in found:
        assert exercise in EXERCISES, exercise
        assert solution is not None, f"{exercise}: falta la celda de la solución"
        tags = solution.metadata.get("tags", [])
        assert "solution" in tags and "hide-cell" in tags, f"{exercise}: solución sin ocultar"
        m = SOLUTION_RE.search(solution.source)
        assert m and m[1] == exercise, f"{exercise}: la solución debe terminar con vg.check"
        prompt = solution.metadata.get("mystnb", {})
        assert "solución" in prompt.get("code_prompt_show", ""), exercise
        assert "solución" in prompt.get("code_prompt_hide", ""), exercise
        # la pregunta sin respuesta no delata la solución; la solución guardada dice «Correcto»
        (asked,) = [o["data"]["text/plain"] for o in cell.outputs if "data" in o]
        assert "Escribe tu respuesta" in asked
        (solved,) = [o["data"]["text/plain"] for o in solution.outputs if "data" in o]
        assert solved.startswith("✔ Correcto"), solved


def test_every_exercise_is_asked_in_exactly_one_chapter():
    asked = [ex for name in CHAPTERS for ex, _, _ in exercises(load(name))]
    assert sorted(asked) == sorted(EXERCISES), "cada ejercicio del paquete, una vez en el libro"


@pytest.fixture(scope="module")
def setup_namespaces():
    """La celda de importaciones de cada capítulo (la segunda celda de código), ejecutada."""
    spaces = {}
    for name in CHAPTERS:
        ns: dict = {}
        exec(compile(code_cells(load(name))[1].source, f"{name}:setup", "exec"), ns)
        spaces[name] = ns
    return spaces


@pytest.mark.parametrize(
    "chapter,index,source", solutions(), ids=lambda v: v if isinstance(v, str) and "\n" not in v else ""
)
def test_solution_passes_its_check(setup_namespaces, chapter, index, source):
    ns = dict(setup_namespaces[chapter])
    exec(compile(source, f"{chapter}:solución {index}", "exec"), ns)
    exercise = SOLUTION_RE.search(source)[1]
    feedback = vg.check(exercise, ns["solucion"])
    assert feedback.correct is True, feedback.message
    assert feedback.message.startswith("✔ Correcto")
    ex = EXERCISES[exercise]
    if ex.accept is None:  # una respuesta que es un valor: el de la referencia
        assert float(ns["solucion"]) == pytest.approx(float(ex.reference()), rel=1e-9)


@pytest.mark.parametrize("name", CHAPTERS)
def test_each_solution_explains_its_reasoning_before_the_code(name):
    """Antes del cálculo de cada solución, un párrafo plegado (un ``<details>``, que también se
    pliega en Colab) con el razonamiento; el cálculo deja de explicar en comentarios."""
    cells = load(name).cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or "solution" not in cell.metadata.get("tags", []):
            continue
        before = cells[i - 1]
        assert before.cell_type == "markdown", cell.source[:80]
        m = re.fullmatch(r'<details class="solucion">\n<summary>Solución del ejercicio (\d+)</summary>'
                         r"\n\n(.+)\n\n</details>", before.source, re.S)
        assert m, before.source[:120]
        assert len(m[2].split()) >= 15, f"razonamiento demasiado corto: {m[2]!r}"
        assert f"ejercicio {m[1]}" in cell.metadata["mystnb"]["code_prompt_show"]
        comments = [ln for ln in cell.source.splitlines()[1:] if ln.lstrip().startswith("#")]
        assert len(comments) <= 3, "el razonamiento va en el párrafo, no en comentarios"
