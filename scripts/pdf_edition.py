"""Edición en PDF del curso completo: portada, índice, todos los capítulos, los apéndices, las
soluciones de los ejercicios y la bibliografía, en un solo archivo.

Se ejecuta desde la raíz del repositorio, después de construir el libro::

    .venv/bin/python scripts/pdf_edition.py

y deja el PDF en ``_build/html/_downloads/curso-gradiente-de-fuga.pdf``, donde lo enlaza la
página de inicio del libro en línea. Los pasos:

1. construye la versión de página única del libro (``jupyter-book build --builder
   singlehtml``) en una carpeta temporal, con las **salidas guardadas** de los cuadernos
   (``execute_notebooks: "off"`` en una copia temporal de ``_config.yml``): nbval ya
   comprueba que esas salidas son las que produce el código;
2. la abre en el Chromium del sistema con Playwright (nunca descarga otro navegador), con
   toda petición que salga de la máquina bloqueada, y espera a que MathJax termine;
3. la prepara para imprimir (``scripts/pdf_print.js`` y ``scripts/pdf_print.css``): portada
   e índice, reproductores como cuadrículas de cuatro fotogramas, exploradores sustituidos por
   una nota, soluciones en un apéndice, celdas ocultas que siguen ocultas y nada del tema;
4. imprime el PDF dos veces: la primera, con marcas invisibles, sirve para saber en qué
   página cae cada capítulo y cada solución (con ``pdftotext``, de poppler-utils); la
   segunda lleva esos números en el índice y en las referencias a las soluciones. Sin
   ``pdftotext`` se imprime una sola vez, sin números de página en el índice.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
OUTPUT = ROOT / "_build" / "html" / "_downloads" / "curso-gradiente-de-fuga.pdf"
PRINT_JS = HERE / "pdf_print.js"
PRINT_CSS = HERE / "pdf_print.css"

#: secciones que tiene todo capítulo: el índice no las repite
SKELETON = ["Objetivos", "Requisitos previos", "Ejercicios", "Resumen", "¿Qué sigue?", "Referencias"]
SUBTITLE = "Por qué se desvanece el gradiente en las redes profundas y cómo evitarlo, medido capa a capa"
EDITION = ("Edición en PDF del libro en línea. Los reproductores aparecen como cuatro de sus "
           "fotogramas, los exploradores interactivos como su figura inicial y las soluciones "
           "de los ejercicios, en un apéndice.")
LICENSE = ("Texto y figuras: licencia Creative Commons Reconocimiento-CompartirIgual 4.0 "
           "Internacional (CC BY-SA 4.0). Código: licencia MIT.")
MARK = re.compile(r"QQPDF(\d+)QQ")
PAGE_MARGIN = {"top": "18mm", "bottom": "18mm", "left": "17mm", "right": "17mm"}
HEADER = ('<div style="font-size:7.5pt;color:#777;width:100%;padding:0 17mm;'
          'font-family:sans-serif;text-align:right">{title}</div>')
FOOTER = ('<div style="font-size:8pt;color:#555;width:100%;text-align:center;'
          'font-family:sans-serif"><span class="pageNumber"></span></div>')


def read_yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def toc_parts() -> list[dict]:
    """Las partes de ``_toc.yml`` con sus páginas en orden: ``[{"caption", "docs": [{"file",
    "level"}]}]`` (nivel 1: capítulo; nivel 2: sección de un capítulo, como 4.1)."""
    parts = []
    for part in read_yaml("_toc.yml").get("parts", []):
        docs = []
        for chapter in part.get("chapters", []):
            docs.append({"file": chapter["file"], "level": 1})
            docs += [{"file": s["file"], "level": 2} for s in chapter.get("sections", [])]
        parts.append({"caption": part.get("caption", ""), "docs": docs})
    return parts


def build_singlehtml(workdir: Path) -> Path:
    """Construye la página única del libro sin ejecutar los cuadernos; devuelve su carpeta."""
    config = read_yaml("_config.yml")
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    # Jupyter Book busca las extensiones locales junto al archivo de configuración
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {
        name: str((ROOT / path).resolve()) for name, path in (sphinx.get("local_extensions") or {}).items()
    }
    config_path = workdir / "_config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book) if jupyter_book.exists() else "jupyter-book", "build", str(ROOT),
               "--builder", "singlehtml", "--path-output", str(workdir), "--config", str(config_path),
               "--quiet"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit("No se pudo construir la versión de página única del libro.")
    for line in result.stderr.splitlines():
        if "WARNING" in line or "ERROR" in line:
            print(f"aviso de la página única: {line}")
    site = workdir / "_build" / "singlehtml"
    if not (site / "intro.html").exists():
        raise SystemExit(f"La construcción no dejó {site / 'intro.html'}.")
    return site


def find_chromium(given: str | None) -> str:
    path = given or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise SystemExit("No se encuentra Chromium: instálalo con «apt-get install chromium» "
                         "(Playwright usa el del sistema; nunca descarga el suyo).")
    return path


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def page_texts(pdf: bytes, workdir: Path) -> list[str]:
    """El texto de cada página (``pdftotext``, de poppler-utils)."""
    path = workdir / "primera-pasada.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def print_pdf(page, title: str) -> bytes:
    return page.pdf(
        format="A4",
        margin=PAGE_MARGIN,
        print_background=True,
        display_header_footer=True,
        header_template=HEADER.format(title=title),
        footer_template=FOOTER,
        outline=True,
        tagged=True,
    )


MARKS_ON = """() => {
  for (const node of document.querySelectorAll('[data-pdf-target]')) {
    const n = node.dataset.pdfTarget.replace('pdf-t', '');
    const mark = document.createElement('span');
    mark.className = 'pdf-mark';
    mark.textContent = `QQPDF${n}QQ`;
    node.prepend(mark);
  }
  return document.querySelectorAll('.pdf-mark').length;
}"""

FILL_PAGES = """(pages) => {
  document.querySelectorAll('.pdf-mark').forEach((m) => m.remove());
  let missing = 0;
  for (const ref of document.querySelectorAll('.pdf-pageref')) {
    const n = ref.dataset.ref.replace('pdf-t', '');
    if (pages[n] === undefined) { missing += 1; ref.textContent = '—'; }
    else ref.textContent = String(pages[n]);
  }
  return missing;
}"""

NO_PAGES = """() => {
  document.querySelectorAll('.pdf-mark, .pdf-toc-page, .pdf-pageinfo, .pdf-back')
    .forEach((n) => n.remove());
}"""


def open_book(page, url: str) -> None:
    """Carga la página única y espera a que MathJax componga todas las fórmulas."""
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=60_000)
    raw = page.evaluate("""async () => {
        await MathJax.startup.promise;
        await document.fonts.ready;
        return Array.from(document.querySelectorAll('.math'))
            .filter((e) => !e.querySelector('mjx-container')).length;
    }""")
    if raw:
        raise SystemExit(f"MathJax dejó {raw} fórmulas sin componer.")
    # los exploradores sin núcleo dibujan su configuración inicial con BokehJS
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.vg-chart'))
        .every((c) => c.getAttribute('data-vg-ready') === 'listo')""", timeout=60_000)
    page.wait_for_timeout(200)  # los reproductores se crean en un setTimeout(…, 0)


