"""Cuadernos del estudiante: cada capítulo, con sus ejercicios y sin sus soluciones.

Desde la raíz del repositorio::

    python scripts/student_notebooks.py               # escribe en _build/estudiante/
    python scripts/student_notebooks.py --out DIR     # o en otra carpeta

escribe un cuaderno por cada página de capítulo de ``_toc.yml`` (los mismos que
``scripts/sync_colab.py``), con el mismo nombre. El libro en línea ofrece esos mismos
cuadernos en cada capítulo («Descargar el cuaderno del estudiante»): los genera al
construirse la extensión ``_ext/student_downloads.py`` con :func:`student_notebook`.

Qué cambia respecto del cuaderno del capítulo:

- se quitan las celdas de código con la etiqueta ``solution`` (el cálculo de cada
  solución) y los bloques ``<details class="solucion">`` (su razonamiento);
- se quitan también las celdas ``remove-cell`` que usan variables que solo definía una
  solución (p. ej. ``vg.glue("ej3_medido", solucion)``): sin la solución darían
  ``NameError``. Si una celda *visible* dependiera de una solución, el cuaderno del
  estudiante no tendría sentido: :func:`student_notebook` lanza ``ValueError``;
- la frase de la introducción de los ejercicios que dice que las soluciones están
  plegadas debajo de cada uno se sustituye por otra que dice dónde están (en el libro en
  línea), y una nota al principio del cuaderno explica qué es;
- se borran todas las salidas: el estudiante ejecuta el cuaderno y obtiene las suyas
  (así ninguna salida guardada delata una solución, y el archivo pesa mucho menos).

Todo lo demás (la celda de instalación de Colab, el texto, las figuras por calcular, las
celdas de los ejercicios con ``vg.check``) se queda igual y en el mismo orden.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

from sync_colab import ROOT, chapter_paths

#: etiqueta de las celdas que calculan la solución de un ejercicio
SOLUTION_TAG = "solution"
#: etiqueta de las celdas que el libro no muestra (``glue`` y cálculos auxiliares)
REMOVE_TAG = "remove-cell"
#: etiqueta de la nota que este script añade al principio del cuaderno
NOTE_TAG = "student-note"
#: el razonamiento de una solución, plegado, en una celda de texto
SOLUTION_BLOCK = re.compile(r'[ \t]*<details class="solucion">.*?</details>[ \t]*\n?', re.S)
#: una frase que afirma que las soluciones están plegadas (debajo de cada ejercicio): empieza
#: una línea o sigue a otra frase, y dice «plegad…» y «soluci…»
FOLDED_CLAIM = re.compile(r"(?:^|(?<=\. ))(?=[^.\n]*plegad)(?=[^.\n]*soluci)[^.\n]*\.", re.I | re.M)
#: lo que dice ahora esa frase
WHERE_SOLUTIONS = ("Las soluciones no están en este cuaderno: en el libro en línea, cada una "
                   "está plegada debajo de su ejercicio.")

NOTE_WITH_EXERCISES = (
    "**Cuaderno del estudiante.** Es el cuaderno de esta página del curso sin las soluciones "
    "de los ejercicios y sin los resultados ya calculados: ejecuta las celdas en orden. En cada "
    "ejercicio, escribe tu predicción en `respuesta` y ejecuta su celda: `vg.check` te dice si "
    "aciertas y, si no, te da una pista. Las soluciones razonadas, con el cálculo que las "
    "comprueba, están en el libro en línea, plegadas debajo de cada ejercicio."
)
NOTE_WITHOUT_EXERCISES = (
    "**Cuaderno del estudiante.** Es el cuaderno de esta página del curso sin los resultados "
    "ya calculados: ejecuta las celdas en orden para obtener las figuras y las cifras. Esta "
    "página no tiene ejercicios."
)


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _python(source: str) -> ast.Module | None:
    """El código de una celda como árbol de Python (las órdenes mágicas, traducidas)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager  # noqa: PLC0415

        source = TransformerManager().transform_cell(source)
    except ImportError:
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _names(source: str) -> tuple[set[str], set[str]]:
    """Los nombres que una celda define y los que lee."""
    tree = _python(source)
    defined: set[str] = set()
    loaded: set[str] = set()
    if tree is None:
        return defined, loaded
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return defined, loaded


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """El cuaderno del estudiante de ``nb``: una copia sin soluciones y sin salidas.

    Args:
        nb: un cuaderno de capítulo (nbformat 4), que no se modifica.

    Returns:
        Un cuaderno nuevo con las mismas celdas en el mismo orden, menos las de las
        soluciones (y las ocultas que dependen de ellas), con una nota al principio y sin
        salidas.

    Raises:
        ValueError: si una celda visible usa una variable que solo define una solución.
    """
    out = copy.deepcopy(nb)
    kept = []
    only_in_solutions: set[str] = set()  # nombres que define una solución quitada
    defined: set[str] = set()  # nombres que definen las celdas que se quedan
    removed = 0
    for index, cell in enumerate(out.cells):
        tags = _tags(cell)
        if cell.cell_type == "code" and SOLUTION_TAG in tags:
            only_in_solutions |= _names(cell.source)[0] - defined
            removed += 1
            continue
        if cell.cell_type == "markdown":
            text, n = SOLUTION_BLOCK.subn("", cell.source)
            if n:
                removed += n
                if not text.strip():
                    continue
                text = text.strip("\n")
            cell.source = FOLDED_CLAIM.sub(WHERE_SOLUTIONS, text)
        if cell.cell_type == "code":
            own, loaded = _names(cell.source)
            orphans = (loaded - own - defined) & only_in_solutions
            if orphans:
                if REMOVE_TAG not in tags:
                    raise ValueError(
                        f"la celda {index} se muestra en el libro pero usa {sorted(orphans)}, que "
                        "solo define la celda de una solución: el cuaderno del estudiante no "
                        "puede quitar la solución sin romperla"
                    )
                only_in_solutions |= own - defined
                continue
            defined |= own
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        kept.append(cell)

    note = nbformat.v4.new_markdown_cell(NOTE_WITH_EXERCISES if removed else NOTE_WITHOUT_EXERCISES)
    note.metadata["tags"] = [NOTE_TAG]
    if out.nbformat_minor < 5:
        note.pop("id", None)
    title = 1 if kept and kept[0].cell_type == "markdown" and kept[0].source.startswith("# ") else 0
    kept.insert(title, note)
    out.cells = kept
    # el estado de los widgets describe salidas que ya no están
    out.metadata.pop("widgets", None)
    return out


def write_all(out_dir: Path) -> list[Path]:
    """Escribe el cuaderno del estudiante de cada capítulo en ``out_dir``; devuelve las rutas."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapter_paths():
        student = student_notebook(nbformat.read(path, as_version=4))
        target = out_dir / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Escribe los cuadernos del estudiante (sin soluciones ni salidas) de "
                    "cada capítulo.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "estudiante",
                        metavar="CARPETA",
                        help="carpeta de salida (por defecto, _build/estudiante/)")
    args = parser.parse_args(argv)
    for path in write_all(args.out):
        print(f"escrito: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
