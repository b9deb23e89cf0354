"""Los cuadernos del estudiante y los dos botones para ejecutar un capítulo (Colab y Binder).

- ``scripts/student_notebooks.py``: cada capítulo conserva todos sus ejercicios y pierde
  todas sus soluciones (y nada más); el del capítulo 1 se ejecuta de principio a fin.
- El sitio construido (se salta si no existe ``_build/html``): cada página de capítulo
  enlaza su cuaderno del estudiante, que existe y no tiene soluciones, y sus enlaces de
  Binder y de Colab apuntan al cuaderno de esa página en el repositorio de ``_config.yml``.
- Binder construye el entorno del curso: ``requirements.txt`` instala el paquete y
  ``runtime.txt`` pide una versión de Python que el paquete admite.
"""

from __future__ import annotations

import html
import re
import time
import tomllib

import nbformat
import pytest

from helpers import CHAPTERS, CONFIG, ROOT, import_from, load_notebook

student_notebooks = import_from("scripts", "student_notebooks")
student_notebook = student_notebooks.student_notebook

SITE = ROOT / "_build" / "html"
needs_site = pytest.mark.skipif(
    not SITE.exists(), reason="el libro no está construido (jupyter-book build --all .)"
)

#: la celda de un ejercicio: lo que escribe el estudiante, y la comprobación
CHECK_CELL = re.compile(r'vg\.check\("(\w+)", respuesta\)')
EXERCISE = re.compile(r"\*\*Ejercicio (\d+)\.\*\*")
SOLUTION_BLOCK = '<details class="solucion">'
#: la variable de cada solución, y las que asigna una celda (``a = …``, ``a, b = …``)
SOLUTION_NAME = re.compile(r"\bsolucion\b")
ASSIGNED = re.compile(r"^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)", re.M)
NOTE = "Cuaderno del estudiante"


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def exercises(nb) -> tuple[list[str], list[str]]:
    """Las celdas de ejercicio (``vg.check(…, respuesta)``) y los números de los enunciados."""
    checks = [c.source for c in nb.cells if c.cell_type == "code"
              and CHECK_CELL.search(c.source) and "solution" not in tags(c)]
    numbers = [n for c in nb.cells if c.cell_type == "markdown"
               for n in EXERCISE.findall(c.source)]
    return checks, numbers


def assert_student(original, student) -> None:
    """``student`` es el cuaderno del estudiante de ``original``: mismos ejercicios, ninguna
    solución, ninguna salida y, fuera de eso, las mismas celdas en el mismo orden."""
    checks, numbers = exercises(original)
    assert exercises(student) == (checks, numbers), "falta (o sobra) algún ejercicio"
    assert len(checks) == len(numbers)
    for cell in student.cells:
        assert "solution" not in tags(cell), cell.source[:80]
        assert SOLUTION_BLOCK not in cell.source, cell.source[:80]
        assert not SOLUTION_NAME.search(cell.source), cell.source[:80]
        assert "Debajo de cada ejercicio" not in cell.source, cell.source[:80]
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]

    notes = [i for i, c in enumerate(student.cells)
             if c.cell_type == "markdown" and NOTE in c.source]
    assert notes == [1], "la nota va justo después del título"
    note = student.cells[1].source
    assert ("sin las soluciones" in note and "libro en línea" in note) == bool(checks), note

    # lo demás, en el mismo orden; cada celda que falta es una solución o depende de una
    kept = {c.get("id"): c for i, c in enumerate(student.cells) if i != 1}
    order = [c.get("id") for c in original.cells if c.get("id") in kept]
    assert order == list(kept), "las celdas han cambiado de orden"
    solution_names = {"solucion"}
    changed = 0
    for cell in original.cells:
        if cell.cell_type == "code" and "solution" in tags(cell):
            solution_names |= {n.strip() for m in ASSIGNED.findall(cell.source)
                               for n in m.split(",")}
            continue
        if cell.get("id") not in kept:
            is_reasoning = (cell.cell_type == "markdown"
                            and cell.source.lstrip().startswith(SOLUTION_BLOCK))
            uses_solution = "remove-cell" in tags(cell) and any(
                re.search(rf"\b{re.escape(n)}\b", cell.source) for n in solution_names)
            assert is_reasoning or uses_solution, (
                f"se ha quitado una celda que no es una solución: {cell.source[:80]}")
            continue
        new = kept[cell.get("id")].source
        if new != cell.source:
            assert cell.cell_type == "markdown", f"código cambiado: {cell.source[:80]}"
            assert "plegad" in cell.source and student_notebooks.WHERE_SOLUTIONS in new, new[:200]
            changed += 1
    assert changed <= 1


