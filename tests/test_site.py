"""El sitio construido tal como lo recibe un lector: sin conexión y en un navegador real.

Se ejecuta después de construir el libro (``.ci/run`` lo construye antes de las pruebas).
La parte estática mira el HTML; la del navegador abre cada página en el Chromium del
sistema (``/usr/bin/chromium``; Playwright nunca descarga el suyo) con toda petición que
salga de la máquina bloqueada, y se salta si ese Chromium no está instalado.
"""

from __future__ import annotations

import functools
import html.parser as html_parser
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


def chapter_of(page: str) -> str:
    """``"chapters/04"`` para ``chapters/04_2_inicializacion.html``: el capítulo 4 reparte su
    contenido en varias páginas."""
    m = re.match(r"(chapters/\d+)", page)
    return m[1] if m else page


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
    toggle = ('<a class="reference internal" href="a.html">4. Soluciones</a><details open="open">'
              '<summary><span class="toctree-toggle" role="presentation"></span></summary>')
    named = markup_fixes.fix(toggle)
    assert '<summary aria-label="Mostrar u ocultar las secciones de «4. Soluciones»">' in named
    assert markup_fixes.fix(named) == named


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
    html = (SITE / page).read_text(encoding="utf-8")
    assert n == html.count('<div class="animation">'), f"{page}: reproductores sin probar"


@needs_site
def test_every_chapter_has_a_kernel_free_player():
    """Cada capítulo (el 4 reparte el suyo en varias páginas) tiene al menos un reproductor."""
    per_chapter: dict[str, int] = {}
    for page in pages():
        name = str(page.relative_to(SITE))
        if name.startswith("chapters/"):
            count = page.read_text(encoding="utf-8").count('<div class="animation">')
            per_chapter[chapter_of(name)] = per_chapter.get(chapter_of(name), 0) + count
    assert len(per_chapter) >= 6 and all(per_chapter.values()), per_chapter


@needs_site
def test_solutions_are_folded_in_every_chapter():
    """Las soluciones de los ejercicios salen plegadas (un <details> cerrado) con el botón
    «Mostrar la solución del ejercicio N», y dentro está la comprobación que las valida."""
    chapters = [p for p in pages() if p.parent.name == "chapters"]
    assert len(chapters) >= 6
    per_chapter: dict[str, int] = {}
    for page in chapters:
        html = page.read_text(encoding="utf-8")
        folded = re.findall(r'<details class="admonition hide[^"]*">(.*?)</details>', html, re.S)
        solutions = [f for f in folded if "la solución del ejercicio" in f]
        # el razonamiento de cada solución, plegado y antes de su cálculo
        reasoning = re.findall(r'<details class="solucion">\s*<summary>Solución del ejercicio (\d+)'
                               r'</summary>(.*?)</details>', html, re.S)
        assert len(reasoning) == len(solutions), page.name
        for number, text in reasoning:
            words = re.sub(r"<[^>]+>", " ", text).split()
            assert len(words) >= 15, f"{page.name}: razonamiento del ejercicio {number} vacío"
            assert html.index(f"Solución del ejercicio {number}</summary>") < html.index(
                f"solución del ejercicio {number}"), page.name
        for block in solutions:
            assert "vg</span><span class=\"o\">.</span><span class=\"n\">check" in block
            assert "✔ Correcto" in block, page.name
        key = chapter_of(str(page.relative_to(SITE)))
        per_chapter[key] = per_chapter.get(key, 0) + len(solutions)
    assert all(n >= 2 for n in per_chapter.values()), per_chapter