def prepare_for_print(page, meta: dict) -> dict:
    """Aplica ``pdf_print.js`` y ``pdf_print.css``; devuelve el resumen de lo que cambió."""
    done = page.evaluate(PRINT_JS.read_text(encoding="utf-8"),
                         {"meta": meta, "parts": toc_parts(), "skeleton": SKELETON})
    page.add_style_tag(content=PRINT_CSS.read_text(encoding="utf-8"))
    page.evaluate("""async () => {
        await document.fonts.ready;
        await Promise.all(Array.from(document.images).map((i) => i.decode().catch(() => null)));
    }""")
    broken = page.evaluate("() => Array.from(document.images).filter((i) => !i.naturalWidth).length")
    if broken:
        raise SystemExit(f"{broken} imágenes no se han cargado.")
    return done


def print_with_page_numbers(page, title: str, workdir: Path) -> bytes:
    """Dos pasadas: la primera, con una marca invisible en cada destino, dice en qué página cae
    cada uno; la segunda lleva esos números (las marcas no ocupan sitio: nada se mueve)."""
    if not shutil.which("pdftotext"):
        print("aviso: sin pdftotext (poppler-utils), el índice va sin números de página")
        page.evaluate(NO_PAGES)
        return print_pdf(page, title)
    page.evaluate(MARKS_ON)
    first = print_pdf(page, title)
    pages: dict[str, int] = {}
    for number, text in enumerate(page_texts(first, workdir), start=1):
        for mark in MARK.findall(text):
            pages.setdefault(mark, number)
    missing = page.evaluate(FILL_PAGES, pages)
    if missing:
        raise SystemExit(f"{missing} referencias de página sin destino encontrado.")
    pdf = print_pdf(page, title)
    if page_count(pdf) != page_count(first):
        raise SystemExit("Las dos pasadas no tienen las mismas páginas: los números del índice "
                         "no serían fiables.")
    return pdf


