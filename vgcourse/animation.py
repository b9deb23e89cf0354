"""Figuras interactivas sin núcleo: reproductores de fotogramas para el libro en línea.

El libro publicado no tiene núcleo de Python, así que un widget no puede recalcular nada
allí. Un reproductor sí funciona: los fotogramas (uno por valor de un parámetro: la
profundidad, la escala de los pesos, el paso de entrenamiento...) se dibujan al ejecutar
el cuaderno a partir de números ya calculados por el núcleo numérico, y la página los
muestra con un deslizador y botones, en JavaScript, sin servidor.

Este módulo **solo dibuja**: recibe arreglos ya calculados y nunca calcula gradientes.
Parte de ``FuncAnimation.to_jshtml()`` de matplotlib y arregla lo que ese HTML trae mal
para este curso:

- los textos de los botones y de los modos de repetición, en español;
- los iconos, que matplotlib pide a una CDN (Font Awesome), pasan a ser caracteres Unicode:
  el libro se lee sin conexión;
- el identificador aleatorio de cada elemento (``anim`` + 32 cifras hexadecimales) se
  sustituye por uno fijo derivado de ``name``: la salida es la misma en cada ejecución;
- los fotogramas se guardan con una paleta de 64 colores (pesan 3-4 veces menos);
- la imagen lleva texto alternativo y el deslizador, una etiqueta accesible;
- si matplotlib descarta fotogramas por superar ``animation.embed_limit``, se produce un
  error en lugar de un reproductor incompleto.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure
from PIL import Image

from vgcourse._plotting import (
    BOOK_DPI,
    BOOK_WIDTH,
    LAYER_LABEL,
    finish_axes,
    layer_line,
    positive_range,
)

__all__ = ["Player", "layer_norms_player", "player"]

#: textos de ``to_jshtml`` (matplotlib 3.x) → español
_TEXTS = {
    "Decrease speed": "Más lento",
    "First frame": "Primer fotograma",
    "Previous frame": "Fotograma anterior",
    "Play backwards": "Reproducir hacia atrás",
    "Pause": "Pausa",
    "Play": "Reproducir",
    "Next frame": "Fotograma siguiente",
    "Last frame": "Último fotograma",
    "Increase speed": "Más rápido",
    "Repetition mode": "Modo de repetición",
}
_MODES = {"Once": "Una vez", "Loop": "En bucle", "Reflect": "Ida y vuelta"}
#: iconos de Font Awesome → caracteres Unicode (el orden importa: «fa-play fa-flip» antes que «fa-play»)
#: (caracteres de fuentes comunes: los de «control multimedia» ⏮⏸ faltan en muchas)
_ICONS = (
    ("fa fa-play fa-flip-horizontal", "◀"),
    ("fa fa-fast-backward", "⇤"),
    ("fa fa-step-backward", "‹"),
    ("fa fa-fast-forward", "⇥"),
    ("fa fa-step-forward", "›"),
    ("fa fa-minus", "−"),
    ("fa fa-plus", "+"),
    ("fa fa-pause", "‖"),
    ("fa fa-play", "▶"),
)
_FRAME = re.compile(r'(frames\[\d+\] = "data:image/png;base64,)([^"]+)"')
_NAME = re.compile(r"[a-z][a-z0-9_]{0,40}")


@dataclass(frozen=True)
class Player:
    """Un reproductor listo para mostrarse en un cuaderno (``text/html``) o en el libro.

    ``repr`` (lo que compara nbval como texto) resume el contenido: nombre, número de
    fotogramas y títulos del primero y del último.
    """

    name: str
    html: str
    n_frames: int
    summary: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.summary


def _small_png(match: re.Match) -> str:
    """Fotograma reducido a una paleta de 64 colores: ~3-4 veces menos bytes, sin pérdida
    visible en figuras de líneas (los cuadernos y las páginas pesan menos)."""
    data = base64.b64decode(match.group(2).replace("\\\n", ""))
    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=64)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return match.group(1) + base64.b64encode(out.getvalue()).decode("ascii") + '"'


def _translate(html: str, uid: str, name: str, alt: str) -> str:
    html = _FRAME.sub(_small_png, html.replace(uid, name))
    # sin hojas de estilo remotas: el libro funciona sin conexión
    html = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", html)
    for cls, char in _ICONS:
        html = html.replace(f'<i class="{cls}"></i>', f'<span aria-hidden="true">{char}</span>')
    for en, es in _TEXTS.items():
        html = html.replace(f'title="{en}"', f'title="{es}"').replace(
            f'aria-label="{en}"', f'aria-label="{es}"'
        )
    for en, es in _MODES.items():
        html = html.replace(f">{en}</label>", f">{es}</label>")
    # texto alternativo, y nunca más ancha que la columna del libro
    html = html.replace(f'<img id="_anim_img{name}">',
                        f'<img id="_anim_img{name}" alt="{escape(alt, quote=True)}" '
                        'style="max-width: 100%; height: auto;">')
    html = html.replace('class="anim-slider"', 'class="anim-slider" aria-label="Fotograma"')
    return html


def player(
    fig: Figure,
    draw_frame: Callable[[int], object],
    n_frames: int,
    *,
    name: str,
    alt: str,
    summary: str,
    interval_ms: int = 800,
    embed_limit_mb: float = 4.0,
) -> Player:
    """Convierte ``fig`` en un reproductor de ``n_frames`` fotogramas.

    Args:
        fig: la figura; se cierra al terminar (no se muestra aparte).
        draw_frame: ``draw_frame(i)`` dibuja el fotograma ``i`` (0 ≤ i < ``n_frames``) en ``fig``.
        n_frames: número de fotogramas (≥ 2).
        name: identificador único en la página, en minúsculas (``[a-z][a-z0-9_]*``).
        alt: texto alternativo de la imagen (qué muestra y cómo se mueve).
        summary: resumen en texto para ``repr`` (y para nbval).
        interval_ms: milisegundos entre fotogramas al reproducir.
        embed_limit_mb: tamaño máximo de los fotogramas incrustados, en MB.

    Returns:
        Un :class:`Player`.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"`name` debe ser un identificador en minúsculas (letras, cifras y «_», empezando "
            f"por una letra, hasta 41 caracteres); se recibió {name!r}."
        )
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 2:
        raise ValueError(f"`n_frames` debe ser un entero ≥ 2; se recibió {n_frames!r}.")
    if not isinstance(alt, str) or len(alt.strip()) < 20:
        raise ValueError("`alt` debe describir la figura (al menos 20 caracteres).")
    anim = FuncAnimation(fig, lambda i: draw_frame(i) and None, frames=n_frames,
                         interval=interval_ms, repeat=False)
    try:
        with plt.rc_context({"animation.embed_limit": embed_limit_mb}):
            html = anim.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    embedded = len(re.findall(r"frames\[\d+\] = \"data:image", html))
    if embedded != n_frames:
        raise ValueError(
            f"Solo caben {embedded} de {n_frames} fotogramas en {embed_limit_mb} MB: reduce el "
            "tamaño de la figura, su resolución (dpi) o el número de fotogramas."
        )
    uid = re.search(r'id="_anim_img([0-9a-f]+)"', html).group(1)
    return Player(name, _translate(html, uid, name, alt), n_frames, summary)