# ---------------------------------------------------------------------------------------
# La página que lee un estudiante: prosa, números, tablas y figuras
# ---------------------------------------------------------------------------------------
class _Prose(html_parser.HTMLParser):
    """Texto corrido del artículo (párrafos, listas, tablas, leyendas de figura), sin código,
    salidas de celdas, fórmulas ni scripts; por bloques (``<p>``, ``<li>``, ``<td>``...), con el
    HTML de cada bloque para buscar sus enlaces."""

    SKIP = {"pre", "code", "script", "style", "math", "svg", "kbd", "samp"}
    # «external»: el texto de un enlace externo es un nombre o un identificador (un DOI como
    # 10.1007/978-3-319-46493-0_38), no prosa
    SKIP_CLASSES = {"math", "cell_output", "output", "highlight", "toctree-wrapper", "external",
                    "bd-sidebar-primary", "bd-sidebar-secondary", "bd-header", "prev-next-area",
                    "footer", "bd-footer", "header-article", "bd-search"}
    BLOCKS = {"p", "li", "td", "th", "figcaption", "dt", "dd", "h1", "h2", "h3", "caption"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.blocks: list[tuple[str, str]] = []  # (texto, html)
        self._text: list[str] = []
        self._html: list[str] = []
        self._depth = 0

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        skip = tag in self.SKIP or bool(classes & self.SKIP_CLASSES)
        if tag in ("br", "img", "hr", "input", "meta", "link"):
            if self._depth:
                self._html.append(self.get_starttag_text() or "")
            return
        self.stack.append((tag, skip))
        if tag in self.BLOCKS and not self._skipping():
            if self._depth == 0:
                self._text, self._html = [], []
            self._depth += 1
        if self._depth:
            self._html.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        while self.stack:
            top, _ = self.stack.pop()
            if self._depth:
                self._html.append(f"</{top}>")
            if top in self.BLOCKS and self._depth and not self._skipping():
                self._depth -= 1
                if self._depth == 0:
                    self.blocks.append((" ".join("".join(self._text).split()),
                                        "".join(self._html)))
            if top == tag:
                break

    def handle_data(self, data):
        if self._depth and not self._skipping():
            self._text.append(data)
        if self._depth:
            self._html.append(data)


def prose_blocks(page: Path) -> list[tuple[str, str]]:
    html = page.read_text(encoding="utf-8")
    main = re.search(r'<article class="bd-article"[^>]*>(.*)</article>', html, re.S)
    parser = _Prose()
    parser.feed(main[1] if main else html)
    return parser.blocks


E_NOTATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[+-]?\d+\b")
UNSEEN_SOURCE = re.compile(r"documento de partida|lo que dice el documento|explicación (?:clásica|"
                           r"habitual)|descripción habitual|tabla clásica|más allá del documento",
                           re.I)


def test_prose_blocks_skip_code_math_and_outputs():
    page = ROOT / "_build" / "_prose_test.html"
    page.parent.mkdir(exist_ok=True)
    page.write_text('<article class="bd-article"><p>Uno <code>a_b</code> <span class="math">'
                    'x_1</span> dos</p><div class="cell_output"><p>1e-5</p></div>'
                    '<ul><li>tres <a href="x.html">y</a></li></ul></article>', encoding="utf-8")
    blocks = prose_blocks(page)
    page.unlink()
    assert [b[0] for b in blocks] == ["Uno dos", "tres y"]
    assert 'href="x.html"' in blocks[1][1]


@needs_site
def test_prose_writes_numbers_and_symbols_as_a_book_does():
    """En el texto corrido: potencias de diez como ×10ⁿ (nunca 1.4e-31), ningún guion bajo
    fuera de las fórmulas y del código (σ_w², fan_in) y ninguna referencia a un documento que el
    lector no ve; cada mención de la nota original enlaza con su apéndice."""
    checked = 0
    for page in pages():
        name = str(page.relative_to(SITE))
        for text, html in prose_blocks(page):
            checked += 1
            assert not E_NOTATION.search(text), f"{name}: {E_NOTATION.search(text)[0]!r} en «{text[:120]}»"
            assert "_" not in text, f"{name}: guion bajo en «{text[:160]}»"
            assert not UNSEEN_SOURCE.search(text), f"{name}: «{UNSEEN_SOURCE.search(text)[0]}»"
            if re.search(r"\bnota original\b", text, re.I) and "nota_original" not in name:
                assert "nota_original.html" in html, f"{name}: «nota original» sin enlace: {text[:120]}"
    assert checked > 500


NUMERIC_CELL = re.compile(r"^[-−+]?(?:\d[\d ]*(?:\.\d+)?|\.\d+)(?: × 10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?(?: ?%)?$")


@needs_site
def test_numeric_table_cells_are_marked_for_right_alignment():
    cell_re = re.compile(r"<td\b([^>]*)>(.*?)</td>", re.S)
    numeric = 0
    for page in pages():
        for attrs, inner in cell_re.findall(page.read_text(encoding="utf-8")):
            text = " ".join(re.sub(r"<[^>]+>", "", inner).split())
            if NUMERIC_CELL.match(text):
                numeric += 1
                assert re.search(r'class="[^"]*\bnum\b', attrs), f"{page.name}: «{text}» sin clase num"
    assert numeric >= 20


#: líneas de la celda de código visible más larga que se admite en una página
MAX_VISIBLE_CODE_LINES = 20

LAYOUT_JS = """() => {
  const main = document.querySelector('article.bd-article');
  const visibleCode = Array.from(main.querySelectorAll('div.cell_input'))
    .filter(c => !c.closest('details'))
    .map(c => c.innerText);
  const numericCells = Array.from(main.querySelectorAll('td.num'))
    .map(td => getComputedStyle(td).textAlign);
  const images = Array.from(main.querySelectorAll('img'))
    .filter(i => i.getAttribute('src').includes('_images/'))
    .map(i => [i.naturalWidth, i.getBoundingClientRect().width, i.getAttribute('src')]);
  // lo que se sale por la derecha de la ventana: reproductores (imagen, deslizador, botones) y
  // salidas de texto (un <pre> que obliga a desplazarse dentro de su caja)
  const cut = Array.from(main.querySelectorAll(
      'div.animation img, div.animation input, div.animation button'))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.outerHTML.slice(0, 80));
  const clipped = Array.from(main.querySelectorAll('div.cell_output pre'))
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => p.innerText.slice(0, 80));
  return {scroll: document.documentElement.scrollWidth, width: window.innerWidth,
          visibleCode, numericCells, images, cut, clipped};
}"""


@pytest.mark.parametrize("page", [str(p.relative_to(SITE)) for p in pages()] or ["(sin sitio)"])
def test_page_reads_well_on_a_laptop_and_on_a_phone(browser_base, page):
    """A 1280 px: el código visible es código para aprender (nada de glue, textos alternativos ni
    nbval; celdas cortas), los números de las tablas van a la derecha y cada figura se dibuja
    como mucho a 1.5 veces el ancho con que se muestra (así sus rótulos se leen). A 390 px (un
    teléfono): la página no se desplaza de lado, ningún reproductor pierde su figura ni sus
    botones por la derecha y ninguna salida de texto esconde su final."""
    browser, base = browser_base
    for width, height in ((1280, 900), (390, 844)):
        tab = browser.new_page(viewport={"width": width, "height": height})
        tab.goto(base + page, wait_until="load")
        tab.wait_for_timeout(800)
        info = tab.evaluate(LAYOUT_JS)
        tab.close()
        if width == 390:
            assert info["scroll"] <= info["width"] + 1, f"{page}: desplazamiento lateral a 390 px"
            assert info["cut"] == [], f"{page}: reproductor cortado a 390 px: {info['cut']}"
            assert info["clipped"] == [], f"{page}: salida cortada a 390 px: {info['clipped']}"
            continue
        for code in info["visibleCode"]:
            assert not re.search(r"\bglue\(|\balt\s*=|nbval", code), code[:200]
            lines = [ln for ln in code.splitlines() if ln.strip()]
            assert len(lines) <= MAX_VISIBLE_CODE_LINES, f"{page}: celda de {len(lines)} líneas"
        assert all(align == "right" for align in info["numericCells"]), info["numericCells"]
        for natural, shown, src in info["images"]:
            assert natural <= 1.5 * shown, f"{page}: {src} dibujada a {natural} px, vista a {shown:.0f}"


# ---------------------------------------------------------------------------------------
# Exploradores sin núcleo (vgcourse.charts): responden a cada control y dibujan lo que
# calcula vgcourse
# ---------------------------------------------------------------------------------------
CHART_PAGES = [str(p.relative_to(SITE)) for p in pages()
               if 'class="vg-chart"' in p.read_text(encoding="utf-8")]
#: lo que un explorador puede añadir a su página: BokehJS más el propio explorador
CHART_BUDGET = 2_000_000
SETTINGS_PER_CHART = 20


def _chart_payloads(page: str) -> list[dict]:
    import json

    text = (SITE / page).read_text(encoding="utf-8")
    return [json.loads(m) for m in re.findall(r'class="vg-chart-data">([^<]*)</script>', text)]


@needs_site
def test_chapters_1_to_4_have_their_explorers_online():
    """Cada página de los capítulos 1 a 4 con un explorador con núcleo tiene su explorador sin
    núcleo (y al revés, ninguno se queda sin él)."""
    expected = {"chapters/01_problema.html", "chapters/02_backpropagation.html",
                "chapters/03_activaciones.html", "chapters/04_1_relu.html",
                "chapters/04_2_inicializacion.html", "chapters/04_3_residuales.html",
                "chapters/04_4_normalizacion.html"}
    assert set(CHART_PAGES) == expected


def _set_controls(tab, root, payload, rng) -> dict:
    """Mueve los controles como lo haría un lector (elegir en la lista, arrastrar el
    deslizador, marcar la casilla) hacia una configuración al azar de la rejilla."""
    a = int(rng.integers(len(payload["activations"])))
    i = int(rng.integers(len(payload["inits"])))
    w = int(rng.integers(len(payload["widths"])))
    d = int(rng.integers(len(payload["depths"])))
    residual, alpha, batchnorm = payload["archs"][int(rng.integers(len(payload["archs"])))]
    for axis, k in (("activation", a), ("init", i), ("width", w)):
        if root.locator(f"[data-axis={axis}]").count():  # un eje de un solo valor no tiene control
            root.locator(f"[data-axis={axis}]").select_option(str(k))
    root.locator("[data-axis=depth]").fill(str(d))
    if root.locator("[data-axis=residual]").count():
        root.locator("[data-axis=residual]").set_checked(residual)
    if residual and root.locator("[data-axis=alpha]").count():
        root.locator("[data-axis=alpha]").fill(str(payload["alphas"].index(alpha)))
    if root.locator("[data-axis=batchnorm]").count():
        root.locator("[data-axis=batchnorm]").set_checked(batchnorm)
    return dict(activation=payload["activations"][a][0], init=payload["inits"][i][0],
                width=payload["widths"][w], depth=payload["depths"][d], residual=residual,
                residual_scale=alpha, batchnorm=batchnorm)


READ_CHART_JS = """root => {
  const m = root.vgChart.model;
  const get = n => (m(n) ? Array.from(m(n).data.y, v => (v === null ? NaN : v)) : null);
  return {z: get('z'), w: get('w'), sat: get('sat'), phi: get('phi'),
          title: root.querySelector('.vg-chart-title').textContent,
          readout: root.querySelector('.vg-chart-readout').textContent};
}"""


@pytest.mark.parametrize("page", CHART_PAGES or ["(sin sitio)"])
def test_chart_explorer_draws_what_vgcourse_computes(browser_base, page):
    """Veinte configuraciones al azar por explorador, elegidas con los controles de la página:
    las curvas dibujadas (leídas de las fuentes de datos de Bokeh) son los gradientes que
    calcula vgcourse para esa configuración (error relativo ≤ 1e-6; se codifican en float64),
    y el texto da el cociente capa 1 / capa L medido. Mover los controles no escribe errores
    en la consola ni pide nada fuera del sitio."""
    import numpy as np

    import vgcourse as vg
    from vgcourse.report import power_of_ten

    browser, base = browser_base
    tab = browser.new_page()
    outside, errors = [], []
    tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
              else (outside.append(r.request.url), r.abort()))
    tab.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    tab.on("pageerror", lambda e: errors.append(f"excepción: {e}"))
    tab.goto(base + page, wait_until="load")
    rng = np.random.default_rng(sum(map(ord, page)))  # la misma muestra en cada ejecución
    worst = 0.0
    for k, payload in enumerate(_chart_payloads(page)):
        root = tab.locator(".vg-chart").nth(k)
        tab.wait_for_function("r => r.getAttribute('data-vg-ready') === 'listo'",
                              arg=root.element_handle(), timeout=10000)
        explorer = vg.GradientExplorer(max_depth=max(payload["depths"]), **payload["explorer"])
        for _ in range(SETTINGS_PER_CHART):
            s = _set_controls(tab, root, payload, rng)
            shown = root.evaluate(READ_CHART_JS)
            ref = explorer(**s)
            assert f"L = {s['depth']}, n = {s['width']}" in shown["title"], (shown["title"], s)
            if payload["view"] == "activacion":
                assert shown["phi"] and shown["z"] is None
            else:
                for got, want in ((shown["z"], ref.preact_norm), (shown["w"], ref.weight_norm)):
                    got = np.asarray(got, dtype=float)
                    assert got.shape == want.shape, s
                    assert np.array_equal(np.isnan(got), np.isnan(want)), s
                    worst = max(worst, float(np.nanmax(np.abs(got / want - 1))))
            np.testing.assert_allclose(shown["sat"], 100 * ref.saturated_fraction, atol=1e-9)
            z = ref.preact_norm
            assert power_of_ten(f"{z[0] / z[-1]:.3g}") in shown["readout"], (shown["readout"], s)
    tab.close()
    print(f"\n{page}: error relativo máximo {worst:.1e} en {SETTINGS_PER_CHART} configuraciones")
    assert worst <= 1e-6, f"{page}: error relativo máximo {worst:.2e}"
    assert outside == [] and errors == [], (outside[:3], errors[:3])