@pytest.mark.parametrize("name", CHAPTERS)
def test_student_notebook_keeps_every_exercise_and_no_solution(name):
    original = load_notebook(name)
    before = nbformat.writes(original)
    student = student_notebook(original)
    assert nbformat.writes(original) == before, "student_notebook no toca el cuaderno original"
    nbformat.validate(student)
    assert_student(original, student)


def test_every_chapter_with_exercises_loses_its_solutions():
    """El recuento de la prueba anterior no es trivial: hay ejercicios y soluciones que quitar."""
    with_exercises = [n for n in CHAPTERS if exercises(load_notebook(n))[0]]
    assert len(with_exercises) >= 8
    for name in with_exercises:
        original = load_notebook(name)
        solutions = [c for c in original.cells if "solution" in tags(c)]
        assert len(solutions) == len(exercises(original)[0]), name
        assert len(student_notebook(original).cells) < len(original.cells), name


def _md(source, **meta):
    return nbformat.v4.new_markdown_cell(source, metadata=meta)


def _code(source, *cell_tags):
    return nbformat.v4.new_code_cell(source,
                                     metadata={"tags": list(cell_tags)} if cell_tags else {})


def test_student_notebook_handles_the_edge_cases():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _md("# Título"),
        _code("data = 1\nimport vgcourse as vg"),
        # el enunciado y su razonamiento en la misma celda: se queda el enunciado
        _md("**Ejercicio 1.** ¿Cuánto?\n\n<details class=\"solucion\">\n<summary>Solución del "
            "ejercicio 1</summary>\n\nPorque sí.\n\n</details>\n"),
        _md("Predice. Debajo de cada ejercicio, plegados, están el razonamiento de la solución y "
            "el cálculo. Sigue."),
        _code('respuesta = None  # tu respuesta\nvg.check("a", respuesta)'),
        _code("# @title Cálculo\ndata = 2\nimport math as m\nsolucion = m.pi",
              "hide-cell", "solution"),
        _code('vg.glue("x", solucion)', "remove-cell"),  # depende de la solución: se va
        _code("extra = m.tau", "remove-cell"),  # depende de un import de la solución: se va
        _code("print(extra)", "remove-cell"),  # y esta, de la anterior
        _code("print(data)"),  # ``data`` ya existía: se queda
    ]
    nb.cells[4].outputs = [nbformat.v4.new_output("stream", text="hola")]
    nb.cells[4].execution_count = 3
    student = student_notebook(nb)
    sources = [c.source for c in student.cells]
    assert sources[0] == "# Título" and NOTE in sources[1] and "libro en línea" in sources[1]
    assert sources[2:] == [
        "data = 1\nimport vgcourse as vg",
        "**Ejercicio 1.** ¿Cuánto?",
        f"Predice. {student_notebooks.WHERE_SOLUTIONS} Sigue.",
        'respuesta = None  # tu respuesta\nvg.check("a", respuesta)',
        "print(data)",
    ]
    assert student.cells[5].outputs == [] and student.cells[5].execution_count is None
    assert nb.cells[4].execution_count == 3  # el original, intacto
    # una celda visible que usa la solución no se puede quitar en silencio
    nb.cells.append(_code("print(solucion)"))
    with pytest.raises(ValueError, match="solucion"):
        student_notebook(nb)
    # sin ejercicios, la nota lo dice
    plain = nbformat.v4.new_notebook(cells=[_md("# Título"), _code("x = 1")])
    assert "no tiene ejercicios" in student_notebook(plain).cells[1].source