def make_pdf(site: Path, chromium: str, workdir: Path) -> tuple[bytes, dict]:
    """Abre la página única en Chromium, sin red, y la imprime; devuelve el PDF y el resumen."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    config = read_yaml("_config.yml")
    meta = {
        "title": config.get("title", "El problema del gradiente de fuga"),
        "subtitle": SUBTITLE,
        "author": config.get("author", "Equipo del curso"),
        "year": str(config.get("copyright", "")),
        "edition": EDITION,
        "license": LICENSE,
    }
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_port}/"
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith((base, "data:")):
            r.continue_()
        else:  # el libro no necesita la red: nada sale de la máquina
            outside.append(r.request.url)
            r.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(color_scheme="light")
            page.route("**/*", route)
            open_book(page, base + "intro.html")
            done = prepare_for_print(page, meta)
            pdf = print_with_page_numbers(page, meta["title"], workdir)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if outside:
        print(f"bloqueadas {len(outside)} peticiones externas (p. ej. {outside[0]})")
    return pdf, done


class SpanishHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix or "uso: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Genera la edición en PDF del curso a partir de las salidas guardadas de los cuadernos.",
        add_help=False, formatter_class=SpanishHelp)
    parser._optionals.title = "opciones"
    parser.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")
    parser.add_argument("--salida", type=Path, default=OUTPUT,
                        help=f"archivo PDF que se escribe (por defecto, {OUTPUT.relative_to(ROOT)})")
    parser.add_argument("--pagina-unica", type=Path, default=None, metavar="CARPETA",
                        help="usar una versión de página única ya construida (con intro.html) "
                             "en lugar de construirla")
    parser.add_argument("--chromium", default=None, help="ruta del Chromium del sistema")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    chromium = find_chromium(args.chromium)
    with tempfile.TemporaryDirectory(prefix="pdf-edicion-") as tmp:
        workdir = Path(tmp)
        site = args.pagina_unica or build_singlehtml(workdir)
        built = time.perf_counter()
        pdf, done = make_pdf(site, chromium, workdir)
    args.salida.parent.mkdir(parents=True, exist_ok=True)
    args.salida.write_bytes(pdf)
    total = time.perf_counter() - start
    print(f"PDF: {args.salida} — {page_count(pdf)} páginas, {len(pdf) / 2**20:.1f} MB, "
          f"{total:.0f} s (página única: {built - start:.0f} s)")
    print(f"  {done['players']} reproductores ({done['frames']} fotogramas), {done['widgets']} "
          f"exploradores sustituidos, {done['charts']} exploradores sin núcleo en su configuración inicial, {done['solutions']} bloques de solución en el apéndice, "
          f"{done['hidden']} celdas ocultas, {done['targets']} entradas en el índice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