@pytest.mark.parametrize("page", CHART_PAGES or ["(sin sitio)"])
def test_chart_explorer_works_with_the_keyboard(browser_base, page):
    """Con el tabulador se llega a cada control, y las flechas cambian la figura y el texto."""
    browser, base = browser_base
    tab = browser.new_page()
    tab.goto(base + page, wait_until="load")
    root = tab.locator(".vg-chart").first
    tab.wait_for_function("r => r.getAttribute('data-vg-ready') === 'listo'",
                          arg=root.element_handle(), timeout=10000)
    controls = root.locator("[data-axis]")
    for k in range(controls.count()):
        control = controls.nth(k)
        if control.is_disabled():
            continue
        label = tab.evaluate("e => e.labels.length ? e.labels[0].textContent : ''",
                             control.element_handle())
        assert label.strip(), "control sin etiqueta"
        before = root.evaluate(READ_CHART_JS)
        control.focus()
        key = "Space" if control.get_attribute("type") == "checkbox" else (
            "ArrowLeft" if control.get_attribute("type") == "range" and
            control.input_value() == control.get_attribute("max") else "ArrowRight")
        if control.evaluate("e => e.tagName") == "SELECT":
            key = "ArrowUp" if control.input_value() != "0" else "ArrowDown"
        tab.keyboard.press(key)
        after = root.evaluate(READ_CHART_JS)
        assert (after["title"], after["readout"], after["z"] or after["phi"]) != (
            before["title"], before["readout"], before["z"] or before["phi"]), f"{label}: {key} no cambia nada"
    tab.close()


