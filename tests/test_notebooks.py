"""Estructura de los capítulos: esqueleto, celda de Colab, figuras con leyenda, salidas limpias.

nbval (en la misma orden de pruebas) vuelve a ejecutar los cuadernos y compara sus salidas;
aquí se comprueba lo que nbval no mira.

Si cambia el repositorio (``repository.url`` en ``_config.yml``) o la versión del paquete,
las celdas de instalación se actualizan con ``python scripts/sync_colab.py``.
"""

from __future__ import annotations

import re

import pytest

from helpers import CHAPTER_GROUPS, CHAPTERS, CONFIG, ROOT, code_cells, load_notebook, sync_colab

VERSION = sync_colab.package_version()
REPO_URL = sync_colab.repository_url()
INSTALL_RE = sync_colab.INSTALL_RE
load = load_notebook


def test_every_chapter_notebook_is_in_the_toc():
    on_disk = sorted(f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("*.ipynb"))
    assert on_disk == sorted(CHAPTERS)
    assert len(CHAPTERS) >= 3


@pytest.mark.parametrize("name", CHAPTERS)
def test_skeleton(name):
    nb = load(name)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    # «# 4. Soluciones comunes»; las páginas de un capítulo repartido, «# 4.1 La activación ReLU»
    assert re.match(r"# \d+(\.|\.\d+) \S", nb.cells[0].source), "la primera celda es el título numerado"
    positions = []
    for heading in ("## Objetivos", "## Requisitos previos", "## Resumen", "## ¿Qué sigue?", "## Referencias"):
        assert heading in text, f"falta la sección «{heading}»"
        positions.append(text.index(heading))
    assert positions == sorted(positions), "las secciones del esqueleto están en orden"
    assert re.search(r"\*\*Tiempo estimado:\*\* \d+ minutos", text)
    assert "{cite:" in text, "el capítulo cita la bibliografía"


@pytest.mark.parametrize("name", CHAPTERS)
def test_colab_install_cell(name):
    cells = code_cells(load(name))
    install = cells[0]
    assert "remove-cell" in install.metadata.get("tags", [])
    assert 'if "google.colab" in sys.modules:' in install.source
    assert "--no-deps" in install.source  # no toca jax, numpy, matplotlib ni ipywidgets de Colab
    m = INSTALL_RE.search(install.source)
    assert m, "la celda instala vgcourse desde el repositorio"
    assert m["url"] == REPO_URL, "ejecuta `python scripts/sync_colab.py`"
    assert m["ref"] == f"v{VERSION}", "ejecuta `python scripts/sync_colab.py`"
    setup = cells[1].source
    assert "import vgcourse as vg" in setup and "vg.enable_x64()" in setup and "SEED = 0" in setup


@pytest.mark.parametrize("name", CHAPTERS)
def test_outputs_are_committed_clean_and_small(name):
    nb = load(name)
    # PNG de resolución modesta (≈100 ppp) y sin duplicados SVG/PDF: cada figura < 250 KB y
    # el cuaderno entero < 2 MB (el capítulo 4, con 12 figuras y 4 exploradores, pesa ~1.7 MB)
    assert (ROOT / f"{name}.ipynb").stat().st_size < 2_000_000
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            assert len(out.get("data", {}).get("image/png", "")) < 250_000, cell.source[:80]
        assert cell.execution_count is not None, "cuaderno guardado con sus salidas"
        for out in cell.get("outputs", []):
            assert out.output_type != "error", cell.source[:80]
            assert not (out.output_type == "stream" and out.name == "stderr"), cell.source[:80]
            data = out.get("data", {})
            assert "image/svg+xml" not in data and "application/pdf" not in data
            assert not re.search(r"<(Figure|matplotlib)[^>]*>", data.get("text/plain", "")) or \
                "image/png" in data


GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]*)`")


@pytest.mark.parametrize("name", CHAPTERS)
def test_glue_roles_are_well_formed_and_glued(name):
    # Un rol mal escrito ({glue:text}`x:.2f} %`) no da aviso al construir: el resto del
    # párrafo sale como texto literal. Cada rol debe ser «nombre[:formato]» y el nombre, uno
    # que una celda del mismo cuaderno haya pegado con vg.glue (salida con «scrapbook»).
    nb = load(name)
    glued = {
        out["metadata"]["scrapbook"]["name"]
        for cell in code_cells(nb)
        for out in cell.get("outputs", [])
        if "scrapbook" in out.get("metadata", {})
    }
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for role in GLUE_ROLE.findall(cell.source):
            assert re.fullmatch(r"[A-Za-z_]\w*(:[^`:{}]+)?", role), f"rol mal formado: {role!r}"
            assert role.split(":")[0] in glued, f"{role!r} no se pega en {name}"
        # una comilla invertida sin cerrar deja «{glue:text}`» sin rol
        assert cell.source.count("{glue") == len(GLUE_ROLE.findall(cell.source)), cell.source[:80]


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_have_alt_text_caption_and_unique_name(name):
    names = []
    for cell in code_cells(load(name)):
        if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            meta = cell.metadata.get("mystnb", {})
            assert len(meta.get("image", {}).get("alt", "")) > 40, cell.source[:80]
            assert meta.get("figure", {}).get("caption"), cell.source[:80]
            names.append(meta["figure"]["name"])
    assert names and len(names) == len(set(names))


@pytest.mark.parametrize("name", CHAPTERS)
def test_each_widget_follows_its_online_explorer_and_is_hidden_in_the_book(name):
    """Cada explorador con núcleo (ipywidgets) va después de su explorador sin núcleo (el que
    responde en el libro en línea, y que nbval sí compara), y en el libro no muestra nada: sin
    núcleo, sus controles no harían nada."""
    cells = code_cells(load(name))
    widget_cells = [i for i, c in enumerate(cells) if "gradient_explorer(" in c.source]
    for i in widget_cells:
        tags = cells[i].metadata.get("tags", [])
        assert "nbval-ignore-output" in tags and "remove-output" in tags
        chart = cells[i - 1]
        assert "explorer_chart(" in chart.source
        assert "nbval-ignore-output" not in chart.metadata.get("tags", [])
        html = [o["data"]["text/html"] for o in chart.outputs if "text/html" in o.get("data", {})]
        assert len(html) == 1 and 'class="vg-chart"' in html[0]


@pytest.mark.parametrize("chapter", sorted(CHAPTER_GROUPS))
def test_each_chapter_has_a_kernel_free_player(chapter):
    """Interactividad en el libro sin núcleo: al menos un reproductor (vgcourse.animation)
    por capítulo (el 4 reparte el suyo en varias páginas), completo (todos sus fotogramas), sin
    identificadores aleatorios y con nbval comparando su resumen de texto (los fotogramas, como
    las demás imágenes, no se comparan)."""
    players = []
    for cell in (c for name in CHAPTER_GROUPS[chapter] for c in code_cells(load(name))):
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            if 'class="animation"' in html:
                players.append(html)
                assert out["data"]["text/plain"].startswith("Reproductor «")
                assert "nbval-ignore-output" not in cell.metadata.get("tags", [])
    assert players, "el capítulo no tiene ningún reproductor sin núcleo"
    for html in players:
        n = int(re.search(r"new Array\((\d+)\)", html)[1])
        assert len(re.findall(r'frames\[\d+\] = "data:image/png', html)) == n >= 2
        assert not re.search(r"[0-9a-f]{32}", html), "identificador aleatorio en el reproductor"
        assert "https://" not in html and 'alt="' in html


