"""La edición en PDF del curso (``scripts/pdf_edition.py``), tal como la recibe un lector.

El PDF se genera después de construir el libro (``.ci/run``: libro, PDF y pruebas, en ese
orden). Si no existe, estas pruebas se saltan y lo dicen; si existe, se lee con las
herramientas de poppler-utils (``pdftotext``, ``pdfimages``, ``pdffonts``, ``pdfinfo``) y se
compara con lo que dicen los cuadernos: cada capítulo en la página que da el índice, cada
figura y cuatro fotogramas de cada reproductor, cada solución en su apéndice, ninguna fórmula
sin componer, nada interactivo ni plegado y todas las fuentes incrustadas.
"""

from __future__ import annotations

import functools
import math
import re
import shutil
import subprocess

import pytest
import yaml

from helpers import CHAPTERS, CONFIG, ROOT, load_notebook

PDF = ROOT / "_build" / "html" / "_downloads" / "curso-gradiente-de-fuga.pdf"
POPPLER = ("pdftotext", "pdfimages", "pdffonts", "pdfinfo")

pytestmark = [
    pytest.mark.skipif(not PDF.exists(), reason="no hay edición en PDF: se genera con "
                       "«.venv/bin/python scripts/pdf_edition.py» después de construir el libro"),
    pytest.mark.skipif(any(shutil.which(tool) is None for tool in POPPLER),
                       reason="faltan las herramientas de poppler-utils (apt-get install poppler-utils)"),
]

SOLUTIONS_TITLE = "Soluciones de los ejercicios"
BIBLIOGRAPHY_TITLE = "Bibliografía"
# una fórmula que MathJax no compuso deja su TeX en el texto
RAW_TEX = re.compile(r"\\(?:frac|partial|sigma|sqrt|mathrm|mathbb|left|right|begin|cdot|ln|"
                     r"log|sum|prod|alpha|chi|varphi|tfrac)\b|\$|\\\(|\\\)|\\\[|\\\]")
# lo que solo tiene sentido en la web: botones de celdas plegadas, controles de los
# reproductores, avisos de widgets sin renderizar y las marcas de la primera pasada
INTERACTIVE = [CONFIG["sphinx"]["config"]["nb_code_prompt_show"],
               CONFIG["sphinx"]["config"]["nb_code_prompt_hide"],
               "Mostrar el cálculo de la solución", "Ocultar el cálculo de la solución",
               "Una vez En bucle Ida y vuelta", "Loading widget", "Error displaying widget",
               "widget-view", "model_id", "QQPDF"]
EXPLORER_NOTE = "Aquí el cuaderno muestra un explorador interactivo"


# ---------------------------------------------------------------------------------------
# El PDF, leído con poppler-utils
# ---------------------------------------------------------------------------------------
def run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def normalize(text: str) -> str:
    """Texto comparable: sin guiones blandos (ni el guion que deja uno al partir la línea) y
    con los espacios y saltos de línea reducidos a un espacio."""
    text = text.replace("\u00ad", "").replace("\u2010\n", "")
    return " ".join(text.split())