@pytest.mark.parametrize("page", CHART_PAGES or ["(sin sitio)"])
def test_chart_explorer_page_weight(browser_base, page):
    """Lo que añade un explorador a su página (BokehJS más el explorador con sus datos) no pasa
    de 2 MB."""
    html = (SITE / page).read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="([^"]*bokeh-[0-9.]+\.min\.js)', html)
    assert len(scripts) == 1, scripts
    bokeh = (SITE / page).parent / scripts[0].split("?")[0]
    charts = re.findall(r'<div class="vg-chart".*?</script>\n</div>', html, re.S)
    assert charts
    added = bokeh.stat().st_size + sum(len(c.encode("utf-8")) for c in charts)
    assert added <= CHART_BUDGET, f"{page}: {added / 1e6:.2f} MB añadidos"


@needs_site
def test_only_pages_with_explorers_load_bokeh():
    for page in pages():
        html = page.read_text(encoding="utf-8")
        assert ('class="vg-chart"' in html) == bool(re.search(r"bokeh-[0-9.]+\.min\.js", html)), page


@needs_site
def test_no_dead_controls_and_no_figure_twice():
    """En el libro en línea no queda ningún control de ipywidgets (sin núcleo no harían nada)
    y ninguna página muestra dos veces la misma imagen."""
    import hashlib

    control = re.compile(r'"model_name": "(Dropdown|IntSlider|FloatSlider|SelectionSlider|'
                         r'Checkbox)Model"')
    for page in pages():
        html = page.read_text(encoding="utf-8")
        views = re.findall(r'application/vnd\.jupyter\.widget-view\+json">\s*\{[^}]*"model_id": "([0-9a-f]+)"', html)
        state = re.search(r'application/vnd\.jupyter\.widget-state\+json">(.*?)</script>', html, re.S)
        if views and state:
            assert not control.search(state[1]), f"{page}: controles de ipywidgets sin núcleo"
        digests = []
        for src in re.findall(r'<img[^>]*\bsrc="([^"]+)"', html):
            if src.startswith("data:"):
                digests.append(hashlib.sha1(src.encode()).hexdigest())
            elif not src.startswith("http"):
                target = (page.parent / src.split("?")[0]).resolve()
                if target.suffix in (".png", ".jpg", ".svg") and target.exists():
                    digests.append(hashlib.sha1(target.read_bytes()).hexdigest())
        repeated = {d for d in digests if digests.count(d) > 1}
        assert not repeated, f"{page}: la misma imagen aparece {len(digests) - len(set(digests)) + 1} veces"