def test_colab_links_in_the_built_site():
    """Cada página de capítulo enlaza con Colab en su propio cuaderno (si el libro está construido)."""
    html_dir = ROOT / "_build" / "html"
    if not html_dir.exists():  # .ci/run construye el libro antes de las pruebas
        pytest.skip("el libro no está construido (jupyter-book build .)")
    owner_repo = REPO_URL.removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    prefix = CONFIG["repository"].get("path_to_book", "").strip("/")
    for name in CHAPTERS:
        page = (html_dir / f"{name}.html").read_text(encoding="utf-8")
        path = f"{prefix}/{name}.ipynb" if prefix else f"{name}.ipynb"
        expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}"
        assert expected in page, f"{name}: falta el enlace {expected}"


NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_printed_or_glued_number_is_nan_or_infinite(name):
    """Lo que ve el lector es una medida o un texto que dice que no la hay («sin medida»,
    «< 1e-14·s_max»), nunca un ``nan`` o un ``inf`` impreso como si fuera una cifra."""
    for cell in code_cells(load(name)):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                             if k.endswith("text/plain")]
            for text in texts:
                assert not re.search(r"\b(nan|inf)\b", text), (cell.source[:60], text[:200])


#: etiquetas que esconden el código de una celda en el libro (el código sigue en el cuaderno)
HIDDEN = {"remove-cell", "remove-input", "hide-input", "hide-cell"}
#: líneas de la celda de código visible más larga que se admite (como norma, 15)
MAX_VISIBLE_CODE_LINES = 20


@pytest.mark.parametrize("name", CHAPTERS)
def test_visible_code_is_teaching_code(name):
    """Lo que el estudiante ve es lo que escribiría para reproducir el resultado: ni glue, ni
    textos alternativos armados en código, ni menciones de nbval, en celdas cortas; lo demás va
    en celdas ocultas (que siguen ejecutándose en Colab y en las pruebas)."""
    lengths = []
    for cell in code_cells(load(name)):
        if HIDDEN & set(cell.metadata.get("tags", [])):
            continue
        source = cell.source
        assert not re.search(r"\bglue\(|\balt\s*=|nbval", source), source[:200]
        lines = [ln for ln in source.splitlines() if ln.strip()]
        lengths.append(len(lines))
        assert len(lines) <= MAX_VISIBLE_CODE_LINES, f"celda de {len(lines)} líneas: {source[:80]}"
    # como norma, 15 líneas: solo alguna celda se pasa
    assert sum(n > 15 for n in lengths) <= 2, sorted(lengths)[-5:]


@pytest.mark.parametrize("name", CHAPTERS)
def test_figures_are_drawn_for_the_page(name):
    """Cada figura se dibuja al ancho de la columna del libro (6.7 pulgadas a 100 ppp = 670 px),
    no a 1000-1500 px que el navegador encoge hasta hacer ilegibles sus rótulos."""
    import base64
    import struct

    for cell in code_cells(load(name)):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                width = struct.unpack(">I", base64.b64decode(png)[16:20])[0]
                assert width <= 700, f"figura de {width} px: {cell.source[:80]}"


def test_the_syllabus_on_the_landing_page_matches_every_page():
    """El programa de la portada da, para cada página, el mismo tiempo que la propia página, y
    su total es la suma: el profesor planifica con cifras que no se contradicen."""
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| \{doc\}`(chapters/[\w]+)` \| [^|]+ \| (\d+) min \|$", intro, re.M)
    assert [r[1] for r in rows] == CHAPTERS, "una fila por página, en el orden del índice"
    for _, name, minutes in rows:
        text = "\n".join(c.source for c in load(name).cells if c.cell_type == "markdown")
        estimate = re.search(r"\*\*Tiempo estimado:\*\* (\d+) minutos", text)[1]
        assert estimate == minutes, f"{name}: {estimate} min en la página, {minutes} en la portada"
    total = sum(int(r[2]) for r in rows)
    assert f"**{total} min**" in intro
    assert f"unas **{round(total / 60)} horas**" in intro
