"""Extensión local: tres correcciones del HTML que generan otros, al terminar la construcción.

- sphinx-thebe (que Jupyter Book carga siempre) inserta dos veces el mismo script en línea
  ``const THEBE_JS_URL = …``; el navegador rechaza la segunda declaración con una
  excepción en cada página. Se quita la copia repetida.
- La lista de referencias (sphinxcontrib-bibtex, docutils) marca cada entrada con el rol
  ARIA ``doc-biblioentry``, obsoleto, dentro de un ``role="list"``, que solo admite
  ``listitem``: los lectores de pantalla no la anuncian como lista. Se usa ``listitem``.
- El índice lateral del tema pliega las secciones de un capítulo (el 4) con un
  ``<details><summary>`` que solo contiene un icono: el botón no tiene nombre accesible
  (regla ``summary-name`` de axe). Se le da uno en español con el título del capítulo.
"""

from __future__ import annotations

import re

from site_pages import rewrite_pages

THEBE_SCRIPT = re.compile(r"[ \t]*<script>const THEBE_JS_URL = [^<]*</script>\n?")


def dedupe(html: str) -> str:
    seen = False

    def keep_first(match):
        nonlocal seen
        if seen:
            return ""
        seen = True
        return match.group(0)

    return THEBE_SCRIPT.sub(keep_first, html)


def fix_bibliography_roles(html: str) -> str:
    return html.replace('role="doc-biblioentry"', 'role="listitem"')


TOCTREE_TOGGLE = re.compile(
    r'(<a class="[^"]*reference internal[^"]*" href="[^"]*">([^<]*)</a><details(?: open="open")?>)'
    r"<summary>"
)


def name_toctree_toggles(html: str) -> str:
    return TOCTREE_TOGGLE.sub(
        lambda m: f'{m.group(1)}<summary aria-label="Mostrar u ocultar las secciones de'
                  f' «{m.group(2)}»">',
        html,
    )


def fix(html: str) -> str:
    return name_toctree_toggles(fix_bibliography_roles(dedupe(html)))


def _on_build_finished(app, exception) -> None:
    rewrite_pages(app, exception, fix)


def setup(app):
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