def layer_norms_player(
    frames: Sequence[Mapping[str, Sequence[float]]],
    *,
    titles: Sequence[str],
    name: str,
    alt: str,
    ylabel: str = r"$\|\partial L/\partial z_l\|$",
    xlabel: str = LAYER_LABEL,
    theory: Sequence[Mapping[str, Sequence[float]]] | None = None,
    figsize: tuple[float, float] = (BOOK_WIDTH, 3.6),
    dpi: int = BOOK_DPI,
    interval_ms: int = 800,
) -> Player:
    """Reproductor de normas por capa: un fotograma por valor de un parámetro.

    Args:
        frames: para cada fotograma, ``{etiqueta: normas (L,)}`` (capa 1 = índice 0); las
            series pueden cambiar de longitud entre fotogramas (profundidades distintas).
        titles: título de cada fotograma (el valor del parámetro).
        name, alt: como en :func:`player`.
        ylabel: etiqueta del eje vertical (logarítmico).
        xlabel: etiqueta del eje horizontal (la capa; o el paso de tiempo en una red recurrente).
        theory: opcional, para cada fotograma ``{etiqueta: predicción (L,)}``: líneas negras
            discontinuas.
        figsize, dpi: tamaño de cada fotograma (pulgadas, puntos por pulgada).

    Los ejes no cambian entre fotogramas (límites comunes a todos), para que lo que se mueva
    sean los datos.
    """
    frames = [{k: np.asarray(v, dtype=float) for k, v in f.items()} for f in frames]
    titles = list(titles)
    theory = None if theory is None else [
        {k: np.asarray(v, dtype=float) for k, v in t.items()} for t in theory
    ]
    if len(titles) != len(frames) or (theory is not None and len(theory) != len(frames)):
        raise ValueError(
            f"`titles` ({len(titles)}) y `theory` deben tener un elemento por fotograma "
            f"({len(frames)})."
        )
    lo, hi = positive_range(v for f in frames + (theory or []) for v in f.values())
    lo, hi = lo / 3, hi * 3
    max_layers = max(v.size for f in frames for v in f.values())

    fig, ax = plt.subplots(figsize=figsize, dpi=dpi, layout="constrained")

    def draw(i: int) -> None:
        ax.clear()
        for j, (label, v) in enumerate(frames[i].items()):
            layer_line(ax, j, label, v)
        if theory is not None:
            for label, v in theory[i].items():
                ax.plot(np.arange(1, v.size + 1), v, color="black", linestyle="--",
                        linewidth=1.2, label=label)
        ax.set_xlim(0.5, max_layers + 0.5)
        ax.set_ylim(lo, hi)
        finish_axes(ax, xlabel=xlabel, ylabel=ylabel, title=titles[i], log=True)
        # la leyenda, fuera de los ejes y siempre en el mismo sitio (con «best» saltaría
        # de un fotograma a otro)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))

    summary = (f"Reproductor «{name}»: {len(frames)} fotogramas, de «{titles[0]}» a "
               f"«{titles[-1]}»")
    return player(fig, draw, len(frames), name=name, alt=alt, summary=summary,
                  interval_ms=interval_ms)