@functools.cache
def pages(layout: bool = False) -> tuple[str, ...]:
    """El texto de cada página (la primera es la 1)."""
    text = run("pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(PDF), "-")
    return tuple(text.split("\f")[:-1])


@functools.cache
def index() -> dict[str, int]:
    """Las entradas del índice, de la página 2 a la anterior a la presentación: título → página."""
    entries: dict[str, int] = {}
    for number, page in enumerate(pages(layout=True)[1:], start=2):
        if number >= entries.get("Presentación", len(pages())):
            break
        for line in page.splitlines():
            m = re.match(r"\s*(\S.*?)\s{2,}(\d+)\s*$", line)
            if m:
                entries.setdefault(normalize(m[1]), int(m[2]))
    return entries


def page_range(first_title: str, next_title: str | None = None) -> range:
    """Las páginas de una parte del libro según el índice: hasta la siguiente o hasta el final."""
    for title in (first_title, next_title or first_title):
        assert title in index(), f"el índice no tiene «{title}»"
    end = index()[next_title] if next_title else len(pages()) + 1
    return range(index()[first_title], end)


def text_of(numbers: range) -> str:
    return normalize("\n".join(pages()[n - 1] for n in numbers))


# ---------------------------------------------------------------------------------------
# Lo que dicen los cuadernos
# ---------------------------------------------------------------------------------------
def page_titles() -> list[str]:
    """El título de cada página del libro en el orden de ``_toc.yml``: la primera línea del
    primer texto de cada cuaderno (``# 4.3 Conexiones residuales``) o de cada apéndice."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [f for part in toc["parts"] for ch in part["chapters"]
             for f in [ch["file"], *(s["file"] for s in ch.get("sections", []))]]
    titles = []
    for name in files:
        if (ROOT / f"{name}.ipynb").exists():
            source = next(c.source for c in load_notebook(name).cells if c.cell_type == "markdown")
        else:
            source = (ROOT / f"{name}.md").read_text(encoding="utf-8")
        heading = next(line for line in source.splitlines() if line.startswith("# "))
        titles.append(normalize(heading[2:]))
    return titles


def tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def printed_cells(nb):
    """Las celdas de código cuyo resultado sale en el PDF (ni quitadas ni plegadas, salvo las
    soluciones, que salen en su apéndice)."""
    for cell in nb.cells:
        t = tags(cell)
        if cell.cell_type != "code" or t & {"remove-cell", "remove-output", "hide-output"}:
            continue
        if "hide-cell" in t and "solution" not in t:
            continue
        yield cell


def player_frames(html: str) -> int:
    """Fotogramas que el PDF muestra de un reproductor: el primero, dos intermedios y el último."""
    n = len(re.findall(r"frames\[\d+\]\s*=", html))
    return len({0, math.floor((n - 1) / 3 + 0.5), math.floor(2 * (n - 1) / 3 + 0.5), n - 1})


def expected_images() -> tuple[int, int]:
    """(figuras PNG, fotogramas de reproductores) que deben verse en el PDF."""
    figures = frames = 0
    for name in CHAPTERS:
        for cell in printed_cells(load_notebook(name)):
            for output in cell.outputs:
                data = output.get("data", {})
                html = data.get("text/html", "")
                if 'class="animation"' in html:
                    frames += player_frames(html)
                elif "image/png" in data and "text/html" not in data and not any(
                        "widget" in mime for mime in data):
                    figures += 1
    return figures, frames


def exercises() -> dict[str, list[dict]]:
    """Por cuaderno, sus ejercicios con solución: número y línea ``vg.check(...)`` de su cálculo."""
    found: dict[str, list[dict]] = {}
    for name in CHAPTERS:
        nb = load_notebook(name)
        numbers = [int(n) for c in nb.cells if c.cell_type == "markdown"
                   for n in re.findall(r"Solución del ejercicio (\d+)", c.source)]
        checks = {}
        for cell in nb.cells:
            if cell.cell_type == "code" and "solution" in tags(cell):
                n = int(re.search(r"solución del ejercicio (\d+)", cell.source, re.I)[1])
                checks[n] = next(line.strip() for line in cell.source.splitlines()
                                 if line.startswith("vg.check("))
        assert sorted(checks) == sorted(numbers), name  # razonamiento y cálculo, a pares
        if numbers:
            found[name] = [{"number": n, "check": checks[n]} for n in numbers]
    return found


def code_corpus() -> str:
    """Todo el código y toda la salida de texto de los cuadernos (ahí el TeX es literal)."""
    parts = []
    for name in CHAPTERS:
        for cell in load_notebook(name).cells:
            if cell.cell_type == "code":
                parts.append(cell.source)
                for output in cell.outputs:
                    parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    # espacios reducidos a uno, como los deja pdftotext
    return "\n".join(" ".join(line.split()) for part in parts for line in part.splitlines())


def code_corpus_visible() -> str:
    """El código de las celdas que sí se imprimen: las no plegadas y las soluciones."""
    lines = []
    for name in CHAPTERS:
        for cell in load_notebook(name).cells:
            t = tags(cell)
            folded = t & {"hide-input", "hide-cell", "remove-cell"} and "solution" not in t
            if cell.cell_type == "code" and not folded:
                lines += [" ".join(line.split()) for line in cell.source.splitlines()]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Las pruebas
# ---------------------------------------------------------------------------------------
def test_pdf_is_an_a4_book_of_sane_length():
    info = run("pdfinfo", str(PDF))
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    print(f"\nedición en PDF: {count} páginas, {PDF.stat().st_size / 2**20:.1f} MB")
    assert 60 <= count <= 400, count
    assert len(pages()) == count
    assert re.search(r"^Title:\s+" + re.escape(CONFIG["title"]) + r"\s*$", info, re.M), info
    assert "(A4)" in info
    cover = normalize(pages()[0])
    for text in (CONFIG["title"], CONFIG["author"], str(CONFIG["copyright"]), "CC BY-SA 4.0", "MIT"):
        assert text in cover, f"la portada no dice «{text}»: {cover[:300]}"


def test_every_page_title_starts_where_the_index_says():
    """Cada capítulo, sección del capítulo 4 y apéndice está en el índice, en orden, y su
    título aparece en la página que el índice le da."""
    titles = page_titles() + [SOLUTIONS_TITLE]
    assert len(titles) >= 15
    found = index()
    missing = [t for t in titles if t not in found]
    assert not missing, f"títulos que no están en el índice: {missing}"
    for title in titles:
        assert title in normalize(pages()[found[title] - 1]), (
            f"«{title}» no está en la página {found[title]}, la que dice el índice")
    order = [found[t] for t in page_titles()]
    assert order == sorted(order), order


def test_bibliography_lists_every_reference():
    text = text_of(page_range(BIBLIOGRAPHY_TITLE)).lower()
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    titles = re.findall(r"^\s*title\s*=\s*\{(.+)\},?\s*$", bib, re.M)
    assert len(titles) == bib.count("\n@") + bib.startswith("@")
    for title in titles:
        words = " ".join(re.sub(r"[{}]", "", title).split()[:4]).lower()
        assert words in text, f"la bibliografía no tiene «{title}»"


def test_every_figure_and_four_frames_of_every_player_are_embedded():
    figures, frames = expected_images()
    rows = run("pdfimages", "-list", str(PDF)).splitlines()[2:]
    # página, número, tipo, anchura, altura, color, componentes...: las figuras son a color;
    # las máscaras en gris de 1 bit que Chromium crea para algunos bordes no cuentan
    color = [r for r in rows if r.split()[2] == "image" and int(r.split()[6]) >= 3]
    print(f"\n{len(color)} imágenes a color; los cuadernos: {figures} figuras + {frames} fotogramas")
    assert figures >= 30 and frames >= 24
    assert len(color) >= figures + frames


def test_no_formula_is_left_as_raw_tex():
    """Fuera del código (donde el TeX de las etiquetas de matplotlib es literal), ningún resto
    de TeX: MathJax compuso cada fórmula antes de imprimir."""
    corpus = code_corpus()
    raw = [line for page in pages() for line in page.splitlines()
           if RAW_TEX.search(line) and " ".join(line.split()) not in corpus]
    assert not raw, f"{len(raw)} líneas con TeX sin componer: {raw[:5]}"


def test_nothing_interactive_or_folded_is_printed():
    """Ni botones de celdas plegadas, ni controles de reproductores, ni huecos de widgets; cada
    explorador deja su nota, y el código de las celdas ocultas sigue oculto."""
    text = normalize("\n".join(pages()))
    for word in INTERACTIVE:
        assert word not in text, f"el PDF dice «{word}»"
    outputs = [o.get("data", {}) for name in CHAPTERS for cell in printed_cells(load_notebook(name))
               for o in cell.outputs]
    widgets = sum("application/vnd.jupyter.widget-view+json" in d for d in outputs)
    charts = sum('class="vg-chart"' in d.get("text/html", "") for d in outputs)
    assert charts >= 7 and text.count(EXPLORER_NOTE) == widgets + charts, (
        widgets, charts, text.count(EXPLORER_NOTE))
    visible = code_corpus_visible()
    for name in CHAPTERS:
        for cell in load_notebook(name).cells:
            t = tags(cell)
            if cell.cell_type == "code" and t & {"hide-input", "hide-cell"} and "solution" not in t:
                for line in cell.source.splitlines():
                    line = " ".join(line.split())
                    if len(line) >= 30 and line not in visible:
                        assert line not in text, f"{name}: se imprime una celda oculta: {line!r}"


def test_every_solution_is_in_the_appendix_and_only_there():
    """El razonamiento y el cálculo de cada ejercicio están en el apéndice de soluciones,
    agrupados por capítulo; en el capítulo queda una referencia con la página."""
    appendix_pages = page_range(SOLUTIONS_TITLE, BIBLIOGRAPHY_TITLE)
    appendix = text_of(appendix_pages)
    chapters = text_of(range(1, appendix_pages.start))
    titles = dict(zip(CHAPTERS, page_titles(), strict=False))
    found = exercises()
    assert sum(len(v) for v in found.values()) >= 20
    position = 0
    for name, items in found.items():
        number, title = re.match(r"(\d+(?:\.\d+)?)\.?\s+(.*)", titles[name]).groups()
        heading = f"Capítulo {number} — {title}"
        position = appendix.find(heading, position)
        assert position >= 0, f"el apéndice no tiene (o no en orden) «{heading}»"
        for item in items:
            entry = re.compile(rf"Ejercicio {item['number']} \(enunciado en la p\. (\d+)\)")
            m = entry.search(appendix, position)
            assert m, f"{name}: falta el ejercicio {item['number']} en el apéndice"
            assert int(m[1]) < appendix_pages.start
            position = m.end()
            check = " ".join(item["check"].split())
            assert check in appendix, f"{name}: el cálculo del ejercicio {item['number']} no está"
            assert check not in chapters, f"{name}: el cálculo del ejercicio {item['number']} sigue en el capítulo"
    pointers = re.findall(r"Solución del ejercicio (\d+): en el apéndice de soluciones, p\. (\d+)", chapters)
    assert len(pointers) == sum(len(v) for v in found.values()), pointers
    for number, page in pointers:
        assert int(page) in appendix_pages
        assert f"Ejercicio {number}" in normalize(pages()[int(page) - 1])
    assert appendix.count("✔ Correcto") >= sum(len(v) for v in found.values())


def test_every_font_is_embedded():
    lines = run("pdffonts", str(PDF)).splitlines()
    columns = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[1])]
    header = [lines[0][a:b].strip() for a, b in columns]
    emb = header.index("emb")
    fonts = [[line[a:b].strip() for a, b in columns] for line in lines[2:]]
    assert fonts, "el PDF no tiene fuentes"
    loose = [f[0] for f in fonts if f[emb] != "yes"]
    assert not loose, f"fuentes sin incrustar: {loose}"
