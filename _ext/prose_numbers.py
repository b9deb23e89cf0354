"""Extensión local: los números y las figuras, como los escribe y los lee un libro en español.

- **Potencias de diez.** El texto cita con ``glue`` valores formateados por Python (``.1e``),
  que saldrían como ``1.4e-31``. En el texto corrido (párrafos, listas, tablas, leyendas de
  figura) se reescriben como ``1.4 × 10⁻³¹`` (y ``1e-5`` como ``10⁻⁵``). El código, las
  salidas de las celdas y las fórmulas no se tocan.
- **Columnas numéricas.** Las celdas de tabla que contienen solo un número (con su signo,
  su potencia de diez o su unidad, %) llevan la clase ``num``: alineadas a la derecha, con
  cifras de ancho fijo.
- **Figuras a tamaño completo.** Cada imagen de contenido (``_images/``) queda dentro de un
  enlace a sí misma: un clic o un toque la abre a su resolución completa.

``tests/test_site.py`` comprueba las tres cosas en el sitio construido.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes

from site_pages import rewrite_pages
from vgcourse.report import is_numeric_text, power_of_ten

_SKIP = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw,
         nodes.FixedTextElement)


def _inside(node: nodes.Node, kinds) -> bool:
    while node is not None:
        if isinstance(node, kinds):
            return True
        node = node.parent
    return False


def _on_doctree_resolved(app, doctree, docname) -> None:
    for text in list(doctree.findall(nodes.Text)):
        if _inside(text.parent, _SKIP):
            continue
        new = power_of_ten(str(text))
        if new != str(text):
            text.parent.replace(text, nodes.Text(new))
    for entry in doctree.findall(nodes.entry):
        if is_numeric_text(entry.astext()):
            entry["classes"].append("num")


_CONTENT_IMAGE = re.compile(r'(<img\b[^>]*\bsrc="((?:\.\./)*_images/[^"]+)"[^>]*>)')


def link_images(html: str) -> str:
    """Rodea cada imagen de ``_images/`` con un enlace a la propia imagen."""

    def wrap(match: re.Match) -> str:
        img, src = match.groups()
        return (f'<a class="vg-image-link" href="{src}" '
                f'title="Abrir la figura a tamaño completo">{img}</a>')

    # las que ya están dentro de un enlace (p. ej. el logotipo) se quedan como están
    out, pos = [], 0
    for match in _CONTENT_IMAGE.finditer(html):
        before = html[:match.start()]
        if before.rfind("<a ") > before.rfind("</a>"):
            continue
        out.append(html[pos:match.start()])
        out.append(wrap(match))
        pos = match.end()
    out.append(html[pos:])
    return "".join(out)


def _on_build_finished(app, exception) -> None:
    rewrite_pages(app, exception, link_images)


def setup(app):
    app.connect("doctree-resolved", _on_doctree_resolved)
    app.connect("build-finished", _on_build_finished)
    static = Path(__file__).parent / "static"
    app.connect("builder-inited",
                lambda app: app.config.html_static_path.append(str(static)))
    app.add_css_file("curso.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
