"""El sitio construido tal como lo recibe un lector: sin conexión y en un navegador real.

Se ejecuta después de construir el libro (``.ci/run`` lo construye antes de las pruebas).
La parte estática mira el HTML; la del navegador abre cada página en el Chromium del
sistema (``/usr/bin/chromium``; Playwright nunca descarga el suyo) con toda petición que
salga de la máquina bloqueada, y se salta si ese Chromium no está instalado.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import re
import tarfile
import urllib.request
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def pages() -> list[Path]:
    if not SITE.exists():
        return []
    skip = {"search.html", "genindex.html"}
    return sorted(p for p in SITE.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts)


needs_site = pytest.mark.skipif(not SITE.exists(), reason="el libro no está construido")
# recursos que el navegador cargaría por su cuenta: scripts, hojas de estilo, imágenes
REMOTE_ASSET = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]+"', re.I)


@needs_site
def test_every_page_loads_its_assets_from_the_site_itself():
    found = pages()
    assert len(found) >= 7
    for page in found:
        remote = REMOTE_ASSET.findall(page.read_text(encoding="utf-8"))
        assert not remote, f"{page.relative_to(SITE)} pide recursos de fuera: {remote[:3]}"


@pytest.fixture(scope="module")
def browser_base():
    if not SITE.exists():
        pytest.skip("el libro no está construido")
    if CHROMIUM is None:
        pytest.skip("Chromium no está instalado (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser, f"http://127.0.0.1:{server.server_port}/"
        browser.close()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("page", [str(p.relative_to(SITE)) for p in pages()] or ["(sin sitio)"])
def test_page_offline_in_chromium(browser_base, page):
    """Sin conexión: ninguna petición sale, sin errores en la consola, todas las imágenes
    cargan, cada fórmula la dibuja MathJax y los widgets guardados se ven."""
    browser, base = browser_base
    tab = browser.new_page()
    outside, errors, failed = [], [], []

    def route(r):
        if r.request.url.startswith(base):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    tab.goto(base + page, wait_until="load")
    tab.wait_for_timeout(1500)
    assert outside == [], outside[:3]
    assert errors == [] and failed == [], (errors[:3], failed[:3])
    images = tab.evaluate("() => Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
    assert all(images), f"{images.count(False)} imágenes sin cargar"
    math = tab.locator(".math").count()
    raw = tab.evaluate(
        "() => Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container')).length"
    )
    assert raw == 0, f"{raw} de {math} fórmulas sin dibujar"
    html = (SITE / page).read_text(encoding="utf-8")
    if "application/vnd.jupyter.widget-view+json" in html:
        assert tab.locator(".widget-dropdown, .widget-slider").count() > 0, "los widgets no se ven"
    tab.close()


# Textos de interfaz que los temas dejan en inglés (o sin tildes) con language: es; los
# sustituye _ext/spanish_ui.py. Se buscan en el texto visible y en los atributos que lee
# el lector o su lector de pantalla (title, aria-label, alt, placeholder).
ENGLISH_UI = [
    "Search this book", "Launch on", "Launch interactive", "Repository", "Open issue",
    "Toggle primary", "Toggle secondary", "Link to this", "Show code cell", "Hide code cell",
    "Download this page", "Download source", "Fullscreen", "Print to PDF", "Source repositor",
    "Contents", "previous page", "next page", "Back to top", "Skip to main content",
    "By the", "Copy to clipboard", "pagina", "Abrir un problema",
]
# «Glorot and Bengio [2010]», «Glorot and Bengio, 2010» (citas) o «…, and Jian Sun»
# (bibliografía, tres autores o más): un «and» entre autores sin traducir. Los nombres de
# congresos («Intelligence and Statistics») no cuentan: son nombres propios.
CITATION_AND = re.compile(r"\b[A-Z][\w-]+ and [A-Z][\w-]+(?: \[|, \d{4})|, and [A-Z]")
READ_ATTRS = {"title", "aria-label", "alt", "placeholder"}


def reader_strings(html: str) -> list[str]:
    """Texto visible (sin código, fórmulas ni scripts) y atributos que se leen en voz alta."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        SKIP = {"pre", "code", "script", "style", "math"}

        def __init__(self):
            super().__init__()
            self.depth, self.out = 0, []

        def handle_starttag(self, tag, attrs):
            if tag in self.SKIP:
                self.depth += 1
            self.out += [v for k, v in attrs if k in READ_ATTRS and v]

        def handle_endtag(self, tag):
            if tag in self.SKIP and self.depth:
                self.depth -= 1

        def handle_data(self, data):
            if not self.depth and data.strip():
                self.out.append(data)

    reader = Reader()
    reader.feed(html)
    return reader.out