def test_script_writes_one_student_notebook_per_chapter_page(tmp_path, capsys):
    assert student_notebooks.main(["--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{n.split('/')[-1]}.ipynb" for n in CHAPTERS)
    assert capsys.readouterr().out.count("escrito:") == len(CHAPTERS)
    for name in CHAPTERS:
        nb = nbformat.read(tmp_path / f"{name.split('/')[-1]}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert_student(load_notebook(name), nb)


def test_student_notebook_of_chapter_1_runs_top_to_bottom(tmp_path):
    """Como lo ejecutaría un estudiante: el cuaderno descargado, solo, en una carpeta vacía."""
    from nbclient import NotebookClient

    nb = student_notebook(load_notebook(CHAPTERS[0]))
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    elapsed = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == [], errors[:1]
    # cada ejercicio, sin respuesta todavía, pide una
    for cell in nb.cells:
        if CHECK_CELL.search(cell.source):
            shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                            for o in cell.outputs)
            assert "Escribe tu respuesta" in shown, shown[:200]
    print(f"capítulo 1 del estudiante: {elapsed:.0f} s")


# ---------------------------------------------------------------------------------------
# El sitio construido
# ---------------------------------------------------------------------------------------
STUDENT_LINK = re.compile(
    r'<a\b[^>]*\bhref="([^"]+\.ipynb)"[^>]*>(?:(?!</a>).)*?'
    r"Descargar el cuaderno del estudiante</a>",
    re.S,
)
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"', re.I)


def page_of(name: str) -> str:
    return (SITE / f"{name}.html").read_text(encoding="utf-8")


@needs_site
@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_page_offers_its_student_notebook(name):
    links = STUDENT_LINK.findall(page_of(name))
    assert len(links) == 1, f"{name}: {len(links)} enlaces «Descargar el cuaderno del estudiante»"
    target = ((SITE / name).parent / html.unescape(links[0])).resolve()
    assert target.is_relative_to(SITE.resolve()) and target.is_file(), links[0]
    nb = nbformat.read(target, as_version=4)
    nbformat.validate(nb)
    assert_student(load_notebook(name), nb)


def repository() -> tuple[str, str, str, str]:
    """Propietario, repositorio, rama y carpeta del libro, según ``_config.yml``."""
    repo = CONFIG["repository"]
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repo["url"])
    assert m, f"repository.url no es un repositorio de GitHub: {repo['url']}"
    return m[1], m[2], repo.get("branch", "main"), repo.get("path_to_book", "").strip("/")


@needs_site
@pytest.mark.parametrize("name", CHAPTERS)
def test_launch_links_of_chapter_page_are_well_formed(name):
    owner, repo, branch, book = repository()
    path = f"{book}/{name}.ipynb".lstrip("/")
    assert (ROOT / path).is_file()
    launch = CONFIG["launch_buttons"]
    binder = launch.get("binderhub_url", "").rstrip("/")
    assert binder.startswith("https://"), "falta launch_buttons.binderhub_url en _config.yml"
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[launch.get("notebook_interface", "classic")]
    hrefs = [html.unescape(h) for h in HREF.findall(page_of(name))]

    binder_links = [h for h in hrefs if h.startswith(binder + "/")]
    assert binder_links == [f"{binder}/v2/gh/{owner}/{repo}/{branch}?urlpath={ui}/{path}"]
    m = re.fullmatch(r"https://[\w.-]+/v2/gh/([\w.-]+)/([\w.-]+)/([\w./-]+)\?urlpath=(?:lab/)?tree/"
                     r"([\w/.-]+\.ipynb)", binder_links[0])
    assert m and m.groups() == (owner, repo, branch, path), binder_links[0]

    colab = launch["colab_url"].rstrip("/")
    colab_links = [h for h in hrefs if h.startswith(colab + "/")]
    assert colab_links == [f"{colab}/github/{owner}/{repo}/blob/{branch}/{path}"]


def test_binder_builds_the_course_environment():
    """repo2docker instala ``requirements.txt`` (con ``-e .``, el paquete) en el Python de
    ``runtime.txt``; sin él usaría su Python por defecto (3.10), que el paquete no admite."""
    lines = [line.split("#")[0].strip() for line in
             (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    assert "-e ." in lines
    runtime = (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    m = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert m, runtime
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = re.fullmatch(r">=\s*3\.(\d+)", project["requires-python"])
    assert minimum and int(m[1]) >= int(minimum[1]), (runtime, project["requires-python"])
