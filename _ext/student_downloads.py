"""Extensión local: el cuaderno del estudiante de cada capítulo, para descargar desde su página.

Al escribir la página HTML de cada capítulo (cada cuaderno de ``chapters/``), esta
extensión:

- genera su cuaderno del estudiante (sin soluciones ni salidas) con
  ``student_notebook`` de ``scripts/student_notebooks.py``, el mismo que escribe
  ``python scripts/student_notebooks.py``, y lo deja en
  ``_downloads/estudiante/<nombre>.ipynb`` dentro del sitio;
- pone debajo del título de la página el enlace «Descargar el cuaderno del estudiante».

Se llama ``student_downloads`` y no ``student_notebooks`` para no tapar, en ``sys.path``,
al módulo del script, que importa. ``tests/test_student_notebooks.py`` comprueba el enlace
y el archivo de cada capítulo en el sitio construido.
"""

from __future__ import annotations

import html
import importlib
import sys
from pathlib import Path

import nbformat
from sphinx.errors import ExtensionError

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
#: carpeta del sitio con los cuadernos del estudiante
FOLDER = "_downloads/estudiante"
LINK_TEXT = "Descargar el cuaderno del estudiante"
LINK_TITLE = ("Esta página en un cuaderno de Jupyter para ejecutarlo, sin las soluciones de los "
              "ejercicios")


def _student_notebook():
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module("student_notebooks").student_notebook
    finally:
        sys.path.remove(str(SCRIPTS))


student_notebook = _student_notebook()


def download_link(href: str, filename: str) -> str:
    """El párrafo con el enlace de descarga que va debajo del título."""
    return (
        f'<p class="vg-student-notebook"><a class="reference download" href="{html.escape(href)}"'
        f' download="{html.escape(filename)}" title="{LINK_TITLE}">'
        f"{LINK_TEXT}</a></p>"  # el tema pone el icono de descarga (clase ``download``)
    )


def add_after_title(body: str, link: str) -> str:
    """Inserta ``link`` justo después del primer ``</h1>`` (o al principio, si no hay)."""
    end = body.find("</h1>")
    if end < 0:
        return link + body
    end += len("</h1>")
    return body[:end] + "\n" + link + body[end:]


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    if doctree is None or not pagename.startswith("chapters/") or "body" not in context:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb":
        return
    try:
        student = student_notebook(nbformat.read(source, as_version=4))
    except ValueError as err:
        raise ExtensionError(f"{pagename}: {err}") from err
    target = Path(app.outdir) / FOLDER / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(student, target)
    href = context["pathto"](f"{FOLDER}/{source.name}", 1)
    context["body"] = add_after_title(
        context["body"], download_link(href, f"{source.stem}_estudiante.ipynb")
    )


def setup(app):
    app.connect("html-page-context", _on_page_context)
    static = str(Path(__file__).parent / "static")
    app.connect("builder-inited", lambda app: app.config.html_static_path.append(static)
                if static not in app.config.html_static_path else None)
    app.add_css_file("estudiante.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
