"""Extensión local: el renderizador de widgets se sirve desde el propio sitio, sin CDN.

myst-nb carga por defecto RequireJS y ``@jupyter-widgets/html-manager`` (``embed-amd.js``)
desde dos CDN: sin conexión, los widgets guardados en los cuadernos no se ven. Esta
extensión descarga al construir el libro las versiones fijadas de los dos paquetes del
registro de npm (las mismas que usa myst-nb 1.4), comprueba su suma ``integrity`` y deja
los dos archivos en ``_build/offline_assets/vendor/``, que ``_config.yml`` añade a
``html_static_path`` y nombra en ``nb_ipywidgets_js``. La descarga se hace una vez: las
construcciones siguientes usan la copia ya comprobada.

Los widgets piden a MathJax 2 que componga sus etiquetas (``MathJax.Hub.Queue``); el
sitio usa MathJax 3, que no tiene ``Hub``, y cada widget lanzaba una excepción. Un
pequeño script (:data:`HUB_SHIM`), cargado después de MathJax, traduce esa llamada a
``MathJax.typesetPromise``.

html-manager tampoco da nombre accesible a los deslizadores ni texto alternativo a la
imagen, y escribe ``title="null"`` en las etiquetas: :data:`A11Y` lo completa en cuanto se
dibujan los widgets.

Una página cuyo cuaderno guardó el estado de sus widgets pero no muestra ninguno (los
exploradores con núcleo llevan ``remove-output``: sin núcleo no harían nada) no carga el
renderizador (4.4 MB) ni ese estado: :func:`_drop_unshown_widgets` los quita.

``embed-amd.js`` pide además sus tipos de letra de iconos en una ruta relativa a cada
página (``@jupyter-widgets/html-manager/dist/``): al terminar la construcción se copian
(solo WOFF2 y WOFF, ~370 KB) junto a cada carpeta de páginas que use widgets.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
import tarfile
import urllib.request
from pathlib import Path

from sphinx.errors import ExtensionError

from site_pages import built_pages

#: archivo en vendor/ → (paquete de npm, sha512 del registro, miembro del tarball)
PACKAGES = {
    "require.js": (
        "https://registry.npmjs.org/requirejs/-/requirejs-2.3.4.tgz",
        "sha512-qPD5gRrj6kGQ0ZySAJgqbArkaDqPMbQIT0zSZDkIv1mfA17w/tR2Faq5l2qqRf2CdQx6FWln9nUrgd2UDzb19A==",
        "package/require.js",
    ),
    "embed-amd.js": (
        "https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-1.0.6.tgz",
        "sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ==",
        "package/dist/embed-amd.js",
    ),
}

ASSETS = Path("_build") / "offline_assets"
FONT_RE = re.compile(r"package/dist/[0-9a-f]+\.woff2?")
FONT_DIR = Path("@jupyter-widgets") / "html-manager" / "dist"


HUB_SHIM = """\
// ipywidgets (html-manager 1.0) llama a MathJax.Hub.Queue, la API de MathJax 2; este sitio
// usa MathJax 3, sin Hub: la llamada se traduce a MathJax.typesetPromise.
(function () {
  var mj = window.MathJax;
  if (mj && !mj.Hub) {
    mj.Hub = {
      Queue: function (cmd) {
        if (window.MathJax.typesetPromise && cmd && cmd[2]) {
          window.MathJax.typesetPromise([cmd[2]]);
        }
      },
    };
  }
})();
"""


A11Y = """\
// Accesibilidad de los widgets guardados (html-manager no la da): nombre para el asa de
// cada deslizador, texto alternativo para la imagen y sin el title «null» de las etiquetas.
(function () {
  function fix() {
    document.querySelectorAll(".widget-slider").forEach(function (box) {
      var label = box.querySelector(".widget-label");
      var handle = box.querySelector('[role="slider"]');
      if (label && handle && !handle.getAttribute("aria-label")) {
        handle.setAttribute("aria-label", label.textContent.replace(/:\\s*$/, ""));
      }
    });
    document.querySelectorAll("img.widget-image:not([alt])").forEach(function (img) {
      img.setAttribute("alt", "Figura del explorador con su configuración inicial: la misma " +
        "que la figura estática que lo precede.");
    });
    document.querySelectorAll('[title="null"]').forEach(function (el) {
      el.removeAttribute("title");
    });
  }
  new MutationObserver(fix).observe(document.documentElement, {childList: true, subtree: true});
})();
"""


def npm_tarball(url: str, integrity: str) -> tarfile.TarFile:
    """Descarga un paquete del registro de npm y comprueba su suma ``integrity`` (p. ej. sha512).

    Raises:
        OSError: si no se puede descargar.
        ValueError: si la suma no coincide con la fijada.
    """
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    algo, digest = integrity.split("-", 1)
    if base64.b64encode(hashlib.new(algo, data).digest()).decode() != digest:
        raise ValueError(f"La suma de {url} no coincide con la fijada ({integrity}).")
    return tarfile.open(fileobj=io.BytesIO(data))


def fetch(root: Path) -> Path:
    """Descarga (si falta) y comprueba cada archivo; devuelve la carpeta ``vendor``."""
    vendor = root / ASSETS / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    (vendor / "mathjax-hub.js").write_text(HUB_SHIM, encoding="utf-8")
    (vendor / "widget-a11y.js").write_text(A11Y, encoding="utf-8")
    for name, (url, integrity, member) in PACKAGES.items():
        target = vendor / name
        if target.exists():
            continue
        try:
            tar = npm_tarball(url, integrity)
        except OSError as err:
            raise ExtensionError(
                f"No se pudo descargar {url} del registro de npm ({err}). Sin este archivo, "
                "los widgets del libro no se verían sin conexión."
            ) from err
        except ValueError as err:
            raise ExtensionError(str(err)) from err
        with tar:
            target.write_bytes(tar.extractfile(member).read())
            if name == "embed-amd.js":
                fonts = root / ASSETS / "fonts"
                fonts.mkdir(exist_ok=True)
                for m in tar.getmembers():
                    if FONT_RE.fullmatch(m.name):
                        (fonts / Path(m.name).name).write_bytes(tar.extractfile(m).read())
    return vendor


def _on_config_inited(app, config) -> None:
    fetch(Path(app.confdir))


def _drop_unshown_widgets(app, doctree) -> None:
    """Sin ninguna vista de widget en la página, ni su estado ni el renderizador."""
    from docutils import nodes

    if any("application/vnd.jupyter.widget-view+json" in node.astext()
           for node in doctree.findall(nodes.raw)):
        return
    metadata = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {})
    js_files = metadata.get("js_files", {})
    for key in [k for k in js_files if k.startswith("ipywidgets")]:
        del js_files[key]


def _on_build_finished(app, exception) -> None:
    fonts = Path(app.confdir) / ASSETS / "fonts"
    for page in built_pages(app, exception):
        if "embed-amd.js" not in page.read_text(encoding="utf-8", errors="ignore"):
            continue
        target = page.parent / FONT_DIR
        if not target.exists():
            shutil.copytree(fonts, target)


def setup(app):
    app.connect("config-inited", _on_config_inited)
    app.connect("doctree-read", _drop_unshown_widgets)
    # después de MathJax (prioridad 500, diferido) y antes del evento «load», en el que
    # embed-amd.js dibuja los widgets
    app.add_js_file("vendor/mathjax-hub.js", defer="defer", priority=600)
    app.add_js_file("vendor/widget-a11y.js", defer="defer", priority=600)
    app.connect("build-finished", _on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
