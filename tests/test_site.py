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