@pytest.fixture(scope="module")
def small_chart_html():
    import vgcourse as vg
    from vgcourse.charts import explorer_chart

    ex = vg.GradientExplorer(seed=1, max_depth=10, widths=(8, 16), n_in=6, batch=4)
    grid = vg.explorer_grid(ex, activations=("tanh", "relu"), inits=("he_normal",),
                            depths=(4, 10), theory=True)
    chart = explorer_chart(grid, view="teoria", activation="tanh", depth=10, width=16,
                           init="he_normal")
    return chart.html, ex


def test_chart_outside_the_book_loads_bokehjs_from_its_cdn(browser_base, small_chart_html):
    """En Jupyter o Colab la página no trae BokehJS: el explorador lo pide a cdn.bokeh.org en la
    versión del bokeh instalado (aquí se sirve el del paquete) y funciona igual."""
    import bokeh

    browser, _ = browser_base
    html, ex = small_chart_html
    js = Path(bokeh.__file__).parent / "server" / "static" / "js" / "bokeh.min.js"
    tab = browser.new_page()
    asked = []

    def cdn(route):
        asked.append(route.request.url)
        route.fulfill(path=str(js), content_type="application/javascript")

    tab.route("https://cdn.bokeh.org/**", cdn)
    tab.set_content(f"<!doctype html><html lang='es'><body>{html}</body></html>")
    root = tab.locator(".vg-chart")
    tab.wait_for_function("r => r.getAttribute('data-vg-ready') === 'listo'",
                          arg=root.element_handle(), timeout=10000)
    assert asked == [f"https://cdn.bokeh.org/bokeh/release/bokeh-{bokeh.__version__}.min.js"]
    root.locator("[data-axis=activation]").select_option("1")
    shown = root.evaluate(READ_CHART_JS)
    import numpy as np

    np.testing.assert_allclose(shown["z"], ex(activation="relu", depth=10, width=16,
                                               init="he_normal").preact_norm, rtol=1e-12)
    tab.close()