def test_reader_strings_sees_attributes_and_skips_code():
    html = '<p title="Link to this heading">Hola <code>Repository</code></p><pre>Contents</pre>'
    assert reader_strings(html) == ["Link to this heading", "Hola "]
    for cited in ("Glorot and Bengio [2010]", "(Glorot and Bengio, 2010)", "Ren, and Jian Sun"):
        assert CITATION_AND.search(cited), cited
    assert not CITATION_AND.search("Artificial Intelligence and Statistics (AISTATS)")
    assert not CITATION_AND.search("Workshop on Deep Learning for Audio, Speech and Language.")


@needs_site
def test_no_english_interface_strings_in_any_page():
    for page in pages():
        for text in reader_strings(page.read_text(encoding="utf-8")):
            hits = [s for s in ENGLISH_UI if s in text]
            assert not hits, f"{page.relative_to(SITE)}: {hits} en {text[:80]!r}"
            assert not CITATION_AND.search(text), f"{page.relative_to(SITE)}: {text[:100]!r}"


# axe-core (el verificador de accesibilidad de Deque), fijado y comprobado, del registro de npm
AXE = (
    "https://registry.npmjs.org/axe-core/-/axe-core-4.10.3.tgz",
    "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs/PbZhideTcEg==",
)
# Reglas de WCAG 2 A/AA que hoy fallan por el marcado de otros y que no arreglamos aquí:
AXE_KNOWN = {
    # la lista de referencias de sphinxcontrib-bibtex: rol doc-biblioentry (obsoleto) y
    # enlaces de vuelta dentro de role=list
    "aria-deprecated-role": "sphinxcontrib-bibtex",
    "aria-required-children": "sphinxcontrib-bibtex",
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    cache = ROOT / "_build" / "offline_assets" / "axe.min.js"
    if not cache.exists():
        url, integrity = AXE
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                data = response.read()
        except OSError as err:
            pytest.skip(f"no se pudo descargar axe-core ({err})")
        algo, digest = integrity.split("-", 1)
        assert base64.b64encode(hashlib.new(algo, data).digest()).decode() == digest
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_bytes(tar.extractfile("package/axe.min.js").read())
    return cache.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", [str(p.relative_to(SITE)) for p in pages()] or ["(sin sitio)"])
def test_page_passes_axe_wcag_aa(browser_base, axe_source, page):
    """Contraste, textos alternativos, nombres de enlaces y botones, idioma… (WCAG 2 A y AA)."""
    browser, base = browser_base
    tab = browser.new_page()
    tab.goto(base + page, wait_until="load")
    tab.wait_for_timeout(1500)
    tab.add_script_tag(content=axe_source)
    rules = {rule: {"enabled": False} for rule in AXE_KNOWN}
    # Fuera: el estado guardado de los exploradores (la imagen de ipywidgets no admite texto
    # alternativo); cada explorador va precedido de su figura estática, que sí lo tiene.
    result = tab.evaluate(
        "async (rules) => await axe.run({exclude: [['.widget-subarea']]}, {runOnly: {type: "
        "'tag', values: ['wcag2a', 'wcag2aa']}, rules})",
        rules,
    )
    tab.close()
    problems = [(v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in result["violations"]]
    assert problems == [], problems
    assert len(result["passes"]) > 10  # de verdad se ha ejecutado
