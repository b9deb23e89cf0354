"""El sitio construido tal como lo recibe un lector: sin conexión y en un navegador real.

Se ejecuta después de construir el libro (``.ci/run`` lo construye antes de las pruebas).
La parte estática mira el HTML; la del navegador abre cada página en el Chromium del
sistema (``/usr/bin/chromium``; Playwright nunca descarga el suyo) con toda petición que
salga de la máquina bloqueada, y se salta si ese Chromium no está instalado.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest

from helpers import ROOT, import_from

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
    """Sin conexión: ninguna petición sale, sin errores en la consola ni excepciones, todas
    las imágenes cargan, cada fórmula la dibuja MathJax y los widgets guardados se ven."""
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
    tab.on("pageerror", lambda e: errors.append(f"excepción: {e}"))
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
        # controles de los exploradores o barras de progreso del entrenamiento (capítulo 5)
        shown = tab.locator(".widget-dropdown, .widget-slider, .widget-hprogress").count()
        assert shown > 0, "los widgets no se ven"
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
    # las celdas plegadas (soluciones) y los reproductores sin núcleo
    "Toggle hidden", "Decrease speed", "Increase speed", "First frame", "Last frame",
    "Previous frame", "Next frame", "Play backwards", "Repetition mode", "Loop",
    "Reflect",
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


@pytest.fixture(scope="module")
def axe_source() -> str:
    cache = ROOT / "_build" / "offline_assets" / "axe.min.js"
    if not cache.exists():
        npm_tarball = import_from("_ext", "offline_widgets").npm_tarball
        try:
            tar = npm_tarball(*AXE)  # una suma distinta lanza ValueError: la prueba falla
        except OSError as err:
            pytest.skip(f"no se pudo descargar axe-core ({err})")
        with tar:
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
    # todas las reglas de WCAG 2 A y AA, ninguna desactivada
    result = tab.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', "
        "'wcag2aa']}})"
    )
    tab.close()
    problems = [(v["id"], len(v["nodes"]), v["nodes"][0]["target"]) for v in result["violations"]]
    assert problems == [], problems
    assert len(result["passes"]) > 10  # de verdad se ha ejecutado


@needs_site
def test_every_internal_link_resolves():
    """Cada enlace interno lleva a un archivo del sitio y, si apunta a un ancla, a un id que existe."""
    href_re = re.compile(r'<a\b[^>]*\bhref="([^"]+)"', re.I)
    id_re = re.compile(r'\bid="([^"]+)"')
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = set(id_re.findall(path.read_text(encoding="utf-8")))
        return ids[path]

    checked = 0
    for page in pages():
        for href in href_re.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
                continue  # externo (https:, mailto:, …): no se sigue sin conexión
            target, _, anchor = href.partition("#")
            target = target.split("?")[0]
            path = (page.parent / target).resolve() if target else page
            if path.is_dir():
                path = path / "index.html"
            assert path.exists(), f"{page.relative_to(SITE)}: enlace roto {href}"
            if anchor and path.suffix == ".html":
                assert anchor in ids_of(path), f"{page.relative_to(SITE)}: ancla inexistente {href}"
            checked += 1
    assert checked > 100


def test_local_extensions_rewrite_only_what_they_should():
    spanish_ui = import_from("_ext", "spanish_ui")
    markup_fixes = import_from("_ext", "markup_fixes")
    script = '<script>const THEBE_JS_URL = "x"; const a = 1;</script>\n'
    html = f"<head>{script}<p>otro</p>{script}</head>"
    assert markup_fixes.dedupe(html) == f"<head>{script}<p>otro</p></head>"
    assert markup_fixes.dedupe(markup_fixes.dedupe(html)) == markup_fixes.dedupe(html)
    page = '<a title="Link to this heading">¶</a><span>Repository</span><p>a Repository b</p>'
    out = spanish_ui.translate(page)
    assert out == ('<a title="Enlace a este encabezado">¶</a><span>Repositorio</span>'
                   "<p>a Repository b</p>")  # solo etiquetas completas, no texto corrido
    assert markup_fixes.fix('<div class="citation" role="doc-biblioentry">') == (
        '<div class="citation" role="listitem">')


@needs_site
def test_every_content_image_has_a_descriptive_spanish_alt():
    """Las figuras de los capítulos: texto alternativo que describe (no una ruta ni «figura 1»)."""
    img_re = re.compile(r'<img\b[^>]*>', re.I)
    checked = 0
    for page in pages():
        for tag in img_re.findall(page.read_text(encoding="utf-8")):
            alt = re.search(r'\balt="([^"]*)"', tag)
            if "logo" in tag or "_static" in tag:
                continue  # iconos del tema
            assert alt and len(alt.group(1)) >= 40, f"{page.relative_to(SITE)}: {tag[:120]}"
            assert not re.search(r"\.(png|svg|jpe?g)$|^figura \d+$", alt.group(1), re.I), tag[:120]
            assert re.search(r"[áéíóúñ]|\b(la|el|de|por|capa)\b", alt.group(1)), alt.group(1)[:80]
            checked += 1
    assert checked >= 20


def test_search_works_offline(browser_base):
    """La búsqueda del sitio (índice local, sin servidor) encuentra los capítulos."""
    browser, base = browser_base
    tab = browser.new_page()
    tab.goto(base + "search.html?q=saturada", wait_until="load")
    tab.wait_for_selector("#search-results li", timeout=15000)
    hits = tab.locator("#search-results li").count()
    text = tab.locator("#search-results").inner_text()
    tab.close()
    assert hits >= 2 and "Funciones de activación" in text, text[:300]


def exercise_players(tab) -> int:
    """Mueve cada reproductor sin núcleo de la página (``FuncAnimation.to_jshtml``): el
    botón de avanzar un fotograma y el deslizador deben cambiar la imagen mostrada.
    Devuelve cuántos reproductores ha probado."""
    players = tab.locator("div.animation")
    for i in range(players.count()):
        player = players.nth(i)
        image = player.locator("img").first
        before = image.get_attribute("src")
        player.locator("button[onclick*='next_frame']").first.click()
        after = image.get_attribute("src")
        assert after != before, "el botón de avanzar no cambia el fotograma"
        slider = player.locator("input[type=range]").first
        last = slider.get_attribute("max")
        slider.evaluate("(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); }", last)
        assert image.get_attribute("src") not in (after,), "el deslizador no cambia el fotograma"
    return players.count()


@pytest.mark.parametrize("page", [str(p.relative_to(SITE)) for p in pages()] or ["(sin sitio)"])
def test_kernel_free_players_respond(browser_base, page):
    """Las figuras interactivas sin núcleo responden a sus controles; cada capítulo tiene al
    menos una."""
    browser, base = browser_base
    tab = browser.new_page()
    tab.goto(base + page, wait_until="load")
    n = exercise_players(tab)
    tab.close()
    if page.startswith("chapters/"):
        assert n >= 1, f"{page}: ningún reproductor sin núcleo"


@needs_site
def test_solutions_are_folded_in_every_chapter():
    """Las soluciones de los ejercicios salen plegadas (un <details> cerrado) con el botón
    «Mostrar la solución del ejercicio N», y dentro está la comprobación que las valida."""
    chapters = [p for p in pages() if p.parent.name == "chapters"]
    assert len(chapters) >= 6
    for page in chapters:
        html = page.read_text(encoding="utf-8")
        folded = re.findall(r'<details class="admonition hide[^"]*">(.*?)</details>', html, re.S)
        solutions = [f for f in folded if "Mostrar la solución del ejercicio" in f]
        assert len(solutions) >= 2, page.name
        for block in solutions:
            assert "vg</span><span class=\"o\">.</span><span class=\"n\">check" in block
            assert "✔ Correcto" in block, page.name