def test_several_charts_in_one_page_each_answer_their_own_controls(browser_base):
    """La edición de una sola página (la del PDF) reúne todos los exploradores del libro en un
    documento: cada uno se prepara y responde por separado."""
    import bokeh

    import vgcourse as vg
    from vgcourse.charts import explorer_chart

    browser, _ = browser_base
    ex = vg.GradientExplorer(seed=1, max_depth=10, widths=(8,), n_in=6, batch=4)
    grid = vg.explorer_grid(ex, activations=("tanh", "relu"), inits=("he_normal",), depths=(4, 10))
    charts = [explorer_chart(grid, activation=a, depth=10, width=8, init="he_normal").html
              for a in ("tanh", "relu")]
    js = Path(bokeh.__file__).parent / "server" / "static" / "js" / "bokeh.min.js"
    tab = browser.new_page()
    tab.set_content(f"<!doctype html><html lang='es'><head><script>{js.read_text()}</script>"
                    f"</head><body>{''.join(charts)}</body></html>")
    roots = tab.locator(".vg-chart")
    assert roots.count() == 2
    for k in range(2):
        tab.wait_for_function("r => r.getAttribute('data-vg-ready') === 'listo'",
                              arg=roots.nth(k).element_handle(), timeout=10000)
    roots.nth(1).locator("[data-axis=depth]").fill("0")
    assert "L = 10" in roots.nth(0).locator(".vg-chart-title").inner_text()
    assert "L = 4" in roots.nth(1).locator(".vg-chart-title").inner_text()
    tab.close()


def test_chart_without_bokehjs_says_so_in_spanish(browser_base, small_chart_html):
    browser, _ = browser_base
    tab = browser.new_page()
    tab.route("https://cdn.bokeh.org/**", lambda r: r.abort())
    tab.set_content(f"<!doctype html><html lang='es'><body>{small_chart_html[0]}</body></html>")
    root = tab.locator(".vg-chart")
    tab.wait_for_function("r => r.getAttribute('data-vg-ready') === 'error'",
                          arg=root.element_handle(), timeout=10000)
    assert "No se pudo cargar BokehJS" in root.locator(".vg-chart-readout").inner_text()
    tab.close()
