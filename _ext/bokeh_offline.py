"""Extensión local: BokehJS servido por el propio sitio, solo en las páginas que lo usan.

Los exploradores sin núcleo (:mod:`vgcourse.charts`) dibujan con Bokeh. Su programa de
JavaScript, BokehJS, viene dentro del paquete de Python ``bokeh`` (fijado en
``requirements.txt``): esta extensión lo copia a ``_build/offline_assets/vendor/`` (que
``_config.yml`` añade a ``html_static_path``) y lo enlaza en las páginas que contienen un
explorador, y solo en ellas: el resto del libro no carga con su peso (1.3 MB sin comprimir).
Como el archivo sale del mismo paquete que generó las figuras, las versiones coinciden
siempre; no sale ninguna petición del sitio.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import bokeh

ASSETS = Path("_build") / "offline_assets" / "vendor"
SOURCE = Path(bokeh.__file__).parent / "server" / "static" / "js" / "bokeh.min.js"
NAME = f"bokeh-{bokeh.__version__}.min.js"
#: marca que deja vgcourse.charts en cada explorador
MARKER = 'class="vg-chart"'


def _on_config_inited(app, config) -> None:
    target = Path(app.confdir) / ASSETS / NAME
    if not target.exists() or target.stat().st_size != SOURCE.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE, target)


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    if MARKER in context.get("body", ""):
        # síncrono y antes que el contenido: el programa de cada explorador lo encuentra listo
        app.add_js_file(f"vendor/{NAME}", priority=400)


def setup(app):
    app.connect("config-inited", _on_config_inited)
    app.connect("html-page-context", _on_page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
